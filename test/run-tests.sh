#!/usr/bin/env bash
# `npm test`: installs and builds whatever is missing (npm packages, the real Kubernetes,
# helm/kubectl, the upstream Go control plane, redis, daprd), compiles the project, and runs
# every jest suite. Extra arguments go to jest (e.g. `npm test -- --selectProjects unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash test/deps/npm-packages.sh

# Every real component the suites run against, daprd included (built with ../shared/goproxy).
bash test/deps/fetch.sh all
echo "[npm test] compiling (tsc)"
npm run --silent build
exec node --experimental-vm-modules --enable-source-maps --no-warnings=ExperimentalWarning \
  node_modules/jest/bin/jest.js "$@"
