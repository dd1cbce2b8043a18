package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Set scripts for the differential runner of types_hash_test.go. Keys of
// multi-key commands share a hash tag ({t}).

var setDiffScripts = []hsScript{
	{"sadd-srem-card", `
SADD s a b c
SADD s a d
SADD s a a a
SADD s "" "x\x00y"
SCARD s
SCARD nokey
SREM s a nope
SREM s a
SREM s b c d "" "x\x00y" more
EXISTS s
TYPE s
SREM s a
SREM nokey a
SADD s
SREM s
SADD n 1 2 3 -4 0
SCARD n
OBJECT ENCODING n
SADD n 01
OBJECT ENCODING n
SREM n 01
SADD m 1 1 1
SCARD m
! SMEMBERS m
`},
	{"members", `
SMEMBERS nokey
SADD s one
SMEMBERS s
SADD s two three
! SMEMBERS s
SISMEMBER s one
SISMEMBER s nope
SISMEMBER nokey one
SMISMEMBER s one nope two
SMISMEMBER nokey a b
SMISMEMBER s one
SMISMEMBER s
SISMEMBER s
SMEMBERS s extra
`},
	{"wrongtype", `
SET str v
SADD str a
SREM str a
SMEMBERS str
SISMEMBER str a
SMISMEMBER str a
SCARD str
SPOP str
SPOP str 2
SPOP str x
SRANDMEMBER str
SRANDMEMBER str 2
SRANDMEMBER str x
SSCAN str 0
SSCAN str x
SADD {t}s a
SMOVE {t}str {t}s a
SET {t}str v
SMOVE {t}str {t}s a
SMOVE {t}s {t}str a
SMOVE {t}nokey {t}str a
SMOVE {t}s {t}str nope
SINTER {t}s {t}str
SINTER {t}nokey {t}str
SINTER {t}str {t}nokey
SUNION {t}s {t}str
SUNION {t}nokey {t}str
SDIFF {t}s {t}str
SDIFF {t}nokey {t}str
SDIFF {t}str {t}nokey
SINTERCARD 2 {t}nokey {t}str
SINTERSTORE {t}d {t}s {t}str
SUNIONSTORE {t}d {t}s {t}str
SDIFFSTORE {t}d {t}nokey {t}str
EXISTS {t}d
HSET {t}h f v
SADD {t}h x
SINTERSTORE {t}h {t}s
TYPE {t}h
SMEMBERS {t}h
`},
	{"spop-srandmember", `
SPOP nokey
SPOP nokey 0
SPOP nokey 3
SRANDMEMBER nokey
SRANDMEMBER nokey 0
SRANDMEMBER nokey 3
SRANDMEMBER nokey -3
SADD s a
SRANDMEMBER s
SRANDMEMBER s 1
SRANDMEMBER s 5
SRANDMEMBER s -3
SRANDMEMBER s 0
SPOP s 0
SPOP s
EXISTS s
SADD s a b c d e
! SRANDMEMBER s 5
! SRANDMEMBER s 100
! SRANDMEMBER s 9223372036854775807
~ SRANDMEMBER s 3
~ SRANDMEMBER s -8
? SRANDMEMBER s
SRANDMEMBER s x
SRANDMEMBER s 1.5
SRANDMEMBER s -9223372036854775808
SRANDMEMBER s 1 2
SPOP s -1
SPOP s x
SPOP s ""
SPOP s 1 2
~ SPOP s 2
SCARD s
~ SPOP s
SCARD s
~ SPOP s 2
EXISTS s
SADD s 1 2 3 4 5 6 7 8 9 10 11 12
~ SPOP s 11
SCARD s
SADD s x y z
~ SPOP s 100
EXISTS s
SADD t 1 2 3
! SPOP t 3
EXISTS t
`},
	{"smove", `
SADD {t}a 1 2 3
SADD {t}b 3 4
SMOVE {t}a {t}b 1
SMOVE {t}a {t}b 1
SMOVE {t}a {t}b 3
! SMEMBERS {t}a
! SMEMBERS {t}b
SMOVE {t}a {t}a 2
SMOVE {t}a {t}a 9
SMOVE {t}a {t}c 2
EXISTS {t}a
SMEMBERS {t}c
SMOVE {t}nokey {t}b 1
SMOVE {t}b {t}nokey2 nope
EXISTS {t}nokey2
SMOVE {t}a {t}b
`},
	{"algebra", `
SADD {t}a 1 2 3 4 x
SADD {t}b 3 4 5 x y
SADD {t}c 4 5 6 x
! SINTER {t}a
! SINTER {t}a {t}b
! SINTER {t}a {t}b {t}c
! SINTER {t}a {t}a
SINTER {t}a {t}nokey
SINTER {t}nokey {t}a
SINTER {t}nokey
! SUNION {t}a {t}b {t}c
! SUNION {t}a {t}nokey
! SUNION {t}nokey {t}c {t}nokey
SUNION {t}nokey
! SDIFF {t}a {t}b
! SDIFF {t}a {t}b {t}c
! SDIFF {t}a {t}nokey
SDIFF {t}a {t}a
SDIFF {t}a {t}b {t}a
SDIFF {t}nokey {t}a
! SDIFF {t}c
SINTERCARD 1 {t}a
SINTERCARD 2 {t}a {t}b
SINTERCARD 3 {t}a {t}b {t}c
SINTERCARD 2 {t}a {t}nokey
SINTERCARD 2 {t}nokey {t}a
SINTERCARD 0 {t}a
SINTERCARD -1 {t}a
SINTERCARD 3 {t}a {t}b
SINTERCARD 1 {t}a {t}b
SINTERCARD 1 {t}a {t}b {t}c
SINTER
SUNION
SINTERCARD 1
`},
	{"sintercard-limit", `
SADD {t}a 1 2 3 4 5 6 7 8 9
SADD {t}b 2 3 4 5 6 7 8 9 10
SINTERCARD 2 {t}a {t}b LIMIT 4
SINTERCARD 2 {t}a {t}b LIMIT 0
SINTERCARD 2 {t}a {t}b LIMIT 22
SINTERCARD 2 {t}a {t}b LIMIT 8
SINTERCARD 2 {t}a {t}b LIMIT 8 LIMIT 4
SINTERCARD 1 {t}a LIMIT 4
SINTERCARD 2 {t}a {t}nokey LIMIT 4
SINTERCARD 1 {t}a LIMIT -1
SINTERCARD 1 {t}a LIMIT x
SINTERCARD 1 {t}a LIMIT
SINTERCARD 1 {t}a limit 1 limit 2
SINTERCARD 1 {t}a LIMIT 1 extra
`},
	{"store", `
SADD {t}a 1 2 3 4 x
SADD {t}b 3 4 5 x y
SINTERSTORE {t}d {t}a {t}b
! SMEMBERS {t}d
SUNIONSTORE {t}d {t}a {t}b
! SMEMBERS {t}d
SCARD {t}d
SDIFFSTORE {t}d {t}a {t}b
! SMEMBERS {t}d
SINTERSTORE {t}d {t}a {t}nokey
EXISTS {t}d
SUNIONSTORE {t}d {t}a
SDIFFSTORE {t}d {t}a {t}a
EXISTS {t}d
SUNIONSTORE {t}d {t}nokey
EXISTS {t}d
SET {t}d str
EXPIRE {t}d 100
SUNIONSTORE {t}d {t}a
TYPE {t}d
TTL {t}d
SINTERSTORE {t}a {t}a {t}b
! SMEMBERS {t}a
SUNIONSTORE {t}a {t}a {t}b
! SMEMBERS {t}a
SDIFFSTORE {t}b {t}a {t}b
! SMEMBERS {t}b
SINTERSTORE {t}e {t}e
SINTERSTORE {t}e
OBJECT ENCODING {t}a
SADD {t}i 1 2 3
SUNIONSTORE {t}j {t}i
OBJECT ENCODING {t}j
`},
	{"sscan", `
SSCAN nokey 0
SSCAN nokey 0 COUNT 0
SSCAN nokey x
SADD s 1 2 3 10 20
! SSCAN s 0
! SSCAN s 0 COUNT 1
! SSCAN s 0 MATCH 1*
! SSCAN s 0 MATCH 1* COUNT 1
! SSCAN s 0 MATCH nope
! SSCAN s 7
SSCAN s 0 COUNT 0
SSCAN s 0 COUNT x
SSCAN s 0 MATCH
SSCAN s 0 TYPE set
SSCAN s 0 foo
SSCAN s -x
SADD w a b c
! SSCAN w 0
! SSCAN w 0 MATCH b
`},
	{"set-keyspace", `
SADD {s}a x y z
TYPE {s}a
OBJECT ENCODING {s}a
RENAME {s}a {s}b
! SMEMBERS {s}b
EXISTS {s}a
COPY {s}b {s}c
SADD {s}c w
SCARD {s}b
SCARD {s}c
SET {s}str v
RENAME {s}c {s}str
TYPE {s}str
! SMEMBERS {s}str
EXPIRE {s}str 100
? TTL {s}str
SREM {s}str w
? TTL {s}str
! SPOP {s}str 100
TTL {s}str
SADD {s}e 1
EXPIREAT {s}e 1
SISMEMBER {s}e 1
SCARD {s}e
DEL {s}b
SCAN 0 TYPE set COUNT 100000
SADD {s}f 1
SCAN 0 TYPE set COUNT 100000
SCAN 0 TYPE hash COUNT 100000
`},
}

func TestDiffSet(t *testing.T) { hsRunDiff(t, setDiffScripts) }

// TestSetCrossRegion: multi-key set commands over keys of two Regions are
// refused whole, and nothing is written.
func TestSetCrossRegion(t *testing.T) {
	if regionOf("foo") == regionOf("bar") {
		t.Fatal("foo and bar share a Region")
	}
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	const cross = "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
	expect(t, r, ":1\r\n", "SADD", "foo", "a")
	expect(t, r, ":1\r\n", "SADD", "bar", "a")
	for _, c := range [][]string{
		{"SMOVE", "foo", "bar", "a"}, {"SINTER", "foo", "bar"}, {"SUNION", "foo", "bar"}, {"SDIFF", "foo", "bar"},
		{"SINTERSTORE", "foo", "bar"}, {"SUNIONSTORE", "foo", "foo", "bar"}, {"SDIFFSTORE", "bar", "foo"},
	} {
		expect(t, r, cross, c...)
	}
	expect(t, r, "*1\r\n$1\r\na\r\n", "SMEMBERS", "foo")
	expect(t, r, "*1\r\n$1\r\na\r\n", "SMEMBERS", "bar")

	// SINTERCARD's keys are found by its KeysFunc: "LIMIT n" is no key.
	expect(t, r, ":1\r\n", "SADD", "{x}a", "1")
	if regionOf("{x}a") == regionOf("LIMIT") || regionOf("{x}a") == regionOf("1") {
		t.Fatal("the test needs {x}a outside the Regions of LIMIT and 1")
	}
	if got := r.Do("SINTERCARD", "2", "foo", "bar"); got != cross {
		t.Skipf("SINTERCARD over two Regions answered %q: the server does not route by Command.KeysOf yet", got)
	}
	expect(t, r, ":1\r\n", "SINTERCARD", "1", "{x}a", "LIMIT", "1")
}

// TestSetPopValid checks SPOP and SRANDMEMBER against the set's contents,
// for sets below and above the size where picks stop being exact.
func TestSetPopValid(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	c := srv.Client(t, 3)
	for _, n := range []int{7, 100, 3000} {
		key := fmt.Sprintf("pop%d", n)
		left := map[string]bool{}
		var members []any
		for i := 0; i < n; i++ {
			m := fmt.Sprintf("m:%05d", i)
			left[m] = true
			members = append(members, m)
		}
		if err := c.SAdd(ctx, key, members...).Err(); err != nil {
			t.Fatal(err)
		}
		for _, count := range []int{1, 3, n / 3} {
			got, err := c.SRandMemberN(ctx, key, int64(count)).Result()
			if err != nil || len(got) != count {
				t.Fatalf("SRANDMEMBER %d: %d %v", count, len(got), err)
			}
			seen := map[string]bool{}
			for _, m := range got {
				if !left[m] || seen[m] {
					t.Fatalf("SRANDMEMBER %d: bad or repeated %q", count, m)
				}
				seen[m] = true
			}
		}
		// Pop in varied amounts (both of Redis's strategies) until empty.
		for len(left) > 0 {
			count := 1 + len(left)/4
			if len(left) < 20 {
				count = 1 + len(left)*5/6
			}
			got, err := c.SPopN(ctx, key, int64(count)).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := min(count, len(left)); len(got) != want {
				t.Fatalf("SPOP %d of %d: %d members", count, len(left), len(got))
			}
			for _, m := range got {
				if !left[m] {
					t.Fatalf("SPOP returned %q, not (or no longer) a member", m)
				}
				delete(left, m)
			}
			card, err := c.SCard(ctx, key).Result()
			if err != nil || card != int64(len(left)) {
				t.Fatalf("SCARD %d, want %d (%v)", card, len(left), err)
			}
			if len(left) > 0 && len(left)%5 == 0 {
				m, err := c.SPop(ctx, key).Result()
				if err != nil || !left[m] {
					t.Fatalf("SPOP: %q %v", m, err)
				}
				delete(left, m)
			}
		}
		if n, err := c.Exists(ctx, key).Result(); err != nil || n != 0 {
			t.Fatalf("emptied set still exists: %d %v", n, err)
		}
	}
}

// TestSetScanLarge walks a large set with SSCAN (go-redis parses cursors
// as uint64), writing between steps: every member present throughout is
// returned.
func TestSetScanLarge(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	c := srv.Client(t, 2)
	var members []any
	for i := 0; i < 5000; i++ {
		members = append(members, strconv.Itoa(i*13))
	}
	if err := c.SAdd(ctx, "big", members...).Err(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var cursor uint64
	for step := 0; ; step++ {
		got, next, err := c.SScan(ctx, "big", cursor, "", 100).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range got {
			seen[m]++
		}
		// Members come and go meanwhile.
		if err := c.SAdd(ctx, "big", fmt.Sprintf("new%d", step), strconv.Itoa(step*13+1)).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.SRem(ctx, "big", strconv.Itoa(64987-step*13)).Err(); err != nil {
			t.Fatal(err)
		}
		if cursor = next; cursor == 0 {
			break
		}
		if step > 10000 {
			t.Fatal("scan does not end")
		}
	}
	for i := 0; i < 4000; i++ {
		if seen[strconv.Itoa(i*13)] == 0 {
			t.Fatalf("member %d present throughout was not returned", i*13)
		}
	}
}

// TestDiffSetHashRandom runs random hash and set commands against NeoKV and
// redis-server, pipelined in batches, in RESP2 and RESP3, and compares every
// reply (sorted where the order is the implementation's). Random picks are
// only asked for whole (count >= size), so both servers stay identical.
func TestDiffSetHashRandom(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	logOnFailure(t, neo)
	for _, proto := range []string{"2", "3"} {
		a, b := Dial(t, neo.Addr), Dial(t, ref.Addr)
		for _, c := range []*RawConn{a, b} {
			c.Do("FLUSHALL")
			if proto == "3" {
				c.Do("HELLO", "3")
			}
		}
		rg := rand.New(rand.NewPCG(uint64(len(proto)), 7))
		sets := []string{"{r}s1", "{r}s2", "{r}s3", "{r}s4"}
		hashes := []string{"{r}h1", "{r}h2"}
		all := append(append([]string{"{r}str", "{r}none"}, sets...), hashes...)
		pick := func(xs []string) string { return xs[rg.IntN(len(xs))] }
		mem := func() string {
			if rg.IntN(3) == 0 {
				return "m" + strconv.Itoa(rg.IntN(30))
			}
			return strconv.Itoa(rg.IntN(40) - 5)
		}
		members := func(n int) []string {
			var out []string
			for i := 0; i < n; i++ {
				out = append(out, mem())
			}
			return out
		}
		gen := func() (byte, []string) {
			s, h := pick(sets), pick(hashes)
			switch rg.IntN(34) {
			case 0, 1, 2:
				return 0, append([]string{"SADD", s}, members(1+rg.IntN(5))...)
			case 3, 4:
				return 0, append([]string{"SREM", s}, members(1+rg.IntN(4))...)
			case 5:
				return '!', []string{"SMEMBERS", pick(all)}
			case 6:
				return 0, []string{"SISMEMBER", pick(all), mem()}
			case 7:
				return 0, append([]string{"SMISMEMBER", pick(all)}, members(3)...)
			case 8:
				return 0, []string{"SCARD", pick(all)}
			case 9:
				return '!', []string{"SPOP", s, "1000"}
			case 10:
				return '!', []string{"SRANDMEMBER", pick(all), "1000"}
			case 11:
				return 0, []string{"SMOVE", pick(sets), pick(all), mem()}
			case 12:
				return '!', []string{"SINTER", pick(sets), pick(all)}
			case 13:
				return '!', []string{"SUNION", pick(sets), pick(sets), pick(all)}
			case 14:
				return '!', []string{"SDIFF", pick(all), pick(sets)}
			case 15:
				return 0, []string{"SINTERCARD", "2", pick(sets), pick(all)}
			case 16:
				return 0, []string{"SINTERSTORE", pick(sets), pick(sets), pick(all)}
			case 17:
				return 0, []string{"SUNIONSTORE", pick(sets), pick(all), pick(sets)}
			case 18:
				return 0, []string{"SDIFFSTORE", pick(sets), pick(sets), pick(all)}
			case 19:
				return '!', []string{"SSCAN", pick(all), "0", "COUNT", "1000"}
			case 20, 21, 22:
				return 0, []string{"HSET", h, mem(), mem(), mem(), mem()}
			case 23:
				return 0, []string{"HDEL", h, mem(), mem()}
			case 24:
				return 0, []string{"HGET", pick(all), mem()}
			case 25:
				return 0, []string{"HMGET", pick(all), mem(), mem()}
			case 26:
				return '=', []string{"HGETALL", pick(all)}
			case 27:
				return 0, []string{"HINCRBY", h, mem(), strconv.Itoa(rg.IntN(100) - 50)}
			case 28:
				return 0, []string{"HINCRBYFLOAT", h, mem(), fmt.Sprintf("%.2f", rg.Float64()*10-5)}
			case 29:
				return 0, []string{"HLEN", pick(all)}
			case 30:
				return '=', []string{"HSCAN", pick(all), "0", "COUNT", "1000"}
			case 31:
				return '=', []string{"HRANDFIELD", pick(all), "1000", "WITHVALUES"}
			case 32:
				switch rg.IntN(4) {
				case 0:
					return 0, []string{"DEL", pick(all)}
				case 1:
					return 0, []string{"COPY", pick(all), pick(all), "REPLACE"}
				case 2:
					return 0, []string{"RENAME", pick(all), pick(all)}
				default:
					return 0, []string{"SET", "{r}str", mem()}
				}
			default:
				return 0, []string{"TYPE", pick(all)}
			}
		}
		for batch := 0; batch < 40; batch++ {
			var modes []byte
			var cmds [][]string
			var buf strings.Builder
			for i := 0; i < 50; i++ {
				m, c := gen()
				modes, cmds = append(modes, m), append(cmds, c)
				buf.WriteString(encodeCommand(c))
			}
			a.Send(buf.String())
			b.Send(buf.String())
			for i := range cmds {
				g, w := a.ReadReply(), b.ReadReply()
				if hsNormalize(t, g, modes[i]) != hsNormalize(t, w, modes[i]) {
					t.Fatalf("resp%s batch %d: %s\n  neokv: %.400q\n  redis: %.400q", proto, batch, fmtArgs(cmds[i]), g, w)
				}
			}
		}
		// The final states agree too.
		for _, k := range all {
			for _, c := range [][]string{{"TYPE", k}, {"SMEMBERS", k}, {"HGETALL", k}} {
				mode := byte('!')
				if c[0] == "HGETALL" {
					mode = '='
				}
				if g, w := hsNormalize(t, a.Do(c...), mode), hsNormalize(t, b.Do(c...), mode); g != w {
					t.Fatalf("final %s: %q vs %q", fmtArgs(c), g, w)
				}
			}
		}
	}
}

// TestSetLazyExpiry: a set whose TTL passed but whose record is still
// stored is replaced, not extended, by SADD, SMOVE and SUNIONSTORE.
func TestSetLazyExpiry(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	logOnFailure(t, neo)
	a, b := Dial(t, neo.Addr), Dial(t, ref.Addr)
	run := func(mode byte, args ...string) {
		t.Helper()
		g, w := a.Do(args...), b.Do(args...)
		if hsNormalize(t, g, mode) != hsNormalize(t, w, mode) {
			t.Errorf("%s:\n  neokv: %q\n  redis: %q", fmtArgs(args), g, w)
		}
	}
	run(0, "SADD", "{e}a", "old1", "old2")
	run(0, "SADD", "{e}b", "old3")
	run(0, "SADD", "{e}src", "m", "n")
	run(0, "PEXPIRE", "{e}a", "30")
	run(0, "PEXPIRE", "{e}b", "30")
	time.Sleep(80 * time.Millisecond)
	run(0, "SADD", "{e}a", "new")
	run('!', "SMEMBERS", "{e}a")
	run(0, "SMOVE", "{e}src", "{e}b", "m")
	run('!', "SMEMBERS", "{e}b")
	run(0, "SCARD", "{e}b")
	run(0, "TTL", "{e}b")
}
