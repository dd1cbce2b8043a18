#!/usr/bin/env bash
# ab-single.sh BIN [FLAGS...]: one A/B sample of a binary on a fresh single node: 1M SET -P16,
# then 2M GET -P16 (redis-benchmark -c 50 -r 100000 -d 100); prints requests per second and the
# server's CPU (user + system, from /proc) in microseconds per request. Alternate two binaries
# under quietrun. Every process it starts is stopped by pid. CONFIG="name value" sets a runtime
# setting first (e.g. CONFIG="notify-keyspace-events KEA").
set -u
BIN=$1; shift
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
P=$(port)
$BIN server --addr 127.0.0.1:$P --dir $TMP/n "$@" >$TMP/n.log 2>&1 & PIDS+=($!)
SP=$!
wait_up $P; sleep 1
[ -n "${CONFIG:-}" ] && redis-cli -p $P CONFIG SET ${CONFIG} >/dev/null
cpu() { awk '{print $14+$15}' /proc/$SP/stat; }
rb() { redis-benchmark -p $P -q -t $1 -n $2 -c 50 -P $3 -r 100000 -d 100 2>&1 | tr '\r' '\n' | awk '/requests per second/ {print $2; exit}'; }
c0=$(cpu); s=$(rb set 1000000 16); c1=$(cpu); g=$(rb get 2000000 16); c2=$(cpu)
echo "$(basename $BIN) SET-P16 $s cpu_us/set $(echo "($c1-$c0)*10000/1000000" | bc -l | cut -c1-5) GET-P16 $g cpu_us/get $(echo "($c2-$c1)*10000/2000000" | bc -l | cut -c1-5)"
