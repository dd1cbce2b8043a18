package tests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

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

// ctReadPaths sums INFO neokv's read-path counters over the nodes.
func ctReadPaths(t *testing.T, c *Cluster) (local, leaseWait, readIndex int) {
	t.Helper()
	ctx := context.Background()
	for i := range c.Nodes {
		info, err := c.Client(t, i).Info(ctx, "neokv").Result()
		if err != nil {
			t.Fatalf("INFO neokv on node %d: %v", i+1, err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			name, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			n, _ := strconv.Atoi(v)
			switch name {
			case "reads_local":
				local += n
			case "reads_lease_wait":
				leaseWait += n
			case "reads_read_index":
				readIndex += n
			}
		}
	}
	return local, leaseWait, readIndex
}

// TestClusterReadPathCounters: INFO counts every read once, on the path
// that served it, and a read issued right after a SET answered at commit
// (its apply held 300 ms) is never served from the leader's applied state
// at once: it waits, under the lease or after a ReadIndex, and sees the SET.
func TestClusterReadPathCounters(t *testing.T) {
	c := StartCluster(t, 3, "--test-apply-delay", "300ms")
	ctx := context.Background()
	tab := ctMustRegions(t, c, 0)
	_, byRegion := ctKeys(t, tab, "readpath", 1)
	key := byRegion[0][0]
	leader := tab[0].Leader - 1
	cl := c.Client(t, leader)
	if err := cl.Set(ctx, key, "v1", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	// Until the leader holds a lease and has applied the SET, reads take
	// the slower paths; wait for one served at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		before, _, _ := ctReadPaths(t, c)
		got, err := cl.Get(ctx, key).Result()
		if err != nil || got != "v1" {
			t.Fatalf("GET %s = %q, %v; want v1", key, got, err)
		}
		if after, _, _ := ctReadPaths(t, c); after > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no read of %s served locally within 10 s", key)
		}
		time.Sleep(50 * time.Millisecond)
	}

	l0, w0, r0 := ctReadPaths(t, c)
	const reads = 10
	for i := 0; i < reads; i++ {
		if got, err := cl.Get(ctx, key).Result(); err != nil || got != "v1" {
			t.Fatalf("GET %s = %q, %v; want v1", key, got, err)
		}
	}
	l1, w1, r1 := ctReadPaths(t, c)
	if total := (l1 - l0) + (w1 - w0) + (r1 - r0); total != reads || l1 == l0 {
		t.Fatalf("%d GETs under a lease counted local %d, lease-wait %d, read-index %d; want %d in all, some local",
			reads, l1-l0, w1-w0, r1-r0, reads)
	}

	if err := cl.Set(ctx, key, "v2", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	got, err := cl.Get(ctx, key).Result()
	l2, w2, r2 := ctReadPaths(t, c)
	if err != nil || got != "v2" {
		t.Fatalf("GET %s right after SET v2 = %q, %v", key, got, err)
	}
	if l2 != l1 || (w2-w1)+(r2-r1) != 1 {
		t.Fatalf("GET right after a SET answered at commit counted local %d, lease-wait %d, read-index %d; want 0 local, 1 waiting",
			l2-l1, w2-w1, r2-r1)
	}

	// A follower's READONLY read confirms the commit index with the leader.
	follower := (leader + 1) % len(c.Nodes)
	ro := ctReadonlyClient(t, c.Nodes[follower].Addr)
	ctReadonlyGet(t, ctx, c, ro, follower, tab[0], key, "v2")
	l3, w3, r3 := ctReadPaths(t, c)
	if l3 != l2 || w3 != w2 || r3-r2 < 1 {
		t.Fatalf("READONLY GET on a follower counted local %d, lease-wait %d, read-index %d; want only read-index",
			l3-l2, w3-w2, r3-r2)
	}
}
