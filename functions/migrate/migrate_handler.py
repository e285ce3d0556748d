"""CloudFormation custom resource `DatabaseSchema`: applies pending migrations at every deploy.

Create and Update run the migrations (all pending ones in one transaction); a failure answers
FAILED, so the deploy stops and rolls back with the schema untouched. Delete keeps the data.
The reply is always sent: a handler that died without one would hold the stack for an hour.
"""

from __future__ import annotations

# First: the collector waits until this module is built (init_gc.resume() at its end).
from gateway.adapters import init_gc

# isort: split
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from gateway.adapters import cloudformation, failures, migrations, postgres
from gateway.errors import summary
from gateway.models.operations import CustomResourceEvent

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="migrate")
# Seconds kept back to run the migrations and send the reply after the database answers.
REPLY_MARGIN_SECONDS = 60


@logger.inject_lambda_context(clear_state=True)
@failures.reported(logger)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = CustomResourceEvent.model_validate(event)
    physical_id = request.PhysicalResourceId or f"{request.LogicalResourceId}-schema"
    if request.RequestType == "Delete":
        cloudformation.respond(request, "SUCCESS", physical_id, reason="The schema and its data are kept")
        return {"status": "SUCCESS"}
    # Wait for the database as long as the invocation allows, keeping time to reply.
    wait_seconds = max(0.0, context.get_remaining_time_in_millis() / 1000 - REPLY_MARGIN_SECONDS)
    try:
        applied = migrations.migrate(postgres.database_url(), wait_seconds)
    except Exception as exc:
        failures.log_error(logger, "migrations failed; nothing was applied", exc)
        cloudformation.respond(request, "FAILED", physical_id, reason=summary(exc))
        return {"status": "FAILED"}
    logger.info("migrations applied", extra={"applied": applied})
    cloudformation.respond(request, "SUCCESS", physical_id, data={"Applied": ",".join(applied) or "none"})
    return {"status": "SUCCESS", "applied": applied}


init_gc.resume()  # INIT is over
