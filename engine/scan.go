package engine

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/slots"
)

// ScanOptions filter a key scan.
type ScanOptions struct {
	Match []byte // glob; nil matches every key
	Type  Type   // TypeNone matches every type
	Now   int64  // expired keys are skipped
}

// ScanSlots calls fn for live keys in slots [from, hi], one whole slot at a
// time, until at least count keys were visited. It returns the slot to
// resume from, or 0 when the scan reached hi. Keys stay valid only during fn.
//
// SCAN's cursor is this slot number: a key present for the whole scan is
// returned once, whatever is written meanwhile, at the cost of returning a
// whole slot per step (fine unless a hash tag piles millions of keys into
// one slot).
func (db *DB) ScanSlots(from, hi uint16, count int, o ScanOptions, fn func(key []byte)) (next uint16, err error) {
	visited := 0
	cur := -1
	err = eachMeta(db.pdb, from, hi, func(slot uint16, key []byte, m *meta) bool {
		if int(slot) != cur {
			if visited >= count {
				next = slot
				return false
			}
			cur = int(slot)
		}
		visited++
		if m.expiredAt(o.Now) || (o.Type != TypeNone && m.typ != o.Type) {
			return true
		}
		if o.Match != nil && !GlobMatch(o.Match, key) {
			return true
		}
		fn(key)
		return true
	})
	if err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	return next, nil
}

// eachMeta calls fn for every metadata record in slots [from, to], in
// order, seeking past collections' sub-keys. fn returns false to stop.
func eachMeta(r pebble.Reader, from, to uint16, fn func(slot uint16, key []byte, m *meta) bool) error {
	lo, hi := DataSpan(from, to)
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	defer closeQuietly(it)
	for valid := it.First(); valid; {
		k := it.Key()
		if len(k) < 4 || k[3] != tagMeta {
			// Sub-keys of the slot's collections: jump to the next slot.
			s := binary.BigEndian.Uint16(k[1:])
			if s >= to {
				break
			}
			valid = it.SeekGE(metaStart(s + 1))
			continue
		}
		slot, key, ok := decodeMetaKey(k)
		if ok {
			m, err := decodeMeta(it.Value())
			if err != nil {
				return fmt.Errorf("key %q: %w", key, err)
			}
			if !fn(slot, key, &m) {
				return nil
			}
		}
		valid = it.Next()
	}
	return it.Error()
}

// RandomKey returns a random live key in slots [lo, hi], or nil if there
// is none.
func (db *DB) RandomKey(lo, hi uint16, now int64) ([]byte, error) {
	span := int(hi) - int(lo) + 1
	for attempt := 0; attempt < 100; attempt++ {
		start := rand.IntN(span)
		slot, n := -1, int64(0)
		for i := 0; i < span; i++ {
			s := int(lo) + (start+i)%span
			// Read the count once: apply may lower it concurrently, and a
			// second read could see 0 (rand.Int64N(0) panics).
			if c := db.slotKeys[s].Load(); c > 0 {
				slot, n = s, c
				break
			}
		}
		if slot < 0 {
			return nil, nil
		}
		skip := rand.Int64N(n)
		key, live, err := db.nthKeyInSlot(uint16(slot), skip, now)
		if err != nil {
			return nil, err
		}
		if key != nil && live {
			return key, nil
		}
	}
	// The random picks keep landing on expired keys that active expiry has
	// not removed yet. Redis's RANDOMKEY keeps looking until it finds a live
	// key rather than answer nil, so finish with one ordered pass from a
	// random slot, wrapping around.
	start := lo + uint16(rand.IntN(span))
	key, err := db.firstLiveKey(start, hi, now)
	if key != nil || err != nil || start == lo {
		return key, err
	}
	return db.firstLiveKey(lo, start-1, now)
}

// firstLiveKey returns the first key in slots [from, to] not expired at now.
func (db *DB) firstLiveKey(from, to uint16, now int64) (key []byte, err error) {
	err = eachMeta(db.pdb, from, to, func(_ uint16, k []byte, m *meta) bool {
		if !m.expiredAt(now) {
			key = copyBytes(k)
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	return key, nil
}

func (db *DB) nthKeyInSlot(slot uint16, n int64, now int64) (key []byte, live bool, err error) {
	err = eachMeta(db.pdb, slot, slot, func(_ uint16, k []byte, m *meta) bool {
		if n > 0 {
			n--
			return true
		}
		key, live = copyBytes(k), !m.expiredAt(now)
		return false
	})
	if err != nil {
		return nil, false, fmt.Errorf("random key: %w", err)
	}
	return key, live, nil
}

// ExpiredKey is an entry of the expiry index whose time has come.
type ExpiredKey struct {
	At   int64
	Slot uint16
	Key  []byte
}

// ExpiredKeys returns up to limit expiry-index entries with time <= now
// whose slot is accepted by want.
func (db *DB) ExpiredKeys(now int64, limit int, want func(slot uint16) bool) ([]ExpiredKey, error) {
	lo := []byte{prefixExpire}
	hi := appendExpireKey(nil, now+1, 0, nil)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("expired keys: %w", err)
	}
	defer closeQuietly(it)
	var out []ExpiredKey
	for it.First(); it.Valid() && len(out) < limit; it.Next() {
		k := it.Key()
		if len(k) < 11 {
			continue
		}
		e := ExpiredKey{At: int64(binary.BigEndian.Uint64(k[1:])), Slot: binary.BigEndian.Uint16(k[9:])}
		if !want(e.Slot) {
			continue
		}
		e.Key = copyBytes(k[11:])
		out = append(out, e)
	}
	return out, it.Error()
}

// execFlushSlots is FLUSHDB's per-Region part: "flushslots lo hi" drops every
// key of slots [lo, hi] with one range deletion. Stale expiry-index entries
// are left for active expiry, whose expiredel removes them.
func execFlushSlots(c *Ctx, argv [][]byte) {
	if len(argv) != 3 {
		c.W.Error(ErrSyntax)
		return
	}
	lo, ok1 := c.parseInt(argv[1])
	hi, ok2 := c.parseInt(argv[2])
	if !ok1 || !ok2 || lo < 0 || hi >= slots.Count || lo > hi {
		if ok1 && ok2 {
			c.W.Error(ErrSyntax)
		}
		return
	}
	start, end := DataSpan(uint16(lo), uint16(hi))
	c.setErr(c.b.DeleteRange(start, end, nil))
	c.flushedRange = true
	if c.cache != nil {
		c.written = append(c.written, c.cache.clearSlots(uint16(lo), uint16(hi), c.batchPub())...)
	}
	for s := int(lo); s <= int(hi); s++ {
		if n := c.db.slotKeys[s].Load() + int64(c.deltas.d[s]); n != 0 {
			c.deltas.add(uint16(s), int32(-n))
		}
		if n := c.db.slotExpires[s].Load() + int64(c.deltas.e[s]); n != 0 {
			c.deltas.addExpires(uint16(s), int32(-n))
		}
	}
	c.W.OK()
}

// RegionChecksum is the checksum of a slot range's data as of an entry.
type RegionChecksum struct {
	Lo, Hi uint16
	Token  string
	Sum    uint64
	Keys   int64
}

// execChecksum is "checksum lo hi token": a checksum of every key family
// of slots [lo, hi] (data span and expiry index) at this point of the log,
// so that replicas that applied the same entry can be compared. It is
// recorded on the DB (LastChecksums) and returned as the reply.
func execChecksum(c *Ctx, argv [][]byte) {
	if len(argv) != 4 {
		c.W.Error(ErrSyntax)
		return
	}
	lo, ok1 := c.parseInt(argv[1])
	hi, ok2 := c.parseInt(argv[2])
	if !ok1 || !ok2 || lo < 0 || hi >= slots.Count || lo > hi {
		if ok1 && ok2 {
			c.W.Error(ErrSyntax)
		}
		return
	}
	h := fnv.New64a()
	var keys int64
	hashRange := func(start, end []byte, keep func([]byte) bool) error {
		it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
		if err != nil {
			return err
		}
		defer closeQuietly(it)
		var n [4]byte
		for it.First(); it.Valid(); it.Next() {
			if keep != nil && !keep(it.Key()) {
				continue
			}
			binary.BigEndian.PutUint32(n[:], uint32(len(it.Key())))
			_, _ = h.Write(n[:])
			_, _ = h.Write(it.Key())
			v := it.Value()
			binary.BigEndian.PutUint32(n[:], uint32(len(v)))
			_, _ = h.Write(n[:])
			_, _ = h.Write(v)
			keys++
		}
		return it.Error()
	}
	start, end := DataSpan(uint16(lo), uint16(hi))
	err := hashRange(start, end, nil)
	if err == nil {
		// Only index entries that agree with their key's metadata count:
		// the others are inert (expiry checks the metadata before it
		// deletes) and differ legitimately between replicas, because a
		// snapshot install cannot excise the old index entries of its
		// slots (the index is ordered by time) and leaves them for active
		// expiry to drop.
		err = hashRange([]byte{prefixExpire}, []byte{prefixExpire + 1}, func(k []byte) bool {
			if len(k) < 11 {
				return false
			}
			s := binary.BigEndian.Uint16(k[9:])
			if int64(s) < lo || int64(s) > hi {
				return false
			}
			at := int64(binary.BigEndian.Uint64(k[1:]))
			v, closer, err := c.r.Get(appendMetaKey(nil, s, k[11:]))
			if err != nil {
				return false
			}
			defer closer.Close()
			m, err := decodeMeta(v)
			return err == nil && m.expireAt == at
		})
	}
	if err != nil {
		c.fail(err)
		return
	}
	sum := RegionChecksum{Lo: uint16(lo), Hi: uint16(hi), Token: string(argv[3]), Sum: h.Sum64(), Keys: keys}
	c.db.checksumMu.Lock()
	c.db.checksums[uint16(lo)] = sum
	c.db.checksumMu.Unlock()
	c.W.Int(int64(sum.Sum >> 1))
}

// LastChecksums returns the checksums this store computed, by slot range.
func (db *DB) LastChecksums() []RegionChecksum {
	db.checksumMu.Lock()
	defer db.checksumMu.Unlock()
	out := make([]RegionChecksum, 0, len(db.checksums))
	for _, c := range db.checksums {
		out = append(out, c)
	}
	return out
}
