#!/usr/bin/env bash
# system.sh: where a 3-node cluster's CPU goes, kernel included. pprof sees
# only a store's Go code; under cluster loads on this machine about half of
# the stores' CPU is in the kernel (TCP over loopback, the log's fdatasync,
# futex wake-ups), which only a system-wide `perf record -e cpu-clock` shows
# (a software clock: it works in VMs without PMU counters).
#
# Usage: profiles/system.sh [set-p1|set-p16|spread-p1|mixed]   (default set-p1)
#   set-p1, set-p16: redis-benchmark --cluster -t set -c 50 -P 1 / -P 16
#   spread-p1: neokv bench --cluster -t set -P 1 (keys over all 16 Regions)
#   mixed: neokv bench --cluster -t set,get --ratio 1:1 -P 1
# Writes $OUT (default profiles/system-<scenario>/): report.txt (per
# process and kernel/user split, kernel entry points, top symbols), the
# load's output, per-store CPU per request from /proc. perf.data is kept in
# $TMP only (it is large). Needs perf (linux-perf) and root or
# perf_event_paranoid <= 1 for kernel symbols. Uses fixed 127.0.0.1 ports
# 17001-17003 (clients) and 17101-17103 (Raft); stops what it started.
set -u
cd "$(dirname "$0")/.."
SCEN=${1:-set-p1}
OUT=${OUT:-profiles/system-$SCEN}
N=${N:-150000}
command -v perf >/dev/null || { echo "perf not found (apt-get install linux-perf)"; exit 1; }
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
go build -o $TMP/neokv ./cmd/neokv || exit 1
mkdir -p "$OUT"
IC="1=127.0.0.1:17101,2=127.0.0.1:17102,3=127.0.0.1:17103"
for i in 1 2 3; do
  $TMP/neokv server --node-id $i --addr 127.0.0.1:1700$i --raft-addr 127.0.0.1:1710$i --dir $TMP/n$i \
    --initial-cluster $IC --event-loops 1 --apply-workers 1 >$TMP/n$i.log 2>&1 & PIDS+=($!)
done
for p in 17001 17002 17003; do for _ in $(seq 100); do redis-cli -p $p PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done; done
sleep 6
cpu() { for p in "${PIDS[@]}"; do awk '{printf "%d %d ", $14, $15}' /proc/$p/stat; done; }
load() {
  case $SCEN in
  set-p1) redis-benchmark -p 17001 --cluster -q -t set -n $N -c 50 -P 1 -r 100000 -d 100 2>&1 | tr '\r' '\n' | grep 'per second' | tail -1 ;;
  set-p16) redis-benchmark -p 17001 --cluster -q -t set -n $((N * 4)) -c 50 -P 16 -r 100000 -d 100 2>&1 | tr '\r' '\n' | grep 'per second' | tail -1 ;;
  spread-p1) $TMP/neokv bench -p 17001 --cluster -c 50 -P 1 -t set -d 100 -r 100000 -n $N -q 2>/dev/null | grep -E 'requests in|^  set ' ;;
  mixed) $TMP/neokv bench -p 17001 --cluster -c 50 -P 1 -t set,get --ratio 1:1 -d 100 -r 100000 -n $N -q 2>/dev/null | grep -E 'requests in|^  (set|get) ' ;;
  *) echo "unknown scenario $SCEN"; return 1 ;;
  esac
}
REQS=$N; [ "$SCEN" = set-p16 ] && REQS=$((N * 4))
A=$(cpu)
(sleep 1; perf record -e cpu-clock -a -g -o $TMP/perf.data sleep 5 >/dev/null 2>&1) & PP=$!
load | tee "$OUT/load.txt"
wait $PP
B=$(cpu)
HZ=$(getconf CLK_TCK)
{
  echo "# $SCEN: server CPU per request from /proc (whole run, $REQS requests)"
  paste <(echo $A | tr ' ' '\n') <(echo $B | tr ' ' '\n') | awk -v n=$REQS -v hz=$HZ '
    { d = ($2 - $1) * 1e6 / hz / n; if (NR % 2) u = d; else printf "node%d user %.1f us  sys %.1f us\n", NR / 2, u, d }'
  echo
  echo "# share of all samples by process and by user/kernel code (5 s, whole machine)"
  perf report -i $TMP/perf.data --no-children --sort comm,dso -g none --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -12
  echo
  echo "# the stores' kernel time by entry point (children: includes callees)"
  perf report -i $TMP/perf.data --children --sort sym -g none --stdio --comms neokv 2>/dev/null |
    grep -E '\[k\] (__x64_sys_|ksys_|tcp_sendmsg$|tcp_recvmsg$|ext4_sync_file|ext4_buffered_write_iter|net_rx_action|schedule$|do_futex)' | head -20
  echo
  echo "# the stores' top symbols (self)"
  perf report -i $TMP/perf.data --no-children --sort sym -g none --stdio --comms neokv 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
} >"$OUT/report.txt"
for p in 17001 17002 17003; do redis-cli -p $p INFO neokv | tr -d '\r' | grep -E 'commands_per_fsync|fsync_avg|commands_per_entry|reads_' | tr '\n' ' '; echo; done >>"$OUT/load.txt"
echo "wrote $OUT/report.txt"
