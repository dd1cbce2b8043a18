package engine

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"

	"github.com/neokv/neokv/slots"
)

// rowCache holds recently read or written metadata records (for strings:
// the value too), in front of Pebble, like RocksDB's row cache. Profiles on
// this machine put a Pebble memtable seek or insert at 3-7 µs (cache misses
// across a large skiplist); a hit here is a hash lookup. Both the apply
// loops (to learn what a write replaces) and the readers (GET) use it.
//
// Readers see committed records only, and each apply batch's all at once.
// A batch stages its writes on the entries of the keys it writes, all
// pointing at one batchPub; the apply loop reads them back at once. The
// batch is published by one step of DB.commitSeq after its Pebble commit:
// a reader takes the sequence when its command starts and sees a staged
// record only if its batch was published by then (see DB.commitSeq for
// the reads that go to Pebble). A published staged record stays where it
// is until the key's next write settles it into place (settle), which
// changes nothing a reader can see: so a staged entry belongs to its apply
// loop's batch in flight or to an earlier, published batch. (Settling every
// key of a batch after its commit cost 7 % of a store's CPU in cluster SET
// profiles: the Pebble commit in between had evicted the entries from the
// CPU caches.)
//
//   - An entry with an unpublished staged write is never evicted or
//     cleared: it is the apply loop's only view of its uncommitted write.
//   - Readers fill only where no entry exists, with what they read in a
//     settled state (no commit overlapped their Pebble reads).
type rowCache struct {
	seed     maphash.Seed
	shards   [rowShards]rowShard
	maxBytes int64 // per shard
	maxValue int   // larger records are not cached
	// seq is DB.commitSeq: a batch is published once it reaches the
	// batch's doneAt.
	seq *atomic.Uint64
	// overFull is set when a shard grows past maxBytes, so that trim,
	// which runs after every apply commit, visits the shards only then
	// (locking all 256 of them per commit was ~2 % of a store's CPU under
	// small write batches).
	overFull atomic.Bool
}

const rowShards = 256

type rowShard struct {
	mu    sync.RWMutex
	m     map[string]*rowEntry
	bytes int64
	// hits and misses count get calls, for INFO and /metrics.
	hits, misses atomic.Uint64
}

// batchPub is an apply batch's publication: doneAt is the DB.commitSeq
// value from which its staged records are committed (never, until its
// commit starts).
type batchPub struct{ doneAt atomic.Uint64 }

func newBatchPub() *batchPub {
	p := &batchPub{}
	p.doneAt.Store(math.MaxUint64)
	return p
}

// rowEntry is what the cache knows of a key; its fields are read and
// written under the shard's lock.
type rowEntry struct {
	rec   []byte // the committed record (nil: absent), if known
	known bool   // rec is the committed state (false: readers go to Pebble)
	// staged is a write of batch pub: stagedRec (nil: deleted) when
	// stagedCached, otherwise a record only Pebble holds (a collection or
	// a large string), which the apply loop reads back from its batch.
	staged, stagedCached bool
	stagedRec            []byte
	pub                  *batchPub
}

func (e *rowEntry) cost(keyLen int) int64 {
	return int64(keyLen+len(e.rec)+len(e.stagedRec)) + 64
}

func newRowCache(totalBytes int64, maxValue int, seq *atomic.Uint64) *rowCache {
	if totalBytes <= 0 {
		return nil
	}
	c := &rowCache{seed: maphash.MakeSeed(), maxBytes: totalBytes / rowShards, maxValue: maxValue, seq: seq}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*rowEntry)
	}
	return c
}

func (c *rowCache) shard(key []byte) *rowShard {
	// A hash of the whole key: the slot would put every key of a hash tag
	// ({user1}:a, {user1}:b, ...; redis-benchmark --cluster tags all its
	// keys) in one shard, whose byte limit then caps the whole cache.
	return &c.shards[maphash.Bytes(c.seed, key)&(rowShards-1)]
}

// get returns key's record as committed at sequence snap (nil rec: known
// absent), for readers. inFlight: the key has a write staged by a batch
// not published at snap and the committed record is not cached, so Pebble
// may show either.
func (c *rowCache) get(key []byte, snap uint64) (rec []byte, found, inFlight bool) {
	s := c.shard(key)
	s.mu.RLock()
	if e := s.m[string(key)]; e != nil {
		switch {
		case e.staged && e.pub.doneAt.Load() <= snap:
			rec, found = e.stagedRec, e.stagedCached
		case e.known:
			rec, found = e.rec, true
		default:
			inFlight = e.staged
		}
	}
	s.mu.RUnlock()
	c.count(s, found)
	return rec, found, inFlight
}

// getStaged returns key's record as the apply loop sees it: its own staged
// write, else the committed record. found false: read the batch (a staged
// write only Pebble holds) or Pebble; entry false: the key has no entry, so
// no batch in flight wrote it and the batch reads the committed record.
func (c *rowCache) getStaged(key []byte) (rec []byte, found, entry bool) {
	s := c.shard(key)
	s.mu.RLock()
	if e := s.m[string(key)]; e != nil {
		entry = true
		switch {
		case e.staged:
			rec, found = e.stagedRec, e.stagedCached
		case e.known:
			rec, found = e.rec, true
		}
	}
	s.mu.RUnlock()
	c.count(s, found)
	return rec, found, entry
}

func (c *rowCache) count(s *rowShard, hit bool) {
	if hit {
		s.hits.Add(1)
	} else {
		s.misses.Add(1)
	}
}

// stats sums the shards' counters and sizes.
func (c *rowCache) stats() (st RowCacheStats) {
	for i := range c.shards {
		s := &c.shards[i]
		st.Hits += s.hits.Load()
		st.Misses += s.misses.Load()
		s.mu.RLock()
		st.Entries += int64(len(s.m))
		st.Bytes += s.bytes
		s.mu.RUnlock()
	}
	return st
}

// RowCacheStats describes the row cache: get calls that found the key
// (present or known absent) and that went on to Pebble, and its size.
type RowCacheStats struct {
	Hits, Misses   uint64
	Entries, Bytes int64
}

// cacheable reports whether a record may be cached (nil: absent).
func (c *rowCache) cacheable(rec []byte) bool {
	return rec == nil || (len(rec) <= c.maxValue && Type(rec[0]) == TypeString)
}

// fill caches a committed record a reader read from Pebble in a settled
// state at sequence snap (rec is the cache's from now on), unless the key
// has an entry (a batch may have staged it since), the shard is full, or
// seq moved past snap: a batch may have written the key and its entry gone
// since (trim and clear both come after a step of the sequence).
func (c *rowCache) fill(key, rec []byte, snap uint64) {
	if !c.cacheable(rec) {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes >= c.maxBytes || c.seq.Load() != snap {
		return
	}
	if _, ok := s.m[string(key)]; ok {
		return
	}
	e := &rowEntry{rec: rec, known: true}
	s.m[string(key)] = e
	s.bytes += e.cost(len(key))
	c.noteGrowth(s)
}

// stage records a write of the apply batch pub (nil: deleted), invisible to
// readers until pub is published. absent: the apply loop found the key
// absent in the committed state, which readers may take from a new entry.
//
// A collection's metadata must be read together with its sub-keys, which
// only Pebble holds, and a string too large to cache is left to Pebble as
// well: those are staged as uncached (once settled, readers go to Pebble).
func (c *rowCache) stage(key, rec []byte, absent bool, pub *batchPub) {
	s := c.shard(key)
	s.mu.Lock()
	e := s.m[string(key)]
	if e == nil {
		e = &rowEntry{known: absent}
		s.m[string(key)] = e
	} else {
		s.bytes -= e.cost(len(key))
		if e.pub != pub {
			c.settle(e)
		}
	}
	e.staged, e.stagedCached, e.stagedRec, e.pub = true, false, nil, pub
	if c.cacheable(rec) {
		e.stagedCached, e.stagedRec = true, copyOrNil(rec)
	}
	s.bytes += e.cost(len(key))
	c.noteGrowth(s)
	s.mu.Unlock()
}

// markInFlight records that batch pub writes key's sub-keys (a collection
// changed without a new metadata record, such as HSET of an existing
// field): readers then treat the key as written by a batch in flight, whose
// state Pebble may show before it is published.
func (c *rowCache) markInFlight(key []byte, pub *batchPub) {
	s := c.shard(key)
	s.mu.Lock()
	e := s.m[string(key)]
	if e == nil {
		e = &rowEntry{}
		s.m[string(key)] = e
		s.bytes += e.cost(len(key))
		c.noteGrowth(s)
	}
	if !e.staged || e.pub != pub {
		s.bytes -= e.cost(len(key))
		c.settle(e)
		e.staged, e.stagedCached, e.stagedRec, e.pub = true, false, nil, pub
		s.bytes += e.cost(len(key))
		c.noteGrowth(s)
	}
	s.mu.Unlock()
}

// settle moves a published staged record into place: it becomes the
// committed record (uncached: the entry knows nothing, readers go to
// Pebble). A write staged by a batch not published yet stays. Under the
// shard's lock.
func (c *rowCache) settle(e *rowEntry) {
	if !e.staged || !c.published(e.pub) {
		return
	}
	e.rec, e.known = e.stagedRec, e.stagedCached
	e.staged, e.stagedCached, e.stagedRec, e.pub = false, false, nil, nil
}

// published reports whether batch p is published: every reader starting
// now sees its records. (Its doneAt is set before its Pebble commit, so a
// batch in the middle of its commit is not.)
func (c *rowCache) published(p *batchPub) bool { return p.doneAt.Load() <= c.seq.Load() }

// trim evicts entries without unpublished staged writes from over-full
// shards.
func (c *rowCache) trim() {
	// Cleared before the pass: a shard that grows meanwhile, or keeps
	// unpublished entries over its limit, sets it again.
	if !c.overFull.Swap(false) {
		return
	}
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		if s.bytes > c.maxBytes {
			for k, e := range s.m {
				if s.bytes <= c.maxBytes*7/8 {
					break
				}
				if e.staged && !c.published(e.pub) {
					continue
				}
				delete(s.m, k)
				s.bytes -= e.cost(len(k))
			}
			c.noteGrowth(s)
		}
		s.mu.Unlock()
	}
}

// noteGrowth flags s for trim if it is over its limit; the caller holds
// s.mu.
func (c *rowCache) noteGrowth(s *rowShard) {
	if s.bytes > c.maxBytes {
		c.overFull.Store(true)
	}
}

// clear forgets every committed record (snapshot install); staged writes
// of batches in flight stay, without an old record.
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			s.bytes -= e.cost(len(k))
			if !e.staged || c.published(e.pub) {
				delete(s.m, k)
				continue
			}
			e.rec, e.known = nil, false
			s.bytes += e.cost(len(k))
			c.noteGrowth(s)
		}
		s.mu.Unlock()
	}
}

// clearSlots stages the deletion of every cached key of slots [lo, hi] in
// batch pub (FLUSHDB, whose range deletion covers the keys the cache does
// not hold) and returns those keys.
func (c *rowCache) clearSlots(lo, hi uint16, pub *batchPub) [][]byte {
	var keys [][]byte
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if sl := slots.OfString(k); sl < lo || sl > hi {
				continue
			}
			s.bytes -= e.cost(len(k))
			if e.pub != pub {
				c.settle(e)
			}
			e.staged, e.stagedCached, e.stagedRec, e.pub = true, true, nil, pub
			s.bytes += e.cost(len(k))
			c.noteGrowth(s)
			keys = append(keys, []byte(k))
		}
		s.mu.Unlock()
	}
	return keys
}

func copyOrNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
