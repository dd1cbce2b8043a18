package engine

import (
	"strconv"
	"testing"

	"github.com/neokv/neokv/resp"
)

// BenchmarkReadGet is a GET of a cached string on the read path (the
// event loop's local read).
func BenchmarkReadGet(b *testing.B) {
	db := openTestDB(b)
	a := db.NewApplier(Commands())
	for i := 0; i < 1000; i++ {
		applyOne(b, a, 1, "set", "key:"+strconv.Itoa(i), "value-of-100-bytes-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
	}
	rd := db.NewReader()
	get := Commands()["get"]
	argv := make([][]byte, 1000)
	for i := range argv {
		argv[i] = []byte("key:" + strconv.Itoa(i))
	}
	var w resp.Writer
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Reset()
		if err := rd.Exec(get, [][]byte{[]byte("get"), argv[i%1000]}, 1, &w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkXAddCapped is XADD to a stream capped at 100 entries (MAXLEN
// 100): every add deletes the oldest entry, whose tombstone must not make
// the next trim (or read of the head) slower.
func BenchmarkXAddCapped(b *testing.B) {
	db := openTestDB(b)
	a := db.NewApplier(Commands())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var w resp.Writer
		if err := a.ApplyEntry(entry(int64(i+1), []string{"xadd", "s", "maxlen", "100", "*", "f", "v"}), sink{&w}); err != nil {
			b.Fatal(err)
		}
		if i%100 == 99 {
			if err := a.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := a.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkXAckQueue is a work queue: XADD, XREADGROUP one, XACK it. The
// acknowledged entries' tombstones must not slow the scans of the pending
// list (XPENDING's summary here) from its start.
func BenchmarkXAckQueue(b *testing.B) {
	db := openTestDB(b)
	a := db.NewApplier(Commands())
	applyOne(b, a, 1, "xgroup", "create", "q", "g", "$", "mkstream")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := strconv.Itoa(i+1) + "-1"
		var w1, w2, w3, w4 resp.Writer
		if err := a.ApplyEntry(entry(int64(i+2), []string{"xadd", "q", "maxlen", "100", id, "f", "v"},
			[]string{"xreadgroup", "group", "g", "c", "count", "1", "streams", "q", ">"},
			[]string{"xack", "q", "g", id}, []string{"xpending", "q", "g"}), sink{&w1, &w2, &w3, &w4}); err != nil {
			b.Fatal(err)
		}
		if string(w3.B) != ":1\r\n" {
			b.Fatalf("XACK: %q", w3.B)
		}
		if i%100 == 99 {
			if err := a.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
