# beside-redis.sh, sourced by the single-node scripts: builds neokv into
# $BIN, then starts Debian's redis-server without persistence (port $RM),
# with appendonly yes + appendfsync always ($RA) and a single-node neokv
# ($NK), all on 127.0.0.1, and stops every one of them by pid on exit.
set -u
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "needs redis-server and redis-benchmark (apt-get install -y redis-server redis-tools)"; exit 1; }
go build -o "$BIN" ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 100); do redis-cli -p $1 PING >/dev/null 2>&1 && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
RM=$(port); RA=$(port); NK=$(port)
redis-server --port $RM --bind 127.0.0.1 --dir $TMP --save "" --appendonly no --daemonize no >$TMP/mem.log 2>&1 & PIDS+=($!)
mkdir -p $TMP/always
redis-server --port $RA --bind 127.0.0.1 --dir $TMP/always --save "" --appendonly yes --appendfsync always --daemonize no >$TMP/always.log 2>&1 & PIDS+=($!)
"$BIN" server --addr 127.0.0.1:$NK --dir $TMP/neokv >$TMP/neokv.log 2>&1 & PIDS+=($!)
wait_up $RM; wait_up $RA; wait_up $NK
