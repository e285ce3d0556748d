"""Turns a store page into the API's list reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.adapters.postgres import Row
from gateway.errors import BadRequest
from gateway.models import Page


def to_page(
    result: tuple[list[Row], int, bool] | None,
    limit: int,
    offset: int,
    serialize: Callable[[Row], dict[str, Any]],
    what: str,
) -> Page:
    if result is None:
        raise BadRequest(f"starting_after: no such {what}")
    rows, total, has_more = result
    return Page(data=[serialize(row) for row in rows], total=total, limit=limit, offset=offset, has_more=has_more)
