package batching

import (
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// proposal is an entry this store proposed and is waiting to apply.
type proposal struct {
	region   *Region
	reqs     []request
	proposed time.Time
	// term is the leader term the entry was proposed in; inDoubt: its
	// leader stepped down before it applied, so it waits to learn whether
	// a later leader committed it (see pendingTable.markInDoubt).
	term    uint64
	inDoubt bool
	// data is the entry (shared with the Raft log, not copied): what the
	// requests asked, if they must be answered without applying it.
	data []byte
	// atCommit counts the requests still to be answered at commit.
	atCommit int
}

var proposalPool = sync.Pool{New: func() any { return &proposal{} }}

// ReplyWriter implements engine.ReplySink.
func (p *proposal) ReplyWriter(i int) *resp.Writer {
	if i < len(p.reqs) {
		return p.reqs[i].reply
	}
	return nil
}

func (p *proposal) completeAll() {
	for i := range p.reqs {
		p.reqs[i].complete()
	}
	p.recycle()
}

func (p *proposal) recycle() {
	clear(p.reqs)
	p.reqs = p.reqs[:0]
	p.region = nil
	p.data = nil
	p.term, p.inDoubt = 0, false
	p.atCommit = 0
	proposalPool.Put(p)
}

// pendingTable maps proposal sequence numbers to proposals. The round loop
// adds, the apply loop takes.
type pendingTable struct {
	mu sync.Mutex
	m  map[uint64]*proposal
	// inDoubt counts the proposals in doubt, for the round loop's timeout.
	inDoubt atomic.Int64
}

func (t *pendingTable) put(seq uint64, p *proposal) {
	t.mu.Lock()
	t.m[seq] = p
	t.mu.Unlock()
}

// peek returns the proposal of seq, leaving it in the table.
func (t *pendingTable) peek(seq uint64) *proposal {
	t.mu.Lock()
	p := t.m[seq]
	t.mu.Unlock()
	return p
}

func (t *pendingTable) take(seq uint64) *proposal {
	t.mu.Lock()
	p := t.m[seq]
	if p != nil {
		delete(t.m, seq)
		t.settled(p)
	}
	t.mu.Unlock()
	return p
}

// settled notes that p, taken out of the table, is no longer in doubt.
func (t *pendingTable) settled(p *proposal) {
	if p.inDoubt {
		p.region.inDoubt.Add(-1)
		t.inDoubt.Add(-1)
	}
}

func (t *pendingTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// markInDoubt marks the proposals of region r, whose leadership this
// store lost, as in doubt and returns how many it marked. Each may still
// commit under the next leader: answering it before it is known would let
// a client retry a write that then applies twice. Its fate is known when it
// applies (take), or once an entry of a later term applies without it: the
// committed log never holds an entry of term t after one of a later term
// (takeDecided).
func (t *pendingTable) markInDoubt(r *Region) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.m {
		if p.region == r && !p.inDoubt {
			p.inDoubt = true
			n++
		}
	}
	r.inDoubt.Add(int32(n))
	t.inDoubt.Add(int64(n))
	return n
}

// takeDecided removes the proposals of r that can no longer commit: in
// doubt, of a term older than appliedTerm, the term of an entry r applied.
func (t *pendingTable) takeDecided(r *Region, appliedTerm uint64) []*proposal {
	return t.takeIf(func(p *proposal) bool { return p.region == r && p.inDoubt && p.term < appliedTerm })
}

// takeInDoubt removes every proposal of r in doubt.
func (t *pendingTable) takeInDoubt(r *Region) []*proposal {
	return t.takeIf(func(p *proposal) bool { return p.region == r && p.inDoubt })
}

func (t *pendingTable) takeIf(match func(*proposal) bool) []*proposal {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*proposal
	for seq, p := range t.m {
		if match(p) {
			out = append(out, p)
			delete(t.m, seq)
			t.settled(p)
		}
	}
	return out
}

func (t *pendingTable) drain() []*proposal {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*proposal, 0, len(t.m))
	for seq, p := range t.m {
		out = append(out, p)
		delete(t.m, seq)
		t.settled(p)
	}
	return out
}

// replyAtCommit answers the plain SETs among the committed entries this
// store proposed, before they apply: +OK is the only answer a plain SET
// can have, and once its entry is committed (on a majority's disks) it
// will apply on every replica whatever happens to this one. The apply
// runs later and answers nothing for them. It saves a client the wait for
// the apply loop (a batch of every Region's entries) after the commit.
//
// Reads stay linearizable because no read is served from local state
// below the commit index: r.commit already covers these entries (set from
// the same or an earlier Ready), CanReadLocally refuses while applied <
// commit, and reads through the round loop wait until applied >= commit
// (leaseReadIndex, ReadIndex). Which Regions take part: answersAtCommit.
func (s *Store) replyAtCommit(ents []raftpb.Entry) {
	for i := range ents {
		e := &ents[i]
		if e.Type != raftpb.EntryNormal || len(e.Data) == 0 {
			continue
		}
		h, err := engine.DecodeEntryHeader(e.Data)
		if err != nil || h.Proposer != s.cfg.StoreID || h.Nonce != s.nonce {
			continue
		}
		p := s.pending.peek(h.Seq)
		if p == nil || p.atCommit == 0 {
			continue
		}
		// The apply loop takes p only after this round hands it the entry.
		for j := range p.reqs {
			rq := &p.reqs[j]
			if !rq.atCommit || rq.reply == nil {
				continue
			}
			rq.reply.OK()
			rq.complete()
			rq.reply, rq.done = nil, nil
		}
		s.Stats.RepliedAtCommit.Add(uint64(p.atCommit))
		p.atCommit = 0
	}
}

// answersAtCommit reports whether r's plain SETs are answered at commit:
// a data Region with replicas (a single replica's local reads do not wait
// for the commit index; a system Region's answers come from its state
// machine).
func (r *Region) answersAtCommit() bool { return !r.single.Load() && r.sm == nil }

// isPlainSet reports whether cmd (the per-command encoding: kind, argc,
// length-prefixed arguments, the name canonical) is SET key value from a
// client.
func isPlainSet(cmd []byte) bool {
	if len(cmd) < 3 || cmd[0] != engine.KindClient || cmd[1] != 3 {
		return false
	}
	return cmd[2] == 3 && len(cmd) >= 6 && string(cmd[3:6]) == "set"
}
