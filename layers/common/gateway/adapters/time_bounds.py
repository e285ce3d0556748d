"""Every outbound call's time bound, in one place (README, "Time bounds").

A request must answer within a second whatever a dependency does: a queue send after the commit may
fail fast, because the outbox row it announces is already committed and the relay sends it later.
Background work (the relay, consumers' retries) may wait longer, as nobody waits on it.
"""

from __future__ import annotations

from typing import NamedTuple

from botocore.config import Config


class Bound(NamedTuple):
    connect_seconds: float
    read_seconds: float
    attempts: int

    def boto_config(self) -> Config:
        return Config(
            connect_timeout=self.connect_seconds,
            read_timeout=self.read_seconds,
            retries={"total_max_attempts": self.attempts, "mode": "standard"},
        )


# A queue send right after a commit, on a request's path: one try; the outbox keeps what fails.
QUEUE_SEND_AFTER_COMMIT = Bound(connect_seconds=0.25, read_seconds=0.5, attempts=1)
# After a failed send, requests skip the queue for this long and leave their messages to the relay,
# so a dead endpoint costs one request its bound, not every request.
QUEUE_CIRCUIT_OPEN_SECONDS = 5.0
# The relay's sends and every other queue call off the request path.
QUEUE_BACKGROUND = Bound(connect_seconds=2, read_seconds=5, attempts=3)
# The relay drains an outbox backlog page after page until this much of its invocation is left
# (RelayOutboxFunction's timeout is 60 s: about 40 s of sending a run), for its other tasks: the
# re-enqueue sweeps and the bounded purges, each statement within DATABASE_STATEMENT_TIMEOUT_MS.
RELAY_RESERVED_SECONDS = 20
# /health: each dependency is checked concurrently and reported down past this.
HEALTH_CHECK_SECONDS = 0.8
SCHEDULER = Bound(connect_seconds=2, read_seconds=5, attempts=3)
# S3 calls (object_store): a part of 8 MiB takes well under a second on AWS's network; a slow
# moment is retried, and nobody waits on a report being written.
OBJECT_STORE = Bound(connect_seconds=2, read_seconds=30, attempts=3)
# Read once per cold start (database credentials, session signing key).
SECRETS_MANAGER = Bound(connect_seconds=2, read_seconds=5, attempts=3)
# A connection attempt. Aurora Serverless v2 paused at 0 ACU (the lean profile) resumes on the first
# attempt and answers it once resumed, "typically approximately 15 seconds" (30 s or more after a
# day paused; AWS asks for client timeouts above 15 s). 20 s rides out a usual resume, so the first
# request after a pause succeeds and a consumer's record is not sent round the visibility timeout,
# while the API still answers (a 503 with Retry-After) well inside API Gateway's 29-30 s and the
# functions' 30 s timeout. A refused connection (a restart, a failover) fails at once: also a 503.
DATABASE_CONNECT_SECONDS = 20
# Retry-After on a DATABASE_UNAVAILABLE 503: about one resume.
DATABASE_RETRY_AFTER_SECONDS = 15
# Per statement, and for a transaction left idle by a killed holder (it frees its locks). Both are the
# database role's defaults (`ALTER ROLE … SET`, applied by every migration run from these values, see
# migrations.apply_session_defaults): a new session starts with them, and no connection sends a SET,
# which would pin it to one database connection behind RDS Proxy.
DATABASE_STATEMENT_TIMEOUT_MS = 10_000
DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000
# Webhook posts: Settings.webhook_timeout_seconds (5 s) of wall clock for each post's whole exchange
# (connection, TLS, request, the answer's headers and body), whatever the receiver does: every socket
# operation gets at most the time left (webhook_http's deadline backend), so a receiver that drips its
# answer a byte a second is cut at 5 s (a timeout, retried). At most webhook_http.RESPONSE_BODY_LIMIT
# bytes of an answer are read. Redirects are not followed. No database transaction is open meanwhile.
# A delivery is claimed for this long before its post (webhook_delivery.deliver_batch). A live consumer needs a
# few seconds for claim, post (5 s at most) and record; 30 s covers that with the database slow (10 s
# statements), and should it ever lapse under a live consumer, the worst is a second post of the same
# webhook-id, which receivers dedupe. It must stay short because a crashed consumer's claims count
# against their endpoints' in-flight cap until they expire: 90 s stalled an endpoint's deliveries for
# 90 s after a crash (the fault battery's restart scenario took 93 s). Shorter than the webhook
# queues' 360 s visibility timeout, so a crashed consumer's redelivered message finds it expired.
WEBHOOK_CLAIM_LEASE_SECONDS = 30
