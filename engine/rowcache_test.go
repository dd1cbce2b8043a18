package engine

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Keys sharing a hash tag share a slot; the cache must still spread them
// over its shards, or one shard's byte budget caps the whole cache.
func TestRowCacheSpreadsHashTaggedKeys(t *testing.T) {
	var seq atomic.Uint64
	c := newRowCache(rowShards*16<<10, 4<<10, &seq) // 16 KiB per shard, 4 MiB in all
	rec := (&meta{typ: TypeString, value: make([]byte, 100)}).appendEncoded(nil)
	const n = 5000 // ~1 MiB of entries: far more than one shard holds
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("key:{tag}:%012d", i))
		pub := newBatchPub()
		c.stage(key, rec, false, pub)
		pub.doneAt.Store(0)
		c.trim()
	}
	st := c.stats()
	if st.Entries != n {
		t.Fatalf("cache holds %d of %d hash-tagged keys (%d bytes)", st.Entries, n, st.Bytes)
	}
	for i := 0; i < n; i++ {
		if _, found, _ := c.get([]byte(fmt.Sprintf("key:{tag}:%012d", i)), 0); !found {
			t.Fatalf("key %d not found", i)
		}
	}
	if _, found, _ := c.get([]byte("key:{tag}:absent"), 0); found {
		t.Fatal("absent key found")
	}
	if st := c.stats(); st.Hits != n || st.Misses != 1 {
		t.Fatalf("hits %d misses %d, want %d and 1", st.Hits, st.Misses, n)
	}
}

// An apply batch becomes visible to readers at once, at its commit: before
// it, readers see every key of the batch as committed before (cached or
// not), while the batch itself reads its own writes.
func TestApplyBatchBecomesVisibleAtCommit(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	big := strings.Repeat("b", 5000) // larger than the cache's records
	applyOne(t, a, 1, "mset", "k1", "v1", "k2", "v1", "big", "old")
	if got := hsRead(t, db, false, 1, "mget", "k1", "k2", "big", "n"); got != "*4\r\n$2\r\nv1\r\n$2\r\nv1\r\n$3\r\nold\r\n$-1\r\n" {
		t.Fatalf("mget after the first batch: %q", got)
	}
	w := make([]*resp.Writer, 4)
	for i := range w {
		w[i] = &resp.Writer{}
	}
	data := entry(2, []string{"mset", "k1", "v2", "k2", "v2"}, []string{"set", "big", big}, []string{"set", "n", "1"}, []string{"incr", "n"})
	if err := a.ApplyEntry(data, sink(w)); err != nil {
		t.Fatal(err)
	}
	if got := string(w[3].B); got != ":2\r\n" {
		t.Fatalf("incr of a key set earlier in the batch: %q", got)
	}
	want := "*4\r\n$2\r\nv1\r\n$2\r\nv1\r\n$3\r\nold\r\n$-1\r\n"
	if got := hsRead(t, db, false, 2, "mget", "k1", "k2", "big", "n"); got != want {
		t.Fatalf("mget before the commit: %q, want %q", got, want)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	want = "*4\r\n$2\r\nv2\r\n$2\r\nv2\r\n$5000\r\n" + big + "\r\n$1\r\n2\r\n"
	if got := hsRead(t, db, false, 2, "mget", "k1", "k2", "big", "n"); got != want {
		t.Fatalf("mget after the commit: %q", got)
	}
}

// Readers racing an apply loop never see part of an MSET, whether the
// cache answers (k1) or Pebble does (k2's values are too large to cache),
// and with no cache at all.
func TestConcurrentReadersSeeWholeBatches(t *testing.T) {
	t.Run("cache", func(t *testing.T) { checkReadersSeeWholeBatches(t, openTestDB(t)) })
	t.Run("no cache", func(t *testing.T) {
		db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		checkReadersSeeWholeBatches(t, db)
	})
}

func checkReadersSeeWholeBatches(t *testing.T, db *DB) {
	a := db.NewApplier(Commands())
	pad := strings.Repeat(" ", 5000)
	applyOne(t, a, 1, "mset", "k1", "0", "k2", "0"+pad)
	rd := db.NewReader()
	mget := Commands()["mget"]
	argv := [][]byte{[]byte("mget"), []byte("k1"), []byte("k2")}
	bulk := func(e []byte) string { // "$n\r\n<value>\r\n" -> value
		if i := bytes.IndexByte(e, '\n'); i > 0 && len(e) >= i+3 {
			return string(e[i+1 : len(e)-2])
		}
		return string(e)
	}
	var w resp.Writer
	readWhileApplying(t, a, 2000, func(i int) []string {
		v := strconv.Itoa(i + 1)
		return []string{"mset", "k1", v, "k2", v + pad}
	}, func() string {
		w.Reset()
		if err := rd.Exec(mget, argv, 1, &w); err != nil {
			return err.Error()
		}
		elems, ok := resp.ArrayElems(w.B, nil)
		if !ok || len(elems) != 2 || bulk(elems[0])+pad != bulk(elems[1]) {
			return fmt.Sprintf("part of an MSET: %.40q", w.B)
		}
		return ""
	})
}

// readWhileApplying applies cmd(i) for i in [0, n), each in a batch of its
// own, on another goroutine, and calls read until they are all applied or
// read reports a problem; the applier stops before the test ends.
func readWhileApplying(t *testing.T, a *Applier, n int, cmd func(i int) []string, read func() (problem string)) {
	t.Helper()
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := a.ApplyEntry(entry(1, cmd(i)), nil); err != nil {
				done <- err
				return
			}
			if err := a.Commit(); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for reads := 0; ; reads++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		default:
		}
		if problem := read(); problem != "" {
			close(stop) // the applier must stop before the DB closes
			if err := <-done; err != nil {
				t.Error(err)
			}
			t.Fatalf("read %d: %s", reads, problem)
		}
	}
}

// A key a keyspace read (KEYS, SCAN) found in Pebble is found by a GET
// that starts after it: such reads see published batches only, although
// Pebble shows a batch before it is published.
func TestKeyspaceReadsSeePublishedBatches(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	rd := db.NewReader()
	get := Commands()["get"]
	var w resp.Writer
	readWhileApplying(t, a, 3000, func(i int) []string {
		return []string{"set", fmt.Sprintf("k%05d", i), "v"}
	}, func() string {
		var last []byte
		var scanErr error
		w.Reset()
		db.ReadSettled(&w, func() {
			_, scanErr = db.ScanSlots(0, slots.Count-1, 1<<30, ScanOptions{Now: 1}, func(k []byte) {
				if bytes.Compare(k, last) > 0 {
					last = append(last[:0], k...)
				}
			})
		})
		if scanErr != nil {
			return scanErr.Error()
		}
		if last == nil {
			return ""
		}
		w.Reset()
		if err := rd.Exec(get, [][]byte{[]byte("get"), last}, 1, &w); err != nil {
			return err.Error()
		}
		if string(w.B) != "$1\r\nv\r\n" {
			return fmt.Sprintf("GET %s after the keyspace read listed it: %q", last, w.B)
		}
		return ""
	})
}

// A key FLUSHDB deletes and the same batch writes again reads as its old
// value until the batch is published: absent in the batch is not absent in
// the committed state.
func TestWriteAfterFlushInOneBatchStaysUnseen(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "x", "old")
	db.rows.clear() // x now only in Pebble, as after an eviction
	var e EntryEncoder
	e.Begin(EntryHeader{Now: 2})
	e.Add(KindInternal, [][]byte{[]byte("flushslots"), []byte("0"), []byte("16383")})
	e.Add(KindClient, [][]byte{[]byte("set"), []byte("x"), []byte("new")})
	if err := a.ApplyEntry(e.Finish(), nil); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 2, "get", "x"); got != "$3\r\nold\r\n" {
		t.Fatalf("get before the batch is published: %q", got)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 2, "get", "x"); got != "$3\r\nnew\r\n" {
		t.Fatalf("get after: %q", got)
	}
}

// A reader that read a record from Pebble must not cache it once a batch
// replaced it: the new record is too large to cache, so the batch leaves
// no entry behind for the stale fill to collide with.
func TestStaleFillIsDropped(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "k", "old")
	db.rows.clear() // k only in Pebble
	rd := db.NewReader()
	var w resp.Writer
	rd.ctx.W = &w
	rd.run(Commands()["get"], [][]byte{[]byte("get"), []byte("k")}, db.commitSeq.Load())
	if string(w.B) != "$3\r\nold\r\n" || len(rd.ctx.fills) != 1 {
		t.Fatalf("read %q, %d fills", w.B, len(rd.ctx.fills))
	}
	big := strings.Repeat("n", 5000)
	applyOne(t, a, 2, "set", "k", big)
	rd.ctx.fillCache() // the reader's fill, late
	if got := hsRead(t, db, false, 2, "strlen", "k"); got != ":5000\r\n" {
		t.Fatalf("strlen after the late fill: %q", got)
	}
}

// A batch that changes only a collection's sub-keys (HSET of an existing
// field) is not seen before it is published, even by a read that goes to
// Pebble while the commit is in flight: a later GET of another key of the
// batch would otherwise see an older state.
func TestSubKeyOnlyWriteUnseenUntilPublished(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "hset", "h", "f", "old")
	applyOne(t, a, 1, "set", "k2", "old")
	if err := a.ApplyEntry(entry(2, []string{"hset", "h", "f", "new"}, []string{"set", "k2", "new"}), nil); err != nil {
		t.Fatal(err)
	}
	finish := commitToWindow(t, a)
	hget := make(chan string, 1)
	go func() {
		var w resp.Writer
		if err := db.NewReader().Exec(Commands()["hget"], [][]byte{[]byte("hget"), []byte("h"), []byte("f")}, 2, &w); err != nil {
			hget <- err.Error()
			return
		}
		hget <- string(w.B)
	}()
	var early string
	select {
	case early = <-hget:
	case <-time.After(200 * time.Millisecond):
	}
	got := hsRead(t, db, false, 2, "get", "k2")
	finish()
	if early == "$3\r\nnew\r\n" {
		t.Fatalf("HGET saw the batch before it was published (a GET after it read k2 = %q)", got)
	}
	if got != "$3\r\nold\r\n" {
		t.Fatalf("GET k2 before the publish: %q", got)
	}
	if early == "" {
		early = <-hget
	}
	if early != "$3\r\nnew\r\n" && early != "$3\r\nold\r\n" {
		t.Fatalf("HGET: %q", early)
	}
}

// commitToWindow commits a's batch as Commit does, up to where Pebble shows
// it and it is not published yet; finish publishes it.
func commitToWindow(t *testing.T, a *Applier) (finish func()) {
	t.Helper()
	db, pub := a.db, a.ctx.pub
	db.gate.Lock()
	pub.doneAt.Store(db.commitSeq.Add(1) + 1)
	if err := a.b.Commit(pebble.NoSync); err != nil {
		db.gate.Unlock()
		t.Fatal(err)
	}
	return func() {
		db.commitSeq.Add(1)
		db.gate.Unlock()
		a.releaseKeyWriters()
	}
}

// A keyspace read during a commit does not list a key that a GET then
// finds absent: it waits for the batch to be published.
func TestKeyspaceReadWaitsForPublish(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "a", "v")
	if err := a.ApplyEntry(entry(2, []string{"set", "new", "v"}), nil); err != nil {
		t.Fatal(err)
	}
	finish := commitToWindow(t, a)
	listed := make(chan bool, 1)
	go func() {
		var w resp.Writer
		found := false
		db.ReadSettled(&w, func() {
			found = false
			_, _ = db.ScanSlots(0, slots.Count-1, 1<<30, ScanOptions{Now: 1}, func(k []byte) {
				found = found || string(k) == "new"
			})
		})
		listed <- found
	}()
	early := false
	select {
	case early = <-listed:
		if got := hsRead(t, db, false, 2, "get", "new"); early && got != "$1\r\nv\r\n" {
			finish()
			t.Fatalf("a keyspace read listed the key before its batch was published; GET then: %q", got)
		}
	case <-time.After(200 * time.Millisecond):
		finish()
		if !<-listed {
			t.Fatal("the keyspace read after the publish did not list the key")
		}
		return
	}
	finish()
}

// Writes keep the row cache within its budget: a key's published record
// stays staged until its next write, and must still be evictable. Every
// value reads back, cached or not.
func TestRowCacheStaysWithinBudgetUnderWrites(t *testing.T) {
	const budget = rowShards * 2 << 10 // 2 KiB per shard
	db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := db.NewApplier(Commands())
	const keys, perBatch = 20000, 100
	val := strings.Repeat("v", 100)
	for i := 0; i < keys; i += perBatch {
		cmds := make([][]string, perBatch)
		for j := range cmds {
			cmds[j] = []string{"set", fmt.Sprintf("key:%06d", i+j), val + strconv.Itoa(i+j)}
		}
		w := make([]*resp.Writer, perBatch)
		for j := range w {
			w[j] = &resp.Writer{}
		}
		if err := a.ApplyEntry(entry(1, cmds...), sink(w)); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		if st := db.rows.stats(); st.Bytes > budget {
			t.Fatalf("after %d keys the row cache holds %d bytes in %d entries, over its %d", i+perBatch, st.Bytes, st.Entries, budget)
		}
	}
	if st := db.rows.stats(); st.Entries >= keys/2 {
		t.Fatalf("row cache holds %d of %d keys within %d bytes", st.Entries, keys, budget)
	}
	for _, i := range []int{0, 7777, keys - 1} {
		k := fmt.Sprintf("key:%06d", i)
		want := fmt.Sprintf("$%d\r\n%s\r\n", len(val)+len(strconv.Itoa(i)), val+strconv.Itoa(i))
		if got := hsRead(t, db, false, 1, "get", k); got != want {
			t.Fatalf("get %s: %q", k, got)
		}
	}
}

// FLUSHDB (flushslots) stages the deletion of every cached key; until its batch is
// published, readers see the keys as the last published batch left them.
func TestFlushUnseenUntilPublished(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "k", "v1")
	applyOne(t, a, 2, "set", "k", "v2") // published, and staged until the next write
	var e EntryEncoder
	e.Begin(EntryHeader{Now: 3})
	e.Add(KindInternal, [][]byte{[]byte("flushslots"), []byte("0"), []byte("16383")})
	if err := a.ApplyEntry(e.Finish(), nil); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 3, "get", "k"); got != "$2\r\nv2\r\n" {
		t.Fatalf("get before the flush is published: %q", got)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 3, "get", "k"); got != "$-1\r\n" {
		t.Fatalf("get after the flush: %q", got)
	}
}

// A batch in the middle of its commit (in Pebble, not published) keeps its
// staged entries: a trim by another apply loop must not evict them, or a
// reader would find one of the batch's keys in Pebble (new) and another in
// the cache (old).
func TestTrimKeepsEntriesOfCommitInFlight(t *testing.T) {
	db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: rowShards * 64})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "mset", "k1", "v1", "k2", "v1")
	if err := a.ApplyEntry(entry(2, []string{"mset", "k1", "v2", "k2", "v2"}), nil); err != nil {
		t.Fatal(err)
	}
	finish := commitToWindow(t, a)
	db.rows.trim() // every shard holding an entry is over its 64 bytes
	for _, k := range []string{"k1", "k2"} {
		s := db.rows.shard([]byte(k))
		s.mu.RLock()
		e := s.m[k]
		s.mu.RUnlock()
		if e == nil || !e.staged {
			t.Fatalf("%s: the staged entry of the batch in flight was evicted", k)
		}
	}
	finish()
	if got := hsRead(t, db, false, 2, "mget", "k1", "k2"); got != "*2\r\n$2\r\nv2\r\n$2\r\nv2\r\n" {
		t.Fatalf("mget after the commit: %q", got)
	}
}
