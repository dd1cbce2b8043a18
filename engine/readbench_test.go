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
