package engine

import (
	"fmt"
	"testing"
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
