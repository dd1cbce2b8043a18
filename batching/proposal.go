package batching

import (
	"sync"
	"time"

	"github.com/neokv/neokv/resp"
)

// proposal is an entry this store proposed and is waiting to apply.
type proposal struct {
	region   *Region
	reqs     []request
	proposed time.Time
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

func (p *proposal) fail(msg string) {
	for i := range p.reqs {
		failRequest(&p.reqs[i], msg)
	}
	p.recycle()
}

func (p *proposal) recycle() {
	clear(p.reqs)
	p.reqs = p.reqs[:0]
	p.region = nil
	p.data = nil
	proposalPool.Put(p)
}

// pendingTable maps proposal sequence numbers to proposals. The round loop
// adds, the apply loop takes.
type pendingTable struct {
	mu sync.Mutex
	m  map[uint64]*proposal
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
	}
	t.mu.Unlock()
	return p
}

func (t *pendingTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// takeRegion removes every proposal of region r (it lost leadership: those
// entries may never commit, and the clients must not wait forever).
func (t *pendingTable) takeRegion(r *Region) []*proposal {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*proposal
	for seq, p := range t.m {
		if p.region == r {
			out = append(out, p)
			delete(t.m, seq)
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
	}
	return out
}
