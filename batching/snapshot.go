package batching

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/neokv/neokv/engine"
)

// Snapshots, TiKV style: raft asks the Region's Storage for a snapshot
// when a follower is behind the in-memory log; the apply worker takes a
// Pebble snapshot right after a commit (so its data is exactly the state
// at the applied index), and the store streams the Region's slot range
// from it to the follower on a connection of its own. The follower stages
// the stream as an sstable, steps the MsgSnap, and when Raft accepts it
// the append loop has the Region's apply worker ingest it atomically.

// preparedSnapshot is a Region snapshot ready to send.
type preparedSnapshot struct {
	meta raftpb.Snapshot
	data *engine.RegionSnapshot
	refs atomic.Int32 // the Region's reference plus one per send
	used time.Time
}

func (p *preparedSnapshot) release() {
	if p.refs.Add(-1) == 0 {
		p.data.Close()
	}
}

// regionStorage is raft's Storage for a Region: the in-memory log, with
// snapshots produced on demand by the apply worker.
type regionStorage struct {
	*raft.MemoryStorage
	r *Region
}

// Snapshot implements raft.Storage.
func (rs *regionStorage) Snapshot() (raftpb.Snapshot, error) {
	if p := rs.r.prepared.Load(); p != nil {
		first, _ := rs.FirstIndex()
		if p.meta.Metadata.Index+1 >= first && time.Since(p.used) < time.Minute {
			return p.meta, nil
		}
	}
	rs.r.snapRequested.Store(true)
	return raftpb.Snapshot{}, raft.ErrSnapshotTemporarilyUnavailable
}

// prepareSnapshots runs on an apply worker after a commit: it captures a
// snapshot for every Region raft asked one for.
func (s *Store) prepareSnapshots(regions []*Region) {
	for _, r := range regions {
		if !r.snapRequested.Load() {
			continue
		}
		r.snapRequested.Store(false)
		d := *r.desc.Load()
		var system []byte
		if r.sm != nil {
			system = r.sm.Snapshot()
		}
		cs := raftpb.ConfState{}
		for _, p := range d.Peers {
			cs.Voters = append(cs.Voters, p.ID)
		}
		p := &preparedSnapshot{
			meta: raftpb.Snapshot{Data: d.Marshal(), Metadata: raftpb.SnapshotMetadata{
				Index: r.applyState.Applied, Term: r.applyState.AppliedTerm, ConfState: cs}},
			data: s.db.NewRegionSnapshot(d, system),
			used: time.Now(),
		}
		p.refs.Store(1)
		if old := r.prepared.Swap(p); old != nil {
			old.release()
		}
		s.notify() // raft retries Snapshot() on its next attempt
	}
}

// sendSnapshot streams the prepared snapshot named by m to its follower.
func (s *Store) sendSnapshot(r *Region, m raftpb.Message) {
	p := r.prepared.Load()
	to := r.storeOfPeer(m.To)
	if p == nil || m.Snapshot == nil || p.meta.Metadata.Index != m.Snapshot.Metadata.Index || to == 0 || s.cfg.Transport == nil {
		r.rn.ReportSnapshot(m.To, raft.SnapshotFailure)
		return
	}
	p.refs.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer p.release()
		timed, cancelTimed := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancelTimed()
		ctx, cancel := s.stopContext(timed)
		defer cancel()
		msg, err := m.Marshal()
		if err == nil {
			err = s.cfg.Transport.SendSnapshot(ctx, to, func(w io.Writer) error {
				var hdr [12]byte
				binary.BigEndian.PutUint64(hdr[:], r.id)
				binary.BigEndian.PutUint32(hdr[8:], uint32(len(msg)))
				if _, err := w.Write(hdr[:]); err != nil {
					return err
				}
				if _, err := w.Write(msg); err != nil {
					return err
				}
				return p.data.Stream(w)
			})
		}
		status := raft.SnapshotFinish
		if err != nil {
			status = raft.SnapshotFailure
			s.log.Warn("send snapshot", "region", r.id, "to_store", to, "index", m.Snapshot.Metadata.Index, "err", err)
		} else {
			s.log.Info("sent snapshot", "region", r.id, "to_store", to, "index", m.Snapshot.Metadata.Index)
		}
		s.runInLoop(func() {
			r.rn.ReportSnapshot(m.To, status)
			s.touch(r)
		})
	}()
}

// staged snapshots received and waiting for Raft, by Region.
type stagedSnapshots struct {
	mu sync.Mutex
	m  map[uint64]stagedEntry
}

type stagedEntry struct {
	index uint64
	st    *engine.StagedSnapshot
}

// receiveSnapshot stages a snapshot stream from a peer and steps its MsgSnap.
func (s *Store) receiveSnapshot(from uint64, rd io.Reader) error {
	var hdr [12]byte
	if _, err := io.ReadFull(rd, hdr[:]); err != nil {
		return err
	}
	region := binary.BigEndian.Uint64(hdr[:])
	n := binary.BigEndian.Uint32(hdr[8:])
	if n > 64<<20 {
		return errors.New("snapshot message too large")
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return err
	}
	var m raftpb.Message
	if err := m.Unmarshal(buf); err != nil || m.Snapshot == nil {
		return fmt.Errorf("snapshot message: %v", err)
	}
	r := s.byID[region]
	if r == nil {
		return fmt.Errorf("snapshot for unknown region %d", region)
	}
	desc, err := engine.UnmarshalRegionDesc(m.Snapshot.Data)
	if err != nil {
		return err
	}
	md := m.Snapshot.Metadata
	if err := os.MkdirAll(s.cfg.SnapDir, 0o755); err != nil {
		return err
	}
	path := filepath.Join(s.cfg.SnapDir, fmt.Sprintf("r%d-%d-%d.sst", region, md.Index, md.Term))
	st, err := s.db.StageRegionSnapshot(rd, path, desc, engine.ApplyState{
		Applied: md.Index, AppliedTerm: md.Term, TruncatedIndex: md.Index, TruncatedTerm: md.Term})
	if err != nil {
		return err
	}
	s.staged.mu.Lock()
	if old, ok := s.staged.m[region]; ok {
		_ = os.Remove(old.st.Path)
	}
	s.staged.m[region] = stagedEntry{index: md.Index, st: st}
	s.staged.mu.Unlock()
	s.log.Info("received snapshot", "region", region, "from_store", from, "index", md.Index, "keys", st.Keys)
	s.deliver([]regionMsg{{region: r, m: m}})
	return nil
}

// installSnapshot makes a snapshot Raft accepted the Region's state. It
// runs on the Region's apply worker (so no apply of the Region races it)
// while the append loop waits.
func (s *Store) installSnapshot(r *Region, snap raftpb.Snapshot) error {
	md := snap.Metadata
	s.staged.mu.Lock()
	e, ok := s.staged.m[r.id]
	if ok && e.index == md.Index {
		delete(s.staged.m, r.id)
	}
	s.staged.mu.Unlock()
	if !ok || e.index != md.Index {
		return fmt.Errorf("region %d: no staged data for snapshot at %d", r.id, md.Index)
	}
	desc, err := engine.UnmarshalRegionDesc(snap.Data)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	s.applyChs[r.applyWorker] <- []regionMsg{{region: r, install: &installJob{desc: desc, st: e.st, meta: md, done: done}}}
	err = <-done
	_ = os.Remove(e.st.Path)
	return err
}

// installJob asks an apply worker to ingest a staged snapshot.
type installJob struct {
	desc engine.RegionDesc
	st   *engine.StagedSnapshot
	meta raftpb.SnapshotMetadata
	done chan error
}

// runInstall is the apply worker's part of installSnapshot.
func (s *Store) runInstall(a *engine.Applier, r *Region, j *installJob) error {
	if err := s.db.IngestRegionSnapshot(j.st, j.desc); err != nil {
		return err
	}
	if r.sm != nil {
		state, err := s.db.SystemState(r.id)
		if err != nil {
			return err
		}
		if err := r.sm.Restore(state); err != nil {
			return fmt.Errorf("region %d: restore system state: %w", r.id, err)
		}
	}
	r.applyState = engine.ApplyState{Applied: j.meta.Index, AppliedTerm: j.meta.Term, TruncatedIndex: j.meta.Index, TruncatedTerm: j.meta.Term}
	d := j.desc
	r.desc.Store(&d)
	r.applied.Store(j.meta.Index)
	// Whether the snapshot holds a proposal in doubt cannot be told.
	for _, p := range s.pending.takeInDoubt(r) {
		s.abandonProposal(p)
	}
	s.log.Info("installed snapshot", "region", r.id, "index", j.meta.Index, "keys", j.st.Keys)
	return nil
}
