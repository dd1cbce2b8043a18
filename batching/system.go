package batching

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/tracker"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// StateMachine is the state of a system Region: a Raft group of the store
// that holds no slots but replicated metadata (the MetaServer's group).
// Apply must be deterministic: every replica applies the same commands in
// the same order and must reach the same state.
type StateMachine interface {
	Apply(index uint64, cmd []byte) []byte
	Snapshot() []byte
	Restore(state []byte) error
}

// SystemRegion names a system Region and its state machine.
type SystemRegion struct {
	ID uint64
	SM StateMachine
}

// kindSystem marks commands of system Regions in entries.
const kindSystem byte = 2

// ErrNotLeader is returned by ProposeSystem on a replica that does not lead.
var ErrNotLeader = errors.New("not the leader")

// SystemRegion returns the system Region with id, or nil.
func (s *Store) SystemRegion(id uint64) *Region {
	r := s.byID[id]
	if r == nil || r.sm == nil {
		return nil
	}
	return r
}

// ProposeSystem replicates cmd through a system Region and returns what its
// state machine answered. It blocks until the command is applied here.
func (s *Store) ProposeSystem(ctx context.Context, region uint64, cmd []byte) ([]byte, error) {
	r := s.SystemRegion(region)
	if r == nil {
		return nil, fmt.Errorf("no system region %d", region)
	}
	if !r.IsLeader() {
		return nil, ErrNotLeader
	}
	done := make(chanCompletion, 1)
	var w resp.Writer
	b := NewBatch()
	b.Add(r, kindSystem, [][]byte{cmd}, &w, done, 0)
	s.Submit(b)
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if len(w.B) > 0 && w.B[0] == '-' {
		return nil, errors.New(string(w.B[1 : len(w.B)-2]))
	}
	elems, ok := resp.ArrayElems(append([]byte("*1\r\n"), w.B...), nil)
	if !ok || len(elems) != 1 {
		return nil, fmt.Errorf("bad system reply %q", w.B)
	}
	return bulkBody(elems[0]), nil
}

func bulkBody(b []byte) []byte {
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' {
			return b[i+1 : len(b)-2]
		}
	}
	return nil
}

// chanCompletion signals a channel when the request completes.
type chanCompletion chan struct{}

func (c chanCompletion) Complete(uint64) { c <- struct{}{} }

// applySystem applies a system Region's entry.
func (s *Store) applySystem(r *Region, index uint64, data []byte, sink engine.ReplySink) error {
	return engine.EachCommand(data, func(i int, kind byte, argv [][]byte) error {
		if kind != kindSystem || len(argv) != 1 {
			return fmt.Errorf("system region %d: unexpected command kind %d", r.id, kind)
		}
		rep := r.sm.Apply(index, argv[0])
		if sink != nil {
			if w := sink.ReplyWriter(i); w != nil {
				w.Bulk(rep)
			}
		}
		return nil
	})
}

// TransferLeader asks a Region's leader here to hand leadership to its
// replica on store `to`.
func (s *Store) TransferLeader(region, to uint64) error {
	r := s.byID[region]
	if r == nil {
		return fmt.Errorf("no region %d", region)
	}
	p, ok := r.desc.Load().PeerOnStore(to)
	if !ok {
		return fmt.Errorf("region %d has no replica on store %d", region, to)
	}
	s.runInLoop(func() {
		if r.leader.Load() {
			r.rn.TransferLeader(p.ID)
			s.touch(r)
		}
	})
	return nil
}

// runInLoop queues fn to run on the round loop, which owns the RawNodes.
func (s *Store) runInLoop(fn func()) {
	s.mu.Lock()
	s.inOps = append(s.inOps, fn)
	s.mu.Unlock()
	s.notify()
}

// RegionStatus is a Region replica's Raft position, for heartbeats and INFO.
type RegionStatus struct {
	ID          uint64
	Leader      bool
	LeaderStore uint64
	Term        uint64
	Commit      uint64
	Applied     uint64
	Desc        engine.RegionDesc
}

// Status returns the replica's status.
func (r *Region) Status() RegionStatus {
	return RegionStatus{ID: r.id, Leader: r.IsLeader(), LeaderStore: r.LeaderStore(), Term: r.Term(),
		Commit: r.Commit(), Applied: r.Applied(), Desc: *r.Desc()}
}

// IsSystem reports whether the Region is a system Region (no slots).
func (r *Region) IsSystem() bool { return r.sm != nil }

// ReplicasAt returns how many replicas of region other than its leader
// hold the log up to index, as the leader here tracks them (0 on a
// follower: ask the leader's node).
func (s *Store) ReplicasAt(r *Region, index uint64) int {
	ch := make(chan int, 1)
	s.runInLoop(func() {
		n := 0
		if r.leader.Load() {
			r.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
				if id != r.peerID && pr.Match >= index {
					n++
				}
			})
		}
		ch <- n
	})
	select {
	case n := <-ch:
		return n
	case <-s.stopc:
		return 0
	}
}
