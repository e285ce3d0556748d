"""Operator commands, invoked directly (`aws lambda invoke`, scripts/create-merchant): never routed
from the internet. Answers {"ok": true, "merchant": …} or {"ok": false, "error": {code, description}}."""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from gateway.adapters import failures
from gateway.domain import merchants
from gateway.errors import GatewayError
from gateway.models.merchants import CreateMerchantCommand

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="admin")


@logger.inject_lambda_context(clear_state=True)
@failures.reported(logger)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        command = CreateMerchantCommand.model_validate(event)
    except ValidationError as exc:
        # Field names and messages only: the password must never reach a log or a reply.
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        return {"ok": False, "error": {"code": "BAD_REQUEST_ERROR", "description": problems}}
    try:
        created = merchants.create_merchant(command)
    except GatewayError as exc:
        return {"ok": False, "error": {"code": exc.code, "description": str(exc)}}
    logger.info("merchant created", extra={"merchant_id": created.id})
    return {"ok": True, "merchant": created.model_dump()}


init_gc.resume()  # INIT is over
