#!/usr/bin/env bash
# single-node.sh: NeoKV's single-node server beside Debian's redis-server
# (no persistence, and appendonly yes + appendfsync always), measured in one
# run on one machine: redis-benchmark SET/GET at -c 50 -P 1 and -P 16 and
# neokv bench at -P 16. Loads alternate between servers so that all figures
# share the machine's state. Every server it starts is stopped by pid.
N=${N:-200000}
BIN=/tmp/neokv-bench-bin
. "$(dirname "$0")/beside-redis.sh"
rb() { redis-benchmark -p $1 -q -t $2 -n $N -c 50 -P $3 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
printf '%-22s %12s %12s %12s %8s\n' load redis-mem redis-always neokv neo/always
for t in set get; do for P in 1 16; do
  a=$(rb $RM $t $P); b=$(rb $RA $t $P); c=$(rb $NK $t $P)
  printf '%-22s %12s %12s %12s %8.2f\n' "redis-benchmark $t P$P" "$a" "$b" "$c" "$(echo "$c / $b" | bc -l)"
done; done
nb() { "$BIN" bench -p $1 -c 50 -P 16 -t $2 -d 100 -r 100000 -n $N -q 2>/dev/null | awk '/requests per second/ {print $6}'; }
for t in set get; do
  a=$(nb $RM $t); b=$(nb $RA $t); c=$(nb $NK $t)
  printf '%-22s %12s %12s %12s %8.2f\n' "neokv-bench $t P16" "$a" "$b" "$c" "$(echo "$c / $b" | bc -l)"
done
redis-cli -p $NK INFO neokv | grep -E 'commands_per_fsync|fsync_avg|commands_per_entry|apply_batch_avg' | tr -d '\r'
