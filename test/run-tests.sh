#!/usr/bin/env bash
# `npm test`: installs and builds whatever is missing (npm packages, the real Kubernetes,
# helm/kubectl, daprd), compiles the project, and runs every jest suite. Extra arguments go
# to jest (e.g. `npm test -- --selectProjects unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if (( node_major < 20 )); then
  echo "npm test: Node.js 20.19 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm ci when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "[npm test] installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

# What the suites need; `npm run deps` (all) also builds daprd.
bash test/deps/fetch.sh kubernetes helm-kubectl dapr-control-plane redis nftables
echo "[npm test] compiling (tsc)"
npm run --silent build
exec node --experimental-vm-modules --enable-source-maps --no-warnings=ExperimentalWarning \
  node_modules/jest/bin/jest.js "$@"
