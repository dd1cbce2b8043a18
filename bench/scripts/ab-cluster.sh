#!/usr/bin/env bash
# ab-cluster.sh BIN ["EXTRA FLAGS"]: one A/B sample of a binary on a fresh 3-node cluster
# (each store with one event loop and one apply worker, as cluster.sh): redis-benchmark --cluster
# SET -P16 (N16 requests), SET -P1 (N1), then neokv bench --cluster mixed 1:1 for 10 s. Alternate
# two binaries, in both orders, under quietrun. Every process it starts is stopped by pid.
set -u
BIN=$1; EXTRA=${2:-}
N16=${N16:-1000000}; N1=${N1:-200000}
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
P1=$(port); P2=$(port); P3=$(port); R1=$(port); R2=$(port); R3=$(port)
IC="1=127.0.0.1:$R1,2=127.0.0.1:$R2,3=127.0.0.1:$R3"
i=1; for p in $P1 $P2 $P3; do r=$(eval echo \$R$i)
  $BIN server --node-id $i --addr 127.0.0.1:$p --raft-addr 127.0.0.1:$r --dir $TMP/n$i --initial-cluster $IC --event-loops 1 --apply-workers 1 $EXTRA >$TMP/n$i.log 2>&1 & PIDS+=($!); i=$((i+1)); done
wait_up $P1; wait_up $P2; wait_up $P3; sleep 5
rb() { redis-benchmark -p $P1 --cluster -q -t set -n $1 -c 50 -P $2 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
a=$(rb $N16 16); b=$(rb $N1 1)
m=$($BIN bench -p $P1 --cluster -c 50 -P 1 -t set,get --ratio 1:1 -d 100 -r 100000 --duration 10s -q 2>/dev/null | grep -E 'requests in' | head -1)
echo "$(basename $BIN) [$EXTRA] SET-P16 $a SET-P1 $b mixed: $m"
for p in $P1; do redis-cli -p $p INFO neokv | grep -E 'commands_per_fsync|fsync_avg|pebble_memtable' | tr -d '\r' | tr '\n' ' '; echo; done
