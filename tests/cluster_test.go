package tests

// End-to-end acceptance tests of the replicated cluster: 3 nodes, 16 Regions,
// each a Raft group with a replica on every node. Helpers here are prefixed
// "ct" so they do not collide with other test files of the package.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/slots"
)

// ctRegion is one line of NEOKV REGIONS.
type ctRegion struct {
	ID, Lo, Hi      int
	Role            string
	Leader          int // leader store as this node sees it; 0: unknown
	Commit, Applied uint64
}

// ctRegionTable reads NEOKV REGIONS from addr, sorted by first slot.
func ctRegionTable(addr string) ([]ctRegion, error) {
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 2 * time.Second})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	txt, err := rc.Do(ctx, "neokv", "regions").Text()
	if err != nil {
		return nil, err
	}
	var out []ctRegion
	for _, line := range strings.Split(txt, "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		var r ctRegion
		r.ID, _ = strconv.Atoi(f[0])
		lo, hi, ok := strings.Cut(f[1], "-")
		if !ok {
			return nil, fmt.Errorf("bad slots field %q", line)
		}
		r.Lo, _ = strconv.Atoi(lo)
		r.Hi, _ = strconv.Atoi(hi)
		r.Role = f[3]
		r.Leader, _ = strconv.Atoi(f[4])
		r.Commit, _ = strconv.ParseUint(f[5], 10, 64)
		r.Applied, _ = strconv.ParseUint(f[6], 10, 64)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Lo < out[j].Lo })
	return out, nil
}

// ctMustRegions reads node i's Region table and checks that the Regions
// tile the 16384 slots.
func ctMustRegions(t testing.TB, c *Cluster, i int) []ctRegion {
	t.Helper()
	tab, err := ctRegionTable(c.Nodes[i].Addr)
	if err != nil {
		t.Fatalf("node %d: NEOKV REGIONS: %v", i+1, err)
	}
	if len(tab) != 16 {
		t.Fatalf("node %d: %d Regions, want 16: %+v", i+1, len(tab), tab)
	}
	next := 0
	for _, r := range tab {
		if r.Lo != next || r.Hi < r.Lo {
			t.Fatalf("node %d: Regions do not tile the slots at %d: %+v", i+1, next, tab)
		}
		next = r.Hi + 1
	}
	if next != slots.Count {
		t.Fatalf("node %d: Regions end at slot %d: %+v", i+1, next-1, tab)
	}
	return tab
}

// ctRegionOf returns the index in tab of the Region holding key.
func ctRegionOf(tab []ctRegion, key string) int {
	s := int(slots.OfString(key))
	for i, r := range tab {
		if s >= r.Lo && s <= r.Hi {
			return i
		}
	}
	return -1
}

// ctKeys returns keys prefix:N, at least perRegion in every Region of tab
// (all generated keys are returned, so Regions get about the same number).
// byRegion[i] are the keys of tab[i].
func ctKeys(t testing.TB, tab []ctRegion, prefix string, perRegion int) (keys []string, byRegion [][]string) {
	t.Helper()
	byRegion = make([][]string, len(tab))
	missing := len(tab)
	for n := 0; missing > 0; n++ {
		if n > 1_000_000 {
			t.Fatalf("could not find keys for every Region")
		}
		k := fmt.Sprintf("%s:%d", prefix, n)
		i := ctRegionOf(tab, k)
		byRegion[i] = append(byRegion[i], k)
		if len(byRegion[i]) == perRegion {
			missing--
		}
		keys = append(keys, k)
	}
	return keys, byRegion
}

// ctReadonlyClient is a client of addr whose connections all sent READONLY.
func ctReadonlyClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{
		Addr:            addr,
		DisableIdentity: true,
		MaxRetries:      -1,
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
		OnConnect: func(ctx context.Context, cn *redis.Conn) error {
			return cn.ReadOnly(ctx).Err()
		},
	})
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// ctStoreAddr is the client address of store s (store id = node index + 1).
func ctStoreAddr(c *Cluster, s int) string {
	if s < 1 || s > len(c.Nodes) {
		return fmt.Sprintf("<store %d>", s)
	}
	return c.Nodes[s-1].Addr
}

// ctExercise runs SET/GET/INCR/MGET/DEL through cmd on keys of every Region
// and returns the keys it left behind with their values, and the deleted ones.
func ctExercise(t *testing.T, ctx context.Context, name string, cmd redis.Cmdable, tab []ctRegion, counters []string, incrs int) (left map[string]string, deleted []string) {
	t.Helper()
	keys, _ := ctKeys(t, tab, "ce-"+name, 8)
	for _, k := range keys {
		if err := cmd.Set(ctx, k, "v:"+k, 0).Err(); err != nil {
			t.Fatalf("%s: SET %s (slot %d): %v", name, k, slots.OfString(k), err)
		}
	}
	for _, k := range keys {
		if v, err := cmd.Get(ctx, k).Result(); err != nil || v != "v:"+k {
			t.Fatalf("%s: GET %s (slot %d) = %q, %v", name, k, slots.OfString(k), v, err)
		}
	}
	// One MGET over keys of every Region, with a missing key in the middle.
	mkeys := append(append(append([]string{}, keys[:len(keys)/2]...), "ce-missing-"+name), keys[len(keys)/2:]...)
	vals, err := cmd.MGet(ctx, mkeys...).Result()
	if err != nil || len(vals) != len(mkeys) {
		t.Fatalf("%s: MGET of %d keys: %d values, %v", name, len(mkeys), len(vals), err)
	}
	for i, k := range mkeys {
		if k == "ce-missing-"+name {
			if vals[i] != nil {
				t.Fatalf("%s: MGET missing key = %v", name, vals[i])
			}
			continue
		}
		if s, _ := vals[i].(string); s != "v:"+k {
			t.Fatalf("%s: MGET[%d] %s = %v", name, i, k, vals[i])
		}
	}
	// INCR the shared per-Region counters: each reply is larger than the last.
	for _, k := range counters {
		prev := int64(0)
		for j := 0; j < incrs; j++ {
			n, err := cmd.Incr(ctx, k).Result()
			if err != nil || n <= prev {
				t.Fatalf("%s: INCR %s = %d (previous %d), %v", name, k, n, prev, err)
			}
			prev = n
		}
	}
	// One DEL of every other key (all Regions), then they are gone.
	for i, k := range keys {
		if i%2 == 0 {
			deleted = append(deleted, k)
		}
	}
	n, err := cmd.Del(ctx, append(deleted, "ce-missing-"+name)...).Result()
	if err != nil || n != int64(len(deleted)) {
		t.Fatalf("%s: DEL of %d keys = %d, %v", name, len(deleted), n, err)
	}
	if n, err := cmd.Exists(ctx, deleted...).Result(); err != nil || n != 0 {
		t.Fatalf("%s: EXISTS of deleted keys = %d, %v", name, n, err)
	}
	left = map[string]string{}
	for i, k := range keys {
		if i%2 == 1 {
			left[k] = "v:" + k
		}
	}
	return left, deleted
}

// ctCompareSlots checks a CLUSTER SLOTS reply against a Region table:
// every slot exactly once, master = the Region leader, replicas = the
// other nodes. It returns "" or what is wrong.
func ctCompareSlots(c *Cluster, tab []ctRegion, ids map[string]string, got []redis.ClusterSlot) string {
	owner := make([]string, slots.Count)
	for _, cs := range got {
		if cs.Start < 0 || cs.End >= slots.Count || cs.Start > cs.End || len(cs.Nodes) == 0 {
			return fmt.Sprintf("bad range %+v", cs)
		}
		master := cs.Nodes[0].Addr
		if ids[master] != cs.Nodes[0].ID {
			return fmt.Sprintf("range %d-%d: master %s has id %q, CLUSTER MYID there says %q", cs.Start, cs.End, master, cs.Nodes[0].ID, ids[master])
		}
		var reps []string
		for _, n := range cs.Nodes[1:] {
			reps = append(reps, n.Addr)
			if ids[n.Addr] != n.ID {
				return fmt.Sprintf("range %d-%d: replica %s has id %q, CLUSTER MYID there says %q", cs.Start, cs.End, n.Addr, n.ID, ids[n.Addr])
			}
		}
		var want []string
		for _, n := range c.Nodes {
			if n.Addr != master {
				want = append(want, n.Addr)
			}
		}
		sort.Strings(reps)
		sort.Strings(want)
		if strings.Join(reps, ",") != strings.Join(want, ",") {
			return fmt.Sprintf("range %d-%d: replicas %v, want %v", cs.Start, cs.End, reps, want)
		}
		for s := cs.Start; s <= cs.End; s++ {
			if owner[s] != "" {
				return fmt.Sprintf("slot %d in two ranges", s)
			}
			owner[s] = master
		}
	}
	for s, o := range owner {
		if o == "" {
			return fmt.Sprintf("slot %d not covered", s)
		}
	}
	for _, r := range tab {
		want := ctStoreAddr(c, r.Leader)
		for s := r.Lo; s <= r.Hi; s++ {
			if owner[s] != want {
				return fmt.Sprintf("slot %d (Region %d): master %s, NEOKV REGIONS leader is store %d (%s)", s, r.ID, owner[s], r.Leader, want)
			}
		}
	}
	return ""
}

// ctCheckClusterSlots polls node i until a CLUSTER SLOTS reply taken
// between two identical NEOKV REGIONS views matches them.
func ctCheckClusterSlots(t *testing.T, ctx context.Context, c *Cluster, i int) {
	t.Helper()
	ids := map[string]string{}
	for _, n := range c.Nodes {
		rc := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		id, err := rc.ClusterMyID(ctx).Result()
		rc.Close()
		if err != nil || len(id) != 40 {
			t.Fatalf("CLUSTER MYID on %s: %q %v", n.Addr, id, err)
		}
		ids[n.Addr] = id
	}
	rc := c.Client(t, i)
	leaders := func(tab []ctRegion) string {
		var b strings.Builder
		for _, r := range tab {
			fmt.Fprintf(&b, "%d:%d ", r.ID, r.Leader)
		}
		return b.String()
	}
	deadline := time.Now().Add(15 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		before, err1 := ctRegionTable(c.Nodes[i].Addr)
		got, err2 := rc.ClusterSlots(ctx).Result()
		after, err3 := ctRegionTable(c.Nodes[i].Addr)
		switch {
		case err1 != nil || err2 != nil || err3 != nil:
			last = fmt.Sprintf("errors: %v %v %v", err1, err2, err3)
		case leaders(before) != leaders(after):
			last = "leadership moved during the check"
		case strings.Contains(leaders(before), ":0 "):
			last = "a Region has no leader: " + leaders(before)
		default:
			last = ctCompareSlots(c, before, ids, got)
			if last == "" {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("node %d: CLUSTER SLOTS never matched NEOKV REGIONS within 15s: %s", i+1, last)
}

// TestClusterClientsEveryRegion: a plain client on every node, a
// ClusterClient and a ClusterClient reading from random replicas (ReadOnly,
// RouteRandomly) run SET/GET/INCR/MGET/DEL on keys of all 16 Regions; every
// node then sees every client's writes; READONLY follower reads return the
// latest acknowledged value; CLUSTER SLOTS on every node covers all slots
// with the Region leaders as masters.
func TestClusterClientsEveryRegion(t *testing.T) {
	c := StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab := ctMustRegions(t, c, 0)
	_, ctrByRegion := ctKeys(t, tab, "ctr", 1)
	var counters []string
	for _, ks := range ctrByRegion {
		counters = append(counters, ks[0])
	}
	type named struct {
		name string
		cmd  redis.Cmdable
	}
	// "cluster-ro" sends reads to random replicas (READONLY connections).
	var addrs []string
	for _, n := range c.Nodes {
		addrs = append(addrs, n.Addr)
	}
	ro := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadOnly: true, RouteRandomly: true,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, MaxRedirects: 8})
	t.Cleanup(func() { _ = ro.Close() })
	clients := []named{{"node1", c.Client(t, 0)}, {"node2", c.Client(t, 1)}, {"node3", c.Client(t, 2)}, {"cluster", c.ClusterClient(t)}, {"cluster-ro", ro}}
	const incrs = 3
	all := map[string]string{}
	var deleted []string
	for _, cl := range clients {
		left, del := ctExercise(t, ctx, cl.name, cl.cmd, tab, counters, incrs)
		for k, v := range left {
			all[k] = v
		}
		deleted = append(deleted, del...)
	}
	// Every node (and the ClusterClient) sees every client's writes.
	for _, cl := range clients {
		for k, v := range all {
			if got, err := cl.cmd.Get(ctx, k).Result(); err != nil || got != v {
				t.Fatalf("%s: GET %s = %q, %v; want %q", cl.name, k, got, err, v)
			}
		}
		for _, k := range deleted {
			if got, err := cl.cmd.Get(ctx, k).Result(); err != redis.Nil {
				t.Fatalf("%s: deleted %s = %q, %v", cl.name, k, got, err)
			}
		}
		for _, k := range counters {
			if n, err := cl.cmd.Get(ctx, k).Int(); err != nil || n != len(clients)*incrs {
				t.Fatalf("%s: counter %s = %d, %v; want %d", cl.name, k, n, err, len(clients)*incrs)
			}
		}
	}
	// READONLY on every node: a value acknowledged through another node is
	// what the READONLY read returns, on Regions this node follows too.
	_, roByRegion := ctKeys(t, tab, "ro", 1)
	for i := range c.Nodes {
		ro := ctReadonlyClient(t, c.Nodes[i].Addr)
		writer := clients[(i+1)%3].cmd
		followed := 0
		tabI := ctMustRegions(t, c, i)
		for ri, r := range tabI {
			k := roByRegion[ri][0]
			if r.Leader != i+1 {
				followed++
			}
			for j := 0; j < 5; j++ {
				v := fmt.Sprintf("ro-%d-%d", i, j)
				if err := writer.Set(ctx, k, v, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
				ctReadonlyGet(t, ctx, c, ro, i, r, k, v)
			}
		}
		if followed == 0 {
			t.Fatalf("node %d leads every Region: READONLY follower reads not exercised", i+1)
		}
	}
	for i := range c.Nodes {
		ctCheckClusterSlots(t, ctx, c, i)
	}
	if err := c.Client(t, 0).Do(ctx, "neokv", "checksum", "every-region").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "every-region", 16)
}

// ctReadonlyGet asserts that GET k on node i's READONLY connection returns
// want, the value just acknowledged. TRYAGAIN is accepted (and the read
// retried, at most 3 times) only if the Region's leader changed meanwhile;
// otherwise the failure shows the nodes' warnings and leadership moves.
func ctReadonlyGet(t *testing.T, ctx context.Context, c *Cluster, ro *redis.Client, i int, r ctRegion, k, want string) {
	t.Helper()
	for try := 0; ; try++ {
		start := time.Now()
		got, err := ro.Get(ctx, k).Result()
		if err == nil && got == want {
			return
		}
		leaderNow := -1
		if tab, terr := ctRegionTable(c.Nodes[i].Addr); terr == nil {
			for _, x := range tab {
				if x.ID == r.ID {
					leaderNow = x.Leader
				}
			}
		}
		if err != nil && strings.HasPrefix(err.Error(), "TRYAGAIN") && leaderNow != r.Leader && try < 3 {
			t.Logf("node %d READONLY GET %s: %v after %v while Region %d's leader moved from store %d to %d; retrying",
				i+1, k, err, time.Since(start).Round(time.Millisecond), r.ID, r.Leader, leaderNow)
			r.Leader = leaderNow
			continue
		}
		var logs []string
		for j, n := range c.Nodes {
			for _, l := range strings.Split(n.Log(), "\n") {
				if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(strings.ToLower(l), "leader") {
					logs = append(logs, fmt.Sprintf("node %d: %s", j+1, l))
				}
			}
		}
		if len(logs) > 60 {
			logs = logs[len(logs)-60:]
		}
		t.Fatalf("node %d READONLY GET %s (Region %d, leader store %d, now %d) = %q, %v after %v; want %q\n%s",
			i+1, k, r.ID, r.Leader, leaderNow, got, err, time.Since(start).Round(time.Millisecond), want, strings.Join(logs, "\n"))
	}
}

var movedRE = regexp.MustCompile(`^MOVED (\d+) (\S+)$`)

// TestClusterRedirect: with --cluster-redirect a plain client gets
// "-MOVED <slot> <leader address>" for every Region its node does not lead
// (reads and writes; a MOVED write is not executed), the ClusterClient
// works on all Regions, and READONLY reads on a follower are served there
// with the latest acknowledged value.
func TestClusterRedirect(t *testing.T) {
	c := StartCluster(t, 3, "--cluster-redirect")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tab := ctMustRegions(t, c, 0)
	_, byRegion := ctKeys(t, tab, "mv", 1)
	moved := 0
	for i := range c.Nodes {
		cl := c.Client(t, i)
		for ri := range tab {
			k := byRegion[ri][0]
			slot := int(slots.OfString(k))
			deadline := time.Now().Add(10 * time.Second)
			for {
				now, err := ctRegionTable(c.Nodes[i].Addr)
				if err != nil || len(now) != len(tab) {
					t.Fatalf("node %d: NEOKV REGIONS: %v", i+1, err)
				}
				leader := now[ri].Leader
				getErr := cl.Get(ctx, k).Err()
				setErr := cl.Set(ctx, k, "must-not-be-written", 0).Err()
				after, _ := ctRegionTable(c.Nodes[i].Addr)
				stable := len(after) == len(tab) && after[ri].Leader == leader && leader != 0
				var problem string
				if leader == i+1 {
					if getErr != redis.Nil && getErr != nil || setErr != nil {
						problem = fmt.Sprintf("on the leader: GET %v, SET %v", getErr, setErr)
					}
					// Undo, so the key is missing for the other nodes' checks.
					if err := cl.Del(ctx, k).Err(); err != nil {
						problem = fmt.Sprintf("DEL on the leader: %v", err)
					}
				} else {
					want := fmt.Sprintf("MOVED %d %s", slot, ctStoreAddr(c, leader))
					for _, e := range []error{getErr, setErr} {
						if e == nil || e.Error() != want {
							problem = fmt.Sprintf("got %v, want %q", e, want)
						}
						if e != nil && !movedRE.MatchString(e.Error()) {
							problem = fmt.Sprintf("got %v, want %q", e, want)
						}
					}
					if problem == "" {
						moved++
					}
				}
				if problem == "" {
					break
				}
				if stable || time.Now().After(deadline) {
					t.Fatalf("node %d, key %s (slot %d, Region %d, leader store %d): %s", i+1, k, slot, tab[ri].ID, leader, problem)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	// Each node follows about 2/3 of the Regions.
	if moved < 16 {
		t.Fatalf("only %d MOVED replies checked", moved)
	}
	cc := c.ClusterClient(t)
	// The MOVED SETs were not executed.
	for ri := range tab {
		if v, err := cc.Get(ctx, byRegion[ri][0]).Result(); err != redis.Nil {
			t.Fatalf("key %s after MOVED SETs and DEL: %q, %v", byRegion[ri][0], v, err)
		}
	}
	_, ctrByRegion := ctKeys(t, tab, "rctr", 1)
	var counters []string
	for _, ks := range ctrByRegion {
		counters = append(counters, ks[0])
	}
	left, _ := ctExercise(t, ctx, "redirect-cluster", cc, tab, counters, 3)
	for k, v := range left {
		if got, err := cc.Get(ctx, k).Result(); err != nil || got != v {
			t.Fatalf("ClusterClient GET %s = %q, %v", k, got, err)
		}
	}
	// READONLY on followers: no MOVED for reads, latest acknowledged value.
	_, roByRegion := ctKeys(t, tab, "ro", 1)
	followerReads := 0
	for i := range c.Nodes {
		ro := ctReadonlyClient(t, c.Nodes[i].Addr)
		tabI := ctMustRegions(t, c, i)
		for ri, r := range tabI {
			if r.Leader == i+1 {
				continue
			}
			k := roByRegion[ri][0]
			for j := 0; j < 5; j++ {
				v := fmt.Sprintf("ro-%d-%d", i, j)
				if err := cc.Set(ctx, k, v, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
				ctReadonlyGet(t, ctx, c, ro, i, r, k, v)
				followerReads++
			}
			// Writes on a READONLY connection are still redirected.
			if err := ro.Set(ctx, k, "x", 0).Err(); err == nil || !movedRE.MatchString(err.Error()) {
				if now, _ := ctRegionTable(c.Nodes[i].Addr); len(now) == len(tabI) && now[ri].Leader != i+1 {
					t.Fatalf("node %d: SET on READONLY follower connection: %v, want MOVED", i+1, err)
				}
			}
		}
	}
	if followerReads == 0 {
		t.Fatalf("no follower read exercised")
	}
	for i := range c.Nodes {
		ctCheckClusterSlots(t, ctx, c, i)
	}
}

// ctRunBenchmark runs redis-benchmark with args; it must exit 0 within 90s,
// print no error and report every test in tests.
func ctRunBenchmark(t *testing.T, name string, tests []string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Fatalf("redis-benchmark not installed (apt-get install -y redis-tools): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(string(out), "\r", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "rps=") {
			lines = append(lines, l)
		}
	}
	report := strings.Join(lines, "\n")
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("%s: redis-benchmark did not finish within 90s:\n%s", name, report)
	}
	if err != nil {
		t.Fatalf("%s: redis-benchmark %v: %v\n%s", name, args, err, report)
	}
	for _, bad := range []string{"rror", "WARN", "MOVED", "TRYAGAIN", "CROSSSLOT", "unknown", "fail"} {
		if strings.Contains(report, bad) {
			t.Errorf("%s: output mentions %q:\n%s", name, bad, report)
		}
	}
	for _, test := range tests {
		if !regexp.MustCompile(`(?m)^` + test + `: [0-9.]+ requests per second`).MatchString(report) {
			t.Errorf("%s: no result line for %s:\n%s", name, test, report)
		}
	}
	t.Logf("%s (%s):\n%s", name, time.Since(start).Round(time.Millisecond), report)
}

// TestClusterRedisBenchmark: redis-benchmark --cluster against node 1 and
// plain redis-benchmark against node 2 both finish without an error; the
// replicas agree afterwards.
func TestClusterRedisBenchmark(t *testing.T) {
	c := StartCluster(t, 3)
	h1, p1, _ := strings.Cut(c.Nodes[0].Addr, ":")
	h2, p2, _ := strings.Cut(c.Nodes[1].Addr, ":")
	ctRunBenchmark(t, "--cluster", []string{"SET", "GET"}, "--cluster", "-h", h1, "-p", p1, "-t", "set,get", "-n", "20000", "-c", "20", "-q")
	ctRunBenchmark(t, "plain", []string{"SET", "GET"}, "-h", h2, "-p", p2, "-t", "set,get", "-n", "20000", "-c", "20", "-q")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The plain run's key (redis-benchmark without -r uses it literally) is
	// visible on every node.
	for i := range c.Nodes {
		if v, err := c.Client(t, i).Get(ctx, "key:__rand_int__").Result(); err != nil || len(v) != 3 {
			t.Fatalf("node %d: GET key:__rand_int__ = %q, %v", i+1, v, err)
		}
	}
	if err := c.Client(t, 2).Do(ctx, "neokv", "checksum", "bench").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "bench", 16)
}

// ctWaitBalanced waits until every Region has a leader and leadership is
// spread (max - min <= 1), and returns the node index leading the most.
func ctWaitBalanced(t *testing.T, c *Cluster) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var counts map[int]int
	for time.Now().Before(deadline) {
		counts = c.LeaderCounts(0)
		total, max, min, best := 0, -1, 1<<30, 0
		for s := 1; s <= len(c.Nodes); s++ {
			n := counts[s]
			total += n
			if n > max {
				max, best = n, s
			}
			if n < min {
				min = n
			}
		}
		if total == 16 && max-min <= 1 {
			return best - 1
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("leadership not balanced within 20s: %v", counts)
	return 0
}

func ctPort(t testing.TB, addr string) int {
	_, p, _ := strings.Cut(addr, ":")
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("bad address %q", addr)
	}
	return n
}

// ctSortErr classifies a write error for the report.
func ctSortErr(err error) string {
	s := err.Error()
	switch {
	case strings.HasPrefix(s, "TRYAGAIN"):
		return "TRYAGAIN"
	case strings.HasPrefix(s, "ERR"):
		return s
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		if f := strings.Fields(s); len(f) > 0 {
			return "conn: " + f[len(f)-1]
		}
		return s
	}
}

// TestClusterFailoverUnderLoad: 8 writers (6 plain clients on the two
// surviving nodes, 2 through a ClusterClient) each SET fo:w:i = i in order;
// after ~2s the node leading the most Regions is SIGKILLed. Writes must be
// accepted by every Region again within 10s (ClusterClient writers: 20s),
// the survivors must drop the dead node from CLUSTER SLOTS and flag it
// "fail" in CLUSTER NODES, no acknowledged write may be lost, and once the
// node is restarted and caught up the three replicas must be identical and
// CLUSTER SLOTS lists it again on every node.
func TestClusterFailoverUnderLoad(t *testing.T) {
	c := StartCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	victim := ctWaitBalanced(t, c)
	var survivors []int
	for i := range c.Nodes {
		if i != victim {
			survivors = append(survivors, i)
		}
	}
	mkClient := func(addr string) *redis.Client {
		rc := redis.NewClient(&redis.Options{Addr: addr, DisableIdentity: true, MaxRetries: -1,
			DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
		t.Cleanup(func() { _ = rc.Close() })
		return rc
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[survivors[0]].Addr, c.Nodes[survivors[1]].Addr, c.Nodes[victim].Addr},
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, MaxRedirects: 8})
	t.Cleanup(func() { _ = cc.Close() })

	const writers = 8
	type wstate struct {
		mu        sync.Mutex
		acked     []bool // acked[i]: SET fo:w:i returned OK
		attempted int
		postKill  int // acknowledged writes issued after the kill
		resumed   time.Duration
		errs      map[string]int
	}
	ws := make([]*wstate, writers)
	var killedAt atomic.Int64
	var totalAcks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		ws[w] = &wstate{errs: map[string]int{}}
		var cmd redis.Cmdable = cc
		if w < 6 {
			cmd = mkClient(c.Nodes[survivors[w%2]].Addr)
		}
		wg.Add(1)
		go func(w int, st *wstate, cmd redis.Cmdable) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now().UnixNano()
				st.mu.Lock()
				st.attempted = i + 1
				st.acked = append(st.acked, false)
				st.mu.Unlock()
				octx, ocancel := context.WithTimeout(ctx, 8*time.Second)
				err := cmd.Set(octx, fmt.Sprintf("fo:%d:%d", w, i), i, 0).Err()
				ocancel()
				st.mu.Lock()
				if err == nil {
					st.acked[i] = true
					if k := killedAt.Load(); k != 0 && start > k {
						st.postKill++
						if st.postKill == 10 {
							st.resumed = time.Duration(time.Now().UnixNano() - k)
						}
					}
					totalAcks.Add(1)
				} else {
					st.errs[ctSortErr(err)]++
				}
				st.mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}(w, ws[w], cmd)
	}
	stopped := false
	stopLoad := func() {
		if !stopped {
			stopped = true
			close(stop)
			wg.Wait()
		}
	}
	defer stopLoad()

	time.Sleep(2 * time.Second) // load before the failure
	if n := totalAcks.Load(); n < 50 {
		t.Fatalf("only %d writes acknowledged in 2s before the failure", n)
	}
	counts := c.LeaderCounts(survivors[0])
	max := 0
	for _, n := range counts {
		if n > max {
			max = n
		}
	}
	if counts[victim+1] < max-1 || counts[victim+1] == 0 {
		t.Fatalf("node %d was to lead the most Regions but leads %d: %v", victim+1, counts[victim+1], counts)
	}
	t.Logf("killing node %d (leads %d Regions; leaders per store %v) after %d acknowledged writes", victim+1, counts[victim+1], counts, totalAcks.Load())
	acksAtKill := totalAcks.Load()
	killedAt.Store(time.Now().UnixNano())
	killTime := time.Now()
	c.Nodes[victim].Kill()

	// Progress resumes on the new leaders: within 10s every Region takes a
	// new write through a surviving node and every plain-client writer gets
	// writes acknowledged again. The ClusterClient writers are allowed 20s:
	// go-redis keeps sending a slot's writes to the dead master until it
	// reloads CLUSTER SLOTS, which it does every 10s (the server cannot
	// speed that up; Redis Cluster clients see the same after a failover).
	tab := ctMustRegions(t, c, survivors[0])
	_, probeKeys := ctKeys(t, tab, "probe", 1)
	probe := mkClient(c.Nodes[survivors[1]].Addr)
	probed := make([]bool, len(tab))
	var probesDone, plainDone, clusterDone time.Duration
	for {
		allProbed := true
		for ri := range tab {
			if probed[ri] {
				continue
			}
			octx, ocancel := context.WithTimeout(ctx, time.Second)
			if probe.Set(octx, probeKeys[ri][0], "p", 0).Err() == nil {
				probed[ri] = true
			} else {
				allProbed = false
			}
			ocancel()
		}
		if probesDone == 0 && allProbed {
			probesDone = time.Since(killTime)
		}
		since := time.Since(killTime)
		// The time the last writer of a group got its 10th acknowledgement.
		var plainLast, clusterLast time.Duration
		plain, cluster := true, true
		for w, st := range ws {
			st.mu.Lock()
			last, ok := &plainLast, &plain
			if w >= 6 {
				last, ok = &clusterLast, &cluster
			}
			if st.postKill < 10 {
				*ok = false
			} else if st.resumed > *last {
				*last = st.resumed
			}
			st.mu.Unlock()
		}
		if plainDone == 0 && plain {
			plainDone = plainLast
		}
		if clusterDone == 0 && cluster {
			clusterDone = clusterLast
		}
		if probesDone != 0 && plainDone != 0 && clusterDone != 0 {
			break
		}
		if (probesDone == 0 || plainDone == 0) && since > 10*time.Second || since > 20*time.Second {
			var stuck []int
			for ri, ok := range probed {
				if !ok {
					stuck = append(stuck, tab[ri].ID)
				}
			}
			var prog []string
			for w, st := range ws {
				st.mu.Lock()
				prog = append(prog, fmt.Sprintf("w%d:%d %v", w, st.postKill, st.errs))
				st.mu.Unlock()
			}
			t.Fatalf("writes did not resume %v after the kill: Regions refusing writes %v; writers' acks since the kill (w6, w7: ClusterClient): %s",
				since.Round(time.Millisecond), stuck, strings.Join(prog, "; "))
		}
		time.Sleep(50 * time.Millisecond)
	}
	var per []string
	for w, st := range ws {
		st.mu.Lock()
		per = append(per, fmt.Sprintf("w%d %v", w, st.resumed.Round(time.Millisecond)))
		st.mu.Unlock()
	}
	t.Logf("progress after the kill: every Region took a write after %v, plain writers 10 acks each after %v, ClusterClient writers after %v (%s)",
		probesDone.Round(time.Millisecond), plainDone.Round(time.Millisecond), clusterDone.Round(time.Millisecond), strings.Join(per, ", "))
	// The survivors stop advertising the dead node: CLUSTER SLOTS leaves
	// it out (as Redis leaves out failed replicas) and CLUSTER NODES flags
	// it "fail", so clients reading from replicas do not pick it.
	deadAddr := c.Nodes[victim].Addr
	for _, sv := range survivors {
		cl := c.Client(t, sv)
		var last string
		for end := time.Now().Add(10 * time.Second); ; {
			got, err := cl.ClusterSlots(ctx).Result()
			nodes, err2 := cl.ClusterNodes(ctx).Result()
			last = fmt.Sprintf("CLUSTER SLOTS %v %v; CLUSTER NODES %v:\n%s", got, err, err2, nodes)
			listed := false
			for _, cs := range got {
				for _, n := range cs.Nodes {
					listed = listed || n.Addr == deadAddr
				}
			}
			failed := false
			for _, line := range strings.Split(nodes, "\n") {
				if f := strings.Fields(line); len(f) > 2 && f[1] == fmt.Sprintf("%s@%d", deadAddr, ctPort(t, deadAddr)+10000) {
					failed = strings.Contains(f[2], "fail")
				}
			}
			if err == nil && err2 == nil && len(got) > 0 && !listed && failed {
				break
			}
			if time.Now().After(end) {
				t.Fatalf("node %d still advertises the dead node %s 10s after the kill: %s", sv+1, deadAddr, last)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(time.Second) // more load on the new leaders
	stopLoad()

	// No acknowledged write is lost (read from a surviving node); an
	// unacknowledged one is either absent or has its value.
	reader := mkClient(c.Nodes[survivors[0]].Addr)
	acked, unacked := 0, 0
	for w, st := range ws {
		var keys []string
		for i := 0; i < st.attempted; i++ {
			keys = append(keys, fmt.Sprintf("fo:%d:%d", w, i))
		}
		for lo := 0; lo < len(keys); lo += 500 {
			hi := min(lo+500, len(keys))
			vals, err := reader.MGet(ctx, keys[lo:hi]...).Result()
			if err != nil || len(vals) != hi-lo {
				t.Fatalf("MGET read-back: %v", err)
			}
			for j, v := range vals {
				i := lo + j
				s, isStr := v.(string)
				if st.acked[i] {
					acked++
					if !isStr || s != strconv.Itoa(i) {
						t.Fatalf("acknowledged write lost: %s = %v, want %d (writer %d wrote %d keys; errors %v)", keys[i], v, i, w, st.attempted, st.errs)
					}
				} else {
					unacked++
					if v != nil && s != strconv.Itoa(i) {
						t.Fatalf("unacknowledged %s = %v, want nil or %d", keys[i], v, i)
					}
				}
			}
		}
		t.Logf("writer %d: %d writes, errors %v", w, st.attempted, st.errs)
	}
	t.Logf("%d acknowledged writes (%d before the kill) all present; %d unacknowledged", acked, acksAtKill, unacked)

	// The killed node comes back and catches up with the survivors.
	c.Nodes[victim].Restart()
	target := map[int]uint64{}
	for _, s := range survivors {
		for _, r := range ctMustRegions(t, c, s) {
			if r.Commit > target[r.ID] {
				target[r.ID] = r.Commit
			}
		}
	}
	catchUp := time.Now().Add(30 * time.Second)
	for {
		tabV, err := ctRegionTable(c.Nodes[victim].Addr)
		behind := 0
		for _, r := range tabV {
			if r.Leader == 0 || r.Applied < target[r.ID] {
				behind++
			}
		}
		if err == nil && len(tabV) == 16 && behind == 0 {
			break
		}
		if time.Now().After(catchUp) {
			t.Fatalf("restarted node %d did not catch up within 30s (%d Regions behind, err %v): %+v, targets %v", victim+1, behind, err, tabV, target)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := reader.Do(ctx, "neokv", "checksum", "failover").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "failover", 16)
	// Back in CLUSTER SLOTS everywhere, as a replica or a master.
	for i := range c.Nodes {
		ctCheckClusterSlots(t, ctx, c, i)
	}
	// The restarted node serves the acknowledged writes itself (READONLY).
	ro := ctReadonlyClient(t, c.Nodes[victim].Addr)
	for w, st := range ws {
		for i := st.attempted - 1; i >= 0 && i >= st.attempted-20; i-- {
			if !st.acked[i] {
				continue
			}
			k := fmt.Sprintf("fo:%d:%d", w, i)
			if v, err := ro.Get(ctx, k).Result(); err != nil || v != strconv.Itoa(i) {
				t.Fatalf("restarted node READONLY GET %s = %q, %v", k, v, err)
			}
		}
	}
}

var installedRE = regexp.MustCompile(`msg="installed snapshot".*? region=(\d+)`)

// TestClusterSnapshotCatchUp: with a tiny log retention, a node that was
// down while 3000 keys were written (about 190 log entries per Region) is
// caught up by snapshot ("installed snapshot" in its log for every one of
// the 16 Regions), then all replicas agree and the restarted node serves
// every key itself (READONLY).
func TestClusterSnapshotCatchUp(t *testing.T) {
	c := StartCluster(t, 3, "--raft-log-gc-count", "16", "--raft-log-max-lag", "50")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	const victim = 2
	c.Nodes[victim].Kill()
	c.WaitLeaders(15 * time.Second)

	const writers, perWriter = 4, 750
	var wg sync.WaitGroup
	errc := make(chan error, writers)
	for w := 0; w < writers; w++ {
		cl := c.Client(t, w%2)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				k := fmt.Sprintf("snap:%d:%d", w, i)
				var err error
				// TRYAGAIN (a leader moving) is retried; SET is idempotent.
				for try := 0; try < 50; try++ {
					if err = cl.Set(ctx, k, "v"+k, 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN") {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				if err != nil {
					errc <- fmt.Errorf("SET %s: %w", k, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	target := map[int]uint64{}
	for _, s := range []int{0, 1} {
		for _, r := range ctMustRegions(t, c, s) {
			if r.Commit > target[r.ID] {
				target[r.ID] = r.Commit
			}
		}
	}

	c.Nodes[victim].Restart()
	deadline := time.Now().Add(30 * time.Second)
	var installed map[string]bool
	for {
		installed = map[string]bool{}
		for _, m := range installedRE.FindAllStringSubmatch(c.Nodes[victim].Log(), -1) {
			installed[m[1]] = true
		}
		tabV, err := ctRegionTable(c.Nodes[victim].Addr)
		behind := 0
		for _, r := range tabV {
			if r.Leader == 0 || r.Applied < target[r.ID] {
				behind++
			}
		}
		missing := 0
		for _, r := range tabV {
			if !installed[strconv.Itoa(r.ID)] {
				missing++
			}
		}
		// Every Region fell >50 entries behind with its log compacted
		// every 16: each must have been caught up by a snapshot.
		if err == nil && len(tabV) == 16 && behind == 0 && missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("restarted node: %d of 16 Regions did not install a snapshot, %d Regions behind after 30s (err %v)\n%+v\ntargets %v\nlog:\n%s",
				missing, behind, err, tabV, target, c.Nodes[victim].Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("restarted node installed snapshots of all 16 Regions (%d incl. system Regions)", len(installed))
	if err := c.Client(t, 0).Do(ctx, "neokv", "checksum", "snap").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "snap", 16)

	// Every key reads back from the restarted node itself.
	errc = make(chan error, writers)
	for w := 0; w < writers; w++ {
		ro := ctReadonlyClient(t, c.Nodes[victim].Addr)
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWriter; i++ {
				k := fmt.Sprintf("snap:%d:%d", w, i)
				if v, err := ro.Get(ctx, k).Result(); err != nil || v != "v"+k {
					errc <- fmt.Errorf("restarted node READONLY GET %s = %q, %v", k, v, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
}

// A Region's leadership moving (as the MetaServer's balancer moves it)
// must not surface to clients that are not cluster-aware: reads routed to
// the old leader go to the new one instead of failing with TRYAGAIN.
// The clients do not retry, so any error reaches the test.
func TestClusterLeaderTransferReroutesReads(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, region, key, clients := ctMovingRegion(t, "tr", -1)
	if err := clients[0].Set(ctx, key, "v0", 0).Err(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads atomic.Int64
	errs := make(chan string, 64)
	for i, rc := range clients {
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					v, err := rc.Get(ctx, key).Result()
					if err != nil || v != "v0" {
						select {
						case errs <- fmt.Sprintf("node%d: GET = %q, %v", i+1, v, err):
						default:
						}
						return
					}
					reads.Add(1)
				}
			}()
		}
	}
	ctMoveLeader(t, ctx, c, clients, region, 6, 200*time.Millisecond)
	close(stop)
	wg.Wait()
	select {
	case e := <-errs:
		t.Fatalf("a read failed while leadership moved (%d reads succeeded): %s", reads.Load(), e)
	default:
	}
	if reads.Load() == 0 {
		t.Fatal("no read completed")
	}
	t.Logf("%d reads, 6 leader transfers, no error", reads.Load())
}

// ctMovingRegion starts a 3-node cluster for a test that moves a Region's
// leadership: the first Region, a key of it (named from prefix), and a
// plain go-redis client per node with maxRetries (as redis.Options).
func ctMovingRegion(t *testing.T, prefix string, maxRetries int) (c *Cluster, region int, key string, clients []*redis.Client) {
	t.Helper()
	c = StartCluster(t, 3)
	c.WaitLeaders(10 * time.Second)
	tab := ctMustRegions(t, c, 0)
	_, byRegion := ctKeys(t, tab, prefix, 1)
	for _, n := range c.Nodes {
		rc := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: maxRetries, ReadTimeout: 10 * time.Second})
		t.Cleanup(func() { _ = rc.Close() })
		clients = append(clients, rc)
	}
	return c, tab[0].ID, byRegion[0][0], clients
}

// ctLeaderOf returns the store leading region, as some node reports it (0:
// none known).
func ctLeaderOf(c *Cluster, region int) int {
	for i := range c.Nodes {
		tab, err := ctRegionTable(c.Nodes[i].Addr)
		if err != nil {
			continue
		}
		for _, r := range tab {
			if r.ID == region && r.Role == "leader" {
				return r.Leader
			}
		}
	}
	return 0
}

// ctMoveLeader moves region's leadership to the next store moves times
// (NEOKV DEBUG TRANSFER through the current leader's client), pausing
// after each move.
func ctMoveLeader(t *testing.T, ctx context.Context, c *Cluster, clients []*redis.Client, region, moves int, pause time.Duration) {
	t.Helper()
	for move := 0; move < moves; move++ {
		from := 0
		for deadline := time.Now().Add(10 * time.Second); from == 0 && time.Now().Before(deadline); {
			if from = ctLeaderOf(c, region); from == 0 {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if from == 0 {
			t.Fatalf("region %d has no leader", region)
		}
		to := from%len(c.Nodes) + 1
		// Raft abandons a transfer the target does not take up within an
		// election timeout (a busy target still catching up): ask again,
		// as an operator would.
		deadline, retry := time.Now().Add(10*time.Second), time.Time{}
		for leader := from; leader != to; leader = ctLeaderOf(c, region) {
			if time.Now().After(deadline) {
				t.Fatalf("region %d did not move from store %d to %d (led by store %d now)", region, from, to, leader)
			}
			if leader != 0 && time.Now().After(retry) {
				if err := clients[leader-1].Do(ctx, "neokv", "debug", "transfer", region, to).Err(); err != nil {
					t.Fatalf("transfer region %d from %d to %d: %v", region, leader, to, err)
				}
				retry = time.Now().Add(time.Second)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(pause)
	}
}

// A write in flight when its leader hands over leadership is applied once,
// and a pipelining connection's commands still run in order.
// Redis clients retry TRYAGAIN on their own (go-redis does, with its
// default options, as used here), so a store may answer TRYAGAIN only for
// a write that will never apply; one that may still commit under the new
// leader must be answered with its outcome. Counted with INCR: the final
// value is the number of INCRs that succeeded, plus at most one for each
// that failed.
func TestClusterLeaderTransferWritesApplyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c, region, key, clients := ctMovingRegion(t, "once", 0) // go-redis's default retries
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var acked, failed atomic.Int64
	errs := make(chan string, 16)
	for _, rc := range clients {
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < 20000; n++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := rc.Incr(ctx, key).Err(); err != nil {
						failed.Add(1)
						select {
						case errs <- err.Error():
						default:
						}
						continue
					}
					acked.Add(1)
				}
			}()
		}
	}
	// Pipelines of SETs and a GET of one key of the Region, an MGET of it
	// and a key of another Region (split across the two), and a MULTI/EXEC
	// reading it: whatever rerouting a leadership move causes, a
	// connection's commands run in order, so each read sees the
	// pipeline's last SET.
	tab := ctMustRegions(t, c, 0)
	elsewhere := ""
	for n := 0; elsewhere == ""; n++ {
		if k := "elsewhere" + strconv.Itoa(n); tab[ctRegionOf(tab, k)].ID != region {
			elsewhere = k
		}
	}
	var pipelines atomic.Int64
	outOfOrder := make(chan string, len(clients))
	for i := range clients {
		// No client retries: a pipeline go-redis sent twice would mix two
		// runs of the same commands.
		rc := redis.NewClient(&redis.Options{Addr: c.Nodes[i].Addr, MaxRetries: -1, ReadTimeout: 10 * time.Second})
		t.Cleanup(func() { _ = rc.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := "{" + key + "}pipe" + strconv.Itoa(i)
			for n := 0; n < 20000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				pipe := rc.Pipeline()
				for j := 1; j <= 10; j++ {
					pipe.Set(ctx, k, fmt.Sprintf("%d-%d", n, j), 0)
				}
				get := pipe.Get(ctx, k)
				mget := pipe.MGet(ctx, k, elsewhere)
				pipe.Do(ctx, "multi")
				pipe.Get(ctx, k)
				exec := pipe.Do(ctx, "exec")
				if _, err := pipe.Exec(ctx); err != nil {
					continue // some command failed: no order to check
				}
				want := fmt.Sprintf("%d-10", n)
				// What the key holds once the dust settles tells a reorder
				// (the pipeline's SETs ran late) from a loss (they never ran).
				later := func() string {
					time.Sleep(time.Second)
					v, err := rc.Get(ctx, k).Result()
					return fmt.Sprintf("; a second later GET = %q, %v", v, err)
				}
				if get.Val() != want {
					outOfOrder <- fmt.Sprintf("pipeline of SETs on %s ended with GET %q, want %q", k, get.Val(), want) + later()
					return
				}
				if vals := mget.Val(); len(vals) != 2 || vals[0] != want || vals[1] != nil {
					outOfOrder <- fmt.Sprintf("pipeline of SETs on %s ended with MGET %q, want [%q <nil>]", k, vals, want) + later()
					return
				}
				if vals, ok := exec.Val().([]any); !ok || len(vals) != 1 || vals[0] != want {
					outOfOrder <- fmt.Sprintf("pipeline of SETs on %s ended with EXEC [GET] = %#v, want [%q]", k, exec.Val(), want) + later()
					return
				}
				pipelines.Add(1)
			}
		}()
	}
	ctMoveLeader(t, ctx, c, clients, region, 16, 200*time.Millisecond)
	close(stop)
	wg.Wait()
	select {
	case e := <-outOfOrder:
		t.Fatalf("a connection's pipelined commands ran out of order: %s", e)
	default:
	}
	got, err := clients[0].Get(ctx, key).Int64()
	if err != nil {
		t.Fatal(err)
	}
	close(errs)
	var sample []string
	for e := range errs {
		sample = append(sample, e)
	}
	t.Logf("%d INCRs acknowledged, %d failed (%q), final value %d; %d pipelines in order", acked.Load(), failed.Load(), sample, got, pipelines.Load())
	if got < acked.Load() {
		t.Fatalf("final value %d < %d acknowledged INCRs: acknowledged writes lost", got, acked.Load())
	}
	if got > acked.Load()+failed.Load() {
		t.Fatalf("final value %d > %d acknowledged + %d failed INCRs: writes applied twice", got, acked.Load(), failed.Load())
	}
	if acked.Load() == 0 || pipelines.Load() == 0 {
		t.Fatalf("%d INCRs and %d pipelines succeeded: nothing checked", acked.Load(), pipelines.Load())
	}
}

// TestClusterWithPassword: with --requirepass on every member, a plain
// client that authenticated on one node reads and writes keys of every
// Region, in RESP2 and RESP3 (the node forwards to Region leaders on
// links that authenticate too), and PUBLISH reaches a subscriber on
// another node. Before the links authenticated, two thirds of these
// writes answered NOAUTH.
func TestClusterWithPassword(t *testing.T) {
	c := StartCluster(t, 3, "--requirepass", "sekret")
	ctx := context.Background()
	if got := Dial(t, c.Nodes[0].Addr).Do("PING"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("PING without the password: %q", got)
	}
	sub := redis.NewClient(&redis.Options{Addr: c.Nodes[2].Addr, Password: "sekret"})
	defer sub.Close()
	ps := sub.Subscribe(ctx, "events")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	for _, proto := range []int{2, 3} {
		rc := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr, Password: "sekret", Protocol: proto, MaxRetries: -1})
		defer rc.Close()
		keys := make([]string, 64)
		for i := range keys {
			keys[i] = fmt.Sprintf("p%d-key-%d", proto, i)
			if err := rc.Set(ctx, keys[i], i, 0).Err(); err != nil {
				t.Fatalf("RESP%d SET %s: %v", proto, keys[i], err)
			}
		}
		vals, err := rc.MGet(ctx, keys...).Result()
		if err != nil {
			t.Fatalf("RESP%d MGET: %v", proto, err)
		}
		for i, v := range vals {
			if v != strconv.Itoa(i) {
				t.Fatalf("RESP%d MGET %s: %v", proto, keys[i], v)
			}
		}
		if n, err := rc.Publish(ctx, "events", "hello").Result(); err != nil || n > 1 {
			t.Fatalf("RESP%d PUBLISH: %d, %v", proto, n, err)
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		m, err := ps.ReceiveMessage(rctx)
		cancel()
		if err != nil || m.Payload != "hello" {
			t.Fatalf("RESP%d: the subscriber on another node got %v, %v", proto, m, err)
		}
	}
}

// TestClusterMemberWithWipedDirIsRefused: a member restarted under its old
// node id with its data directory wiped is refused by the others and
// stops with an error saying why (it used to rejoin and crash on its first
// heartbeat with Raft's "tocommit out of range", after a window in which
// it could vote for a candidate missing acknowledged writes); the other
// two keep serving every acknowledged write.
func TestClusterMemberWithWipedDirIsRefused(t *testing.T) {
	c := StartCluster(t, 3)
	w := Dial(t, c.Nodes[0].Addr)
	for i := 0; i < 100; i++ {
		expectReply(t, w, "+OK\r\n", "SET", fmt.Sprint("k", i), fmt.Sprint("v", i))
	}
	victim := c.Nodes[2]
	victim.Kill()
	entries, err := os.ReadDir(victim.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "server.log" { // the log stays, to be read below
			if err := os.RemoveAll(filepath.Join(victim.Dir, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := victim.tryStart(); err == nil {
		// It came up before its peers' hellos arrived: it must stop soon.
		select {
		case <-victim.done:
			victim.cmd = nil
		case <-time.After(20 * time.Second):
			t.Fatalf("the wiped member is still running\n%s", logTail(victim.Log(), 20))
		}
	}
	log := victim.Log()
	if !strings.Contains(log, "was wiped or replaced") || strings.Contains(log, "panic:") {
		t.Fatalf("the wiped member's log does not say why it stopped, or it panicked:\n%s", logTail(log, 30))
	}
	if l := c.Nodes[0].Log() + c.Nodes[1].Log(); !strings.Contains(l, "refusing store 3") {
		t.Errorf("no member logged refusing store 3")
	}
	for i := 0; i < 100; i++ {
		expectReply(t, w, fmt.Sprintf("$%d\r\nv%d\r\n", len(fmt.Sprint("v", i)), i), "GET", fmt.Sprint("k", i))
	}
	expectReply(t, Dial(t, c.Nodes[1].Addr), "+OK\r\n", "SET", "after", "1")
}
