package engine

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyMonitor is Redis's latency monitor (LATENCY LATEST, HISTORY,
// RESET): with latency-monitor-threshold set (milliseconds; 0, the
// default, is off), each event that took at least that long is recorded,
// one sample per event per second (the second's highest), the last 160
// kept. NeoKV's events:
//   - "command": a command's own execution, as SLOWLOG times it;
//   - "raft-log-fsync": the Raft log's write and fdatasync (the wait of
//     every write; the counterpart of Redis's "aof-fsync-always");
//   - "apply-batch": one apply batch of committed entries.
type LatencyMonitor struct {
	threshold atomic.Int64 // milliseconds; 0: off
	mu        sync.Mutex
	events    map[string]*latencyEvent
}

// LatencySample is one recorded second of an event.
type LatencySample struct{ Unix, Millis int64 }

type latencyEvent struct {
	samples []LatencySample // oldest first
	max     int64
}

const latencySamples = 160

func newLatencyMonitor() *LatencyMonitor {
	return &LatencyMonitor{events: map[string]*latencyEvent{}}
}

// SetThreshold sets latency-monitor-threshold in milliseconds (0: off).
func (m *LatencyMonitor) SetThreshold(ms int64) { m.threshold.Store(ms) }

// Observe records event if it took at least the threshold.
func (m *LatencyMonitor) Observe(event string, d time.Duration) {
	th := m.threshold.Load()
	ms := d.Milliseconds()
	if th <= 0 || ms < th {
		return
	}
	now := time.Now().Unix()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.events[event]
	if e == nil {
		e = &latencyEvent{}
		m.events[event] = e
	}
	e.max = max(e.max, ms)
	if n := len(e.samples); n > 0 && e.samples[n-1].Unix == now {
		e.samples[n-1].Millis = max(e.samples[n-1].Millis, ms)
		return
	}
	e.samples = append(e.samples, LatencySample{Unix: now, Millis: ms})
	if over := len(e.samples) - latencySamples; over > 0 {
		e.samples = append(e.samples[:0], e.samples[over:]...)
	}
}

// LatencyLatest is an event's latest sample and its all-time maximum.
type LatencyLatest struct {
	Event  string
	Latest LatencySample
	Max    int64
}

// Latest returns every event with samples, by name.
func (m *LatencyMonitor) Latest() []LatencyLatest {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []LatencyLatest
	for name, e := range m.events {
		if len(e.samples) > 0 {
			out = append(out, LatencyLatest{Event: name, Latest: e.samples[len(e.samples)-1], Max: e.max})
		}
	}
	slices.SortFunc(out, func(a, b LatencyLatest) int {
		switch {
		case a.Event < b.Event:
			return -1
		case a.Event > b.Event:
			return 1
		}
		return 0
	})
	return out
}

// History returns event's samples, oldest first.
func (m *LatencyMonitor) History(event string) []LatencySample {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.events[event]; e != nil {
		return slices.Clone(e.samples)
	}
	return nil
}

// Reset forgets the named events (none: all) and returns how many it
// forgot.
func (m *LatencyMonitor) Reset(events ...string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(events) == 0 {
		n := len(m.events)
		clear(m.events)
		return n
	}
	n := 0
	for _, ev := range events {
		if _, ok := m.events[ev]; ok {
			delete(m.events, ev)
			n++
		}
	}
	return n
}
