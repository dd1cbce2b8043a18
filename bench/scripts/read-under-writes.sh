#!/usr/bin/env bash
# read-under-writes.sh: what readers get while writes saturate a single
# node. redis-benchmark SETs flat out (-c 50 -P 16, 10M-key space, 100-byte
# values) while `neokv bench` GETs on 4 connections (-P 1) for 15 s; prints
# the GET line (count, avg, p50, p90, p99, p99.9, p99.99, max in ms). Give
# binaries as arguments to compare them, alternated (default: this tree's).
# Every process it starts is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
if [ $# -eq 0 ]; then
  go build -o /tmp/neokv-rw-bin ./cmd/neokv || exit 1
  set -- /tmp/neokv-rw-bin
fi
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
for BIN in "$@"; do
  P=$(port); rm -rf "$TMP/d"
  "$BIN" server --addr 127.0.0.1:$P --dir "$TMP/d" >"$TMP/log" 2>&1 & SRV=$!; PIDS=($SRV)
  for _ in $(seq 100); do redis-cli -p $P PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-benchmark -p $P -q -t set -n 1500000 -c 50 -P 16 -r 10000000 -d 100 >"$TMP/rb.txt" 2>&1 & RB=$!; PIDS+=($RB)
  out=$("$BIN" bench -p $P -c 4 -P 1 -t get -r 10000000 --duration 15s -q 2>/dev/null | grep "^ *get")
  kill $RB 2>/dev/null; wait $RB 2>/dev/null
  echo "$BIN: $out"
  kill $SRV; wait $SRV 2>/dev/null; PIDS=()
done
