package engine

import (
	"hash/maphash"
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
// Readers see committed records only. An apply batch stages its writes on
// the entries of the keys it writes (pending), where only the apply loop
// that wrote them reads them back; after the batch's Pebble commit, under
// DB.vis held exclusively, publish makes every staged record of the batch
// the committed one at once. Readers hold DB.vis shared for a whole
// command, so a command sees every write of a batch or none, and the
// cache and Pebble agree while it runs.
//
//   - An entry with a staged write is never evicted: the staged record is
//     the apply loop's only view of its own uncommitted write.
//   - Readers fill on a miss only where no entry exists; what they read
//     from Pebble is the committed state, which cannot change while they
//     hold DB.vis.
type rowCache struct {
	seed     maphash.Seed
	shards   [rowShards]rowShard
	maxBytes int64 // per shard
	maxValue int   // larger records are not cached
}

const rowShards = 256

type rowShard struct {
	mu    sync.RWMutex
	m     map[string]*rowEntry
	bytes int64
	// hits and misses count get calls, for INFO and /metrics.
	hits, misses atomic.Uint64
}

// rowEntry is what the cache knows of a key. Fields are read and written
// under the shard's lock; rec and known change only in publish and clear
// (under DB.vis held exclusively), so a reader's view of them holds for
// its whole command.
type rowEntry struct {
	rec   []byte // the committed record (nil: absent), if known
	known bool   // rec is the committed state (false: readers go to Pebble)
	// staged is an uncommitted apply batch's write: stagedRec (nil:
	// deleted) when stagedCached, otherwise a record only Pebble holds (a
	// collection or a large string), which the apply loop reads back from
	// its batch.
	staged, stagedCached bool
	stagedRec            []byte
}

func (e *rowEntry) cost(keyLen int) int64 {
	return int64(keyLen+len(e.rec)+len(e.stagedRec)) + 64
}

func newRowCache(totalBytes int64, maxValue int) *rowCache {
	if totalBytes <= 0 {
		return nil
	}
	c := &rowCache{seed: maphash.MakeSeed(), maxBytes: totalBytes / rowShards, maxValue: maxValue}
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

// get returns key's committed record (nil rec: known absent), for readers.
func (c *rowCache) get(key []byte) (rec []byte, found bool) {
	s := c.shard(key)
	s.mu.RLock()
	if e := s.m[string(key)]; e != nil && e.known {
		rec, found = e.rec, true
	}
	s.mu.RUnlock()
	c.count(s, found)
	return rec, found
}

// getStaged returns key's record as the apply loop sees it: its own staged
// write, else the committed record. found false: read the batch (a staged
// write only Pebble holds) or Pebble.
func (c *rowCache) getStaged(key []byte) (rec []byte, found bool) {
	s := c.shard(key)
	s.mu.RLock()
	if e := s.m[string(key)]; e != nil {
		switch {
		case e.staged:
			rec, found = e.stagedRec, e.stagedCached
		case e.known:
			rec, found = e.rec, true
		}
	}
	s.mu.RUnlock()
	c.count(s, found)
	return rec, found
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

// fill caches a committed record a reader read from Pebble, unless the key
// has an entry already or the shard is full. The caller holds DB.vis
// shared (or is the only user of the DB).
func (c *rowCache) fill(key, rec []byte) {
	if !c.cacheable(rec) {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes >= c.maxBytes {
		return
	}
	if _, ok := s.m[string(key)]; ok {
		return
	}
	e := &rowEntry{rec: copyOrNil(rec), known: true}
	s.m[string(key)] = e
	s.bytes += e.cost(len(key))
}

// stage records a write of the apply loop (nil: deleted), invisible to
// readers until publish.
//
// A collection's metadata must be read together with its sub-keys, which
// only Pebble holds, and a string too large to cache is left to Pebble as
// well: those are staged as uncached, and publish drops the entry.
func (c *rowCache) stage(key, rec []byte) {
	s := c.shard(key)
	s.mu.Lock()
	e := s.m[string(key)]
	if e == nil {
		e = &rowEntry{}
		s.m[string(key)] = e
	} else {
		s.bytes -= e.cost(len(key))
	}
	e.staged, e.stagedCached, e.stagedRec = true, false, nil
	if c.cacheable(rec) {
		e.stagedCached, e.stagedRec = true, copyOrNil(rec)
	}
	s.bytes += e.cost(len(key))
	s.mu.Unlock()
}

// publish makes the staged writes of keys the committed records, after
// their batch committed. The caller holds DB.vis exclusively. Keys listed
// twice or without a staged write are left alone.
func (c *rowCache) publish(keys [][]byte) {
	for _, key := range keys {
		s := c.shard(key)
		s.mu.Lock()
		if e := s.m[string(key)]; e != nil && e.staged {
			s.bytes -= e.cost(len(key))
			if e.stagedCached {
				e.rec, e.known = e.stagedRec, true
				e.staged, e.stagedCached, e.stagedRec = false, false, nil
				s.bytes += e.cost(len(key))
			} else {
				delete(s.m, string(key))
			}
		}
		s.mu.Unlock()
	}
}

// trim evicts entries without staged writes from over-full shards.
func (c *rowCache) trim() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		if s.bytes > c.maxBytes {
			for k, e := range s.m {
				if s.bytes <= c.maxBytes*7/8 {
					break
				}
				if e.staged {
					continue
				}
				delete(s.m, k)
				s.bytes -= e.cost(len(k))
			}
		}
		s.mu.Unlock()
	}
}

// clear forgets every committed record (snapshot install); staged writes
// of batches in flight stay. The caller holds DB.vis exclusively.
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			s.bytes -= e.cost(len(k))
			if !e.staged {
				delete(s.m, k)
				continue
			}
			e.rec, e.known = nil, false
			s.bytes += e.cost(len(k))
		}
		s.mu.Unlock()
	}
}

func copyOrNil(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

// clearSlots stages the deletion of every cached key of slots [lo, hi]
// (FLUSHDB, whose range deletion covers the keys the cache does not hold)
// and returns those keys, to be published with the batch.
func (c *rowCache) clearSlots(lo, hi uint16) [][]byte {
	var keys [][]byte
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if sl := slots.OfString(k); sl < lo || sl > hi {
				continue
			}
			s.bytes -= e.cost(len(k))
			e.staged, e.stagedCached, e.stagedRec = true, true, nil
			s.bytes += e.cost(len(k))
			keys = append(keys, []byte(k))
		}
		s.mu.Unlock()
	}
	return keys
}
