package batching

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/slots"
)

// Reply texts of requests that never reached the state machine (and of
// writes whose fate this store could not learn).
const (
	ErrTryAgain = "TRYAGAIN the Region's leader changed or is being elected; retry"
	// ErrUncertain answers a write proposed by a leader that lost its
	// leadership and never learned whether the write committed. Not
	// TRYAGAIN: clients retry that on their own, and the write may have
	// applied.
	ErrUncertain    = "ERR the Region's leader changed before this write was known to commit: it may or may not have been applied"
	ErrShuttingDown = "ERR server is shutting down"
	// ErrShutdownUncertain answers a write proposed before the store
	// stopped and not known to commit: it may apply once the Region runs.
	ErrShutdownUncertain = "ERR server is shutting down: this write may or may not have been applied"
	ErrStoreFailed       = "ERR store failed, see the server log"
)

// Config configures a Store.
type Config struct {
	StoreID  uint64
	DB       *engine.DB
	Commands map[string]*engine.Command
	Logger   *slog.Logger

	// TickInterval is one Raft tick; elections take ElectionTicks of them.
	TickInterval   time.Duration
	ElectionTicks  int
	HeartbeatTicks int
	// LogGCCount: truncate a Region's log once this many applied entries
	// pile up behind the truncation point.
	LogGCCount uint64
	// ApplyWorkers is the number of apply loops (0: one per CPU, at most 4).
	// Each publishes its own batches, so the parts of a write split over
	// Regions of different loops become visible apart: a store that splits
	// writes over its Regions (a single node) needs one.
	ApplyWorkers int
	// ActiveExpiryInterval is how often leaders look for expired keys.
	ActiveExpiryInterval time.Duration
	// OnFatal is called once if the store cannot go on (a storage failure).
	OnFatal func(error)
	// LogDir holds the Raft log segments; SnapDir received snapshots.
	LogDir  string
	SnapDir string
	// LogMaxLag: a follower further behind than this many entries is
	// caught up by snapshot instead of keeping the log for it.
	LogMaxLag uint64
	// LogSegmentSize is the size of one log segment file (0: 64 MiB).
	LogSegmentSize int64
	// CheckpointInterval is how often applied data is flushed out of
	// Pebble's memtable so that the log behind it can be deleted.
	CheckpointInterval time.Duration
	// ApplyDelay (testing only) holds every apply batch this long first,
	// so that tests see what clients see while an entry is committed but
	// not yet applied.
	ApplyDelay time.Duration
	// OnApplied, if set, is told the keys each apply batch changed, after
	// it committed (blocking commands wait on them). It must be cheap.
	OnApplied func(keys [][]byte)
	// Transport connects the store to its peers; nil for a single node.
	Transport *Transport
	// InitialStores are the stores of a cluster being created: each new
	// Region gets one replica on each. Empty: a single-node store.
	InitialStores []uint64
	// SystemRegions are Raft groups with their own state machines (the
	// MetaServer), created with the cluster on every initial store.
	SystemRegions []SystemRegion
}

func (c *Config) setDefaults() {
	if c.TickInterval == 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.ElectionTicks == 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks == 0 {
		c.HeartbeatTicks = 1
	}
	if c.LogGCCount == 0 {
		c.LogGCCount = 256
	}
	if c.LogMaxLag == 0 {
		c.LogMaxLag = 50000
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = 10 * time.Second
	}
	if c.ApplyWorkers <= 0 {
		c.ApplyWorkers = min(runtime.NumCPU(), 4)
	}
	if c.ActiveExpiryInterval == 0 {
		c.ActiveExpiryInterval = 100 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is the Multi-Raft store of one node.
type Store struct {
	cfg     Config
	reroute atomic.Pointer[RerouteFunc]
	// routeEpoch counts changes of where Regions are led, two steps per
	// change: one before it becomes visible (stored in the Region), one
	// after.
	routeEpoch atomic.Uint64
	db         *engine.DB
	log        *slog.Logger
	nonce      uint64

	regions []*Region // by id order; fixed after Start until splits exist
	byID    map[uint64]*Region
	data    []*Region // the Regions holding slots (regions also has system ones)
	logs    *logStore // owned by the append loop once started
	staged  stagedSnapshots
	gcCh    chan map[uint64]uint64

	rpcHandler atomic.Pointer[func(from uint64, req []byte) []byte]
	routes     atomic.Pointer[routeTable]

	// Hand-off queue, filled by event loops and the other loops.
	mu     sync.Mutex
	inReqs []*Batch
	inMsgs []regionMsg
	inOps  []func()
	// The round loop's emptied hand-off slices, swapped back in for the
	// next round so that filling them does not allocate.
	spareReqs []*Batch
	spareMsgs []regionMsg
	closing   bool
	wake      chan struct{}
	pending   pendingTable
	appendCh  chan []regionMsg
	applyChs  []chan []regionMsg // one per apply worker
	// spareQs returns the append and apply loops' emptied work slices to
	// the round loop, which fills them again (see takeSpareQ).
	spareQs chan []regionMsg

	// Round loop state.
	seq     uint64
	lastNow int64
	enc     engine.EntryEncoder
	touched []*Region
	out     outbox
	appendQ []regionMsg
	applyQs [][]regionMsg
	tickDue bool
	reads   map[uint64]*readBatch // outstanding ReadIndex requests by context
	readSeq uint64
	// waitingRegions counts Regions holding requests until they elect a leader.
	waitingRegions int
	stopc          chan struct{}
	loopDone       chan struct{}
	wg             sync.WaitGroup
	failed         atomic.Bool
	fatalMu        sync.Once

	Stats Stats
}

type routeTable struct {
	bySlot [slots.Count]*Region
}

// Open loads the store's Regions from Pebble. If there are none, it
// bootstraps `initialRegions` single-replica Regions covering all slots.
func Open(cfg Config, initialRegions int) (*Store, error) {
	cfg.setDefaults()
	var nb [8]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return nil, fmt.Errorf("boot nonce: %w", err)
	}
	s := &Store{
		cfg:      cfg,
		db:       cfg.DB,
		log:      cfg.Logger.With("component", "store"),
		nonce:    binary.BigEndian.Uint64(nb[:]),
		wake:     make(chan struct{}, 1),
		appendCh: make(chan []regionMsg, 64),

		stopc:    make(chan struct{}),
		loopDone: make(chan struct{}),
		pending:  pendingTable{m: map[uint64]*proposal{}},
		gcCh:     make(chan map[uint64]uint64, 1),
		staged:   stagedSnapshots{m: map[uint64]stagedEntry{}},
		reads:    map[uint64]*readBatch{},
	}
	if s.cfg.SnapDir == "" {
		s.cfg.SnapDir = filepath.Join(cfg.LogDir, "..", "snap")
	}
	s.applyChs = make([]chan []regionMsg, cfg.ApplyWorkers)
	s.applyQs = make([][]regionMsg, cfg.ApplyWorkers)
	s.spareQs = make(chan []regionMsg, 2+2*cfg.ApplyWorkers)
	for i := range s.applyChs {
		s.applyChs[i] = make(chan []regionMsg, 64)
	}
	logDir := cfg.LogDir
	if logDir == "" {
		return nil, errors.New("batching: Config.LogDir is required")
	}
	ls, logs, err := openLogStore(logDir, cfg.LogSegmentSize)
	if err != nil {
		return nil, err
	}
	s.logs = ls
	states, err := s.db.LoadRegions()
	if err != nil {
		_ = ls.close()
		return nil, err
	}
	fresh := len(states) == 0
	stores := cfg.InitialStores
	if len(stores) == 0 {
		stores = []uint64{cfg.StoreID}
	}
	if fresh {
		if initialRegions <= 0 {
			initialRegions = 16
		}
		var sysIDs []uint64
		for _, sr := range cfg.SystemRegions {
			sysIDs = append(sysIDs, sr.ID)
		}
		if states, err = bootstrapRegions(s.db, ls, stores, initialRegions, sysIDs); err != nil {
			_ = ls.close()
			return nil, err
		}
	}
	s.byID = map[uint64]*Region{}
	sms := map[uint64]StateMachine{}
	for _, sr := range cfg.SystemRegions {
		sms[sr.ID] = sr.SM
	}
	for _, st := range states {
		r, err := s.loadRegion(st, logs[st.Desc.ID])
		if err != nil {
			_ = ls.close()
			return nil, err
		}
		if sm := sms[r.id]; sm != nil {
			r.sm = sm
			state, err := s.db.SystemState(r.id)
			if err == nil {
				err = sm.Restore(state)
			}
			if err != nil {
				_ = ls.close()
				return nil, fmt.Errorf("region %d: %w", r.id, err)
			}
			r.campaignAtStart = fresh && stores[0] == cfg.StoreID
			r.applyWorker = 0
			s.regions = append(s.regions, r)
			s.byID[r.id] = r
			continue
		}
		if fresh {
			// Spread the first leaders evenly: Region i is led by the i-th
			// store (round robin), which campaigns at once on first start.
			r.campaignAtStart = stores[int(r.id-1)%len(stores)] == cfg.StoreID
		}
		r.applyWorker = int(r.id % uint64(cfg.ApplyWorkers))
		s.regions = append(s.regions, r)
		s.byID[r.id] = r
	}
	sort.Slice(s.regions, func(i, j int) bool { return s.regions[i].id < s.regions[j].id })
	for _, r := range s.regions {
		if r.sm == nil {
			s.data = append(s.data, r)
		}
	}
	s.rebuildRoutes()
	return s, nil
}

// PeerID is the Raft id of a Region's replica on a store: unique within
// the Region, and readable in logs.
func PeerID(region, store uint64) uint64 { return region<<16 | store }

// bootstrapRegions creates n Regions splitting the slots evenly, with a
// replica on each of stores. Every store of a new cluster computes the same
// descriptors from the same flags, so no coordination is needed. Like TiKV,
// a new Region starts with its log truncated at index 5, term 5, so that its
// configuration comes from the descriptor, not from the log.
func bootstrapRegions(db *engine.DB, ls *logStore, stores []uint64, n int, system []uint64) ([]engine.RegionState, error) {
	if n > slots.Count {
		n = slots.Count
	}
	wb := db.NewWriteBatch()
	defer wb.Close()
	var out []engine.RegionState
	var descs []engine.RegionDesc
	for i := 0; i < n; i++ {
		descs = append(descs, engine.RegionDesc{
			ID:        uint64(i + 1),
			StartSlot: uint16(i * slots.Count / n),
			EndSlot:   uint16((i+1)*slots.Count/n - 1),
			ConfVer:   1,
			Version:   1,
		})
	}
	for _, id := range system {
		// A system Region owns no slots (start > end).
		descs = append(descs, engine.RegionDesc{ID: id, StartSlot: 1, EndSlot: 0, ConfVer: 1, Version: 1})
	}
	for _, d := range descs {
		for _, st := range stores {
			d.Peers = append(d.Peers, engine.Peer{ID: PeerID(d.ID, st), StoreID: st})
		}
		st := engine.RegionState{Desc: d, Apply: engine.ApplyState{Applied: initLogIndex, AppliedTerm: initLogIndex, TruncatedIndex: initLogIndex, TruncatedTerm: initLogIndex}}
		if err := wb.PutRegion(&st.Desc, st.Apply); err != nil {
			return nil, err
		}
		if err := ls.addHardState(d.ID, raftpb.HardState{Term: initLogIndex, Commit: initLogIndex}); err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	// The descriptors must be on disk before any log record refers to them:
	// Pebble runs without a WAL, so commit and flush.
	if err := wb.Commit(false); err != nil {
		return nil, fmt.Errorf("bootstrap regions: %w", err)
	}
	if err := db.Flush(); err != nil {
		return nil, fmt.Errorf("bootstrap regions: %w", err)
	}
	if err := ls.flush(true); err != nil {
		return nil, fmt.Errorf("bootstrap regions: %w", err)
	}
	return out, nil
}

const initLogIndex = 5

func (s *Store) loadRegion(st engine.RegionState, l *recoveredLog) (*Region, error) {
	d := st.Desc
	p, ok := d.PeerOnStore(s.cfg.StoreID)
	if !ok {
		return nil, fmt.Errorf("region %d has no peer on store %d", d.ID, s.cfg.StoreID)
	}
	ms := raft.NewMemoryStorage()
	cs := raftpb.ConfState{}
	for _, pr := range d.Peers {
		cs.Voters = append(cs.Voters, pr.ID)
	}
	// Pebble holds the state up to the applied index; the in-memory log
	// starts right after it and is rebuilt from the log store.
	applied := st.Apply.Applied
	if err := ms.ApplySnapshot(raftpb.Snapshot{Metadata: raftpb.SnapshotMetadata{
		Index: applied, Term: st.Apply.AppliedTerm, ConfState: cs,
	}}); err != nil {
		return nil, fmt.Errorf("region %d: %w", d.ID, err)
	}
	st.Apply.TruncatedIndex, st.Apply.TruncatedTerm = applied, st.Apply.AppliedTerm
	var hs raftpb.HardState
	if l != nil {
		hs = l.hardState
		var ents []raftpb.Entry
		for _, e := range l.entries {
			if e.Index > applied {
				ents = append(ents, e)
			}
		}
		if len(ents) > 0 && ents[0].Index != applied+1 {
			return nil, fmt.Errorf("region %d: raft log starts at %d but the state machine applied only up to %d", d.ID, ents[0].Index, applied)
		}
		if err := ms.Append(ents); err != nil {
			return nil, fmt.Errorf("region %d: %w", d.ID, err)
		}
	}
	last, _ := ms.LastIndex()
	if hs.Commit > last {
		hs.Commit = last
	}
	// Commit-index-only hard states are written without fsync, so after a
	// crash the stored commit can trail what was applied; whatever was
	// applied was committed.
	if hs.Commit < applied {
		hs.Commit = applied
	}
	if hs.Term < st.Apply.AppliedTerm {
		hs.Term = st.Apply.AppliedTerm
	}
	if err := ms.SetHardState(hs); err != nil {
		return nil, err
	}
	r := &Region{id: d.ID, peerID: p.ID, storage: ms, lastPersisted: last, applyState: st.Apply,
		persistedTerm: hs.Term, persistedVote: hs.Vote}
	r.desc.Store(&d)
	r.single.Store(len(d.Peers) == 1)
	r.applied.Store(st.Apply.Applied)
	r.term.Store(hs.Term)
	r.commit.Store(hs.Commit)
	rn, err := raft.NewRawNode(&raft.Config{
		ID:                        p.ID,
		ElectionTick:              s.cfg.ElectionTicks,
		HeartbeatTick:             s.cfg.HeartbeatTicks,
		Storage:                   &regionStorage{MemoryStorage: ms, r: r},
		Applied:                   st.Apply.Applied,
		MaxSizePerMsg:             1 << 20,
		MaxCommittedSizePerReady:  64 << 20,
		MaxUncommittedEntriesSize: 256 << 20,
		MaxInflightMsgs:           256,
		CheckQuorum:               true,
		PreVote:                   true,
		AsyncStorageWrites:        true,
		DisableProposalForwarding: true,
		Logger:                    newRaftLogger(s.log, d.ID),
	})
	if err != nil {
		return nil, fmt.Errorf("region %d raft: %w", d.ID, err)
	}
	r.rn = rn
	return r, nil
}

func (s *Store) rebuildRoutes() {
	rt := &routeTable{}
	for _, r := range s.regions {
		d := r.desc.Load()
		for sl := int(d.StartSlot); sl <= int(d.EndSlot); sl++ {
			rt.bySlot[sl] = r
		}
	}
	s.routes.Store(rt)
}

// Route returns the Region that owns slot.
func (s *Store) Route(slot uint16) *Region { return s.routes.Load().bySlot[slot] }

// Regions returns the store's data Regions (those holding slots) by id.
func (s *Store) Regions() []*Region { return s.data }

// Transport is the store's link to its peers (nil on a single node).
func (s *Store) Transport() *Transport { return s.cfg.Transport }

// StoreID is this store's id.
func (s *Store) StoreID() uint64 { return s.cfg.StoreID }

// DB is the store's engine.
func (s *Store) DB() *engine.DB { return s.db }

// Start launches the round, append, apply and expiry loops.
func (s *Store) Start() {
	for _, r := range s.regions {
		if len(r.desc.Load().Peers) == 1 || r.campaignAtStart {
			// A single voter elects itself at once instead of waiting out
			// an election timeout; so does a new cluster's chosen leader.
			_ = r.rn.Campaign()
			r.dirty = true
			s.touched = append(s.touched, r)
		}
	}
	if t := s.cfg.Transport; t != nil {
		t.start(&transportHandler{raft: s.receive, snapshot: s.receiveSnapshot, rpc: s.handleRPC})
	}
	s.wg.Add(3 + len(s.applyChs))
	go func() { defer s.wg.Done(); s.appendLoop() }()
	go func() { defer s.wg.Done(); s.checkpointLoop() }()
	for _, ch := range s.applyChs {
		go func(ch chan []regionMsg) { defer s.wg.Done(); s.applyLoop(ch) }(ch)
	}
	go func() { defer s.wg.Done(); s.expiryLoop() }()
	go s.roundLoop()
	s.notify()
	// A single-voter Region elects itself within a few rounds; waiting for
	// that here means the server never answers TRYAGAIN right after boot.
	// It also waits for the replay of the log behind Pebble's last flush,
	// so the first reads see every acknowledged write.
	deadline := time.Now().Add(2 * time.Second)
	for _, r := range s.regions {
		for len(r.desc.Load().Peers) == 1 && !r.leader.Load() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	deadline = time.Now().Add(5 * time.Minute)
	for _, r := range s.regions {
		for len(r.desc.Load().Peers) == 1 && r.leader.Load() && !r.CanReadLocally() && time.Now().Before(deadline) && !s.failed.Load() {
			time.Sleep(time.Millisecond)
		}
	}
}

// RouteEpoch stamps a routing decision: taken before reading a Region's
// leadership, it is above the Region's RouteChangedAt only if the view it
// read already had the Region's last leadership change.
func (s *Store) RouteEpoch() uint64 { return s.routeEpoch.Load() }

// Submit hands a batch of requests to the round loop; the store owns the
// batch from now on. Requests of a closing store fail at once.
func (s *Store) Submit(b *Batch) {
	if len(b.reqs) == 0 {
		b.release()
		return
	}
	s.mu.Lock()
	if s.closing || s.failed.Load() {
		s.mu.Unlock()
		msg := ErrShuttingDown
		if s.failed.Load() {
			msg = ErrStoreFailed
		}
		for i := range b.reqs {
			failRequest(&b.reqs[i], msg)
		}
		b.release()
		return
	}
	s.inReqs = append(s.inReqs, b)
	s.mu.Unlock()
	s.notify()
}

func (s *Store) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Store) deliver(msgs []regionMsg) {
	s.handOffMsgs(func(in []regionMsg) []regionMsg { return append(in, msgs...) })
}

// deliverOwnResponses hands the round loop the responses of the append or
// apply loop's work addressed to the Region's own replica (the others went
// to peer stores).
func (s *Store) deliverOwnResponses(work []regionMsg) {
	s.handOffMsgs(func(in []regionMsg) []regionMsg {
		for i := range work {
			r := work[i].region
			for _, resp := range work[i].m.Responses {
				if resp.To == r.peerID {
					in = append(in, regionMsg{region: r, m: resp})
				}
			}
		}
		return in
	})
}

// maxSpareQ bounds the work slices kept for reuse (a regionMsg is ~200
// bytes): a rare huge round does not pin its slice.
const maxSpareQ = 4096

// recycleQ gives an append or apply loop's processed work slice back for the
// round loop to fill again. Every round hands each loop a slice of messages
// of ~200 bytes each; allocated afresh, they were a fifth of the bytes a
// store allocated under a write load spread over many Regions.
func (s *Store) recycleQ(q []regionMsg) {
	if cap(q) == 0 || cap(q) > maxSpareQ {
		return
	}
	clear(q) // drop the messages' entries for the GC
	select {
	case s.spareQs <- q[:0]:
	default:
	}
}

// takeSpareQ returns a recycled work slice, or nil if there is none.
func (s *Store) takeSpareQ() []regionMsg {
	select {
	case q := <-s.spareQs:
		return q
	default:
		return nil
	}
}

// handOffMsgs lets add append to the round loop's message inbox, under the
// hand-off lock, and wakes the loop if it did.
func (s *Store) handOffMsgs(add func(in []regionMsg) []regionMsg) {
	s.mu.Lock()
	n := len(s.inMsgs)
	s.inMsgs = add(s.inMsgs)
	added := len(s.inMsgs) > n
	s.mu.Unlock()
	if added {
		s.notify()
	}
}

func failRequest(r *request, msg string) {
	if r.reply != nil {
		r.reply.Error(msg)
	}
	r.complete()
}

// fatal stops the store after an unrecoverable storage error.
func (s *Store) fatal(err error) {
	s.fatalMu.Do(func() {
		s.failed.Store(true)
		s.log.Error("store failed", "err", err)
		if s.cfg.OnFatal != nil {
			go s.cfg.OnFatal(err)
		}
	})
}

// stopFlushTimeout bounds Stop's final flush. A 64 MiB memtable flushes
// in about a second on this machine's disk.
const stopFlushTimeout = 20 * time.Second

// Stop lets in-flight proposals finish (up to timeout), then stops every
// loop. Requests still unanswered get an error reply. The error is a final
// flush or log close that failed (nothing is lost: the next start replays
// the log), for the process to exit non-zero.
func (s *Store) Stop(timeout time.Duration) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && !s.failed.Load() {
		s.mu.Lock()
		idle := len(s.inReqs) == 0
		s.mu.Unlock()
		if idle && s.pending.len() == 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(s.stopc)
	<-s.loopDone
	s.wg.Wait()
	if s.cfg.Transport != nil {
		s.cfg.Transport.Close()
	}
	// Pebble runs without a WAL: flush what was applied, then close the log.
	// A flush Pebble cannot finish (its directory gone, a full disk) is
	// left behind: the log still holds what it would have written.
	ctx, cancel := context.WithTimeout(context.Background(), stopFlushTimeout)
	var stopErr error
	if err := s.db.FlushContext(ctx); err != nil {
		s.log.Error("flush on stop; the next start replays the Raft log instead", "err", err)
		stopErr = fmt.Errorf("flush on stop: %w", err)
	}
	cancel()
	if err := s.logs.close(); err != nil {
		s.log.Error("close raft log", "err", err)
		stopErr = errors.Join(stopErr, fmt.Errorf("close raft log: %w", err))
	}
	s.mu.Lock()
	left := s.inReqs
	s.inReqs = nil
	s.mu.Unlock()
	for _, b := range left {
		for i := range b.reqs {
			failRequest(&b.reqs[i], ErrShuttingDown)
		}
		b.release()
	}
	for _, p := range s.pending.drain() {
		s.eachProposed(p, func(req *request, kind byte, argv [][]byte) {
			if s.isRead(kind, argv) {
				failRequest(req, ErrShuttingDown)
				return
			}
			failRequest(req, ErrShutdownUncertain)
		})
	}
	for _, r := range s.regions {
		for i := range r.waiting {
			failRequest(&r.waiting[i], ErrShuttingDown)
		}
		r.waiting = nil
	}
	return stopErr
}

var errStopped = errors.New("store stopped")

// stopContext derives a context from parent that also ends when the store
// stops, so that a wait inside a loop (a flush, a snapshot send) does not
// hold Stop up. Its watcher ends with the context.
func (s *Store) stopContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	go func() {
		select {
		case <-s.stopc:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Stats are the store's counters, read by INFO and /metrics.
type Stats struct {
	Rounds           atomic.Uint64
	Proposals        atomic.Uint64 // entries proposed
	ProposedCommands atomic.Uint64
	Fsyncs           atomic.Uint64
	FsyncNanos       atomic.Uint64
	PersistedEntries atomic.Uint64
	PersistedBytes   atomic.Uint64
	ApplyBatches     atomic.Uint64
	AppliedEntries   atomic.Uint64
	AppliedCommands  atomic.Uint64
	// RepliedAtCommit counts plain SETs answered when their entry
	// committed, before it applied (see replyAtCommit).
	RepliedAtCommit atomic.Uint64
	// CommandPanics counts commands whose execution panicked on apply
	// (answered with an error instead of ending the process).
	CommandPanics atomic.Uint64
	// Reads by the path that served them: ReadsLocal at once by the front
	// end (a leader under a valid lease that has applied all it knows
	// committed, or a single replica); ReadsLeaseWait by the round loop
	// under the lease, after waiting for the apply to reach the commit
	// index; ReadsReadIndex after a ReadIndex quorum round (no lease, or a
	// follower's READONLY read). A read split over Regions counts once per
	// part on the round loop's paths.
	ReadsLocal, ReadsLeaseWait, ReadsReadIndex atomic.Uint64
	// Time spent, for averages in INFO.
	RoundNanos               atomic.Uint64
	ApplyNanos               atomic.Uint64
	ProposeToApplyNanos      atomic.Uint64
	ProposeToApplyCount      atomic.Uint64
	ProposeToApplyStartNanos atomic.Uint64
	// Latency distributions (exported on /metrics).
	FsyncLatency      Histogram
	RoundLatency      Histogram
	ProposeToCommit   Histogram // proposal to the start of its apply (committed)
	CommitToApply     Histogram // start of apply to its reply being released
	ApplyBatchLatency Histogram
}
