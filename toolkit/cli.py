"""`scripts/gateway`: the merchant developer's command line.

    scripts/gateway trigger --list
    scripts/gateway trigger payment.failed --local                  # make dev's API, the seeded test merchant
    GATEWAY_API_KEY=key_… GATEWAY_API_SECRET=… scripts/gateway trigger refund.processed --stack payment-gateway

`trigger` creates, through the public API, what makes the gateway record the event (toolkit/triggers.py)
and prints the event's id on stdout (what it did goes to stderr). `--api-url` points either at
another URL (a stack on another port).
"""

from __future__ import annotations

import argparse
import os
import sys

from gateway.catalog import EVENT_TYPES
from toolkit import triggers

LOCAL_API_URL = "http://127.0.0.1:8000"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/gateway", description="The payment gateway's developer CLI")
    commands = parser.add_subparsers(dest="command", required=True)
    trigger = commands.add_parser(
        "trigger",
        help="make the gateway emit an event for real and print its id",
        description="Creates, through the public API, the objects that make the gateway record EVENT_TYPE, "
        "and prints the event's id.",
    )
    trigger.add_argument("event_type", nargs="?", metavar="EVENT_TYPE", help="an event type (see --list)")
    trigger.add_argument("--list", action="store_true", help="list every event type and what its trigger does")
    where = trigger.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help=f"the stack `make dev` runs ({LOCAL_API_URL}; default)")
    where.add_argument("--stack", metavar="NAME", help="a deployed stack: its ApiUrl output (AWS credentials needed)")
    trigger.add_argument("--region", default=None, help="with --stack")
    trigger.add_argument("--api-url", help="this API instead (e.g. a local stack on another port)")
    trigger.add_argument("--key", default=os.environ.get("GATEWAY_API_KEY"), help="API key (env GATEWAY_API_KEY)")
    trigger.add_argument(
        "--secret", default=os.environ.get("GATEWAY_API_SECRET"), help="API secret (env GATEWAY_API_SECRET)"
    )
    trigger.add_argument("--wait", type=float, default=45.0, help="seconds to wait for the event (default 45)")
    return parser


def _listing() -> str:
    width = max(len(event_type) for event_type in EVENT_TYPES)
    return "\n".join(f"{event_type:<{width}}  {triggers.summary(event_type)}" for event_type in EVENT_TYPES)


def _target(args: argparse.Namespace) -> tuple[str, str, str]:
    """The API's URL, key and secret the trigger uses."""
    if args.stack:
        if not (args.key and args.secret):
            raise SystemExit("gateway: --stack needs the merchant's key and secret (--key and --secret, or the env)")
        url = args.api_url
        if url is None:
            from deploy.stack_outputs import stack_outputs  # boto3: loaded only for a deployed stack

            url = stack_outputs(args.stack, args.region).get("ApiUrl")
            if url is None:
                raise SystemExit(f"gateway: stack {args.stack} has no ApiUrl output")
        return url, args.key, args.secret
    if args.key and args.secret:
        return args.api_url or LOCAL_API_URL, args.key, args.secret
    from devstack.test_merchant import TEST_MERCHANT  # the seeded merchant every local stack has

    return args.api_url or LOCAL_API_URL, TEST_MERCHANT["api_key"], TEST_MERCHANT["api_secret"]


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        print(_listing())
        return 0
    if args.event_type is None:
        parser.error("trigger needs EVENT_TYPE (or --list)")
    if args.event_type not in EVENT_TYPES:
        parser.error(f"unknown event type {args.event_type!r}; --list shows them")
    url, key, secret = _target(args)
    gateway = triggers.GatewayClient(url, key, secret, wait_seconds=args.wait)
    try:
        event = triggers.run(args.event_type, gateway)
    except triggers.TriggerError as failed:
        print(f"gateway: {args.event_type}: {failed}", file=sys.stderr)
        return 1
    finally:
        gateway.close()
    scope = f" for {event.payment_id}" if event.payment_id else ""
    print(f"{event.type} recorded{scope} ({url})", file=sys.stderr)
    print(event.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
