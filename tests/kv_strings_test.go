package tests

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// expect sends one command on a raw connection and checks the exact reply.
func expect(t *testing.T, r *RawConn, want string, args ...string) {
	t.Helper()
	if got := r.Do(args...); got != want {
		t.Errorf("%s: got %q want %q", fmtArgs(args), got, want)
	}
}

// intReply sends a command that must answer an integer and returns it.
func intReply(t *testing.T, r *RawConn, args ...string) int64 {
	t.Helper()
	got := r.Do(args...)
	if !strings.HasPrefix(got, ":") {
		t.Fatalf("%s: got %q, want an integer", fmtArgs(args), got)
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(got[1:], "\r\n"), 10, 64)
	if err != nil {
		t.Fatalf("%s: %q: %v", fmtArgs(args), got, err)
	}
	return n
}

// waitUntil polls cond until it holds or the deadline passes.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logOnFailure prints the end of the server's log if the test fails, so a
// crash (a connection closed mid-test) shows its panic.
func logOnFailure(t *testing.T, srv *Server) {
	t.Cleanup(func() {
		if t.Failed() {
			l := srv.Log()
			t.Logf("server log (tail):\n%s", l[max(0, len(l)-4000):])
		}
	})
}

func bulk(s string) string { return fmt.Sprintf("$%d\r\n%s\r\n", len(s), s) }

// TestStringRESP3Shapes checks the replies whose encoding differs between
// RESP2 and RESP3, byte for byte.
func TestStringRESP3Shapes(t *testing.T) {
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			r := Dial(t, srv.Addr)
			null := "$-1\r\n"
			if proto == 3 {
				null = "_\r\n"
				if got := r.Do("HELLO", "3"); !strings.HasPrefix(got, "%") {
					t.Fatalf("HELLO 3: %q", got)
				}
			}
			p := fmt.Sprintf("{p%d}", proto)
			expect(t, r, "+OK\r\n", "FLUSHALL")
			expect(t, r, null, "GET", p+"missing")
			expect(t, r, null, "GETDEL", p+"missing")
			expect(t, r, null, "GETEX", p+"missing", "PERSIST")
			expect(t, r, null, "GETSET", p+"k", "v")
			expect(t, r, null, "SET", p+"k", "w", "NX")
			expect(t, r, null, "SET", p+"nokey", "w", "XX")
			expect(t, r, bulk("v"), "SET", p+"k", "w", "GET")
			expect(t, r, null, "SET", p+"new", "w", "GET")
			// MGET across Regions: NeoKV merges per-Region parts, and the
			// nulls must keep the connection's protocol.
			expect(t, r, "*4\r\n"+bulk("w")+null+null+bulk("w"), "MGET", p+"k", "foo", "bar", p+"new")
			expect(t, r, "+OK\r\n", "MSET", p+"a", "ohmytext", p+"b", "mynewtext")
			idx := "*4\r\n"
			if proto == 3 {
				idx = "%2\r\n"
			}
			idx += bulk("matches") +
				"*2\r\n" +
				"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n" +
				"*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n" +
				bulk("len") + ":6\r\n"
			expect(t, r, idx, "LCS", p+"a", p+"b", "IDX", "WITHMATCHLEN")
			empty := "*4\r\n"
			if proto == 3 {
				empty = "%2\r\n"
			}
			expect(t, r, empty+bulk("matches")+"*0\r\n"+bulk("len")+":0\r\n", "LCS", p+"a", p+"none", "IDX")
			expect(t, r, bulk("mytext"), "LCS", p+"a", p+"b")
			expect(t, r, ":6\r\n", "LCS", p+"a", p+"b", "LEN")
			// INCRBYFLOAT answers a bulk string, not a RESP3 double.
			expect(t, r, bulk("10.6"), "INCRBYFLOAT", p+"f", "10.6")
			expect(t, r, "-ERR wrong number of arguments for 'get' command\r\n", "GET")
		})
	}
}

// TestStringsGoRedis drives the string commands through go-redis over both
// protocols, so typed results (nil, maps, floats) decode as clients expect.
func TestStringsGoRedis(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			c := srv.Client(t, proto)
			p := fmt.Sprintf("{g%d}", proto)
			if err := c.Get(ctx, p+"missing").Err(); err != redis.Nil {
				t.Fatalf("GET missing: %v", err)
			}
			if ok, err := c.SetNX(ctx, p+"k", "v", 0).Result(); err != nil || !ok {
				t.Fatalf("SETNX: %v %v", ok, err)
			}
			if ok, err := c.SetNX(ctx, p+"k", "v", 0).Result(); err != nil || ok {
				t.Fatalf("SETNX again: %v %v", ok, err)
			}
			if err := c.SetArgs(ctx, p+"k", "w", redis.SetArgs{Mode: "NX"}).Err(); err != redis.Nil {
				t.Fatalf("SET NX on existing key: %v", err)
			}
			if v, err := c.SetArgs(ctx, p+"k", "w", redis.SetArgs{Get: true, TTL: time.Hour}).Result(); err != nil || v != "v" {
				t.Fatalf("SET GET EX: %q %v", v, err)
			}
			if d, err := c.TTL(ctx, p+"k").Result(); err != nil || d <= 59*time.Minute || d > time.Hour {
				t.Fatalf("TTL after SET EX 3600: %v %v", d, err)
			}
			if v, err := c.GetEx(ctx, p+"k", 0).Result(); err != nil || v != "w" {
				t.Fatalf("GETEX: %q %v", v, err)
			}
			if err := c.GetEx(ctx, p+"nokey", time.Minute).Err(); err != redis.Nil {
				t.Fatalf("GETEX missing: %v", err)
			}
			if v, err := c.GetDel(ctx, p+"k").Result(); err != nil || v != "w" {
				t.Fatalf("GETDEL: %q %v", v, err)
			}
			if err := c.MSet(ctx, p+"a", "1", "foo", "2", "bar", "3").Err(); err != nil {
				t.Fatal(err)
			}
			vals, err := c.MGet(ctx, p+"a", "nope", "foo", "bar").Result()
			if want := []interface{}{"1", nil, "2", "3"}; err != nil || !reflect.DeepEqual(vals, want) {
				t.Fatalf("MGET: %#v %v, want %#v", vals, err, want)
			}
			if ok, err := c.MSetNX(ctx, p+"x", "1", p+"a", "2").Result(); err != nil || ok {
				t.Fatalf("MSETNX with an existing key: %v %v", ok, err)
			}
			if n, err := c.Exists(ctx, p+"x").Result(); err != nil || n != 0 {
				t.Fatalf("MSETNX wrote although it failed: %d %v", n, err)
			}
			if n, err := c.IncrBy(ctx, p+"n", 41).Result(); err != nil || n != 41 {
				t.Fatalf("INCRBY: %d %v", n, err)
			}
			if n, err := c.Incr(ctx, p+"n").Result(); err != nil || n != 42 {
				t.Fatalf("INCR: %d %v", n, err)
			}
			if f, err := c.IncrByFloat(ctx, p+"n", 0.5).Result(); err != nil || f != 42.5 {
				t.Fatalf("INCRBYFLOAT: %v %v", f, err)
			}
			if err := c.Incr(ctx, p+"n").Err(); err == nil || err.Error() != "ERR value is not an integer or out of range" {
				t.Fatalf("INCR on 42.5: %v", err)
			}
			if err := c.Set(ctx, p+"max", "9223372036854775807", 0).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.Incr(ctx, p+"max").Err(); err == nil || err.Error() != "ERR increment or decrement would overflow" {
				t.Fatalf("INCR at MaxInt64: %v", err)
			}
			if err := c.DecrBy(ctx, p+"zero", -9223372036854775808).Err(); err == nil || err.Error() != "ERR decrement would overflow" {
				t.Fatalf("DECRBY MinInt64: %v", err)
			}
			if n, err := c.Append(ctx, p+"s", "Hello").Result(); err != nil || n != 5 {
				t.Fatalf("APPEND: %d %v", n, err)
			}
			if n, err := c.SetRange(ctx, p+"s", 7, "World").Result(); err != nil || n != 12 {
				t.Fatalf("SETRANGE: %d %v", n, err)
			}
			if v, err := c.Get(ctx, p+"s").Result(); err != nil || v != "Hello\x00\x00World" {
				t.Fatalf("GET after SETRANGE: %q %v", v, err)
			}
			if v, err := c.GetRange(ctx, p+"s", -5, -1).Result(); err != nil || v != "World" {
				t.Fatalf("GETRANGE: %q %v", v, err)
			}
			if n, err := c.StrLen(ctx, p+"s").Result(); err != nil || n != 12 {
				t.Fatalf("STRLEN: %d %v", n, err)
			}
			if err := c.MSet(ctx, p+"l1", "ohmytext", p+"l2", "mynewtext").Err(); err != nil {
				t.Fatal(err)
			}
			res, err := c.LCS(ctx, &redis.LCSQuery{Key1: p + "l1", Key2: p + "l2", Idx: true, MinMatchLen: 4, WithMatchLen: true}).Result()
			if err != nil {
				t.Fatalf("LCS IDX: %v", err)
			}
			want := []redis.LCSMatchedPosition{{Key1: redis.LCSPosition{Start: 4, End: 7}, Key2: redis.LCSPosition{Start: 5, End: 8}, MatchLen: 4}}
			if res.Len != 6 || !reflect.DeepEqual(res.Matches, want) {
				t.Fatalf("LCS IDX: %+v", res)
			}
			res, err = c.LCS(ctx, &redis.LCSQuery{Key1: p + "l1", Key2: p + "l2"}).Result()
			if err != nil || res.MatchString != "mytext" {
				t.Fatalf("LCS: %+v %v", res, err)
			}
		})
	}
}

// TestRelativeExpiryValues checks the TTL each command leaves behind, with
// room for a slow machine but not for a wrong unit.
func TestRelativeExpiryValues(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	pttlIn := func(key string, lo, hi int64) {
		t.Helper()
		if p := intReply(t, r, "PTTL", key); p < lo || p > hi {
			t.Errorf("PTTL %s = %d, want in [%d, %d]", key, p, lo, hi)
		}
	}
	const slack = 5000
	expect(t, r, "+OK\r\n", "SET", "a", "v", "EX", "100")
	pttlIn("a", 100000-slack, 100000)
	expect(t, r, "+OK\r\n", "SET", "b", "v", "PX", "100000")
	pttlIn("b", 100000-slack, 100000)
	expect(t, r, "+OK\r\n", "SETEX", "c", "200", "v")
	pttlIn("c", 200000-slack, 200000)
	expect(t, r, "+OK\r\n", "PSETEX", "d", "200000", "v")
	pttlIn("d", 200000-slack, 200000)
	expect(t, r, bulk("v"), "GETEX", "d", "EX", "300")
	pttlIn("d", 300000-slack, 300000)
	expect(t, r, bulk("v"), "GETEX", "d", "PX", "400000")
	pttlIn("d", 400000-slack, 400000)
	at := time.Now().Add(500 * time.Second).UnixMilli()
	expect(t, r, bulk("v"), "GETEX", "d", "PXAT", strconv.FormatInt(at, 10))
	expect(t, r, fmt.Sprintf(":%d\r\n", at), "PEXPIRETIME", "d")
	pttlIn("d", 500000-slack, 500000)
	expect(t, r, ":1\r\n", "EXPIRE", "d", "600")
	pttlIn("d", 600000-slack, 600000)
	expect(t, r, ":1\r\n", "PEXPIRE", "d", "700000")
	pttlIn("d", 700000-slack, 700000)
	// Commands that keep the TTL.
	expect(t, r, "+OK\r\n", "SET", "n", "1", "PX", "100000")
	expect(t, r, ":2\r\n", "INCR", "n")
	expect(t, r, ":7\r\n", "INCRBY", "n", "5")
	expect(t, r, bulk("7.5"), "INCRBYFLOAT", "n", "0.5")
	expect(t, r, ":4\r\n", "APPEND", "n", "x")
	expect(t, r, ":4\r\n", "SETRANGE", "n", "0", "8")
	expect(t, r, "+OK\r\n", "SET", "n", "9", "KEEPTTL")
	pttlIn("n", 100000-slack, 100000)
	expect(t, r, "+OK\r\n", "SET", "{r}src", "v", "PX", "100000")
	expect(t, r, ":1\r\n", "COPY", "{r}src", "{r}copy")
	pttlIn("{r}copy", 100000-slack, 100000)
	expect(t, r, "+OK\r\n", "RENAME", "{r}src", "{r}dst")
	pttlIn("{r}dst", 100000-slack, 100000)
	expect(t, r, ":-2\r\n", "PTTL", "{r}src")
	// Commands that drop it.
	expect(t, r, bulk("9"), "GETSET", "n", "10")
	expect(t, r, ":-1\r\n", "PTTL", "n")
	expect(t, r, "+OK\r\n", "SET", "n", "1", "PX", "100000")
	expect(t, r, "+OK\r\n", "SET", "n", "2")
	expect(t, r, ":-1\r\n", "TTL", "n")
	expect(t, r, "+OK\r\n", "SET", "n", "1", "PX", "100000")
	expect(t, r, "+OK\r\n", "MSET", "n", "3", "foo", "4")
	expect(t, r, ":-1\r\n", "TTL", "n")
	expect(t, r, "+OK\r\n", "SET", "n", "1", "PX", "100000")
	expect(t, r, bulk("1"), "GETEX", "n", "PERSIST")
	expect(t, r, ":-1\r\n", "TTL", "n")
}

// TestTTLRounding: TTL is (PTTL+500)/1000 in Redis, not PTTL/1000.
func TestTTLRounding(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	// Retried while the machine is too slow to observe the window.
	check := func(px string, lo, hi, want int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			expect(t, r, "+OK\r\n", "SET", "k", "v", "PX", px)
			p1 := intReply(t, r, "PTTL", "k")
			ttl := intReply(t, r, "TTL", "k")
			p2 := intReply(t, r, "PTTL", "k")
			if p1 <= hi && p2 >= lo {
				if ttl != want {
					t.Fatalf("SET PX %s: TTL %d with PTTL %d..%d, want %d", px, ttl, p1, p2, want)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("could not observe PTTL within [%d, %d] (last %d..%d)", lo, hi, p1, p2)
			}
		}
	}
	check("1800", 1500, 1800, 2) // truncation would say 1
	check("900", 500, 900, 1)    // truncation would say 0
	check("1300", 500, 1300, 1)
}

// TestExpiredKeysInvisible lets keys expire and checks that every command
// treats them as missing, both for reads and for writes that recreate them.
func TestExpiredKeysInvisible(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	keys := []string{"{e}get", "{e}nx", "{e}incr", "{e}append", "{e}setrange", "{e}getset", "{e}msetnx",
		"{e}rename", "{e}copy", "{e}expire", "{e}lcs", "{e}getex", "{e}incrf", "{e}del", "{e}persist", "other"}
	now := time.Now()
	for i, k := range keys {
		switch i % 4 {
		case 0:
			expect(t, r, "+OK\r\n", "SET", k, "old", "PX", "1500")
		case 1:
			expect(t, r, "+OK\r\n", "PSETEX", k, "1500", "old")
		case 2:
			expect(t, r, "+OK\r\n", "SET", k, "old")
			expect(t, r, ":1\r\n", "PEXPIRE", k, "1500")
		case 3:
			expect(t, r, "+OK\r\n", "SET", k, "old")
			expect(t, r, ":1\r\n", "PEXPIREAT", k, strconv.FormatInt(now.Add(1500*time.Millisecond).UnixMilli(), 10))
		}
	}
	expect(t, r, "+OK\r\n", "SET", "{e}live", "v")
	existsArgs := append([]string{"EXISTS"}, keys...)
	if n := intReply(t, r, existsArgs...); n != int64(len(keys)) && time.Since(now) < time.Second {
		t.Fatalf("EXISTS right after setting: %d of %d", n, len(keys))
	}
	waitUntil(t, 10*time.Second, "keys to expire", func() bool { return intReply(t, r, existsArgs...) == 0 })

	expect(t, r, "$-1\r\n", "GET", "{e}get")
	expect(t, r, ":0\r\n", "STRLEN", "{e}get")
	expect(t, r, "$0\r\n\r\n", "GETRANGE", "{e}get", "0", "-1")
	expect(t, r, ":-2\r\n", "TTL", "{e}get")
	expect(t, r, ":-2\r\n", "PTTL", "{e}get")
	expect(t, r, ":-2\r\n", "EXPIRETIME", "{e}get")
	expect(t, r, "+none\r\n", "TYPE", "{e}get")
	expect(t, r, ":0\r\n", "TOUCH", "{e}get", "other")
	expect(t, r, "*2\r\n$-1\r\n$-1\r\n", "MGET", "{e}get", "other")
	expect(t, r, "$-1\r\n", "GETDEL", "{e}get")
	expect(t, r, "$-1\r\n", "GETEX", "{e}getex", "PERSIST")
	expect(t, r, ":0\r\n", "PERSIST", "{e}persist")
	expect(t, r, ":0\r\n", "EXPIRE", "{e}expire", "100")
	expect(t, r, ":-2\r\n", "TTL", "{e}expire")
	expect(t, r, "*0\r\n", "KEYS", "{e}[^l]*")
	expect(t, r, bulk("{e}live"), "RANDOMKEY")
	expect(t, r, "-ERR no such key\r\n", "RENAME", "{e}rename", "{e}x")
	expect(t, r, "-ERR no such key\r\n", "RENAMENX", "{e}rename", "{e}x")
	expect(t, r, ":0\r\n", "COPY", "{e}copy", "{e}x")
	expect(t, r, "$0\r\n\r\n", "LCS", "{e}lcs", "{e}live")
	expect(t, r, ":0\r\n", "DEL", "{e}del", "other")
	// Writes start from scratch.
	expect(t, r, ":1\r\n", "SETNX", "{e}nx", "new")
	expect(t, r, ":-1\r\n", "TTL", "{e}nx")
	expect(t, r, ":1\r\n", "INCR", "{e}incr")
	expect(t, r, ":-1\r\n", "TTL", "{e}incr")
	expect(t, r, bulk("1.5"), "INCRBYFLOAT", "{e}incrf", "1.5")
	expect(t, r, ":3\r\n", "APPEND", "{e}append", "new")
	expect(t, r, ":3\r\n", "SETRANGE", "{e}setrange", "2", "x")
	expect(t, r, bulk("\x00\x00x"), "GET", "{e}setrange")
	expect(t, r, "$-1\r\n", "GETSET", "{e}getset", "new")
	expect(t, r, ":1\r\n", "MSETNX", "{e}msetnx", "new", "{e}msetnx2", "new")
	expect(t, r, "+OK\r\n", "SET", "{e}get", "again", "NX")
	expect(t, r, bulk("again"), "GET", "{e}get")
	// Active expiry removes them for good, so DBSIZE (which, as in Redis,
	// may count expired keys not yet deleted) comes down to the live ones.
	live := int64(len([]string{"{e}live", "{e}nx", "{e}incr", "{e}incrf", "{e}append", "{e}setrange", "{e}getset", "{e}msetnx", "{e}msetnx2", "{e}get"}))
	waitUntil(t, 10*time.Second, "DBSIZE to drop to the live keys", func() bool { return intReply(t, r, "DBSIZE") == live })
}

// TestSetRangeHugeOffset: an offset near MaxInt64 once overflowed the size
// check and panicked the apply loop (and the entry stayed in the Raft log).
func TestSetRangeHugeOffset(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	tooLong := "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
	expect(t, r, "+OK\r\n", "SET", "k", "v")
	expect(t, r, tooLong, "SETRANGE", "k", "9223372036854775807", "xy")
	expect(t, r, tooLong, "SETRANGE", "nokey", "9223372036854775807", "xy")
	expect(t, r, tooLong, "SETRANGE", "k", "9223372036854775806", "xy")
	expect(t, r, tooLong, "SETRANGE", "k", "536870912", "x")
	expect(t, r, bulk("v"), "GET", "k")
	srv.Stop()
	srv.Restart()
	r = Dial(t, srv.Addr)
	expect(t, r, bulk("v"), "GET", "k")
	expect(t, r, ":0\r\n", "EXISTS", "nokey")
}

// TestExpiryAcrossRestart: expiry times are stored absolutely and survive a
// restart; a key that expires while the server is down stays gone.
func TestExpiryAcrossRestart(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	expect(t, r, "+OK\r\n", "SET", "far", "v", "PXAT", "4102444800123")
	expect(t, r, "+OK\r\n", "SET", "soon", "v", "PX", "1500")
	expect(t, r, "+OK\r\n", "SET", "plain", "v")
	srv.Stop()
	srv.Restart()
	r = Dial(t, srv.Addr)
	expect(t, r, ":4102444800123\r\n", "PEXPIRETIME", "far")
	expect(t, r, ":-1\r\n", "PEXPIRETIME", "plain")
	waitUntil(t, 10*time.Second, "soon to expire", func() bool { return r.Do("GET", "soon") == "$-1\r\n" })
	expect(t, r, ":2\r\n", "EXISTS", "far", "plain")
}
