#!/usr/bin/env bash
# Builds the test binary of Dapr's own integration suites (tests/integration, build tag
# `integration`) once, into the test cache, and prints its directory on stdout. Idempotent: a
# stamp file records the Dapr version the binary was built from (like test/deps/fetch.sh).
#
# The binary is built in a writable copy of the dapr module, made the way the project builds
# daprd (docs/upstream-suites.md): Dapr's durabletask-go comes from ../shared/goproxy, and the
# Pulsar pub/sub component is left out because the module proxy refuses two of its modules.
# The copy stays in the cache; nothing of it is committed.
#
# The copy is also where the binary finds Dapr's CRDs (the framework resolves them relative to
# its own source path), so it is kept after the build.
#
# If upstream's daprd is not in the cache yet (test/deps/fetch.sh daprd), it is built from the
# same copy into the suites' directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../deps/versions.env
source "$root/test/deps/versions.env"
CACHE=${DAPR_TS_CACHE:-$HOME/.cache/dapr-ts}
src_copy=$CACHE/build/dapr-suites-$DAPR_VERSION
out=$CACHE/dapr-suites-$DAPR_VERSION
log=$CACHE/logs/dapr-suites.log
mkdir -p "$CACHE/stamps" "$CACHE/logs" "$out"

say() { printf '[upstream-suites] %s\n' "$*" >&2; }
die() { printf '[upstream-suites] ERROR: %s\n' "$*" >&2; exit 1; }

proxy_dir="$root/../shared/goproxy"
[[ -d $proxy_dir ]] || die "the file-based Go module proxy $proxy_dir (../shared/goproxy next to the repository) is missing; it serves github.com/dapr/durabletask-go, which the module proxy here refuses"
proxy_dir=$(cd "$proxy_dir" && pwd)
command -v go >/dev/null || die "'go' is not installed; it is needed to build Dapr's integration suites"

stamp=$CACHE/stamps/dapr-suites
want="$DAPR_VERSION tags=integration"
stamp_ok() { [[ -f $stamp && "$(cat "$stamp")" == "$want" && -x $out/integration.test && -d $src_copy/charts/dapr/crds ]]; }

export GOPROXY="file://$proxy_dir,$(go env GOPROXY)" GOFLAGS=-mod=readonly CGO_ENABLED=0

# shellcheck source=../deps/dapr-copy.sh
source "$root/test/deps/dapr-copy.sh"

prepare_copy() {
  local src
  src=$(go mod download -json "github.com/dapr/dapr@$DAPR_VERSION" 2>>"$log" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') || true
  [[ -n $src ]] || die "could not download github.com/dapr/dapr@$DAPR_VERSION from the Go module proxy; see $log"
  dapr_writable_copy "$src" "$src_copy"
}

if ! stamp_ok; then
  : >"$log"
  say "building Dapr $DAPR_VERSION's integration test binary (log: $log; cold: several minutes)"
  start=$SECONDS
  prepare_copy
  (cd "$src_copy" && nice go test -c -tags integration -o "$out/integration.test" ./tests/integration) >>"$log" 2>&1 \
    || die "building the integration test binary failed; see $log"
  printf '%s' "$want" >"$stamp"
  say "built in $((SECONDS - start)) s: $out/integration.test"
fi

# daprd: the one fetch.sh builds when it is there, else one built here from the same copy.
if [[ ! -x $CACHE/dapr-$DAPR_VERSION/daprd && ! -x $out/daprd ]]; then
  say "upstream daprd is not in $CACHE/dapr-$DAPR_VERSION; building it into $out (log: $log)"
  (cd "$src_copy" && nice go build -tags stablecomponents -trimpath \
    -ldflags "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${DAPR_VERSION#v}" -o "$out/daprd" ./cmd/daprd) >>"$log" 2>&1 \
    || die "building daprd failed; see $log"
fi

printf '%s\n' "$out"
