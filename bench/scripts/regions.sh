#!/usr/bin/env bash
# regions.sh: does NeoKV scale in Regions? Starts a 3-node cluster with 16
# Regions, runs redis-benchmark SET -c 50 -P 16 --cluster, stops it; then the
# same with 1024 Regions; then lets the 1024-Region cluster go idle and
# reports each process's CPU (percent of one core) over IDLE_S seconds.
# Each cluster first takes WARM SETs of the same load, unmeasured, so that
# both are compared in the same state: Pebble starts with a 256 KiB memtable
# and doubles it at each flush up to --memtable-mb, and inserts into small
# memtables are cheaper; a 1024-Region cluster's start-up writes (Region
# records, the MetaServer's state) grow its memtables to full size before the
# load (INFO pebble_memtable_bytes 66 MB vs 256 KiB with 16 Regions), so a
# cold run compared a 16-Region store in its cheap first memtables with a
# 1024-Region store in full-size ones (ratio 0.73-0.86 cold, ~1.03 warm).
# Every process it starts is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
N=${N:-200000}; WARM=${WARM:-300000}; IDLE_S=${IDLE_S:-20}
go build -o /tmp/neokv-regions-bin ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
stop_all() { for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; PIDS=(); }
trap 'stop_all; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 300); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
start() { # regions
  P1=$(port); P2=$(port); P3=$(port); R1=$(port); R2=$(port); R3=$(port)
  IC="1=127.0.0.1:$R1,2=127.0.0.1:$R2,3=127.0.0.1:$R3"
  i=1; for p in $P1 $P2 $P3; do r=$(eval echo \$R$i)
    /tmp/neokv-regions-bin server --node-id $i --addr 127.0.0.1:$p --raft-addr 127.0.0.1:$r --dir $TMP/r$1-n$i --initial-cluster $IC --regions $1 >$TMP/r$1-n$i.log 2>&1 & PIDS+=($!)
    i=$((i+1)); done
  wait_up $P1; wait_up $P2; wait_up $P3; sleep 8 # elections and leader balance
}
rb() { redis-benchmark -p $P1 --cluster -q -t set -n ${1:-$N} -c 50 -P 16 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
echo "--- redis-benchmark --cluster -q -t set -n $N -c 50 -P 16 -r 100000 -d 100 (after $WARM unmeasured)"
start 16; rb $WARM >/dev/null; r16=$(rb); echo "16 Regions:   $r16 SET/s"; stop_all
start 1024; rb $WARM >/dev/null; r1024=$(rb); echo "1024 Regions: $r1024 SET/s"
printf 'ratio 1024/16: %.2f\n' "$(echo "$r1024 / $r16" | bc -l)"
sleep 10 # let the Regions quiesce after the load
HZ=$(getconf CLK_TCK); declare -A before
for p in "${PIDS[@]}"; do before[$p]=$(cpu_ticks $p); done
sleep $IDLE_S
for p in "${PIDS[@]}"; do
  t=$(( $(cpu_ticks $p) - ${before[$p]} ))
  printf 'idle 1024 Regions, pid %s: %.1f%% of one core over %ss\n' $p "$(echo "100 * $t / $HZ / $IDLE_S" | bc -l)" $IDLE_S
done
