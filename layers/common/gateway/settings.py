"""Runtime settings, validated once per cold start from the environment.

A plain pydantic model filled from the process environment (each field from the variable of its
name, in any case: `database_url` from DATABASE_URL), as pydantic-settings did without its CLI,
dotenv and cloud-provider sources, which cost ~60 ms of every cold start. Keyword arguments win
over the environment (tests build Settings(test_mode=False) under TEST_MODE=true). No `from
__future__ import annotations`: pydantic would evaluate each field's annotation from its string.
"""

import os
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from gateway.catalog import QUEUES


def _from_environment(names: frozenset[str]) -> dict[str, str]:
    """The variables named like these fields, in any case (upper case first when both are set)."""
    found: dict[str, str] = {}
    for key, value in os.environ.items():
        name = key.lower()
        if name in names and (name not in found or key.isupper()):
            found[name] = value
    return found


class Settings(BaseModel):
    # As BaseSettings had it: unknown names ignored, defaults validated too.
    model_config = ConfigDict(extra="ignore", validate_default=True)

    # Settings whose empty default is a valid value in AWS, so a deployed function may lack them:
    # the URL and key alternatives to their Secrets Manager secrets, no cross-origin dashboard (it
    # is served under the API's origin), the secret's own host (an existing database without a
    # proxy), and test-only knobs. Every other setting a function reads must be in its environment
    # in template.yaml; tests/integration/test_aws_parity.py checks that against real reads.
    EMPTY_IS_VALID: ClassVar[frozenset[str]] = frozenset(
        {
            "database_url",
            "session_signing_key",
            "dashboard_origins",
            "database_host",
            "webhook_retry_delays_test",
            "local_metrics_file",
        }
    )

    stage: str = "local"
    # Either a full URL (local runtime, tests) or a Secrets Manager secret (AWS).
    database_url: str | None = None
    database_secret_arn: str | None = None
    # With the secret: connect here instead of the secret's host (RDS Proxy in front of Aurora).
    database_host: str = ""

    payments_queue_url: str = ""
    refunds_queue_url: str = ""
    webhooks_queue_url: str = ""
    # Deliveries to endpoints that are failing: their own queue and consumers (the slow lane).
    webhooks_slow_queue_url: str = ""
    # Report requests (their consumer writes the CSVs to reports_bucket).
    reports_queue_url: str = ""
    payments_dlq_url: str = ""
    refunds_dlq_url: str = ""
    webhooks_dlq_url: str = ""

    # The private bucket of generated reports (ReportsBucket in template.yaml).
    reports_bucket: str = ""
    # How long a report's download link works (a presigned GET; a new one with every GET of the report).
    report_link_seconds: int = Field(default=900, ge=1, le=3600)
    # Dispute evidence merchants upload (presigned PUTs); kept, unlike reports.
    evidence_bucket: str = ""

    # Origins of the hosted checkout, comma-separated: they may call the public endpoints (CORS).
    checkout_origins: str = ""

    # Signs dashboard session tokens; the local runtime has a fixed development key.
    session_signing_key: str = ""
    session_signing_secret_arn: str = ""
    session_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Origins of the operator dashboard, comma-separated (CORS for the dashboard's routes).
    dashboard_origins: str = ""
    # The value the dashboard's CloudFront distribution puts in X-Gateway-Edge; empty: no request is
    # trusted to carry the viewer's address (CloudFront-Viewer-Address), the connection's is used.
    edge_origin_token: str = ""

    test_mode: bool = False
    test_processing_delay: int = Field(default=1000, ge=0, description="milliseconds, TEST_MODE only")
    test_payment_success: bool = True
    webhook_retry_intervals_test: bool = False
    # Local runtime only: explicit waits before attempts 2..5, e.g. "1,1,1,1" for tests of failed deliveries.
    webhook_retry_delays_test: str = Field(default="", pattern=r"^(\d+,){3}\d+$|^$")

    webhooks_slow_queue_arn: str = ""
    webhook_schedule_group: str = ""
    webhook_scheduler_role_arn: str = ""
    # Payment links' expiry: one-time schedules in this group put a message on the payments queue.
    payments_queue_arn: str = ""
    payment_link_schedule_group: str = ""
    payment_link_scheduler_role_arn: str = ""
    # A dispute's deadline is a one-time schedule in this group that puts a job on the refunds queue.
    dispute_schedule_group: str = ""
    dispute_scheduler_role_arn: str = ""
    refunds_queue_arn: str = ""

    # A payment left in `processing` longer than this was abandoned by a crashed consumer.
    # > ProcessPaymentFunction's 60 s timeout, and far beyond the bank's longest wait (10 s, the reply's
    # message timer): a reply that arrives later than this finds its claim taken over by the sweep.
    processing_lease_seconds: int = 90
    # Pending work no message has come for in this long was lost (a payment job, a webhook retry):
    # the relay re-enqueues it. Shorter only in the fault battery, which loses messages on purpose.
    stuck_after_seconds: int = Field(default=120, ge=1)
    # Each webhook post's whole exchange (connect, send, the answer read), wall clock.
    webhook_timeout_seconds: float = 5.0
    # A rotated webhook secret keeps signing beside the new one this long (Standard Webhooks' several
    # signatures), so a merchant can roll its receivers without dropping deliveries.
    webhook_secret_grace_seconds: int = Field(default=86_400, ge=0)
    # A captured payment's net becomes available (settleable) this long after capture (T+2 days).
    # Unset in test mode: 0, so a test or `make dev` run sees its money available at once.
    settlement_delay_seconds: int = Field(default=172_800, ge=0, le=31_536_000)
    # How long a merchant has to contest a dispute (respond_by = opened + this); seven days.
    dispute_response_seconds: int = Field(default=604_800, ge=1, le=31_536_000)
    # Local runs only: metric lines are also appended here (AWS reads them from the log).
    local_metrics_file: str = ""
    # The local runtime allows webhooks to loopback and private addresses; true turns AWS's guard on.
    # Everywhere else the guard is always on, test mode or not.
    webhook_url_guard: bool = False

    def __init__(self, **values: Any) -> None:
        super().__init__(**{**_from_environment(_FIELD_NAMES), **values})

    @property
    def webhook_retry_delays(self) -> tuple[int, ...]:
        """Seconds before attempts 2..5, each counted from the failure before it."""
        if self.webhook_retry_delays_test and self.is_local:
            return tuple(int(part) for part in self.webhook_retry_delays_test.split(","))
        return (5, 10, 15, 20) if self.webhook_retry_intervals_test else (60, 300, 1800, 7200)

    @property
    def settlement_delay(self) -> int:
        """Seconds from a payment's capture until its net is available."""
        if self.test_mode and "settlement_delay_seconds" not in self.model_fields_set:
            return 0
        return self.settlement_delay_seconds

    @property
    def is_local(self) -> bool:
        """The local runtime (and tests): only here are protections relaxed. Test mode is not enough:
        it changes how payments are simulated, never what is protected, so a deployed stack given
        TEST_MODE=true keeps its URL guard, its signing key and no test routes."""
        return self.stage == "local"

    @property
    def test_routes_enabled(self) -> bool:
        return self.is_local

    @property
    def allows_private_webhook_urls(self) -> bool:
        return self.is_local and not self.webhook_url_guard

    @property
    def checkout_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.checkout_origins.split(",") if origin.strip()]

    @property
    def dashboard_origin_list(self) -> list[str]:
        return [origin.strip() for origin in self.dashboard_origins.split(",") if origin.strip()]

    @property
    def local_session_key(self) -> str | None:
        """The key set directly, or the fixed development key in the local runtime."""
        if self.session_signing_key:
            return self.session_signing_key
        return "local-development-session-key-not-for-production" if self.is_local else None

    def queue_url(self, queue: str) -> str:
        """The URL of a queue by its outbox name (gateway.catalog.QUEUES: `<name>_queue_url`)."""
        url = getattr(self, f"{queue}_queue_url", "") if queue in QUEUES else ""
        if not url:
            raise RuntimeError(f"no URL configured for queue {queue!r}")
        return str(url)


_FIELD_NAMES = frozenset(Settings.model_fields)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
