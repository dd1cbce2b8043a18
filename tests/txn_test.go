package tests

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestMultiExecWatch(t *testing.T) { checkMultiExecWatch(t, StartServer(t, multiRegion...)) }

// TestTxnAndBlockingOnClusterNode runs the transaction and blocking checks
// against a node of a 3-node cluster: its commands go to Region leaders on
// other nodes through forwarding, and the blocked clients are woken by
// applies on a replica.
func TestTxnAndBlockingOnClusterNode(t *testing.T) {
	c := StartCluster(t, 3)
	t.Run("multi-exec-watch", func(t *testing.T) { checkMultiExecWatch(t, c.Nodes[1]) })
	t.Run("blocking", func(t *testing.T) { checkBlocking(t, c.Nodes[2]) })
}

// checkMultiExecWatch checks MULTI/EXEC/DISCARD/WATCH through srv.
func checkMultiExecWatch(t *testing.T, srv *Server) {
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := srv.Client(t, proto)
		other := srv.Client(t, proto)
		if err := c.Set(ctx, "{acct}balance", 100, 0).Err(); err != nil {
			t.Fatal(err)
		}
		// A transaction applies all its commands, in order.
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.IncrBy(ctx, "{acct}balance", -30)
			p.Incr(ctx, "{acct}ops")
			p.Get(ctx, "{acct}balance")
			return nil
		})
		if err != nil || len(cmds) != 3 || cmds[2].(*redis.StringCmd).Val() != "70" {
			t.Fatalf("RESP%d tx: %v %v", proto, cmds, err)
		}
		// WATCH: a change by another client between WATCH and EXEC aborts.
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			if _, err := tx.Get(ctx, "{acct}balance").Int(); err != nil {
				return err
			}
			if err := other.Set(ctx, "{acct}balance", 5, 0).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "{acct}balance", 999, 0)
				return nil
			})
			return err
		}, "{acct}balance")
		if !errors.Is(err, redis.TxFailedErr) {
			t.Fatalf("RESP%d: watched change did not abort EXEC: %v", proto, err)
		}
		if v, _ := c.Get(ctx, "{acct}balance").Result(); v != "5" {
			t.Fatalf("RESP%d: aborted transaction wrote: %q", proto, v)
		}
		// Without interference, the same WATCH transaction succeeds.
		err = c.Watch(ctx, func(tx *redis.Tx) error {
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "{acct}balance", 7, 0)
				return nil
			})
			return err
		}, "{acct}balance")
		if err != nil {
			t.Fatalf("RESP%d: unwatched-change EXEC failed: %v", proto, err)
		}
	}
	r := Dial(t, srv.Addr)
	for _, c := range [][2]string{
		{"EXEC", "-ERR EXEC without MULTI\r\n"},
		{"DISCARD", "-ERR DISCARD without MULTI\r\n"},
		{"MULTI", "+OK\r\n"},
		{"MULTI", "-ERR MULTI calls can not be nested\r\n"},
		{"WATCH x", "-ERR WATCH inside MULTI is not allowed\r\n"},
		{"SET {t}a 1", "+QUEUED\r\n"},
		{"GET", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"EXEC", "-EXECABORT Transaction discarded because of previous errors.\r\n"},
		{"GET {t}a", "$-1\r\n"},
		{"MULTI", "+OK\r\n"},
		{"SET foo 1", "+QUEUED\r\n"},
		{"SET bar 1", "+QUEUED\r\n"},
		{"EXEC", "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
		{"MULTI", "+OK\r\n"},
		{"DISCARD", "+OK\r\n"},
	} {
		r.Send(c[0] + "\r\n")
		if got := r.ReadReply(); got != c[1] {
			t.Errorf("%s: got %q want %q", c[0], got, c[1])
		}
	}
	// TIME queued beside data commands: answered in its place in EXEC's
	// array with this node's clock (the Region's entry runs the others).
	r.Send("MULTI\r\nSET {t}a 2\r\nTIME\r\nGET {t}a\r\nEXEC\r\n")
	for _, want := range []string{"+OK\r\n", "+QUEUED\r\n", "+QUEUED\r\n", "+QUEUED\r\n"} {
		if got := r.ReadReply(); got != want {
			t.Fatalf("MULTI with TIME: got %q want %q", got, want)
		}
	}
	got := r.ReadReply()
	m := regexp.MustCompile(`^\*3\r\n\+OK\r\n\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n\$1\r\n2\r\n$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("EXEC with TIME: %q", got)
	}
	if sec, _ := strconv.ParseInt(m[1], 10, 64); sec < time.Now().Unix()-60 || sec > time.Now().Unix()+60 {
		t.Fatalf("EXEC with TIME: seconds %d, now %d", sec, time.Now().Unix())
	}
	if usec, _ := strconv.Atoi(m[2]); usec >= 1e6 {
		t.Fatalf("EXEC with TIME: microseconds %d", usec)
	}
}
