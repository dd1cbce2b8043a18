package tests

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stream scripts for the differential runner. IDs are explicit wherever
// the reply shows them: "*" takes the server's clock, so those replies are
// compared by type only ('?').
var streamDiffScripts = []diffScript{
	{"stream-add-range", `
XADD {s}a 1-1 f v
XADD {s}a 1-1 f v
XADD {s}a 1-0 f v
XADD {s}a 1-2 f1 v1 f2 v2
XADD {s}a 1-* f v
XADD {s}a 2 f v
XADD {s}a 2-* f v
XADD {s}a 5-* a b
XADD {s}a 3 f v
XLEN {s}a
XLEN {s}missing
XRANGE {s}a - +
XRANGE {s}a - + COUNT 2
XRANGE {s}a - + COUNT 0
XRANGE {s}a - + COUNT -5
XRANGE {s}a 1 1
XRANGE {s}a 1-2 2
XRANGE {s}a (1-2 +
XRANGE {s}a - (2-1
XRANGE {s}a (- +
XRANGE {s}a - (+
XRANGE {s}a 3 1
XRANGE {s}a (18446744073709551615-18446744073709551615 +
XRANGE {s}a - (0-0
XRANGE {s}a abc +
XRANGE {s}a 1-x +
XRANGE {s}a - + COUNT
XRANGE {s}a - + COUNT x
XRANGE {s}a - + LIMIT 1
XRANGE {s}missing - +
XREVRANGE {s}a + -
XREVRANGE {s}a + - COUNT 2
XREVRANGE {s}a 2 1-2
XREVRANGE {s}a (5 -
XREVRANGE {s}missing + -
XADD {s}a 0-0 f v
XADD {s}a 0 f v
XADD {s}b 0-0 f v
EXISTS {s}b
XADD {s}b 0-* f v
XADD {s}b 0-* f v
XRANGE {s}b - +
XADD {s}a 10 f
XADD {s}a 10 f v g
XADD {s}a
XADD {s}a 10
XADD {s}a - f v
XADD {s}a + f v
XADD {s}a -1 f v
XADD {s}a 1-2-3 f v
XADD {s}a " 20" f v
XADD {s}a +21 f v
XADD {s}a 0x10 f v
XADD {s}a 18446744073709551616 f v
XADD {s}a 18446744073709551615-18446744073709551615 f v
XADD {s}a 18446744073709551615-* f v
XADD {s}a * f v
XRANGE {s}a (21 +
TYPE {s}a
OBJECT ENCODING {s}a
SET {s}str x
XADD {s}str 1 f v
XRANGE {s}str - +
XLEN {s}str
? XADD {s}c * f v
? XADD {s}c * f v
XLEN {s}c
XADD {s}d NOMKSTREAM 1 f v
EXISTS {s}d
XADD {s}d NOMKSTREAM * f v
XADD {s}a NOMKSTREAM 1 f v
XADD {s}e 1 "" "" "a\x00b" "\xff"
XRANGE {s}e - +
`},
	{"stream-trim", `
XADD {s}t 1 f v
XADD {s}t 2 f v
XADD {s}t 3 f v
XADD {s}t 4 f v
XADD {s}t 5 f v
XADD {s}t MAXLEN 3 6 f v
XRANGE {s}t - +
XADD {s}t MAXLEN = 2 7 f v
XRANGE {s}t - +
XADD {s}t MINID 7 8 f v
XRANGE {s}t - +
XADD {s}t MINID = 9 9 f v
XRANGE {s}t - +
XADD {s}t MAXLEN 0 10 f v
XLEN {s}t
XRANGE {s}t - +
EXISTS {s}t
XADD {s}t 11 f v
XADD {s}t 12 f v
XADD {s}t 13 f v
XTRIM {s}t MAXLEN 1
XRANGE {s}t - +
XTRIM {s}t MAXLEN 5
XTRIM {s}t MINID 100
XLEN {s}t
XTRIM {s}missing MAXLEN 1
XTRIM {s}t
XTRIM {s}t FOO 1
XTRIM {s}t MAXLEN -1
XTRIM {s}t MAXLEN x
XTRIM {s}t MAXLEN 1 MINID 1
XTRIM {s}t MINID 1 MAXLEN 1
XTRIM {s}t MAXLEN 1 LIMIT 10
XTRIM {s}t MAXLEN = 1 LIMIT 10
XTRIM {s}t LIMIT 10
XTRIM {s}t LIMIT 0 MAXLEN 1
XTRIM {s}t MAXLEN ~ 1 LIMIT -1
XTRIM {s}t MINID -
XTRIM {s}t MINID 1-*
XTRIM {s}t MAXLEN 1 extra
XADD {s}t MAXLEN 1 LIMIT 5 14 f v
XADD {s}t LIMIT 5 15 f v
XADD {s}t MAXLEN 1 MINID 1 15 f v
XADD {s}t MAXLEN -1 15 f v
XADD {s}t FOO 15 f v
XADD {s}t MAXLEN = 1
XADD {s}t NOMKSTREAM MAXLEN 1
XADD {s}t MINID = 1
XADD {s}t MAXLEN ~ 1 LIMIT 5
SET {s}str x
XTRIM {s}str MAXLEN 1
XTRIM {s}str FOO 1
`},
	{"stream-del-setid", `
XADD {s}x 1 a 1
XADD {s}x 2 b 2
XADD {s}x 3 c 3
XDEL {s}x 1 1 5
XRANGE {s}x - +
XDEL {s}x 2 x
XLEN {s}x
XDEL {s}x 2-0 3
XLEN {s}x
EXISTS {s}x
XRANGE {s}x - +
XADD {s}x 3 f v
XADD {s}x 4 f v
XDEL {s}missing x
XDEL {s}x -
XSETID {s}x 3
XSETID {s}x 10
XADD {s}x 10 f v
XADD {s}x 11 f v
XSETID {s}x 10 ENTRIESADDED 0
XSETID {s}x 20 ENTRIESADDED -1
XSETID {s}x 20 MAXDELETEDID 30
XSETID {s}x 20 MAXDELETEDID 5 ENTRIESADDED 100
XADD {s}x 20 f v
XADD {s}x 21 f v
XSETID {s}x 22 MAXDELETEDID 1
XSETID {s}missing 1
XSETID {s}x x
XSETID {s}x 30 FOO
XSETID {s}x 30 ENTRIESADDED
SET {s}str x
XSETID {s}str 1
XDEL {s}str 1
`},
	{"stream-read", `
XADD {s}r1 1 a 1
XADD {s}r1 2 b 2
XADD {s}r2 5 c 3
XREAD STREAMS {s}r1 0
XREAD STREAMS {s}r1 {s}r2 0 0
XREAD COUNT 1 STREAMS {s}r1 {s}r2 0 0
XREAD COUNT 0 STREAMS {s}r1 0
XREAD COUNT -1 STREAMS {s}r1 0
XREAD STREAMS {s}r1 {s}r2 2 4
XREAD STREAMS {s}r1 {s}r2 $ $
XREAD STREAMS {s}r1 1-1
XREAD STREAMS {s}missing 0
XREAD STREAMS {s}missing {s}r1 0 0
XREAD STREAMS {s}r1
XREAD STREAMS {s}r1 {s}r2 0
XREAD STREAMS
XREAD COUNT 1
XREAD FOO STREAMS {s}r1 0
XREAD STREAMS {s}r1 >
XREAD STREAMS {s}r1 -
XREAD STREAMS {s}r1 x
XREAD COUNT x STREAMS {s}r1 0
XREAD BLOCK x STREAMS {s}r1 0
XREAD BLOCK -1 STREAMS {s}r1 0
XREAD BLOCK 100 STREAMS {s}r1 0
XREAD GROUP g c STREAMS {s}r1 0
XREAD NOACK STREAMS {s}r1 0
SET {s}str x
XREAD STREAMS {s}str 0
XREAD STREAMS {s}r1 {s}str 0 0
XDEL {s}r1 2
XREAD STREAMS {s}r1 1
XADD {s}r1 3 z z
MULTI
XREAD BLOCK 0 STREAMS {s}r1 $
XREAD BLOCK 0 STREAMS {s}r1 0
EXEC
`},
	{"stream-resp3", `@resp3
XADD {s}r1 1 a 1
XADD {s}r2 2 b 2
XREAD STREAMS {s}r1 {s}r2 0 0
XREAD STREAMS {s}r1 $
XRANGE {s}r1 - +
XADD {s}r3 NOMKSTREAM 1 f v
`},
	{"stream-keyspace", `
XADD {s}k 1 f v
XADD {s}k 2 g w
COPY {s}k {s}k2
XRANGE {s}k2 - +
XADD {s}k2 3 h x
XLEN {s}k
XLEN {s}k2
RENAME {s}k {s}k3
XRANGE {s}k3 - +
EXISTS {s}k
TYPE {s}k3
! SCAN 0 TYPE stream COUNT 100
PEXPIRE {s}k3 100000
XADD {s}k3 5 f v
? PTTL {s}k3
DEL {s}k3
XADD {s}k3 1 f v
XRANGE {s}k3 - +
SORT {s}k3
`},
	{"stream-groups", `
XGROUP CREATE {g}s g1 $
XGROUP CREATE {g}s g1 $ MKSTREAM
XGROUP CREATE {g}s g1 $ MKSTREAM
EXISTS {g}s
XLEN {g}s
XADD {g}s 1 a 1
XADD {g}s 2 b 2
XADD {g}s 3 c 3
XGROUP CREATE {g}s g2 0
XGROUP CREATE {g}s g3 2 ENTRIESREAD 2
XGROUP CREATE {g}s g4 $ ENTRIESREAD -5
XGROUP CREATE {g}s g4 $ ENTRIESREAD x
XGROUP CREATE {g}s g4 $ FOO
XGROUP CREATE {g}s g4 - 
XGROUP CREATE {g}s g4 x
XGROUP CREATE {g}missing g $
XGROUP CREATE {g}s
XGROUP SETID {g}s nope 0
XGROUP CREATECONSUMER {g}s nope c
XGROUP FOO {g}s g
XGROUP HELP
XGROUP
XINFO GROUPS {g}s
XREADGROUP GROUP g2 alice COUNT 1 STREAMS {g}s >
XREADGROUP GROUP g2 bob STREAMS {g}s >
XREADGROUP GROUP g2 bob STREAMS {g}s >
XINFO GROUPS {g}s
~ XINFO CONSUMERS {g}s g2
XPENDING {g}s g2
~ XPENDING {g}s g2 - + 10
~ XPENDING {g}s g2 - + 10 bob
~ XPENDING {g}s g2 (1 + 10
XPENDING {g}s g2 - + 0
XPENDING {g}s g2 - + 10 nobody
XPENDING {g}s g2 IDLE 1000000 - + 10
XPENDING {g}s g2 IDLE 1000000 - +
XPENDING {g}s g2 - +
XPENDING {g}s nope
XPENDING {g}missing g
XREADGROUP GROUP g2 alice STREAMS {g}s 0
XREADGROUP GROUP g2 bob STREAMS {g}s 0
XREADGROUP GROUP g2 bob COUNT 1 STREAMS {g}s 0
XREADGROUP GROUP g2 bob STREAMS {g}s 2
~ XPENDING {g}s g2 - + 10
XACK {g}s g2 1 1 9
XACK {g}s g2 x
XACK {g}s nope 1
XACK {g}missing g 1
XPENDING {g}s g2
XADD {g}s 4 d 4
XREADGROUP GROUP g2 carol NOACK STREAMS {g}s >
XPENDING {g}s g2
XINFO GROUPS {g}s
XDEL {g}s 2
XREADGROUP GROUP g2 bob STREAMS {g}s 0
XINFO GROUPS {g}s
XCLAIM {g}s g2 dave 0 2 3
~ XPENDING {g}s g2 - + 10
XCLAIM {g}s g2 dave 0 3 JUSTID
XCLAIM {g}s g2 erin 0 3 RETRYCOUNT 7 JUSTID
~ XPENDING {g}s g2 - + 10
XCLAIM {g}s g2 erin 0 4 FORCE JUSTID
XCLAIM {g}s g2 erin 0 1 FORCE
XCLAIM {g}s g2 erin 100000 3 JUSTID
XCLAIM {g}s g2 erin x 3
XCLAIM {g}s g2 erin 0 3 FOO
XCLAIM {g}s g2 erin 0 3 IDLE x
XCLAIM {g}s g2 erin 0 3 LASTID 100 JUSTID
XINFO GROUPS {g}s
XCLAIM {g}s nope erin 0 3
~ XINFO CONSUMERS {g}s g2
XGROUP DELCONSUMER {g}s g2 erin
XGROUP DELCONSUMER {g}s g2 erin
XGROUP CREATECONSUMER {g}s g2 frank
XGROUP CREATECONSUMER {g}s g2 frank
~ XINFO CONSUMERS {g}s g2
XPENDING {g}s g2
XGROUP SETID {g}s g2 0
XGROUP SETID {g}s g2 $ ENTRIESREAD 3
XGROUP SETID {g}s g2 - ENTRIESREAD x
XGROUP SETID {g}s g2 0 FOO 1
XINFO GROUPS {g}s
XGROUP DESTROY {g}s g2
XGROUP DESTROY {g}s g2
XINFO GROUPS {g}s
XREADGROUP GROUP g2 a STREAMS {g}s >
XREADGROUP GROUP g1 a STREAMS {g}s $
XREADGROUP GROUP g1 a STREAMS {g}s
XREADGROUP STREAMS {g}s >
XREADGROUP GROUP g1 STREAMS {g}s >
XREAD GROUP g1 a STREAMS {g}s >
SET {g}str x
XGROUP CREATE {g}str g $
XREADGROUP GROUP g a STREAMS {g}str >
XACK {g}str g 1
XPENDING {g}str g
XINFO GROUPS {g}str
XINFO STREAM {g}missing
XINFO GROUPS {g}missing
XINFO CONSUMERS {g}s nope
XINFO FOO {g}s
XINFO HELP
`},
	{"stream-autoclaim", `
XADD {a}s 1 a 1
XADD {a}s 2 b 2
XADD {a}s 3 c 3
XADD {a}s 4 d 4
XGROUP CREATE {a}s g 0
XREADGROUP GROUP g c1 STREAMS {a}s >
XDEL {a}s 2
XAUTOCLAIM {a}s g c2 0 0 COUNT 1
XAUTOCLAIM {a}s g c2 0 0 COUNT 2
XAUTOCLAIM {a}s g c2 0 0 JUSTID
XAUTOCLAIM {a}s g c2 0 (3 JUSTID
XAUTOCLAIM {a}s g c3 100000 0
XPENDING {a}s g
XAUTOCLAIM {a}s g c2 0 0 COUNT 0
XAUTOCLAIM {a}s g c2 0 0 COUNT x
XAUTOCLAIM {a}s g c2 x 0
XAUTOCLAIM {a}s g c2 0 x
XAUTOCLAIM {a}s g c2 0 0 FOO
XAUTOCLAIM {a}s nope c2 0 0
XAUTOCLAIM {a}missing g c2 0 0
XINFO GROUPS {a}s
`},
	{"stream-info", `
XADD {i}s 1-1 a 1
XADD {i}s 1-2 b 2
XADD {i}s 5-0 c 3
XDEL {i}s 1-2
XGROUP CREATE {i}s g 0
XINFO STREAM {i}s
XREADGROUP GROUP g c COUNT 1 STREAMS {i}s >
~ XINFO STREAM {i}s FULL
~ XINFO STREAM {i}s FULL COUNT 1
XINFO STREAM {i}s FULL COUNT x
XINFO STREAM {i}s FOO
XTRIM {i}s MAXLEN 0
XINFO STREAM {i}s
XINFO GROUPS {i}s
`},
	{"stream-groups-resp3", `@resp3
XADD {g}s 1 a 1
XGROUP CREATE {g}s g 0
XREADGROUP GROUP g c STREAMS {g}s >
XREADGROUP GROUP g c STREAMS {g}s >
XREADGROUP GROUP g c STREAMS {g}s 0
XINFO GROUPS {g}s
XPENDING {g}s g
XINFO STREAM {g}s
`},
}

func TestDiffStream(t *testing.T) { runDiffScripts(t, streamDiffScripts, false) }

// checkXReadBlock checks XREAD BLOCK through the clients made by dial (one
// per call): woken by an XADD from another client, "$" meaning the last ID
// when the client blocked (an XADD that lands while it waits is returned,
// not taken as the new "$"), timeouts answered with a null reply, data
// already there answered at once.
func checkXReadBlock(t *testing.T, dial func() *redis.Client) {
	ctx := context.Background()
	waiter, adder := dial(), dial()
	key := "{xb}" + t.Name()
	if err := adder.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "1-1", Values: []string{"old", "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		v   []redis.XStream
		err error
	}
	got := make(chan result, 1)
	go func() {
		v, err := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{key, "$"}, Block: 10 * time.Second}).Result()
		got <- result{v, err}
	}()
	time.Sleep(300 * time.Millisecond)
	if err := adder.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "2-1", Values: []string{"new", "2"}}).Err(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if r.err != nil || len(r.v) != 1 || r.v[0].Stream != key || len(r.v[0].Messages) != 1 ||
			r.v[0].Messages[0].ID != "2-1" || r.v[0].Messages[0].Values["new"] != "2" {
			t.Fatalf("XREAD BLOCK $: %+v %v", r.v, r.err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("XREAD BLOCK not woken by XADD")
	}
	// A key created while the client waits on it ("$" of a missing key is 0-0).
	go func() {
		v, err := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{key + "new", "$"}, Block: 10 * time.Second}).Result()
		got <- result{v, err}
	}()
	time.Sleep(300 * time.Millisecond)
	adder.XAdd(ctx, &redis.XAddArgs{Stream: key + "new", ID: "5-5", Values: []string{"a", "b"}})
	select {
	case r := <-got:
		if r.err != nil || len(r.v) != 1 || r.v[0].Messages[0].ID != "5-5" {
			t.Fatalf("XREAD BLOCK on a new key: %+v %v", r.v, r.err)
		}
	case <-time.After(8 * time.Second):
		t.Fatal("XREAD BLOCK on a missing key not woken by XADD")
	}
	// Data already there: answered at once.
	v, err := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{key, "0"}, Block: 5 * time.Second, Count: 1}).Result()
	if err != nil || len(v) != 1 || v[0].Messages[0].ID != "1-1" {
		t.Fatalf("XREAD BLOCK with data: %+v %v", v, err)
	}
	// Timeout: a null reply after about the time asked.
	start := time.Now()
	if err := waiter.XRead(ctx, &redis.XReadArgs{Streams: []string{key, "$"}, Block: 300 * time.Millisecond}).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("XREAD BLOCK timeout: %v", err)
	}
	if d := time.Since(start); d < 250*time.Millisecond || d > 5*time.Second {
		t.Fatalf("XREAD BLOCK 300 took %v", d)
	}
}

func TestXReadBlock(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			checkXReadBlock(t, func() *redis.Client { return srv.Client(t, proto) })
		})
	}
}

// A client blocked on any node is woken by an XADD through any other.
func TestXReadBlockCluster(t *testing.T) {
	c := StartCluster(t, 3)
	for i := range c.Nodes {
		t.Run(fmt.Sprintf("node%d", i+1), func(t *testing.T) {
			n := 0
			checkXReadBlock(t, func() *redis.Client { n++; return c.Client(t, (i+n)%len(c.Nodes)) })
		})
	}
}

// XREAD BLOCK's replies and errors, compared with redis-server's.
func TestXReadBlockAgainstRedis(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	for _, addr := range []string{neo.Addr, ref.Addr} {
		c := Dial(t, addr)
		c.Do("XADD", "k", "1", "f", "v")
		c.Do("XADD", "{k}1", "1", "f", "v")
	}
	for _, cmd := range [][]string{
		{"XREAD", "BLOCK", "100", "STREAMS", "k", "$"},
		{"XREAD", "BLOCK", "100", "COUNT", "1", "STREAMS", "k", "0"},
		{"XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "k", "0"},
		{"XREAD", "BLOCK", "100", "STREAMS", "{k}1", "{k}missing", "$", "$"},
		{"XREAD", "BLOCK", "-1", "STREAMS", "k", "$"},
		{"XREAD", "BLOCK", "x", "STREAMS", "k", "$"},
		{"XREAD", "BLOCK", "100", "STREAMS", "k"},
		{"XREAD", "BLOCK", "100", "STREAMS", "k", "bad"},
		{"XREAD", "BLOCK", "100", "FOO", "STREAMS", "k", "$"},
		{"XREAD", "BLOCK"},
	} {
		a, b := Dial(t, neo.Addr).Do(cmd...), Dial(t, ref.Addr).Do(cmd...)
		if a != b {
			t.Errorf("%q:\n  neokv: %q\n  redis: %q", cmd, a, b)
		}
	}
}

// checkXReadGroupBlock checks XREADGROUP ... BLOCK ... ">" through the
// clients made by dial: an XADD wakes one blocked consumer of the group,
// which then has the entry pending; two consumers blocked on one group
// never both get the same entry; timeouts answer null.
func checkXReadGroupBlock(t *testing.T, dial func() *redis.Client) {
	ctx := context.Background()
	key := "{xg}" + t.Name()
	adder := dial()
	if err := adder.XGroupCreateMkStream(ctx, key, "g", "$").Err(); err != nil {
		t.Fatal(err)
	}
	type result struct {
		who string
		v   []redis.XStream
		err error
	}
	got := make(chan result, 2)
	for _, who := range []string{"alice", "bob"} {
		cl := dial()
		go func(who string) {
			v, err := cl.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: who, Streams: []string{key, ">"}, Block: 3 * time.Second}).Result()
			got <- result{who, v, err}
		}(who)
	}
	time.Sleep(400 * time.Millisecond)
	if err := adder.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: "7-1", Values: []string{"job", "1"}}).Err(); err != nil {
		t.Fatal(err)
	}
	served, timedOut := "", 0
	for i := 0; i < 2; i++ {
		select {
		case r := <-got:
			switch {
			case errors.Is(r.err, redis.Nil):
				timedOut++
			case r.err == nil && len(r.v) == 1 && len(r.v[0].Messages) == 1 && r.v[0].Messages[0].ID == "7-1":
				if served != "" {
					t.Fatalf("entry 7-1 delivered to %s and %s", served, r.who)
				}
				served = r.who
			default:
				t.Fatalf("XREADGROUP BLOCK (%s): %+v %v", r.who, r.v, r.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a blocked XREADGROUP did not return")
		}
	}
	if served == "" || timedOut != 1 {
		t.Fatalf("served %q, timed out %d", served, timedOut)
	}
	p, err := adder.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: key, Group: "g", Start: "-", End: "+", Count: 10}).Result()
	if err != nil || len(p) != 1 || p[0].ID != "7-1" || p[0].Consumer != served || p[0].RetryCount != 1 {
		t.Fatalf("XPENDING after the blocked read: %+v %v", p, err)
	}
}

func TestXReadGroupBlock(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			checkXReadGroupBlock(t, func() *redis.Client { return srv.Client(t, proto) })
		})
	}
}

func TestXReadGroupBlockCluster(t *testing.T) {
	c := StartCluster(t, 3)
	n := 0
	checkXReadGroupBlock(t, func() *redis.Client { n++; return c.Client(t, n%len(c.Nodes)) })
}
