package batching

import (
	"encoding/binary"
	"sync"

	"github.com/neokv/neokv/resp"
)

// Completion is told when a request's reply has been written. It is called
// from the apply loop (or the round loop for requests that fail early), so
// implementations must be cheap and must not block.
type Completion interface {
	Complete(tag uint64)
}

// request is one command bound for a Region, as handed off by an event loop.
// Its command bytes (the entry encoding of one command) are buf[start:end]
// of the Batch that carried it.
type request struct {
	region     *Region
	start, end int
	cmd        []byte // buf[start:end], resolved by the round loop
	reply      *resp.Writer
	done       Completion
	tag        uint64
	// atCommit: a plain SET of a replicated Region, answered +OK as soon
	// as its entry commits (see Store.replyAtCommit).
	atCommit bool
}

func (r *request) complete() {
	if r.done != nil {
		r.done.Complete(r.tag)
	}
}

// Batch collects the requests of one event-loop read; Submit hands the whole
// batch to the round loop at once.
type Batch struct {
	buf  []byte
	reqs []request
	// placed runs once the round loop is done with the batch (see OnPlaced).
	placed func()
}

var batchPool = sync.Pool{New: func() any { return &Batch{buf: make([]byte, 0, 4096)} }}

// NewBatch returns an empty batch from a pool.
func NewBatch() *Batch { return batchPool.Get().(*Batch) }

func (b *Batch) release() {
	if placed := b.placed; placed != nil {
		b.placed = nil
		placed()
	}
	if cap(b.buf) > 1<<20 {
		b.buf = make([]byte, 0, 4096)
	}
	b.buf = b.buf[:0]
	clear(b.reqs)
	b.reqs = b.reqs[:0]
	batchPool.Put(b)
}

// Len is the number of requests in the batch.
func (b *Batch) Len() int { return len(b.reqs) }

// Add copies argv into the batch as a request for region. The reply is
// written into reply before done.Complete(tag) is called; done may be nil
// for fire-and-forget internal commands.
func (b *Batch) Add(region *Region, kind byte, argv [][]byte, reply *resp.Writer, done Completion, tag uint64) {
	start := len(b.buf)
	b.buf = append(b.buf, kind)
	b.buf = binary.AppendUvarint(b.buf, uint64(len(argv)))
	for _, a := range argv {
		b.buf = binary.AppendUvarint(b.buf, uint64(len(a)))
		b.buf = append(b.buf, a...)
	}
	b.reqs = append(b.reqs, request{region: region, start: start, end: len(b.buf), reply: reply, done: done, tag: tag})
}

// Encode returns argv in the per-command entry encoding (kind, argc, args),
// using the batch's buffer; the result is valid until the batch is reused.
func (b *Batch) Encode(kind byte, argv [][]byte) []byte {
	start := len(b.buf)
	b.buf = append(b.buf, kind)
	b.buf = binary.AppendUvarint(b.buf, uint64(len(argv)))
	for _, a := range argv {
		b.buf = binary.AppendUvarint(b.buf, uint64(len(a)))
		b.buf = append(b.buf, a...)
	}
	return b.buf[start:]
}

// OnPlaced has fn called once the store is done with the batch: each of
// its requests entered its Region's log behind everything submitted
// before, waits in order for its Region to elect a leader, was handed back
// (see RerouteFunc, called before fn) or failed. fn runs on the round loop
// and must not block. A front end routing requests again one batch at a
// time waits for it so that what it sends next cannot overtake them.
func (b *Batch) OnPlaced(fn func()) { b.placed = fn }

// Discard returns an unsubmitted batch to the pool.
func (b *Batch) Discard() { b.release() }
