#!/usr/bin/env bash
# `npm run image`: builds the dapr-ts image (sentry, placement, operator, injector) as an OCI
# archive, from scratch and without a registry or a container engine (docs/image.md):
#
#   /nodejs/bin/node      the pinned Node.js (test/deps/versions.env), stripped
#   /lib*/…               the shared libraries it links (ldd), from this Debian machine
#   /etc/passwd, group    the user 65532 (nonroot) and the group 0 (root) the files belong to
#   /app/dist             the services and kit compiled with tsconfig.build.json (no tests)
#   /app/node_modules     production dependencies only (npm ci --omit=dev)
#   /sentry /placement /operator /injector /all-in-one /healthcheck   entry points (#! into node)
#   /LICENSE, /licenses/  dapr-ts's license, Node's, and the Debian copyright files of the libraries
#
# No shell, no package manager. umoci (fetch.sh oci-tools) lays out the image; the archive is
# a tar of the OCI image layout (skopeo's oci-archive). The image is rebuilt only when one of
# its inputs changed (a stamp of their hashes); the archive's path and size are printed.
#
#   image/build.sh [--force]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

say() { printf '[image] %s\n' "$*"; }
die() { printf '[image] ERROR: %s\n' "$*" >&2; exit 1; }

# shellcheck source=../test/deps/versions.env
source test/deps/versions.env
CACHE=${DAPR_TS_CACHE:-$HOME/.cache/dapr-ts}
force=0
[[ ${1:-} == --force ]] && force=1

bash test/deps/npm-packages.sh
bash test/deps/fetch.sh node oci-tools >/dev/null
node_bin=$CACHE/node-v$NODE_VERSION/bin/node
umoci=$CACHE/bin/umoci

tag=$(sed -n 's/^  tag: "\(.*\)"$/\1/p' charts/dapr/values.yaml)
[[ -n $tag ]] || die "cannot read global.tag from charts/dapr/values.yaml"
name=dapr-ts
out_dir=$CACHE/image
archive=$out_dir/$name-$tag.oci.tar
mkdir -p "$out_dir" "$CACHE/stamps" "$CACHE/build"

# Everything that ends up in the image, hashed: sources (not tests), build configuration,
# lock file, this script and the pinned Node.
inputs_hash() {
  {
    printf 'node=%s %s\n' "$NODE_VERSION" "$NODE_INTEGRITY"
    find kit sentry placement operator sidecar-injector all-in-one -type f -name '*.ts' ! -name '*.test.ts' \
      ! -path '*/testing/*' -print0 | sort -z | xargs -0 sha256sum
    sha256sum package.json package-lock.json tsconfig.json tsconfig.build.json LICENSE image/build.sh
  } | sha256sum | cut -d' ' -f1
}
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
want="$(inputs_hash) $tag"
if (( force == 0 )) && [[ -f $archive && -f $CACHE/stamps/image && "$(cat "$CACHE/stamps/image")" == "$want" ]]; then
  say "$name:$tag is up to date: $archive ($(du -m "$archive" | cut -f1) MiB)"
  exit 0
fi

start=$SECONDS
# A work dir of its own: checkouts sharing the cache may build at the same time.
work=$(mktemp -d "$CACHE/build/image.XXXXXX")
rootfs=$work/rootfs
layout=$work/layout
mkdir -p "$rootfs" "$work/app"
trap 'rm -rf "$work"' EXIT

# --- the application: compiled services and production dependencies ----------------------
say "compiling the services (tsconfig.build.json, node $NODE_VERSION)"
"$node_bin" node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir "$work/app/dist" \
  || die "tsc -p tsconfig.build.json failed"
say "installing production dependencies (npm ci --omit=dev)"
cp package.json package-lock.json "$work/app/"
(cd "$work/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
  || die "npm ci --omit=dev failed"
rm -f "$work/app/package-lock.json" "$work/app/node_modules/.package-lock.json"
# sodium-native (sentry's Ed25519, kit/x509/ed25519.ts) carries prebuilt addons for 13 platforms
# and for the Bare runtime; the image keeps the one its node loads. Without one, sentry falls
# back to OpenSSL.
arch=$("$node_bin" -p process.arch)
prebuilds=$work/app/node_modules/sodium-native/prebuilds
if [[ -f $prebuilds/linux-$arch/sodium-native.node ]]; then
  find "$prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$arch" -exec rm -rf {} +
  rm -f "$prebuilds/linux-$arch/sodium-native.bare"
else
  say "sodium-native has no build for linux-$arch: sentry will use OpenSSL's Ed25519"
fi
# package.json stays: "type": "module" makes dist/ ES modules.
mkdir -p "$rootfs/app"
mv "$work/app/package.json" "$work/app/dist" "$work/app/node_modules" "$rootfs/app/"

# --- Node.js and the libraries it links ---------------------------------------------------
mkdir -p "$rootfs/nodejs/bin" "$rootfs/licenses"
cp "$node_bin" "$rootfs/nodejs/bin/node"
if command -v strip >/dev/null 2>&1; then
  strip --strip-all "$rootfs/nodejs/bin/node"
else
  say "strip (binutils) is not installed: node goes in with its debug symbols (about 33 MiB more)"
fi
cp "$CACHE/node-v$NODE_VERSION/LICENSE" "$rootfs/licenses/node.LICENSE"
libs=$(ldd "$node_bin" | awk '/=> \//{print $3} /^[ \t]*\/lib/{print $1}')
[[ -n $libs ]] || die "ldd found no libraries for $node_bin"
for lib in $libs; do
  # The path node asks for (e.g. /lib64/ld-linux-x86-64.so.2) and the file behind it.
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
  # Its Debian package's copyright file goes along (LGPL and GPL-with-exception libraries).
  pkg=$(dpkg -S "$lib" 2>/dev/null | head -n 1 | cut -d: -f1) || pkg=""
  if [[ -n $pkg && -e /usr/share/doc/$pkg/copyright ]]; then
    cp -L "/usr/share/doc/$pkg/copyright" "$rootfs/licenses/$pkg.copyright"
  fi
done

# --- users, entry points, license, writable /tmp ------------------------------------------
mkdir -p "$rootfs/etc" "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
# Distroless' Go images carry the same user: the chart's runAsNonRoot checks the numeric UID.
for pair in sentry:sentry placement:placement operator:operator injector:sidecar-injector all-in-one:all-in-one healthcheck:kit/healthcheck; do
  entry=${pair%%:*} dir=${pair#*:}
  [[ -f $rootfs/app/dist/$dir/main.js ]] || die "dist/$dir/main.js was not compiled"
  # No shell in the image: the kernel runs these through their #! line, straight into node.
  printf '#!/nodejs/bin/node\nimport("/app/dist/%s/main.js");\n' "$dir" >"$rootfs/$entry"
done
cp LICENSE "$rootfs/LICENSE"

# Owned by root and group 0, readable by everyone: OpenShift runs the image as an arbitrary UID
# in group 0, the chart as 65532; neither may change the code. The services write nowhere in
# the image but /tmp (Node's temporary files; the chart mounts an emptyDir there where needed).
chown -R 0:0 "$rootfs"
chmod -R u=rwX,g=rX,o=rX "$rootfs"
chmod 0755 "$rootfs/nodejs/bin/node" "$rootfs"/{sentry,placement,operator,injector,all-in-one,healthcheck}
chmod 1777 "$rootfs/tmp"

# --- the OCI image ------------------------------------------------------------------------
say "writing the OCI image ($name:$tag)"
created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
  "$umoci" init --layout "$layout"
  "$umoci" new --image "$layout:$tag"
  "$umoci" insert --image "$layout:$tag" --history.created_by "image/build.sh" "$rootfs" /
  "$umoci" config --image "$layout:$tag" \
    --config.user 65532:65532 \
    --config.workingdir /app \
    --config.env NODE_ENV=production \
    --config.entrypoint /nodejs/bin/node \
    --config.exposedports 50001/tcp --config.exposedports 50005/tcp --config.exposedports 6500/tcp \
    --config.exposedports 19443/tcp --config.exposedports 4000/tcp --config.exposedports 8080/tcp \
    --config.exposedports 9090/tcp \
    --created "$created" --author dapr-ts --os linux --architecture amd64 \
    --config.label "org.opencontainers.image.title=$name" \
    --config.label "org.opencontainers.image.version=$tag" \
    --config.label "org.opencontainers.image.revision=$revision" \
    --config.label "org.opencontainers.image.source=https://github.com/dapr-ts/dapr-ts" \
    --config.label "org.opencontainers.image.licenses=Apache-2.0" \
    --config.label "org.opencontainers.image.created=$created" \
    --manifest.annotation "org.opencontainers.image.version=$tag" \
    --manifest.annotation "org.opencontainers.image.revision=$revision" \
    --manifest.annotation "org.opencontainers.image.source=https://github.com/dapr-ts/dapr-ts" \
    --manifest.annotation "org.opencontainers.image.licenses=Apache-2.0"
  "$umoci" gc --layout "$layout"
} >"$CACHE/logs/image.log" 2>&1 || die "umoci failed; see $CACHE/logs/image.log"

tar -C "$layout" -cf "$work/archive.tar" oci-layout index.json blobs
mv "$work/archive.tar" "$archive"
printf '%s' "$want" >"$CACHE/stamps/image"
size=$(du -m "$archive" | cut -f1)
say "$name:$tag built in $((SECONDS - start)) s: $archive ($size MiB; rootfs $(du -sm "$rootfs" | cut -f1) MiB)"
