#!/usr/bin/env bash
# leader-transfer.sh: what a client that is not cluster-aware sees while a
# Region's leadership moves. Starts a 3-node cluster, runs `neokv bench`
# GET -c 20 -P 1 for 8 s through node 1 on one key, and moves the key's
# Region to the next store once a second (six NEOKV DEBUG TRANSFERs, as the
# MetaServer's balancer does). Reports errors and the latency percentiles.
# Every process it starts is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-/tmp/neokv-transfer-bin}
[ -n "${NOBUILD:-}" ] || go build -o "$BIN" ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 300); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
P=($(port) $(port) $(port)); R=($(port) $(port) $(port))
IC="1=127.0.0.1:${R[0]},2=127.0.0.1:${R[1]},3=127.0.0.1:${R[2]}"
for i in 1 2 3; do
  "$BIN" server --node-id $i --addr 127.0.0.1:${P[$((i-1))]} --raft-addr 127.0.0.1:${R[$((i-1))]} --dir $TMP/n$i --initial-cluster $IC >$TMP/n$i.log 2>&1 & PIDS+=($!)
done
for p in "${P[@]}"; do wait_up $p; done
sleep 6 # elections and leader balance
KEY=key:000000000000 # the key neokv bench -r 1 reads
REGION=$(( $(redis-cli -p ${P[0]} CLUSTER KEYSLOT $KEY) / 1024 + 1 ))
redis-cli -p ${P[0]} SET $KEY v >/dev/null
(for _ in 1 2 3 4 5 6; do
  sleep 1
  from=$(redis-cli -p ${P[0]} NEOKV REGIONS | awk -v r=$REGION '$1==r {print $5}')
  to=$(( from % 3 + 1 ))
  echo "region $REGION: store $from -> $to: $(redis-cli -p ${P[$((from-1))]} NEOKV DEBUG TRANSFER $REGION $to)"
done) & MOVER=$!
"$BIN" bench -p ${P[0]} -c 20 -P 1 -t get --duration 8s -q 2>&1 | grep -E "requests in|errors|latency|get"
wait $MOVER
