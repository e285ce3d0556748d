"""Who a merchant is to the rest of the domain: the `Merchant` value an authenticated request or a
queue record carries, and reading it in a transaction. Apart from merchants.py (authentication,
sign-in, credentials) so that a queue consumer, which records events for a merchant, loads none of
that at its cold start."""

from __future__ import annotations

from typing import NamedTuple

from gateway.adapters import merchant_store
from gateway.adapters.postgres import Tx


class Merchant(NamedTuple):
    """The authenticated caller; deliberately without the API secret or the webhook secret. Its
    webhook endpoints (the default one included) are read where an event is recorded, by the
    statement that records it, so recording an event needs no second read of the merchant."""

    id: str
    name: str
    email: str
    api_key: str

    @classmethod
    def from_row(cls, row: merchant_store.MerchantRow) -> Merchant:
        return cls(id=row.id, name=row.name, email=row.email, api_key=row.api_key)


def merchant_in(tx: Tx, merchant_id: str) -> Merchant:
    """A merchant that rows in `tx` refer to (consumers recording events for it)."""
    row = merchant_store.merchant_by_id(tx, merchant_id)
    assert row is not None, "rows refer to their merchant by foreign key"
    return Merchant.from_row(row)
