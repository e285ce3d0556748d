"""Settlements: a merchant's available, unsettled entries paid out at once (issue 22, item 2).

One transaction per merchant takes a per-merchant advisory lock, then reads and row-locks the
entries whose available_on has passed and that no settlement holds. A second run (two schedules
firing, a retry, the test route) waits for the lock and then finds those entries settled: nothing is
settled twice. The append-only trigger lets settlement_id change only from null, once, behind it.
A net sum of zero or less is carried forward: a negative balance is never paid out.

The settlement books one entry of -amount (fee 0, tax 0, available at once) whose source_id and
settlement_id are the settlement's id, so it leaves the balance with the entries it pays out: the
available balance is 0 afterwards. `settlement.processed` is recorded in the same transaction and
published after the commit (the relay sends it if that send fails).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from gateway.adapters import ledger_store, settlement_store
from gateway.adapters.ledger_store import NewEntry
from gateway.adapters.postgres import transaction
from gateway.adapters.settlement_store import SettlementRow
from gateway.domain import merchant_identity, outbox, webhook_fanout
from gateway.domain.ledger import BALANCE_CURRENCY
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.errors import NotFound
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.settlements import Settlement, SettlementListQuery

logger = Logger(child=True)


def settle(merchant_id: str) -> Settlement | None:
    """Settles the merchant's available balance; None when there is nothing (or less) to settle."""
    with transaction() as tx:
        settlement_store.lock_merchant(tx, merchant_id)
        taken = settlement_store.take_available(tx, merchant_id, BALANCE_CURRENCY)
        if not taken.ids or taken.net <= 0:
            return None  # carried forward
        row = settlement_store.insert_settlement(tx, new_id("setl_"), merchant_id, taken, BALANCE_CURRENCY)
        attached = settlement_store.attach(tx, row.id, taken.ids)
        assert attached == len(taken.ids), "the entries were locked by this transaction"
        ledger_store.book(
            tx,
            NewEntry(
                id=new_id("txn_"),
                merchant_id=merchant_id,
                type="settlement",
                source_id=row.id,
                amount=-row.amount,
                fee=0,
                tax=0,
                net=-row.amount,
                currency=row.currency,
                available_after_seconds=0,
                settlement_id=row.id,
            ),
        )
        settlement = _settlement(settlement_store.mark_processed(tx, row.id))
        merchant = merchant_identity.merchant_in(tx, merchant_id)
        events = webhook_fanout.record_event(
            tx, merchant, "settlement.processed", {"settlement": settlement.model_dump(mode="json")}
        )
    outbox.publish(events, background=True)
    logger.info("settlement processed", extra={"settlement_id": settlement.id, "amount": settlement.amount})
    return settlement


def settle_all() -> dict[str, int]:
    """The scheduled run: settles every merchant with available, unsettled entries, each in its own
    transaction, so one merchant's failure neither undoes nor blocks another's settlement."""
    with transaction() as tx:
        merchant_ids = settlement_store.merchants_with_available(tx, BALANCE_CURRENCY)
    report = {"settled": 0, "carried_forward": 0, "failed": 0}
    for merchant_id in merchant_ids:
        try:
            report["settled" if settle(merchant_id) else "carried_forward"] += 1
        except Exception:  # the next run retries it; the others still settle
            logger.exception("settlement failed", extra={"merchant_id": merchant_id})
            report["failed"] += 1
    return report


def get_settlement(merchant: Merchant, settlement_id: str) -> Settlement:
    with transaction() as tx:
        row = settlement_store.settlement_of_merchant(tx, merchant.id, settlement_id)
    if row is None:
        raise NotFound("Settlement not found")
    return _settlement(row)


def list_settlements(merchant: Merchant, query: SettlementListQuery) -> Page:
    with transaction() as tx:
        result = settlement_store.list_settlements(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(
        result, query.limit, query.offset, lambda row: _settlement(row).model_dump(mode="json"), "settlement"
    )


def _settlement(row: SettlementRow) -> Settlement:
    return Settlement.model_validate(row, from_attributes=True)
