#!/usr/bin/env bash
# types.sh: redis-benchmark's collection tests against Debian's redis-server
# (appendonly yes, appendfsync always), NeoKV single node, and a 3-node NeoKV
# cluster (--cluster), in one run; then 1,000,000-element hash, list and
# sorted set built, paged and deleted on the single node, with a concurrent
# GET's worst latency during each delete. Every process is stopped by pid.
set -u
cd "$(dirname "$0")/../.."
N=${N:-100000}
go build -o /tmp/neokv-types-bin ./cmd/neokv || exit 1
TMP=$(mktemp -d); PIDS=()
trap 'for p in "${PIDS[@]:-}"; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do redis-cli -p $1 PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done; echo "port $1 did not come up"; exit 1; }
RA=$(port); NS=$(port)
mkdir -p $TMP/always
redis-server --port $RA --bind 127.0.0.1 --dir $TMP/always --save "" --appendonly yes --appendfsync always --daemonize no >$TMP/always.log 2>&1 & PIDS+=($!)
/tmp/neokv-types-bin server --addr 127.0.0.1:$NS --dir $TMP/single >$TMP/single.log 2>&1 & PIDS+=($!)
P1=$(port); P2=$(port); P3=$(port); R1=$(port); R2=$(port); R3=$(port)
IC="1=127.0.0.1:$R1,2=127.0.0.1:$R2,3=127.0.0.1:$R3"
i=1; for p in $P1 $P2 $P3; do r=$(eval echo \$R$i)
  /tmp/neokv-types-bin server --node-id $i --addr 127.0.0.1:$p --raft-addr 127.0.0.1:$r --dir $TMP/n$i --initial-cluster $IC >$TMP/n$i.log 2>&1 & PIDS+=($!)
  i=$((i+1)); done
wait_up $RA; wait_up $NS; wait_up $P1; wait_up $P2; wait_up $P3; sleep 5
TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,mset
run() { # port extra -> "test rps" lines; prints ERROR lines if any
  redis-benchmark -p $1 -q -n $N -c 50 -t $TESTS $2 2>&1 | tr '\r' '\n' | grep -E 'requests per second|ERR|rror' | grep -v '^$'
}
echo "--- redis-benchmark -q -n $N -c 50 -t $TESTS"
echo "redis-always:";       run $RA "" | awk -F: '/requests per second/ {print $1": "$2}' | sed 's/ requests per second.*//'
echo "neokv single node:";  out=$(run $NS ""); echo "$out" | grep -iE 'err' || true; echo "$out" | awk -F: '/requests per second/ {print $1": "$2}' | sed 's/ requests per second.*//'
echo "neokv 3-node --cluster:"; out=$(run $P1 "--cluster"); echo "$out" | grep -iE 'err' || true; echo "$out" | awk -F: '/requests per second/ {print $1": "$2}' | sed 's/ requests per second.*//'
echo "--- 1,000,000-element collections on the single node"
python3 - $NS <<'PY'
import socket, sys, time, threading
port = int(sys.argv[1])
def conn():
    s = socket.create_connection(("127.0.0.1", port)); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1); return s
def enc(*a):
    out = [b"*%d\r\n" % len(a)]
    for x in a:
        x = x if isinstance(x, bytes) else str(x).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(x), x))
    return b"".join(out)
def read_replies(s, n, buf=bytearray()):
    # count complete top-level replies (simple parser, enough for these replies)
    got = 0; f = s.makefile("rb")
    def one():
        line = f.readline()
        t = line[:1]
        if t in b"+-:": return
        if t == b"$":
            n = int(line[1:-2]);
            if n >= 0: f.read(n + 2)
            return
        if t == b"*":
            for _ in range(int(line[1:-2])): one()
    for _ in range(n): one()
s = conn()
def pipeline(cmds, batch=1000):
    for i in range(0, len(cmds), batch):
        chunk = cmds[i:i+batch]; s.sendall(b"".join(chunk)); read_replies(s, len(chunk))
stop = False; worst = [0.0]
def prober():
    p = conn()
    while not stop:
        t = time.time(); p.sendall(enc("GET", "probe")); read_replies(p, 1); worst[0] = max(worst[0], time.time() - t); time.sleep(0.005)
for kind, build, page, delete in [
    ("hash", lambda i: enc("HSET", "{big}h", *sum([["f%07d" % j, "v"] for j in range(i, i+100)], [])), lambda: enc("HSCAN", "{big}h", 0, "COUNT", 1000), "{big}h"),
    ("list", lambda i: enc("RPUSH", "{big}l", *["v%07d" % j for j in range(i, i+100)]), lambda: enc("LRANGE", "{big}l", 500000, 500999), "{big}l"),
    ("zset", lambda i: enc("ZADD", "{big}z", *sum([[j, "m%07d" % j] for j in range(i, i+100)], [])), lambda: enc("ZRANGE", "{big}z", 500000, 510000, "BYSCORE", "LIMIT", 0, 1000), "{big}z"),
]:
    t = time.time(); pipeline([build(i) for i in range(0, 1000000, 100)], batch=50); tb = time.time() - t
    t = time.time(); pipeline([page() for _ in range(100)], batch=1); tp = (time.time() - t) / 100
    stop = False; worst[0] = 0.0; th = threading.Thread(target=prober); th.start(); time.sleep(0.2)
    t = time.time(); pipeline([enc("DEL", delete)], batch=1); td = time.time() - t
    time.sleep(0.2); stop = True; th.join()
    print(f"{kind}: build 1M in {tb:.1f} s ({1e6/tb:,.0f} elements/s), page of 1000 in {tp*1000:.1f} ms, DEL in {td*1000:.1f} ms, worst concurrent GET {worst[0]*1000:.1f} ms")
PY
