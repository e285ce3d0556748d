"""Through the running stack (issue 22, "Must show"): a dispute left unanswered is lost at its
deadline and debits the ledger once. `python -m devstack` with DISPUTE_RESPONSE_SECONDS=2, as
`make dev` takes it: the API creates the one-time schedule, the local Scheduler fires it onto the
refunds queue, and ProcessRefundFunction ends the dispute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e_support import LocalStack, running_stack
from tests.support import AUTH, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def short_deadlines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(Path(tmp_path_factory.mktemp("disputes")), {"DISPUTE_RESPONSE_SECONDS": "2"}) as stack:
        yield stack


def test_an_unanswered_dispute_is_lost_at_its_deadline_and_debits_the_ledger_once(
    short_deadlines: LocalStack,
) -> None:
    client = httpx.Client(base_url=short_deadlines.url, headers=AUTH, timeout=30)
    order = client.post("/api/v1/orders", json={"amount": 100_000}).json()
    payment = client.post("/api/v1/payments", json={"order_id": order["id"], "method": "upi", "vpa": "a@okhdfc"}).json()
    assert wait_until(lambda: client.get(f"/api/v1/payments/{payment['id']}").json()["status"] == "success", timeout=30)
    assert client.post(f"/api/v1/payments/{payment['id']}/capture", json={"amount": 100_000}).status_code == 200

    opened = client.post(f"/api/v1/test/payments/{payment['id']}/dispute", json={"reason": "product_not_received"})
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    respond_by = datetime.fromisoformat(dispute["respond_by"])
    assert 1 <= (respond_by - datetime.fromisoformat(dispute["created_at"])).total_seconds() <= 3

    def ended() -> dict[str, object] | None:
        current = client.get(f"/api/v1/disputes/{dispute['id']}").json()
        return current if current["status"] != "open" else None

    lost = wait_until(ended, timeout=30, interval=0.25)
    assert lost is not None, "the deadline did not fire"
    assert (lost["status"], lost["closed_reason"]) == ("lost", "unanswered")
    assert datetime.fromisoformat(str(lost["closed_at"])) >= respond_by
    assert datetime.now(UTC) >= respond_by
    # The books: the capture's net, then the dispute's debit, once; nothing more for the loss.
    entries = client.get(f"/api/v1/balance_transactions?search={dispute['id']}").json()["data"]
    assert [(e["type"], e["amount"], e["fee"], e["tax"]) for e in entries] == [("dispute", -100_000, 0, 0)]
    assert client.get("/api/v1/balance").json() == {"currency": "INR", "available": 97_640 - 100_000, "pending": 0}
    events = client.get(f"/api/v1/events?payment_id={payment['id']}&type=dispute.*").json()["data"]
    assert sorted(e["type"] for e in events) == ["dispute.created", "dispute.lost"]
    # Too late to contest now.
    late = client.post(f"/api/v1/disputes/{dispute['id']}/contest", json={"evidence": {"summary": "delivered"}})
    assert (late.status_code, late.json()["error"]["code"]) == (409, "INVALID_STATE")
    # The Scheduler fired it (not the relay's backstop); the line may trail the consumer by a moment.
    assert wait_until(lambda: "devstack | scheduler: fired" in short_deadlines.log(), timeout=5)
