"""Settlements on the real Postgres, through the API, the scheduled run and the webhook consumer:
a merchant's available entries are paid out once, atomically, and never a negative balance."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import psycopg
import pytest
import relay_outbox_handler

from devstack.schedules import scheduled_event
from gateway.domain import settlements
from tests.integration.test_ledger import (
    OTHER,
    OTHER_ID,
    _balance,
    _capture,
    _entries,
    _other_merchant,
    _paid,
    _process,
    _refund,
)
from tests.support import TEST_MERCHANT_ID, TOPOLOGY, Gateway, WebhookReceiver, deliver_once, lambda_context

SETL_ID = re.compile(r"^setl_[A-Za-z0-9]{16}$")
RUN = "/api/v1/test/settlements/run"
NO_CREDENTIALS = {"x-api-key": None, "x-api-secret": None}


def _captured(gateway: Gateway, amount: int, **headers: str) -> dict[str, Any]:
    payment = _paid(gateway, amount, **headers)
    assert _capture(gateway, payment, **headers).status == 200
    return payment


def _settlement_rows(gateway: Gateway) -> list[dict[str, Any]]:
    return gateway.rows("SELECT id, merchant_id::text AS merchant_id, amount, status FROM settlements ORDER BY id")


def test_a_settlement_pays_out_the_available_entries_with_their_sums(gateway: Gateway) -> None:
    first, second = _captured(gateway, 100_000), _captured(gateway, 50_000, method="card")
    refund = _refund(gateway, first, 10_000)
    assert _process(refund) == "processed"
    assert _balance(gateway) == (97_640 + 48_820 - 10_000, 0)

    reply = gateway.api("POST", RUN)
    assert reply.status == 200, reply.body
    settlement = reply.json
    assert SETL_ID.match(settlement["id"]) and settlement["status"] == "processed"
    assert settlement["processed_at"] is not None and settlement["currency"] == "INR"
    settled = [e for e in _entries(gateway, f"&settlement_id={settlement['id']}") if e["type"] != "settlement"]
    assert {e["source_id"] for e in settled} == {first["id"], second["id"], refund["id"]}
    assert settlement["amount"] == sum(e["net"] for e in settled) == 136_460
    assert settlement["fees"] == sum(e["fee"] for e in settled) == 3_000
    assert settlement["tax"] == sum(e["tax"] for e in settled) == 540
    assert settlement["entries"] == len(settled) == 3

    # Its own entry: -amount, no fee, settled by it, available at once; the balance is 0.
    [entry] = _entries(gateway, "&type=settlement")
    assert (entry["source_id"], entry["settlement_id"]) == (settlement["id"], settlement["id"])
    assert (entry["amount"], entry["fee"], entry["tax"], entry["net"]) == (-136_460, 0, 0, -136_460)
    assert datetime.fromisoformat(entry["available_on"]) <= datetime.fromisoformat(entry["created_at"])
    assert _balance(gateway) == (0, 0)
    assert gateway.api("GET", f"/api/v1/settlements/{settlement['id']}").json == settlement

    # Nothing is left to settle: a second run is 204, and pays nothing twice.
    assert gateway.api("POST", RUN).status == 204
    assert len(_settlement_rows(gateway)) == 1


def test_a_negative_available_balance_is_carried_forward(gateway: Gateway) -> None:
    payment = _captured(gateway, 100_000)
    assert _process(_refund(gateway, payment, 100_000)) == "processed"
    assert _balance(gateway) == (-2_360, 0)
    assert gateway.api("POST", RUN).status == 204
    assert _settlement_rows(gateway) == []
    assert _balance(gateway) == (-2_360, 0)
    assert all(e["settlement_id"] is None for e in _entries(gateway))
    # Later credits that outweigh the debt settle together with it.
    _captured(gateway, 10_000)
    reply = gateway.api("POST", RUN)
    assert reply.status == 200 and reply.json["amount"] == 9_764 - 2_360 and reply.json["entries"] == 3
    assert _balance(gateway) == (0, 0)


def test_pending_entries_are_left_for_a_later_settlement(gateway: Gateway, setting: Callable[[str, str], None]) -> None:
    _captured(gateway, 100_000)  # available at once (test mode)
    setting("SETTLEMENT_DELAY_SECONDS", "172800")
    later = _captured(gateway, 50_000)
    reply = gateway.api("POST", RUN)
    assert reply.status == 200 and (reply.json["amount"], reply.json["entries"]) == (97_640, 1)
    assert _balance(gateway) == (0, 48_820)
    [pending] = _entries(gateway, f"&source_id={later['id']}")
    assert pending["settlement_id"] is None


def test_concurrent_runs_settle_once(gateway: Gateway) -> None:
    for amount in (100_000, 20_000, 3_000):
        _captured(gateway, amount)
    available, _ = _balance(gateway)

    def run(n: int) -> Any:
        if n % 3 == 0:
            return gateway.api("POST", RUN).status
        if n % 3 == 1:
            return relay_outbox_handler.lambda_handler({"job": "settle"}, lambda_context())["settled"]
        return settlements.settle(TEST_MERCHANT_ID)

    with ThreadPoolExecutor(max_workers=9) as pool:
        outcomes = list(pool.map(run, range(9)))
    successes = [o for o in outcomes if o not in (204, 0, None)]
    assert len(successes) == 1, outcomes
    [row] = _settlement_rows(gateway)
    assert row["amount"] == available and row["status"] == "processed"
    assert gateway.rows("SELECT count(*) AS n FROM balance_transactions WHERE type = 'settlement'") == [{"n": 1}]
    assert gateway.rows("SELECT count(*) AS n FROM events WHERE type = 'settlement.processed'") == [{"n": 1}]
    assert _balance(gateway) == (0, 0)


def test_the_scheduled_run_settles_every_merchant(gateway: Gateway) -> None:
    _other_merchant(gateway)
    _captured(gateway, 100_000)
    _captured(gateway, 50_000, **OTHER)
    [schedule] = [s for s in TOPOLOGY.schedules if s.event_id == "DailySettlement"]
    event = scheduled_event(schedule, "ap-south-1")  # the template's Input, as EventBridge sends it
    assert event == {"job": "settle"}
    assert relay_outbox_handler.lambda_handler(event, lambda_context()) == {
        "settled": 2,
        "carried_forward": 0,
        "failed": 0,
    }
    assert sorted((r["merchant_id"], r["amount"]) for r in _settlement_rows(gateway)) == sorted(
        [(TEST_MERCHANT_ID, 97_640), (OTHER_ID, 48_820)]
    )
    assert _balance(gateway) == (0, 0) and _balance(gateway, **OTHER) == (0, 0)
    assert relay_outbox_handler.lambda_handler(event, lambda_context())["settled"] == 0
    # The every-minute schedule still runs the relay, not a settlement.
    [sweep] = [s for s in TOPOLOGY.schedules if s.event_id == "EveryMinute"]
    assert "relayed" in relay_outbox_handler.lambda_handler(scheduled_event(sweep, "ap-south-1"), lambda_context())


def test_another_merchants_settlement_is_404_and_unlisted(gateway: Gateway) -> None:
    _other_merchant(gateway)
    _captured(gateway, 50_000, **OTHER)
    theirs = gateway.api("POST", RUN, headers=OTHER).json
    assert gateway.api("GET", f"/api/v1/settlements/{theirs['id']}", headers=OTHER).status == 200
    mine = gateway.api("GET", f"/api/v1/settlements/{theirs['id']}")
    assert mine.status == 404 and mine.json["error"]["code"] == "NOT_FOUND_ERROR"
    assert gateway.api("GET", "/api/v1/settlements/setl_doesnotexist00").status == 404
    assert gateway.api("GET", "/api/v1/settlements").json["data"] == []
    assert gateway.api("POST", RUN).status == 204, "the test route settles the caller's balance only"


def test_the_list_filters_and_pages(gateway: Gateway) -> None:
    made = []
    for amount in (10_000, 20_000, 30_000):
        _captured(gateway, amount)
        made.append(gateway.api("POST", RUN).json["id"])
    page = gateway.api("GET", "/api/v1/settlements?limit=2").json
    assert [s["id"] for s in page["data"]] == made[::-1][:2] and page["has_more"] and page["total"] == 3
    rest = gateway.api("GET", f"/api/v1/settlements?limit=2&starting_after={made[1]}").json
    assert [s["id"] for s in rest["data"]] == [made[0]] and not rest["has_more"]
    assert gateway.api("GET", "/api/v1/settlements?status=created").json["data"] == []
    assert len(gateway.api("GET", "/api/v1/settlements?status=processed").json["data"]) == 3
    assert gateway.api("GET", "/api/v1/settlements?from=2999-01-01T00:00:00").json["data"] == []
    for bad in ("status=paid", "limit=0", "colour=red", "starting_after=setl_nope", "from=yesterday"):
        reply = gateway.api("GET", f"/api/v1/settlements?{bad}")
        assert reply.status == 400, (bad, reply.body)
        assert "error" in reply.json


def test_settlement_processed_is_recorded_once_and_delivered(gateway: Gateway, receiver: WebhookReceiver) -> None:
    gateway.set_webhook_url(receiver.url)
    _captured(gateway, 100_000)
    settlement = gateway.api("POST", RUN).json
    assert gateway.api("POST", RUN).status == 204
    [event] = gateway.api("GET", "/api/v1/events?type=settlement.processed").json["data"]
    [log] = gateway.rows("SELECT id FROM webhook_logs WHERE event = 'settlement.processed'")
    assert deliver_once(str(log["id"])) == "success"
    [delivered] = [r for r in receiver.received if r.json["event"] == "settlement.processed"]
    assert delivered.headers["webhook-id"] == event["id"]
    assert delivered.json["data"]["settlement"] == settlement


def test_the_test_route_is_private_and_local_only(gateway: Gateway, setting: Callable[[str, str], None]) -> None:
    assert gateway.api("POST", RUN, headers=NO_CREDENTIALS).status == 401
    setting("STAGE", "prod")
    assert gateway.api("POST", RUN).status == 404


def test_the_schema_refuses_a_bad_settlement(gateway: Gateway) -> None:
    insert = (
        "INSERT INTO settlements (id, merchant_id, amount, fees, tax, entries, currency)"
        " VALUES (%s, %s, %s, 0, 0, %s, 'INR')"
    )
    for amount, entries in ((0, 1), (-5, 1), (5, 0)):
        with pytest.raises(psycopg.errors.CheckViolation):
            gateway.execute(insert, (f"setl_bad{amount}{entries}", TEST_MERCHANT_ID, amount, entries))
    with pytest.raises(psycopg.errors.CheckViolation):
        gateway.execute(
            "INSERT INTO balance_transactions (id, merchant_id, type, source_id, amount, fee, tax, net, currency,"
            " available_on) VALUES ('txn_s', %s, 'settlement', 'setl_x', -5, 0, 0, -5, 'INR', now())",
            (TEST_MERCHANT_ID,),
        )
