"""Creates a merchant through the stack's admin function: the database stays private.

    scripts/create-merchant --stack payment-gateway --name "Acme" --email ops@acme.test
    scripts/create-merchant --local --name "Acme" --email ops@acme.test     # against `make dev`

The password is read from the terminal (or one line of stdin with --password-stdin) and sent only in
the invocation payload; the API key and secret are printed once.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any

import boto3
from botocore.config import Config

from deploy.stack_outputs import stack_outputs

LOCAL_LAMBDA_ENDPOINT = "http://127.0.0.1:8001"
_NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=60, connect_timeout=5)


def admin_function_name(stack: str, region: str | None) -> str:
    name = stack_outputs(stack, region).get("AdminFunctionName")
    if name is None:
        raise SystemExit(
            f"create-merchant: stack {stack} has no AdminFunctionName output (deploy the current template)"
        )
    return name


def invoke(function_name: str, payload: dict[str, Any], region: str | None, endpoint_url: str | None) -> Any:
    # The local Invoke API accepts any signature, but boto3 must sign: never with real credentials there.
    local = "test" if endpoint_url else None
    client = boto3.client(
        "lambda",
        region_name=region,
        endpoint_url=endpoint_url,
        config=_NO_RETRIES,
        aws_access_key_id=local,
        aws_secret_access_key=local,
    )
    response = client.invoke(FunctionName=function_name, Payload=json.dumps(payload).encode())
    body = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        raise SystemExit(f"create-merchant: the admin function failed: {body.get('errorMessage', body)}")
    return body


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Dashboard password (12+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("create-merchant: the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create a merchant in a deployed stack or the local stack")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--stack", help="CloudFormation stack name (AWS credentials from the environment)")
    where.add_argument("--local", action="store_true", help="the stack `make dev` runs")
    parser.add_argument("--region", default=None)
    parser.add_argument("--lambda-endpoint", default=LOCAL_LAMBDA_ENDPOINT, help="with --local")
    parser.add_argument("--name", required=True)
    parser.add_argument("--email", required=True)
    parser.add_argument("--password-stdin", action="store_true", help="read the password from one line of stdin")
    parser.add_argument("--json", action="store_true", help="print the created merchant as JSON")
    args = parser.parse_args(argv)

    password = read_password(args.password_stdin)
    payload = {"action": "create_merchant", "name": args.name, "email": args.email, "password": password}
    if args.local:
        result = invoke("AdminFunction", payload, args.region or "us-east-1", args.lambda_endpoint)
    else:
        result = invoke(admin_function_name(args.stack, args.region), payload, args.region, None)
    if not result.get("ok"):
        error = result.get("error", {})
        print(f"create-merchant: {error.get('code')}: {error.get('description')}", file=sys.stderr)
        return 1
    merchant = result["merchant"]
    if args.json:
        print(json.dumps(merchant))
        return 0
    print(f"Merchant created: {merchant['name']} <{merchant['email']}> ({merchant['id']})")
    print(f"  X-Api-Key:      {merchant['api_key']}")
    print(f"  X-Api-Secret:   {merchant['api_secret']}")
    print(f"  Webhook secret: {merchant['webhook_secret']}")
    print("Store the secret now; the dashboard (sign in with the email and password) can reveal it later.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
