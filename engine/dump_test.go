package engine

import (
	"encoding/binary"
	"testing"
)

// Redis's crc64 test vector.
func TestCRC64Jones(t *testing.T) {
	if got := crc64Jones(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %x", got)
	}
}

// FuzzRDBObject parses arbitrary RESTORE objects: malformed ones are
// refused, never a panic or an allocation out of proportion to the
// payload (RESTORE runs on the apply path of every replica).
func FuzzRDBObject(f *testing.F) {
	f.Add([]byte{rdbTypeString, 0x02, 'v', '1'})
	f.Add([]byte{rdbTypeString, 0xc3, 0x05, 0x10, 0x01, 'a', 'b', 0xe0, 0x08, 0x01})
	f.Add([]byte{rdbTypeHash, 0x01, 0x01, 'f', 0x01, 'v'})
	f.Add([]byte{rdbTypeZset2, 0x01, 0x01, 'm', 0, 0, 0, 0, 0, 0, 0xf0, 0x3f})
	lp := binary.LittleEndian.AppendUint32(nil, 13)
	lp = append(lp, 0x02, 0x00, 0x81, 'a', 0x02, 0x05, 0x01, 0xff)
	f.Add(append([]byte{rdbTypeListQuicklist2, 0x01, 0x02, byte(len(lp))}, lp...))
	f.Add([]byte{rdbTypeSetIntset, 0x0c, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := parseRDBObject(b, 1<<20)
		if !ok {
			return
		}
		n := len(v.str)
		for _, e := range v.elems {
			n += len(e)
		}
		if n > 200*len(b)+64 {
			t.Fatalf("%d bytes of payload gave %d bytes of value", len(b), n)
		}
	})
}
