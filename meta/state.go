package meta

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// RegionID is the id of the MetaServer's own Raft group (a system Region of
// the store, outside the ids of data Regions).
const RegionID uint64 = 1 << 40

// StoreInfo is a registered store.
type StoreInfo struct {
	ID         uint64 `json:"id"`
	NodeID     string `json:"node_id"`
	ClientAddr string `json:"client_addr"`
	RaftAddr   string `json:"raft_addr"`
}

// RegionInfo is a Region's descriptor as the MetaServer knows it.
type RegionInfo struct {
	ID        uint64   `json:"id"`
	StartSlot uint16   `json:"start_slot"`
	EndSlot   uint16   `json:"end_slot"`
	ConfVer   uint64   `json:"conf_ver"`
	Version   uint64   `json:"version"`
	Stores    []uint64 `json:"stores"`
}

// command is one replicated change.
type command struct {
	Op     string      `json:"op"` // put_store, put_region, alloc_id
	Store  *StoreInfo  `json:"store,omitempty"`
	Region *RegionInfo `json:"region,omitempty"`
	N      uint64      `json:"n,omitempty"`
}

// State is the MetaServer's replicated state machine. It implements
// batching.StateMachine; reads from other goroutines take the lock.
type State struct {
	mu      sync.RWMutex
	stores  map[uint64]StoreInfo
	regions map[uint64]RegionInfo
	nextID  uint64
	applied uint64
}

// NewState returns an empty state.
func NewState() *State {
	return &State{stores: map[uint64]StoreInfo{}, regions: map[uint64]RegionInfo{}, nextID: 1000}
}

type snapshotForm struct {
	Stores  []StoreInfo  `json:"stores"`
	Regions []RegionInfo `json:"regions"`
	NextID  uint64       `json:"next_id"`
}

// Apply implements batching.StateMachine. It is deterministic: the reply
// and the new state depend only on the state and the command.
func (s *State) Apply(index uint64, data []byte) []byte {
	var c command
	if err := json.Unmarshal(data, &c); err != nil {
		return []byte("ERR " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = index
	switch c.Op {
	case "put_store":
		if c.Store == nil || c.Store.ID == 0 {
			return []byte("ERR bad store")
		}
		s.stores[c.Store.ID] = *c.Store
		return []byte("OK")
	case "put_region":
		if c.Region == nil || c.Region.ID == 0 {
			return []byte("ERR bad region")
		}
		old, ok := s.regions[c.Region.ID]
		// A stale report (older epoch) never overwrites a newer one.
		if ok && (c.Region.ConfVer < old.ConfVer || c.Region.Version < old.Version) {
			return []byte("STALE")
		}
		s.regions[c.Region.ID] = *c.Region
		return []byte("OK")
	case "alloc_id":
		n := max(c.N, 1)
		first := s.nextID
		s.nextID += n
		return []byte(fmt.Sprint(first))
	}
	return []byte("ERR unknown op " + c.Op)
}

// Snapshot implements batching.StateMachine.
func (s *State) Snapshot() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f := snapshotForm{NextID: s.nextID}
	for _, st := range s.stores {
		f.Stores = append(f.Stores, st)
	}
	for _, r := range s.regions {
		f.Regions = append(f.Regions, r)
	}
	sort.Slice(f.Stores, func(i, j int) bool { return f.Stores[i].ID < f.Stores[j].ID })
	sort.Slice(f.Regions, func(i, j int) bool { return f.Regions[i].ID < f.Regions[j].ID })
	b, _ := json.Marshal(f)
	return b
}

// Restore implements batching.StateMachine.
func (s *State) Restore(data []byte) error {
	f := snapshotForm{NextID: 1000}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("meta state: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stores = map[uint64]StoreInfo{}
	s.regions = map[uint64]RegionInfo{}
	for _, st := range f.Stores {
		s.stores[st.ID] = st
	}
	for _, r := range f.Regions {
		s.regions[r.ID] = r
	}
	s.nextID = f.NextID
	return nil
}

// Stores returns the registered stores ordered by id.
func (s *State) Stores() []StoreInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]StoreInfo, 0, len(s.stores))
	for _, st := range s.stores {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Store returns one registered store.
func (s *State) Store(id uint64) (StoreInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st, ok := s.stores[id]
	return st, ok
}

// Regions returns the known Regions ordered by id.
func (s *State) Regions() []RegionInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]RegionInfo, 0, len(s.regions))
	for _, r := range s.regions {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Region returns one Region.
func (s *State) Region(id uint64) (RegionInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.regions[id]
	return r, ok
}
