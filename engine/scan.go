package engine

import (
	"encoding/binary"
	"fmt"
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
	lo, end := slotSpan(prefixMeta, from, hi)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: end})
	if err != nil {
		return 0, fmt.Errorf("scan: %w", err)
	}
	defer closeQuietly(it)
	visited := 0
	cur := -1
	for it.First(); it.Valid(); it.Next() {
		slot, key, ok := decodeMetaKey(it.Key())
		if !ok {
			continue
		}
		if int(slot) != cur {
			if visited >= count {
				return slot, nil
			}
			cur = int(slot)
		}
		m, err := decodeMeta(it.Value())
		if err != nil {
			return 0, fmt.Errorf("scan key %q: %w", key, err)
		}
		visited++
		if m.expiredAt(o.Now) || (o.Type != TypeNone && m.typ != o.Type) {
			continue
		}
		if o.Match != nil && !GlobMatch(o.Match, key) {
			continue
		}
		fn(key)
	}
	return 0, it.Error()
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
func (db *DB) firstLiveKey(from, to uint16, now int64) ([]byte, error) {
	lo, hi := slotSpan(prefixMeta, from, to)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, fmt.Errorf("random key: %w", err)
	}
	defer closeQuietly(it)
	for it.First(); it.Valid(); it.Next() {
		_, k, ok := decodeMetaKey(it.Key())
		if !ok {
			continue
		}
		m, err := decodeMeta(it.Value())
		if err != nil {
			return nil, fmt.Errorf("random key %q: %w", k, err)
		}
		if !m.expiredAt(now) {
			return copyBytes(k), nil
		}
	}
	return nil, it.Error()
}

func (db *DB) nthKeyInSlot(slot uint16, n int64, now int64) (key []byte, live bool, err error) {
	lo, hi := slotSpan(prefixMeta, slot, slot)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, false, fmt.Errorf("random key: %w", err)
	}
	defer closeQuietly(it)
	for it.First(); it.Valid(); it.Next() {
		if n > 0 {
			n--
			continue
		}
		_, k, ok := decodeMetaKey(it.Key())
		if !ok {
			return nil, false, nil
		}
		m, err := decodeMeta(it.Value())
		if err != nil {
			return nil, false, err
		}
		return copyBytes(k), !m.expiredAt(now), nil
	}
	return nil, false, it.Error()
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
// key of slots [lo, hi] with two range deletions. Stale expiry-index entries
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
	for _, p := range []byte{prefixMeta, prefixSub} {
		start, end := slotSpan(p, uint16(lo), uint16(hi))
		c.setErr(c.b.DeleteRange(start, end, nil))
	}
	for s := int(lo); s <= int(hi); s++ {
		if n := c.db.slotKeys[s].Load() + int64(c.deltas.d[s]); n != 0 {
			c.deltas.add(uint16(s), int32(-n))
		}
	}
	c.W.OK()
}
