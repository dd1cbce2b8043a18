package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// trackingStep is one command of a tracking session: who sends it (r: a
// RESP3 tracking client, w: a plain writer, s: a RESP2 subscriber of
// __redis__:invalidate, t: a RESP2 client redirecting to s).
type trackingStep struct {
	who  byte
	args []string
}

// trackingSession runs steps and returns a transcript: each reply, and
// after each step what r received up to a PING of its own (its
// invalidation pushes) and, after writes, the message s received.
func trackingSession(t *testing.T, addr string, steps []trackingStep) string {
	t.Helper()
	conns := map[byte]*RawConn{'r': Dial(t, addr), 'w': Dial(t, addr), 's': Dial(t, addr), 't': Dial(t, addr)}
	conns['r'].Do("HELLO", "3")
	sid := strings.TrimSpace(conns['s'].Do("CLIENT", "ID"))[1:]
	conns['s'].Do("SUBSCRIBE", "__redis__:invalidate")
	var out strings.Builder
	inMulti := false
	for _, st := range steps {
		args := append([]string(nil), st.args...)
		for i, a := range args {
			if a == "$SID" {
				args[i] = sid
			}
		}
		if st.who == '.' { // s hears one message
			out.WriteString("s hears " + conns['s'].ReadReply() + "\n")
			continue
		}
		if testing.Verbose() {
			t.Logf("%c %v", st.who, st.args)
		}
		reply := strings.ReplaceAll(conns[st.who].Do(args...), ":"+sid+"\r\n", ":$SID\r\n") // ids differ
		out.WriteString(string(st.who) + " " + strings.Join(st.args, " ") + " -> " + reply + "\n")
		if st.who == 'r' {
			switch strings.ToUpper(st.args[0]) {
			case "MULTI":
				inMulti = true
			case "EXEC", "DISCARD":
				inMulti = false
			}
		}
		if inMulti {
			continue // a PING would be queued
		}
		r := conns['r']
		r.Send(respCmd("PING"))
		for {
			m := r.ReadReply()
			if m == "+PONG\r\n" {
				break
			}
			out.WriteString("r hears " + m + "\n")
		}
	}
	return out.String()
}

// TestClientTrackingAsRedis: CLIENT TRACKING in its modes (default,
// BCAST with prefixes, OPTIN, REDIRECT to a RESP2 subscriber), CLIENT
// CACHING, GETREDIR and TRACKINGINFO, the invalidations of reads, MGET,
// MSET, MULTI and FLUSHALL, and Redis's errors, all byte for byte as
// redis-server answers them.
func TestClientTrackingAsRedis(t *testing.T) {
	steps := []trackingStep{
		{'r', []string{"CLIENT", "TRACKINGINFO"}},
		{'r', []string{"CLIENT", "GETREDIR"}},
		{'r', []string{"CLIENT", "TRACKING", "on"}},
		{'r', []string{"CLIENT", "TRACKINGINFO"}},
		{'r', []string{"CLIENT", "GETREDIR"}},
		{'r', []string{"GET", "a"}},
		{'w', []string{"SET", "a", "1"}},
		{'w', []string{"SET", "a", "2"}}, // not read since: no message
		{'r', []string{"MGET", "a", "b"}},
		{'w', []string{"MSET", "a", "3", "b", "4"}},
		{'r', []string{"HGET", "h", "f"}},
		{'w', []string{"HSET", "h", "f", "v"}},
		// Writes that change a collection's elements but not its size.
		{'r', []string{"HGET", "h", "f"}},
		{'w', []string{"HSET", "h", "f", "v2"}},
		{'w', []string{"ZADD", "z", "1", "m"}},
		{'r', []string{"ZSCORE", "z", "m"}},
		{'w', []string{"ZADD", "z", "2", "m"}},
		{'w', []string{"RPUSH", "l", "a"}},
		{'r', []string{"LINDEX", "l", "0"}},
		{'w', []string{"LSET", "l", "0", "b"}},
		{'r', []string{"EVAL", "return redis.call('GET', KEYS[1])", "1", "ev"}},
		{'w', []string{"SET", "ev", "1"}},
		{'r', []string{"MULTI"}},
		{'r', []string{"GET", "m"}},
		{'r', []string{"EXEC"}},
		{'w', []string{"INCR", "m"}},
		{'r', []string{"GET", "c"}},
		{'w', []string{"FLUSHALL"}},
		{'w', []string{"SET", "c", "1"}}, // forgotten at the flush
		{'r', []string{"CLIENT", "TRACKING", "on", "PREFIX", "x"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "BCAST"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "OPTOUT"}},
		{'r', []string{"CLIENT", "CACHING", "yes"}},
		{'r', []string{"CLIENT", "CACHING", "no"}},
		{'r', []string{"CLIENT", "CACHING", "maybe"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "REDIRECT", "999999"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "REDIRECT", "x"}},
		{'r', []string{"CLIENT", "TRACKING", "maybe"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "FOO"}},
		{'r', []string{"CLIENT", "TRACKING", "off"}},
		{'r', []string{"CLIENT", "CACHING", "yes"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "OPTIN"}},
		{'r', []string{"GET", "o1"}},
		{'w', []string{"SET", "o1", "1"}},
		{'r', []string{"CLIENT", "CACHING", "yes"}},
		{'r', []string{"CLIENT", "TRACKINGINFO"}},
		{'r', []string{"GET", "o2"}},
		{'r', []string{"GET", "o3"}},
		{'w', []string{"MSET", "o2", "1", "o3", "1"}},
		{'r', []string{"CLIENT", "TRACKING", "off"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p", "PREFIX", "pq"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p", "PREFIX", "q"}},
		{'r', []string{"CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "px"}},
		{'r', []string{"CLIENT", "TRACKINGINFO"}},
		{'w', []string{"SET", "p1", "v"}},
		{'w', []string{"SET", "z1", "v"}},
		{'w', []string{"DEL", "q1"}},
		{'w', []string{"SET", "q1", "v"}},
		{'r', []string{"CLIENT", "TRACKING", "off"}},
		{'w', []string{"SET", "p1", "w"}},
		{'t', []string{"CLIENT", "TRACKING", "on", "REDIRECT", "$SID"}},
		{'t', []string{"CLIENT", "TRACKINGINFO"}},
		{'t', []string{"CLIENT", "GETREDIR"}},
		{'t', []string{"GET", "k"}},
		{'w', []string{"SET", "k", "v"}},
		{'.', nil},
		{'t', []string{"GET", "k"}},
		{'w', []string{"FLUSHALL"}},
		{'.', nil},
	}
	got := trackingSession(t, StartServer(t).Addr, steps)
	want := trackingSession(t, StartRedis(t).Addr, steps)
	if testing.Verbose() {
		t.Logf("neokv:\n%s\nredis:\n%s", got, want)
	}
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range wl {
			if i >= len(gl) || gl[i] != wl[i] {
				t.Fatalf("first difference at line %d:\nneokv: %q\nredis: %q\n\nneokv transcript:\n%s", i, gl[min(i, len(gl)-1)], wl[i], got)
			}
		}
		t.Fatalf("neokv's transcript is longer:\n%s", got)
	}
}

// TestClientTrackingRedirectBrokenAndList: CLIENT LIST shows tracking
// (t, B, R and redir=), INFO counts tracking clients, and a RESP3 client
// whose redirect target went away is told so when an invalidation cannot
// be delivered, as Redis does.
func TestClientTrackingRedirectBrokenAndList(t *testing.T) {
	addr := StartServer(t).Addr
	r, target, w := Dial(t, addr), Dial(t, addr), Dial(t, addr)
	r.Do("HELLO", "3")
	tid := strings.TrimSpace(target.Do("CLIENT", "ID"))[1:]
	expectReply(t, r, "+OK\r\n", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "REDIRECT", tid)
	rid := strings.TrimSpace(r.Do("CLIENT", "ID"))[1:]
	if l := r.Do("CLIENT", "LIST", "ID", rid); !strings.Contains(l, " flags=tB ") || !strings.Contains(l, " redir="+tid+" ") {
		t.Fatalf("CLIENT LIST of a BCAST client redirecting to %s: %q", tid, l)
	}
	if l := w.Do("CLIENT", "LIST", "ID", strings.TrimSpace(w.Do("CLIENT", "ID"))[1:]); !strings.Contains(l, " flags=N ") || !strings.Contains(l, " redir=-1 ") {
		t.Fatalf("CLIENT LIST of a plain client: %q", l)
	}
	if info := infoLines(t, w, "clients"); info["tracking_clients"] != "1" {
		t.Fatalf("tracking_clients: %q", info["tracking_clients"])
	}
	target.c.Close()
	expectReply(t, w, "+OK\r\n", "SET", "b:1", "v")
	if m := r.ReadReply(); m != ">2\r\n$21\r\ntracking-redir-broken\r\n:"+tid+"\r\n" {
		t.Fatalf("after the redirect target closed: %q", m)
	}
	if l := r.Do("CLIENT", "LIST", "ID", rid); !strings.Contains(l, " flags=tRB ") {
		t.Fatalf("CLIENT LIST after the redirect broke: %q", l)
	}
	expectReply(t, r, "+OK\r\n", "CLIENT", "TRACKING", "off")
	if info := infoLines(t, w, "clients"); info["tracking_clients"] != "0" {
		t.Fatalf("tracking_clients after OFF: %q", info["tracking_clients"])
	}
	// RESET ends tracking too, as in Redis.
	expectReply(t, r, "+OK\r\n", "CLIENT", "TRACKING", "on")
	expectReply(t, r, "+RESET\r\n", "RESET")
	expectReply(t, r, ":-1\r\n", "CLIENT", "GETREDIR")
	if info := infoLines(t, w, "clients"); info["tracking_clients"] != "0" {
		t.Fatalf("tracking_clients after RESET: %q", info["tracking_clients"])
	}
}

// TestClientTrackingCluster: a client tracking keys through one node of a
// 3-node cluster hears of writes to them made through any node, to every
// Region, whichever node leads it.
func TestClientTrackingCluster(t *testing.T) {
	c := StartCluster(t, 3)
	c.WaitLeaders(30 * time.Second)
	r := Dial(t, c.Nodes[0].Addr)
	r.Do("HELLO", "3")
	expectReply(t, r, "+OK\r\n", "CLIENT", "TRACKING", "on")
	var keys []string
	for i := 0; i < 48; i++ {
		k := fmt.Sprintf("t%d", i)
		keys = append(keys, k)
		r.Do("GET", k)
	}
	info := Dial(t, c.Nodes[0].Addr)
	if st := infoLines(t, info, "stats"); st["tracking_total_keys"] != "48" || st["tracking_total_items"] != "48" || st["tracking_total_prefixes"] != "0" {
		t.Fatalf("INFO stats tracking totals after 48 reads: %q %q %q", st["tracking_total_keys"], st["tracking_total_items"], st["tracking_total_prefixes"])
	}
	want := map[string]bool{}
	for i, k := range keys {
		if r := Dial(t, c.Nodes[i%3].Addr).Do("SET", k, "v"); r != "+OK\r\n" {
			t.Fatalf("SET %s: %q", k, r)
		}
		want[k] = true
	}
	for len(want) > 0 {
		m := r.ReadReply() // a missing invalidation fails here, after 10 s
		parts := strings.Split(m, "\r\n")
		if len(parts) < 6 || parts[2] != "invalidate" || parts[3] != "*1" || !want[parts[5]] {
			t.Fatalf("unexpected message %q (waiting for %v)", m, want)
		}
		delete(want, parts[5])
	}
	if st := infoLines(t, info, "stats"); st["tracking_total_keys"] != "0" || st["tracking_total_items"] != "0" {
		t.Fatalf("INFO stats tracking totals after the invalidations: %q %q", st["tracking_total_keys"], st["tracking_total_items"])
	}
	// Invalidated keys are forgotten: writing them again says nothing.
	Dial(t, c.Nodes[1].Addr).Do("SET", keys[0], "w")
	time.Sleep(300 * time.Millisecond)
	expectReply(t, r, "+PONG\r\n", "PING")
}
