package netio

import (
	"sync/atomic"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/resp"
)

// keyspaceRead runs a read of the whole keyspace (DBSIZE, KEYS, SCAN,
// RANDOMKEY) from this node's Pebble. On a single node every Region is
// led here and applied before any reply, so it runs at once. In a cluster
// the node may follow some Regions: it first does a ReadIndex on every
// Region (all in one round) and runs the read once each is applied up to
// its index, so the answer includes every write acknowledged before.
func (s *Server) keyspaceRead(cl *client, argv [][]byte, read func(w *resp.Writer, argv [][]byte)) {
	fn := func(w *resp.Writer, argv [][]byte) {
		// KEYS and SCAN are the classic SLOWLOG entries.
		defer s.db.Slow.Done(s.db.Slow.Start(), argv)
		read(w, argv)
	}
	if !s.cfg.Cluster {
		w := cl.immediate()
		s.db.ReadSettled(w, func() { fn(w, argv) })
		return
	}
	args := cloneArgv(argv)
	regions := s.store.Regions()
	sl := cl.newSlot()
	// Commands after this one must not overtake it: they wait until it is
	// answered, since it runs later than its place in the stream.
	sl.fence = true
	cl.fences++
	b := &readBarrier{left: int32(len(regions)), run: func(failed []byte) {
		if failed != nil {
			sl.w.Raw(failed)
		} else {
			s.db.ReadSettled(&sl.w, func() { fn(&sl.w, args) })
		}
		sl.Complete(0)
	}}
	b.parts = make([]barrierPart, len(regions))
	probe := [][]byte{[]byte("exists"), []byte("neokv:barrier")}
	for i, r := range regions {
		b.parts[i].b = b
		cl.batchFor().Add(r, batching.KindRead, probe, &b.parts[i].w, &b.parts[i], 0)
	}
}

type readBarrier struct {
	left  int32
	parts []barrierPart
	run   func(failed []byte)
}

type barrierPart struct {
	b *readBarrier
	w resp.Writer
}

func (p *barrierPart) Complete(uint64) {
	if atomic.AddInt32(&p.b.left, -1) != 0 {
		return
	}
	for i := range p.b.parts {
		if w := p.b.parts[i].w.B; len(w) > 0 && w[0] == '-' {
			p.b.run(w)
			return
		}
	}
	p.b.run(nil)
}
