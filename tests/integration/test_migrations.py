import hashlib

from devstack.test_merchant import TEST_MERCHANT, seed_test_merchant
from gateway.adapters.migrations import migrate, migration_files
from tests.support import Gateway


def test_migrations_and_seed_are_idempotent(gateway: Gateway) -> None:
    # The session already migrated this database: running again applies nothing and changes nothing.
    assert migrate(gateway.database_url) == []
    seed_test_merchant(gateway.database_url)
    seed_test_merchant(gateway.database_url)
    versions = [row["version"] for row in gateway.rows("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [version for version, _ in migration_files()]
    merchants = gateway.rows(
        "SELECT m.id::text, email, api_key, api_secret_hash, secret AS webhook_secret FROM merchants m"
        " JOIN webhook_endpoints e ON e.merchant_id = m.id AND e.is_default"
    )
    assert merchants == [
        {
            **{key: TEST_MERCHANT[key] for key in ("id", "email", "api_key", "webhook_secret")},
            "api_secret_hash": hashlib.sha256(TEST_MERCHANT["api_secret"].encode()).hexdigest(),
        }
    ]


def test_the_schema_refuses_money_that_is_not_a_positive_integer(gateway: Gateway) -> None:
    import psycopg
    import pytest

    order = gateway.create_order()
    with pytest.raises(psycopg.errors.CheckViolation):
        gateway.execute("UPDATE orders SET amount = 50 WHERE id = %s", (order["id"],))
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        gateway.execute("UPDATE orders SET amount = '100.5' WHERE id = %s", (order["id"],))
