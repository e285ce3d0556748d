"""`python -m devstack`: run the whole gateway locally (what `make dev` calls)."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

from devstack.runtime import ROOT, LocalRuntime, RuntimeOptions


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the payment gateway locally from template.yaml")
    parser.add_argument("--api-port", type=int, default=8000)
    parser.add_argument("--dashboard-port", type=int, default=3000, help="-1 to disable")
    parser.add_argument("--checkout-port", type=int, default=3001, help="-1 to disable")
    parser.add_argument("--lambda-port", type=int, default=8001, help="Lambda Invoke API; -1 to disable")
    parser.add_argument("--emulator-port", type=int, default=4566, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".data")
    parser.add_argument(
        "--localstack", action="store_true", help="start LocalStack as the SQS/Scheduler endpoint (make dev-localstack)"
    )
    parser.add_argument(
        "--stack-name", default="", help="prefix of the local queues and schedules (default: one per data dir)"
    )
    parser.add_argument("--api-concurrency", type=int, default=4, help="API worker processes")
    parser.add_argument("--schedule-seconds", type=float, default=None, help="run Schedule events this often")
    parser.add_argument("--metrics-seconds", type=float, default=60, help="print the metrics summary this often")
    args = parser.parse_args()

    runtime = LocalRuntime(
        RuntimeOptions(
            api_port=args.api_port,
            dashboard_port=args.dashboard_port,
            checkout_port=args.checkout_port,
            lambda_port=args.lambda_port,
            emulator_port=args.emulator_port,
            data_dir=args.data_dir,
            stack_name=args.stack_name,
            localstack=args.localstack,
            schedule_seconds=args.schedule_seconds,
            api_concurrency=args.api_concurrency,
            metrics_summary_seconds=args.metrics_seconds,
        )
    )
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        runtime.start()
        stopping.wait()
    finally:
        runtime.stop()


if __name__ == "__main__":
    main()
