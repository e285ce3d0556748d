"""Payment links on the real Postgres and SQS/Scheduler endpoint, through the API and the payments
consumer: created once per Idempotency-Key and reference_id, paid in parts without ever exceeding the
amount, expired by their one-time schedule, cancelled, and refused to other merchants."""

from __future__ import annotations

import hmac
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from devstack.emulator import create_schedule_group, scheduler_client
from devstack.scheduler import SchedulerEmulator
from gateway.adapters.postgres import transaction
from gateway.domain import outbox, payments
from gateway.domain.merchant_identity import Merchant
from gateway.errors import BadRequest
from gateway.models.payments import UpiPaymentRequest
from tests.support import AUTH, TEST_MERCHANT_ID, WEBHOOK_SECRET, Gateway

PLINK_ID = re.compile(r"^plink_[A-Za-z0-9]{16}$")
LINKS = "/api/v1/payment_links"
NO_CREDENTIALS = {"x-api-key": None, "x-api-secret": None}
PUBLIC = {"x-api-secret": None}  # the checkout: the publishable key only
SCHEDULER_ENV = {
    "PAYMENT_LINK_SCHEDULE_GROUP": "test-payment-link-expiry",
    "PAYMENT_LINK_SCHEDULER_ROLE_ARN": "arn:aws:iam::000000000000:role/scheduler-to-payments",
}


def _create(gateway: Gateway, status: int = 201, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    reply = gateway.api("POST", LINKS, {"amount": 10_000, **body}, headers=headers)
    assert reply.status == status, reply.body
    return dict(reply.json)


def _pay(gateway: Gateway, link: dict[str, Any], amount: int | None = None, *, public: bool = False) -> Any:
    body: dict[str, Any] = {"order_id": link["order_id"], "method": "upi", "vpa": "shopper@okhdfc"}
    if amount is not None:
        body["amount"] = amount
    path = "/api/v1/payments/public" if public else "/api/v1/payments"
    return gateway.api("POST", path, body, headers=PUBLIC if public else None)


def _link(gateway: Gateway, link_id: str) -> dict[str, Any]:
    reply = gateway.api("GET", f"{LINKS}/{link_id}")
    assert reply.status == 200, reply.body
    return dict(reply.json)


def _events(gateway: Gateway, prefix: str = "payment_link.") -> list[str]:
    rows = gateway.rows("SELECT type FROM events WHERE type LIKE %s ORDER BY created_at, id", (prefix + "%",))
    return [row["type"] for row in rows]


def test_a_replayed_create_returns_the_same_link_and_its_order(gateway: Gateway) -> None:
    key = {"Idempotency-Key": "plink-replay-1"}
    body = {"description": "Invoice 7", "customer": {"name": "Asha", "email": "asha@example.com"}}
    first = _create(gateway, headers=key, **body)
    replay = gateway.api("POST", LINKS, {"amount": 10_000, **body}, headers=key)
    assert replay.status == 201 and replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json == first
    assert PLINK_ID.match(first["id"]) and first["short_url"].endswith(f"/l/{first['id']}")
    assert (first["status"], first["amount"], first["amount_paid"], first["currency"]) == ("created", 10_000, 0, "INR")
    assert gateway.count("payment_links") == 1
    order = gateway.api("GET", f"/api/v1/orders/{first['order_id']}").json
    assert (order["amount"], order["status"]) == (10_000, "created")


def test_a_reference_id_names_one_link_whatever_races(gateway: Gateway) -> None:
    _create(gateway, reference_id="INV-1")
    again = gateway.api("POST", LINKS, {"amount": 5_000, "reference_id": "INV-1"})
    assert again.status == 409 and again.json["error"]["code"] == "CONFLICT_ERROR"
    # Concurrent creates of a new reference: the unique index lets exactly one through.
    from gateway.domain import payment_links
    from gateway.models.payment_links import CreatePaymentLinkRequest

    merchant = _merchant(gateway)
    start = threading.Barrier(6)

    def create(_: int) -> str:
        start.wait()
        try:
            with transaction() as tx:
                payment_links.create_link(tx, merchant, CreatePaymentLinkRequest(amount=5_000, reference_id="INV-2"))
            return "created"
        except Exception as exc:  # the outcome is what the test counts
            return type(exc).__name__

    with ThreadPoolExecutor(6) as pool:
        outcomes = sorted(pool.map(create, range(6)))
    assert outcomes == ["Conflict"] * 5 + ["created"]
    listed = gateway.api("GET", f"{LINKS}?reference_id=INV-2").json
    assert listed["total"] == 1
    # Another merchant may use the same reference.
    assert gateway.count("payment_links") == 2


def test_a_link_paid_in_two_parts_goes_partially_paid_then_paid_with_both_events(gateway: Gateway) -> None:
    link = _create(gateway, amount=10_000, accept_partial=True, first_min_partial_amount=4_000)
    low = _pay(gateway, link, 3_000)
    assert low.status == 400 and "at least 4000" in low.json["error"]["description"]
    first = _pay(gateway, link, 4_000)
    assert first.status == 201 and first.json["amount"] == 4_000
    assert gateway.process_payment_jobs() == 1
    assert _link(gateway, link["id"])["status"] == "partially_paid"
    # What is left, through the checkout's route (the publishable key): no minimum once something is paid.
    over = _pay(gateway, link, 6_100, public=True)
    assert over.status == 400 and "6000" in over.json["error"]["description"]
    second = _pay(gateway, link, public=True)  # no amount: what is left
    assert second.status == 201 and second.json["amount"] == 6_000
    assert gateway.process_payment_jobs() == 1
    paid = _link(gateway, link["id"])
    assert (paid["status"], paid["amount_paid"]) == ("paid", 10_000)
    assert gateway.api("GET", f"/api/v1/orders/{link['order_id']}").json["status"] == "paid"
    assert _events(gateway) == ["payment_link.partially_paid", "payment_link.paid"]
    [event] = gateway.rows("SELECT payload FROM events WHERE type = 'payment_link.paid'")
    data = json.loads(event["payload"])["data"]
    assert data["payment_link"]["amount_paid"] == 10_000 and data["payment"]["id"] == second.json["id"]
    assert _pay(gateway, link, 100).status == 400


def test_a_link_without_accept_partial_takes_only_its_whole_amount(gateway: Gateway) -> None:
    link = _create(gateway, amount=10_000)
    part = _pay(gateway, link, 5_000)
    assert part.status == 400 and "whole amount" in part.json["error"]["description"]
    assert _pay(gateway, link).status == 201
    assert gateway.process_payment_jobs() == 1
    assert _link(gateway, link["id"])["status"] == "paid"
    assert _events(gateway) == ["payment_link.paid"]


def _merchant(gateway: Gateway) -> Merchant:
    sql = "SELECT id::text AS id, name, email, api_key FROM merchants WHERE id = %s"
    [row] = gateway.rows(sql, (TEST_MERCHANT_ID,))
    return Merchant(**row)


def test_racing_partial_payments_never_exceed_the_amount(gateway: Gateway) -> None:
    """Eight shoppers pay 3,000 of a 10,000 link at once: pending payments count against what is left
    under the order's row lock, so at most three are admitted (without the lock all eight are)."""
    link = _create(gateway, amount=10_000, accept_partial=True)
    merchant = _merchant(gateway)
    start = threading.Barrier(8)

    def pay(n: int) -> str:
        request = UpiPaymentRequest(order_id=link["order_id"], method="upi", vpa=f"shopper{n}@okhdfc", amount=3_000)
        start.wait()
        try:
            with transaction() as tx:
                created = payments.create_payment(tx, merchant, request)
            outbox.publish(created.messages)
            return "admitted"
        except BadRequest:
            return "refused"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(pay, range(8)))
    assert outcomes.count("admitted") == 3, outcomes
    [held] = gateway.rows(
        "SELECT sum(amount) AS total FROM payments WHERE order_id = %s AND status = 'pending'", (link["order_id"],)
    )
    assert held["total"] == 9_000
    # They succeed: the link is partially paid with 9,000, and only 1,000 is left.
    while gateway.process_payment_jobs():
        pass
    current = _link(gateway, link["id"])
    assert (current["status"], current["amount_paid"]) == ("partially_paid", 9_000)
    assert _pay(gateway, link, 1_100).status == 400


def test_a_link_past_expire_by_refuses_a_payment_even_before_its_schedule_fires(gateway: Gateway) -> None:
    link = _create(gateway, expire_by=int(time.time()) + 16 * 60)
    gateway.execute("UPDATE payment_links SET expire_by = now() - interval '1 second' WHERE id = %s", (link["id"],))
    late = _pay(gateway, link)
    assert late.status == 400
    assert late.json["error"] == {"code": "PAYMENT_LINK_NOT_PAYABLE", "description": "Payment link has expired"}
    public = gateway.api("GET", f"{LINKS}/{link['id']}/public", headers=NO_CREDENTIALS).json
    assert (public["status"], public["amount_due"]) == ("expired", 0)


def test_the_local_scheduler_fires_the_expiry_schedule_and_the_link_expires(gateway: Gateway, setting: Any) -> None:
    for name, value in SCHEDULER_ENV.items():
        setting(name, value)
    setting("PAYMENTS_QUEUE_ARN", gateway.queues.arns["PaymentsQueue"])
    group = SCHEDULER_ENV["PAYMENT_LINK_SCHEDULE_GROUP"]
    create_schedule_group(group)
    expire_by = int(time.time()) + 16 * 60
    link = _create(gateway, expire_by=expire_by)
    schedule = scheduler_client().get_schedule(Name=f"plink-expiry-{link['id']}", GroupName=group)
    assert schedule["ScheduleExpression"] == f"at({datetime.fromtimestamp(expire_by, UTC):%Y-%m-%dT%H:%M:%S})"
    assert schedule["Target"]["Arn"] == gateway.queues.arns["PaymentsQueue"]
    assert schedule["Target"]["RoleArn"] == SCHEDULER_ENV["PAYMENT_LINK_SCHEDULER_ROLE_ARN"]
    assert schedule["ActionAfterCompletion"] == "DELETE"
    # Time compressed: the database's expire_by and the emulator's clock are moved past it.
    gateway.execute("UPDATE payment_links SET expire_by = now() WHERE id = %s", (link["id"],))
    ahead = SchedulerEmulator(clock=lambda: datetime.now(UTC) + timedelta(minutes=17), log=lambda _: None)
    assert ahead.fire_due() == 1
    assert gateway.process_payment_jobs() == 1  # the expiry message, through the payments consumer
    assert _link(gateway, link["id"])["status"] == "expired"
    assert _events(gateway) == ["payment_link.expired"]
    assert _pay(gateway, link).json["error"]["description"] == "Payment link is expired"
    assert scheduler_client().list_schedules(GroupName=group)["Schedules"] == []


def test_the_relay_expires_a_link_whose_schedule_was_lost(gateway: Gateway) -> None:
    import relay_outbox_handler

    from tests.support import lambda_context

    link = _create(gateway, expire_by=int(time.time()) + 16 * 60)
    gateway.execute("UPDATE payment_links SET expire_by = now() WHERE id = %s", (link["id"],))
    report = relay_outbox_handler.lambda_handler({}, lambda_context())
    assert report["expired_payment_links"] == 1
    assert _link(gateway, link["id"])["status"] == "expired"


def test_the_test_route_expires_an_open_link_now_once(gateway: Gateway) -> None:
    # Given an open link due in a day
    link = _create(gateway, expire_by=int(time.time()) + 86_400)
    # When test mode jumps its clock
    expired = gateway.api("POST", f"/api/v1/test/payment_links/{link['id']}/expire")
    # Then it is expired as its schedule would expire it, once, and refuses payment
    assert expired.status == 200 and expired.json["status"] == "expired", expired.body
    assert expired.json["expire_by"] <= int(time.time())
    again = gateway.api("POST", f"/api/v1/test/payment_links/{link['id']}/expire")
    assert again.status == 400 and "expired" in again.json["error"]["description"]
    assert _events(gateway) == ["payment_link.expired"]
    assert _pay(gateway, link).json["error"]["code"] == "PAYMENT_LINK_NOT_PAYABLE"
    unknown = gateway.api("POST", "/api/v1/test/payment_links/plink_doesnotexist00/expire")
    assert unknown.status == 404


def test_cancel_only_an_open_link_and_a_cancelled_link_refuses_payment(gateway: Gateway) -> None:
    link = _create(gateway)
    cancelled = gateway.api("POST", f"{LINKS}/{link['id']}/cancel")
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled"
    again = gateway.api("POST", f"{LINKS}/{link['id']}/cancel")
    assert again.status == 400 and "cancelled" in again.json["error"]["description"]
    assert _pay(gateway, link).json["error"]["code"] == "PAYMENT_LINK_NOT_PAYABLE"
    assert _events(gateway) == ["payment_link.cancelled"]
    assert gateway.api("GET", f"{LINKS}?status=cancelled").json["total"] == 1
    assert gateway.api("GET", f"{LINKS}?status=created").json["total"] == 0


def test_another_merchants_link_is_not_found(gateway: Gateway) -> None:
    gateway.add_merchant_with_webhook(
        "00000000-0000-4000-8000-0000000000c3", "links", "http://127.0.0.1:9/hook", "whsec_bGlua3M="
    )
    other = {"x-api-key": "key_links", "x-api-secret": "secret_links"}
    link = _create(gateway, headers=other, reference_id="INV-1")
    assert gateway.api("GET", f"{LINKS}/{link['id']}").status == 404
    assert gateway.api("POST", f"{LINKS}/{link['id']}/cancel").status == 404
    assert gateway.api("GET", LINKS).json["total"] == 0
    assert _pay(gateway, link).status == 404  # its order too
    _create(gateway, reference_id="INV-1")  # a reference is unique per merchant only


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"amount": 0}, "amount"),
        ({"amount": 100.5}, "amount"),
        ({"amount": "10000"}, "amount"),
        ({"amount": 10_000, "expire_by": 1}, "at least 15 minutes"),
        ({"amount": 10_000, "expire_by": int(time.time()) + 60}, "at least 15 minutes"),
        ({"amount": 10_000, "expire_by": int(time.time()) + 400 * 86_400}, "at most a year"),
        ({"amount": 10_000, "first_min_partial_amount": 500}, "only with accept_partial"),
        ({"amount": 10_000, "accept_partial": True, "first_min_partial_amount": 20_000}, "must not exceed amount"),
        ({"amount": 10_000, "callback_url": "javascript:alert(1)"}, "callback_url"),
        ({"amount": 10_000, "callback_url": "ftp://example.com/x"}, "callback_url"),
        ({"amount": 10_000, "colour": "red"}, "colour"),
        ({"amount": 10_000, "currency": "USD"}, "currency"),
    ],
)
def test_invalid_creates_are_400(gateway: Gateway, body: dict[str, Any], says: str) -> None:
    reply = gateway.api("POST", LINKS, body)
    assert reply.status == 400, reply.body
    assert reply.json["error"]["code"] == "BAD_REQUEST_ERROR" and says in reply.json["error"]["description"]
    assert gateway.count("payment_links") == 0 and gateway.count("orders") == 0


def test_the_callback_url_guard_refuses_private_addresses_outside_the_local_runtime(
    gateway: Gateway, setting: Any
) -> None:
    setting("WEBHOOK_URL_GUARD", "true")
    reply = gateway.api("POST", LINKS, {"amount": 10_000, "callback_url": "http://127.0.0.1:8080/back"})
    assert reply.status == 400 and "callback_url must resolve to a public address" in reply.body


def test_the_shoppers_view_needs_no_credentials_spends_the_checkout_budget_and_signs_the_callback(
    gateway: Gateway,
) -> None:
    link = _create(gateway, description="Invoice 9", reference_id="INV-9", callback_url="http://shop.test/back?x=1")
    path = f"{LINKS}/{link['id']}/public"
    view = gateway.api("GET", path, headers=NO_CREDENTIALS)
    assert view.status == 200, view.body
    assert view.headers["RateLimit-Limit"] == "20"  # the caller address's share of the checkout budget
    shown = view.json
    assert shown["key"] == AUTH["x-api-key"] and shown["merchant_name"] and shown["amount_due"] == 10_000
    assert shown["has_callback"] is True and shown["callback_url"] is None
    assert "customer" not in shown and "reference_id" not in shown and "notes" not in shown
    assert gateway.api("GET", f"{LINKS}/plink_doesnotexist00/public", headers=NO_CREDENTIALS).status == 404
    assert gateway.api("GET", f"{path}?colour=red", headers=NO_CREDENTIALS).status == 400

    payment = _pay(gateway, link, public=True).json
    # Before it succeeds there is nothing to sign.
    assert gateway.api("GET", f"{path}?payment_id={payment['id']}", headers=NO_CREDENTIALS).json["callback_url"] is None
    gateway.process_payment_jobs()
    callback = gateway.api("GET", f"{path}?payment_id={payment['id']}", headers=NO_CREDENTIALS).json["callback_url"]
    url = urlsplit(callback)
    assert (url.netloc, url.path) == ("shop.test", "/back")
    params = {name: values[0] for name, values in parse_qs(url.query, keep_blank_values=True).items()}
    assert params["x"] == "1" and params["payment_id"] == payment["id"] and params["payment_link_status"] == "paid"
    assert params["payment_link_id"] == link["id"] and params["payment_link_reference_id"] == "INV-9"
    signed = f"{link['id']}|INV-9|paid|{payment['id']}"
    expected = hmac.new(WEBHOOK_SECRET.encode(), signed.encode(), sha256).hexdigest()
    assert hmac.compare_digest(params["signature"], expected)
