package netio

import (
	"math/bits"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// commandStats keeps what Redis reports in INFO commandstats, errorstats
// and latencystats and in LATENCY HISTOGRAM: per command, its calls, the
// calls that answered an error (failed) or were refused before running
// (rejected: arity, authentication, subscribed context), the time until
// the reply was ready and a histogram of it; per error prefix, a count.
//
// Counters are sharded by event loop: a loop only ever adds to its own
// shard, so loops never contend on a cache line; readers sum the shards.
// The time counted is the server's, from the command's dispatch to its
// reply being ready: for a write that includes reaching a majority of the
// Region's replicas, where Redis counts only the execution. Blocking
// commands count calls but no time (Redis leaves out the time blocked);
// commands queued in MULTI count under EXEC; subcommands count under their
// command (Redis 7 reports "config|get" apart). Forwarding links from
// other nodes are not counted: each command counts once, on the node its
// client sent it to.
type commandStats struct {
	ncmds int // commands with an id (command.id < ncmds)

	mu     sync.Mutex
	shards map[gnet.EventLoop]*statShard
	all    atomic.Pointer[[]*statShard] // every shard, for readers

	errMu    sync.Mutex
	errors   map[string]uint64 // error prefix -> replies (errorstats)
	errTotal atomic.Uint64     // total_error_replies
}

// maxErrorPrefixes bounds errorstats as Redis does (128 distinct
// prefixes); further prefixes count only in total_error_replies.
const maxErrorPrefixes = 128

// statShard holds one event loop's counters: per command (indexed by
// command.id), and the key lookups of its connections' reads.
type statShard struct {
	cmds     []cmdCounters
	keyspace engine.KeyspaceCounts
}

type cmdCounters struct {
	calls, failed, rejected, nanos atomic.Uint64
	hist                           atomic.Pointer[latencyHist] // made at the first timed call
}

func newCommandStats(ncmds int) *commandStats {
	cs := &commandStats{ncmds: ncmds, shards: map[gnet.EventLoop]*statShard{}, errors: map[string]uint64{}}
	cs.all.Store(&[]*statShard{})
	return cs
}

// shardFor returns the shard of the event loop that serves c (made on the
// loop's first connection).
func (cs *commandStats) shardFor(c gnet.Conn) *statShard {
	loop := c.EventLoop()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	sh := cs.shards[loop]
	if sh == nil {
		sh = &statShard{cmds: make([]cmdCounters, cs.ncmds)}
		cs.shards[loop] = sh
		all := append(append([]*statShard(nil), *cs.all.Load()...), sh)
		cs.all.Store(&all)
	}
	return sh
}

// record counts a call of cmd that took d, failed if it answered an error.
func (sh *statShard) record(cmd *command, d time.Duration, failed bool) {
	c := &sh.cmds[cmd.id]
	c.calls.Add(1)
	if failed {
		c.failed.Add(1)
	}
	if d < 0 {
		d = 0
	}
	c.nanos.Add(uint64(d))
	h := c.hist.Load()
	if h == nil {
		h = new(latencyHist)
		if !c.hist.CompareAndSwap(nil, h) {
			h = c.hist.Load()
		}
	}
	h[latencyBucket(uint64(d))].Add(1)
}

// countError counts an error reply by its prefix (its first word, as
// Redis's errorstats).
func (cs *commandStats) countError(reply []byte) {
	cs.errTotal.Add(1)
	// "-PREFIX rest\r\n", or RESP3's "!len\r\nPREFIX rest\r\n".
	if len(reply) > 0 && reply[0] == '!' {
		if i := strings.IndexByte(string(reply), '\n'); i >= 0 {
			reply = reply[i+1:]
		}
	} else if len(reply) > 0 {
		reply = reply[1:]
	}
	end := 0
	for end < len(reply) && end < 64 && reply[end] != ' ' && reply[end] != '\r' && reply[end] != '\n' {
		end++
	}
	prefix := string(reply[:end])
	cs.errMu.Lock()
	if _, ok := cs.errors[prefix]; ok || len(cs.errors) < maxErrorPrefixes {
		cs.errors[prefix]++
	}
	cs.errMu.Unlock()
}

// isErrorReply reports whether a reply is an error (RESP2/3 simple or
// RESP3 blob error).
func isErrorReply(reply []byte) bool {
	return len(reply) > 0 && (reply[0] == '-' || reply[0] == '!')
}

func (cs *commandStats) reset() {
	for _, sh := range *cs.all.Load() {
		for i := range sh.cmds {
			c := &sh.cmds[i]
			c.calls.Store(0)
			c.failed.Store(0)
			c.rejected.Store(0)
			c.nanos.Store(0)
			c.hist.Store(nil)
		}
	}
	cs.errMu.Lock()
	clear(cs.errors)
	cs.errMu.Unlock()
	cs.errTotal.Store(0)
	for _, sh := range *cs.all.Load() {
		sh.keyspace.Reset()
	}
}

// keyspaceHits sums the event loops' key lookups (keyspace_hits/misses).
func (cs *commandStats) keyspaceHits() (hits, misses uint64) {
	for _, sh := range *cs.all.Load() {
		h, m := sh.keyspace.Load()
		hits += h
		misses += m
	}
	return hits, misses
}

// cmdTotals is a command's counters summed over the shards.
type cmdTotals struct {
	calls, failed, rejected, nanos uint64
	hist                           latencyCounts
}

// totals sums cmd's counters over the shards, and its histogram too if
// withHist (commandstats needs none).
func (cs *commandStats) totals(cmd *command, withHist bool) cmdTotals {
	var t cmdTotals
	for _, sh := range *cs.all.Load() {
		c := &sh.cmds[cmd.id]
		t.calls += c.calls.Load()
		t.failed += c.failed.Load()
		t.rejected += c.rejected.Load()
		t.nanos += c.nanos.Load()
		if h := c.hist.Load(); h != nil && withHist {
			for i := range h {
				t.hist[i] += h[i].Load()
			}
		}
	}
	return t
}

// commandLines are INFO commandstats' lines, in command name order.
func (s *Server) commandLines() []string {
	var out []string
	for _, cmd := range s.sortedCommands() {
		t := s.stats.totals(cmd, false)
		if t.calls == 0 && t.rejected == 0 {
			continue
		}
		usec := t.nanos / 1000
		perCall := 0.0
		if t.calls > 0 {
			perCall = float64(t.nanos) / 1000 / float64(t.calls)
		}
		out = append(out, "cmdstat_"+cmd.name+":calls="+strconv.FormatUint(t.calls, 10)+
			",usec="+strconv.FormatUint(usec, 10)+
			",usec_per_call="+strconv.FormatFloat(perCall, 'f', 2, 64)+
			",rejected_calls="+strconv.FormatUint(t.rejected, 10)+
			",failed_calls="+strconv.FormatUint(t.failed, 10))
	}
	return out
}

// latencyLines are INFO latencystats' lines: p50, p99 and p99.9 of each
// command's time, in microseconds, as Redis's default
// latency-tracking-info-percentiles.
func (s *Server) latencyLines() []string {
	var out []string
	for _, cmd := range s.sortedCommands() {
		t := s.stats.totals(cmd, true)
		n := t.hist.total()
		if n == 0 {
			continue
		}
		out = append(out, "latency_percentiles_usec_"+cmd.name+
			":p50="+usecString(t.hist.percentile(50, n))+
			",p99="+usecString(t.hist.percentile(99, n))+
			",p99.9="+usecString(t.hist.percentile(99.9, n)))
	}
	return out
}

func usecString(nanos uint64) string {
	return strconv.FormatFloat(float64(nanos)/1000, 'f', 3, 64)
}

// errorLines are INFO errorstats' lines, by prefix.
func (s *Server) errorLines() []string {
	s.stats.errMu.Lock()
	prefixes := make([]string, 0, len(s.stats.errors))
	for p := range s.stats.errors {
		prefixes = append(prefixes, p)
	}
	sort.Strings(prefixes)
	out := make([]string, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, "errorstat_"+p+":count="+strconv.FormatUint(s.stats.errors[p], 10))
	}
	s.stats.errMu.Unlock()
	return out
}

// writeLatencyHistograms answers LATENCY HISTOGRAM [command ...]: for each
// named command (every command without names) that has timed calls, its
// calls and the cumulative count of calls at or under each power-of-two
// bound, as Redis (bounds of 1024 ns doubling, printed in microseconds the
// way Redis's HdrHistogram iteration prints them; a bound is listed only
// where the count grew).
func (s *Server) writeLatencyHistograms(w *resp.Writer, names [][]byte) {
	var cmds []*command
	if len(names) == 0 {
		cmds = s.sortedCommands()
	} else {
		for _, n := range names {
			if c := s.lookup(n); c != nil {
				cmds = append(cmds, c)
			}
		}
	}
	type entry struct {
		name string
		t    cmdTotals
	}
	var with []entry
	for _, c := range cmds {
		if t := s.stats.totals(c, true); t.hist.total() > 0 {
			with = append(with, entry{c.name, t})
		}
	}
	w.Map(len(with))
	for _, e := range with {
		w.BulkString(e.name)
		w.Map(2)
		w.BulkString("calls")
		n := e.t.hist.total()
		w.Int(int64(n))
		w.BulkString("histogram_usec")
		var bounds, counts []int64
		var cum, prev uint64
		next := 0
		for k := 0; cum < n && k < 40; k++ {
			bound := uint64(1024) << k
			for next < latencyBuckets && latencyBucketLow(next) < bound {
				cum += e.t.hist[next]
				next++
			}
			if k == 39 { // the last bound takes the rest
				cum = n
			}
			if cum > prev {
				bounds = append(bounds, int64((bound+bound/128-1)/1000))
				counts = append(counts, int64(cum))
			}
			prev = cum
		}
		w.Map(len(bounds))
		for i := range bounds {
			w.Int(bounds[i])
			w.Int(counts[i])
		}
	}
}

// A latency histogram in nanoseconds: exact below 16, then 16 buckets per
// power of two (6.25 % wide), up to 2^44 ns (4.9 hours; longer counts
// there).
const (
	latencySubBits = 4
	latencySub     = 1 << latencySubBits
	latencyMaxExp  = 44
	latencyBuckets = latencySub + (latencyMaxExp-latencySubBits)*latencySub
)

type latencyHist [latencyBuckets]atomic.Uint64

type latencyCounts [latencyBuckets]uint64

func latencyBucket(v uint64) int {
	if v < latencySub {
		return int(v)
	}
	e := bits.Len64(v) - 1
	if e >= latencyMaxExp {
		return latencyBuckets - 1
	}
	sub := int(v>>(e-latencySubBits)) & (latencySub - 1)
	return latencySub + (e-latencySubBits)*latencySub + sub
}

// latencyBucketLow is the smallest value of bucket i.
func latencyBucketLow(i int) uint64 {
	if i < latencySub {
		return uint64(i)
	}
	e := (i-latencySub)/latencySub + latencySubBits
	sub := uint64((i - latencySub) % latencySub)
	return (latencySub + sub) << (e - latencySubBits)
}

// latencyBucketHigh is the largest value of bucket i.
func latencyBucketHigh(i int) uint64 {
	if i+1 >= latencyBuckets {
		return latencyBucketLow(i)<<1 - 1
	}
	return latencyBucketLow(i+1) - 1
}

func (h *latencyCounts) total() uint64 {
	var n uint64
	for _, c := range h {
		n += c
	}
	return n
}

// percentile is the largest value of the bucket holding the p-th
// percentile of n samples (as HdrHistogram's highest equivalent value).
func (h *latencyCounts) percentile(p float64, n uint64) uint64 {
	target := uint64(p / 100 * float64(n))
	if float64(target) < p/100*float64(n) {
		target++
	}
	target = max(target, 1)
	var cum uint64
	for i, c := range h {
		cum += c
		if cum >= target {
			return latencyBucketHigh(i)
		}
	}
	return latencyBucketHigh(latencyBuckets - 1)
}
