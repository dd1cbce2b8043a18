package resp

import (
	"bytes"
	"testing"
)

func BenchmarkParsePipelinedSet(b *testing.B) {
	one := []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$100\r\n" + string(bytes.Repeat([]byte("x"), 100)) + "\r\n")
	buf := bytes.Repeat(one, 16)
	p := NewParser(DefaultLimits())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		pos := 0
		for pos < len(buf) {
			_, n, err := p.Parse(buf[pos:], false)
			if err != nil || n == 0 {
				b.Fatal(err)
			}
			pos += n
		}
	}
}

func BenchmarkWriterBulk(b *testing.B) {
	w := &Writer{}
	v := bytes.Repeat([]byte("x"), 100)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%64 == 0 {
			w.Reset()
		}
		w.Bulk(v)
	}
}
