#!/usr/bin/env bash
# capture.sh [SCENARIO]: runs a named neokv bench scenario against a fresh
# single-node server with pprof on, and captures CPU, heap, allocs, mutex and
# block profiles into profiles/<scenario>/. Stops the server it started.
# Scenarios: set-p16 (default), get-p16, set-p1.
set -eu
cd "$(dirname "$0")/.."
SCEN=${1:-set-p16}
case $SCEN in
  set-p16) ARGS="-c 50 -P 16 -t set" ;;
  get-p16) ARGS="-c 50 -P 16 -t get" ;;
  set-p1)  ARGS="-c 50 -P 1 -t set" ;;
  *) echo "unknown scenario $SCEN"; exit 2 ;;
esac
OUT=profiles/$SCEN; mkdir -p $OUT
go build -o $OUT/neokv ./cmd/neokv
TMP=$(mktemp -d)
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
P=$(port); PP=$(port)
$OUT/neokv server --addr 127.0.0.1:$P --dir $TMP/d --pprof 127.0.0.1:$PP >$TMP/log 2>&1 & SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null; rm -rf $TMP' EXIT
for _ in $(seq 100); do redis-cli -p $P PING >/dev/null 2>&1 && break; sleep 0.1; done
if [ "$SCEN" = get-p16 ]; then $OUT/neokv bench -p $P -c 50 -P 16 -t set -d 100 -r 100000 -n 200000 -q >/dev/null; fi
$OUT/neokv bench -p $P $ARGS -d 100 -r 100000 --duration 14s -q > $OUT/bench.txt &
BENCH=$!
sleep 3
curl -s "http://127.0.0.1:$PP/debug/pprof/profile?seconds=8" > $OUT/cpu.pprof
curl -s "http://127.0.0.1:$PP/debug/pprof/heap" > $OUT/heap.pprof
curl -s "http://127.0.0.1:$PP/debug/pprof/allocs" > $OUT/allocs.pprof
curl -s "http://127.0.0.1:$PP/debug/pprof/mutex" > $OUT/mutex.pprof
curl -s "http://127.0.0.1:$PP/debug/pprof/block" > $OUT/block.pprof
wait $BENCH
redis-cli -p $P INFO neokv | tr -d '\r' > $OUT/info-neokv.txt
go tool pprof -top -nodecount=40 $OUT/neokv $OUT/cpu.pprof > $OUT/cpu-top.txt 2>/dev/null
rm -f $OUT/neokv
echo "profiles in $OUT"; head -5 $OUT/bench.txt
