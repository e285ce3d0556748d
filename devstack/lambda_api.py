"""Lambda's Invoke API on loopback, for functions invoked directly rather than by a trigger (the
admin function): `aws lambda invoke --endpoint-url http://127.0.0.1:8001 --function-name AdminFunction`
and boto3 work against the local stack as they do against AWS. Function names are logical ids."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from http.server import BaseHTTPRequestHandler
from typing import Any

from devstack.loopback_server import LoopbackServer

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit

Invoke = Callable[[str, dict[str, Any]], Any]


def _make_handler(function_ids: Collection[str], invoke: Invoke, log: Callable[[str], None]) -> type:
    class LambdaInvokeHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            found = _INVOKE_PATH.match(self.path.split("?", 1)[0])
            # A full ARN names the function after its last colon, as in AWS.
            name = found.group("name").rsplit(":", 1)[-1] if found else ""
            if name not in function_ids:
                self._reply(
                    404, {"Type": "User", "message": f"Function not found: {name}"}, "ResourceNotFoundException"
                )
                return
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_PAYLOAD_BYTES:
                self._reply(413, {"Type": "User", "message": "Request payload too large"}, "RequestTooLargeException")
                return
            try:
                event = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._reply(
                    400,
                    {"Type": "User", "message": "Could not parse request body into json"},
                    "InvalidRequestContentException",
                )
                return
            try:
                result = invoke(name, event)
            except Exception as exc:  # the function raised: Lambda answers 200 with X-Amz-Function-Error
                log(f"{name} failed: {type(exc).__name__}: {exc}")
                self._reply(
                    200, {"errorMessage": str(exc), "errorType": type(exc).__name__}, function_error="Unhandled"
                )
                return
            self._reply(200, result)

        def _reply(self, status: int, payload: Any, error_type: str = "", function_error: str = "") -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("x-amz-executed-version", "$LATEST")
            if error_type:
                self.send_header("x-amzn-errortype", error_type)
            if function_error:
                self.send_header("x-amz-function-error", function_error)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return LambdaInvokeHandler


class LambdaInvokeServer(LoopbackServer):
    def __init__(self, function_ids: Collection[str], invoke: Invoke, port: int, log: Callable[[str], None]) -> None:
        super().__init__(port, _make_handler(function_ids, invoke, log), "lambda-api")
