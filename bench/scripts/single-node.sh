#!/usr/bin/env bash
# single-node.sh: NeoKV's single-node server beside Debian's redis-server
# (no persistence, and appendonly yes + appendfsync always), measured in one
# run on one machine: redis-benchmark SET/GET at -c 50 -P 1 and -P 16 and
# neokv bench at -P 16. Loads alternate between servers so that all figures
# share the machine's state. Every server it starts is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install -y redis-server redis-tools)"; exit 1; }
N=${N:-200000}
go build -o /tmp/neokv-bench-bin ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do redis-cli -p $1 PING >/dev/null 2>&1 && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
RM=$(port); RA=$(port); NK=$(port)
redis-server --port $RM --bind 127.0.0.1 --dir $TMP --save "" --appendonly no --daemonize no >$TMP/mem.log 2>&1 & PIDS+=($!)
mkdir -p $TMP/always
redis-server --port $RA --bind 127.0.0.1 --dir $TMP/always --save "" --appendonly yes --appendfsync always --daemonize no >$TMP/always.log 2>&1 & PIDS+=($!)
/tmp/neokv-bench-bin server --addr 127.0.0.1:$NK --dir $TMP/neokv >$TMP/neokv.log 2>&1 & PIDS+=($!)
wait_up $RM; wait_up $RA; wait_up $NK
rb() { redis-benchmark -p $1 -q -t $2 -n $N -c 50 -P $3 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
printf '%-22s %12s %12s %12s %8s\n' load redis-mem redis-always neokv neo/always
for t in set get; do for P in 1 16; do
  a=$(rb $RM $t $P); b=$(rb $RA $t $P); c=$(rb $NK $t $P)
  printf '%-22s %12s %12s %12s %8.2f\n' "redis-benchmark $t P$P" "$a" "$b" "$c" "$(echo "$c / $b" | bc -l)"
done; done
nb() { /tmp/neokv-bench-bin bench -p $1 -c 50 -P 16 -t $2 -d 100 -r 100000 -n $N -q 2>/dev/null | awk '/requests per second/ {print $6}'; }
for t in set get; do
  a=$(nb $RM $t); b=$(nb $RA $t); c=$(nb $NK $t)
  printf '%-22s %12s %12s %12s %8.2f\n' "neokv-bench $t P16" "$a" "$b" "$c" "$(echo "$c / $b" | bc -l)"
done
redis-cli -p $NK INFO neokv | grep -E 'commands_per_fsync|fsync_avg|commands_per_entry|apply_batch_avg' | tr -d '\r'
