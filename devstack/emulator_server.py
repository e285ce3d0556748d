"""`python -m devstack.emulator_server -p PORT`: moto's own SQS/Scheduler/S3 application, served so it
keeps up with the gateway (and refusing expired presigned S3 URLs, as S3 does: PresignedExpiry).

`python -m moto.server` runs moto under werkzeug's development server, which closes the connection
after every reply and logs every request: each boto3 call opens a new TCP connection and starts a
new server thread, and the thread then waits 10 ms for stray input before it ends. moto also
re-derives the backend for every request under one global lock. Here the same moto application
(same backends, same behaviour) is served by cheroot, a production WSGI server with HTTP/1.1
keep-alive and a fixed thread pool, and the backend found for a signed request's service and
region is remembered.

moto's SQS also reads the clock through datetime arithmetic (`unix_time()`: two datetimes, a
subtraction and two `replace` calls) once or twice for every message in a queue, on every send and
receive (over 80 % of its CPU with a few hundred messages queued), and converts the same names
from CamelCase on every request (18 % on an empty queue): see speed_up_moto.

moto's server also answers CORS for any origin on every service (flask-cors around each backend),
which would hide a bucket without the CORS rule a browser upload needs: that global CORS is off, so
S3 answers preflights from each bucket's own CORS configuration (template.yaml's), as S3 does.
"""

from __future__ import annotations

import argparse
import calendar
import functools
import signal
import sys
import time
from types import FrameType
from typing import Any

import moto.core.responses
import moto.moto_server.werkzeug_app
import moto.sqs.models
from cheroot import wsgi
from moto.core import utils as moto_utils
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.wrappers import Request as WsgiRequest

# Every long-polling receive holds a thread for up to its wait time: enough threads for all the
# runtime's pollers (one per concurrent consumer invocation) plus the functions' own calls.
THREADS = 64


def _unix_time(dt: Any = None) -> float:
    return time.time() if dt is None else moto_utils.unix_time(dt)


def _unix_time_millis(dt: Any = None) -> float:
    return _unix_time(dt) * 1000.0


def speed_up_moto() -> None:
    """Where moto's SQS reads the clock, seconds since the epoch (UTC) come from `time.time()`;
    CamelCase to snake_case conversions (about 60 per request, for names that never change) are
    remembered. Same values, without the datetime arithmetic and string scanning."""
    names = functools.lru_cache(maxsize=4096)(moto_utils.camelcase_to_underscores)
    moto.core.responses.camelcase_to_underscores = names  # type: ignore[attr-defined]
    moto.sqs.models.camelcase_to_underscores = names  # type: ignore[attr-defined]
    moto.sqs.models.unix_time = _unix_time  # type: ignore[attr-defined]
    moto.sqs.models.unix_time_millis = _unix_time_millis  # type: ignore[attr-defined]


class CachingDispatcher(DomainDispatcherApplication):
    """Remembers which moto application serves each signed service/region (the credential scope of
    the SigV4 Authorization header); anything else takes moto's own path."""

    def __init__(self) -> None:
        super().__init__(create_backend_app)
        self._by_scope: dict[str, Any] = {}

    def get_application(self, environ: dict[str, Any]) -> Any:
        scope = _credential_scope(environ)
        if scope is None:
            return super().get_application(environ)
        app = self._by_scope.get(scope)
        if app is None:
            app = self._by_scope[scope] = super().get_application(environ)
        return app


def _credential_scope(environ: dict[str, Any]) -> str | None:
    """'us-east-1/sqs' from 'AWS4-HMAC-SHA256 Credential=KEY/DATE/us-east-1/sqs/aws4_request, ...',
    for ordinary API paths only (moto's own /moto-api and metadata paths go the long way)."""
    path = str(environ.get("PATH_INFO", ""))
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    if not auth.startswith("AWS4-HMAC-SHA256 ") or path.startswith(("/moto-api", "/latest/")):
        return None
    parts = auth.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    if len(parts) != 5 or parts[3] in ("s3", "execute-api"):
        return None  # S3 and API Gateway pick their application by path too
    return f"{parts[2]}/{parts[3]}"


_EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


class PresignedExpiry:
    """What S3 does and moto does not: a presigned URL (SigV4 query authentication) past its
    X-Amz-Date + X-Amz-Expires is refused, 403 AccessDenied "Request has expired", so a local run
    shows a link expiring as it would in AWS (LocalStack checks this itself). Signatures are not
    checked here."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if "X-Amz-Expires" in str(environ.get("QUERY_STRING", "")):
            query = WsgiRequest(environ).args
            try:
                signed = calendar.timegm(time.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ"))
                expired = time.time() > signed + int(query["X-Amz-Expires"])
            except (KeyError, ValueError):
                expired = False  # not a well-formed presigned URL: moto answers it
            if expired:
                start_response(
                    "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(_EXPIRED)))]
                )
                return [_EXPIRED]
        return self.app(environ, start_response)


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    speed_up_moto()
    # moto's documented switch (MOTO_DISABLE_GLOBAL_CORS), read at import: set where it is used.
    moto.moto_server.werkzeug_app.DISABLE_GLOBAL_CORS = True  # type: ignore[attr-defined]
    server = wsgi.Server(
        (args.host, args.port), PresignedExpiry(CachingDispatcher()), numthreads=THREADS, server_name="moto"
    )
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)
    try:
        server.start()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
