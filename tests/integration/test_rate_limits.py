"""Request budgets per merchant, credential and kind of request, kept in the real Postgres; sign-in
lockouts per email and per source address."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.support import ROOT, TEST_MERCHANT_ID, Gateway

NO_KEYS = {"x-api-key": None, "x-api-secret": None}


def _limit(gateway: Gateway, reads: int | None = None, writes: int | None = None, period: int | None = None) -> None:
    gateway.execute(
        "UPDATE merchants SET rate_limit_reads = %s, rate_limit_writes = %s, rate_limit_period_seconds = %s"
        " WHERE id = %s",
        (reads, writes, period, TEST_MERCHANT_ID),
    )


def test_every_authenticated_reply_names_its_budget(gateway: Gateway) -> None:
    first = gateway.api("GET", "/api/v1/payments")
    second = gateway.api("GET", "/api/v1/payments")
    assert first.headers["RateLimit-Limit"] == "100"
    assert int(first.headers["RateLimit-Remaining"]) == 99
    assert int(second.headers["RateLimit-Remaining"]) in (98, 99)  # one token may have refilled meanwhile
    assert 0 <= int(first.headers["RateLimit-Reset"]) <= 1
    # Not for requests that were never authenticated.
    refused = gateway.api("GET", "/api/v1/payments", headers={"x-api-secret": "wrong"})
    assert refused.status == 401 and "RateLimit-Limit" not in refused.headers


def test_writes_past_the_budget_get_429_with_retry_after(gateway: Gateway) -> None:
    # Given a merchant allowed 3 writes a minute
    _limit(gateway, writes=3, period=60)
    created = [gateway.api("POST", "/api/v1/orders", {"amount": 100}) for _ in range(3)]
    assert [r.status for r in created] == [201, 201, 201]
    assert [r.headers["RateLimit-Remaining"] for r in created] == ["2", "1", "0"]
    # When it writes a fourth time
    refused = gateway.api("POST", "/api/v1/orders", {"amount": 100})
    # Then it is refused in the error envelope, told when to come back, and nothing was written
    assert refused.status == 429
    assert refused.json == {"error": {"code": "RATE_LIMITED", "description": refused.json["error"]["description"]}}
    assert "3 per 60 s" in refused.json["error"]["description"]
    assert 15 <= int(refused.headers["Retry-After"]) <= 20  # a token every 20 s
    assert refused.headers["RateLimit-Limit"] == "3" and refused.headers["RateLimit-Remaining"] == "0"
    assert 55 <= int(refused.headers["RateLimit-Reset"]) <= 60
    assert gateway.count("orders") == 3
    # Reads have their own budget, and so do dashboard sessions.
    assert gateway.api("GET", "/api/v1/orders").status == 200
    session = gateway.api(
        "POST", "/api/v1/auth/login", {"email": "test@example.com", "password": "password123"}, headers=NO_KEYS
    ).json
    bearer = {**NO_KEYS, "authorization": f"Bearer {session['token']}"}
    assert gateway.api("POST", "/api/v1/orders", {"amount": 100}, headers=bearer).status == 201


def test_the_budget_refills_over_the_period(gateway: Gateway) -> None:
    _limit(gateway, writes=2, period=60)
    assert [gateway.api("POST", "/api/v1/orders", {"amount": 100}).status for _ in range(3)] == [201, 201, 429]
    # Half a minute later one token is back (the bucket's clock moved back instead of sleeping).
    gateway.execute("UPDATE rate_limit_buckets SET updated_at = updated_at - interval '30 seconds'")
    assert [gateway.api("POST", "/api/v1/orders", {"amount": 100}).status for _ in range(2)] == [201, 429]


def test_a_wrong_secret_spends_nobody_s_budget(gateway: Gateway) -> None:
    _limit(gateway, reads=1, period=60)
    for _ in range(5):
        assert gateway.api("GET", "/api/v1/orders", headers={"x-api-secret": "wrong"}).status == 401
    assert gateway.api("GET", "/api/v1/orders").status == 200


_BURST = """
import json, sys
sys.path[:0] = ["functions/api", "layers/common", "."]
from tests.support import Gateway
from devstack.emulator import QueueSet
gateway = Gateway(sys.argv[1], QueueSet({}, {}, {}))
statuses = [gateway.api("POST", "/api/v1/orders", {"amount": 100}).status for _ in range(10)]
print(json.dumps(statuses))
"""


def test_the_budget_is_shared_by_api_processes(gateway: Gateway) -> None:
    # Given 8 writes a minute, and two API processes (two Lambda containers) writing 10 times each at once
    _limit(gateway, writes=8, period=60)
    env: dict[str, Any] = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions/api'}:{ROOT / 'layers/common'}:{ROOT}"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _BURST, gateway.database_url], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    statuses = [status for output in outputs for status in json.loads(output.splitlines()[-1])]
    # Then together they got exactly the 8, not 8 each
    assert sorted(statuses).count(201) == 8 and statuses.count(429) == 12, statuses
    assert gateway.count("orders") == 8


def test_sign_in_locks_an_email_out_after_five_failures(gateway: Gateway) -> None:
    def sign_in(password: str, address: str = "198.51.100.7", email: str = "test@example.com") -> Any:
        body = {"email": email, "password": password}
        return gateway.api("POST", "/api/v1/auth/login", body, headers=NO_KEYS, source_ip=address)

    assert [sign_in("wrong").status for _ in range(5)] == [401] * 5
    locked = sign_in("password123")  # the right password, during the lockout
    assert locked.status == 429 and locked.json["error"]["code"] == "RATE_LIMITED"
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    assert "token" not in locked.body
    # From another address too: the lock is on the email.
    assert sign_in("password123", address="203.0.113.9").status == 429
    # Once the lockout has run out, the right password works and clears the count.
    gateway.execute("UPDATE sign_in_failures SET locked_until = now() WHERE subject LIKE 'email:%%'")
    assert sign_in("password123").status == 200
    assert gateway.rows("SELECT count(*) AS n FROM sign_in_failures WHERE subject LIKE 'email:%%'") == [{"n": 0}]


def test_sign_in_locks_an_address_out_after_twenty_failures(gateway: Gateway) -> None:
    # Given one address guessing at many emails (never five times the same)
    for n in range(20):
        reply = gateway.api(
            "POST",
            "/api/v1/auth/login",
            {"email": f"guess{n // 4}@example.com", "password": "x"},
            headers=NO_KEYS,
            source_ip="198.51.100.8",
        )
        assert reply.status == 401, (n, reply.body)
    # Then that address is locked out, even for a real account; another address is not
    body = {"email": "test@example.com", "password": "password123"}
    assert gateway.api("POST", "/api/v1/auth/login", body, headers=NO_KEYS, source_ip="198.51.100.8").status == 429
    assert gateway.api("POST", "/api/v1/auth/login", body, headers=NO_KEYS, source_ip="198.51.100.9").status == 200
