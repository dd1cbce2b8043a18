package tests

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/slots"
)

// CLIENT PAUSE's and UNPAUSE's errors and HELP lines are Redis's, byte for
// byte.
func TestClientPauseRepliesAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"CLIENT", "PAUSE"}, {"CLIENT", "PAUSE", "x"}, {"CLIENT", "PAUSE", "-1"}, {"CLIENT", "PAUSE", "10", "foo"},
		{"CLIENT", "PAUSE", "10", "write", "extra"}, {"CLIENT", "PAUSE", "99999999999999999999"},
		{"CLIENT", "UNPAUSE", "x"}, {"CLIENT", "PAUSE", "0"}, {"CLIENT", "PAUSE", "0", "WRITE"}, {"CLIENT", "UNPAUSE"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	help := neo.Do("CLIENT", "HELP")
	for _, l := range []string{"+UNPAUSE\r\n+    Stop the current client pause, resuming traffic.\r\n",
		"+PAUSE <timeout> [WRITE|ALL]\r\n+    Suspend all, or just write, clients for <timeout> milliseconds.\r\n"} {
		if !strings.Contains(help, l) {
			t.Errorf("CLIENT HELP lacks %q: %q", l, help)
		}
	}
}

// TestClientPauseWrite: under CLIENT PAUSE WRITE, commands that may write
// (a SET, a writing EVAL, a SET queued in MULTI) wait unread while reads
// (GET, EVAL_RO, a read-only transaction) are answered; CLIENT UNPAUSE
// runs the held commands, in each connection's order. The pause is long
// (a minute), so nothing here depends on timing: the held commands can
// only run through UNPAUSE.
func TestClientPauseWrite(t *testing.T) {
	srv := StartServer(t)
	ctl, writer, scripter, txn, reader := Dial(t, srv.Addr), Dial(t, srv.Addr), Dial(t, srv.Addr), Dial(t, srv.Addr), Dial(t, srv.Addr)
	expectReply(t, ctl, "+OK\r\n", "SET", "k", "old")
	expectReply(t, ctl, "+OK\r\n", "CLIENT", "PAUSE", "60000", "WRITE")
	writer.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nnew\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	scripter.Send("*3\r\n$4\r\nEVAL\r\n$30\r\nreturn redis.call('INCR', 'n')\r\n$1\r\n0\r\n")
	expectReply(t, txn, "+OK\r\n", "MULTI")
	txn.Send("*3\r\n$3\r\nSET\r\n$1\r\nm\r\n$1\r\n1\r\n*1\r\n$4\r\nEXEC\r\n")
	// Reads go on, and see none of the held writes.
	for range 3 {
		expectReply(t, reader, "$3\r\nold\r\n", "GET", "k")
		expectReply(t, reader, "$-1\r\n", "EVAL_RO", "return redis.call('GET', 'n')", "0")
		expectReply(t, reader, "+OK\r\n", "MULTI")
		expectReply(t, reader, "+QUEUED\r\n", "EXISTS", "m")
		expectReply(t, reader, "*1\r\n:0\r\n", "EXEC")
	}
	expectReply(t, ctl, "+OK\r\n", "CLIENT", "UNPAUSE")
	if got := writer.ReadReply() + writer.ReadReply(); got != "+OK\r\n$3\r\nnew\r\n" {
		t.Errorf("held SET then GET: %q", got)
	}
	if got := scripter.ReadReply(); got != ":1\r\n" {
		t.Errorf("held EVAL: %q", got)
	}
	if got := txn.ReadReply() + txn.ReadReply(); got != "+QUEUED\r\n*1\r\n+OK\r\n" {
		t.Errorf("held transaction: %q", got)
	}
	expectReply(t, reader, "$1\r\n1\r\n", "GET", "m")
}

// TestClientPauseAll: CLIENT PAUSE ALL holds every command, reads and
// UNPAUSE included, until its timeout; then they run and answer.
func TestClientPauseAll(t *testing.T) {
	srv := StartServer(t)
	ctl, other := Dial(t, srv.Addr), Dial(t, srv.Addr)
	expectReply(t, ctl, "+OK\r\n", "SET", "k", "v")
	expectReply(t, ctl, "+OK\r\n", "CLIENT", "PAUSE", "300", "ALL")
	other.Send("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$6\r\nCLIENT\r\n$7\r\nUNPAUSE\r\n")
	if got := other.ReadReply() + other.ReadReply() + other.ReadReply(); got != "+PONG\r\n$1\r\nv\r\n+OK\r\n" {
		t.Errorf("commands held by a pause of all clients: %q", got)
	}
	expectReply(t, ctl, "+PONG\r\n", "PING")
}

// TestClientPauseSparesForwardingLinks: a node under CLIENT PAUSE ALL
// still serves the commands other nodes forward to the Regions it leads,
// on links opened during the pause too (their AUTH and NEOKV greeting are
// not held), as Redis does not hold its replicas.
func TestClientPauseSparesForwardingLinks(t *testing.T) {
	c := StartCluster(t, 3, "--requirepass", "pw")
	paused := Dial(t, c.Nodes[0].Addr)
	expectReply(t, paused, "+OK\r\n", "AUTH", "pw")
	expectReply(t, paused, "+OK\r\n", "CLIENT", "PAUSE", "60000", "ALL")
	// A RESP3 client on another node: its node opens a RESP3 link of its
	// own to node 1 now, during the pause.
	rc := redis.NewClient(&redis.Options{Addr: c.Nodes[1].Addr, Password: "pw", Protocol: 3, MaxRetries: -1, ReadTimeout: 10 * time.Second})
	defer rc.Close()
	ctx := context.Background()
	leaderOf := slotLeaders(t, rc)
	led := 0
	for i := range 64 {
		k := "fwd-" + strconv.Itoa(i)
		if err := rc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s through node 2 while node 1 is paused: %v", k, err)
		}
		if leaderOf[slots.Of([]byte(k))] == 1 {
			led++
		}
	}
	if led == 0 {
		t.Fatal("no key of a Region node 1 leads: the test proved nothing")
	}
}
