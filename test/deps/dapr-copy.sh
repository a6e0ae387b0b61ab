# Sourced by test/deps/fetch.sh (daprd) and test/upstream/build.sh (Dapr's integration suites).
# dapr_writable_copy SRC DEST: a writable copy of the github.com/dapr/dapr module directory SRC at
# DEST, without the Pulsar pub/sub component. The Go module proxy here refuses the two modules
# only that component needs (github.com/iskorotkov/avro/v2 and the github.com/twmb fork of
# pulsar-client-go), so its one file goes and its two go.mod lines are dropped; everything else
# stays as upstream has it, and -mod=readonly still checks every module against dapr's go.sum.
dapr_writable_copy() {
  local src=$1 dest=$2
  rm -rf "$dest"
  mkdir -p "$(dirname "$dest")"
  cp -r "$src" "$dest"
  chmod -R u+w "$dest"
  rm -f "$dest/cmd/daprd/components/pubsub_pulsar.go" "$dest/cmd/daprd/components/pubsub_pulsar_test.go"
  sed -i '/github.com\/apache\/pulsar-client-go v[0-9.]* => github.com\/twmb/d; /github.com\/iskorotkov\/avro\/v2 /d' "$dest/go.mod"
}
