package tests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestClusterSetAnsweredAtCommitIsRead: a plain SET is answered +OK once
// its entry commits, before it applies. Here every apply batch is held
// (--test-apply-delay), so each SET is answered while the leader has not
// applied it yet; every read issued after the answer, on any node, on the
// same connection, pipelined behind it, or on a follower with READONLY,
// must see it. A read served from the leader's applied state without
// waiting for the commit index would return the older value.
func TestClusterSetAnsweredAtCommitIsRead(t *testing.T) {
	c := StartCluster(t, 3, "--test-apply-delay", "40ms")
	ctx := context.Background()
	tab := ctMustRegions(t, c, 0)
	_, byRegion := ctKeys(t, tab, "atcommit", 1)
	byRegion = byRegion[:6] // enough for leaders on every store
	clients := make([]*redis.Client, len(c.Nodes))
	readonly := make([]*redis.Client, len(c.Nodes))
	for i, n := range c.Nodes {
		clients[i] = c.Client(t, i)
		readonly[i] = ctReadonlyClient(t, n.Addr)
	}
	for round := 0; round < 2; round++ {
		for ri, keys := range byRegion {
			key := keys[0]
			val := fmt.Sprintf("r%d-%d", round, ri)
			w := (ri + round) % len(clients)
			// Reads first, so that the leader holds a fresh lease and
			// would serve the reads below from its applied state.
			for i := range clients {
				if err := clients[i].Get(ctx, key).Err(); err != nil && err != redis.Nil {
					t.Fatalf("GET %s through node %d: %v", key, i+1, err)
				}
			}
			if err := clients[w].Set(ctx, key, val, 0).Err(); err != nil {
				t.Fatalf("SET %s through node %d: %v", key, w+1, err)
			}
			for i := range clients {
				j := (w + i) % len(clients)
				if got, err := clients[j].Get(ctx, key).Result(); err != nil || got != val {
					t.Fatalf("round %d: GET %s through node %d right after node %d's SET was answered: %q, %v; want %q",
						round, key, j+1, w+1, got, err, val)
				}
			}
			// The Region's followers read through ReadIndex.
			for i := range readonly {
				if i+1 == tab[ri].Leader {
					continue
				}
				ctReadonlyGet(t, ctx, c, readonly[i], i, tab[ri], key, val)
			}
			// Pipelined behind the SET on one connection.
			next := val + "-p"
			pipe := clients[w].Pipeline()
			set := pipe.Set(ctx, key, next, 0)
			get := pipe.Get(ctx, key)
			if _, err := pipe.Exec(ctx); err != nil || set.Val() != "OK" || get.Val() != next {
				t.Fatalf("pipeline SET %s %s; GET %s through node %d: %q %q %v", key, next, key, w+1, set.Val(), get.Val(), err)
			}
		}
	}
	// The SETs above were answered at commit (the path under test ran).
	answered := 0
	for i := range clients {
		info, err := clients[i].Info(ctx, "neokv").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "replied_at_commit:"); ok {
				n, _ := strconv.Atoi(v)
				answered += n
			}
		}
	}
	if want := 4 * len(byRegion); answered < want {
		t.Fatalf("replied_at_commit summed over the nodes = %d, want >= %d (every SET of the test)", answered, want)
	}
}
