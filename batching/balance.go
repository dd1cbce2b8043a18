package batching

import (
	"time"
)

// balanceLoop moves Region leadership from this store to the store leading
// the fewest Regions whenever this store leads more than its share, one
// Region per round, so that leaders spread evenly again after failovers
// and restarts. Every store runs it for the Regions it leads; each knows
// every Region's leader from Raft, since every store holds a replica.
// TODO(meta): let the MetaServer's scheduler decide instead, with store
// load and replica health from heartbeats.
func (s *Store) balanceLoop() {
	t := time.NewTicker(3 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stopc:
			return
		case <-t.C:
		}
		s.balanceOnce()
	}
}

func (s *Store) balanceOnce() {
	tr := s.cfg.Transport
	if tr == nil {
		return
	}
	counts := map[uint64]int{s.cfg.StoreID: 0}
	for _, id := range tr.Peers() {
		if tr.PeerUp(id) {
			counts[id] = 0
		}
	}
	total := 0
	var mine []*Region
	for _, r := range s.regions {
		if len(r.desc.Load().Peers) < 2 {
			continue
		}
		ls := r.LeaderStore()
		if ls == 0 {
			return // an election is running: wait for a stable picture
		}
		if _, up := counts[ls]; up {
			counts[ls]++
		}
		total++
		if ls == s.cfg.StoreID {
			mine = append(mine, r)
		}
	}
	share := (total + len(counts) - 1) / len(counts)
	if counts[s.cfg.StoreID] <= share || len(mine) == 0 {
		return
	}
	var to uint64
	for id, n := range counts {
		if id != s.cfg.StoreID && (to == 0 || n < counts[to]) {
			to = id
		}
	}
	if to == 0 || counts[to]+1 >= counts[s.cfg.StoreID] {
		return
	}
	for _, r := range mine {
		if _, ok := r.desc.Load().PeerOnStore(to); ok {
			s.log.Info("moving Region leadership to balance leaders", "region", r.id, "to_store", to)
			_ = s.TransferLeader(r.id, to)
			return
		}
	}
}
