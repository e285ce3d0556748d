#!/usr/bin/env bash
# Installs LocalStack (community, host mode) into .localstack/venv for the deploy rehearsal.
# Idempotent: a no-op when requirements-localstack.txt has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.localstack/venv
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum requirements-localstack.txt | cut -d' ' -f1)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

# LocalStack 4.13 runs on 3.11 and 3.12; the project's own venv has one of them (bootstrap.sh).
PYTHON=$(.venv/bin/python -c 'import sys; print(sys.executable)')
"$PYTHON" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 12) else 1)' || {
  echo "bootstrap-localstack: LocalStack 4.13 needs Python 3.11 or 3.12, .venv has $("$PYTHON" --version)" >&2
  exit 1
}
echo "bootstrap-localstack: installing LocalStack into $VENV (first run takes about a minute)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-localstack.txt
echo "$WANT" > "$STAMP"
echo "bootstrap-localstack: done"
