#!/usr/bin/env bash
# streams.sh [BIN]: stream commands (XADD, capped XADD, XRANGE) on NeoKV's default single node
# beside Debian's redis-server with appendfsync always, in one run. Every process it starts is
# stopped by pid. Without BIN it builds ./cmd/neokv.
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-}
if [ -z "$BIN" ]; then BIN=/tmp/neokv-streams-bin; go build -o $BIN ./cmd/neokv || exit 1; fi
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
P=$(port); RA=$(port); mkdir -p $TMP/a
redis-server --port $RA --bind 127.0.0.1 --dir $TMP/a --save "" --appendonly yes --appendfsync always --daemonize no >$TMP/a.log 2>&1 & PIDS+=($!)
$BIN server --addr 127.0.0.1:$P --dir $TMP/n >$TMP/n.log 2>&1 & PIDS+=($!)
wait_up $P; wait_up $RA; sleep 1
rb() { redis-benchmark -p $1 -q -n $2 -c 50 -P $3 "${@:4}" 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print; exit}' | sed 's/.*: //'; }
for P16 in 1 16; do
  n=100000; [ $P16 -gt 1 ] && n=500000
  echo "XADD -P$P16:          redis $(rb $RA $n $P16 XADD s1 '*' f v) | neokv $(rb $P $n $P16 XADD s1 '*' f v)"
  echo "XADD MAXLEN 1000 -P$P16: redis $(rb $RA $n $P16 XADD s2 MAXLEN 1000 '*' f v) | neokv $(rb $P $n $P16 XADD s2 MAXLEN 1000 '*' f v)"
done
echo "XRANGE - + COUNT 10 -P16: redis $(rb $RA 1000000 16 XRANGE s1 - + COUNT 10) | neokv $(rb $P 1000000 16 XRANGE s1 - + COUNT 10)"
echo "XLEN: redis $(redis-cli -p $RA XLEN s1) $(redis-cli -p $RA XLEN s2) neokv $(redis-cli -p $P XLEN s1) $(redis-cli -p $P XLEN s2)"
