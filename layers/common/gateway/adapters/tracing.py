"""The ids of what a function works on (merchant_id, order_id, payment_id, refund_id, event_id,
webhook_log_id, …) on every log line written while it works on them.

No tracing SDK is loaded: the X-Ray SDK for Python is in maintenance mode and its import alone cost
~290 ms of every cold start. What Lambda itself does with `Tracing: Active` stays: it records each
invocation's segment, and botocore (the runtime's, with no SDK) copies the invocation's
`_X_AMZN_TRACE_ID` onto every AWS call as the `X-Amzn-Trace-Id` header, so SQS hands the trace on as
`AWSTraceHeader` and API → SQS → consumer link up in X-Ray. A payment is found in CloudWatch Logs
Insights by its id (`filter payment_id = "pay_…"`), on every line of every function it went through.

The ids live in Powertools' thread-local log keys (one context per thread, whichever logger writes),
inside an invocation (`traced`) or a queue record's work (`record_scope`); outside both, `annotate`
does nothing, so no id outlives the work it names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging.formatter import clear_context_keys, set_context_keys

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

Handler = TypeVar("Handler", bound=Callable[..., Any])

# Set while an invocation or a record's work runs in this thread (or this context's copy of it).
_in_scope: ContextVar[bool] = ContextVar("gateway_tracing_scope", default=False)


def traced(handler: Handler) -> Handler:
    """The invocation's ids (`annotate`) on every later line it writes, and on none of the next one's."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        clear_context_keys()
        token = _in_scope.set(True)
        try:
            return handler(event, context)
        finally:
            _in_scope.reset(token)
            clear_context_keys()

    return run  # type: ignore[return-value]


def annotate(**ids: str) -> None:
    """These ids on every later log line of the current invocation or record (nothing outside one)."""
    if _in_scope.get():
        set_context_keys(**ids)  # type: ignore[arg-type]


@contextmanager
def record_scope(logger: Logger, name: str, **ids: str) -> Iterator[None]:
    """One queue record's work (`name`, e.g. "process payment"): its ids on every log line of this
    thread (shared code's lines too: Powertools keeps thread-safe keys per thread, whichever logger
    writes). Worker threads are reused, so the previous record's ids are cleared first."""
    logger.thread_safe_clear_keys()
    logger.thread_safe_append_keys(**ids)
    token = _in_scope.set(True)
    try:
        yield
    finally:
        _in_scope.reset(token)
        logger.thread_safe_clear_keys()
