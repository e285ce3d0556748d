"""The merchant's stats: totals over all payments, and with a window, its trends day by day.

Days are UTC days. A window [from, to) touches every day from from's to the one holding the last
instant before to; each day counts the payments created in it (and in the window) and the books'
entries booked in it: gross is what was captured (a payment enters the books at capture), net is
what those entries left the merchant (fees, GST and refunds taken off), so a day's net is exactly
the sum of that day's ledger entries' nets, payouts aside.
"""

from __future__ import annotations

from datetime import timedelta

from gateway.adapters import merchant_store, stats_store
from gateway.adapters.postgres import transaction
from gateway.adapters.stats_store import PaymentsDayRow
from gateway.domain.ledger import BALANCE_CURRENCY
from gateway.domain.merchant_identity import Merchant
from gateway.models.merchants import MerchantStats, MethodDay, MethodsDay, StatsDay, StatsQuery, StatsSeries


def success_rate(succeeded: int, final: int) -> float | None:
    """Percent of the final attempts that succeeded, to one decimal; None when none is final."""
    return round(100 * succeeded / final, 1) if final else None


def stats(merchant: Merchant, query: StatsQuery) -> MerchantStats:
    with transaction() as tx:
        totals = merchant_store.merchant_stats(tx, merchant.id)
        series = None
        if query.series_from is not None and query.series_to is not None:
            start, end = query.series_from, query.series_to
            first_day, last_day = start.date(), (end - timedelta(microseconds=1)).date()
            payments = stats_store.payments_by_day(tx, merchant.id, start, end, first_day, last_day)
            books = stats_store.books_by_day(tx, merchant.id, BALANCE_CURRENCY, start, end, first_day, last_day)
            series = StatsSeries(
                interval="day",
                currency=BALANCE_CURRENCY,
                days=[_day(p, b) for p, b in zip(payments, books, strict=True)],
            )
    return MerchantStats(
        total_transactions=totals.total_transactions,
        total_amount=int(totals.total_amount),
        success_rate=success_rate(totals.successful, totals.finished) or 0.0,
        series=series,
    )


def _day(payments: PaymentsDayRow, books: stats_store.BooksDayRow) -> StatsDay:
    assert payments.day == books.day  # both series come from the same generate_series
    return StatsDay(
        day=payments.day,
        count=payments.payments,
        gross=books.gross,
        fees=books.fees,
        tax=books.tax,
        refunds=books.refunds,
        net=books.net,
        by_method=MethodsDay(
            upi=_method(payments.upi_count, payments.upi_succeeded, payments.upi_failed),
            card=_method(payments.card_count, payments.card_succeeded, payments.card_failed),
        ),
    )


def _method(count: int, succeeded: int, failed: int) -> MethodDay:
    return MethodDay(
        count=count, succeeded=succeeded, failed=failed, success_rate=success_rate(succeeded, succeeded + failed)
    )
