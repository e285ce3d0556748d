"""The SSRF guard switched on in a running local stack (WEBHOOK_URL_GUARD=true), as it is in AWS:
URLs that reach loopback or metadata addresses, embedded in IPv6 or not, are refused over HTTP.
Checked by what it refuses; nothing is sent to those addresses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import LocalStack, running_stack
from tests.support import AUTH

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def guarded_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(Path(tmp_path_factory.mktemp("guarded")), {"WEBHOOK_URL_GUARD": "true"}) as stack:
        yield stack


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://[2002:7f00:1::]/hook",
    ],
)
def test_webhook_urls_reaching_internal_addresses_are_refused(guarded_stack: LocalStack, url: str) -> None:
    response = httpx.put(
        f"{guarded_stack.url}/api/v1/merchant/webhook", json={"webhook_url": url}, headers=AUTH, timeout=10
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "BAD_REQUEST_ERROR",
        "description": "webhook_url must resolve to a public address",
    }
