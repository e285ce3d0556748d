"""The books: fees and GST in whole paise, entries booked in their cause's transaction, the balance.

A payment enters the books when it is captured: +amount, the merchant's fee (basis points of the
amount) and GST on that fee, each rounded half-up to the paisa. A processed refund is -amount with
no fee and no tax (the payment's fee is not returned). A payment may be refunded before it is
captured (refunds need a successful payment, not a captured one), and such a refund has nothing in
the books to debit: it is booked when its payment is captured, if ever. Both paths hold the
payment's row lock (the capture's UPDATE, the refund's FOR UPDATE), so whichever comes second sees
the other, and the unique (type, source_id) index books each payment and refund once.

Credits become available `settlement_delay` seconds after booking; debits at once, so a refund is
never left pending while the payment it returns money from is paid out. A dispute is a debit when it
opens and, if won, a credit (`dispute_reversal`) available at once, undoing it; both are booked in
the transaction of the dispute's state change (gateway/domain/disputes.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from gateway.adapters import ledger_store
from gateway.adapters.ledger_store import EntryRow, NewEntry, Pricing
from gateway.adapters.payment_store import PaymentRow
from gateway.adapters.postgres import Tx, single_statement, transaction
from gateway.domain.merchant_identity import Merchant
from gateway.domain.paging import to_page
from gateway.ids import new_id
from gateway.models.base import Page
from gateway.models.ledger import Balance, BalanceTransaction, BalanceTransactionListQuery
from gateway.settings import get_settings

DEFAULT_FEE_BPS = 200  # 2 %, card and UPI, unless the merchant's row says otherwise
GST_PERCENT = 18
# The gateway takes only INR (gateway/currencies.py); a second currency makes a balance per currency.
BALANCE_CURRENCY = "INR"


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, a half rounded up, in integers only (a float
    holds 53 bits and rounds halves to even)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


class Charges(NamedTuple):
    amount: int
    fee: int
    tax: int

    @property
    def net(self) -> int:
        return self.amount - self.fee - self.tax


def charges(amount: int, fee_bps: int) -> Charges:
    """A payment's fee (fee_bps basis points of the amount) and the GST on that fee, in paise."""
    fee = round_half_up(amount * fee_bps, 10_000)
    return Charges(amount, fee, round_half_up(fee * GST_PERCENT, 100))


def fee_bps(pricing: Pricing, method: str) -> int:
    chosen = {"card": pricing.fee_bps_card, "upi": pricing.fee_bps_upi}[method]
    return DEFAULT_FEE_BPS if chosen is None else chosen


def book_capture(tx: Tx, payment: PaymentRow) -> None:
    """The captured payment's entry, and those of its refunds processed before the capture."""
    due = charges(payment.amount, fee_bps(ledger_store.pricing_of(tx, payment.merchant_id), payment.method))
    _book(tx, payment, "payment", payment.id, due, get_settings().settlement_delay)
    for refund in ledger_store.processed_refunds(tx, payment.id):
        _book(tx, payment, "refund", refund.id, Charges(-refund.amount, 0, 0), 0)


def book_refund(tx: Tx, payment: PaymentRow, refund_id: str, amount: int) -> None:
    """A processed refund's debit, if its payment is in the books; otherwise its capture books it.
    `payment` must be the row as locked by this transaction."""
    if payment.captured:
        _book(tx, payment, "refund", refund_id, Charges(-amount, 0, 0), 0)


def book_dispute(tx: Tx, payment: PaymentRow, dispute_id: str, amount: int) -> None:
    """An opened dispute's debit (-amount, no fee, no GST), counted at once like a refund's."""
    _book(tx, payment, "dispute", dispute_id, Charges(-amount, 0, 0), 0)


def book_dispute_reversal(tx: Tx, payment: PaymentRow, dispute_id: str, amount: int) -> None:
    """A won dispute's credit: +amount, available at once (it cancels a debit that counted at once)."""
    _book(tx, payment, "dispute_reversal", dispute_id, Charges(amount, 0, 0), 0)


def _book(tx: Tx, payment: PaymentRow, kind: str, source_id: str, due: Charges, available_after: int) -> None:
    # A second booking of one payment or refund inserts nothing (the unique index): a backstop behind
    # the capture's and the refund's own once-only updates.
    ledger_store.book(
        tx,
        NewEntry(
            id=new_id("txn_"),
            merchant_id=payment.merchant_id,
            type=kind,
            source_id=source_id,
            amount=due.amount,
            fee=due.fee,
            tax=due.tax,
            net=due.net,
            currency=payment.currency,
            available_after_seconds=available_after,
        ),
    )


def balance(merchant: Merchant) -> Balance:
    totals = single_statement(lambda tx: ledger_store.balance(tx, merchant.id, BALANCE_CURRENCY))
    return Balance(currency=BALANCE_CURRENCY, available=totals.available, pending=totals.pending)


def list_balance_transactions(merchant: Merchant, query: BalanceTransactionListQuery) -> Page:
    with transaction() as tx:
        result = ledger_store.list_entries(
            tx, merchant.id, query.filters(), query.limit, query.offset, query.starting_after
        )
    return to_page(result, query.limit, query.offset, _entry_json, "balance transaction")


def _entry_json(row: EntryRow) -> dict[str, Any]:
    return BalanceTransaction.model_validate(row, from_attributes=True).model_dump(mode="json")
