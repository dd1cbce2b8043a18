package engine

import (
	"strconv"
	"strings"
	"testing"
)

func memoryUsageOf(t *testing.T, db *DB, argv ...string) int64 {
	t.Helper()
	got := hsRead(t, db, false, 1, append([]string{"memory", "usage"}, argv...)...)
	if !strings.HasPrefix(got, ":") {
		t.Fatalf("MEMORY USAGE %v: %q, want an integer", argv, got)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(got[1:]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// MEMORY USAGE counts what a key's records hold: a longer value costs more,
// a collection grows with its elements, and SAMPLES 0 reads every element.
func TestMemoryUsageFollowsStoredSize(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "set", "small", "x")
	applyOne(t, a, 1, "set", "large", strings.Repeat("x", 1000))
	small, large := memoryUsageOf(t, db, "small"), memoryUsageOf(t, db, "large")
	if large-small != 999 {
		t.Fatalf("usage small %d, large %d: want 999 bytes apart", small, large)
	}
	for i := 0; i < 100; i++ {
		applyOne(t, a, 1, "rpush", "list", strconv.Itoa(i))
		if i == 9 {
			if ten := memoryUsageOf(t, db, "list"); ten <= small {
				t.Fatalf("10-element list %d bytes, a 1-byte string %d", ten, small)
			}
		}
	}
	hundred := memoryUsageOf(t, db, "list", "SAMPLES", "0")
	for i := 0; i < 90; i++ {
		applyOne(t, a, 1, "rpop", "list")
	}
	ten := memoryUsageOf(t, db, "list", "SAMPLES", "0")
	if hundred < 5*ten {
		t.Fatalf("100-element list %d bytes vs 10-element %d", hundred, ten)
	}
	// A hash whose first fields are small and last large: the default five
	// samples see only the small ones, every sample sees all.
	for i := 0; i < 20; i++ {
		v := "v"
		if i >= 10 {
			v = strings.Repeat("v", 500)
		}
		applyOne(t, a, 1, "hset", "h", "f"+strconv.Itoa(i+10), v)
	}
	if sampled, all := memoryUsageOf(t, db, "h"), memoryUsageOf(t, db, "h", "SAMPLES", "0"); all <= sampled {
		t.Fatalf("hash: default samples %d bytes, all %d", sampled, all)
	}
	if got := hsRead(t, db, false, 1, "memory", "usage", "missing"); got != "$-1\r\n" {
		t.Fatalf("MEMORY USAGE of a missing key: %q", got)
	}
	if got := hsRead(t, db, true, 1, "memory", "usage", "missing"); got != "_\r\n" {
		t.Fatalf("MEMORY USAGE of a missing key, RESP3: %q", got)
	}
	applyOne(t, a, 1, "set", "gone", "v", "px", "1")
	if got := hsRead(t, db, false, 5, "memory", "usage", "gone"); got != "$-1\r\n" {
		t.Fatalf("MEMORY USAGE of an expired key: %q", got)
	}
	if got := hsRead(t, db, false, 1, "memory", "stats"); !strings.Contains(got, "$10\r\nkeys.count\r\n:") {
		t.Fatalf("MEMORY STATS: %q", got)
	}
}
