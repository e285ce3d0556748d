#!/usr/bin/env bash
# Creates .venv with every Python package the project needs. Idempotent: a no-op (~0.1 s) when the
# requirement files have not changed since the last successful run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.requirements.sha256"
WANT=$(cat requirements-dev.txt layers/common/requirements*.txt | sha256sum | cut -d' ' -f1)

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" ]]; then
  exit 0
fi

supported() { "$1" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] < (3, 14) else 1)' 2>/dev/null; }

find_python() {
  # Lambda runs 3.12: prefer it, then 3.11. pyenv shims exist even for versions not selected, so
  # also look inside pyenv's version folders.
  local minor candidate version
  for minor in 3.12 3.11; do
    if command -v "python$minor" >/dev/null && supported "python$minor"; then echo "python$minor"; return; fi
    if command -v pyenv >/dev/null; then
      for version in $(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\\.[0-9]+$" | sort -rV); do
        candidate="$(pyenv root)/versions/$version/bin/python$minor"
        if supported "$candidate"; then echo "$candidate"; return; fi
      done
    fi
  done
  if supported python3; then echo python3; return; fi
  echo "bootstrap: no Python 3.11-3.13 found; install python3.12" >&2
  exit 1
}

if [[ ! -x "$VENV/bin/python" ]] || ! supported "$VENV/bin/python"; then
  PYTHON=$(find_python)
  echo "bootstrap: creating $VENV with $($PYTHON --version)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi

echo "bootstrap: installing Python packages (first run takes about a minute)"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
echo "$WANT" > "$STAMP"
echo "bootstrap: done"
