package engine

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestKeyFilterNoFalseNegativesAcrossGrowth(t *testing.T) {
	f := newKeyFilterSized(1<<14, 64<<20)
	n := int((*f.gens.Load())[0].cap)*3 + 10 // fills the second filter (twice the first), forces a third
	for i := 0; i < n; i++ {
		f.add([]byte(fmt.Sprintf("key:{t}:%d", i)), true)
	}
	if got := len(*f.gens.Load()); got != 3 {
		t.Fatalf("%d filters after %d keys, want 3", got, n)
	}
	for i := 0; i < n; i++ {
		if !f.mayContain([]byte(fmt.Sprintf("key:{t}:%d", i))) {
			t.Fatalf("key %d added but reported absent", i)
		}
	}
	fp := 0
	const probes = 50000
	for i := 0; i < probes; i++ {
		if f.mayContain([]byte(fmt.Sprintf("other:{t}:%d", i))) {
			fp++
		}
	}
	t.Logf("false positive rate %.4f over %d absent keys", float64(fp)/probes, probes)
	// Three filters at ~1% each; a broken hash (every probe in the same
	// bits) would report most absent keys present.
	if rate := float64(fp) / probes; rate > 0.04 {
		t.Fatalf("false positive rate %.3f", rate)
	}
}

func TestKeyFilterStopsGrowingAtLimit(t *testing.T) {
	f := newKeyFilterSized(1<<14, 40<<10) // room for the first filter only
	first := f.bytes()
	const n = 4 << 14
	for i := 0; i < n; i++ {
		f.add([]byte(fmt.Sprintf("k%d", i)), true)
	}
	if f.bytes() != first {
		t.Fatalf("filter grew to %d bytes past its limit", f.bytes())
	}
	for i := 0; i < n; i += 97 {
		if !f.mayContain([]byte(fmt.Sprintf("k%d", i))) {
			t.Fatalf("key %d reported absent", i)
		}
	}
}

// Keys written, deleted, restored after reopen and ingested by snapshot
// stay findable: the filter only ever says "absent" for keys never stored.
func TestKeyFilterThroughApplyAndReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "a", "1")
	applyOne(t, a, 1, "hset", "h", "f", "v")
	applyOne(t, a, 1, "del", "a")
	applyOne(t, a, 1, "set", "a", "2")
	if got := applyOne(t, a, 1, "set", "b", "3", "nx"); got != "+OK\r\n" {
		t.Fatalf("SET NX of a new key: %q", got)
	}
	if got := applyOne(t, a, 1, "set", "b", "4", "nx"); got != "$-1\r\n" {
		t.Fatalf("SET NX of an existing key: %q", got)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, k := range []string{"a", "h", "b"} {
		if !db.keys.mayContain([]byte(k)) {
			t.Fatalf("%q stored before reopen but the filter says absent", k)
		}
	}
	a = db.NewApplier(Commands())
	if got := applyOne(t, a, 1, "get", "a"); got != "$1\r\n2\r\n" {
		t.Fatalf("GET a after reopen: %q", got)
	}
	if got := applyOne(t, a, 1, "hget", "h", "f"); got != "$1\r\nv\r\n" {
		t.Fatalf("HGET after reopen: %q", got)
	}
	if got := applyOne(t, a, 1, "set", "h", "x", "nx"); got != "$-1\r\n" {
		t.Fatalf("SET NX over a stored hash: %q", got)
	}
}

// A rebuild must not lose a key that a batch added to the old filter just
// before the rebuild began but had not committed yet: the scan has to
// wait for that commit. Keys added while the scan runs must survive too.
func TestKeyFilterRebuildWaitsForBatchesAndKeepsConcurrentAdds(t *testing.T) {
	f := newKeyFilterSized(1<<10, 1<<20)
	var mu sync.Mutex
	var stored []string // what a scan of "Pebble" sees
	commit := func(k string) { mu.Lock(); stored = append(stored, k); mu.Unlock() }

	// A batch in flight: it added its key, it has not committed.
	f.writers.RLock()
	f.add([]byte("inflight"), true)

	scanning := make(chan struct{})
	resume := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- f.rebuild(1<<10, func(add func(key []byte)) error {
			close(scanning)
			<-resume
			mu.Lock()
			defer mu.Unlock()
			for _, k := range stored {
				add([]byte(k))
			}
			return nil
		})
	}()
	select {
	case <-scanning:
		t.Fatal("the rebuild scanned before an in-flight batch committed")
	case <-time.After(100 * time.Millisecond):
	}
	commit("inflight")
	f.writers.RUnlock()
	<-scanning
	// Writes during the scan: added (under the lock), committed after the
	// scan read the store.
	for i := 0; i < 100; i++ {
		f.writers.RLock()
		f.add([]byte(fmt.Sprintf("during:%d", i)), true)
		f.writers.RUnlock()
	}
	close(resume)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if f.rebuilds.Load() != 1 || len(*f.gens.Load()) != 1 {
		t.Fatalf("rebuilds %d, filters %d", f.rebuilds.Load(), len(*f.gens.Load()))
	}
	for _, k := range append([]string{"inflight"}, func() (ks []string) {
		for i := 0; i < 100; i++ {
			ks = append(ks, fmt.Sprintf("during:%d", i))
		}
		return ks
	}()...) {
		if !f.mayContain([]byte(k)) {
			t.Fatalf("%q lost by the rebuild", k)
		}
	}
}

// Keys created and deleted forever fill the filter until it answers
// "maybe" for everything; the DB then rebuilds it from the stored keys, so
// deleted keys are absent again and stored ones still present.
func TestKeyFilterRebuiltWhenChurnFillsIt(t *testing.T) {
	db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: -1,
		KeyFilterBytes: 5 << 10, keyFilterFirstKeys: 1 << 10}) // one 2 KiB filter, no room to grow
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "kept", "v")
	capacity := int((*db.keys.gens.Load())[0].cap)
	for i := 0; i < 2*capacity+10; i++ {
		k := fmt.Sprintf("churn:%d", i)
		applyOne(t, a, 1, "set", k, "v")
		applyOne(t, a, 1, "del", k)
	}
	for deadline := time.Now().Add(10 * time.Second); db.KeyFilterRebuilds() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the full key filter was never rebuilt")
		}
	}
	if !db.keys.mayContain([]byte("kept")) {
		t.Fatal("a stored key is absent from the rebuilt filter")
	}
	present := 0
	for i := 0; i < 2*capacity; i++ {
		if db.keys.mayContain([]byte(fmt.Sprintf("churn:%d", i))) {
			present++
		}
	}
	if rate := float64(present) / float64(2*capacity); rate > 0.1 {
		t.Fatalf("%.2f of the deleted keys still reported present after the rebuild", rate)
	}
	if got := applyOne(t, a, 1, "get", "kept"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET kept: %q", got)
	}
	if got := applyOne(t, a, 1, "set", "churn:5", "w", "nx"); got != "+OK\r\n" {
		t.Fatalf("SET NX of a deleted key: %q", got)
	}
}
