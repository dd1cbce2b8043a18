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
// loop (to learn what a write replaces) and the event loops (GET) use it.
//
// Rules that keep reads linearizable:
//   - Only apply workers write entries, and they do so before the Pebble
//     commit of the batch (the entry is then "dirty"): a committed Raft
//     entry may be read from the cache as soon as it is applied here.
//   - A dirty entry is never evicted: until its batch commits, Pebble
//     still holds the old value, and a reader missing the cache would go
//     back in time. The writer marks entries clean after its commit.
//   - Readers fill on a miss only if no writer touched the shard between
//     their Pebble read and the fill (per-shard epoch); they never evict.
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
	epoch uint64
	bytes int64
	// hits and misses count get calls, for INFO and /metrics.
	hits, misses atomic.Uint64
}

// rowEntry is a cached record; rec nil means the key is known absent.
// rec is never modified once published: writers replace the entry.
type rowEntry struct {
	rec   []byte
	dirty bool
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

// entryCost is what an entry counts against its shard's budget (map and
// entry overhead included).
func entryCost(keyLen int, rec []byte) int64 { return int64(keyLen+len(rec)) + 64 }

// get returns the cached record of key (nil rec: known absent).
func (c *rowCache) get(key []byte) (rec []byte, found bool) {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	if e == nil {
		s.misses.Add(1)
		return nil, false
	}
	s.hits.Add(1)
	return e.rec, true
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

// epochOf returns the shard's write epoch, read before a Pebble lookup
// whose result may be filled in.
func (c *rowCache) epochOf(key []byte) uint64 {
	s := c.shard(key)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.epoch
}

// fill caches a record read from Pebble, unless a writer touched the shard
// since epoch (the read may be stale) or the shard is full.
func (c *rowCache) fill(key, rec []byte, epoch uint64) {
	if len(rec) > c.maxValue || (rec != nil && Type(rec[0]) != TypeString) {
		return
	}
	s := c.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.epoch != epoch || s.bytes >= c.maxBytes {
		return
	}
	if _, ok := s.m[string(key)]; ok {
		return
	}
	s.m[string(key)] = &rowEntry{rec: copyOrNil(rec)}
	s.bytes += entryCost(len(key), rec)
}

// put publishes a record written by the apply loop (nil: deleted). The
// entry stays dirty until clean is called after the batch commits.
//
// Only string records (and deletions) are published early. A collection's
// metadata must be read together with its sub-keys, which only Pebble
// holds, and a string too large to cache is left to Pebble as well: for
// those the entry is removed, so readers read Pebble, which shows the old
// value until the commit and the new one after. The epoch bump stops the
// fill of anything read before.
func (c *rowCache) put(key, rec []byte) {
	s := c.shard(key)
	s.mu.Lock()
	s.epoch++
	if old := s.m[string(key)]; old != nil {
		s.bytes -= entryCost(len(key), old.rec)
		delete(s.m, string(key))
	}
	if rec == nil || (len(rec) <= c.maxValue && Type(rec[0]) == TypeString) {
		s.m[string(key)] = &rowEntry{rec: copyOrNil(rec), dirty: true}
		s.bytes += entryCost(len(key), rec)
	}
	s.mu.Unlock()
}

// clean marks key's entry committed. It bumps the epoch again: a reader
// that read Pebble before the commit (for a key put removed) must not
// fill its now stale record.
func (c *rowCache) clean(key []byte) {
	s := c.shard(key)
	s.mu.Lock()
	s.epoch++
	if e := s.m[string(key)]; e != nil {
		e.dirty = false
	}
	s.mu.Unlock()
}

// trim evicts clean entries of over-full shards (after a commit).
func (c *rowCache) trim() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		if s.bytes > c.maxBytes {
			for k, e := range s.m {
				if s.bytes <= c.maxBytes*7/8 {
					break
				}
				if e.dirty {
					continue
				}
				delete(s.m, k)
				s.bytes -= entryCost(len(k), e.rec)
			}
		}
		s.mu.Unlock()
	}
}

// clear drops every clean entry and bumps every epoch (FLUSHDB, snapshot
// install). Dirty entries stay: their batch has not committed yet.
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.epoch++
		for k, e := range s.m {
			if !e.dirty {
				delete(s.m, k)
				s.bytes -= entryCost(len(k), e.rec)
			}
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

// clearSlots drops the entries of keys in slots [lo, hi] (FLUSHDB). Dirty
// entries become dirty deletions instead, since the batch that deletes the
// range has not committed; their keys are returned to be cleaned after it.
func (c *rowCache) clearSlots(lo, hi uint16) [][]byte {
	var dirty [][]byte
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.epoch++
		for k, e := range s.m {
			sl := slots.OfString(k)
			if sl < lo || sl > hi {
				continue
			}
			if e.dirty {
				s.bytes -= int64(len(e.rec))
				s.m[k] = &rowEntry{dirty: true}
				dirty = append(dirty, []byte(k))
				continue
			}
			delete(s.m, k)
			s.bytes -= entryCost(len(k), e.rec)
		}
		s.mu.Unlock()
	}
	return dirty
}
