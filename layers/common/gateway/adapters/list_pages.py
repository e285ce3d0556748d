"""Paging SQL every list shares: one page newest first, a capped count, a cursor."""

from __future__ import annotations

from typing import Any, Generic, NamedTuple, TypeVar

from psycopg.rows import RowFactory

from gateway.adapters.postgres import Tx

R = TypeVar("R")

# Lists count matching rows up to this many: a count is as costly as the rows it visits, so an
# exact count of a million-row list would cost every first page ~100 ms (README, "Lists").
COUNT_CAP = 10_000


class PageOf(NamedTuple, Generic[R]):
    rows: list[R]
    total: int  # matching rows, at most COUNT_CAP
    total_capped: bool  # more than COUNT_CAP rows match
    has_more: bool  # more rows follow this page


def select_page_as(
    rows: RowFactory[R],
    tx: Tx,
    table: str,
    columns: str,
    where: list[str],
    params: list[Any],
    limit: int,
    offset: int,
    starting_after: str | None,
) -> PageOf[R] | None:
    """One page newest first (each row made by `rows`), the filtered total (capped), and whether more
    rows follow the page.

    None when `starting_after` names no row of this merchant (`where` starts with the merchant)."""
    condition = " AND ".join(where)
    page_where, page_params = list(where), list(params)
    if starting_after:
        cursor = tx.one(
            f"SELECT id, created_at FROM {table} WHERE id = %s AND merchant_id = %s", (starting_after, params[0])
        )
        if cursor is None:
            return None
        page_where.append("(created_at, id) < (%s, %s)")
        page_params += [cursor["created_at"], cursor["id"]]
    counted = tx.one(
        f"SELECT count(*) AS n FROM (SELECT 1 FROM {table} WHERE {condition} LIMIT %s) AS matching",
        [*params, COUNT_CAP + 1],
    )
    assert counted is not None
    page = tx.all_as(
        rows,
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(page_where)}"
        " ORDER BY created_at DESC, id DESC LIMIT %s OFFSET %s",
        [*page_params, limit + 1, offset],
    )
    matching = int(counted["n"])
    return PageOf(page[:limit], min(matching, COUNT_CAP), matching > COUNT_CAP, len(page) > limit)


def filter_conditions(merchant_id: str, filters: dict[str, Any]) -> tuple[list[str], list[Any]]:
    where, params = ["merchant_id = %s"], [merchant_id]
    for column in ("status", "method", "order_id", "payment_id"):  # only keys a list's query declares
        if filters.get(column) is not None:
            where.append(f"{column} = %s")
            params.append(filters[column])
    if filters.get("created_from") is not None:
        where.append("created_at >= %s")
        params.append(filters["created_from"])
    if filters.get("created_to") is not None:
        where.append("created_at <= %s")
        params.append(filters["created_to"])
    return where, params
