package engine

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// SlowLog keeps the last commands whose execution took at least a
// threshold, for SLOWLOG. As in Redis, the time is the command's own
// execution (its apply, or its read on the read path), not the Raft
// replication and log fsync a write waits for: those show in INFO neokv
// and /metrics. Every replica logs the slow commands it applies, as a Redis
// replica does.
//
// Departures from Redis: commands Redis flags fast (O(1) or O(log n): GET,
// INCR, HGET ...) are not timed, since two clock reads (~90 ns here) would
// add a quarter to a cached GET on the read path; nor are server commands
// (CONFIG, INFO, ...), the commands inside MULTI/EXEC, or NeoKV's own
// (expiry) entries. KEYS and SCAN are. Entries carry no client address or
// name (the engine does not know the client); SLOWLOG answers them empty.
type SlowLog struct {
	// threshold in microseconds; negative: off (slowlog-log-slower-than).
	threshold atomic.Int64
	mu        sync.Mutex
	maxLen    int
	nextID    int64
	entries   []SlowEntry // oldest first
	// latency gets every timed command, for the "command" event.
	latency *LatencyMonitor
}

// SlowEntry is one logged command.
type SlowEntry struct {
	ID     int64
	Unix   int64 // seconds, when it started
	Micros int64
	Argv   [][]byte // trimmed as Redis trims them
}

// Redis's limits on what an entry keeps of a command.
const (
	slowMaxArgs  = 32
	slowMaxBytes = 128
)

func newSlowLog(latency *LatencyMonitor) *SlowLog {
	l := &SlowLog{maxLen: 128, latency: latency}
	l.threshold.Store(10000)
	return l
}

// Start returns the time to measure a command from, or the zero time when
// the log is off (sparing the clock reads).
func (l *SlowLog) Start() time.Time {
	if l.threshold.Load() < 0 && l.latency.threshold.Load() <= 0 {
		return time.Time{}
	}
	return time.Now()
}

// Done logs argv if it ran at least the threshold since start.
func (l *SlowLog) Done(start time.Time, argv [][]byte) {
	if start.IsZero() {
		return
	}
	took := time.Since(start)
	l.latency.Observe("command", took)
	d := took.Microseconds()
	if th := l.threshold.Load(); th < 0 || d < th {
		return
	}
	n := min(len(argv), slowMaxArgs)
	kept := make([][]byte, n)
	for i := range n {
		a := argv[i]
		switch {
		case i == slowMaxArgs-1 && len(argv) > slowMaxArgs:
			a = []byte("... (" + strconv.Itoa(len(argv)-slowMaxArgs+1) + " more arguments)")
		case len(a) > slowMaxBytes:
			a = append(append([]byte(nil), a[:slowMaxBytes]...), "... ("+strconv.Itoa(len(a)-slowMaxBytes)+" more bytes)"...)
		default:
			a = append([]byte(nil), a...)
		}
		kept[i] = a
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, SlowEntry{ID: l.nextID, Unix: start.Unix(), Micros: d, Argv: kept})
	l.nextID++
	l.trim()
}

func (l *SlowLog) trim() {
	if over := len(l.entries) - l.maxLen; over > 0 {
		l.entries = append(l.entries[:0], l.entries[over:]...)
	}
}

// SetThreshold sets slowlog-log-slower-than in microseconds (negative: off).
func (l *SlowLog) SetThreshold(micros int64) { l.threshold.Store(micros) }

// SetMaxLen sets slowlog-max-len, dropping the oldest entries beyond it.
func (l *SlowLog) SetMaxLen(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.maxLen = n
	l.trim()
}

// Newest returns up to n entries, newest first (n < 0: all).
func (l *SlowLog) Newest(n int) []SlowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]SlowEntry, n)
	for i := range out {
		out[i] = l.entries[len(l.entries)-1-i]
	}
	return out
}

// Len returns how many entries the log holds.
func (l *SlowLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// Reset empties the log.
func (l *SlowLog) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.entries)
	l.entries = l.entries[:0]
}
