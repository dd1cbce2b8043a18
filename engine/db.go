package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/neokv/neokv/slots"
)

// Options configures the engine.
type Options struct {
	// CacheSize is Pebble's block cache in bytes.
	CacheSize int64
	// MemTableSize is the size of one Pebble memtable in bytes.
	MemTableSize uint64
	// MaxBulkLen bounds string values (proto-max-bulk-len).
	MaxBulkLen int64
	// RowCacheBytes bounds the row cache of metadata records and small
	// string values (0: 256 MiB; negative: off).
	RowCacheBytes int64
	// RowCacheMaxValue is the largest record the row cache holds (0: 4 KiB).
	RowCacheMaxValue int
	// KeyFilterBytes bounds the Bloom filter of stored keys that spares
	// inserts and reads of absent keys a Pebble lookup (0: 256 MiB, about
	// 200M keys; negative: off). Under churn it is rebuilt from the
	// stored keys when full.
	KeyFilterBytes int64
	Logger         *slog.Logger
	// keyFilterFirstKeys sizes the first filter (0: 1M keys); tests make
	// it small to fill it quickly.
	keyFilterFirstKeys int64
}

// DB is one store's Pebble instance and the in-memory state derived from it.
type DB struct {
	// Slow is the node's SLOWLOG, Latency its latency monitor.
	Slow       *SlowLog
	Latency    *LatencyMonitor
	pdb        *pebble.DB
	popts      *pebble.Options
	maxBulkLen int64
	log        *slog.Logger
	checksumMu sync.Mutex
	checksums  map[uint16]RegionChecksum
	// rows is the row cache shared by the apply loops and the readers.
	rows *rowCache
	// notifier hears of the keyspace events of committed apply batches.
	notifier notifierRef
	// scripts is the Lua script cache; cmds the command table scripts
	// call into, built once.
	scripts   *scriptCache
	functions *functionRegistry
	cmdsOnce  sync.Once
	cmds      map[string]*Command
	// An apply batch becomes visible to readers at once. Without that a
	// reader could see one key of an MSET or MULTI/EXEC new and another
	// still old, or a collection's sub-keys from another state than its
	// metadata.
	//
	// commitSeq turns odd when a batch's Pebble commit starts and even
	// when the batch is published (commits and snapshot ingestions take
	// turns under gate, held exclusively). A read command takes the
	// sequence when it starts and reads the row cache as of it (see
	// rowCache), so its cached records are of one state, whatever is
	// published meanwhile. Pebble shows a batch from some moment of its
	// commit on, so a command whose Pebble reads may have seen part of a
	// commit, or that read several keys while the sequence moved, runs
	// again holding gate shared: no commit is in flight then. Readers
	// never wait for a commit otherwise. Reads that bypass the Reader
	// (KEYS, SCAN, DBSIZE) go through ReadSettled.
	//
	// Without the row cache, or while a batch that deletes a range of
	// keys (FLUSHDB) commits, any key may change in Pebble: then every
	// read that went to Pebble while a commit was in flight runs again.
	gate      sync.RWMutex
	commitSeq atomic.Uint64
	// expired counts the keys active expiry removed on this replica
	// (INFO expired_keys).
	expired       atomic.Uint64
	rangeInFlight atomic.Bool
	// keyspace counts the read path's key lookups of readers made without
	// counts of their own (NewReader).
	keyspace KeyspaceCounts
	// keys knows which keys were never stored (nil: off).
	keys *keyFilter
	// slotKeys counts metadata records per slot (live or expired but not yet
	// deleted, as Redis counts them). Rebuilt by a scan on open, maintained
	// by apply after each committed batch.
	slotKeys [slots.Count]atomic.Int64
	// slotExpires counts those of them with an expiry, the same way.
	slotExpires [slots.Count]atomic.Int64
	// stop ends the key filter's rebuild loop; wg waits for it.
	stop chan struct{}
	wg   sync.WaitGroup
}

// Open opens (creating if needed) the store's Pebble instance in dir.
func Open(dir string, o Options) (*DB, error) {
	if o.CacheSize == 0 {
		o.CacheSize = 256 << 20
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 64 << 20
	}
	if o.MaxBulkLen == 0 {
		o.MaxBulkLen = 512 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	cache := pebble.NewCache(o.CacheSize)
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       32,
		LBaseMaxBytes:               256 << 20,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      pebbleLogger{l: o.Logger, limit: &errorLimiter{}},
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
		// No WAL: every write here is applied from the Raft log, which is
		// the durable record; data reaches disk by memtable flushes, and
		// the store keeps the log until then (batching.Store.checkpoint).
		DisableWAL: true,
	}
	for i := range popts.Levels {
		popts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	popts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	popts.EnsureDefaults() // kept for writing snapshot sstables with the same options
	functions, err := openFunctionRegistry(filepath.Join(filepath.Dir(dir), "functions.json"))
	if err != nil {
		return nil, err
	}
	pdb, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("open pebble in %s: %w", dir, err)
	}
	if o.RowCacheBytes == 0 {
		o.RowCacheBytes = 256 << 20
	}
	if o.RowCacheMaxValue == 0 {
		o.RowCacheMaxValue = 4 << 10
	}
	lat := newLatencyMonitor()
	db := &DB{Slow: newSlowLog(lat), Latency: lat, scripts: newScriptCache(), functions: functions, pdb: pdb, popts: popts, checksums: map[uint16]RegionChecksum{}, maxBulkLen: o.MaxBulkLen, log: o.Logger, stop: make(chan struct{})}
	db.rows = newRowCache(o.RowCacheBytes, o.RowCacheMaxValue, &db.commitSeq)
	if o.KeyFilterBytes == 0 {
		o.KeyFilterBytes = 256 << 20
	}
	if o.KeyFilterBytes > 0 {
		first := o.keyFilterFirstKeys
		if first == 0 {
			first = bloomMinKeys
		}
		db.keys = newKeyFilterSized(first, o.KeyFilterBytes)
	}
	if err := db.countKeys(); err != nil {
		_ = pdb.Close()
		return nil, err
	}
	if db.keys != nil {
		db.wg.Add(1)
		go db.keyFilterLoop()
	}
	return db, nil
}

// Close stops the key filter's rebuilds and closes Pebble.
func (db *DB) Close() error {
	close(db.stop)
	db.wg.Wait()
	return db.pdb.Close()
}

// errStopped ends a scan cut short by Close.
var errStopped = errors.New("engine closing")

// keyFilterLoop rebuilds the key filter from a scan of the stored keys
// whenever it saturates (see keyFilter), unless the live keys alone
// would saturate the replacement.
func (db *DB) keyFilterLoop() {
	defer db.wg.Done()
	for {
		select {
		case <-db.stop:
			return
		case <-db.keys.saturated:
		}
		live := db.KeysInSlots(0, slots.Count-1)
		keys, ok := db.keys.rebuildSize(live)
		if !ok {
			db.log.Warn("key filter full: too many keys for its memory limit; absent-key lookups read Pebble", "keys", live, "limit_bytes", db.keys.limit)
			continue
		}
		start := time.Now()
		before := db.keys.bytes()
		err := db.keys.rebuild(keys, func(add func(key []byte)) error {
			stopped := false
			err := eachMeta(db.pdb, 0, slots.Count-1, func(_ uint16, key []byte, _ *meta) bool {
				add(key)
				select {
				case <-db.stop:
					stopped = true
					return false
				default:
					return true
				}
			})
			if err == nil && stopped {
				err = errStopped
			}
			return err
		})
		if err != nil {
			if err != errStopped {
				db.log.Error("key filter rebuild", "err", err)
			}
			continue
		}
		db.log.Info("key filter rebuilt", "keys", live, "bytes_before", before, "bytes_after", db.keys.bytes(), "took", time.Since(start))
	}
}

// KeyFilterRebuilds is how many times the key filter was rebuilt.
func (db *DB) KeyFilterRebuilds() int64 {
	if db.keys == nil {
		return 0
	}
	return db.keys.rebuilds.Load()
}

// commandTable is the data command table, for scripts' redis.call.
func (db *DB) commandTable() map[string]*Command {
	db.cmdsOnce.Do(func() { db.cmds = Commands() })
	return db.cmds
}

// Flush forces the memtable to disk (used before taking file-level snapshots in tests).
func (db *DB) Flush() error { return db.pdb.Flush() }

// FlushContext forces the memtable to disk like Flush, but stops waiting
// when ctx ends. Pebble retries a failing flush (its directory removed, the
// disk full) until it succeeds, so Flush can wait forever; a checkpoint or
// a shutdown must not. Giving up loses nothing: Pebble runs without a WAL
// and the store keeps the Raft log of everything not yet flushed.
func (db *DB) FlushContext(ctx context.Context) error {
	done, err := db.pdb.AsyncFlush()
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush not finished (Pebble's errors are logged): %w", ctx.Err())
	}
}

// RowCacheStats returns the row cache's counters (zero when disabled).
func (db *DB) RowCacheStats() RowCacheStats {
	if db.rows == nil {
		return RowCacheStats{}
	}
	return db.rows.stats()
}

// KeyFilterBytes returns the memory held by the filter of stored keys.
func (db *DB) KeyFilterBytes() int64 {
	if db.keys == nil {
		return 0
	}
	return db.keys.bytes()
}

// Metrics returns Pebble's metrics, for INFO.
func (db *DB) Metrics() *pebble.Metrics { return db.pdb.Metrics() }

func (db *DB) countKeys() error {
	err := eachMeta(db.pdb, 0, slots.Count-1, func(slot uint16, key []byte, m *meta) bool {
		db.slotKeys[slot].Add(1)
		if m.expireAt != 0 {
			db.slotExpires[slot].Add(1)
		}
		if db.keys != nil {
			db.keys.add(key, true)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("count keys: %w", err)
	}
	return nil
}

// ExpiresInSlots returns the number of keys with an expiry stored in
// slots [lo, hi] (INFO keyspace's expires).
func (db *DB) ExpiresInSlots(lo, hi uint16) int64 {
	var n int64
	for s := int(lo); s <= int(hi); s++ {
		n += db.slotExpires[s].Load()
	}
	return n
}

// KeysInSlots returns the number of keys stored in slots [lo, hi].
func (db *DB) KeysInSlots(lo, hi uint16) int64 {
	var n int64
	for s := int(lo); s <= int(hi); s++ {
		n += db.slotKeys[s].Load()
	}
	return n
}

// Ident returns the stored store identity, or nil if the store is new.
func (db *DB) Ident() ([]byte, error) {
	return db.get(identKey)
}

// PeerNodeID returns the node id recorded for peer store id ("" if none).
func (db *DB) PeerNodeID(store uint64) (string, error) {
	v, err := db.get(binary.BigEndian.AppendUint64(append([]byte(nil), peerIdentPrefix...), store))
	return string(v), err
}

// SetPeerNodeID durably records the node id of peer store id.
func (db *DB) SetPeerNodeID(store uint64, nodeID string) error {
	if err := db.pdb.Set(binary.BigEndian.AppendUint64(append([]byte(nil), peerIdentPrefix...), store), []byte(nodeID), pebble.NoSync); err != nil {
		return err
	}
	return db.pdb.Flush()
}

// SetIdent durably records the store identity (flushing: there is no WAL).
func (db *DB) SetIdent(v []byte) error {
	if err := db.pdb.Set(identKey, v, pebble.NoSync); err != nil {
		return err
	}
	return db.pdb.Flush()
}

func (db *DB) get(k []byte) ([]byte, error) {
	v, c, err := db.pdb.Get(k)
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %x: %w", k, err)
	}
	out := append([]byte(nil), v...)
	return out, c.Close()
}

type pebbleLogger struct {
	l     *slog.Logger
	limit *errorLimiter
}

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	allowed, suppressed := p.limit.allow(time.Now())
	if !allowed {
		return
	}
	if suppressed > 0 {
		p.l.Error(fmt.Sprintf(format, args...), "component", "pebble", "suppressed_before", suppressed)
		return
	}
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// errorLimiter lets through at most errorsPerSecond log lines a second.
// Pebble retries a failing flush or compaction at once and logs every
// failure: with its directory gone a node wrote 13 000 identical lines a
// second. The lines dropped are counted on the next one let through.
type errorLimiter struct {
	mu         sync.Mutex
	second     int64
	inSecond   int
	suppressed int
}

const errorsPerSecond = 10

func (l *errorLimiter) allow(now time.Time) (ok bool, suppressedBefore int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if sec := now.Unix(); sec != l.second {
		l.second, l.inSecond = sec, 0
	}
	if l.inSecond >= errorsPerSecond {
		l.suppressed++
		return false, 0
	}
	l.inSecond++
	suppressedBefore, l.suppressed = l.suppressed, 0
	return true, suppressedBefore
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...), "component", "pebble")
	panic(fmt.Sprintf(format, args...))
}

// closeQuietly closes c, for read paths where a close error changes nothing.
func closeQuietly(c io.Closer) {
	if c != nil {
		_ = c.Close()
	}
}

// ExpiredCount is how many keys active expiry removed from this replica's
// data since it opened (INFO expired_keys): every replica counts the
// expirations it applies, so in a cluster each node counts those of the
// Regions it holds.
func (db *DB) ExpiredCount() uint64 { return db.expired.Load() }

// KeyspaceCounts counts read commands' key lookups on the read path (INFO
// keyspace_hits/misses). A reader adds to one; each event loop gives its
// readers its own, so loops never share the cache line.
type KeyspaceCounts struct {
	hits, misses atomic.Uint64
	_            [48]byte
}

// Load returns the hits and misses counted.
func (k *KeyspaceCounts) Load() (hits, misses uint64) { return k.hits.Load(), k.misses.Load() }

// Reset zeroes the counts (CONFIG RESETSTAT).
func (k *KeyspaceCounts) Reset() {
	k.hits.Store(0)
	k.misses.Store(0)
}

// KeyspaceHits returns the lookups counted by the readers made with
// NewReader (ReadIndex reads; the front end counts its own). Reads
// ordered behind a write run with it in the apply loop and are not
// counted.
func (db *DB) KeyspaceHits() *KeyspaceCounts { return &db.keyspace }
