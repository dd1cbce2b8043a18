package tests

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestBlockingCommands(t *testing.T) { checkBlocking(t, StartServer(t, multiRegion...)) }

// checkBlocking checks the blocking pops through srv: wake-ups, timeouts,
// no blocking inside MULTI, errors, and disconnects while blocked.
func checkBlocking(t *testing.T, srv *Server) {
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		waiter := srv.Client(t, proto)
		pusher := srv.Client(t, proto)
		// BLPOP is woken by a push from another client.
		got := make(chan []string, 1)
		go func() {
			v, _ := waiter.BLPop(ctx, 10*time.Second, "{bq}1", "{bq}2").Result()
			got <- v
		}()
		time.Sleep(100 * time.Millisecond)
		if err := pusher.RPush(ctx, "{bq}2", "x").Err(); err != nil {
			t.Fatal(err)
		}
		select {
		case v := <-got:
			if len(v) != 2 || v[0] != "{bq}2" || v[1] != "x" {
				t.Fatalf("RESP%d BLPOP: %v", proto, v)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("RESP%d BLPOP not woken by RPUSH", proto)
		}
		// Timeouts are honoured: null reply, not an error or a hang.
		start := time.Now()
		if err := waiter.BRPop(ctx, 300*time.Millisecond, "bq-empty").Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("RESP%d BRPOP timeout: %v", proto, err)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 3*time.Second {
			t.Fatalf("RESP%d BRPOP timeout took %v", proto, d)
		}
		// Data already there: no blocking.
		pusher.Del(ctx, "{m}src", "{m}dst", "bz")
		pusher.RPush(ctx, "{m}src", "a", "b")
		if v, err := waiter.BLMove(ctx, "{m}src", "{m}dst", "LEFT", "RIGHT", time.Second).Result(); err != nil || v != "a" {
			t.Fatalf("RESP%d BLMOVE: %q %v", proto, v, err)
		}
		pusher.ZAdd(ctx, "bz", redis.Z{Score: 2, Member: "two"}, redis.Z{Score: 1, Member: "one"})
		if v, err := waiter.BZPopMin(ctx, time.Second, "bz").Result(); err != nil || v.Member != "one" || v.Score != 1 {
			t.Fatalf("RESP%d BZPOPMIN: %+v %v", proto, v, err)
		}
		// Inside MULTI a blocking command does not block.
		cmds, err := waiter.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.BLPop(ctx, 5*time.Second, "{n}none")
			p.Set(ctx, "{n}k", "v", 0)
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("RESP%d MULTI BLPOP: %v %v", proto, cmds, err)
		}
		if cmds[1].(*redis.StatusCmd).Val() != "OK" {
			t.Fatalf("RESP%d MULTI after BLPOP: %v", proto, cmds)
		}
	}
	r := Dial(t, srv.Addr)
	for _, c := range [][2]string{
		{"BLPOP q -1", "-ERR timeout is negative\r\n"},
		{"BLPOP q abc", "-ERR timeout is not a float or out of range\r\n"},
		{"BLPOP foo bar 1", "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{"SET str v", "+OK\r\n"},
		{"BLPOP str 1", "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
	} {
		r.Send(c[0] + "\r\n")
		if got := r.ReadReply(); got != c[1] {
			t.Errorf("%s: got %q want %q", c[0], got, c[1])
		}
	}
	// A client that disconnects while blocked does not steal a later push.
	gone := Dial(t, srv.Addr)
	gone.Send("BLPOP steal 0\r\n")
	time.Sleep(100 * time.Millisecond)
	gone.c.Close()
	time.Sleep(100 * time.Millisecond)
	c := srv.Client(t, 2)
	c.RPush(ctx, "steal", "v")
	time.Sleep(300 * time.Millisecond)
	if n, _ := c.LLen(ctx, "steal").Result(); n != 1 {
		t.Fatalf("a disconnected BLPOP consumed the push: llen %d", n)
	}
}

// TestBlockingOnFollower: a client blocked on a node that does not lead
// the key's Region is woken by a push made through another node.
func TestBlockingOnFollower(t *testing.T) {
	c := StartCluster(t, 3)
	ctx := context.Background()
	got := make(chan []string, 3)
	for i := range c.Nodes {
		cl := c.Client(t, i)
		go func(cl *redis.Client, key string) {
			v, _ := cl.BLPop(ctx, 15*time.Second, key).Result()
			got <- v
		}(cl, "fq"+string(rune('a'+i)))
	}
	time.Sleep(200 * time.Millisecond)
	p := c.Client(t, 0)
	for i := range c.Nodes {
		if err := p.RPush(ctx, "fq"+string(rune('a'+i)), "v").Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		select {
		case v := <-got:
			if len(v) != 2 || v[1] != "v" {
				t.Fatalf("BLPOP: %v", v)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("a blocked client was not woken")
		}
	}
}

// CLIENT UNBLOCK ends a blocked pop as a timeout or with Redis's error,
// compared with redis-server.
func TestClientUnblockAgainstRedis(t *testing.T) {
	neoSrv := StartServer(t)
	logOnFailure(t, neoSrv)
	run := func(addr string) []string {
		a, b := Dial(t, addr), Dial(t, addr)
		id := strings.TrimSuffix(strings.TrimPrefix(a.Do("CLIENT", "ID"), ":"), "\r\n")
		var out []string
		for _, step := range []struct {
			block  []string
			reason []string
		}{
			{[]string{"BLPOP", "nolist", "0"}, nil},
			{[]string{"BLPOP", "nolist", "0"}, []string{"TIMEOUT"}},
			{[]string{"BLMOVE", "{b}nolist", "{b}dst", "LEFT", "RIGHT", "0"}, nil},
			{[]string{"BZPOPMIN", "nozset", "0"}, []string{"ERROR"}},
			{[]string{"BRPOP", "nolist", "0"}, []string{"error"}},
		} {
			a.Send(encodeCommand(step.block))
			// Wait until the pop is blocked: UNBLOCK answers 1 once it is.
			for i := 0; ; i++ {
				got := b.Do(append([]string{"CLIENT", "UNBLOCK", id}, step.reason...)...)
				if got == ":1\r\n" {
					break
				}
				if got != ":0\r\n" || i == 500 {
					t.Fatalf("%s: %q: CLIENT UNBLOCK: %q after %d tries (so far %q)", addr, step.block, got, i, out)
				}
				time.Sleep(10 * time.Millisecond)
			}
			out = append(out, a.ReadReply())
		}
		for _, args := range [][]string{{"CLIENT", "UNBLOCK", id}, {"CLIENT", "UNBLOCK", "x"}, {"CLIENT", "UNBLOCK", id, "BAD"},
			{"CLIENT", "UNBLOCK"}, {"CLIENT", "UNBLOCK", id, "TIMEOUT", "x"}} {
			out = append(out, b.Do(args...))
		}
		return out
	}
	got, want := run(neoSrv.Addr), run(StartRedis(t).Addr)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("\n  neokv: %q\n  redis: %q", got, want)
	}
}

// A blocking pop that times out answers what Redis 7.0 answers: a null
// array, for BLMOVE and BRPOPLPUSH too (RESP2), and RESP3's null.
func TestBlockingTimeoutRepliesAgainstRedis(t *testing.T) {
	neoSrv := StartServer(t)
	logOnFailure(t, neoSrv)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"BLPOP", "{t}x", "0.05"}, {"BLMOVE", "{t}x", "{t}y", "LEFT", "RIGHT", "0.05"}, {"BRPOPLPUSH", "{t}x", "{t}y", "0.05"},
		{"BZPOPMIN", "{t}z", "0.05"}, {"BLMPOP", "0.05", "1", "{t}x", "LEFT"},
		{"HELLO", "3"}, {"BLMOVE", "{t}x", "{t}y", "LEFT", "RIGHT", "0.05"}, {"BLPOP", "{t}x", "0.05"},
	} {
		got, want := neo.Do(args...), ref.Do(args...)
		if args[0] == "HELLO" {
			continue
		}
		if got != want {
			t.Errorf("%q: neokv %q, redis %q", args, got, want)
		}
	}
}

// TestInfoBlockedClients: INFO's blocked_clients counts the connections
// waiting in a blocking command, and drops when they are served or time
// out.
func TestInfoBlockedClients(t *testing.T) {
	srv := StartServer(t)
	ctl, a, b := Dial(t, srv.Addr), Dial(t, srv.Addr), Dial(t, srv.Addr)
	blockedClients := func() string { return infoLines(t, ctl, "clients")["blocked_clients"] }
	waitFor := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for blockedClients() != want && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if got := blockedClients(); got != want {
			t.Fatalf("blocked_clients: %q, want %q", got, want)
		}
	}
	waitFor("0")
	a.Send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n")
	b.Send("*3\r\n$5\r\nBLPOP\r\n$1\r\nr\r\n$3\r\n0.2\r\n")
	waitFor("2")
	expectReply(t, ctl, ":1\r\n", "RPUSH", "q", "x")
	if got := a.ReadReply(); got != "*2\r\n$1\r\nq\r\n$1\r\nx\r\n" {
		t.Fatalf("BLPOP q: %q", got)
	}
	if got := b.ReadReply(); got != "*-1\r\n" {
		t.Fatalf("BLPOP r (timed out): %q", got)
	}
	waitFor("0")
}
