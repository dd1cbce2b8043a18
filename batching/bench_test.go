package batching

import (
	"bytes"
	"testing"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// BenchmarkBatchAdd measures the event loop's hand-off encoding: one SET
// of a 100-byte value added to a batch (16 per batch, as at -P 16).
func BenchmarkBatchAdd(b *testing.B) {
	argv := [][]byte{[]byte("set"), []byte("key:000000012345"), bytes.Repeat([]byte("x"), 100)}
	var w resp.Writer
	r := &Region{}
	b.ReportAllocs()
	for i := 0; i < b.N; i += 16 {
		bt := NewBatch()
		for j := 0; j < 16; j++ {
			bt.Add(r, engine.KindClient, argv, &w, nil, 0)
		}
		bt.release()
	}
}

// BenchmarkEntryFromBatch measures the round loop's part: turning the
// requests of a round into one entry for a Region.
func BenchmarkEntryFromBatch(b *testing.B) {
	argv := [][]byte{[]byte("set"), []byte("key:000000012345"), bytes.Repeat([]byte("x"), 100)}
	bt := NewBatch()
	var w resp.Writer
	for j := 0; j < 64; j++ {
		bt.Add(nil, engine.KindClient, argv, &w, nil, 0)
	}
	var enc engine.EntryEncoder
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 64 {
		enc.Begin(engine.EntryHeader{Now: 1})
		for k := range bt.reqs {
			enc.AddEncoded(bt.buf[bt.reqs[k].start:bt.reqs[k].end])
		}
		_ = enc.Finish()
	}
}
