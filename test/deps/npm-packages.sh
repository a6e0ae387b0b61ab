#!/usr/bin/env bash
# Installs the project's npm packages (npm ci) when node_modules is missing or older than the
# lock file, after checking the Node.js version. Run by `npm test` and `npm start`, so that both
# work on a fresh clone with nothing installed beforehand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "dapr-ts: Node.js 20.19 or newer is needed to bootstrap (npm ci; tsc, jest and the services then run on the pinned Node of test/deps/versions.env), found: $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[dapr-ts] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi
