#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (no browser download at test
# time). Never fails the build: without Chromium the browser tests skip with a loud message.
set -uo pipefail
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [[ -n "${CHROMIUM_PATH:-}" ]]; then
  exit 0
fi
if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null; then
  echo "bootstrap: installing Debian's chromium for the browser tests (about 30 s)"
  if apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    exit 0
  fi
fi
echo "!!! bootstrap: Chromium could not be installed: the browser tests will be SKIPPED !!!" >&2
exit 0
