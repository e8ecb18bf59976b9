#!/bin/sh
# The Go form of the Network argument from the real encoders: builds
# tests/zbus/go/zosnet.go (GOPATH mode, Debian's Go packages: golang-go,
# golang-gopkg-vmihailenco-msgpack.v2-dev = msgpack v4, zbus' encoder, and
# golang-github-vmihailenco-msgpack.v5-dev), has it encode a 0-OS network
# with v4 and v5, and checks what zos-nr's converter reads from the bytes
# (test_zbus "[.go-encoder]"), and the same for the golden objects of
# tests/model/golden (each must read as its JSON form does), then has zos-nr serve apply and delete it
# from those bytes (tests/zbus/serve_test.py --go-network).
#
# usage: go_encoder_test.sh <build dir> <test_zbus>   exit 77 = skipped
set -eu
build=$1
test_zbus=$2
src=$(cd "$(dirname "$0")" && pwd)/go/zosnet.go
golden=$(cd "$(dirname "$0")/../model/golden" && pwd)
gocode=/usr/share/gocode/src/github.com/vmihailenco/msgpack
if ! command -v go >/dev/null; then echo "skipped: no go (apt-get install golang-go)"; exit 77; fi
for d in "$gocode" "$gocode/v5"; do
  if [ ! -f "$d/go.mod" ]; then echo "skipped: no $d (scripts/install-deps.sh)"; exit 77; fi
done
work="$build/zbus-go"
mkdir -p "$work/gopath"
out=$(mktemp -d "$work/out.XXXXXX")
trap 'rm -rf "$out"' EXIT
GOPATH="$work/gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$work/cache" \
  go build -o "$work/zosnet" "$src" "$(dirname "$src")/golden.go"
for v in v4 v5; do
  "$work/zosnet" $v > "$out/$v.msgpack"
  echo "$v: $(wc -c < "$out/$v.msgpack") bytes"
  # 0-OS's own objects (tests/model/golden) in its msgpack form.
  for g in "$golden"/*.json; do
    "$work/zosnet" $v "$g" > "$out/$v-$(basename "$g" .json).msgpack"
  done
done
# v4 writes net.IP as its bytes, v5 as its text: the two must differ there.
if cmp -s "$out/v4.msgpack" "$out/v5.msgpack"; then echo "v4 and v5 wrote the same bytes"; exit 1; fi
ZOS_GO_MSGPACK_DIR="$out" "$test_zbus" "[.go-encoder]"
# Live: the same bytes as the argument of ApplyNetResource / DeleteNetResource
# to zos-nr serve over a real redis-server (needs root; 77 = that part skipped).
rc=0
/usr/bin/python3 "$(dirname "$src")/../serve_test.py" "$build/bin/zos-nr" --go-network "$out/v4.msgpack" \
  "$out/v5.msgpack" || rc=$?
if [ $rc -eq 77 ]; then echo "live part skipped"; elif [ $rc -ne 0 ]; then exit $rc; fi
