package tests

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/slots"
)

// Cluster is a set of neokv server processes forming one cluster on
// 127.0.0.1, each with its own data directory; all are killed at cleanup.
type Cluster struct {
	t       testing.TB
	Nodes   []*Server // Nodes[i] is member i+1
	Initial string
	// Password is the members' --requirepass, if extra gave one (the
	// harness's own queries authenticate with it).
	Password string
}

// StartCluster starts n members (flags in extra are passed to every member)
// and waits until every Region has a leader.
func StartCluster(t testing.TB, n int, extra ...string) *Cluster {
	t.Helper()
	for attempt := 0; ; attempt++ {
		c, err := tryStartCluster(t, n, extra...)
		if err == nil {
			c.WaitLeaders(30 * time.Second)
			c.waitBalanced(30 * time.Second)
			return c
		}
		if err != errPortTaken || attempt == 4 {
			t.Fatal(err)
		}
	}
}

// tryStartCluster starts the members on fresh ports; if one of the ports
// was taken meanwhile, it stops what it started and reports errPortTaken.
func tryStartCluster(t testing.TB, n int, extra ...string) (*Cluster, error) {
	c := &Cluster{t: t}
	for i := 0; i+1 < len(extra); i++ {
		if extra[i] == "--requirepass" {
			c.Password = extra[i+1]
		}
	}
	var members []string
	raftPorts := make([]int, n)
	for i := 0; i < n; i++ {
		raftPorts[i] = freePort(t)
		members = append(members, fmt.Sprintf("%d=127.0.0.1:%d", i+1, raftPorts[i]))
	}
	c.Initial = strings.Join(members, ",")
	for i := 0; i < n; i++ {
		s := &Server{t: t, Dir: t.TempDir()}
		s.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		s.Args = append([]string{"--node-id", strconv.Itoa(i + 1), "--raft-addr", fmt.Sprintf("127.0.0.1:%d", raftPorts[i]),
			"--initial-cluster", c.Initial}, extra...)
		t.Cleanup(s.checkRaces)
		t.Cleanup(s.Kill)
		node := i + 1
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("node%d log (last lines):\n%s", node, logTail(s.Log(), 30))
			}
		})
		if err := s.tryStart(); err != nil {
			for _, started := range c.Nodes {
				started.Kill()
			}
			s.Kill()
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
	}
	return c, nil
}

// Regions returns NEOKV REGIONS as seen by node i: region id -> leader store.
func (c *Cluster) Regions(i int) map[int]int {
	out := map[int]int{}
	rc := redis.NewClient(&redis.Options{Addr: c.Nodes[i].Addr, Password: c.Password, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer rc.Close()
	txt, err := rc.Do(context.Background(), "neokv", "regions").Text()
	if err != nil {
		return out
	}
	for _, line := range strings.Split(txt, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		id, _ := strconv.Atoi(f[0])
		leader, _ := strconv.Atoi(f[4])
		out[id] = leader
	}
	return out
}

// WaitLeaders waits until some live node sees a leader on a live store for
// every Region.
func (c *Cluster) WaitLeaders(timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for i, n := range c.Nodes {
			if n.cmd == nil {
				continue
			}
			regs := c.Regions(i)
			ok := len(regs) > 0
			for _, l := range regs {
				if l == 0 || l > len(c.Nodes) || c.Nodes[l-1].cmd == nil {
					ok = false
				}
			}
			if ok {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("cluster: not every Region got a leader within %v", timeout)
}

// waitBalanced waits until the MetaServer's balancer has nothing left to
// move (every store leads within one Region of every other), so that a
// test's commands do not meet a planned leadership transfer: during one a
// Region answers TRYAGAIN, which the tests' clients do not retry.
func (c *Cluster) waitBalanced(timeout time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		counts := c.LeaderCounts(0)
		lo, hi, total := -1, 0, 0
		for store := 1; store <= len(c.Nodes); store++ {
			n := counts[store]
			total += n
			hi = max(hi, n)
			if lo < 0 || n < lo {
				lo = n
			}
		}
		if total > 0 && total == len(c.Regions(0)) && hi-lo <= 1 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.t.Fatalf("cluster: Region leaders not balanced within %v: %v", timeout, c.LeaderCounts(0))
}

// LeaderCounts returns how many Regions each store leads (as node i sees it).
func (c *Cluster) LeaderCounts(i int) map[int]int {
	out := map[int]int{}
	for _, l := range c.Regions(i) {
		out[l]++
	}
	return out
}

// Client returns a plain go-redis client of node i.
func (c *Cluster) Client(t testing.TB, i int) *redis.Client {
	return c.Nodes[i].Client(t, 2)
}

// ClusterClient returns a cluster-aware go-redis client seeded with every node.
func (c *Cluster) ClusterClient(t testing.TB) *redis.ClusterClient {
	var addrs []string
	for _, n := range c.Nodes {
		addrs = append(addrs, n.Addr)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRedirects: 8})
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

func TestClusterBasicReplication(t *testing.T) {
	c := StartCluster(t, 3)
	ctx := context.Background()
	// Writes through every node (forwarded to the leaders) are read back from every node.
	for i := range c.Nodes {
		cl := c.Client(t, i)
		for k := 0; k < 50; k++ {
			if err := cl.Set(ctx, fmt.Sprintf("n%d-k%d", i, k), k, 0).Err(); err != nil {
				t.Fatalf("node %d set: %v", i+1, err)
			}
		}
	}
	for i := range c.Nodes {
		cl := c.Client(t, i)
		for j := range c.Nodes {
			for k := 0; k < 50; k++ {
				v, err := cl.Get(ctx, fmt.Sprintf("n%d-k%d", j, k)).Result()
				if err != nil || v != strconv.Itoa(k) {
					t.Fatalf("node %d get n%d-k%d: %q %v", i+1, j, k, v, err)
				}
			}
		}
	}
	// Leaders are spread over the stores.
	counts := c.LeaderCounts(0)
	for s := 1; s <= 3; s++ {
		if counts[s] == 0 {
			t.Fatalf("store %d leads no Region: %v", s, counts)
		}
	}
	// All replicas agree, checked at the same log position.
	cl := c.Client(t, 1)
	if err := cl.Do(ctx, "neokv", "checksum", "basic").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "basic", 16)

	// A pipeline of reads through node 1 whose first one is forwarded to
	// another node: the reads of Regions node 1 leads wait for no write,
	// so they are not proposed to Raft behind it (they were, before), and
	// every reply still comes back in order.
	leaderOf := slotLeaders(t, c.Client(t, 0)) // as node 1 sees it
	var remote string
	var local []string
	for j := range c.Nodes {
		for k := 0; k < 50; k++ {
			key := fmt.Sprintf("n%d-k%d", j, k)
			if leaderOf[slots.Of([]byte(key))] == 1 {
				local = append(local, key)
			} else if remote == "" {
				remote = key
			}
		}
	}
	if remote == "" || len(local) < 20 {
		t.Fatalf("want a key led elsewhere and 20 led by node 1: %q, %d", remote, len(local))
	}
	proposed := func() int {
		info, err := c.Client(t, 0).Info(ctx, "neokv").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(info, "\r\n") {
			if v, ok := strings.CutPrefix(line, "raft_proposed_commands:"); ok {
				n, _ := strconv.Atoi(v)
				return n
			}
		}
		t.Fatalf("no raft_proposed_commands in INFO neokv: %q", info)
		return 0
	}
	before := proposed()
	cmds, err := c.Client(t, 0).Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, remote)
		for _, key := range local {
			p.Get(ctx, key)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cmd := range cmds {
		key := remote
		if i > 0 {
			key = local[i-1]
		}
		_, k, _ := strings.Cut(key, "-k")
		if v, err := cmd.(*redis.StringCmd).Result(); err != nil || v != k {
			t.Fatalf("pipelined GET %s: %q %v, want %q", key, v, err, k)
		}
	}
	// Region leaders report to the MetaServer meanwhile: allow for a few.
	if d := proposed() - before; d >= len(local)/2 {
		t.Fatalf("node 1 proposed %d commands for a pipeline of %d reads behind a forwarded read", d, len(local))
	}
	// Behind a write, a read still sees it, reads in flight before it or not.
	for round := 0; round < 20; round++ {
		want := fmt.Sprintf("v%d", round)
		cmds, err := c.Client(t, 0).Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, remote)
			p.Get(ctx, local[1])
			p.Set(ctx, local[0], want, 0)
			p.Get(ctx, local[0])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if v := cmds[3].(*redis.StringCmd).Val(); v != want {
			t.Fatalf("GET %s pipelined after SET %s %s returned %q", local[0], local[0], want, v)
		}
	}
}

// WaitChecksumsAgree waits until every live node reports token's checksum
// for want Regions and they are identical everywhere.
func (c *Cluster) WaitChecksumsAgree(t testing.TB, token string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last []string
	for time.Now().Before(deadline) {
		var views []string
		complete := true
		for _, n := range c.Nodes {
			if n.cmd == nil {
				continue
			}
			rc := redis.NewClient(&redis.Options{Addr: n.Addr, Password: c.Password, MaxRetries: -1})
			lines, err := rc.Do(context.Background(), "neokv", "checksums").StringSlice()
			rc.Close()
			if err != nil {
				complete = false
				break
			}
			var mine []string
			for _, l := range lines {
				if f := strings.Fields(l); len(f) == 4 && f[1] == token {
					mine = append(mine, l)
				}
			}
			if len(mine) != want {
				complete = false
			}
			views = append(views, strings.Join(mine, "\n"))
		}
		last = views
		if complete {
			for _, v := range views[1:] {
				if v != views[0] {
					t.Fatalf("replicas differ:\n%s", strings.Join(views, "\n---\n"))
				}
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("checksums %q incomplete after 20s:\n%s", token, strings.Join(last, "\n---\n"))
}

// TestClusterFailoverFromQuiescence kills a leader while every Region is
// idle (quiesced: no ticks, no heartbeats): followers must notice the dead
// store and elect new leaders, and every key stays readable and writable.
func TestClusterFailoverFromQuiescence(t *testing.T) {
	c := StartCluster(t, 3, "--raft-tick-ms", "50")
	ctx := context.Background()
	cl := c.Client(t, 0)
	for k := 0; k < 200; k++ {
		if err := cl.Set(ctx, fmt.Sprintf("q%d", k), k, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second) // idle long enough to quiesce (20 ticks of 50 ms)
	counts := c.LeaderCounts(0)
	victim := 1
	for s, n := range counts {
		if n > counts[victim] {
			victim = s
		}
	}
	c.Nodes[victim-1].Kill()
	alive := 0
	if victim == 1 {
		alive = 1
	}
	rc := redis.NewClient(&redis.Options{Addr: c.Nodes[alive].Addr, Password: c.Password, MaxRetries: -1, ReadTimeout: 3 * time.Second})
	defer rc.Close()
	deadline := time.Now().Add(15 * time.Second)
	for k := 0; k < 200; k++ {
		for {
			err := rc.Set(ctx, fmt.Sprintf("q%d", k), k+1000, 0).Err()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("key q%d still unwritable 15s after killing store %d: %v", k, victim, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for k := 0; k < 200; k++ {
		v, err := rc.Get(ctx, fmt.Sprintf("q%d", k)).Result()
		if err != nil || v != strconv.Itoa(k+1000) {
			t.Fatalf("q%d: %q %v", k, v, err)
		}
	}
}

// logTail returns the last n lines of a server log that are not DEBUG.
func logTail(log string, n int) string {
	var kept []string
	for _, l := range strings.Split(log, "\n") {
		if l != "" && !strings.Contains(l, "level=DEBUG") {
			kept = append(kept, l)
		}
	}
	if len(kept) > n {
		kept = kept[len(kept)-n:]
	}
	return strings.Join(kept, "\n")
}

// slotLeaders maps every slot to the store leading its Region, as the
// node rc talks to sees it (NEOKV REGIONS).
func slotLeaders(t testing.TB, rc *redis.Client) map[uint16]int {
	t.Helper()
	txt, err := rc.Do(context.Background(), "neokv", "regions").Text()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint16]int{}
	for _, line := range strings.Split(txt, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		lo, hi, _ := strings.Cut(f[1], "-")
		a, _ := strconv.Atoi(lo)
		b, _ := strconv.Atoi(hi)
		leader, _ := strconv.Atoi(f[4])
		for s := a; s <= b; s++ {
			out[uint16(s)] = leader
		}
	}
	return out
}
