"""Pieces of the local runtime that need no servers: event shapes and Lambda's batch rules."""

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventV2Model

from devstack.http_api import build_event
from devstack.pollers import failed_ids
from stack.template import HttpRoute, make_resolver
from tests.support import ROOT


def test_http_event_is_payload_format_2() -> None:
    route = HttpRoute("ANY", "/{proxy+}", "ApiFunction")
    event = build_event(
        route,
        {"proxy": "api/v1/payments"},
        "POST",
        "/api/v1/payments?a=1&a=2&b=",
        {"content-type": "application/json", "host": "localhost:8000"},
        b'{"x":1}',
        "127.0.0.1",
    )
    # What Lambda's API Gateway integration sends, as Powertools' own model of it reads it (not only
    # the fields this test knows to look at).
    parsed = APIGatewayProxyEventV2Model.model_validate(event)
    assert parsed.requestContext.http.method == "POST" and str(parsed.requestContext.http.sourceIp) == "127.0.0.1/32"
    assert parsed.pathParameters == {"proxy": "api/v1/payments"} and parsed.body == '{"x":1}'
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /{proxy+}"
    assert event["rawPath"] == "/api/v1/payments"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["body"] == '{"x":1}' and event["isBase64Encoded"] is False


def test_binary_bodies_are_base64_encoded() -> None:
    event = build_event(HttpRoute("ANY", "/{proxy+}", "F"), {}, "POST", "/x", {}, b"\xff\xfe", "127.0.0.1")
    assert event["isBase64Encoded"] is True and event["body"] == "//4="
    assert APIGatewayProxyEventV2Model.model_validate(event).isBase64Encoded is True


def test_routes_prefer_literal_paths_and_respect_methods() -> None:
    greedy = HttpRoute("ANY", "/{proxy+}", "Api")
    exact = HttpRoute("GET", "/orders/{id}", "Orders")
    assert exact.match("GET", "/orders/o_1") == {"id": "o_1"}
    assert exact.match("POST", "/orders/o_1") is None
    assert exact.match("GET", "/orders/o_1/x") is None
    assert greedy.match("DELETE", "/a/b") == {"proxy": "a/b"}


def test_batch_item_failures_follow_lambda_rules() -> None:
    ids = {"a", "b", "c"}
    assert failed_ids({"batchItemFailures": []}, ids, True) == set()
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, True) == {"b"}
    # An unknown or empty identifier fails the whole batch, as Lambda does.
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, ids, True) == ids
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": ""}]}, ids, True) == ids
    # Without ReportBatchItemFailures a returned value means the whole batch succeeded.
    assert failed_ids({"batchItemFailures": [{"itemIdentifier": "b"}]}, ids, False) == set()


def test_intrinsics_resolve_against_local_values() -> None:
    resolve = make_resolver({"AWS::StackName": "s", "Queue": "http://q"}, {("Queue", "Arn"): "arn:q"})
    assert resolve({"Ref": "Queue"}) == "http://q"
    assert resolve({"Fn::GetAtt": ["Queue", "Arn"]}) == "arn:q"
    assert resolve({"Fn::Sub": "${AWS::StackName}-x-${Queue.Arn}"}) == "s-x-arn:q"
    assert resolve("plain") == "plain"


def test_a_taken_port_is_a_clear_error_not_a_silent_fallback() -> None:
    import socket

    import pytest

    from devstack.emulator import ensure_port_free

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        with pytest.raises(SystemExit, match=f"port {port} for the API is in use"):
            ensure_port_free(port, "API")


def test_a_function_error_reaches_the_runtime_as_its_message_even_when_unpicklable() -> None:
    """Before: `TypeError: cannot pickle 'traceback' object` replaced the real error in the logs."""
    from devstack.invoker import FunctionError, FunctionPool
    from stack.template import FunctionSpec

    spec = FunctionSpec("Failing", "tests/fixtures/failing_function", "failing_handler.lambda_handler", 3)
    pool = FunctionPool(spec, ROOT, {}, 1)
    try:
        with pytest.raises(FunctionError, match="UnpicklableError: the database connection was lost"):
            pool.invoke({})
        # The worker survived: the next invocation runs (and fails the same way), no broken pool.
        with pytest.raises(FunctionError):
            pool.invoke({})
    finally:
        pool.shutdown()
