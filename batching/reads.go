package batching

import (
	"encoding/binary"
	"time"

	"go.etcd.io/raft/v3"

	"github.com/neokv/neokv/engine"
)

// Linearizable reads without log entries.
//
// ReadIndex: the round loop asks Raft once per Region per round for the
// commit index confirmed by a heartbeat quorum (ReadOnlySafe), for all the
// reads the Region received that round; when Raft answers, the reads go to
// the Region's apply worker, which runs them once it has applied up to
// that index. Followers serving READONLY connections use the same path
// (Raft forwards the request to the leader).
//
// Lease: every ReadIndex answered on a leader also proves that a quorum
// knew it as leader when the request was sent; none of them will vote for
// another candidate within an election timeout of that (CheckQuorum and
// PreVote), so the leader may serve reads from local state until
// sendTime + leaseFraction × election timeout. While reads keep coming, the
// round loop renews the lease before it runs out.

// KindRead marks a request as a read to run after a ReadIndex.
const KindRead byte = 3

const leaseFraction = 0.8

// readBatch is the reads of one Region waiting for one ReadIndex.
type readBatch struct {
	region *Region
	reqs   []request
	sent   time.Time
	lease  bool // renews the leader lease (may carry no reads)
}

// readJob asks an apply worker to run reads once applied >= index.
type readJob struct {
	index uint64
	reqs  []request
}

func (s *Store) leaseDuration() time.Duration {
	return time.Duration(float64(time.Duration(s.cfg.ElectionTicks)*s.cfg.TickInterval) * leaseFraction)
}

// CanReadLocally reports whether a read may be served from this replica's
// applied state right now: it leads, its lease is valid (always, for a
// single replica), and it has applied everything committed before its
// term began, so every write ever acknowledged is visible.
//
// With replicas it must also have applied everything it knows committed:
// a write is visible elsewhere before this leader applies it (a READONLY
// read on a follower waits for the leader's commit index and may run on
// the follower first), so a leader read that skipped a committed entry
// could return a value older than one a client already saw.
func (r *Region) CanReadLocally() bool {
	if !r.leader.Load() || r.applied.Load() < r.termStart.Load() {
		return false
	}
	if r.single.Load() {
		return true
	}
	r.readsWanted.Store(true)
	commit := r.commit.Load()
	if r.applied.Load() < commit {
		return false
	}
	return time.Now().UnixNano() < r.leaseUntil.Load()
}

// leaseReadIndex returns the index a read queued for this round can be
// served at without a ReadIndex round trip: while this replica leads under
// a valid lease no other leader can have committed anything, so its own
// commit index covers every write acknowledged or observed anywhere; the
// reads only wait on the apply worker until that index is applied.
func (s *Store) leaseReadIndex(r *Region) (uint64, bool) {
	if !r.leader.Load() || r.single.Load() || time.Now().UnixNano() >= r.leaseUntil.Load() {
		return 0, false
	}
	return max(r.commit.Load(), r.termStart.Load()), true
}

// issueReadIndex sends one ReadIndex for the Region's queued reads.
func (s *Store) issueReadIndex(r *Region, reqs []request, lease bool) {
	s.readSeq++
	var ctx [8]byte
	binary.BigEndian.PutUint64(ctx[:], s.readSeq)
	s.reads[s.readSeq] = &readBatch{region: r, reqs: reqs, sent: time.Now(), lease: lease}
	r.rn.ReadIndex(ctx[:])
	s.touch(r)
}

// handleReadStates routes Raft's answers to ReadIndex requests.
func (s *Store) handleReadStates(r *Region, states []raft.ReadState) {
	for _, rs := range states {
		if len(rs.RequestCtx) != 8 {
			continue
		}
		seq := binary.BigEndian.Uint64(rs.RequestCtx)
		b := s.reads[seq]
		if b == nil {
			continue
		}
		delete(s.reads, seq)
		if r.leader.Load() && b.sent.After(r.leaseBarrier) {
			until := b.sent.Add(s.leaseDuration()).UnixNano()
			if until > r.leaseUntil.Load() {
				r.leaseUntil.Store(until)
			}
		}
		if len(b.reqs) > 0 {
			w := r.applyWorker
			s.applyQs[w] = append(s.applyQs[w], regionMsg{region: r, reads: &readJob{index: rs.Index, reqs: b.reqs}})
		}
	}
}

// tickReads renews leases of leaders with read traffic and fails reads
// whose ReadIndex got no answer (leader lost, message dropped).
func (s *Store) tickReads(now time.Time) {
	for _, r := range s.regions {
		if !r.leader.Load() || r.single.Load() || !r.readsWanted.Load() {
			continue
		}
		r.wake()
		if time.Duration(r.leaseUntil.Load()-now.UnixNano()) < 3*s.cfg.TickInterval && !r.leaseRenewing {
			r.readsWanted.Store(false)
			r.leaseRenewing = true
			s.issueReadIndex(r, nil, true)
		}
	}
	timeout := 2 * time.Duration(s.cfg.ElectionTicks) * s.cfg.TickInterval
	for seq, b := range s.reads {
		if now.Sub(b.sent) > timeout {
			delete(s.reads, seq)
			for i := range b.reqs {
				b.reqs[i].cmd = nil
				failRequest(&b.reqs[i], ErrTryAgain)
			}
			if b.lease {
				b.region.leaseRenewing = false
			}
		}
	}
}

// runReads executes reads on an apply worker (applied >= their index).
func (s *Store) runReads(rd *engine.Reader, reqs []request) {
	now := time.Now().UnixMilli()
	for i := range reqs {
		req := &reqs[i]
		_ = engine.EachCommandIn(req.cmd, func(kind byte, argv [][]byte) error {
			cmd := s.cfg.Commands[string(argv[0])]
			if cmd == nil || cmd.Flags&engine.FlagWrite != 0 {
				req.reply.Error("ERR internal: not a read command")
				return nil
			}
			if err := rd.Exec(cmd, argv, now, req.reply); err != nil {
				s.log.Error("read failed", "cmd", cmd.Name, "err", err)
			}
			return nil
		})
		req.cmd = nil
		req.complete()
	}
}
