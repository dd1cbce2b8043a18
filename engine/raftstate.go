package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/cockroachdb/pebble/v2"
)

// Peer is one replica of a Region.
type Peer struct {
	ID      uint64 // Raft node id, unique within the Region
	StoreID uint64
}

// RegionDesc describes a Region: its slot range, epoch and replicas.
type RegionDesc struct {
	ID        uint64
	StartSlot uint16 // inclusive
	EndSlot   uint16 // inclusive
	ConfVer   uint64 // bumped by membership changes
	Version   uint64 // bumped by splits and merges
	Peers     []Peer
}

// ContainsSlot reports whether slot s belongs to the Region.
func (d *RegionDesc) ContainsSlot(s uint16) bool { return s >= d.StartSlot && s <= d.EndSlot }

// PeerOnStore returns the Region's peer on store id.
func (d *RegionDesc) PeerOnStore(store uint64) (Peer, bool) {
	for _, p := range d.Peers {
		if p.StoreID == store {
			return p, true
		}
	}
	return Peer{}, false
}

// Marshal encodes the descriptor.
func (d *RegionDesc) Marshal() []byte {
	b := make([]byte, 0, 40+16*len(d.Peers))
	b = binary.BigEndian.AppendUint64(b, d.ID)
	b = binary.BigEndian.AppendUint16(b, d.StartSlot)
	b = binary.BigEndian.AppendUint16(b, d.EndSlot)
	b = binary.BigEndian.AppendUint64(b, d.ConfVer)
	b = binary.BigEndian.AppendUint64(b, d.Version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(d.Peers)))
	for _, p := range d.Peers {
		b = binary.BigEndian.AppendUint64(b, p.ID)
		b = binary.BigEndian.AppendUint64(b, p.StoreID)
	}
	return b
}

// UnmarshalRegionDesc decodes a descriptor written by Marshal.
func UnmarshalRegionDesc(b []byte) (RegionDesc, error) {
	var d RegionDesc
	if len(b) < 32 {
		return d, errors.New("engine: short region descriptor")
	}
	d.ID = binary.BigEndian.Uint64(b)
	d.StartSlot = binary.BigEndian.Uint16(b[8:])
	d.EndSlot = binary.BigEndian.Uint16(b[10:])
	d.ConfVer = binary.BigEndian.Uint64(b[12:])
	d.Version = binary.BigEndian.Uint64(b[20:])
	n := int(binary.BigEndian.Uint32(b[28:]))
	b = b[32:]
	if len(b) != 16*n {
		return d, errors.New("engine: bad region descriptor peers")
	}
	for i := 0; i < n; i++ {
		d.Peers = append(d.Peers, Peer{ID: binary.BigEndian.Uint64(b[16*i:]), StoreID: binary.BigEndian.Uint64(b[16*i+8:])})
	}
	return d, nil
}

// ApplyState is how far a Region's state machine has applied its log, and
// where the log starts.
type ApplyState struct {
	Applied        uint64
	AppliedTerm    uint64
	TruncatedIndex uint64
	TruncatedTerm  uint64
}

func (a ApplyState) marshal() []byte {
	b := make([]byte, 32)
	binary.BigEndian.PutUint64(b, a.Applied)
	binary.BigEndian.PutUint64(b[8:], a.TruncatedIndex)
	binary.BigEndian.PutUint64(b[16:], a.TruncatedTerm)
	binary.BigEndian.PutUint64(b[24:], a.AppliedTerm)
	return b
}

func unmarshalApplyState(b []byte) (ApplyState, error) {
	if len(b) != 32 {
		return ApplyState{}, errors.New("engine: bad apply state")
	}
	return ApplyState{
		Applied:        binary.BigEndian.Uint64(b),
		TruncatedIndex: binary.BigEndian.Uint64(b[8:]),
		TruncatedTerm:  binary.BigEndian.Uint64(b[16:]),
		AppliedTerm:    binary.BigEndian.Uint64(b[24:]),
	}, nil
}

// SystemState returns the stored state of a system Region's state machine.
func (db *DB) SystemState(region uint64) ([]byte, error) {
	return db.get(raftKey(region, raftSystemSuffix))
}

// RegionState is everything stored about one Region's Raft group.
type RegionState struct {
	Desc      RegionDesc
	Apply     ApplyState
	HardState []byte // raftpb.HardState, marshalled by the caller
}

// LoadRegions returns every Region stored on this store.
func (db *DB) LoadRegions() ([]RegionState, error) {
	lo := []byte{prefixRaft}
	hi := []byte{prefixRaft + 1}
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("load regions: %w", err)
	}
	defer closeQuietly(it)
	var out []RegionState
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 10 || k[9] != raftDescSuffix {
			continue
		}
		d, err := UnmarshalRegionDesc(it.Value())
		if err != nil {
			return nil, fmt.Errorf("load region %x: %w", k, err)
		}
		out = append(out, RegionState{Desc: d})
	}
	for i := range out {
		id := out[i].Desc.ID
		a, err := db.get(raftKey(id, raftApplySuffix))
		if err != nil {
			return nil, err
		}
		if a != nil {
			if out[i].Apply, err = unmarshalApplyState(a); err != nil {
				return nil, fmt.Errorf("region %d: %w", id, err)
			}
		}
		if out[i].HardState, err = db.get(raftKey(id, raftHardSuffix)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// LoadLog calls fn for each stored log entry of region with index >= lo, in order.
func (db *DB) LoadLog(region, lo uint64, fn func(index uint64, data []byte) error) error {
	start := appendRaftLogKey(nil, region, lo)
	end := appendRaftLogKey(nil, region, math.MaxUint64)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return fmt.Errorf("load log of region %d: %w", region, err)
	}
	defer closeQuietly(it)
	for it.First(); it.Valid(); it.Next() {
		idx := binary.BigEndian.Uint64(it.Key()[10:])
		if err := fn(idx, it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// WriteBatch is a Pebble batch for Raft state: log entries, hard states,
// apply states and descriptors of many Regions, committed together.
type WriteBatch struct {
	b   *pebble.Batch
	key []byte
}

// NewWriteBatch returns an empty batch.
func (db *DB) NewWriteBatch() *WriteBatch { return &WriteBatch{b: db.pdb.NewBatch()} }

// PutEntry stores one log entry.
func (w *WriteBatch) PutEntry(region, index uint64, data []byte) error {
	w.key = appendRaftLogKey(w.key[:0], region, index)
	return w.b.Set(w.key, data, nil)
}

// DeleteEntriesFrom removes every entry of region with index >= from
// (a conflicting suffix overwritten by a new leader).
func (w *WriteBatch) DeleteEntriesFrom(region, from uint64) error {
	return w.b.DeleteRange(appendRaftLogKey(nil, region, from), appendRaftLogKey(nil, region, math.MaxUint64), nil)
}

// PutHardState stores a Region's hard state.
func (w *WriteBatch) PutHardState(region uint64, hs []byte) error {
	return w.b.Set(raftKey(region, raftHardSuffix), hs, nil)
}

// PutRegion stores a Region's descriptor and apply state.
func (w *WriteBatch) PutRegion(d *RegionDesc, a ApplyState) error {
	if err := w.b.Set(raftKey(d.ID, raftDescSuffix), d.Marshal(), nil); err != nil {
		return err
	}
	return w.b.Set(raftKey(d.ID, raftApplySuffix), a.marshal(), nil)
}

// Empty reports whether nothing has been written to the batch.
func (w *WriteBatch) Empty() bool { return w.b.Empty() }

// Len is the batch's size in bytes.
func (w *WriteBatch) Len() int { return w.b.Len() }

// Commit writes the batch, with an fsync if sync is set, and resets it for reuse.
func (w *WriteBatch) Commit(sync bool) error {
	opts := pebble.NoSync
	if sync {
		opts = pebble.Sync
	}
	err := w.b.Commit(opts)
	w.b.Reset()
	if err != nil {
		return fmt.Errorf("commit raft batch: %w", err)
	}
	return nil
}

// Close releases the batch.
func (w *WriteBatch) Close() { _ = w.b.Close() }
