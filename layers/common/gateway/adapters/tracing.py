"""X-Ray traces through Powertools' Tracer, with the ids of what a function works on annotated, and
the same ids on every log line the record's thread writes.

In AWS (`Tracing: Active`) each invocation gets a `## <handler>` subsegment; each queue record its own
`## <record>` subsegment; botocore calls are traced and carry the trace header, so SQS hands it on as
AWSTraceHeader and API → SQS → consumer → webhook link up. Annotations (`merchant_id`, `payment_id`,
`refund_id`, `event_id`, `webhook_log_id`, …) are indexed: the X-Ray console finds a payment's traces
with `annotation.payment_id = "pay_…"`.

Only botocore is patched: httpx's patch would put our trace header on merchants' webhook requests,
and the psycopg patch wraps connections in a proxy that costs each statement a subsegment. Responses
are never recorded (an API reply can carry a freshly rotated secret).

Outside Lambda (tests, the local runtime) Powertools disables tracing; then the X-Ray SDK is not even
imported, as importing it creates two botocore clients (~0.3 s on this machine).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Tracer

PATCHED_MODULES = ("botocore",)

Handler = TypeVar("Handler", bound=Callable[..., Any])


@functools.cache
def active_tracer() -> Tracer | None:
    """The process's Tracer when tracing is on, created on first use (after Lambda's environment)."""
    # Powertools' own rule: in Lambda, not under `sam local`, not POWERTOOLS_TRACE_DISABLED.
    return None if Tracer._is_tracer_disabled() else Tracer(patch_modules=PATCHED_MODULES)


def traced(handler: Handler) -> Handler:
    """Powertools' capture_lambda_handler (response not recorded) when tracing is on."""
    captured: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        nonlocal captured
        if captured is None:
            tracer = active_tracer()
            captured = tracer.capture_lambda_handler(handler, capture_response=False) if tracer else handler
        return captured(event, context)

    return run  # type: ignore[return-value]


def annotate(**ids: str) -> None:
    """Indexed annotations on the current (sub)segment; nothing when tracing is off."""
    tracer = active_tracer()
    if tracer is None:
        return
    for key, value in ids.items():
        tracer.put_annotation(key, value)


@contextmanager
def record_scope(logger: Logger, name: str, **ids: str) -> Iterator[None]:
    """One queue record's work: its ids on every log line of this thread (shared code's lines too:
    Powertools keeps thread-safe keys per thread, whichever logger writes) and on a subsegment of its
    own. Worker threads are reused, so the previous record's ids are cleared first."""
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(**ids)
    tracer = active_tracer()
    try:
        if tracer is None:
            yield
            return
        with tracer.provider.in_subsegment(name=f"## {name}"):
            annotate(**ids)
            yield
    finally:
        logger.thread_safe_clear_keys()
