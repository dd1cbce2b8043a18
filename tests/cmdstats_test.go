package tests

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// statsSession runs the same commands on a connection: successful,
// failed (WRONGTYPE, not an integer), rejected (arity), unknown,
// pipelined writes and reads (answered later, through the log), and a
// blocking command that times out.
func statsSession(t *testing.T, c *RawConn) {
	t.Helper()
	c.Do("CONFIG", "RESETSTAT") // what the harness sent to start the server is not counted
	c.Do("SET", "a", "b")
	c.Do("SET", "a", "c")
	c.Do("GET", "a")
	c.Do("GET")
	c.Do("LPUSH", "a", "x")
	c.Do("INCR", "a")
	c.Do("FOOBAR", "x")
	var pipe strings.Builder
	for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
		pipe.WriteString("*3\r\n$3\r\nSET\r\n$2\r\n" + k + "\r\n$1\r\nv\r\n")
	}
	pipe.WriteString("*2\r\n$3\r\nGET\r\n$2\r\nk1\r\n*2\r\n$4\r\nINCR\r\n$2\r\nk2\r\n*1\r\n$3\r\nGET\r\n")
	c.Send(pipe.String())
	for range 8 {
		c.ReadReply()
	}
	c.Do("BLPOP", "nolist", "0.01")
	// Replies drained ahead of a command's own (EXEC waits for WATCH's
	// digest; PING's reply queues behind SET's) are not the command's.
	c.Send("*2\r\n$5\r\nWATCH\r\n$1\r\nk\r\n*1\r\n$5\r\nMULTI\r\n*1\r\n$3\r\nFOO\r\n*1\r\n$4\r\nEXEC\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nw\r\n$1\r\n1\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINCR\r\n$1\r\nw\r\n")
	for range 7 {
		c.ReadReply()
	}
}

// infoLines returns an INFO section's "name:value" lines as a map.
func infoLines(t *testing.T, c *RawConn, section string) map[string]string {
	t.Helper()
	reply := c.Do("INFO", section)
	out := map[string]string{}
	for _, l := range strings.Split(reply, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "$") && !strings.HasPrefix(l, "=") {
			out[k] = v
		}
	}
	return out
}

var usecFields = regexp.MustCompile(`usec=\d+,usec_per_call=[\d.]+,`)

// TestCommandStatsAsRedis: after the same commands, INFO commandstats
// counts calls, rejected and failed calls as Redis does (the times are
// the server's own), errorstats and total_error_replies match, and CONFIG
// RESETSTAT clears them.
func TestCommandStatsAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	statsSession(t, neo)
	statsSession(t, ref)
	got, want := infoLines(t, neo, "commandstats"), infoLines(t, ref, "commandstats")
	for _, cmd := range []string{"set", "get", "lpush", "incr", "blpop", "watch", "multi", "exec", "ping"} {
		k := "cmdstat_" + cmd
		g, w := usecFields.ReplaceAllString(got[k], ""), usecFields.ReplaceAllString(want[k], "")
		if g != w || g == "" {
			t.Errorf("%s: neokv %q, redis %q", k, got[k], want[k])
		}
		if m := regexp.MustCompile(`usec=(\d+)`).FindStringSubmatch(got[k]); cmd == "set" && (m == nil || m[1] == "0") {
			t.Errorf("%s: no time counted: %q", k, got[k])
		}
	}
	if got["cmdstat_foobar"] != "" {
		t.Errorf("an unknown command has commandstats: %q", got["cmdstat_foobar"])
	}
	gotErr, wantErr := infoLines(t, neo, "errorstats"), infoLines(t, ref, "errorstats")
	if len(gotErr) != 3 || len(gotErr) != len(wantErr) {
		t.Errorf("errorstats: neokv %v, redis %v", gotErr, wantErr)
	}
	for k, v := range wantErr {
		if gotErr[k] != v {
			t.Errorf("%s: neokv %q, redis %q", k, gotErr[k], v)
		}
	}
	if g, w := infoLines(t, neo, "stats")["total_error_replies"], infoLines(t, ref, "stats")["total_error_replies"]; g != w || g != "8" {
		t.Errorf("total_error_replies: neokv %q, redis %q", g, w)
	}
	// The default sections: errorstats, but no per-command ones.
	def := neo.Do("INFO")
	if !strings.Contains(def, "# Errorstats\r\nerrorstat_ERR:") || strings.Contains(def, "cmdstat_") || strings.Contains(def, "latency_percentiles") {
		t.Errorf("INFO default sections: %q", def)
	}
	if all := neo.Do("INFO", "all"); !strings.Contains(all, "# Commandstats\r\n") || !strings.Contains(all, "# Latencystats\r\n") {
		t.Errorf("INFO all lacks commandstats or latencystats: %q", all)
	}

	lat := infoLines(t, neo, "latencystats")
	m := regexp.MustCompile(`^p50=(\d+\.\d{3}),p99=(\d+\.\d{3}),p99\.9=(\d+\.\d{3})$`).FindStringSubmatch(lat["latency_percentiles_usec_set"])
	if m == nil {
		t.Fatalf("latencystats for set: %q", lat["latency_percentiles_usec_set"])
	}
	p50, _ := strconv.ParseFloat(m[1], 64)
	p99, _ := strconv.ParseFloat(m[2], 64)
	p999, _ := strconv.ParseFloat(m[3], 64)
	if p50 <= 0 || p50 > p99 || p99 > p999 {
		t.Errorf("latencystats for set out of order: %q", m[0])
	}
	if _, ok := lat["latency_percentiles_usec_blpop"]; ok {
		t.Errorf("a blocking command's time was counted: %v", lat)
	}

	expectReply(t, neo, "+OK\r\n", "CONFIG", "RESETSTAT")
	after := infoLines(t, neo, "commandstats")
	if _, ok := after["cmdstat_set"]; ok || len(after) != 1 || after["cmdstat_config"] == "" {
		t.Errorf("commandstats after CONFIG RESETSTAT: %v", after)
	}
	if e := infoLines(t, neo, "errorstats"); len(e) != 0 {
		t.Errorf("errorstats after CONFIG RESETSTAT: %v", e)
	}
	if n := infoLines(t, neo, "stats")["total_error_replies"]; n != "0" {
		t.Errorf("total_error_replies after CONFIG RESETSTAT: %q", n)
	}
}

// TestLatencyHistogram: LATENCY HISTOGRAM has Redis's shape in RESP2 and
// RESP3: per command with timed calls, its calls and cumulative counts at
// Redis's power-of-two bounds, the last equal to the calls; unknown and
// uncalled commands are left out.
func TestLatencyHistogram(t *testing.T) {
	srv := StartServer(t)
	neo := Dial(t, srv.Addr)
	for i := range 20 {
		neo.Do("SET", "k"+strconv.Itoa(i), "v")
	}
	neo.Do("GET", "k1")
	// Redis's bounds: 1024 ns doubling, printed as HdrHistogram's highest
	// equivalent value (2 significant digits) in whole microseconds.
	valid := map[int64]bool{}
	for k := 0; k < 40; k++ {
		b := int64(1024) << k
		valid[(b+b/128-1)/1000] = true
	}
	c := srv.Client(t, 2)
	ctx := context.Background()
	res, err := c.Do(ctx, "LATENCY", "HISTOGRAM", "set", "nosuch", "lpush", "get").Slice()
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0] != "set" || res[2] != "get" {
		t.Fatalf("LATENCY HISTOGRAM set nosuch lpush get: %v", res)
	}
	for i, calls := range map[int]int64{1: 20, 3: 1} {
		h := res[i].([]any)
		if len(h) != 4 || h[0] != "calls" || h[1] != calls || h[2] != "histogram_usec" {
			t.Fatalf("histogram of %v: %v", res[i-1], h)
		}
		pairs := h[3].([]any)
		var last, prevBound int64
		for j := 0; j < len(pairs); j += 2 {
			bound, count := pairs[j].(int64), pairs[j+1].(int64)
			if !valid[bound] || bound <= prevBound || count <= last {
				t.Fatalf("histogram of %v: bound %d count %d after %d, %d: %v", res[i-1], bound, count, prevBound, last, pairs)
			}
			prevBound, last = bound, count
		}
		if last != calls {
			t.Fatalf("histogram of %v ends at %d, want %d: %v", res[i-1], last, calls, pairs)
		}
	}
	// RESP3: maps; without names, every command with timed calls.
	raw := Dial(t, srv.Addr)
	raw.Do("HELLO", "3")
	all := raw.Do("LATENCY", "HISTOGRAM")
	if !strings.HasPrefix(all, "%") || !strings.Contains(all, "$3\r\nset\r\n%2\r\n$5\r\ncalls\r\n:20\r\n$14\r\nhistogram_usec\r\n%") {
		t.Fatalf("RESP3 LATENCY HISTOGRAM: %q", all)
	}
	if got := raw.Do("LATENCY", "HISTOGRAM", "nosuch"); got != "%0\r\n" {
		t.Fatalf("LATENCY HISTOGRAM nosuch: %q", got)
	}
}

// TestInfoExpiredKeysAndRates: expired_keys counts the keys active expiry
// removed (and not those deleted, or still live), and the instantaneous
// rates are reported in Redis's formats.
func TestInfoExpiredKeysAndRates(t *testing.T) {
	srv := StartServer(t)
	c := Dial(t, srv.Addr)
	for i := range 20 {
		expectReply(t, c, "+OK\r\n", "SET", "e"+strconv.Itoa(i), "v", "PX", "20")
	}
	expectReply(t, c, "+OK\r\n", "SET", "gone", "v", "PX", "600000")
	expectReply(t, c, ":1\r\n", "DEL", "gone")
	expectReply(t, c, "+OK\r\n", "SET", "live", "v", "EX", "600")
	deadline := time.Now().Add(20 * time.Second)
	for infoLines(t, c, "keyspace")["db0"] != "keys=1,expires=1,avg_ttl=0" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	st := infoLines(t, c, "stats")
	if st["expired_keys"] != "20" {
		t.Errorf("expired_keys: %q, want 20 (keyspace %q)", st["expired_keys"], infoLines(t, c, "keyspace")["db0"])
	}
	if !regexp.MustCompile(`^\d+$`).MatchString(st["instantaneous_ops_per_sec"]) ||
		!regexp.MustCompile(`^\d+\.\d\d$`).MatchString(st["instantaneous_input_kbps"]) ||
		!regexp.MustCompile(`^\d+\.\d\d$`).MatchString(st["instantaneous_output_kbps"]) {
		t.Errorf("instantaneous rates: %q %q %q", st["instantaneous_ops_per_sec"], st["instantaneous_input_kbps"], st["instantaneous_output_kbps"])
	}
}

// TestKeyspaceHitsAsRedis: keyspace_hits and keyspace_misses count the
// keys read commands found and missed, as Redis counts them, and CONFIG
// RESETSTAT clears them. (NeoKV does not count reads that ride in the log
// behind a connection's own unanswered write, so the commands here are
// sent one at a time.)
func TestKeyspaceHitsAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, c := range []*RawConn{neo, ref} {
		c.Do("SET", "a", "1")
		c.Do("HSET", "h", "f", "v")
		c.Do("CONFIG", "RESETSTAT")
		c.Do("GET", "a")
		c.Do("GET", "nosuch")
		c.Do("MGET", "a", "nosuch", "h")
		c.Do("HGET", "h", "f")
		c.Do("HGET", "nohash", "f")
		c.Do("STRLEN", "a")
		c.Do("LRANGE", "a", "0", "-1") // WRONGTYPE: found, then refused
		c.Do("SET", "b", "2")          // writes do not count
	}
	got, want := infoLines(t, neo, "stats"), infoLines(t, ref, "stats")
	for _, k := range []string{"keyspace_hits", "keyspace_misses"} {
		if got[k] != want[k] || got[k] == "" || got[k] == "0" {
			t.Errorf("%s: neokv %q, redis %q", k, got[k], want[k])
		}
	}
	expectReply(t, neo, "+OK\r\n", "CONFIG", "RESETSTAT")
	if st := infoLines(t, neo, "stats"); st["keyspace_hits"] != "0" || st["keyspace_misses"] != "0" {
		t.Errorf("after CONFIG RESETSTAT: hits %q, misses %q", st["keyspace_hits"], st["keyspace_misses"])
	}
}
