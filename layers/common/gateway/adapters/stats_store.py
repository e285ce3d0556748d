"""SQL of the merchant's trends: a series per UTC day over a window, every day present (quiet ones
as zeros, from generate_series), one statement per series. Each reads only the merchant's rows in
the window through its (merchant_id, created_at) index."""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from psycopg.rows import class_row

from gateway.adapters.postgres import Tx


class PaymentsDayRow(NamedTuple):
    day: date
    payments: int
    upi_count: int
    upi_succeeded: int
    upi_failed: int
    card_count: int
    card_succeeded: int
    card_failed: int


class BooksDayRow(NamedTuple):
    day: date
    gross: int
    fees: int
    tax: int
    refunds: int
    net: int


_PAYMENTS_DAY = class_row(PaymentsDayRow)
_BOOKS_DAY = class_row(BooksDayRow)

# The days of the window: generate_series over dates (a timestamp without zone, so no session zone
# moves a day), each joined to its aggregate; created_at is bucketed by its UTC day.
_DAYS = "generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') AS d(day)"

_PAYMENTS_BY_DAY = (
    "SELECT d.day::date AS day,"
    " coalesce(p.payments, 0) AS payments,"
    " coalesce(p.upi_count, 0) AS upi_count, coalesce(p.upi_succeeded, 0) AS upi_succeeded,"
    " coalesce(p.upi_failed, 0) AS upi_failed,"
    " coalesce(p.card_count, 0) AS card_count, coalesce(p.card_succeeded, 0) AS card_succeeded,"
    " coalesce(p.card_failed, 0) AS card_failed"
    f" FROM {_DAYS} LEFT JOIN ("
    "  SELECT (created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS payments,"
    "   count(*) FILTER (WHERE method = 'upi') AS upi_count,"
    "   count(*) FILTER (WHERE method = 'upi' AND status = 'success') AS upi_succeeded,"
    "   count(*) FILTER (WHERE method = 'upi' AND status = 'failed') AS upi_failed,"
    "   count(*) FILTER (WHERE method = 'card') AS card_count,"
    "   count(*) FILTER (WHERE method = 'card' AND status = 'success') AS card_succeeded,"
    "   count(*) FILTER (WHERE method = 'card' AND status = 'failed') AS card_failed"
    "  FROM payments"
    "  WHERE merchant_id = %(merchant_id)s AND created_at >= %(from)s AND created_at < %(to)s"
    "  GROUP BY 1"
    " ) AS p ON p.day = d.day::date"
    " ORDER BY d.day"
)

# sum(bigint) is numeric in Postgres: cast back to whole paise. Settlement entries are payouts of
# what the other entries earned, not earnings: they stay out of the net.
_BOOKS_BY_DAY = (
    "SELECT d.day::date AS day,"
    " coalesce(b.gross, 0)::bigint AS gross, coalesce(b.fees, 0)::bigint AS fees,"
    " coalesce(b.tax, 0)::bigint AS tax, coalesce(b.refunds, 0)::bigint AS refunds,"
    " coalesce(b.net, 0)::bigint AS net"
    f" FROM {_DAYS} LEFT JOIN ("
    "  SELECT (created_at AT TIME ZONE 'UTC')::date AS day,"
    "   sum(amount) FILTER (WHERE type = 'payment') AS gross,"
    "   sum(fee) FILTER (WHERE type <> 'settlement') AS fees,"
    "   sum(tax) FILTER (WHERE type <> 'settlement') AS tax,"
    "   -sum(amount) FILTER (WHERE type = 'refund') AS refunds,"
    "   sum(net) FILTER (WHERE type <> 'settlement') AS net"
    "  FROM balance_transactions"
    "  WHERE merchant_id = %(merchant_id)s AND currency = %(currency)s"
    "   AND created_at >= %(from)s AND created_at < %(to)s"
    "  GROUP BY 1"
    " ) AS b ON b.day = d.day::date"
    " ORDER BY d.day"
)


def _window(merchant_id: str, start: datetime, end: datetime, first_day: date, last_day: date) -> dict[str, object]:
    return {"merchant_id": merchant_id, "from": start, "to": end, "first_day": first_day, "last_day": last_day}


def payments_by_day(
    tx: Tx, merchant_id: str, start: datetime, end: datetime, first_day: date, last_day: date
) -> list[PaymentsDayRow]:
    """Payments created in [start, end), per UTC day from first_day to last_day."""
    return tx.all_as(_PAYMENTS_DAY, _PAYMENTS_BY_DAY, _window(merchant_id, start, end, first_day, last_day))


def books_by_day(
    tx: Tx, merchant_id: str, currency: str, start: datetime, end: datetime, first_day: date, last_day: date
) -> list[BooksDayRow]:
    """Entries booked in [start, end) in `currency`, per UTC day from first_day to last_day."""
    params = {**_window(merchant_id, start, end, first_day, last_day), "currency": currency}
    return tx.all_as(_BOOKS_DAY, _BOOKS_BY_DAY, params)
