package engine

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/neokv/neokv/slots"
)

// A Region snapshot carries every key family of the Region's slot range:
// metadata records, collection sub-keys (one contiguous data span) and the
// Region's expiry-index entries, plus a system Region's state. On the wire:
//
//	record* end
//	record = klen(4) key vlen(4) value      end = 0xFFFFFFFF crc32c(4)
//
// The CRC covers every record, so a truncated or damaged stream is refused
// instead of installed.

const snapEnd = 0xFFFFFFFF

var snapCRC = crc32.MakeTable(crc32.Castagnoli)

// RegionSnapshot is a consistent view of one Region's data, taken by the
// apply loop right after a commit, so it holds exactly the state at the
// Region's applied index.
type RegionSnapshot struct {
	db     *DB
	snap   *pebble.Snapshot
	desc   RegionDesc
	system []byte
}

// NewRegionSnapshot captures a Region's data now. system is a system
// Region's state (nil for data Regions).
func (db *DB) NewRegionSnapshot(desc RegionDesc, system []byte) *RegionSnapshot {
	return &RegionSnapshot{db: db, snap: db.pdb.NewSnapshot(), desc: desc, system: append([]byte(nil), system...)}
}

// Close releases the Pebble snapshot.
func (s *RegionSnapshot) Close() { _ = s.snap.Close() }

// Stream writes the snapshot's records.
func (s *RegionSnapshot) Stream(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	crc := crc32.New(snapCRC)
	out := io.MultiWriter(bw, crc)
	var hdr [8]byte
	put := func(k, v []byte) error {
		binary.BigEndian.PutUint32(hdr[:4], uint32(len(k)))
		binary.BigEndian.PutUint32(hdr[4:], uint32(len(v)))
		if _, err := out.Write(hdr[:4]); err != nil {
			return err
		}
		if _, err := out.Write(k); err != nil {
			return err
		}
		if _, err := out.Write(hdr[4:]); err != nil {
			return err
		}
		_, err := out.Write(v)
		return err
	}
	if len(s.system) > 0 {
		if err := put(raftKey(s.desc.ID, raftSystemSuffix), s.system); err != nil {
			return err
		}
	}
	if s.desc.StartSlot <= s.desc.EndSlot {
		lo, hi := DataSpan(s.desc.StartSlot, s.desc.EndSlot)
		if err := s.copyRange(lo, hi, nil, put); err != nil {
			return err
		}
		inRegion := func(k []byte) bool {
			if len(k) < 11 {
				return false
			}
			sl := binary.BigEndian.Uint16(k[9:])
			return sl >= s.desc.StartSlot && sl <= s.desc.EndSlot
		}
		if err := s.copyRange([]byte{prefixExpire}, []byte{prefixExpire + 1}, inRegion, put); err != nil {
			return err
		}
	}
	binary.BigEndian.PutUint32(hdr[:4], snapEnd)
	if _, err := bw.Write(hdr[:4]); err != nil {
		return err
	}
	binary.BigEndian.PutUint32(hdr[:4], crc.Sum32())
	if _, err := bw.Write(hdr[:4]); err != nil {
		return err
	}
	return bw.Flush()
}

func (s *RegionSnapshot) copyRange(lo, hi []byte, keep func([]byte) bool, put func(k, v []byte) error) error {
	it, err := s.snap.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer closeQuietly(it)
	for it.First(); it.Valid(); it.Next() {
		if keep != nil && !keep(it.Key()) {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		if err := put(it.Key(), v); err != nil {
			return err
		}
	}
	return it.Error()
}

// StagedSnapshot is a received snapshot written to an sstable, waiting for
// Raft to accept it.
type StagedSnapshot struct {
	Path string
	Keys int
	// slotKeys counts the stream's user keys per slot, slotExpires those
	// with an expiry, for the key counts the ingest publishes together
	// with the data.
	slotKeys, slotExpires map[uint16]int64
}

// StageRegionSnapshot reads a snapshot stream into an sstable at path,
// together with the Region's new descriptor and apply state, so that
// installing it is one atomic ingest.
func (db *DB) StageRegionSnapshot(r io.Reader, path string, desc RegionDesc, apply ApplyState) (*StagedSnapshot, error) {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, fmt.Errorf("stage snapshot: %w", err)
	}
	w := sstable.NewWriter(objstorageprovider.NewFileWritable(f), db.popts.MakeWriterOptions(0, db.pdb.TableFormat()))
	fail := func(err error) (*StagedSnapshot, error) {
		_ = w.Close()
		_ = os.Remove(path)
		return nil, err
	}
	// Raft state keys sort first (0x01 ...): apply state, descriptor, then
	// the streamed records (a system state, data span, expiry index).
	if err := w.Set(raftKey(desc.ID, raftApplySuffix), apply.marshal()); err != nil {
		return fail(err)
	}
	if err := w.Set(raftKey(desc.ID, raftDescSuffix), desc.Marshal()); err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	crc := crc32.New(snapCRC)
	var hdr [4]byte
	keys := 0
	slotKeys, slotExpires := make(map[uint16]int64), make(map[uint16]int64)
	var prev []byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fail(fmt.Errorf("snapshot stream: %w", err))
		}
		kl := binary.BigEndian.Uint32(hdr[:])
		if kl == snapEnd {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return fail(fmt.Errorf("snapshot stream: %w", err))
			}
			if binary.BigEndian.Uint32(hdr[:]) != crc.Sum32() {
				return fail(errors.New("snapshot stream: checksum mismatch"))
			}
			break
		}
		if kl > 1<<20 {
			return fail(fmt.Errorf("snapshot stream: key of %d bytes", kl))
		}
		_, _ = crc.Write(hdr[:])
		k := make([]byte, kl)
		if _, err := io.ReadFull(br, k); err != nil {
			return fail(err)
		}
		_, _ = crc.Write(k)
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return fail(err)
		}
		_, _ = crc.Write(hdr[:])
		vl := binary.BigEndian.Uint32(hdr[:])
		v := make([]byte, vl)
		if _, err := io.ReadFull(br, v); err != nil {
			return fail(err)
		}
		_, _ = crc.Write(v)
		if prev != nil && string(k) <= string(prev) {
			return fail(errors.New("snapshot stream: keys out of order"))
		}
		if err := w.Set(k, v); err != nil {
			return fail(err)
		}
		if slot, _, ok := decodeMetaKey(k); ok {
			slotKeys[slot]++
			if m, err := decodeMeta(v); err != nil {
				return fail(fmt.Errorf("snapshot stream: key %q: %w", k, err))
			} else if m.expireAt != 0 {
				slotExpires[slot]++
			}
		}
		prev = k
		keys++
	}
	if err := w.Close(); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("stage snapshot: %w", err)
	}
	return &StagedSnapshot{Path: path, Keys: keys, slotKeys: slotKeys, slotExpires: slotExpires}, nil
}

// IngestRegionSnapshot replaces a Region's data with a staged snapshot in
// one atomic step: the Region's data span is excised and the staged table
// (data, expiry entries, apply state, descriptor) ingested in the same
// version edit. Stale expiry-index entries of the old data are left for
// active expiry to drop. The key counts of the Region's slots change with
// the data, as readers see them (DBSIZE never counts the old data's keys
// beside the new data).
func (db *DB) IngestRegionSnapshot(st *StagedSnapshot, desc RegionDesc) error {
	lo, hi := DataSpan(desc.StartSlot, desc.EndSlot)
	if desc.StartSlot > desc.EndSlot {
		// A system Region owns no slots: excise an empty span of its own.
		lo, hi = raftKey(desc.ID, raftSystemSuffix), raftKey(desc.ID, raftSystemSuffix+1)
	}
	// Readers see the old data and cached records or the new data and an
	// empty cache, never a mix (see DB.commitSeq).
	db.gate.Lock()
	db.commitSeq.Add(1)
	_, err := db.pdb.IngestAndExcise(context.Background(), []string{st.Path}, nil, nil, pebble.KeyRange{Start: lo, End: hi})
	if err == nil && db.rows != nil {
		db.rows.clear()
	}
	if err == nil && desc.StartSlot <= desc.EndSlot {
		for s := int(desc.StartSlot); s <= int(desc.EndSlot) && s < slots.Count; s++ {
			db.slotKeys[s].Store(st.slotKeys[uint16(s)])
			db.slotExpires[s].Store(st.slotExpires[uint16(s)])
		}
	}
	db.commitSeq.Add(1)
	db.gate.Unlock()
	if err == nil {
		db.dataReplaced()
	}
	if err != nil {
		return fmt.Errorf("ingest snapshot of region %d: %w", desc.ID, err)
	}
	if desc.StartSlot <= desc.EndSlot && db.keys != nil {
		// The ingested keys join the key filter only now, after they
		// became visible in Pebble (a filter rebuild in between would drop
		// keys added earlier); no read of this Region is served here
		// meanwhile: the caller advances its applied index afterwards.
		err := eachMeta(db.pdb, desc.StartSlot, desc.EndSlot, func(slot uint16, key []byte, _ *meta) bool {
			db.keys.add(key, true)
			return true
		})
		if err != nil {
			return fmt.Errorf("add keys of region %d to the key filter: %w", desc.ID, err)
		}
	}
	return nil
}
