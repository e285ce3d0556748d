"""Lambda SnapStart runtime hooks: what must not cross the snapshot, and what must differ after it.

With SnapStart, Lambda runs a function's INIT (imports, models, Powertools, the OpenAPI schema) once,
when a version is published, and resumes every new container from a snapshot of that memory. So:

- before the snapshot, every socket is closed: the database connection (a restored container
  would otherwise share one TCP session, and its server-side state, with every other container
  restored from the same snapshot, hours after the server dropped it) and the cached SQS,
  Scheduler and webhook HTTP clients with their pooled keep-alive connections. They reopen lazily
  on first use. What is expensive to build stays built: imported modules, pydantic models, the
  routes' schemas and botocore's parsed service models (the hook makes one client per service the
  loaded adapters call, so the default session's loader holds them even when INIT made no client:
  a client built after the restore costs milliseconds, not a JSON parse);
- after the restore, `random` is reseeded: every container restored from one snapshot would
  otherwise draw the same sequence (jitter, sampling). `uuid4`, `secrets` and `os.urandom` read
  the kernel's generator, which Lambda reseeds on restore, and need nothing.

The hooks come from `snapshot_restore_py` (the `snapshot-restore-py` package), which only Lambda's
Python runtime ships: here it is registered when importable and otherwise this module only defines
the two functions (tests call them). Each SnapStart function's handler imports this module, so the
hooks are registered during INIT (Lambda ignores hooks in modules the handler never imports).
The hooks import nothing: they act on the adapters a function has loaded, and only on those.
"""

from __future__ import annotations

import gc
import random
import sys
from typing import Any

# Adapter module -> its cached client factories (functools.lru_cache), dropped before the snapshot.
_CACHED_CLIENTS = {
    "gateway.adapters.sqs": ("_client",),
    "gateway.adapters.scheduler": ("_client",),
    "gateway.adapters.webhook_http": ("_client",),
}


# Adapter module -> the AWS service its boto3 clients call (primed before the snapshot).
_SERVICES = {
    "gateway.adapters.sqs": "sqs",
    "gateway.adapters.scheduler": "scheduler",
    "gateway.adapters.secrets": "secretsmanager",
}


def _prime_service_models() -> None:
    """A container's first boto3 client parses botocore's JSON (the service's model and endpoint
    rules, endpoints.json, partitions: ~60 ms here, 2-3x that at 512 MB) into the default session,
    which keeps it. Made once before the snapshot, a restored container's first client costs ~4 ms.
    Making a client opens no connection; these are collected below with the adapters' own."""
    boto3 = sys.modules.get("boto3")
    for name, service in _SERVICES.items():
        if boto3 is not None and name in sys.modules:
            boto3.client(service)


def _close_webhook_client(module: Any) -> None:
    """httpx keeps sockets open until the client is closed; close it if this container made one."""
    factory = getattr(module, "_client", None)
    if factory is not None and factory.cache_info().currsize:
        factory().close()


def before_snapshot() -> None:
    """No socket in the snapshot: the database connection closed, cached clients dropped; the
    service models those clients need parsed."""
    _prime_service_models()
    postgres = sys.modules.get("gateway.adapters.postgres")
    if postgres is not None:
        postgres.close_connection()
    webhook_http = sys.modules.get("gateway.adapters.webhook_http")
    if webhook_http is not None:
        _close_webhook_client(webhook_http)
    for name, factories in _CACHED_CLIENTS.items():
        module = sys.modules.get(name)
        for factory in factories if module is not None else ():
            getattr(module, factory).cache_clear()
    # botocore clients sit in reference cycles: collect them now, so their pooled sockets are
    # closed before the snapshot rather than whenever the collector would have run. INIT's objects
    # were frozen (init_gc.resume): unfrozen to be collected, what survives frozen again.
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def after_restore() -> None:
    """Containers restored from one snapshot must not share a random sequence."""
    random.seed()


def _register() -> bool:
    try:
        from snapshot_restore_py import (  # type: ignore[import-not-found, unused-ignore]
            register_after_restore,
            register_before_snapshot,
        )
    except ImportError:  # not in Lambda's runtime: nothing to register with
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    return True


REGISTERED = _register()
