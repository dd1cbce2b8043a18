package batching

import (
	"sync"
	"sync/atomic"
	"time"

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
