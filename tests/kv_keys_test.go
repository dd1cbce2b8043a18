package tests

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/slots"
)

// regionOf is the Region index of a key on a server started with the
// default 16 Regions, which split the slots evenly.
func regionOf(key string) int { return int(slots.OfString(key)) / (slots.Count / 16) }

// keySet collects keys and how often each was seen.
type keySet map[string]int

func (s keySet) sorted() []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// loadKeys writes keys (value = key) through a pipeline of MSETs.
func loadKeys(t *testing.T, c *redis.Client, keys []string) {
	t.Helper()
	ctx := context.Background()
	pipe := c.Pipeline()
	for i := 0; i < len(keys); i += 200 {
		var kv []interface{}
		for _, k := range keys[i:min(i+200, len(keys))] {
			kv = append(kv, k, k)
		}
		pipe.MSet(ctx, kv...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("load keys: %v", err)
	}
}

// scanAll iterates SCAN from cursor 0 to 0 and returns every key seen,
// checking that the cursor (a slot number in NeoKV) only moves forward.
func scanAll(t *testing.T, c *redis.Client, match string, count int64, typ string) keySet {
	t.Helper()
	ctx := context.Background()
	seen := keySet{}
	cursor := uint64(0)
	for calls := 0; ; calls++ {
		if calls > slots.Count+1 {
			t.Fatalf("SCAN did not finish after %d calls", calls)
		}
		var keys []string
		var next uint64
		var err error
		if typ != "" {
			keys, next, err = c.ScanType(ctx, cursor, match, count, typ).Result()
		} else {
			keys, next, err = c.Scan(ctx, cursor, match, count).Result()
		}
		if err != nil {
			t.Fatalf("SCAN %d: %v", cursor, err)
		}
		for _, k := range keys {
			seen[k]++
		}
		if next == 0 {
			return seen
		}
		if next <= cursor || next >= slots.Count {
			t.Fatalf("SCAN %d returned cursor %d: want a later slot", cursor, next)
		}
		cursor = next
	}
}

func checkExactlyOnce(t *testing.T, what string, seen keySet, want []string) {
	t.Helper()
	wantSet := map[string]bool{}
	for _, k := range want {
		wantSet[k] = true
		if seen[k] == 0 {
			t.Errorf("%s: key %q missing", what, k)
		} else if seen[k] > 1 {
			t.Errorf("%s: key %q returned %d times", what, k, seen[k])
		}
	}
	for k := range seen {
		if !wantSet[k] {
			t.Errorf("%s: unexpected key %q", what, k)
		}
	}
}

func testKeys() (all, hot []string) {
	for i := 0; i < 3000; i++ {
		all = append(all, fmt.Sprintf("k:%d", i))
	}
	// 300 keys in one slot: more than any COUNT below, so a step must
	// return a whole slot to make progress without losing keys.
	for i := 0; i < 300; i++ {
		hot = append(hot, fmt.Sprintf("{hot}:%d", i))
	}
	return append(all, hot...), hot
}

func TestScanVisitsEveryKey(t *testing.T) {
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	c := srv.Client(t, 2)
	ctx := context.Background()
	all, hot := testKeys()
	loadKeys(t, c, all)
	// Keys that expire before the scan must not be returned.
	pipe := c.Pipeline()
	for i := 0; i < 50; i++ {
		pipe.Set(ctx, fmt.Sprintf("gone:%d", i), "v", 100*time.Millisecond)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "gone:* to expire", func() bool {
		n, err := c.Exists(ctx, "gone:0", "gone:25", "gone:49").Result()
		return err == nil && n == 0
	})

	for _, count := range []int64{1, 7, 100, 100000} {
		checkExactlyOnce(t, fmt.Sprintf("SCAN COUNT %d", count), scanAll(t, c, "", count, ""), all)
	}
	// One call with a large COUNT covers everything and ends the iteration.
	keys, next, err := c.Scan(ctx, 0, "", 1000000).Result()
	if err != nil || next != 0 || len(keys) != len(all) {
		t.Fatalf("SCAN 0 COUNT 1000000: %d keys, cursor %d, %v", len(keys), next, err)
	}

	var match []string
	for _, k := range all {
		if strings.HasPrefix(k, "k:1") {
			match = append(match, k)
		}
	}
	checkExactlyOnce(t, "SCAN MATCH k:1*", scanAll(t, c, "k:1*", 10, ""), match)
	checkExactlyOnce(t, "SCAN MATCH {hot}*", scanAll(t, c, "{hot}*", 5, ""), hot)
	checkExactlyOnce(t, "SCAN MATCH \\{hot\\}:1?", scanAll(t, c, "\\{hot\\}:1?", 5, ""), []string{"{hot}:10", "{hot}:11", "{hot}:12", "{hot}:13", "{hot}:14", "{hot}:15", "{hot}:16", "{hot}:17", "{hot}:18", "{hot}:19"})
	checkExactlyOnce(t, "SCAN MATCH none*", scanAll(t, c, "none*", 10, ""), nil)
	checkExactlyOnce(t, "SCAN TYPE string", scanAll(t, c, "", 50, "string"), all)
	checkExactlyOnce(t, "SCAN TYPE STRING", scanAll(t, c, "", 50, "STRING"), all)
	checkExactlyOnce(t, "SCAN TYPE hash", scanAll(t, c, "", 50, "hash"), nil)
	checkExactlyOnce(t, "SCAN TYPE nosuchtype", scanAll(t, c, "", 50, "nosuchtype"), nil)
	checkExactlyOnce(t, "SCAN MATCH k:2* TYPE string", scanAll(t, c, "k:2*", 3, "string"), func() []string {
		var out []string
		for _, k := range all {
			if strings.HasPrefix(k, "k:2") {
				out = append(out, k)
			}
		}
		return out
	}())

	// A cursor past the last slot ends the iteration at once.
	r := Dial(t, srv.Addr)
	expect(t, r, "*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "16384")
	expect(t, r, "*2\r\n$1\r\n0\r\n*0\r\n", "SCAN", "18446744073709551615")
	expect(t, r, "-ERR invalid cursor\r\n", "SCAN", "18446744073709551616")
}

// TestScanDuringWrites: keys present for the whole iteration are returned
// exactly once however other keys are written meanwhile.
func TestScanDuringWrites(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	c := srv.Client(t, 2)
	ctx := context.Background()
	all, _ := testKeys()
	loadKeys(t, c, all)

	w := srv.Client(t, 2)
	stop := make(chan struct{})
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				errc <- nil
				return
			default:
			}
			k := fmt.Sprintf("churn:%d", i%500)
			var err error
			if i%3 == 2 {
				err = w.Del(ctx, k).Err()
			} else {
				err = w.Set(ctx, k, i, 0).Err()
			}
			if err != nil {
				errc <- err
				return
			}
		}
	}()
	seen := scanAll(t, c, "", 5, "")
	close(stop)
	wg.Wait()
	if err := <-errc; err != nil {
		t.Fatalf("writer: %v", err)
	}
	stable := keySet{}
	for k, n := range seen {
		if !strings.HasPrefix(k, "churn:") {
			stable[k] = n
		}
	}
	checkExactlyOnce(t, "SCAN during writes", stable, all)
}

func TestKeysDBSizeFlush(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	c := srv.Client(t, 2)
	ctx := context.Background()
	all, hot := testKeys()
	loadKeys(t, c, all)

	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(len(all)) {
		t.Fatalf("DBSIZE: %d %v, want %d", n, err, len(all))
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	seen := keySet{}
	for _, k := range keys {
		seen[k]++
	}
	checkExactlyOnce(t, "KEYS *", seen, all)
	keys, err = c.Keys(ctx, "{hot}:*").Result()
	if err != nil || len(keys) != len(hot) {
		t.Fatalf("KEYS {hot}:*: %d keys %v", len(keys), err)
	}
	keys, err = c.Keys(ctx, "k:29?9").Result()
	sort.Strings(keys)
	if want := []string{"k:2909", "k:2919", "k:2929", "k:2939", "k:2949", "k:2959", "k:2969", "k:2979", "k:2989", "k:2999"}; err != nil || strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("KEYS k:29?9: %v %v", keys, err)
	}
	// Overwrites and deletes keep DBSIZE exact.
	if err := c.Set(ctx, "k:1", "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Del(ctx, "k:2", "k:3", "k:3", "missing").Result(); err != nil || n != 2 {
		t.Fatalf("DEL: %d %v", n, err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != int64(len(all)-2) {
		t.Fatalf("DBSIZE after DEL: %d %v, want %d", n, err, len(all)-2)
	}

	for _, flush := range [][]interface{}{{"FLUSHDB"}, {"FLUSHALL", "ASYNC"}, {"FLUSHDB", "SYNC"}, {"FLUSHALL"}} {
		loadKeys(t, c, all[:500])
		if err := c.Do(ctx, flush...).Err(); err != nil {
			t.Fatalf("%v: %v", flush, err)
		}
		if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
			t.Fatalf("DBSIZE after %v: %d %v", flush, n, err)
		}
		if keys, err := c.Keys(ctx, "*").Result(); err != nil || len(keys) != 0 {
			t.Fatalf("KEYS * after %v: %v %v", flush, keys, err)
		}
		if seen := scanAll(t, c, "", 100, ""); len(seen) != 0 {
			t.Fatalf("SCAN after %v: %v", flush, seen.sorted())
		}
		if err := c.RandomKey(ctx).Err(); err != redis.Nil {
			t.Fatalf("RANDOMKEY after %v: %v", flush, err)
		}
		if n, err := c.Exists(ctx, all[:500]...).Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after %v: %d %v", flush, n, err)
		}
	}
	// The store is usable after a flush, and counts from zero.
	if err := c.Set(ctx, "after", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 1 {
		t.Fatalf("DBSIZE after flush and SET: %d %v", n, err)
	}
}

func TestRandomKey(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	for _, proto := range []int{2, 3} {
		r := Dial(t, srv.Addr)
		null := "$-1\r\n"
		if proto == 3 {
			null = "_\r\n"
			r.Do("HELLO", "3")
		}
		expect(t, r, "+OK\r\n", "FLUSHALL")
		expect(t, r, null, "RANDOMKEY")
		expect(t, r, "+OK\r\n", "SET", "only", "v")
		for i := 0; i < 20; i++ {
			expect(t, r, bulk("only"), "RANDOMKEY")
		}
	}
	c := srv.Client(t, 2)
	ctx := context.Background()
	var keys []string
	for i := 0; i < 20; i++ {
		keys = append(keys, fmt.Sprintf("rk:%d", i))
	}
	loadKeys(t, c, keys)
	got := keySet{}
	for i := 0; i < 300; i++ {
		k, err := c.RandomKey(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		got[k]++
	}
	for k := range got {
		if k != "only" && !strings.HasPrefix(k, "rk:") {
			t.Fatalf("RANDOMKEY returned %q, not a stored key", k)
		}
	}
	if len(got) < 5 {
		t.Fatalf("RANDOMKEY returned only %v in 300 calls over 21 keys", got.sorted())
	}
}

// TestRandomKeyAmongExpired: Redis's RANDOMKEY keeps looking until it finds
// a live key, so it answers the one live key even while thousands of
// expired keys still wait for active expiry.
func TestRandomKeyAmongExpired(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	c := srv.Client(t, 2)
	r := Dial(t, srv.Addr)
	ctx := context.Background()
	// Active expiry deletes in (time, slot) order, so the expired keys left
	// are in the high slots; a live key in a low slot is then the hardest
	// for a random walk to find.
	live := ""
	for i := 0; live == ""; i++ {
		if k := "live" + strconv.Itoa(i); slots.OfString(k) < 64 {
			live = k
		}
	}
	if err := c.Set(ctx, live, "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// Active expiry runs every 100 ms at a phase we do not know. Three
	// rounds whose keys expire 33 ms apart (mod 100 ms) guarantee that in
	// one of them the keys stay stored for at least 33 ms after expiring.
	const n = 10000
	base := time.Now().UnixMilli()
	deadline := time.Now().Add(30 * time.Second)
	for round := 0; round < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("could not load the keys before they expired")
		}
		at := base + int64(round)*33
		for at < time.Now().UnixMilli()+1000 {
			at += 100
		}
		pipe := c.Pipeline()
		for i := 0; i < n; i++ {
			pipe.Do(ctx, "SET", fmt.Sprintf("exp%d:%d", round, i), "v", "PXAT", at)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if time.Now().UnixMilli() >= at {
			waitUntil(t, 20*time.Second, "expired keys to go", func() bool { return r.Do("DBSIZE") == ":1\r\n" })
			continue // too slow to load; try this round again
		}
		time.Sleep(time.Until(time.UnixMilli(at)) + 2*time.Millisecond)
		for calls := 1; ; calls++ {
			if got := r.Do("RANDOMKEY"); got != bulk(live) {
				t.Fatalf("round %d, RANDOMKEY call %d, %v after expiry, DBSIZE %s: got %q want %q", round, calls,
					time.Since(time.UnixMilli(at)), strings.TrimSpace(r.Do("DBSIZE")), got, bulk(live))
			}
			if r.Do("DBSIZE") == ":1\r\n" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("expired keys were not removed")
			}
		}
		round++
	}
}

// TestCrossSlot: commands that must be atomic refuse keys of different
// Regions; the scatter-gather commands accept them.
func TestCrossSlot(t *testing.T) {
	if regionOf("foo") == regionOf("bar") {
		t.Fatalf("foo and bar share a Region; the test needs keys of two Regions")
	}
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	const cross = "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
	expect(t, r, "+OK\r\n", "SET", "foo", "1")
	expect(t, r, "+OK\r\n", "SET", "bar", "2")
	expect(t, r, cross, "MSETNX", "foo", "x", "bar", "y")
	expect(t, r, cross, "MSETNX", "newa", "x", "foo", "y", "bar", "z")
	expect(t, r, cross, "RENAME", "foo", "bar")
	expect(t, r, cross, "RENAMENX", "foo", "bar")
	expect(t, r, cross, "COPY", "foo", "bar")
	expect(t, r, cross, "COPY", "foo", "bar", "REPLACE")
	expect(t, r, cross, "LCS", "foo", "bar")
	expect(t, r, cross, "LCS", "foo", "bar", "IDX")
	// Nothing was written by the refused commands.
	expect(t, r, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n", "MGET", "foo", "bar", "newa")
	// Split server-side.
	expect(t, r, "+OK\r\n", "MSET", "foo", "a", "bar", "b", "baz", "c")
	expect(t, r, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "MGET", "foo", "bar", "baz")
	expect(t, r, ":3\r\n", "EXISTS", "foo", "bar", "baz")
	expect(t, r, ":4\r\n", "TOUCH", "foo", "bar", "baz", "foo")
	expect(t, r, ":1\r\n", "UNLINK", "baz", "nope")
	expect(t, r, ":2\r\n", "DEL", "foo", "bar", "foo")
	expect(t, r, ":0\r\n", "EXISTS", "foo", "bar", "baz")

	// Keys of different slots in one Region are accepted: the Region, not
	// the slot, is NeoKV's unit of atomicity.
	var other string
	for i := 0; ; i++ {
		k := "same-region-" + strconv.Itoa(i)
		if regionOf(k) == regionOf("foo") && slots.OfString(k) != slots.OfString("foo") {
			other = k
			break
		}
	}
	expect(t, r, "+OK\r\n", "SET", "foo", "v")
	expect(t, r, "+OK\r\n", "RENAME", "foo", other)
	expect(t, r, bulk("v"), "GET", other)
	expect(t, r, ":1\r\n", "COPY", other, "foo")
	expect(t, r, ":2\r\n", "DEL", "foo", other)
	expect(t, r, ":1\r\n", "MSETNX", "foo", "x", other, "y")
	expect(t, r, "*2\r\n$1\r\nx\r\n$1\r\ny\r\n", "MGET", "foo", other)
}

// TestMultiKeyAcrossAllRegions spreads keys over every Region and checks
// the merged counts and the order of MGET's reply.
func TestMultiKeyAcrossAllRegions(t *testing.T) {
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	byRegion := map[int]string{}
	for i := 0; len(byRegion) < 16; i++ {
		k := "r" + strconv.Itoa(i)
		if _, ok := byRegion[regionOf(k)]; !ok {
			byRegion[regionOf(k)] = k
		}
	}
	var keys []string
	for i := 15; i >= 0; i-- { // reverse Region order, to test reassembly
		keys = append(keys, byRegion[i])
	}
	mset := []string{"MSET"}
	for i, k := range keys {
		if i%2 == 0 {
			mset = append(mset, k, "v"+k)
		}
	}
	expect(t, r, "+OK\r\n", mset...)
	var want strings.Builder
	fmt.Fprintf(&want, "*%d\r\n", len(keys))
	for i, k := range keys {
		if i%2 == 0 {
			want.WriteString(bulk("v" + k))
		} else {
			want.WriteString("$-1\r\n")
		}
	}
	expect(t, r, want.String(), append([]string{"MGET"}, keys...)...)
	expect(t, r, ":8\r\n", append([]string{"EXISTS"}, keys...)...)
	expect(t, r, ":16\r\n", append([]string{"EXISTS"}, append(keys, keys...)...)...)
	expect(t, r, ":8\r\n", append([]string{"TOUCH"}, keys...)...)
	expect(t, r, ":4\r\n", append([]string{"UNLINK"}, keys[:8]...)...)
	expect(t, r, ":4\r\n", append([]string{"DEL"}, append(keys, keys...)...)...)
	expect(t, r, ":0\r\n", append([]string{"EXISTS"}, keys...)...)
	expect(t, r, ":0\r\n", "DBSIZE")
}

// TestCopyOtherDB: NeoKV has one database, so it answers COPY ... DB n as
// Redis does when configured with "databases 1".
func TestCopyOtherDB(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	expect(t, r, "+OK\r\n", "SET", "{c}a", "v")
	expect(t, r, ":1\r\n", "COPY", "{c}a", "{c}b", "DB", "0")
	expect(t, r, "-ERR DB index is out of range\r\n", "COPY", "{c}a", "{c}c", "DB", "1")
	expect(t, r, "-ERR DB index is out of range\r\n", "COPY", "{c}a", "{c}a", "DB", "1")
	expect(t, r, ":0\r\n", "EXISTS", "{c}c")
}

// TestPipelinedKeyspaceReadsSeeWrites: a command must see the writes sent
// before it on the same connection, pipelined or not (DESIGN.md, "The read
// path"). KEYS, SCAN, DBSIZE and RANDOMKEY read the whole keyspace outside
// any Region's log, so they once ran before the connection's queued writes
// had applied and missed them.
func TestPipelinedKeyspaceReadsSeeWrites(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	cmds := [][]string{
		{"SET", "a", "1"},
		{"DBSIZE"},
		{"KEYS", "*"},
		{"SCAN", "0", "COUNT", "1000"},
		{"RANDOMKEY"},
		{"EXISTS", "a"},
	}
	var b strings.Builder
	for _, c := range cmds {
		b.WriteString(encodeCommand(c))
	}
	r.Send(b.String())
	want := []string{"+OK\r\n", ":1\r\n", "*1\r\n$1\r\na\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", "$1\r\na\r\n", ":1\r\n"}
	for i, w := range want {
		if got := r.ReadReply(); got != w {
			t.Errorf("%s after pipelined SET: got %q want %q", fmtArgs(cmds[i]), got, w)
		}
	}
}
