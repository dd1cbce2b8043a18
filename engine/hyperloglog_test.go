package engine

import (
	"strconv"
	"testing"
)

// FuzzHLLValue feeds arbitrary strings that pass the HLL header check to
// the code that reads and rewrites HLL values: a corrupt value must give
// INVALIDOBJ, never a panic (which on the apply path would stop every
// replica on the same entry).
func FuzzHLLValue(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0xff}, []byte("x"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f}, []byte("y"))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x3f, 0xff, 0x7f, 0xff}, []byte("z"))
	f.Fuzz(func(t *testing.T, rest, ele []byte) {
		v := append([]byte("HYLL"), rest...)
		if !isHLL(v) {
			return
		}
		max := make([]uint8, hllRegisters)
		hllMergeInto(max, v)
		hllCountRegisters(max)
		if d, ok := sparseToDense(append([]byte(nil), v...)); ok && len(d) != hllDenseSize {
			t.Fatalf("dense value of %d bytes", len(d))
		}
		w := append([]byte(nil), v...)
		for i := 0; i < 3; i++ {
			var ok bool
			if w, _, ok = hllAdd(w, append(ele, byte(i))); !ok {
				return
			}
		}
		for i := 0; i < hllRegisters; i += 997 {
			var ok bool
			if w[4] == hllDense {
				denseSet(w[hllHdrSize:], i, uint8(i%64))
			} else if w, _, ok = sparseSet(w, i, uint8(i%64)); !ok {
				return
			}
		}
	})
}

// BenchmarkPFAdd adds new elements to one HLL (sparse, then dense).
func BenchmarkPFAdd(b *testing.B) {
	v := newHLL()
	buf := []byte("element:")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var ok bool
		if v, _, ok = hllAdd(v, strconv.AppendInt(buf[:8], int64(i), 10)); !ok {
			b.Fatal("corrupt")
		}
	}
}

// BenchmarkPFCount counts a dense HLL of 100k elements.
func BenchmarkPFCount(b *testing.B) {
	v := newHLL()
	for i := 0; i < 100000; i++ {
		v, _, _ = hllAdd(v, []byte(strconv.Itoa(i)))
	}
	max := make([]uint8, hllRegisters)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		clear(max)
		hllMergeInto(max, v)
		hllCountRegisters(max)
	}
}
