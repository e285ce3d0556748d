"""The books on the real Postgres, through the API and the consumers: one entry per money movement,
written with its cause, once, whatever is delivered twice or races."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import process_refund_handler
import psycopg
import pytest

from gateway.adapters.postgres import transaction
from gateway.domain import payments, refunds
from gateway.domain.merchant_identity import Merchant, merchant_in
from gateway.errors import BadRequest
from gateway.models.jobs import PaymentJob, RefundJob
from gateway.models.payments import CaptureRequest
from tests.support import ROOT, TEST_MERCHANT_ID, TOPOLOGY, Gateway, fake_message, lambda_context, wait_until

TXN_ID = re.compile(r"^txn_[A-Za-z0-9]{16}$")
OTHER_ID = "00000000-0000-4000-8000-0000000000b2"
OTHER = {"x-api-key": "key_books", "x-api-secret": "secret_books"}
MIGRATION = ROOT / "layers/common/gateway/migrations/0018_ledger.sql"


@pytest.fixture
def books(gateway: Gateway) -> Iterator[Gateway]:
    """Empty books and default pricing. Emptied afterwards too: entries reference their merchant, and
    the shared fixture deletes the merchants a test added."""

    def clean() -> None:
        gateway.execute("TRUNCATE balance_transactions")  # no row trigger fires: the append-only guard
        gateway.execute("UPDATE merchants SET fee_bps_card = NULL, fee_bps_upi = NULL")

    clean()
    yield gateway
    clean()


def _paid(gateway: Gateway, amount: int = 100_000, method: str = "upi", **headers: str) -> dict[str, Any]:
    order = gateway.api("POST", "/api/v1/orders", {"amount": amount}, headers=headers or None).json
    body: dict[str, Any] = {"order_id": order["id"], "method": method}
    body.update(
        {"vpa": "shopper@okhdfc"}
        if method == "upi"
        else {"card": {"number": "4111111111111111", "expiry_month": "12", "expiry_year": "2035", "cvv": "123"}}
    )
    payment = gateway.api("POST", "/api/v1/payments", body, headers=headers or None).json
    assert payments.process_payment(PaymentJob(payment_id=payment["id"])) == "success"
    return dict(payment)


def _capture(gateway: Gateway, payment: dict[str, Any], **headers: str) -> Any:
    return gateway.api(
        "POST", f"/api/v1/payments/{payment['id']}/capture", {"amount": payment["amount"]}, headers=headers or None
    )


def _refund(gateway: Gateway, payment: dict[str, Any], amount: int) -> dict[str, Any]:
    response = gateway.api("POST", f"/api/v1/payments/{payment['id']}/refunds", {"amount": amount})
    assert response.status == 201, response.body
    return dict(response.json)


def _process(refund: dict[str, Any]) -> str | None:
    return refunds.process_refund(RefundJob(refund_id=refund["id"]))


def _entries(gateway: Gateway, query: str = "", **headers: str) -> list[dict[str, Any]]:
    response = gateway.api("GET", f"/api/v1/balance_transactions?limit=100{query}", headers=headers or None)
    assert response.status == 200, response.body
    return list(response.json["data"])


def _balance(gateway: Gateway, **headers: str) -> tuple[int, int]:
    response = gateway.api("GET", "/api/v1/balance", headers=headers or None)
    assert response.status == 200, response.body
    assert response.json["currency"] == "INR"
    return response.json["available"], response.json["pending"]


def _merchant() -> Merchant:
    with transaction() as tx:
        return merchant_in(tx, TEST_MERCHANT_ID)


def _other_merchant(gateway: Gateway) -> None:
    gateway.add_merchant_with_webhook(OTHER_ID, "books", "http://127.0.0.1:9/hook", "whsec_b3RoZXI=")


# --- booking ----------------------------------------------------------------------------------


def test_a_capture_books_the_payment_with_fee_and_gst(books: Gateway) -> None:
    payment = _paid(books, 100_000)
    assert _entries(books) == [], "a payment is not in the books before its capture"
    assert _capture(books, payment).status == 200
    [entry] = _entries(books)
    assert TXN_ID.match(entry["id"])
    assert {k: v for k, v in entry.items() if k not in ("id", "available_on", "created_at")} == {
        "type": "payment",
        "source_id": payment["id"],
        "amount": 100_000,
        "fee": 2_000,
        "tax": 360,
        "net": 97_640,
        "currency": "INR",
        "settlement_id": None,
    }
    # Test mode without SETTLEMENT_DELAY_SECONDS: available at once.
    assert entry["available_on"] == entry["created_at"]
    assert datetime.fromisoformat(entry["created_at"]).utcoffset() == timedelta(0)
    assert _balance(books) == (97_640, 0)


def test_the_merchants_own_pricing_per_method(books: Gateway) -> None:
    books.execute("UPDATE merchants SET fee_bps_card = 250, fee_bps_upi = 0 WHERE id = %s", (TEST_MERCHANT_ID,))
    card, upi = _paid(books, 1_250, "card"), _paid(books, 1_250, "upi")
    assert _capture(books, card).status == 200 and _capture(books, upi).status == 200
    by_source = {e["source_id"]: (e["fee"], e["tax"], e["net"]) for e in _entries(books)}
    # 2.5 % of 1,250 is 31.25 -> 31; 18 % of 31 is 5.58 -> 6. UPI at 0 bps: no fee, no tax.
    assert by_source == {card["id"]: (31, 6, 1_213), upi["id"]: (0, 0, 1_250)}


def test_a_refused_capture_books_nothing(books: Gateway) -> None:
    payment = _paid(books, 50_000)
    assert books.api("POST", f"/api/v1/payments/{payment['id']}/capture", {"amount": 49_999}).status == 400
    pending = books.create_payment(books.create_order()["id"])
    assert _capture(books, pending).status == 400
    assert _entries(books) == [] and _balance(books) == (0, 0)


def test_ten_concurrent_captures_of_one_payment_book_it_once(books: Gateway) -> None:
    payment = _paid(books, 100_000)
    merchant = _merchant()

    def capture(_: int) -> str:
        try:
            payments.capture_payment(merchant, payment["id"], CaptureRequest(amount=100_000))
        except BadRequest:
            return "refused"
        return "captured"

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(capture, range(10)))
    assert sorted(outcomes) == ["captured"] + ["refused"] * 9
    assert [(e["type"], e["net"]) for e in _entries(books)] == [("payment", 97_640)]


def test_a_processed_refund_books_minus_its_amount_once_however_often_delivered(books: Gateway) -> None:
    payment = _paid(books, 100_000)
    _capture(books, payment)
    refund = _refund(books, payment, 30_000)
    assert [e["type"] for e in _entries(books)] == ["payment"], "a pending refund moves no money yet"
    messages = books.receive("RefundsQueue")
    event = books.sqs_event("RefundsQueue", messages)
    assert process_refund_handler.lambda_handler(event, lambda_context()) == {"batchItemFailures": []}
    duplicate = books.sqs_event("RefundsQueue", [fake_message(messages[0]["Body"])])
    assert process_refund_handler.lambda_handler(duplicate, lambda_context()) == {"batchItemFailures": []}
    refunds_booked = _entries(books, "&type=refund")
    assert [(e["source_id"], e["amount"], e["fee"], e["tax"], e["net"]) for e in refunds_booked] == [
        (refund["id"], -30_000, 0, 0, -30_000)
    ]
    assert _balance(books) == (97_640 - 30_000, 0)


def test_duplicate_refund_jobs_racing_book_once(books: Gateway) -> None:
    payment = _paid(books, 100_000)
    _capture(books, payment)
    refund = _refund(books, payment, 100_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: _process(refund), range(8)))
    assert outcomes.count("processed") == 1
    assert [e["amount"] for e in _entries(books, "&type=refund")] == [-100_000]
    # A full refund leaves the merchant owing the fee and its GST: fees are not returned.
    assert _balance(books) == (-2_360, 0)


def test_a_refund_before_the_capture_is_booked_by_the_capture(books: Gateway) -> None:
    """Refunds need a successful payment, not a captured one. Money that never entered the books
    cannot leave them: the refund's debit waits for the capture, which books both."""
    payment = _paid(books, 100_000)
    early = _refund(books, payment, 10_000)
    assert _process(early) == "processed"
    assert _entries(books) == [] and _balance(books) == (0, 0)
    late = _refund(books, payment, 5_000)  # created before the capture, processed after it
    assert _capture(books, payment).status == 200
    assert _process(late) == "processed"
    booked = {(e["type"], e["source_id"]): e["amount"] for e in _entries(books)}
    assert booked == {
        ("payment", payment["id"]): 100_000,
        ("refund", early["id"]): -10_000,
        ("refund", late["id"]): -5_000,
    }
    assert _balance(books) == (97_640 - 15_000, 0)


def test_an_uncaptured_refunded_payment_never_enters_the_books(books: Gateway) -> None:
    payment = _paid(books, 100_000)
    assert _process(_refund(books, payment, 100_000)) == "processed"
    assert _entries(books) == [] and _balance(books) == (0, 0)


def test_capture_and_refund_processing_racing_book_the_refund_once(books: Gateway) -> None:
    merchant = _merchant()
    for _ in range(5):
        payment = _paid(books, 20_000)
        refund = _refund(books, payment, 20_000)

        def capture(p: dict[str, Any] = payment) -> object:
            return payments.capture_payment(merchant, p["id"], CaptureRequest(amount=p["amount"]))

        def process(r: dict[str, Any] = refund) -> object:
            return _process(r)

        steps: list[Callable[[], object]] = [capture, process]
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda step: step(), steps))
        booked = [e["type"] for e in _entries(books, f"&source_id={refund['id']}")]
        assert booked == ["refund"]
    assert _balance(books)[0] == 5 * (-400 - 72)  # five payments' fee and GST (2 % of 20,000; 18 %)


# --- balance ----------------------------------------------------------------------------------


def test_with_a_delay_credits_are_pending_until_then_and_debits_count_at_once(
    books: Gateway, setting: Callable[[str, str], None]
) -> None:
    setting("SETTLEMENT_DELAY_SECONDS", "172800")
    payment = _paid(books, 100_000)
    _capture(books, payment)
    assert _balance(books) == (0, 97_640)
    [entry] = _entries(books)
    delay = datetime.fromisoformat(entry["available_on"]) - datetime.fromisoformat(entry["created_at"])
    assert delay.total_seconds() == 172_800
    _process(_refund(books, payment, 10_000))
    assert _balance(books) == (-10_000, 97_640)


def test_a_credit_becomes_available_when_its_delay_has_passed(
    books: Gateway, setting: Callable[[str, str], None]
) -> None:
    setting("SETTLEMENT_DELAY_SECONDS", "2")
    _capture(books, _paid(books, 100_000))
    assert _balance(books) == (0, 97_640)
    assert wait_until(lambda: _balance(books) == (97_640, 0), timeout=10)


def test_settled_entries_leave_the_balance(books: Gateway) -> None:
    first, second = _paid(books, 100_000), _paid(books, 50_000)
    _capture(books, first)
    _capture(books, second)
    assert _balance(books) == (97_640 + 48_820, 0)
    books.execute("UPDATE balance_transactions SET settlement_id = 'setl_1' WHERE source_id = %s", (first["id"],))
    assert _balance(books) == (48_820, 0)


# --- list -------------------------------------------------------------------------------------


def test_list_filters_and_cursor(books: Gateway) -> None:
    made = [_paid(books, 10_000 + n) for n in range(3)]
    for payment in made:
        _capture(books, payment)
    refund = _refund(books, made[0], 1_000)
    _process(refund)
    everything = _entries(books)
    assert [e["source_id"] for e in everything] == [refund["id"], made[2]["id"], made[1]["id"], made[0]["id"]]

    assert [e["source_id"] for e in _entries(books, "&type=refund")] == [refund["id"]]
    assert [e["source_id"] for e in _entries(books, "&type=payment")] == [p["id"] for p in reversed(made)]
    assert [e["type"] for e in _entries(books, f"&source_id={made[0]['id']}")] == ["payment"]
    assert [e["id"] for e in _entries(books, f"&search={everything[1]['id']}")] == [everything[1]["id"]]
    assert _entries(books, "&type=dispute") == []
    books.execute("UPDATE balance_transactions SET settlement_id = 'setl_a' WHERE source_id = %s", (made[1]["id"],))
    settled = _entries(books, "&settlement_id=setl_a")
    assert [(e["source_id"], e["settlement_id"]) for e in settled] == [(made[1]["id"], "setl_a")]
    assert _entries(books, "&from=2100-01-01T00:00:00Z") == []
    assert _entries(books, "&to=2000-01-01") == []
    assert len(_entries(books, "&from=1700000000&to=2100-01-01T00:00:00Z")) == 4

    seen: list[str] = []
    cursor = ""
    while True:
        page = books.api("GET", f"/api/v1/balance_transactions?limit=3{cursor}").json
        assert page["total"] == 4 and page["total_capped"] is False
        seen += [e["id"] for e in page["data"]]
        if not page["has_more"]:
            break
        cursor = f"&starting_after={page['data'][-1]['id']}"
    assert seen == [e["id"] for e in everything]


@pytest.mark.parametrize(
    "query",
    [
        "type=charge",
        "type=",
        "limit=0",
        "limit=101",
        "offset=-1",
        "from=yesterday",
        "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z",
        "offset=5&starting_after=txn_x",
        "starting_after=txn_unknown",
        "source_id=" + "p" * 65,
        "status=available",
        "currency=INR",
    ],
)
def test_bad_list_parameters_are_400_in_the_envelope(books: Gateway, query: str) -> None:
    response = books.api("GET", f"/api/v1/balance_transactions?{query}")
    assert response.status == 400, response.body
    assert response.json["error"]["code"] == "BAD_REQUEST_ERROR" and response.json["error"]["description"]


def test_another_merchant_sees_none_of_the_entries(books: Gateway) -> None:
    _other_merchant(books)
    payment = _paid(books, 100_000)
    _capture(books, payment)
    mine = _entries(books)
    assert _balance(books, **OTHER) == (0, 0)
    assert _entries(books, **OTHER) == []
    assert _entries(books, f"&source_id={payment['id']}", **OTHER) == []
    foreign_cursor = books.api("GET", f"/api/v1/balance_transactions?starting_after={mine[0]['id']}", headers=OTHER)
    assert foreign_cursor.status == 400
    # And the other way round: the other merchant's own capture is its own.
    theirs = _paid(books, 10_000, **OTHER)
    assert _capture(books, theirs, **OTHER).status == 200
    assert [e["source_id"] for e in _entries(books, **OTHER)] == [theirs["id"]]
    assert _balance(books, **OTHER) == (9_764, 0)
    assert [e["source_id"] for e in _entries(books)] == [payment["id"]] and _balance(books) == (97_640, 0)


def test_the_routes_need_credentials(books: Gateway) -> None:
    for path in ("/api/v1/balance", "/api/v1/balance_transactions"):
        response = books.api("GET", path, headers={"x-api-key": None, "x-api-secret": None})
        assert response.status == 401 and response.json["error"]["code"] == "AUTHENTICATION_ERROR"


# --- what the database enforces ---------------------------------------------------------------

_INSERT = (
    "INSERT INTO balance_transactions (id, merchant_id, type, source_id, amount, fee, tax, net, currency, available_on)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'INR', now())"
)


@pytest.mark.parametrize(
    ("kind", "amount", "fee", "tax", "net"),
    [
        ("payment", 1_000, 20, 4, 977),  # net is not amount - fee - tax
        ("charge", 1_000, 0, 0, 1_000),  # no such type
        ("payment", -1_000, 0, 0, -1_000),  # a payment credits
        ("payment", 100, 90, 20, -10),  # fee and tax beyond the payment
        ("refund", 1_000, 0, 0, 1_000),  # a refund debits
        ("refund", -1_000, 20, 0, -1_020),  # and returns no fee
    ],
)
def test_the_schema_refuses_entries_that_do_not_add_up(
    books: Gateway, kind: str, amount: int, fee: int, tax: int, net: int
) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        books.execute(_INSERT, ("txn_bad", TEST_MERCHANT_ID, kind, "pay_x", amount, fee, tax, net))


def test_the_schema_books_a_payment_or_refund_once_and_keeps_entries_append_only(books: Gateway) -> None:
    books.execute(_INSERT, ("txn_one", TEST_MERCHANT_ID, "payment", "pay_x", 1_000, 20, 4, 976))
    with pytest.raises(psycopg.errors.UniqueViolation):
        books.execute(_INSERT, ("txn_two", TEST_MERCHANT_ID, "payment", "pay_x", 1_000, 20, 4, 976))
    with pytest.raises(psycopg.errors.CheckViolation):
        books.execute("UPDATE balance_transactions SET amount = 2_000, net = 1_976 WHERE id = 'txn_one'")
    with pytest.raises(psycopg.errors.CheckViolation):
        books.execute("DELETE FROM balance_transactions WHERE id = 'txn_one'")
    books.execute("UPDATE balance_transactions SET settlement_id = 'setl_1' WHERE id = 'txn_one'")
    with pytest.raises(psycopg.errors.CheckViolation):  # attached once, never moved
        books.execute("UPDATE balance_transactions SET settlement_id = 'setl_2' WHERE id = 'txn_one'")
    books.execute(_INSERT, ("txn_three", TEST_MERCHANT_ID, "adjustment", "adj_1", 500, 0, 0, 500))
    with pytest.raises(psycopg.errors.CheckViolation):  # nor attached with another change
        books.execute("UPDATE balance_transactions SET settlement_id = 's', net = 0, amount = 0 WHERE id = 'txn_three'")
    with pytest.raises(psycopg.errors.CheckViolation):
        books.execute("UPDATE merchants SET fee_bps_card = 5001 WHERE id = %s", (TEST_MERCHANT_ID,))


def _run_migration(gateway: Gateway) -> None:
    with psycopg.connect(gateway.database_url, autocommit=True) as conn:
        conn.execute(MIGRATION.read_bytes())  # as the runner does: no parameters, `%` is text


def test_the_migration_books_what_was_captured_before_it_once(books: Gateway) -> None:
    books.execute("UPDATE merchants SET fee_bps_card = 250 WHERE id = %s", (TEST_MERCHANT_ID,))
    upi, card, uncaptured = _paid(books, 1_225), _paid(books, 1_250, "card"), _paid(books, 50_000)
    early = _refund(books, upi, 200)
    _process(early)
    _capture(books, upi)
    _capture(books, card)
    _process(_refund(books, card, 1_000))
    _process(_refund(books, uncaptured, 50_000))

    def shape(entry: dict[str, Any]) -> tuple[Any, ...]:
        return (entry["type"], entry["source_id"], entry["amount"], entry["fee"], entry["tax"], entry["net"])

    booked = sorted(shape(e) for e in _entries(books))
    # Given the same history without books (as before this migration)
    books.execute("TRUNCATE balance_transactions")
    # When the migration runs, twice
    _run_migration(books)
    _run_migration(books)
    # Then it booked what the captures and refunds book, with the same arithmetic, once
    backfilled = _entries(books)
    assert sorted(shape(e) for e in backfilled) == booked and len(booked) == 4
    assert all(TXN_ID.match(e["id"]) for e in backfilled)
    early_entry = next(e for e in backfilled if e["source_id"] == early["id"])
    payment_entry = next(e for e in backfilled if e["source_id"] == upi["id"])
    assert early_entry["created_at"] == payment_entry["created_at"]  # booked when its payment was captured


def test_the_local_runtime_hands_functions_the_developers_settlement_delay() -> None:
    # No function's template environment sets it: `make dev` passes the developer's variable on (as
    # TEST_MODE), and AWS uses the default (two days).
    assert all("SETTLEMENT_DELAY_SECONDS" not in spec.environment for spec in TOPOLOGY.functions.values())
