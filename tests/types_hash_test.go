package tests

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Differential tests of the hash and set commands: scripts run against
// NeoKV and the reference redis-server, every reply compared byte for byte
// — in RESP2 and RESP3, one command at a time and all pipelined.
//
// Script syntax, one command per line (as kv_diff_test.go, more modes):
//
//	HSET h a 1         compare the reply exactly
//	? HRANDFIELD h     compare only the reply's type byte
//	! SMEMBERS s       compare after sorting the elements of the reply (a
//	                   SCAN reply's element array; a RESP3 map's pairs)
//	= HGETALL h        as !, the elements taken in pairs (field, value)
//	~ SPOP s 2         compare the shape: the header (type and length) of
//	                   the reply and of each element
//	# ...              comment
//
// Replies whose order differs between Redis's hash tables and NeoKV's byte
// order are compared sorted. Random choices (SPOP, SRANDMEMBER, HRANDFIELD)
// are compared by shape, or made deterministic (count >= size). Redis
// returns a small hash or an integer set whole to HSCAN/SSCAN, as NeoKV
// does up to 128 elements; the scripts keep other sets small too, where
// Redis's dictionary scan also returns everything in one call.

type hsScript struct{ name, script string }

type hsLine struct {
	no   int
	mode byte
	args []string
}

func hsParseScript(t *testing.T, name, script string) []hsLine {
	t.Helper()
	var lines []hsLine
	sc := bufio.NewScanner(strings.NewReader(script))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		l := hsLine{no: n}
		if strings.IndexByte("?!=~", line[0]) >= 0 {
			l.mode = line[0]
			line = strings.TrimSpace(line[1:])
		}
		for line != "" {
			if line[0] == '"' {
				q, err := strconv.QuotedPrefix(line)
				if err != nil {
					t.Fatalf("%s:%d: bad quoted argument: %v", name, n, err)
				}
				s, _ := strconv.Unquote(q)
				l.args = append(l.args, s)
				line = strings.TrimLeft(line[len(q):], " ")
				continue
			}
			i := strings.IndexByte(line, ' ')
			if i < 0 {
				i = len(line)
			}
			l.args = append(l.args, line[:i])
			line = strings.TrimLeft(line[i:], " ")
		}
		lines = append(lines, l)
	}
	return lines
}

// hsNode is a parsed reply: its header line and, for aggregates, elements.
type hsNode struct {
	head string
	kids []*hsNode
	raw  string
}

func hsParseReply(t *testing.T, raw string) *hsNode {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(raw))
	n, err := hsReadNode(r)
	if err != nil {
		t.Fatalf("malformed reply %q: %v", raw, err)
	}
	return n
}

func hsReadNode(r *bufio.Reader) (*hsNode, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	n := &hsNode{head: line}
	switch line[0] {
	case '$', '=', '!':
		var b strings.Builder
		b.WriteString(line)
		size, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil {
			return nil, err
		}
		if size >= 0 {
			buf := make([]byte, size+2)
			if _, err := ioReadFull(r, buf); err != nil {
				return nil, err
			}
			b.Write(buf)
		}
		n.raw = b.String()
	case '*', '~', '%', '>':
		size, err := strconv.Atoi(strings.TrimSpace(line[1:]))
		if err != nil {
			return nil, err
		}
		if line[0] == '%' {
			size *= 2
		}
		var b strings.Builder
		b.WriteString(line)
		for i := 0; i < size; i++ {
			k, err := hsReadNode(r)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, k)
			b.WriteString(k.raw)
		}
		n.raw = b.String()
	default:
		n.raw = line
	}
	return n, nil
}

// hsNormalize rewrites a reply for comparison in the given mode.
func hsNormalize(t *testing.T, raw string, mode byte) string {
	if mode == 0 {
		return raw
	}
	if mode == '?' {
		return raw[:1]
	}
	n := hsParseReply(t, raw)
	if mode == '~' {
		var b strings.Builder
		b.WriteString(n.head)
		for _, k := range n.kids {
			b.WriteString(k.head[:1])
			if len(k.kids) > 0 {
				b.WriteString(k.head)
			}
		}
		return b.String()
	}
	target := n
	// A SCAN reply: [cursor, elements].
	if n.head == "*2\r\n" && len(n.kids) == 2 && n.kids[0].head[0] == '$' && len(n.kids[1].head) > 0 && n.kids[1].head[0] == '*' {
		target = n.kids[1]
	}
	if len(target.kids) == 0 {
		return raw
	}
	group := 1
	// Pairs, unless each element is already a [field, value] array (RESP3
	// HRANDFIELD ... WITHVALUES).
	if (mode == '=' || target.head[0] == '%') && len(target.kids[0].kids) == 0 {
		group = 2
	}
	var units []string
	for i := 0; i+group <= len(target.kids); i += group {
		var u strings.Builder
		for j := 0; j < group; j++ {
			u.WriteString(target.kids[i+j].raw)
		}
		units = append(units, u.String())
	}
	sort.Strings(units)
	sorted := target.head + strings.Join(units, "")
	if target == n {
		return sorted
	}
	return n.head + n.kids[0].raw + sorted
}

// hsRunDiff runs every script in RESP2 and RESP3, sequentially and
// pipelined, against one NeoKV server and one redis-server.
func hsRunDiff(t *testing.T, scripts []hsScript) {
	neo := StartServer(t)
	logOnFailure(t, neo)
	hsRunDiffOn(t, neo.Addr, StartRedis(t), scripts)
}

// hsRunDiffOn is hsRunDiff against a NeoKV server at neoAddr.
func hsRunDiffOn(t *testing.T, neoAddr string, ref *RedisServer, scripts []hsScript) {
	for _, proto := range []string{"2", "3"} {
		for _, pipelined := range []bool{false, true} {
			for _, sc := range scripts {
				name := fmt.Sprintf("resp%s/%s", proto, sc.name)
				if pipelined {
					name += "/pipelined"
				}
				t.Run(name, func(t *testing.T) {
					lines := hsParseScript(t, sc.name, sc.script)
					a, b := Dial(t, neoAddr), Dial(t, ref.Addr)
					for _, c := range []*RawConn{a, b} {
						if got := c.Do("FLUSHALL"); got != "+OK\r\n" {
							t.Fatalf("FLUSHALL: %q", got)
						}
						if proto == "3" {
							if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, "%") {
								t.Fatalf("HELLO 3: %q", got)
							}
						}
					}
					var got, want []string
					if pipelined {
						var all strings.Builder
						for _, l := range lines {
							all.WriteString(encodeCommand(l.args))
						}
						a.Send(all.String())
						b.Send(all.String())
						for range lines {
							got, want = append(got, a.ReadReply()), append(want, b.ReadReply())
						}
					} else {
						for _, l := range lines {
							got, want = append(got, a.Do(l.args...)), append(want, b.Do(l.args...))
						}
					}
					for i, l := range lines {
						g, w := hsNormalize(t, got[i], l.mode), hsNormalize(t, want[i], l.mode)
						if g != w {
							t.Errorf("line %d: %s\n  neokv: %q\n  redis: %q", l.no, fmtArgs(l.args), got[i], want[i])
						}
					}
				})
			}
		}
	}
}

var hashDiffScripts = []hsScript{
	{"hset-hget", `
HSET h a 1
HSET h a 2 b 3
HGET h a
HGET h b
HGET h nope
HGET nokey a
HSET h "" empty
HGET h ""
HSET h "f\x00\r\n" "v\x00\r\n"
HGET h "f\x00\r\n"
HLEN h
HSET h a
HSET h a 1 b
HSET h
HMSET h a 1 b
HMSET h x 10 y 20
HMSET h
HSET h a 1 a 2 a 3
HGET h a
HSETNX h a 5
HSETNX h z 5
HSETNX h z 6
HGET h z
HSETNX newh f v
HGETALL newh
HSETNX h a
= HGETALL h
! HKEYS h
! HVALS h
HLEN h
HLEN nokey
hset h Mixed Case
HGET h Mixed
`},
	{"hmget-hstrlen-hexists", `
HSET h a 1 b "" c hello
HMGET h a b c d
HMGET nokey a b
HMGET h
HSTRLEN h a
HSTRLEN h b
HSTRLEN h c
HSTRLEN h nope
HSTRLEN nokey a
HEXISTS h a
HEXISTS h b
HEXISTS h nope
HEXISTS nokey a
HSTRLEN h
HEXISTS h
`},
	{"hdel-empties", `
HSET h a 1 b 2 c 3
HDEL h a nope
HDEL h a
HLEN h
HDEL h b c c d
EXISTS h
TYPE h
HDEL h b
HLEN h
HGETALL h
HKEYS h
HVALS h
HDEL nokey a
HDEL h
HSET h x 1
HDEL h x x x
EXISTS h
`},
	{"hincrby", `
HINCRBY h n 5
HINCRBY h n -7
HGET h n
HINCRBY h n 9223372036854775807
HINCRBY h n -9223372036854775808
HSET h max 9223372036854775807 min -9223372036854775808
HINCRBY h max 1
HINCRBY h max 0
HINCRBY h min -1
HINCRBY h min 1
HINCRBY h n x
HINCRBY h n 1.5
HINCRBY h n ""
HINCRBY h n 99999999999999999999
HSET h s hello sp " 1" f 1.5 big 99999999999999999999 z0 01
HINCRBY h s 1
HINCRBY h sp 1
HINCRBY h f 1
HINCRBY h big 1
HINCRBY h z0 1
HINCRBY newkey f -3
HGETALL newkey
HINCRBY h n
`},
	{"hincrbyfloat", `
HINCRBYFLOAT h f 10.5
HINCRBYFLOAT h f 0.1
HINCRBYFLOAT h f -5
HINCRBYFLOAT h f 3.0e3
HINCRBYFLOAT h g 0.1
HINCRBYFLOAT h g 0.2
HINCRBYFLOAT h g 5200
HINCRBYFLOAT h h 1e-5
HINCRBYFLOAT h i -0.0
HINCRBYFLOAT h j 1.7976931348623157e308
HINCRBYFLOAT h j 1.7976931348623157e308
HINCRBYFLOAT h k 1e4000
HINCRBYFLOAT h k 1e4932
HINCRBYFLOAT h k 1e4932
HINCRBYFLOAT h f inf
HINCRBYFLOAT h f -inf
HINCRBYFLOAT h f nan
HINCRBYFLOAT h f abc
HINCRBYFLOAT h f ""
HINCRBYFLOAT h f " 1"
HINCRBYFLOAT h f 0x10
HINCRBYFLOAT h f 1e
HSET h s hello inf inf sp " 1" int 10
HINCRBYFLOAT h s 1
HINCRBYFLOAT h inf 1
HINCRBYFLOAT h sp 1
HINCRBYFLOAT h int 0.5
HINCRBYFLOAT h int -10.5
HGET h int
HINCRBYFLOAT newkey f 2.5
HGETALL newkey
HINCRBYFLOAT h f
`},
	{"hgetall-shapes", `
HGETALL nokey
HKEYS nokey
HVALS nokey
HSET h one 1
HGETALL h
HKEYS h
HVALS h
HSET h two 2 three 3
= HGETALL h
! HKEYS h
! HVALS h
HGETALL
HKEYS h extra
`},
	{"wrongtype", `
SET str v
HSET str a 1
HSETNX str a 1
HMSET str a 1
HGET str a
HMGET str a
HDEL str a
HLEN str
HSTRLEN str a
HEXISTS str a
HKEYS str
HVALS str
HGETALL str
HINCRBY str a 1
HINCRBYFLOAT str a 1
HSCAN str 0
HRANDFIELD str
HRANDFIELD str 2
HRANDFIELD str 2 WITHVALUES
HINCRBY str a x
HINCRBYFLOAT str a x
HRANDFIELD str x
HSET h a 1
GET h
INCR h
APPEND h x
SADD h x
HSCAN str x
HSCAN str 0 foo
HSET str a
GET str
`},
	{"hscan", `
HSCAN nokey 0
HSCAN nokey 0 COUNT 0
HSCAN nokey x
HSET h a 1 b 2 c 3 ab 4
= HSCAN h 0
= HSCAN h 0 COUNT 1
= HSCAN h 0 COUNT 1000
= HSCAN h 0 MATCH a*
= HSCAN h 0 MATCH a* COUNT 1
= HSCAN h 0 match *
= HSCAN h 0 MATCH z*
= HSCAN h 0 MATCH a* MATCH b*
= HSCAN h 0 COUNT 5 COUNT 7
= HSCAN h -1
= HSCAN h ""
= HSCAN h +0
= HSCAN h 18446744073709551615
HSCAN h 18446744073709551616
HSCAN h " 0"
HSCAN h "0 "
HSCAN h 1x
HSCAN h 0 COUNT 0
HSCAN h 0 COUNT -1
HSCAN h 0 COUNT x
HSCAN h 0 COUNT
HSCAN h 0 MATCH
HSCAN h 0 TYPE hash
HSCAN h 0 NOVALUES
HSCAN h 0 foo bar
HSCAN h
`},
	{"hrandfield", `
HRANDFIELD nokey
HRANDFIELD nokey 3
HRANDFIELD nokey -3 WITHVALUES
HRANDFIELD nokey 0
HSET h a 1
HRANDFIELD h
HRANDFIELD h 1
HRANDFIELD h 5
HRANDFIELD h -3
HRANDFIELD h 2 WITHVALUES
HRANDFIELD h -2 WITHVALUES
HRANDFIELD h 0
HRANDFIELD h 0 WITHVALUES
HRANDFIELD h -0
HSET h b 2 c 3
= HRANDFIELD h 3 WITHVALUES
= HRANDFIELD h 100 WITHVALUES
! HRANDFIELD h 3
! HRANDFIELD h 9223372036854775807
~ HRANDFIELD h 2
~ HRANDFIELD h -5
~ HRANDFIELD h 2 WITHVALUES
~ HRANDFIELD h -5 WITHVALUES
? HRANDFIELD h
HRANDFIELD h x
HRANDFIELD h 1.5
HRANDFIELD h -9223372036854775808
HRANDFIELD h 1 VALUES
HRANDFIELD h 1 WITHVALUES x
HRANDFIELD h 4611686018427387903 WITHVALUES x
HRANDFIELD h 4611686018427387904 WITHVALUES
HRANDFIELD h -4611686018427387904 WITHVALUES
HRANDFIELD nokey 4611686018427387904 WITHVALUES
`},
	{"hash-keyspace", `
HSET {h}a f1 v1 f2 v2
TYPE {h}a
TYPE nokey
EXISTS {h}a
OBJECT ENCODING {h}a
RENAME {h}a {h}b
EXISTS {h}a
= HGETALL {h}b
HSET {h}c x y
RENAME {h}b {h}c
= HGETALL {h}c
COPY {h}c {h}d
COPY {h}c {h}d
= HGETALL {h}d
HSET {h}d f3 v3
HLEN {h}c
HLEN {h}d
SET {h}s str
COPY {h}d {h}s REPLACE
TYPE {h}s
= HGETALL {h}s
RENAMENX {h}s {h}d
RENAMENX {h}s {h}e
HLEN {h}e
EXPIRE {h}e 100
? TTL {h}e
HSET {h}e f4 v4
? TTL {h}e
HDEL {h}e f1 f2 f3 f4
EXISTS {h}e
HSET {h}e f v
TTL {h}e
EXPIREAT {h}e 1
EXISTS {h}e
HGET {h}e f
HSET {h}x a 1
PERSIST {h}x
DEL {h}x {h}c {h}d
EXISTS {h}x {h}c {h}d
SET {h}str v
HSET {h}x a 1
SCAN 0 TYPE hash COUNT 100000
SCAN 0 TYPE HASH MATCH {h}x COUNT 100000
OBJECT ENCODING {h}x
HSET {h}x long xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
OBJECT ENCODING {h}x
OBJECT ENCODING nokey
OBJECT REFCOUNT {h}x
OBJECT FREQ {h}x
OBJECT NOPE {h}x
OBJECT ENCODING {h}x extra
`},
}

func TestDiffHash(t *testing.T) { hsRunDiff(t, hashDiffScripts) }

// TestHashBigAndExpired compares what a script cannot: hashes past the
// compact thresholds, and a hash that expires lazily (its record is still
// stored when HSET recreates it).
func TestHashBigAndExpired(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	logOnFailure(t, neo)
	a, b := Dial(t, neo.Addr), Dial(t, ref.Addr)
	both := func(args ...string) (string, string) { return a.Do(args...), b.Do(args...) }
	same := func(mode byte, args ...string) {
		t.Helper()
		g, w := both(args...)
		if hsNormalize(t, g, mode) != hsNormalize(t, w, mode) {
			t.Errorf("%s:\n  neokv: %.300q\n  redis: %.300q", fmtArgs(args), g, w)
		}
	}
	cmd := []string{"HSET", "big"}
	for i := 0; i < 1000; i++ {
		cmd = append(cmd, fmt.Sprintf("field:%d", i), strings.Repeat("v", i%100))
	}
	same(0, cmd...)
	same(0, "HLEN", "big")
	same('=', "HGETALL", "big")
	same('!', "HKEYS", "big")
	same('!', "HVALS", "big")
	same(0, "HMGET", "big", "field:0", "field:999", "nope")
	same(0, "HSTRLEN", "big", "field:99")
	same(0, "OBJECT", "ENCODING", "big")
	same('=', "HRANDFIELD", "big", "5000", "WITHVALUES")
	same(0, "HDEL", "big", "field:1", "field:2", "nope")
	same(0, "HLEN", "big")

	same(0, "HSET", "exp", "old1", "x", "old2", "y")
	same(0, "PEXPIRE", "exp", "30")
	time.Sleep(80 * time.Millisecond)
	same(0, "HSET", "exp", "new", "z")
	same('=', "HGETALL", "exp")
	same(0, "HLEN", "exp")
	same(0, "TTL", "exp")
	same(0, "HSET", "exp2", "a", "1")
	same(0, "PEXPIRE", "exp2", "30")
	time.Sleep(80 * time.Millisecond)
	same(0, "HINCRBY", "exp2", "a", "5")
	same(0, "HLEN", "exp2")
	same(0, "HGET", "exp2", "a")
}

// TestHashScanLarge walks a large hash with HSCAN through go-redis (which
// parses the cursor as a uint64) and checks every field is returned exactly
// once, in steps close to COUNT.
func TestHashScanLarge(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := srv.Client(t, proto)
		key := fmt.Sprintf("scanme%d", proto)
		want := map[string]string{}
		args := []any{}
		for i := 0; i < 3000; i++ {
			f := fmt.Sprintf("user:%d:session", i)
			want[f] = strconv.Itoa(i)
			args = append(args, f, want[f])
		}
		args = append(args, "a", "1", "zzz", "2")
		want["a"], want["zzz"] = "1", "2"
		if err := c.HSet(ctx, key, args...).Err(); err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		var cursor uint64
		steps := 0
		for {
			kv, next, err := c.HScan(ctx, key, cursor, "", 20).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(kv) > 2*400 {
				t.Fatalf("a step of %d fields for COUNT 20", len(kv)/2)
			}
			for i := 0; i < len(kv); i += 2 {
				if _, dup := got[kv[i]]; dup {
					t.Fatalf("field %q returned twice", kv[i])
				}
				got[kv[i]] = kv[i+1]
			}
			steps++
			cursor = next
			if cursor == 0 {
				break
			}
		}
		if len(got) != len(want) || steps < 50 {
			t.Fatalf("got %d fields in %d steps, want %d", len(got), steps, len(want))
		}
		for f, v := range want {
			if got[f] != v {
				t.Fatalf("field %q = %q, want %q", f, got[f], v)
			}
		}
		m, err := c.HGetAll(ctx, key).Result()
		if err != nil || len(m) != len(want) {
			t.Fatalf("HGETALL: %d fields, %v", len(m), err)
		}
		// With a MATCH filter, steps may come back empty but the scan ends.
		var n int
		cursor = 0
		for {
			kv, next, err := c.HScan(ctx, key, cursor, "user:1*", 50).Result()
			if err != nil {
				t.Fatal(err)
			}
			n += len(kv) / 2
			if cursor = next; cursor == 0 {
				break
			}
		}
		if n != 1111 {
			t.Fatalf("MATCH user:1*: %d fields, want 1111", n)
		}
	}
}

// TestHashRandomFieldsValid checks HRANDFIELD's answers against the hash.
func TestHashRandomFieldsValid(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	c := srv.Client(t, 2)
	for _, n := range []int{3, 50, 2000} {
		key := fmt.Sprintf("rh%d", n)
		vals := map[string]string{}
		args := []any{}
		for i := 0; i < n; i++ {
			f := fmt.Sprintf("f%d", i)
			vals[f] = fmt.Sprintf("v%d", i)
			args = append(args, f, vals[f])
		}
		if err := c.HSet(ctx, key, args...).Err(); err != nil {
			t.Fatal(err)
		}
		for _, count := range []int{1, 2, n - 1, n, n + 5, -1, -7, -3 * n} {
			fields, err := c.HRandField(ctx, key, count).Result()
			if err != nil {
				t.Fatal(err)
			}
			want := count
			if count > n {
				want = n
			} else if count < 0 {
				want = -count
			}
			if len(fields) != want {
				t.Fatalf("n=%d count=%d: %d fields", n, count, len(fields))
			}
			seen := map[string]bool{}
			for _, f := range fields {
				if _, ok := vals[f]; !ok {
					t.Fatalf("unknown field %q", f)
				}
				if count > 0 && seen[f] {
					t.Fatalf("n=%d count=%d: %q twice", n, count, f)
				}
				seen[f] = true
			}
			kvs, err := c.HRandFieldWithValues(ctx, key, count).Result()
			if err != nil || len(kvs) != want {
				t.Fatalf("WITHVALUES n=%d count=%d: %d pairs, %v", n, count, len(kvs), err)
			}
			for _, kv := range kvs {
				if vals[kv.Key] != kv.Value {
					t.Fatalf("pair %q=%q, hash has %q", kv.Key, kv.Value, vals[kv.Key])
				}
			}
		}
		f, err := c.Do(ctx, "HRANDFIELD", key).Text()
		if _, ok := vals[f]; err != nil || !ok {
			t.Fatalf("HRANDFIELD: %q %v", f, err)
		}
	}
	if _, err := c.Do(ctx, "HRANDFIELD", "rh3", "-20000000").Result(); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Fatalf("huge negative count: %v", err)
	}
}
