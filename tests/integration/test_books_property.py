"""The books as a property (issue 22, "Must show"): over random sequences of captures, refunds,
disputes (contested and won or lost, accepted, unanswered at the deadline) and settlement runs on
the real Postgres, after every step:

- the balance (available + pending) equals the sum of the ledger;
- available + pending + settled equals what was captured, less fees, GST, processed refunds and the
  open, under-review and lost disputes (as a model of the steps computes it);
- nothing settles twice: each entry is held by at most one settlement, each settlement's amount and
  count are those of the entries it holds, and each has exactly one entry of its own;
- a payment's refunds plus its held disputes never exceed it, and every refusal is the model's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from gateway.adapters.postgres import transaction
from gateway.domain import disputes, ledger, refunds, settlements
from gateway.domain.merchant_identity import Merchant
from gateway.errors import GatewayError
from gateway.models.disputes import ContestDisputeRequest, OpenDisputeRequest
from gateway.models.jobs import DisputeDeadlineJob, RefundJob
from gateway.models.refunds import CreateRefundRequest
from tests.integration.test_ledger import _balance, _capture, _merchant, _paid
from tests.support import TEST_MERCHANT_ID, Gateway

EXAMPLES = 30
STEPS = 15  # at most, per example
AMOUNTS = (100, 125, 1_250, 9_999, 100_000)
FRACTIONS = (0.1, 0.5, 1.0)
CONTEST = ContestDisputeRequest.model_validate({"evidence": {"summary": "proof of delivery"}})


@dataclass
class Payment:
    id: str
    amount: int
    refunded: int = 0


@dataclass
class DisputeModel:
    id: str
    payment: Payment
    amount: int
    status: str = "open"


@dataclass
class Books:
    """What the steps should have done to the merchant's money (paise)."""

    payments: list[Payment] = field(default_factory=list)
    disputes: list[DisputeModel] = field(default_factory=list)
    captured: int = 0
    fees: int = 0
    tax: int = 0
    refunded: int = 0

    def held(self, payment: Payment) -> int:
        return sum(d.amount for d in self.disputes if d.payment is payment and d.status != "won")

    @property
    def disputed(self) -> int:
        return sum(d.amount for d in self.disputes if d.status != "won")

    @property
    def expected_total(self) -> int:
        return self.captured - self.fees - self.tax - self.refunded - self.disputed


def _reset(gateway: Gateway) -> None:
    gateway.execute(
        "TRUNCATE outbox, webhook_attempts, webhook_logs, events, refunds, payments, orders, idempotency_keys,"
        " balance_transactions, settlements, dispute_documents, disputes, payment_links, reports"
    )


def _refused(call: Any) -> bool:
    try:
        call()
    except GatewayError:
        return True
    return False


def _apply(gateway: Gateway, merchant: Merchant, books: Books, step: tuple[Any, Any, Any]) -> None:
    kind, index, extra = step
    if kind == "capture":
        payment = _paid(gateway, index, method=extra)
        assert _capture(gateway, payment).status == 200
        due = ledger.charges(index, ledger.DEFAULT_FEE_BPS)
        books.payments.append(Payment(payment["id"], index))
        books.captured, books.fees, books.tax = books.captured + index, books.fees + due.fee, books.tax + due.tax
    elif kind == "settle":
        settlements.settle(TEST_MERCHANT_ID)
    elif kind in ("refund", "dispute"):
        if not books.payments:
            return
        payment = books.payments[index % len(books.payments)]
        left = payment.amount - payment.refunded - books.held(payment)
        amount = None if extra is None else max(1, int(payment.amount * extra))
        fits = left > 0 and (amount is None or amount <= left)
        if kind == "refund":
            assert amount is not None

            def refund() -> None:
                with transaction() as tx:
                    created = refunds.create_refund(tx, merchant, payment.id, CreateRefundRequest(amount=amount))
                assert refunds.process_refund(RefundJob(refund_id=created.data["id"])) == "processed"

            assert _refused(refund) is not fits, (step, left)
            if fits:
                payment.refunded += amount
                books.refunded += amount
        else:
            opened: list[str] = []
            request = OpenDisputeRequest(reason="general", amount=amount)
            assert _refused(lambda: opened.append(disputes.open_dispute(merchant, payment.id, request).id)) is not fits
            if fits:
                books.disputes.append(DisputeModel(opened[0], payment, left if amount is None else amount))
    else:
        if not books.disputes:
            return
        dispute = books.disputes[index % len(books.disputes)]
        allowed, after = {
            "contest": ("open", "under_review"),
            "accept": ("open", "lost"),
            "deadline": ("open", "lost"),
            "win": ("under_review", "won"),
            "lose": ("under_review", "lost"),
        }[kind]
        if kind == "deadline":
            gateway.execute("UPDATE disputes SET respond_by = now() WHERE id = %s", (dispute.id,))
            ended = disputes.end_unanswered(DisputeDeadlineJob(job="dispute_deadline", dispute_id=dispute.id))
            assert (ended == "lost") is (dispute.status == allowed)
        else:
            change = {
                "contest": lambda: disputes.contest(merchant, dispute.id, CONTEST),
                "accept": lambda: disputes.accept(merchant, dispute.id),
                "win": lambda: disputes.resolve(merchant, dispute.id, "won"),
                "lose": lambda: disputes.resolve(merchant, dispute.id, "lost"),
            }[kind]
            assert _refused(change) is (dispute.status != allowed), (step, dispute.status)
        if dispute.status == allowed:
            dispute.status = after


def _check(gateway: Gateway, books: Books) -> None:
    available, pending = _balance(gateway)
    [sums] = gateway.rows(
        "SELECT coalesce(sum(net), 0)::bigint AS ledger,"
        " coalesce((SELECT sum(amount) FROM settlements), 0)::bigint AS settled FROM balance_transactions"
    )
    assert available + pending == sums["ledger"]
    assert available + pending + sums["settled"] == books.expected_total
    # Nothing settles twice: each settlement holds exactly the entries whose sums it paid, once.
    settled = gateway.rows(
        "SELECT s.id, s.amount, s.entries, s.status,"
        " (SELECT coalesce(sum(net), 0)::bigint FROM balance_transactions e"
        "   WHERE e.settlement_id = s.id AND e.type <> 'settlement') AS held_net,"
        " (SELECT count(*) FROM balance_transactions e"
        "   WHERE e.settlement_id = s.id AND e.type <> 'settlement') AS held,"
        " (SELECT count(*) FROM balance_transactions e WHERE e.source_id = s.id AND e.type = 'settlement') AS own"
        " FROM settlements s"
    )
    for row in settled:
        assert (row["amount"], row["entries"], row["own"], row["status"]) == (
            row["held_net"],
            row["held"],
            1,
            "processed",
        )
    # Each payment's refunds and held disputes stay within it, in the database as in the model.
    for payment in books.payments:
        [row] = gateway.rows(
            "SELECT p.amount_refunded, coalesce((SELECT sum(amount) FROM disputes d"
            "  WHERE d.payment_id = p.id AND d.status <> 'won'), 0)::bigint AS held FROM payments p WHERE p.id = %s",
            (payment.id,),
        )
        assert (row["amount_refunded"], row["held"]) == (payment.refunded, books.held(payment))
        assert payment.refunded + books.held(payment) <= payment.amount


class BooksMachine(RuleBasedStateMachine):
    """Random sequences of the merchant's money movements; rules fire only where they apply (a
    contest needs an open dispute), so short runs still reach every state. `gateway` and `merchant`
    are set by the test."""

    gateway: Gateway
    merchant: Merchant
    runs: list[int]

    def __init__(self) -> None:
        super().__init__()
        _reset(self.gateway)
        self.books = Books()
        self.runs.append(0)

    def _step(self, step: tuple[Any, Any, Any]) -> None:
        _apply(self.gateway, self.merchant, self.books, step)
        self.runs[-1] += 1

    def _in(self, *statuses: str) -> list[DisputeModel]:
        return [d for d in self.books.disputes if d.status in statuses]

    @rule(amount=st.sampled_from(AMOUNTS), method=st.sampled_from(("upi", "card")))
    def capture(self, amount: int, method: str) -> None:
        self._step(("capture", amount, method))

    @precondition(lambda self: self.books.payments)
    @rule(index=st.integers(0, 7), fraction=st.sampled_from(FRACTIONS))
    def refund(self, index: int, fraction: float) -> None:
        self._step(("refund", index, fraction))

    @precondition(lambda self: self.books.payments)
    @rule(index=st.integers(0, 7), fraction=st.sampled_from((*FRACTIONS, None)))
    def dispute(self, index: int, fraction: float | None) -> None:
        self._step(("dispute", index, fraction))

    @precondition(lambda self: self._in("open"))
    @rule(index=st.integers(0, 7), action=st.sampled_from(("contest", "accept", "deadline")))
    def answer(self, index: int, action: str) -> None:
        chosen = self._in("open")[index % len(self._in("open"))]
        self._step((action, self.books.disputes.index(chosen), None))

    @precondition(lambda self: self._in("under_review"))
    @rule(index=st.integers(0, 7), action=st.sampled_from(("win", "lose")))
    def decide(self, index: int, action: str) -> None:
        chosen = self._in("under_review")[index % len(self._in("under_review"))]
        self._step((action, self.books.disputes.index(chosen), None))

    @precondition(lambda self: self.books.disputes)
    @rule(index=st.integers(0, 7), action=st.sampled_from(("contest", "accept", "deadline", "win", "lose")))
    def any_change(self, index: int, action: str) -> None:
        """Whatever state it is in: a change it does not allow is refused and changes nothing."""
        self._step((action, index, None))

    @rule()
    def settle(self) -> None:
        self._step(("settle", None, None))

    @invariant()
    def balanced(self) -> None:
        _check(self.gateway, self.books)


@pytest.mark.timeout(120)
def test_the_books_balance_after_every_step(gateway: Gateway) -> None:
    gateway.execute("UPDATE merchants SET rate_limit_reads = 1000000, rate_limit_writes = 1000000")
    BooksMachine.gateway, BooksMachine.merchant, BooksMachine.runs = gateway, _merchant(), []
    started = time.perf_counter()
    run_state_machine_as_test(
        BooksMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
    elapsed = time.perf_counter() - started
    runs = BooksMachine.runs
    print(f"\nbooks property: {len(runs)} examples, {sum(runs)} steps in {elapsed:.1f} s")
    assert len(runs) >= EXAMPLES
    assert elapsed < 40
