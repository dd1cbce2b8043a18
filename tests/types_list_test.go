package tests

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
)

// List scripts for the differential runner (kv_diff_test.go). Keys of the
// commands that need one Region (LMOVE, RPOPLPUSH, LMPOP) share a hash tag.

var listDiffScripts = []diffScript{
	{"push-pop", `
LPUSH l a
LPUSH l b c d
RPUSH l e f
LRANGE l 0 -1
LLEN l
LLEN nokey
RPUSH l "" "x\x00y" "\r\n"
LRANGE l 0 -1
LPUSHX nokey a
RPUSHX nokey a b
EXISTS nokey
LPUSHX l p1 p2
RPUSHX l r1
LRANGE l 0 -1
LPOP l
RPOP l
LPOP l 0
RPOP l 0
LPOP l 2
RPOP l 3
LPOP l -1
LPOP l abc
LPOP l 1.5
RPOP l 1 2
LPOP nokey
RPOP nokey
LPOP nokey 0
LPOP nokey 3
LRANGE l 0 -1
LPOP l 100
EXISTS l
RPOP l
LPUSH l
RPUSH l
LPOP
lpush L MiXeD
lrange L 0 -1
TYPE L
OBJECT ENCODING L
`},
	{"lrange-lindex", `
RPUSH l a b c d e f g
LRANGE l 0 0
LRANGE l 0 2
LRANGE l -3 -1
LRANGE l -100 100
LRANGE l 5 2
LRANGE l 7 10
LRANGE l -1 -1
LRANGE l -8 -8
LRANGE l 3 -3
LRANGE l 0 -8
LRANGE l 9223372036854775807 -9223372036854775808
LRANGE l -9223372036854775808 9223372036854775807
LRANGE l a 1
LRANGE l 0 b
LRANGE l 0 9223372036854775808
LRANGE nokey 0 -1
LRANGE nokey a b
LINDEX l 0
LINDEX l 6
LINDEX l 7
LINDEX l -1
LINDEX l -7
LINDEX l -8
LINDEX l 9223372036854775807
LINDEX l -9223372036854775808
LINDEX l x
LINDEX nokey 0
LINDEX nokey x
`},
	{"lset", `
LSET nokey 0 v
LSET nokey x v
RPUSH l a b c
LSET l 0 A
LSET l -1 C
LSET l 1 "b\x00b"
LRANGE l 0 -1
LSET l 3 x
LSET l -4 x
LSET l x v
LSET l 9223372036854775807 v
LSET l -9223372036854775808 v
LRANGE l 0 -1
`},
	{"linsert", `
LINSERT nokey BEFORE a b
EXISTS nokey
RPUSH l a b c d e
LINSERT l BEFORE a first
LINSERT l AFTER e last
LINSERT l before c mid1
LINSERT l After c mid2
LRANGE l 0 -1
LINSERT l BEFORE nope x
LINSERT l BEFORE first first0
LINSERT l AFTER last last1
LINSERT l AFTER b "x\x00"
LRANGE l 0 -1
LINSERT l MIDDLE a b
LINSERT l BEFORE
LRANGE l 0 -1
LLEN l
RPUSH dup x y x y x
LINSERT dup AFTER x z
LINSERT dup BEFORE y w
LRANGE dup 0 -1
`},
	{"lrem", `
RPUSH l a b a c a d a
LREM l 1 a
LRANGE l 0 -1
LREM l -1 a
LRANGE l 0 -1
LREM l 0 a
LRANGE l 0 -1
LREM l 0 nope
LREM l 5 b
LREM l x a
LREM nokey 1 a
LREM nokey x a
RPUSH m x x x
LREM m 0 x
EXISTS m
RPUSH n a b a b a b a b
LREM n 2 b
LRANGE n 0 -1
LREM n -2 a
LRANGE n 0 -1
LREM n 9223372036854775807 a
LREM n -9223372036854775808 b
EXISTS n
`},
	{"ltrim", `
RPUSH l a b c d e f g
LTRIM l 1 -2
LRANGE l 0 -1
LTRIM l 0 0
LRANGE l 0 -1
RPUSH l x y z
LTRIM l -2 -1
LRANGE l 0 -1
LTRIM l 5 10
EXISTS l
RPUSH l a b c
LTRIM l 2 1
EXISTS l
RPUSH l a b c
LTRIM l -100 100
LRANGE l 0 -1
LTRIM l 0 -4
EXISTS l
LTRIM nokey 0 1
LTRIM nokey a 1
RPUSH l a
LTRIM l a 1
LTRIM l 0 b
`},
	{"lpos", `
RPUSH l a b c 1 2 3 c c
LPOS l c
LPOS l c RANK 1
LPOS l c RANK 2
LPOS l c RANK -1
LPOS l c RANK -2
LPOS l c RANK 10
LPOS l c COUNT 0
LPOS l c COUNT 2
LPOS l c COUNT 2 RANK 2
LPOS l c COUNT 0 RANK -1
LPOS l c COUNT 1 RANK -2
LPOS l c MAXLEN 1
LPOS l c MAXLEN 3
LPOS l c COUNT 0 MAXLEN 7
LPOS l c RANK -1 MAXLEN 1
LPOS l c RANK -1 MAXLEN 2 COUNT 0
LPOS l nope
LPOS l nope COUNT 0
LPOS l c RANK 0
LPOS l c RANK -9223372036854775808
LPOS l c RANK 9223372036854775807
LPOS l c RANK x
LPOS l c COUNT -1
LPOS l c COUNT x
LPOS l c MAXLEN -1
LPOS l c MAXLEN x
LPOS l c RANK
LPOS l c FOO 1
LPOS l c COUNT 1 COUNT 2
LPOS nokey c
LPOS nokey c COUNT 1
LPOS nokey c RANK 0
`},
	{"lmove-rpoplpush", `
RPUSH {t}a 1 2 3 4
LMOVE {t}a {t}b LEFT RIGHT
LMOVE {t}a {t}b LEFT LEFT
LMOVE {t}a {t}b RIGHT LEFT
LMOVE {t}a {t}b right right
LRANGE {t}a 0 -1
LRANGE {t}b 0 -1
EXISTS {t}a
LMOVE {t}a {t}b LEFT RIGHT
RPOPLPUSH {t}b {t}c
RPOPLPUSH {t}nokey {t}c
LRANGE {t}b 0 -1
LRANGE {t}c 0 -1
RPUSH {t}r a b c
LMOVE {t}r {t}r LEFT RIGHT
LRANGE {t}r 0 -1
LMOVE {t}r {t}r RIGHT LEFT
LRANGE {t}r 0 -1
LMOVE {t}r {t}r LEFT LEFT
LMOVE {t}r {t}r RIGHT RIGHT
LRANGE {t}r 0 -1
RPOPLPUSH {t}r {t}r
LRANGE {t}r 0 -1
RPUSH {t}one x
LMOVE {t}one {t}one LEFT RIGHT
LRANGE {t}one 0 -1
RPOPLPUSH {t}one {t}one
SET {t}s v
LMOVE {t}r {t}s LEFT RIGHT
RPOPLPUSH {t}r {t}s
LRANGE {t}r 0 -1
LMOVE {t}s {t}r LEFT RIGHT
LMOVE {t}nokey {t}s LEFT RIGHT
LMOVE {t}r {t}b UP RIGHT
LMOVE {t}r {t}b LEFT DOWN
LMOVE {t}r {t}b LEFT
`},
	{"lmpop", `
RPUSH {t}a 1 2 3
RPUSH {t}b x y
LMPOP 2 {t}a {t}b LEFT
LMPOP 2 {t}a {t}b RIGHT COUNT 10
EXISTS {t}a
LMPOP 2 {t}a {t}b LEFT COUNT 1
LMPOP 2 {t}a {t}b left count 5
LMPOP 2 {t}a {t}b LEFT
LMPOP 0 {t}a LEFT
LMPOP -1 {t}a LEFT
LMPOP x {t}a LEFT
LMPOP 3 {t}a {t}b LEFT
LMPOP 9223372036854775807 {t}a LEFT
LMPOP 1 {t}a MIDDLE
LMPOP 1 {t}a LEFT COUNT 0
LMPOP 1 {t}a LEFT COUNT -1
LMPOP 1 {t}a LEFT COUNT x
LMPOP 1 {t}a LEFT COUNT
LMPOP 1 {t}a LEFT COUNT 1 COUNT 1
LMPOP 1 {t}a LEFT FOO
LMPOP 1 {t}a
SET {t}s v
RPUSH {t}c z
LMPOP 2 {t}s {t}c LEFT
LMPOP 2 {t}c {t}s LEFT
LMPOP 2 {t}c {t}s LEFT
`},
	{"wrongtype", `
SET s v
LPUSH s a
RPUSH s a
LPUSHX s a
RPUSHX s a
LPOP s
RPOP s 2
LLEN s
LRANGE s 0 -1
LRANGE s x 1
LINDEX s 0
LINDEX s x
LSET s 0 v
LINSERT s BEFORE a b
LINSERT s FOO a b
LREM s 0 a
LREM s x a
LTRIM s 0 1
LPOS s a
LPOS s a RANK 0
GET s
RPUSH l a
GET l
INCR l
APPEND l x
SET l v
TYPE l
`},
	{"expiry-and-keyspace", `
RPUSH l a b c
EXPIREAT l 4102444800
RPUSH l d
LPOP l
LSET l 0 x
LINSERT l AFTER x y
LREM l 0 y
LTRIM l 0 -1
EXPIRETIME l
LRANGE l 0 -1
RPUSH gone a
PEXPIREAT gone 1
EXISTS gone
LLEN gone
LPUSHX gone x
RPUSH gone fresh
LRANGE gone 0 -1
TTL gone
RPUSH {t}x 1 2 3
RENAME {t}x {t}y
LRANGE {t}y 0 -1
COPY {t}y {t}z
RPUSH {t}z 4
LRANGE {t}y 0 -1
LRANGE {t}z 0 -1
DEL {t}y
LRANGE {t}z 0 -1
! KEYS *
SET {t}str v
RPUSH {t}w a
RENAME {t}w {t}str
TYPE {t}str
LRANGE {t}str 0 -1
`},
}

func TestDiffList(t *testing.T) { runDiffScripts(t, listDiffScripts, false) }

// TestDiffListRESP3 runs the scripts over RESP3 and pipelined: nulls and
// null arrays change shape, and every command must see the writes queued
// before it.
func TestDiffListRESP3(t *testing.T) {
	var all []diffScript
	for _, s := range listDiffScripts {
		all = append(all, diffScript{name: s.name, script: "@resp3\n" + s.script})
	}
	runDiffScripts(t, all, false)
	runDiffScripts(t, listDiffScripts, true)
}

// TestListCrossRegion: the list commands that need one Region refuse keys
// of two, and write nothing.
func TestListCrossRegion(t *testing.T) {
	if regionOf("foo") == regionOf("bar") {
		t.Fatal("foo and bar share a Region")
	}
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	const cross = "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
	expect(t, r, ":1\r\n", "RPUSH", "foo", "a")
	expect(t, r, cross, "LMOVE", "foo", "bar", "LEFT", "RIGHT")
	expect(t, r, cross, "RPOPLPUSH", "foo", "bar")
	expect(t, r, "*1\r\n$1\r\na\r\n", "LRANGE", "foo", "0", "-1")
}

// diffRandom sends n random commands from gen to NeoKV and redis-server, in
// pipelined batches of up to 50, and compares every reply byte for byte.
func diffRandom(t *testing.T, neo, ref *RawConn, n int, gen func() []string) {
	t.Helper()
	for done := 0; done < n; {
		batch := make([][]string, 0, 50)
		var wire strings.Builder
		for len(batch) < 50 && done+len(batch) < n {
			c := gen()
			batch = append(batch, c)
			wire.WriteString(encodeCommand(c))
		}
		neo.Send(wire.String())
		ref.Send(wire.String())
		for _, c := range batch {
			got, want := neo.ReadReply(), ref.ReadReply()
			if got != want {
				t.Fatalf("command %d: %s\n  neokv: %q\n  redis: %q", done, fmtArgs(c), got, want)
			}
			done++
		}
	}
}

// TestDiffListRandom runs random list commands over a few keys of one
// Region, with lists long enough that LINSERT and LREM move items on either
// side and pops and LTRIM use range deletions, in RESP2 and RESP3.
func TestDiffListRandom(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	logOnFailure(t, neo)
	for _, proto := range []string{"2", "3"} {
		a, b := Dial(t, neo.Addr), Dial(t, ref.Addr)
		for _, c := range []*RawConn{a, b} {
			c.Do("FLUSHALL")
			c.Do("HELLO", proto)
		}
		rng := rand.New(rand.NewPCG(42, uint64(len(proto))))
		keys := []string{"{l}a", "{l}b", "{l}c"}
		val := func() string { return string(rune('a' + rng.IntN(4))) }
		idx := func() string { return strconv.Itoa(rng.IntN(161) - 80) }
		dir := func() string { return []string{"LEFT", "RIGHT"}[rng.IntN(2)] }
		gen := func() []string {
			k, k2 := keys[rng.IntN(3)], keys[rng.IntN(3)]
			switch rng.IntN(16) {
			case 0, 1:
				c := []string{[]string{"LPUSH", "RPUSH"}[rng.IntN(2)], k}
				for i := rng.IntN(60); i >= 0; i-- {
					c = append(c, val())
				}
				return c
			case 2:
				return []string{[]string{"LPOP", "RPOP"}[rng.IntN(2)], k, strconv.Itoa(rng.IntN(50))}
			case 3:
				return []string{[]string{"LPOP", "RPOP", "LLEN"}[rng.IntN(3)], k}
			case 4:
				return []string{"LRANGE", k, idx(), idx()}
			case 5:
				return []string{"LINDEX", k, idx()}
			case 6:
				return []string{"LSET", k, idx(), val()}
			case 7:
				return []string{"LINSERT", k, []string{"BEFORE", "AFTER"}[rng.IntN(2)], val(), val()}
			case 8:
				return []string{"LREM", k, strconv.Itoa(rng.IntN(7) - 3), val()}
			case 9:
				return []string{"LTRIM", k, idx(), idx()}
			case 10:
				return []string{"LPOS", k, val(), "RANK", []string{"1", "2", "-1", "-3"}[rng.IntN(4)], "COUNT", strconv.Itoa(rng.IntN(3))}
			case 11:
				return []string{"LMOVE", k, k2, dir(), dir()}
			case 12:
				return []string{"RPOPLPUSH", k, k2}
			case 13:
				return []string{"LMPOP", "2", k, k2, dir(), "COUNT", strconv.Itoa(1 + rng.IntN(20))}
			case 14:
				return []string{[]string{"LPUSHX", "RPUSHX"}[rng.IntN(2)], k, val()}
			default:
				if rng.IntN(3) == 0 {
					return []string{"DEL", k}
				}
				return []string{"LRANGE", k, "0", "-1"}
			}
		}
		diffRandom(t, a, b, 3000, gen)
	}
}

// TestListLarge builds a list of 100k items and reads it back in pages;
// LINDEX, LSET and the pops at both ends stay point operations, and
// LINSERT in the middle moves half of the list. Not a timed test: the
// durations are only logged.
func TestListLarge(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	const n, per = 100000, 1000
	start := time.Now()
	var wire strings.Builder
	for i := 0; i < n; i += per {
		args := []string{"RPUSH", "big"}
		for j := i; j < i+per; j++ {
			args = append(args, "item"+strconv.Itoa(j))
		}
		wire.WriteString(encodeCommand(args))
	}
	r.Send(wire.String())
	for i := per; i <= n; i += per {
		if got := r.ReadReply(); got != fmt.Sprintf(":%d\r\n", i) {
			t.Fatalf("RPUSH: %q", got)
		}
	}
	built := time.Since(start)
	start = time.Now()
	for page := 0; page < n/per; page++ {
		got := r.Do("LRANGE", "big", strconv.Itoa(page*per), strconv.Itoa(page*per+per-1))
		var want strings.Builder
		fmt.Fprintf(&want, "*%d\r\n", per)
		for j := page * per; j < page*per+per; j++ {
			want.WriteString(bulk("item" + strconv.Itoa(j)))
		}
		if got != want.String() {
			t.Fatalf("page %d: %.200q", page, got)
		}
	}
	paged := time.Since(start)
	expect(t, r, bulk("item0"), "LINDEX", "big", "0")
	expect(t, r, bulk("item99999"), "LINDEX", "big", "-1")
	expect(t, r, bulk("item54321"), "LINDEX", "big", "54321")
	expect(t, r, "+OK\r\n", "LSET", "big", "-50000", "changed")
	expect(t, r, bulk("changed"), "LINDEX", "big", "50000")
	expect(t, r, ":100001\r\n", "LINSERT", "big", "BEFORE", "changed", "inserted")
	expect(t, r, "*3\r\n"+bulk("item49999")+bulk("inserted")+bulk("changed"), "LRANGE", "big", "49999", "50001")
	expect(t, r, bulk("item0"), "LPOP", "big")
	expect(t, r, bulk("item99999"), "RPOP", "big")
	expect(t, r, ":1\r\n", "LREM", "big", "0", "inserted")
	expect(t, r, "+OK\r\n", "LTRIM", "big", "1000", "-1001")
	expect(t, r, ":97998\r\n", "LLEN", "big")
	expect(t, r, bulk("item1001"), "LINDEX", "big", "0")
	expect(t, r, ":48999\r\n", "LPOS", "big", "changed")
	t.Logf("built 100k items in %v, read them in %d pages in %v", built, n/per, paged)
}
