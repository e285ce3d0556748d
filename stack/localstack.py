"""LocalStack community in host mode, on loopback, from the project's own virtualenv: the local
runtime's SQS/Scheduler endpoint with `--localstack`, the deploy rehearsal's CloudFormation, and
the endpoint of `make e2e-localstack`.

By default LocalStack binds 0.0.0.0, starts a DNS server and wipes `$TMPDIR/localstack`; here it
listens on 127.0.0.1 only, has no DNS server and gets a temporary directory of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from stack.loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".localstack" / "venv" / "bin" / "python"


class LocalStackUnavailable(RuntimeError):
    pass


@contextmanager
def running_localstack(timeout: float = 60, port: int = 0) -> Iterator[str]:
    """Starts LocalStack (on `port`, or a free one) and yields its endpoint URL; stops it and
    removes its files afterwards."""
    if not VENV_PYTHON.exists():
        raise LocalStackUnavailable(f"{VENV_PYTHON} is missing: run scripts/bootstrap-localstack.sh")
    port = port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="localstack-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LOCALSTACK_"))},
        "GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "GATEWAY_SERVER": "hypercorn",
        "LOCALSTACK_HOST": f"127.0.0.1:{port}",
        "DNS_ADDRESS": "0",
        "TMPDIR": str(folder),
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",  # no analytics calls out
        "PERSISTENCE": "0",
    }
    log_path = folder / "localstack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own venv's python, fixed arguments
            [str(VENV_PYTHON), "-m", "localstack.runtime.main"],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise LocalStackUnavailable(f"LocalStack exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{url}/_localstack/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise LocalStackUnavailable(f"LocalStack did not answer within {timeout} s:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """`python -m stack.localstack -- COMMAND...`: runs COMMAND with AWS_ENDPOINT_URL pointing at a
    LocalStack started for it (what `make e2e-localstack` does); exits with COMMAND's status."""
    import sys

    command = sys.argv[1:]
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        raise SystemExit("usage: python -m stack.localstack -- COMMAND [ARGS...]")
    started = time.perf_counter()
    with running_localstack() as url:
        print(f"localstack: ready at {url} in {time.perf_counter() - started:.1f} s", flush=True)
        env = {**os.environ, "AWS_ENDPOINT_URL": url}
        code = subprocess.call(command, env=env)  # noqa: S603 - the command line the developer gave
    raise SystemExit(code)


if __name__ == "__main__":
    main()
