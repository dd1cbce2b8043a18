package meta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/neokv/neokv/batching"
)

// Service is the MetaServer member on one node: it registers the store,
// heartbeats to the MetaServer leader and, while this node leads the
// MetaServer group, runs the scheduler.
type Service struct {
	store *batching.Store
	state *State
	self  StoreInfo
	log   *slog.Logger

	// Heartbeat interval and how long without one before a store is down.
	HeartbeatInterval time.Duration
	DownAfter         time.Duration

	mu         sync.Mutex
	lastSeen   map[uint64]time.Time // leader only
	regionStat map[uint64]RegionStat

	stop chan struct{}
	wg   sync.WaitGroup
}

// RegionStat is what a Region's leader reports in its store's heartbeat.
type RegionStat struct {
	ID          uint64    `json:"id"`
	LeaderStore uint64    `json:"leader_store"`
	Term        uint64    `json:"term"`
	Commit      uint64    `json:"commit"`
	Applied     uint64    `json:"applied"`
	ConfVer     uint64    `json:"conf_ver"`
	Version     uint64    `json:"version"`
	StartSlot   uint16    `json:"start_slot"`
	EndSlot     uint16    `json:"end_slot"`
	Stores      []uint64  `json:"stores"`
	Reported    time.Time `json:"reported"`
}

type rpcMsg struct {
	Type     string       `json:"type"` // propose, heartbeat, query, transfer
	Cmd      []byte       `json:"cmd,omitempty"`
	Store    uint64       `json:"store,omitempty"`
	Regions  []RegionStat `json:"regions,omitempty"`
	What     string       `json:"what,omitempty"`
	Region   uint64       `json:"region,omitempty"`
	To       uint64       `json:"to,omitempty"`
	Reply    string       `json:"reply,omitempty"`
	Error    string       `json:"error,omitempty"`
	Snapshot *View        `json:"view,omitempty"`
}

// View is the MetaServer leader's picture of the cluster, for `neokv ctl`.
type View struct {
	Leader  uint64       `json:"meta_leader"`
	Stores  []StoreView  `json:"stores"`
	Regions []RegionStat `json:"regions"`
	Known   []RegionInfo `json:"known_regions"`
}

// StoreView is a store with its health and load.
type StoreView struct {
	StoreInfo
	Up       bool      `json:"up"`
	LastSeen time.Time `json:"last_seen"`
	Leaders  int       `json:"leaders"`
	Replicas int       `json:"replicas"`
}

// NewState and NewService: the state is handed to the store as the system
// Region's state machine before the store opens; the service starts after.

// NewService creates the MetaServer member of a node.
func NewService(store *batching.Store, state *State, self StoreInfo, log *slog.Logger) *Service {
	return &Service{store: store, state: state, self: self, log: log.With("component", "meta"),
		HeartbeatInterval: time.Second, DownAfter: 5 * time.Second,
		lastSeen: map[uint64]time.Time{}, regionStat: map[uint64]RegionStat{}, stop: make(chan struct{})}
}

// State is the replicated state (read locally; may trail the leader's).
func (s *Service) State() *State { return s.state }

// Start installs the RPC handler and starts registration, heartbeats and
// the scheduler.
func (s *Service) Start() {
	s.store.SetRPCHandler(s.handleRPC)
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.heartbeatLoop() }()
	go func() { defer s.wg.Done(); s.scheduleLoop() }()
}

// Stop stops the service's goroutines.
func (s *Service) Stop() {
	close(s.stop)
	s.wg.Wait()
}

func (s *Service) metaRegion() *batching.Region { return s.store.SystemRegion(RegionID) }

// IsLeader reports whether this node leads the MetaServer group.
func (s *Service) IsLeader() bool {
	r := s.metaRegion()
	return r != nil && r.IsLeader()
}

// call sends an RPC to the MetaServer leader (or handles it here).
func (s *Service) call(ctx context.Context, m rpcMsg) (rpcMsg, error) {
	r := s.metaRegion()
	if r == nil {
		return rpcMsg{}, errors.New("no MetaServer group on this store")
	}
	if r.IsLeader() {
		return s.serve(ctx, m), nil
	}
	leader := r.LeaderStore()
	if leader == 0 {
		return rpcMsg{}, errors.New("MetaServer has no leader")
	}
	req, _ := json.Marshal(m)
	t := s.store.Transport()
	if t == nil {
		return rpcMsg{}, errors.New("MetaServer leader is remote but there is no transport")
	}
	rep, err := t.Call(ctx, leader, req)
	if err != nil {
		return rpcMsg{}, err
	}
	var out rpcMsg
	if err := json.Unmarshal(rep, &out); err != nil {
		return rpcMsg{}, err
	}
	if out.Error != "" {
		return out, errors.New(out.Error)
	}
	return out, nil
}

func (s *Service) handleRPC(from uint64, req []byte) []byte {
	var m rpcMsg
	if err := json.Unmarshal(req, &m); err != nil {
		b, _ := json.Marshal(rpcMsg{Error: err.Error()})
		return b
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out := s.serve(ctx, m)
	b, _ := json.Marshal(out)
	return b
}

// serve answers a request on this node.
func (s *Service) serve(ctx context.Context, m rpcMsg) rpcMsg {
	switch m.Type {
	case "propose":
		rep, err := s.store.ProposeSystem(ctx, RegionID, m.Cmd)
		if err != nil {
			return rpcMsg{Error: err.Error()}
		}
		return rpcMsg{Reply: string(rep)}
	case "heartbeat":
		if !s.IsLeader() {
			return rpcMsg{Error: "not the MetaServer leader"}
		}
		now := time.Now()
		s.mu.Lock()
		s.lastSeen[m.Store] = now
		for _, rs := range m.Regions {
			rs.Reported = now
			if old, ok := s.regionStat[rs.ID]; !ok || rs.Term >= old.Term {
				s.regionStat[rs.ID] = rs
			}
		}
		s.mu.Unlock()
		return rpcMsg{Reply: "OK"}
	case "query":
		if !s.IsLeader() {
			return rpcMsg{Error: "not the MetaServer leader"}
		}
		v := s.view()
		return rpcMsg{Snapshot: &v}
	case "transfer":
		if err := s.store.TransferLeader(m.Region, m.To); err != nil {
			return rpcMsg{Error: err.Error()}
		}
		return rpcMsg{Reply: "OK"}
	}
	return rpcMsg{Error: "unknown request " + m.Type}
}

// Propose replicates a MetaServer command and returns its reply.
func (s *Service) propose(ctx context.Context, c command) (string, error) {
	b, _ := json.Marshal(c)
	rep, err := s.call(ctx, rpcMsg{Type: "propose", Cmd: b})
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(rep.Reply, "ERR") {
		return "", errors.New(rep.Reply)
	}
	return rep.Reply, nil
}

// AllocID reserves n ids and returns the first.
func (s *Service) AllocID(ctx context.Context, n uint64) (uint64, error) {
	rep, err := s.propose(ctx, command{Op: "alloc_id", N: n})
	if err != nil {
		return 0, err
	}
	var id uint64
	_, err = fmt.Sscan(rep, &id)
	return id, err
}

// heartbeatLoop registers the store once, then reports the Regions it
// leads every interval.
func (s *Service) heartbeatLoop() {
	t := time.NewTicker(s.HeartbeatInterval)
	defer t.Stop()
	registered := false
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if !registered {
			if cur, ok := s.state.Store(s.self.ID); ok && cur == s.self {
				registered = true
			} else if _, err := s.propose(ctx, command{Op: "put_store", Store: &s.self}); err == nil {
				registered = true
				s.log.Info("store registered with the MetaServer", "store", s.self.ID)
			}
		}
		var stats []RegionStat
		for _, r := range s.store.Regions() {
			if !r.IsLeader() {
				continue
			}
			st := r.Status()
			rs := RegionStat{ID: st.ID, LeaderStore: s.self.ID, Term: st.Term, Commit: st.Commit, Applied: st.Applied,
				ConfVer: st.Desc.ConfVer, Version: st.Desc.Version, StartSlot: st.Desc.StartSlot, EndSlot: st.Desc.EndSlot}
			for _, p := range st.Desc.Peers {
				rs.Stores = append(rs.Stores, p.StoreID)
			}
			stats = append(stats, rs)
		}
		_, _ = s.call(ctx, rpcMsg{Type: "heartbeat", Store: s.self.ID, Regions: stats})
		cancel()
	}
}

// view builds the leader's picture of the cluster.
func (s *Service) view() View {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := View{Leader: s.self.ID, Known: s.state.Regions()}
	leaders := map[uint64]int{}
	replicas := map[uint64]int{}
	for _, rs := range s.regionStat {
		v.Regions = append(v.Regions, rs)
		leaders[rs.LeaderStore]++
		for _, st := range rs.Stores {
			replicas[st]++
		}
	}
	sort.Slice(v.Regions, func(i, j int) bool { return v.Regions[i].ID < v.Regions[j].ID })
	now := time.Now()
	for _, st := range s.state.Stores() {
		seen := s.lastSeen[st.ID]
		v.Stores = append(v.Stores, StoreView{StoreInfo: st, Up: now.Sub(seen) < s.DownAfter, LastSeen: seen,
			Leaders: leaders[st.ID], Replicas: replicas[st.ID]})
	}
	return v
}

// Query asks the MetaServer leader for its view.
func (s *Service) Query(ctx context.Context) (View, error) {
	rep, err := s.call(ctx, rpcMsg{Type: "query"})
	if err != nil {
		return View{}, err
	}
	if rep.Snapshot == nil {
		return View{}, errors.New("empty view")
	}
	return *rep.Snapshot, nil
}

// scheduleLoop runs on every node but acts only on the MetaServer leader:
// it records Region epochs that moved, and balances Region leaders.
func (s *Service) scheduleLoop() {
	t := time.NewTicker(3 * s.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		if !s.IsLeader() {
			s.mu.Lock()
			clear(s.lastSeen)
			clear(s.regionStat)
			s.mu.Unlock()
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		s.recordEpochs(ctx)
		s.balanceLeaders(ctx)
		cancel()
	}
}

// recordEpochs replicates Region descriptors whose epoch is new.
func (s *Service) recordEpochs(ctx context.Context) {
	s.mu.Lock()
	var todo []RegionInfo
	for _, rs := range s.regionStat {
		known, ok := s.state.Region(rs.ID)
		if !ok || known.ConfVer != rs.ConfVer || known.Version != rs.Version {
			todo = append(todo, RegionInfo{ID: rs.ID, StartSlot: rs.StartSlot, EndSlot: rs.EndSlot, ConfVer: rs.ConfVer, Version: rs.Version, Stores: rs.Stores})
		}
	}
	s.mu.Unlock()
	for i := range todo {
		if _, err := s.propose(ctx, command{Op: "put_region", Region: &todo[i]}); err != nil {
			return
		}
	}
}

// balanceLeaders moves one Region's leadership from the up store leading
// the most Regions to the up store leading the fewest, when they differ by
// more than one.
func (s *Service) balanceLeaders(ctx context.Context) {
	v := s.view()
	counts := map[uint64]int{}
	for _, st := range v.Stores {
		if st.Up {
			counts[st.ID] = st.Leaders
		}
	}
	if len(counts) < 2 {
		return
	}
	var from, to uint64
	for id, n := range counts {
		if from == 0 || n > counts[from] || (n == counts[from] && id < from) {
			from = id
		}
		if to == 0 || n < counts[to] || (n == counts[to] && id < to) {
			to = id
		}
	}
	if counts[from]-counts[to] <= 1 {
		return
	}
	for _, rs := range v.Regions {
		if rs.LeaderStore != from || time.Since(rs.Reported) > s.DownAfter {
			continue
		}
		for _, st := range rs.Stores {
			if st != to {
				continue
			}
			s.log.Info("balancing Region leaders", "region", rs.ID, "from_store", from, "to_store", to)
			if from == s.self.ID {
				_ = s.store.TransferLeader(rs.ID, to)
			} else if t := s.store.Transport(); t != nil {
				req, _ := json.Marshal(rpcMsg{Type: "transfer", Region: rs.ID, To: to})
				_, _ = t.Call(ctx, from, req)
			}
			return
		}
	}
}
