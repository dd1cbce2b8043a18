package batching

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/neokv/neokv/engine"
)

// expiryLoop is active expiry: leaders scan the expiry index and propose
// "expiredel key at" for keys whose time has passed, so expired keys do not
// pile up on disk. The delete goes through Raft (a local delete would make
// replicas diverge) and re-checks the expiry at apply with the entry clock.
func (s *Store) expiryLoop() {
	t := time.NewTicker(s.cfg.ActiveExpiryInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopc:
			return
		case <-t.C:
		}
		for {
			done, full := s.expireOnce(500)
			if done == nil {
				break
			}
			// Wait for the deletes to apply before scanning again, or the
			// same keys would be proposed twice.
			select {
			case <-s.stopc:
				return
			case <-done:
			}
			if !full {
				break
			}
		}
	}
}

// expireOnce proposes deletes for up to limit expired keys. It returns a
// channel closed once they are applied (nil if there was nothing to do), and
// whether it hit the limit (more may be waiting).
func (s *Store) expireOnce(limit int) (<-chan struct{}, bool) {
	rt := s.routes.Load()
	now := time.Now().UnixMilli()
	keys, err := s.db.ExpiredKeys(now, limit, func(slot uint16) bool {
		r := rt.bySlot[slot]
		return r != nil && r.IsLeader()
	})
	if err != nil {
		s.log.Warn("active expiry scan", "err", err)
		return nil, false
	}
	if len(keys) == 0 {
		return nil, false
	}
	cd := &countdown{done: make(chan struct{})}
	cd.left.Store(int64(len(keys)))
	b := NewBatch()
	var at []byte
	for _, k := range keys {
		at = strconv.AppendInt(at[:0], k.At, 10)
		b.Add(rt.bySlot[k.Slot], engine.KindInternal, [][]byte{[]byte("expiredel"), k.Key, at}, nil, cd, 0)
	}
	s.Submit(b)
	return cd.done, len(keys) == limit
}

// countdown is a Completion that closes done after its last request.
type countdown struct {
	left atomic.Int64
	done chan struct{}
}

func (c *countdown) Complete(uint64) {
	if c.left.Add(-1) == 0 {
		close(c.done)
	}
}
