#!/usr/bin/env bash
# `npm test`: installs and builds whatever is missing (npm packages, the pinned Node.js, the
# real Kubernetes, helm/kubectl, the upstream Go control plane, redis, daprd, the OCI tools and
# the dapr-ts image), compiles the project, and runs every jest suite on the pinned Node.
# Extra arguments go to jest (e.g. `npm test -- --selectProjects unit`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash test/deps/npm-packages.sh

# Every real component the suites run against, daprd included (built with ../shared/goproxy).
bash test/deps/fetch.sh all
exec bash test/deps/node.sh --build --experimental-vm-modules --enable-source-maps \
  --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
