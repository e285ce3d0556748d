"""The books through the running local stack, as a new merchant meets them: a captured ₹1,000
payment's ledger entry, the balance it makes, a settlement run that pays exactly that and the
settlement.processed webhook that says so."""

from __future__ import annotations

import pytest

from tests.e2e_support import LocalStack, merchant_client
from tests.support import WebhookReceiver, wait_until

pytestmark = pytest.mark.e2e


def test_a_captured_payment_is_booked_with_fee_and_gst_then_settled_once_with_its_webhook(
    local_stack: LocalStack,
) -> None:
    # Given a merchant of its own (nothing else in its books; test mode makes entries available at
    # once) with a webhook receiver
    api = merchant_client(local_stack, "books")
    receiver = WebhookReceiver().start()
    try:
        assert api.put("/api/v1/merchant/webhook", json={"webhook_url": receiver.url}).status_code == 200

        # When a ₹1,000 UPI payment succeeds and is captured
        order = api.post("/api/v1/orders", json={"amount": 100_000}).json()
        payment = api.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "success@test"})
        assert payment.status_code == 201, payment.text
        payment_id = payment.json()["id"]
        assert wait_until(lambda: api.get(f"/api/v1/payments/{payment_id}").json()["status"] == "success", timeout=30)
        captured = api.post(f"/api/v1/payments/{payment_id}/capture", json={"amount": 100_000})
        assert captured.status_code == 200, captured.text

        # Then the books hold one entry for it: 2 % fee, 18 % GST on the fee, the rest net
        entries = api.get("/api/v1/balance_transactions", params={"source_id": payment_id}).json()["data"]
        assert [(e["type"], e["amount"], e["fee"], e["tax"], e["net"]) for e in entries] == [
            ("payment", 100_000, 2_000, 360, 97_640)
        ]
        assert api.get("/api/v1/balance").json() == {"currency": "INR", "available": 97_640, "pending": 0}

        # When a settlement runs, twice
        run = api.post("/api/v1/test/settlements/run")
        assert run.status_code == 200, run.text
        settlement = run.json()
        again = api.post("/api/v1/test/settlements/run")

        # Then it paid exactly the available net, once, and the balance is empty
        assert (settlement["amount"], settlement["fees"], settlement["tax"], settlement["entries"]) == (
            97_640,
            2_000,
            360,
            1,
        )
        assert settlement["status"] == "processed"
        assert again.status_code == 204, again.text
        assert api.get("/api/v1/balance").json() == {"currency": "INR", "available": 0, "pending": 0}
        books = api.get("/api/v1/balance_transactions", params={"settlement_id": settlement["id"]}).json()["data"]
        assert sorted((e["type"], e["net"]) for e in books) == [("payment", 97_640), ("settlement", -97_640)]

        # And the merchant hears of it once, with the settlement as the API shows it
        hook = receiver.wait_for_match(lambda h: h.json["event"] == "settlement.processed", timeout=30)
        assert hook is not None, "no settlement.processed webhook"
        assert hook.json["data"]["settlement"] == api.get(f"/api/v1/settlements/{settlement['id']}").json()
        assert [h.json["event"] for h in receiver.received].count("settlement.processed") == 1
    finally:
        receiver.stop()
