#!/usr/bin/env bash
# tools-agree.sh: do `neokv bench` and redis-benchmark report the same
# figures for the same load on a 3-node cluster? Both tools send plain
# (not cluster-aware) requests to node 1, which forwards what other nodes
# lead, with the same keys (key:NNNNNNNNNNNN, -r 100000), values (-d 100),
# connections (-c 50) and pipeline depth; each load runs twice per tool,
# alternating. Every process it starts is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
N=${N:-200000}
NB_FLAGS=${NB_FLAGS:-}          # e.g. --threads 1
LOADS=${LOADS:-set:1 set:16 get:1 get:16}
go build -o /tmp/neokv-agree-bin ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 300); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
SHARE=$(( $(nproc) / 3 )); [ $SHARE -ge 1 ] || SHARE=1
P=($(port) $(port) $(port)); R=($(port) $(port) $(port))
IC="1=127.0.0.1:${R[0]},2=127.0.0.1:${R[1]},3=127.0.0.1:${R[2]}"
for i in 1 2 3; do
  /tmp/neokv-agree-bin server --node-id $i --addr 127.0.0.1:${P[$((i-1))]} --raft-addr 127.0.0.1:${R[$((i-1))]} \
    --dir $TMP/n$i --initial-cluster $IC --event-loops $SHARE --apply-workers $SHARE >$TMP/n$i.log 2>&1 & PIDS+=($!)
done
for p in "${P[@]}"; do wait_up $p; done
sleep 6 # elections and leader balance
rb() { redis-benchmark -p ${P[0]} -q -t $1 -n $N -c 50 -P $2 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
nb() { /tmp/neokv-agree-bin bench $NB_FLAGS -p ${P[0]} -q -t $1 -n $N -c 50 -P $2 -r 100000 -d 100 2>/dev/null | awk '/requests in/ {print $(NF-3); exit}'; }
printf '%-10s %14s %14s %14s %14s %7s\n' load redis-bench neokv-bench redis-bench neokv-bench ratio
for spec in $LOADS; do
  t=${spec%%:*}; p=${spec##*:}
  a=$(rb $t $p); b=$(nb $t $p); c=$(rb $t $p); d=$(nb $t $p)
  printf '%-10s %14s %14s %14s %14s %7.2f\n' "$t -P$p" "$a" "$b" "$c" "$d" "$(echo "($b + $d) / ($a + $c)" | bc -l)"
done
