package tests

// Linearizability tests: concurrent clients run GET/SET/APPEND on a few keys
// of a 3-node cluster while a node is killed, restarted and partitioned;
// every operation's call and return time and result go into a history that
// porcupine checks against a key-value model. A second test runs the
// cluster with --unsafe-stale-reads (reads from local state on any replica)
// and asserts the checker does find the violation, so the first test's
// "linearizable" verdict means something.

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/redis/go-redis/v9"
)

// Faster failure detection: 50 ms ticks, 10-tick (500 ms) election timeout.
var linFlags = []string{"--raft-tick-ms", "50", "--raft-election-ticks", "10"}

const (
	opGet    = 'g'
	opSet    = 's'
	opAppend = 'a'
)

type kvInput struct {
	Op    byte
	Key   string
	Value string // SET / APPEND argument
}

type kvOutput struct {
	Value   string // GET result ("" for a missing key)
	Len     int64  // APPEND result (the new length)
	Unknown bool   // the write failed or timed out: it may or may not have happened
}

// kvModel is a register per key: GET must return the current value, SET
// replaces it, APPEND extends it (and must report the new length). A write
// whose outcome is unknown may take effect or not; since its return time is
// after everything else, porcupine may also place it last, where it changes
// nothing anyone observed.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(kvInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() interface{} { return "" },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		st := state.(string)
		in := input.(kvInput)
		out := output.(kvOutput)
		switch in.Op {
		case opGet:
			return out.Value == st, st
		case opSet:
			return true, in.Value
		case opAppend:
			next := st + in.Value
			return out.Unknown || out.Len == int64(len(next)), next
		}
		return false, st
	},
	DescribeOperation: func(input, output interface{}) string {
		in := input.(kvInput)
		out := output.(kvOutput)
		switch in.Op {
		case opGet:
			return fmt.Sprintf("get(%s) -> %q", in.Key, out.Value)
		case opSet:
			if out.Unknown {
				return fmt.Sprintf("set(%s, %q) -> ?", in.Key, in.Value)
			}
			return fmt.Sprintf("set(%s, %q)", in.Key, in.Value)
		default:
			if out.Unknown {
				return fmt.Sprintf("append(%s, %q) -> ?", in.Key, in.Value)
			}
			return fmt.Sprintf("append(%s, %q) -> %d", in.Key, in.Value, out.Len)
		}
	},
	DescribeState: func(state interface{}) string { return fmt.Sprintf("%q", state.(string)) },
}

// history collects operations from concurrent clients. Times are
// nanoseconds of the monotonic clock since the recorder was created.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
	// Operations whose outcome is unknown get their return time at the end.
	pending []porcupine.Operation

	ok, unknown, dropped atomic.Int64
}

func newHistory() *history { return &history{start: time.Now()} }

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// errNotSent marks a command that certainly never reached a server.
var errNotSent = errors.New("not sent")

// notSent reports whether err proves the command was never sent: the
// connection could not be made (refused, or the READONLY hand-shake failed).
func notSent(err error) bool {
	if errors.Is(err, errNotSent) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return true
	}
	return false
}

// do runs one operation through c and records it.
func (h *history) do(ctx context.Context, c *redis.Client, client int, in kvInput, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	call := h.now()
	var out kvOutput
	var err error
	switch in.Op {
	case opGet:
		out.Value, err = c.Get(ctx, in.Key).Result()
		if err == redis.Nil {
			out.Value, err = "", nil
		}
	case opSet:
		var s string
		s, err = c.Set(ctx, in.Key, in.Value, 0).Result()
		if err == nil && s != "OK" {
			err = fmt.Errorf("SET replied %q", s)
		}
	case opAppend:
		out.Len, err = c.Append(ctx, in.Key, in.Value).Result()
	}
	ret := h.now()
	op := porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.ops = append(h.ops, op)
		h.ok.Add(1)
	case in.Op == opGet || notSent(err):
		// A failed read constrains nothing; an unsent write never happened.
		h.dropped.Add(1)
	default:
		op.Output = kvOutput{Unknown: true}
		h.pending = append(h.pending, op)
		h.unknown.Add(1)
	}
	return err
}

// operations returns the history, unknown writes returning after everything.
func (h *history) operations() []porcupine.Operation {
	h.mu.Lock()
	defer h.mu.Unlock()
	end := h.now() + int64(time.Hour)
	out := append([]porcupine.Operation(nil), h.ops...)
	for _, op := range h.pending {
		op.Return = end
		out = append(out, op)
	}
	return out
}

// linClient is a go-redis client with one connection and short timeouts;
// readonly sends READONLY on every new connection.
func linClient(t testing.TB, addr string, readonly bool) *redis.Client {
	opt := &redis.Options{
		Addr:                  addr,
		Protocol:              2,
		DisableIdentity:       true,
		PoolSize:              1,
		MaxRetries:            -1,
		DialTimeout:           500 * time.Millisecond,
		ReadTimeout:           1500 * time.Millisecond,
		WriteTimeout:          1500 * time.Millisecond,
		ContextTimeoutEnabled: true,
		PoolTimeout:           2 * time.Second,
	}
	if readonly {
		opt.OnConnect = func(ctx context.Context, cn *redis.Conn) error {
			if err := cn.ReadOnly(ctx).Err(); err != nil {
				return fmt.Errorf("%w: READONLY: %v", errNotSent, err)
			}
			return nil
		}
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// adminDo sends one command to node i with a short timeout.
func adminDo(c *Cluster, i int, args ...interface{}) error {
	rc := redis.NewClient(&redis.Options{Addr: c.Nodes[i].Addr, Protocol: 2, DisableIdentity: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	defer rc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return rc.Do(ctx, args...).Err()
}

// isolate partitions store s (node s-1) from every other store: each side
// drops the other's Raft traffic.
func isolate(t *testing.T, c *Cluster, s int) {
	t.Helper()
	var others []interface{}
	for i := range c.Nodes {
		if i+1 == s {
			continue
		}
		others = append(others, strconv.Itoa(i+1))
		if err := adminDo(c, i, "neokv", "debug", "partition", strconv.Itoa(s)); err != nil {
			t.Errorf("partition on node %d: %v", i+1, err)
		}
	}
	if err := adminDo(c, s-1, append([]interface{}{"neokv", "debug", "partition"}, others...)...); err != nil {
		t.Errorf("partition on node %d: %v", s, err)
	}
}

func healAll(t *testing.T, c *Cluster) {
	t.Helper()
	for i, n := range c.Nodes {
		if n.cmd == nil {
			continue
		}
		if err := adminDo(c, i, "neokv", "debug", "heal"); err != nil {
			t.Errorf("heal on node %d: %v", i+1, err)
		}
	}
}

// busiestLeader returns the store leading the most Regions, as the first
// live node that answers sees it (0 if none is known).
func busiestLeader(c *Cluster) int {
	for i, n := range c.Nodes {
		if n.cmd == nil {
			continue
		}
		counts := c.LeaderCounts(i)
		best, bestN := 0, 0
		for s, k := range counts {
			if s >= 1 && s <= len(c.Nodes) && k > bestN {
				best, bestN = s, k
			}
		}
		if best != 0 {
			return best
		}
	}
	return 0
}

// checkHistory runs porcupine; on a violation, if keep is set, it writes
// the visualization and the raw history to files and returns the
// visualization's path.
func checkHistory(t *testing.T, ops []porcupine.Operation, timeout time.Duration, keep bool) (porcupine.CheckResult, string) {
	t.Helper()
	start := time.Now()
	res := porcupine.CheckOperationsTimeout(kvModel, ops, timeout)
	t.Logf("porcupine: %d operations, result %s in %v", len(ops), res, time.Since(start).Round(time.Millisecond))
	if res != porcupine.Illegal || !keep {
		return res, ""
	}
	_, info := porcupine.CheckOperationsVerbose(kvModel, ops, timeout)
	f, err := os.CreateTemp("", "neokv-linearizability-*.html")
	if err != nil {
		t.Logf("visualization: %v", err)
		return res, ""
	}
	path := f.Name()
	err = porcupine.Visualize(kvModel, info, f)
	_ = f.Close()
	if err != nil {
		t.Logf("visualization: %v", err)
	}
	// The raw history too, one operation a line, for offline digging.
	var b strings.Builder
	for _, op := range ops {
		in, out := op.Input.(kvInput), op.Output.(kvOutput)
		fmt.Fprintf(&b, "%d %d %d %c %s %q %q %d %v\n", op.ClientId, op.Call, op.Return, in.Op, in.Key, in.Value, out.Value, out.Len, out.Unknown)
	}
	hpath := strings.TrimSuffix(path, ".html") + ".history"
	if err := os.WriteFile(hpath, []byte(b.String()), 0o644); err == nil {
		t.Logf("raw history: %s", hpath)
	}
	return res, path
}

func TestLinearizabilityUnderFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster fault test")
	}
	testStart := time.Now()
	c := StartCluster(t, 3, linFlags...)
	t.Logf("cluster up in %v; leaders per store %v", time.Since(testStart).Round(time.Millisecond), c.LeaderCounts(0))

	keys := []string{"lin:a", "lin:b", "lin:c", "lin:d"}
	h := newHistory()
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(func() { stopLoad(); wg.Wait() }) }
	defer stop()

	// Clients 0-2: plain, one per node (writes and reads forwarded to
	// leaders). Clients 3-5: READONLY, one per node (reads on followers
	// through ReadIndex). Client 6: a second plain client on node 1.
	type spec struct {
		node     int
		readonly bool
		getPct   int
		setPct   int
	}
	specs := []spec{{0, false, 40, 25}, {1, false, 40, 25}, {2, false, 40, 25},
		{0, true, 70, 10}, {1, true, 70, 10}, {2, true, 70, 10}, {0, false, 50, 20}}
	for id, sp := range specs {
		cl := linClient(t, c.Nodes[sp.node].Addr, sp.readonly)
		wg.Add(1)
		go func(id int, sp spec, cl *redis.Client) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(id)*7919 + time.Now().UnixNano()))
			for seq := 0; ctx.Err() == nil; seq++ {
				in := kvInput{Key: keys[rng.Intn(len(keys))]}
				switch p := rng.Intn(100); {
				case p < sp.getPct:
					in.Op = opGet
				case p < sp.getPct+sp.setPct:
					in.Op, in.Value = opSet, fmt.Sprintf("s%d.%d;", id, seq)
				default:
					in.Op, in.Value = opAppend, fmt.Sprintf("a%d.%d;", id, seq)
				}
				if err := h.do(context.Background(), cl, id, in, 1500*time.Millisecond); err != nil {
					time.Sleep(time.Duration(20+rng.Intn(60)) * time.Millisecond)
				}
			}
		}(id, sp, cl)
	}

	phase := func(what string) {
		t.Logf("%6.2fs %s (ok %d, unknown %d, dropped %d)", time.Since(h.start).Seconds(), what,
			h.ok.Load(), h.unknown.Load(), h.dropped.Load())
	}
	phase("load started")
	time.Sleep(2 * time.Second)

	// Crash the busiest leader, bring it back 3 s later.
	victim := busiestLeader(c)
	if victim == 0 {
		victim = 1
	}
	phase(fmt.Sprintf("SIGKILL store %d", victim))
	c.Nodes[victim-1].Kill()
	time.Sleep(3 * time.Second)
	phase(fmt.Sprintf("restart store %d", victim))
	c.Nodes[victim-1].Restart()
	phase(fmt.Sprintf("store %d answers PING", victim))
	time.Sleep(2500 * time.Millisecond)

	// Isolate the store now leading the most Regions for 3 s.
	part := busiestLeader(c)
	if part == 0 {
		part = 3
	}
	phase(fmt.Sprintf("partition store %d from the others", part))
	isolate(t, c, part)
	time.Sleep(3 * time.Second)
	phase("heal")
	healAll(t, c)
	time.Sleep(2500 * time.Millisecond)
	phase("stopping load")
	stop()
	phase("load stopped")

	ops := h.operations()
	perKind := map[byte]int{}
	for _, op := range ops {
		perKind[op.Input.(kvInput).Op]++
	}
	t.Logf("history: %d gets, %d sets, %d appends recorded (%d with unknown outcome), %d dropped",
		perKind[opGet], perKind[opSet], perKind[opAppend], h.unknown.Load(), h.dropped.Load())
	if h.ok.Load() < 200 {
		t.Fatalf("only %d operations succeeded: the workload did not really run", h.ok.Load())
	}
	res, vis := checkHistory(t, ops, 45*time.Second, true)
	switch res {
	case porcupine.Ok:
	case porcupine.Illegal:
		// Keep the servers' logs for the post-mortem (their directories
		// go away with the test).
		for i, n := range c.Nodes {
			lp := strings.TrimSuffix(vis, ".html") + fmt.Sprintf(".node%d.log", i+1)
			if os.WriteFile(lp, []byte(n.Log()), 0o644) == nil {
				t.Logf("node %d log: %s", i+1, lp)
			}
		}
		t.Fatalf("history is NOT linearizable (history time 0 = %s); visualization: %s",
			h.start.Format("15:04:05.000000"), vis)
	default:
		t.Fatalf("porcupine could not decide within its time bound (result %s)", res)
	}
	t.Logf("total %v", time.Since(testStart).Round(time.Millisecond))
}

// TestLinearizabilityCheckerCatchesStaleReads proves the check can fail:
// with --unsafe-stale-reads every replica reads its own applied state, so a
// GET on a follower issued right after a SET was acknowledged can miss it.
func TestLinearizabilityCheckerCatchesStaleReads(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster fault test")
	}
	testStart := time.Now()
	c := StartCluster(t, 3, append([]string{"--unsafe-stale-reads"}, linFlags...)...)
	t.Logf("cluster up in %v", time.Since(testStart).Round(time.Millisecond))

	deadline := time.Now().Add(20 * time.Second)
	partitioned := 0
	defer func() {
		if partitioned != 0 {
			healAll(t, c)
		}
	}()
	for round := 1; time.Now().Before(deadline); round++ {
		// After a few rounds of racing replication, make the staleness
		// certain: cut one store off so it stops receiving writes.
		if round == 4 {
			partitioned = 3
			t.Logf("no violation after 3 rounds: isolating store %d", partitioned)
			isolate(t, c, partitioned)
		}
		key := fmt.Sprintf("stale:%d", round)
		h := newHistory()
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		var wg sync.WaitGroup
		// Writers: SET then immediately GET the same key on every node, in
		// sequence, so each GET starts after the SET returned.
		for w := 0; w < 2; w++ {
			writer := linClient(t, c.Nodes[w].Addr, false)
			readers := make([]*redis.Client, len(c.Nodes))
			for i := range c.Nodes {
				readers[i] = linClient(t, c.Nodes[i].Addr, false)
			}
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for seq := 0; ctx.Err() == nil; seq++ {
					in := kvInput{Op: opSet, Key: key, Value: fmt.Sprintf("w%d.%d", w, seq)}
					if w == 1 {
						in = kvInput{Op: opAppend, Key: key, Value: fmt.Sprintf("w%d.%d;", w, seq)}
					}
					// One sequential process: porcupine client w.
					_ = h.do(context.Background(), writer, w, in, time.Second)
					for _, rc := range readers {
						_ = h.do(context.Background(), rc, w, kvInput{Op: opGet, Key: key}, time.Second)
					}
				}
			}(w)
		}
		// READONLY readers hammering the followers concurrently.
		for i := range c.Nodes {
			rc := linClient(t, c.Nodes[i].Addr, true)
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				for ctx.Err() == nil {
					_ = h.do(context.Background(), rc, 2+i, kvInput{Op: opGet, Key: key}, time.Second)
				}
			}(i)
		}
		wg.Wait()
		cancel()
		ops := h.operations()
		res, _ := checkHistory(t, ops, 10*time.Second, false)
		t.Logf("round %d: %d ops (unknown %d, dropped %d): %s", round, len(ops), h.unknown.Load(), h.dropped.Load(), res)
		if res == porcupine.Illegal {
			t.Logf("stale read detected as expected after %v", time.Since(testStart).Round(time.Millisecond))
			return
		}
	}
	t.Fatalf("no linearizability violation found within 20 s with --unsafe-stale-reads: the checker (or the workload) cannot see stale reads")
}
