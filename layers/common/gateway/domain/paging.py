"""Turns a store page into the API's list reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from gateway.adapters.list_pages import PageOf
from gateway.errors import BadRequest
from gateway.models.base import Page

R = TypeVar("R")  # a store's typed row (gateway.adapters.postgres)


def to_page(
    result: PageOf[R] | None,
    limit: int,
    offset: int,
    serialize: Callable[[R], dict[str, Any]],
    what: str,
) -> Page:
    if result is None:
        raise BadRequest(f"starting_after: no such {what}")
    return Page(
        data=[serialize(row) for row in result.rows],
        total=result.total,
        total_capped=result.total_capped,
        limit=limit,
        offset=offset,
        has_more=result.has_more,
    )
