// Package slots owns the Redis Cluster key-to-slot mapping (CRC16 of the key
// or of its {hash tag}, modulo 16384) so that the server, the load generator
// and the tests all route exactly as cluster-aware clients do. It is a leaf
// package (DESIGN.md puts slot routing in netio; bench may not import netio).
package slots

// Count is the number of Redis Cluster hash slots.
const Count = 16384

// crcTable is the CRC16-CCITT (XMODEM) table Redis uses.
var crcTable = func() (t [256]uint16) {
	for i := 0; i < 256; i++ {
		crc := uint16(i) << 8
		for j := 0; j < 8; j++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>8)^c]
	}
	return crc
}

// Of returns the slot of key, honouring hash tags: if the key contains a
// '{' followed by a '}' with at least one byte between them, only the bytes
// between the first '{' and the next '}' are hashed.
func Of(key []byte) uint16 {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						return crc16(key[i+1:j]) & (Count - 1)
					}
					break
				}
			}
			break
		}
	}
	return crc16(key) & (Count - 1)
}

// OfString is Of for a string key.
func OfString(key string) uint16 { return Of([]byte(key)) }
