package batching

import (
	"go.etcd.io/raft/v3/raftpb"
)

// outbox groups a round's outgoing Raft messages by destination store so
// that each store gets one frame (one write) per round.
type outbox struct {
	byStore map[uint64][]RegionMessage
	order   []uint64
}

func (o *outbox) add(r *Region, m raftpb.Message) bool {
	store := r.storeOfPeer(m.To)
	if store == 0 {
		return false
	}
	if o.byStore == nil {
		o.byStore = map[uint64][]RegionMessage{}
	}
	msgs := o.byStore[store]
	if len(msgs) == 0 {
		o.order = append(o.order, store)
	}
	o.byStore[store] = append(msgs, RegionMessage{Region: r.id, Msg: m})
	return true
}

// flush hands every store's messages to the transport (which encodes them
// at once) and empties the box, keeping each store's slice for next time.
func (o *outbox) flush(t *Transport) {
	for _, store := range o.order {
		msgs := o.byStore[store]
		if t != nil {
			t.Send(store, msgs)
		}
		clear(msgs)
		o.byStore[store] = msgs[:0]
	}
	o.order = o.order[:0]
}

// storeOfPeer maps a Raft peer id of the Region to its store.
func (r *Region) storeOfPeer(peerID uint64) uint64 {
	for _, p := range r.desc.Load().Peers {
		if p.ID == peerID {
			return p.StoreID
		}
	}
	return 0
}
