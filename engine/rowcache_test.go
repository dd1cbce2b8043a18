package engine

import (
	"fmt"
	"testing"
)

// Keys sharing a hash tag share a slot; the cache must still spread them
// over its shards, or one shard's byte budget caps the whole cache.
func TestRowCacheSpreadsHashTaggedKeys(t *testing.T) {
	c := newRowCache(rowShards*16<<10, 4<<10) // 16 KiB per shard, 4 MiB in all
	rec := (&meta{typ: TypeString, value: make([]byte, 100)}).appendEncoded(nil)
	const n = 5000 // ~1 MiB of entries: far more than one shard holds
	for i := 0; i < n; i++ {
		key := []byte(fmt.Sprintf("key:{tag}:%012d", i))
		c.put(key, rec)
		c.clean(key)
		c.trim()
	}
	st := c.stats()
	if st.Entries != n {
		t.Fatalf("cache holds %d of %d hash-tagged keys (%d bytes)", st.Entries, n, st.Bytes)
	}
	for i := 0; i < n; i++ {
		if _, found := c.get([]byte(fmt.Sprintf("key:{tag}:%012d", i))); !found {
			t.Fatalf("key %d not found", i)
		}
	}
	if _, found := c.get([]byte("key:{tag}:absent")); found {
		t.Fatal("absent key found")
	}
	if st := c.stats(); st.Hits != n || st.Misses != 1 {
		t.Fatalf("hits %d misses %d, want %d and 1", st.Hits, st.Misses, n)
	}
}
