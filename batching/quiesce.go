package batching

import (
	"bytes"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
)

// Quiescence (as CockroachDB and TiKV's hibernate Regions do): a Region
// with nothing to do stops ticking, so thousands of idle Regions cost no
// heartbeats and no Ready work. A leader that has been idle for
// quiesceTicks, with every follower caught up, sends each follower a final
// heartbeat marked quiesceCtx and stops ticking; a follower receiving it
// stops ticking too. Any other message, proposal or read wakes the Region.
// A quiesced follower whose leader's store stops sending anything (the
// transport's store-level keepalives) wakes up and ticks, so a dead
// leader is still replaced after an election timeout.

const quiesceTicks = 20

var quiesceCtx = []byte("neokv-quiesce")

func isQuiesceHeartbeat(m *raftpb.Message) bool {
	return m.Type == raftpb.MsgHeartbeat && bytes.Equal(m.Context, quiesceCtx)
}

// wake makes a Region tick again.
func (r *Region) wake() {
	r.quiesced = false
	r.idleTicks = 0
}

// tickRegion advances a Region's clock unless it is quiesced, and decides
// whether a leader may quiesce now.
func (s *Store) tickRegion(r *Region) {
	if r.quiesced {
		if !r.leader.Load() {
			if ls := r.LeaderStore(); ls != 0 && ls != s.cfg.StoreID && s.cfg.Transport != nil && !s.cfg.Transport.PeerAlive(ls) {
				r.wake()
			}
		}
		if r.quiesced {
			return
		}
	}
	// Decide before ticking: a tick queues heartbeats (a pending Ready).
	if r.idleTicks >= quiesceTicks && r.leader.Load() && s.canQuiesce(r) {
		s.quiesce(r)
		s.touch(r)
		return
	}
	r.rn.Tick()
	s.touch(r)
	r.idleTicks++
}

// canQuiesce: everything is committed and every follower has it all.
func (s *Store) canQuiesce(r *Region) bool {
	if len(r.props) > 0 || len(r.readReqs) > 0 || len(r.waiting) > 0 || r.leaseRenewing || r.rn.HasReady() {
		return false
	}
	st := r.rn.BasicStatus()
	if st.LeadTransferee != 0 {
		return false
	}
	var self uint64
	ok := true
	r.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if id == r.peerID {
			self = pr.Match
		}
	})
	r.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if pr.Match != self || pr.State == tracker.StateSnapshot {
			ok = false
		}
	})
	return ok && st.Commit == self && r.applied.Load() == self
}

func (s *Store) quiesce(r *Region) {
	st := r.rn.BasicStatus()
	for _, p := range r.desc.Load().Peers {
		if p.ID == r.peerID {
			continue
		}
		s.out.add(r, raftpb.Message{Type: raftpb.MsgHeartbeat, To: p.ID, From: r.peerID, Term: st.Term,
			Commit: st.Commit, Context: quiesceCtx})
	}
	r.quiesced = true
	r.leaseUntil.Store(0) // no lease renewals while asleep; reads wake it
}
