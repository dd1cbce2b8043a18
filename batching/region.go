package batching

import (
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/neokv/neokv/engine"
)

// Region is one replica of a Region on this store: its Raft group member and
// what the rest of the server may read about it concurrently.
type Region struct {
	id uint64

	// Read from any goroutine.
	desc     atomic.Pointer[engine.RegionDesc]
	leader   atomic.Bool   // this replica is the Raft leader
	leaderID atomic.Uint64 // peer id of the current leader, 0 if unknown
	// routeEpoch is the store's route epoch when leader or leaderID last
	// changed (see Store.RouteEpoch).
	routeEpoch atomic.Uint64
	// termStart is the index of the current leader term's first entry.
	termStart atomic.Uint64
	// Reads: single replica (always readable as leader), the leader lease
	// (unix ns) and whether reads wanted it since the last renewal.
	single      atomic.Bool
	leaseUntil  atomic.Int64
	readsWanted atomic.Bool
	term        atomic.Uint64
	applied     atomic.Uint64
	commit      atomic.Uint64
	// inDoubt counts this store's proposals of the Region whose fate is
	// not known yet (see pendingTable.markInDoubt).
	inDoubt atomic.Int32

	// Owned by the round loop.
	peerID   uint64
	rn       *raft.RawNode
	storage  *raft.MemoryStorage
	props    []request // requests gathered this round
	readReqs []request // reads waiting for this round's ReadIndex
	// leaseRenewing: a lease ReadIndex is outstanding (round loop).
	leaseRenewing bool
	// Quiescence (round loop): asleep, and ticks without activity.
	quiesced  bool
	idleTicks int
	// leaseBarrier: only a ReadIndex sent after this may renew the lease
	// (set when leadership is being handed over).
	leaseBarrier time.Time
	propSize     int
	// Requests that arrived while the Region had no leader: they wait for
	// the election (up to electionWait) instead of failing at once.
	waiting      []request
	waitingSize  int
	waitDeadline time.Time
	// doubtDeadline: proposals still in doubt then are answered as such.
	doubtDeadline time.Time
	dirty         bool         // touched this round: ask for a Ready
	sm            StateMachine // non-nil for a system Region
	// campaignAtStart: this store leads the Region first in a new cluster.
	campaignAtStart bool

	// Snapshots: raft asks (snapRequested), the apply worker prepares.
	prepared      atomic.Pointer[preparedSnapshot]
	snapRequested atomic.Bool
	// compactFloor: the in-memory log is kept from here on so followers
	// can catch up by log (set by the round loop from Raft progress).
	compactFloor atomic.Uint64

	// Owned by the append loop.
	lastPersisted uint64 // last log index written to Pebble
	persistedTerm uint64 // term and vote of the last hard state written
	persistedVote uint64

	// Owned by the Region's apply worker.
	applyWorker int
	applyState  engine.ApplyState
	// waitingReads: ReadIndex reads whose index is not applied yet.
	waitingReads []*readJob
}

// ID is the Region id.
func (r *Region) ID() uint64 { return r.id }

// Desc returns the Region's current descriptor (do not modify).
func (r *Region) Desc() *engine.RegionDesc { return r.desc.Load() }

// IsLeader reports whether this replica leads the Region.
func (r *Region) IsLeader() bool { return r.leader.Load() }

// RouteChangedAt is the store's route epoch at the last change of where
// this Region is led: a command routed with a stamp (Store.RouteEpoch)
// not above it may have been routed by the view before the change.
func (r *Region) RouteChangedAt() uint64 { return r.routeEpoch.Load() }

// Term is the last Raft term this replica saw.
func (r *Region) Term() uint64 { return r.term.Load() }

// Applied is the last applied log index.
func (r *Region) Applied() uint64 { return r.applied.Load() }

// Commit is the last known commit index.
func (r *Region) Commit() uint64 { return r.commit.Load() }

// LeaderStore returns the store id of the Region's leader, or 0 if unknown.
func (r *Region) LeaderStore() uint64 {
	lid := r.leaderID.Load()
	if lid == 0 {
		return 0
	}
	for _, p := range r.desc.Load().Peers {
		if p.ID == lid {
			return p.StoreID
		}
	}
	return 0
}

// regionMsg is a Raft message together with the Region it belongs to; for
// an apply worker it may instead carry a snapshot to install.
type regionMsg struct {
	region  *Region
	m       raftpb.Message
	install *installJob
	reads   *readJob
}
