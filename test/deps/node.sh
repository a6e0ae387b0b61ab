#!/usr/bin/env bash
# Runs the pinned Node.js (versions.env NODE_VERSION, fetched into the cache by fetch.sh node)
# with the given arguments, after installing the npm packages (npm-packages.sh, which runs on
# the machine's own Node) and, with --build first, compiling the project with it. The pinned
# Node's directory goes first on the PATH, so whatever the program spawns as `node` is it too.
#
#   test/deps/node.sh [--build] <node arguments…>
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

build=0
if [[ ${1:-} == --build ]]; then
  build=1
  shift
fi
bash test/deps/npm-packages.sh
# shellcheck source=versions.env
source test/deps/versions.env
node_bin=${DAPR_TS_CACHE:-$HOME/.cache/dapr-ts}/node-v$NODE_VERSION/bin
bash test/deps/fetch.sh node >/dev/null
export PATH="$node_bin:$PATH"
if (( build == 1 )); then
  echo "[dapr-ts] compiling (tsc, node $NODE_VERSION)"
  node node_modules/typescript/bin/tsc -p tsconfig.json
fi
exec node "$@"
