"""The one error hierarchy of the gateway; the API maps it to HTTP in one place."""

from __future__ import annotations

import traceback


class GatewayError(Exception):
    status_code = 400
    code = "BAD_REQUEST_ERROR"
    # Seconds a client should wait before trying again, sent as Retry-After (a 503 whose dependency
    # comes back by itself); None sends none.
    retry_after_seconds: int | None = None

    def __init__(self, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.description = description
        # Reply headers that belong to the error (Retry-After of a 429 or a 503).
        self.headers = dict(headers or {})
        if self.retry_after_seconds is not None:
            self.headers.setdefault("Retry-After", str(self.retry_after_seconds))

    def envelope(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "description": self.description}}


class BadRequest(GatewayError):
    pass


class InvalidVpa(GatewayError):
    code = "INVALID_VPA"


class InvalidCard(GatewayError):
    code = "INVALID_CARD"


class ExpiredCard(GatewayError):
    code = "EXPIRED_CARD"


class AuthenticationFailed(GatewayError):
    status_code = 401
    code = "AUTHENTICATION_ERROR"


class NotFound(GatewayError):
    status_code = 404
    code = "NOT_FOUND_ERROR"


class MethodNotAllowed(GatewayError):
    """A known path without a route for this method; `Allow` names the ones it has."""

    status_code = 405
    code = "METHOD_NOT_ALLOWED"


class IdempotencyKeyInProgress(GatewayError):
    status_code = 409
    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


class IdempotencyKeyReused(GatewayError):
    status_code = 422
    code = "IDEMPOTENCY_KEY_REUSED"


class InvalidState(GatewayError):
    """The object exists but its state does not allow this change (a dispute contested after its
    deadline, accepted after review); the description says which state it is in."""

    status_code = 409
    code = "INVALID_STATE"


class RateLimited(GatewayError):
    status_code = 429
    code = "RATE_LIMITED"


class UnsupportedMediaType(GatewayError):
    status_code = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class Conflict(GatewayError):
    """A unique value already taken (a payment link's reference_id)."""

    status_code = 409
    code = "CONFLICT_ERROR"


class PaymentLinkNotPayable(GatewayError):
    """A payment for a payment link that is expired, cancelled or already paid."""

    code = "PAYMENT_LINK_NOT_PAYABLE"


class MerchantExists(GatewayError):
    status_code = 409
    code = "MERCHANT_EXISTS"


class ServiceUnavailable(GatewayError):
    status_code = 503
    code = "SERVICE_UNAVAILABLE"


class InternalError(GatewayError):
    status_code = 500
    code = "INTERNAL_ERROR"


# --- what of an unexpected error may be logged ----------------------------------------------------


def summary(error: BaseException) -> str:
    """`Type: first line` of an error's message. Database errors carry the failing row's values in
    their later lines (DETAIL: a merchant's notes, a payment's fields), which must never reach a log,
    a CloudFormation reply or Lambda's own error report."""
    text = str(error)
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:500]


def log_fields(error: BaseException) -> dict[str, object]:
    """An unexpected error as every function logs it: its summary and where it was raised (file,
    line and function of each frame, no values)."""
    frames = traceback.extract_tb(error.__traceback__)
    return {"error": summary(error), "stack": [f"{f.filename}:{f.lineno} in {f.name}" for f in frames][-30:]}


class FunctionFailed(Exception):
    """Raised out of a handler in place of an unexpected error, carrying only its summary: Lambda
    writes a handler's escaping exception to the log as it is."""
