#!/usr/bin/env bash
# scripting.sh: Lua scripts on NeoKV's single node beside Debian's
# redis-server (no persistence, and appendonly yes + appendfsync always), in
# one run: redis-benchmark EVAL of a script that SETs (a write through the
# log), EVALSHA of the same script, EVAL_RO of a GET (a read), each at
# -c 50 -P 1 and -P 16. Every server it starts is stopped by pid.
N=${N:-100000}
BIN=/tmp/neokv-script-bin
. "$(dirname "$0")/beside-redis.sh"
SET_SCRIPT="redis.call('SET', KEYS[1], ARGV[1]) return 1"
GET_SCRIPT="return redis.call('GET', KEYS[1])"
rb() { # port P name args...
  local p=$1 P=$2; shift 2
  redis-benchmark -p $p -q -n $N -c 50 -P $P -r 100000 "$@" 2>&1 | tr '\r' '\n' | awk '/requests per second/ {for (i = 2; i <= NF; i++) if ($i == "requests") {print $(i-1); exit}}'
}
printf '%-26s %12s %12s %12s %8s\n' load redis-mem redis-always neokv neo/always
for P in 1 16; do
  row() { # label args...
    local label=$1; shift
    a=$(rb $RM $P "$@"); b=$(rb $RA $P "$@"); c=$(rb $NK $P "$@")
    printf '%-26s %12s %12s %12s %8.2f\n' "$label P$P" "$a" "$b" "$c" "$(echo "$c / $b" | bc -l)"
  }
  row "EVAL set" eval "$SET_SCRIPT" 1 key:__rand_int__ value
  for p in $RM $RA $NK; do redis-cli -p $p SCRIPT LOAD "$SET_SCRIPT" >/dev/null; done
  SHA=$(redis-cli -p $NK SCRIPT LOAD "$SET_SCRIPT")
  row "EVALSHA set" evalsha $SHA 1 key:__rand_int__ value
  row "EVAL_RO get" eval_ro "$GET_SCRIPT" 1 key:__rand_int__
  row "SET (no script)" set key:__rand_int__ value
done
