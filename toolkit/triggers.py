"""Event triggers (issue 23, item 3): for each event type in the catalog (gateway.catalog.EVENT_TYPES),
what to create through the public API so that the gateway records that event for real, as Stripe's
`stripe trigger` does. No payload is forged: a trigger makes orders, payments, refunds and
settlements, and waits until the gateway has recorded the event.

A new event type needs a trigger here, a few lines (report_ready below is one).

tests/unit/test_triggers.py fails while a catalog type has none; tests/e2e/test_trigger.py runs
each against a local stack and checks it records exactly one event of its type.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.catalog import EVENT_TYPES

# Test values (gateway.domain.test_values): deterministic outcomes on a stack in test mode.
APPROVED_UPI = {"method": "upi", "vpa": "success@test"}
DECLINED_UPI = {"method": "upi", "vpa": "failure@test"}
AMOUNT = 10_000  # paise: ₹100


class TriggerError(Exception):
    """The gateway refused a step, or the event did not come in time: the message says which and why."""


@dataclass(frozen=True)
class Event:
    """A recorded event as GET /api/v1/events lists it."""

    id: str
    type: str
    payment_id: str | None
    data: dict[str, Any]


class GatewayClient:
    """The public API with one merchant's key and secret, and the steps triggers are made of."""

    def __init__(
        self,
        api_url: str,
        api_key: str,
        api_secret: str,
        *,
        wait_seconds: float = 45.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"X-Api-Key": api_key, "X-Api-Secret": api_secret}
        self.http = httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=15, transport=transport)
        self.wait_seconds = wait_seconds

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The reply's JSON (None for 204); an error reply raises TriggerError with its code and description."""
        response = self.http.request(method, path, json=body, params=params)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                reason = f"{error['code']}: {error['description']}"
            except (ValueError, KeyError, TypeError):
                reason = response.text[:200]
            raise TriggerError(f"{method} {path} answered {response.status_code} ({reason})")
        return None if response.status_code == 204 else response.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body if body is not None else {})

    def waiting(self, what: str, found: Callable[[], Any]) -> Any:
        """`found()`'s first truthy answer, asked every 0.2 s for up to `wait_seconds`."""
        deadline = time.monotonic() + self.wait_seconds
        while not (answer := found()):
            if time.monotonic() > deadline:
                raise TriggerError(f"{what} did not happen within {self.wait_seconds:.0f} s")
            time.sleep(0.2)
        return answer

    # --- the steps -------------------------------------------------------------------------------

    def create_payment(self, instrument: dict[str, Any], receipt: str = "trigger") -> dict[str, Any]:
        """A new order and a payment of it: pending."""
        order = self.post("/api/v1/orders", {"amount": AMOUNT, "receipt": receipt})
        payment: dict[str, Any] = self.post("/api/v1/payments", {"order_id": order["id"], **instrument})
        return payment

    def final_payment(self, payment_id: str, expected: str) -> dict[str, Any]:
        """The payment once final, which must be `expected` (a stack outside test mode ignores test values)."""
        payment: dict[str, Any] = self.waiting(
            f"payment {payment_id} becoming final",
            lambda: (p := self.get(f"/api/v1/payments/{payment_id}"))["status"] in ("success", "failed") and p,
        )
        if payment["status"] != expected:
            raise TriggerError(
                f"payment {payment_id} ended {payment['status']}, not {expected}: is the stack in test mode"
                " (TEST_MODE=true)? Test values decide outcomes only there"
            )
        return payment

    def successful_payment(self) -> dict[str, Any]:
        payment = self.create_payment(APPROVED_UPI)
        return self.final_payment(payment["id"], "success")

    def recorded(
        self, event_type: str, *, payment_id: str | None = None, matches: Callable[[dict[str, Any]], bool] | None = None
    ) -> Event:
        """The event of `event_type` the gateway recorded for `payment_id` (or whose data `matches`),
        once it is listed."""
        params: dict[str, Any] = {"type": event_type, "limit": 100}
        if payment_id:
            params["payment_id"] = payment_id

        def listed() -> Event | None:
            for event in self.get("/api/v1/events", **params)["data"]:
                if matches is None or matches(event["data"]):
                    return Event(event["id"], event["type"], event["payment_id"], event["data"])
            return None

        what = f"{event_type}" + (f" for {payment_id}" if payment_id else "")
        found: Event = self.waiting(what, listed)
        return found


Trigger = Callable[[GatewayClient], Event]
TRIGGERS: dict[str, Trigger] = {}


def trigger(event_type: str) -> Callable[[Trigger], Trigger]:
    """Registers a function as the trigger of `event_type`; its docstring's first line is its summary."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"{event_type} is not in gateway.catalog.EVENT_TYPES")

    def register(function: Trigger) -> Trigger:
        if event_type in TRIGGERS:
            raise ValueError(f"{event_type} already has a trigger")
        TRIGGERS[event_type] = function
        return function

    return register


def missing_triggers(catalog: tuple[str, ...] = EVENT_TYPES) -> list[str]:
    return [event_type for event_type in catalog if event_type not in TRIGGERS]


def summary(event_type: str) -> str:
    function = TRIGGERS.get(event_type)
    if function is None:
        return "(no trigger yet)"
    return (function.__doc__ or "").strip().splitlines()[0] if function.__doc__ else ""


def run(event_type: str, gateway: GatewayClient) -> Event:
    function = TRIGGERS.get(event_type)
    if function is None:
        known = ", ".join(EVENT_TYPES)
        raise TriggerError(f"no trigger for {event_type!r}; the catalog's types: {known}")
    event = function(gateway)
    assert event.type == event_type, f"the {event_type} trigger returned a {event.type} event"
    return event


# --- the catalog's types ---------------------------------------------------------------------------


@trigger("payment.created")
def payment_created(gateway: GatewayClient) -> Event:
    """A UPI payment is created (success@test)."""
    payment = gateway.create_payment(APPROVED_UPI, "trigger payment.created")
    return gateway.recorded("payment.created", payment_id=payment["id"])


@trigger("payment.pending")
def payment_pending(gateway: GatewayClient) -> Event:
    """A UPI payment is created (success@test) and awaits the bank."""
    payment = gateway.create_payment(APPROVED_UPI, "trigger payment.pending")
    return gateway.recorded("payment.pending", payment_id=payment["id"])


@trigger("payment.success")
def payment_success(gateway: GatewayClient) -> Event:
    """A UPI payment (success@test) succeeds."""
    payment = gateway.successful_payment()
    return gateway.recorded("payment.success", payment_id=payment["id"])


@trigger("payment.failed")
def payment_failed(gateway: GatewayClient) -> Event:
    """A UPI payment (failure@test) is declined: PAYMENT_FAILED."""
    payment = gateway.create_payment(DECLINED_UPI, "trigger payment.failed")
    gateway.final_payment(payment["id"], "failed")
    return gateway.recorded("payment.failed", payment_id=payment["id"])


@trigger("refund.created")
def refund_created(gateway: GatewayClient) -> Event:
    """A successful payment (success@test) is refunded in full."""
    payment = gateway.successful_payment()
    gateway.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount": payment["amount"]})
    return gateway.recorded("refund.created", payment_id=payment["id"])


@trigger("refund.processed")
def refund_processed(gateway: GatewayClient) -> Event:
    """A successful payment (success@test) is refunded in full and the bank processes the refund."""
    payment = gateway.successful_payment()
    gateway.post(f"/api/v1/payments/{payment['id']}/refunds", {"amount": payment["amount"]})
    return gateway.recorded("refund.processed", payment_id=payment["id"])


@trigger("settlement.processed")
def settlement_processed(gateway: GatewayClient) -> Event:
    """A payment (success@test) is captured and the available balance settled (local runtime only)."""
    payment = gateway.successful_payment()
    gateway.post(f"/api/v1/payments/{payment['id']}/capture", {"amount": payment["amount"]})
    try:
        settlement = gateway.post("/api/v1/test/settlements/run")
    except TriggerError as refused:
        if " 404 " in str(refused):
            raise TriggerError(
                "settlement.processed is triggered through POST /api/v1/test/settlements/run, which only the local"
                " runtime serves; a deployed stack settles once a day (DailySettlement)"
            ) from refused
        raise
    if settlement is None:
        raise TriggerError(
            "nothing to settle (204): the captured payment is not available yet (SETTLEMENT_DELAY_SECONDS; 0 by"
            " default in test mode) or refunds leave the available balance at zero or below"
        )
    return gateway.recorded("settlement.processed", matches=lambda data: data["settlement"]["id"] == settlement["id"])


@trigger("report.ready")
def report_ready(gateway: GatewayClient) -> Event:
    """A payments report of the last day is generated (CSV on S3)."""
    now = int(time.time())
    report = gateway.post("/api/v1/reports", {"type": "payments", "from": now - 86_400, "to": now + 60})
    return gateway.recorded("report.ready", matches=lambda data: data["report"]["id"] == report["id"])


def _link_event(gateway: GatewayClient, event_type: str, link: dict[str, Any]) -> Event:
    return gateway.recorded(event_type, matches=lambda data: data["payment_link"]["id"] == link["id"])


@trigger("payment_link.partially_paid")
def payment_link_partially_paid(gateway: GatewayClient) -> Event:
    """A payment link accepting part payments is paid half (success@test)."""
    link = gateway.post("/api/v1/payment_links", {"amount": AMOUNT, "accept_partial": True})
    payment = gateway.post("/api/v1/payments", {"order_id": link["order_id"], "amount": AMOUNT // 2, **APPROVED_UPI})
    gateway.final_payment(payment["id"], "success")
    return _link_event(gateway, "payment_link.partially_paid", link)


@trigger("payment_link.paid")
def payment_link_paid(gateway: GatewayClient) -> Event:
    """A payment link is paid in full (success@test)."""
    link = gateway.post("/api/v1/payment_links", {"amount": AMOUNT})
    payment = gateway.post("/api/v1/payments", {"order_id": link["order_id"], **APPROVED_UPI})
    gateway.final_payment(payment["id"], "success")
    return _link_event(gateway, "payment_link.paid", link)


@trigger("payment_link.cancelled")
def payment_link_cancelled(gateway: GatewayClient) -> Event:
    """A payment link is cancelled."""
    link = gateway.post("/api/v1/payment_links", {"amount": AMOUNT})
    gateway.post(f"/api/v1/payment_links/{link['id']}/cancel")
    return _link_event(gateway, "payment_link.cancelled", link)


@trigger("payment_link.expired")
def payment_link_expired(gateway: GatewayClient) -> Event:
    """A payment link reaches its expire_by (test clock jump; local runtime only)."""
    link = gateway.post("/api/v1/payment_links", {"amount": AMOUNT})
    try:
        gateway.post(f"/api/v1/test/payment_links/{link['id']}/expire")
    except TriggerError as refused:
        if " 404 " in str(refused):
            raise TriggerError(
                "payment_link.expired is triggered through POST /api/v1/test/payment_links/{id}/expire, which only"
                " the local runtime serves; a deployed stack expires a link at its expire_by (at least 15 minutes)"
            ) from refused
        raise
    return _link_event(gateway, "payment_link.expired", link)


def _open_dispute(gateway: GatewayClient) -> dict[str, Any]:
    """A captured payment (success@test) disputed through the local runtime's card-network route."""
    payment = gateway.successful_payment()
    gateway.post(f"/api/v1/payments/{payment['id']}/capture", {"amount": payment["amount"]})
    try:
        dispute: dict[str, Any] = gateway.post(f"/api/v1/test/payments/{payment['id']}/dispute", {"reason": "general"})
    except TriggerError as refused:
        if " 404 " in str(refused):
            raise TriggerError(
                "dispute events are triggered through POST /api/v1/test/payments/{id}/dispute, which only the local"
                " runtime serves; on a deployed stack the card network opens disputes"
            ) from refused
        raise
    return dispute


def _dispute_event(gateway: GatewayClient, event_type: str, dispute: dict[str, Any]) -> Event:
    return gateway.recorded(event_type, matches=lambda data: data["dispute"]["id"] == dispute["id"])


def _contested(gateway: GatewayClient) -> dict[str, Any]:
    dispute = _open_dispute(gateway)
    gateway.post(f"/api/v1/disputes/{dispute['id']}/contest", {"evidence": {"summary": "Delivered, signed for."}})
    return dispute


@trigger("dispute.created")
def dispute_created(gateway: GatewayClient) -> Event:
    """A captured payment is disputed (local runtime only)."""
    return _dispute_event(gateway, "dispute.created", _open_dispute(gateway))


@trigger("dispute.under_review")
def dispute_under_review(gateway: GatewayClient) -> Event:
    """A dispute is contested with evidence (local runtime only)."""
    return _dispute_event(gateway, "dispute.under_review", _contested(gateway))


@trigger("dispute.won")
def dispute_won(gateway: GatewayClient) -> Event:
    """A contested dispute is decided for the merchant (local runtime only)."""
    dispute = _contested(gateway)
    gateway.post(f"/api/v1/test/disputes/{dispute['id']}/resolve", {"outcome": "won"})
    return _dispute_event(gateway, "dispute.won", dispute)


@trigger("dispute.lost")
def dispute_lost(gateway: GatewayClient) -> Event:
    """A dispute is accepted by the merchant (local runtime only)."""
    dispute = _open_dispute(gateway)
    gateway.post(f"/api/v1/disputes/{dispute['id']}/accept")
    return _dispute_event(gateway, "dispute.lost", dispute)
