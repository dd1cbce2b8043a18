#!/usr/bin/env bash
# Profile a 3-node cluster under SET -P16 after warm-up: CPU profiles of
# the three nodes land in $OUT/cpu-node{1,2,3}.pprof. Uses fixed ports
# 17001-17003 (clients), 17101-17103 (Raft), 17201-17203 (pprof).
set -u
cd "$(dirname "$0")/../.."
OUT=${OUT:-$(mktemp -d)}
TMP=$(mktemp -d); PIDS=()
go build -o $TMP/neokv ./cmd/neokv || exit 1
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
IC="1=127.0.0.1:17101,2=127.0.0.1:17102,3=127.0.0.1:17103"
for i in 1 2 3; do
  $TMP/neokv server --node-id $i --addr 127.0.0.1:1700$i --raft-addr 127.0.0.1:1710$i --dir $TMP/n$i --initial-cluster $IC --pprof 127.0.0.1:1720$i ${EXTRA:-} >$TMP/n$i.log 2>&1 & PIDS+=($!)
done
for p in 17001 17002 17003; do for _ in $(seq 100); do redis-cli -p $p PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done; done
sleep 6
redis-benchmark -p 17001 --cluster -q -t set -n 200000 -c 50 -P 16 -r 100000 -d 100 2>&1 | tr '\r' '\n' | grep 'per second' | tail -1
(for i in 1 2 3; do curl -s -o $OUT/cpu-node$i.pprof "http://127.0.0.1:1720$i/debug/pprof/profile?seconds=8" & done; wait) & CP=$!
sleep 0.5
redis-benchmark -p 17001 --cluster -q -t set -n 400000 -c 50 -P 16 -r 100000 -d 100 2>&1 | tr '\r' '\n' | grep 'per second' | tail -1
wait $CP
grep -c 'installed snapshot' $TMP/n*.log; grep -ih 'warn\|error' $TMP/n*.log | head -5
for p in 17001 17002 17003; do redis-cli -p $p INFO neokv | grep -E 'commands_per_fsync|fsync_avg|commands_per_entry|apply_batch_avg|msgs_per_write|messages_per|row_cache|apply_batches|applied_commands' | tr -d '\r' | tr '\n' ' '; echo; done
