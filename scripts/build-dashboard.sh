#!/usr/bin/env bash
# Builds the operator dashboard (dashboard/ → dashboard/dist) when its sources changed, installing its
# npm packages from package-lock.json when the lock changed. `--test` also runs its Vitest tests.
set -euo pipefail
cd "$(dirname "$0")/../dashboard"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "build-dashboard: Node.js >= 20.19 and npm are required (https://nodejs.org/)" >&2
  exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)||a===21?0:1)'; then
  echo "build-dashboard: Node.js $(node --version) is too old for Vite 8 (need ^20.19 or >= 22.12)" >&2
  exit 1
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.lock-hash || "$(cat node_modules/.lock-hash)" != "$lock_hash" ]]; then
  echo "build-dashboard: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.lock-hash
fi

source_hash=$(find src index.html vite.config.ts tsconfig.json package-lock.json -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [[ -f dist/index.html && -f node_modules/.dist-hash && "$(cat node_modules/.dist-hash)" == "$source_hash" ]]; then
  echo "build-dashboard: dist is up to date"
else
  started=$(date +%s.%N)
  npm run --silent build -- --logLevel warn
  echo "$source_hash" > node_modules/.dist-hash
  gzipped=$(cat dist/assets/*.js | gzip -9 | wc -c)
  awk -v s="$started" -v e="$(date +%s.%N)" -v g="$gzipped" \
    'BEGIN { printf "build-dashboard: built in %.1f s; JS %d bytes gzipped\n", e - s, g }'
fi

if [[ "${1:-}" == "--test" ]]; then
  npx --no-install vitest run --reporter=dot
fi
