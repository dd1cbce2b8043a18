package engine

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

// keyFilter answers "was this key possibly ever stored here?" without
// touching Pebble. A write of a key the store has never held (an insert:
// the common case under load generators and real ingest) must still learn
// that nothing is there to replace, and a Pebble Get that misses walks
// every memtable and level: ~10 µs on this machine, half the CPU of an
// insert-heavy apply loop (profiles/README.md). The filter turns that miss
// into one or a few cache-line reads, like RocksDB's memtable whole-key
// bloom filter, but covering the whole store.
//
// It is a chain of blocked Bloom filters (every probe of a key within one
// 64-byte block): when the newest one has taken its capacity of new keys,
// one of twice the size is added; a lookup asks each. Keys are not removed
// one by one: a deleted key just costs a Pebble read again. It is local
// memory, filled on open by the key-count scan, by every metadata write
// (before the write is visible anywhere, so a reader told "absent" read
// before the write) and by snapshot ingestion.
//
// Under churn (keys created and deleted or expired forever, as sessions
// and caches do) the chain reaches its memory limit and its last filter
// fills until it answers "maybe" to everything. Then the DB rebuilds it
// from a scan of the stored keys (DB.keyFilterLoop): while the scan runs,
// writes also go to the replacement, which takes over once the scan ends.
type keyFilter struct {
	seed      maphash.Seed
	gens      atomic.Pointer[[]*bloomGen] // replaced whole under grow
	grow      sync.Mutex
	limit     int64 // bytes the chain may reach; beyond it the last filter fills up
	firstKeys int64
	// next is the filter being rebuilt (nil: none); adds go to it too.
	next atomic.Pointer[bloomGen]
	// writers is held (shared) by every apply batch from its first add
	// until its commit, so a rebuild can wait for the batches that added
	// to the old filter only to become visible to its scan.
	writers sync.RWMutex
	// saturated is signalled when the last filter has taken twice its
	// capacity and the chain may not grow.
	saturated chan struct{}
	rebuilds  atomic.Int64
}

// bloomGen is one blocked Bloom filter of 2^n 512-bit blocks.
type bloomGen struct {
	words []atomic.Uint64
	mask  uint64 // block count - 1
	cap   int64  // new keys it takes before the next one is added
	added atomic.Int64
}

const (
	bloomBitsPerKey = 10
	bloomProbes     = 7
	bloomMinKeys    = 1 << 20
)

func newKeyFilter(limitBytes int64) *keyFilter { return newKeyFilterSized(bloomMinKeys, limitBytes) }

// newKeyFilterSized starts with a filter for firstKeys keys.
func newKeyFilterSized(firstKeys, limitBytes int64) *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed(), limit: limitBytes, firstKeys: firstKeys, saturated: make(chan struct{}, 1)}
	gens := []*bloomGen{newBloomGen(firstKeys)}
	f.gens.Store(&gens)
	return f
}

func newBloomGen(keys int64) *bloomGen {
	blocks := bloomBlocks(keys)
	return &bloomGen{words: make([]atomic.Uint64, blocks*8), mask: blocks - 1, cap: int64(blocks * 512 / bloomBitsPerKey)}
}

// bloomBlocks is the number of 64-byte blocks of a filter for keys keys.
func bloomBlocks(keys int64) uint64 {
	need := max(uint64(keys*bloomBitsPerKey/512), 1)
	return uint64(1) << bits.Len64(need-1) // the power of two at or above need
}

func (f *keyFilter) hash(key []byte) uint64 { return maphash.Bytes(f.seed, key) }

// add records key. isNew says the store did not hold the key before (it
// counts toward the filter's capacity). During a rebuild, the caller must
// hold writers (shared) until what it added is visible in Pebble, or have
// made it visible before (ingest).
func (f *keyFilter) add(key []byte, isNew bool) {
	h := f.hash(key)
	// next before gens: a rebuild publishes its filter in gens before it
	// clears next, so an add that finds no next finds the new chain.
	if nx := f.next.Load(); nx != nil {
		nx.set(h)
		if isNew {
			nx.added.Add(1)
		}
	}
	if !isNew {
		// A key the store holds is in the chain already: added when it
		// was first written, or found by the scan that built the chain.
		// Setting its bits again only touched a cold cache line (2 % of a
		// store's CPU under an overwrite load).
		return
	}
	gens := *f.gens.Load()
	g := gens[len(gens)-1]
	g.set(h)
	switch g.added.Add(1) {
	case g.cap:
		f.addGen(g)
	case 2 * g.cap:
		select {
		case f.saturated <- struct{}{}:
		default:
		}
	}
}

// rebuildSize is the key capacity of a filter replacing the chain for
// live stored keys: room to double, within half the memory limit (the
// chain grows from it again). ok is false when a rebuild would not help:
// the live keys alone would fill it.
func (f *keyFilter) rebuildSize(live int64) (keys int64, ok bool) {
	keys = max(2*live, f.firstKeys)
	for int64(bloomBlocks(keys))*64 > f.limit/2 && keys > f.firstKeys {
		keys /= 2
	}
	return keys, live <= keys/2
}

// rebuild replaces the chain with one filter holding what scan reports
// plus everything added meanwhile. scan must see every write that became
// visible in Pebble before it was called.
func (f *keyFilter) rebuild(keys int64, scan func(add func(key []byte)) error) error {
	nx := newBloomGen(keys)
	f.next.Store(nx)
	// Batches that added to the old chain only (before next was set)
	// commit before the scan starts, so the scan sees their keys.
	f.writers.Lock()
	f.writers.Unlock() //nolint:staticcheck // an intentional barrier
	var scanned int64
	err := scan(func(key []byte) {
		nx.set(f.hash(key))
		scanned++
	})
	if err != nil {
		f.next.Store(nil)
		return err
	}
	nx.added.Add(scanned)
	gens := []*bloomGen{nx}
	f.grow.Lock()
	f.gens.Store(&gens)
	f.grow.Unlock()
	f.next.Store(nil)
	f.rebuilds.Add(1)
	return nil
}

// addGen appends a filter twice the size of full, unless one was already
// added or the memory limit is reached.
func (f *keyFilter) addGen(full *bloomGen) {
	f.grow.Lock()
	defer f.grow.Unlock()
	gens := *f.gens.Load()
	if gens[len(gens)-1] != full {
		return
	}
	var total int64
	for _, g := range gens {
		total += int64(len(g.words)) * 8
	}
	next := newBloomGen(full.cap * 2)
	if total+int64(len(next.words))*8 > f.limit {
		return
	}
	grown := append(append(make([]*bloomGen, 0, len(gens)+1), gens...), next)
	f.gens.Store(&grown)
}

// mayContain reports false only if key was never added.
func (f *keyFilter) mayContain(key []byte) bool {
	h := f.hash(key)
	for _, g := range *f.gens.Load() {
		if g.test(h) {
			return true
		}
	}
	return false
}

// block returns the first word of h's block (from h's low bits).
func (g *bloomGen) block(h uint64) uint64 { return (h & g.mask) * 8 }

// probeBits returns the word from whose top bits the probe positions are
// taken 9 at a time: a multiply by an odd constant, so they depend on all
// of h and not only on the low bits that chose the block.
func probeBits(h uint64) uint64 { return h * 0x9E3779B97F4A7C15 }

func (g *bloomGen) set(h uint64) {
	base, p := g.block(h), probeBits(h)
	for i := 0; i < bloomProbes; i++ {
		bit := p >> 55
		g.words[base+bit/64].Or(1 << (bit % 64))
		p <<= 9
	}
}

func (g *bloomGen) test(h uint64) bool {
	base, p := g.block(h), probeBits(h)
	for i := 0; i < bloomProbes; i++ {
		bit := p >> 55
		if g.words[base+bit/64].Load()&(1<<(bit%64)) == 0 {
			return false
		}
		p <<= 9
	}
	return true
}

// bytes returns the memory the chain holds.
func (f *keyFilter) bytes() int64 {
	var n int64
	for _, g := range *f.gens.Load() {
		n += int64(len(g.words)) * 8
	}
	return n
}
