"""One way every function logs an unexpected error (gateway.errors.log_fields: no DETAIL line, no
values) and lets Lambda report it (a FunctionFailed carrying the summary, not the original)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from gateway.errors import FunctionFailed, log_fields, summary

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

Handler = TypeVar("Handler", bound=Callable[..., Any])


# Powertools names the frame that called it as the line's location (stacklevel 2): one more names
# the caller of these helpers.
_CALLER = 3


def log_error(logger: Logger, message: str, error: BaseException, **extra: Any) -> None:
    logger.error(message, extra={**log_fields(error), **extra}, stacklevel=_CALLER)


def log_warning(logger: Logger, message: str, error: BaseException, **extra: Any) -> None:
    logger.warning(message, extra={**log_fields(error), **extra}, stacklevel=_CALLER)


def reported(logger: Logger) -> Callable[[Handler], Handler]:
    """A handler whose unexpected error is logged the one way and re-raised as its summary only."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(event: Any, context: Any) -> Any:
            try:
                return handler(event, context)
            except Exception as exc:
                log_error(logger, "invocation failed", exc)
                raise FunctionFailed(summary(exc)) from None

        return run  # type: ignore[return-value]

    return decorate
