package engine

import (
	"encoding/binary"
	"errors"
)

// Type is the Redis type of a key.
type Type byte

// Redis types as stored in the metadata record.
const (
	TypeNone   Type = 0
	TypeString Type = 1
	TypeHash   Type = 2
	TypeList   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
	TypeStream Type = 6
)

// Name is the TYPE command's answer.
func (t Type) Name() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	case TypeStream:
		return "stream"
	}
	return "none"
}

// TypeByName maps SCAN's TYPE argument to a Type.
func TypeByName(name []byte) (Type, bool) {
	switch string(lower(name)) {
	case "string":
		return TypeString, true
	case "hash":
		return TypeHash, true
	case "list":
		return TypeList, true
	case "set":
		return TypeSet, true
	case "zset":
		return TypeZSet, true
	case "stream":
		return TypeStream, true
	}
	return TypeNone, false
}

// meta is a decoded metadata record. For strings, value aliases the Pebble
// buffer it was read from; callers copy it if they keep it. For streams it
// is the encoded streamState, aliased the same way.
//
// Encoding: type(1) expireAt(8) then, for strings, the value; for
// collections version(8) count(8) and type-specific fields (list head/tail,
// a stream's state).
type meta struct {
	typ      Type
	expireAt int64 // unix ms, 0 = no expiry
	version  uint64
	count    uint64
	head     uint64 // lists: position of the first item
	tail     uint64 // lists: position after the last item
	value    []byte
}

const metaHeader = 9

var errCorruptMeta = errors.New("engine: corrupt metadata record")

func decodeMeta(b []byte) (meta, error) {
	if len(b) < metaHeader {
		return meta{}, errCorruptMeta
	}
	m := meta{typ: Type(b[0]), expireAt: int64(binary.BigEndian.Uint64(b[1:]))}
	rest := b[metaHeader:]
	switch m.typ {
	case TypeString:
		m.value = rest
	case TypeHash, TypeSet, TypeZSet:
		if len(rest) < 16 {
			return meta{}, errCorruptMeta
		}
		m.version = binary.BigEndian.Uint64(rest)
		m.count = binary.BigEndian.Uint64(rest[8:])
	case TypeStream:
		if len(rest) < 16+streamStateLen {
			return meta{}, errCorruptMeta
		}
		m.version = binary.BigEndian.Uint64(rest)
		m.count = binary.BigEndian.Uint64(rest[8:])
		m.value = rest[16 : 16+streamStateLen]
	case TypeList:
		if len(rest) < 32 {
			return meta{}, errCorruptMeta
		}
		m.version = binary.BigEndian.Uint64(rest)
		m.count = binary.BigEndian.Uint64(rest[8:])
		m.head = binary.BigEndian.Uint64(rest[16:])
		m.tail = binary.BigEndian.Uint64(rest[24:])
	default:
		return meta{}, errCorruptMeta
	}
	return m, nil
}

func (m *meta) appendEncoded(dst []byte) []byte {
	dst = append(dst, byte(m.typ))
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.expireAt))
	switch m.typ {
	case TypeString:
		dst = append(dst, m.value...)
	case TypeStream:
		dst = binary.BigEndian.AppendUint64(dst, m.version)
		dst = binary.BigEndian.AppendUint64(dst, m.count)
		dst = append(dst, m.value...) // the streamState
	case TypeList:
		dst = binary.BigEndian.AppendUint64(dst, m.version)
		dst = binary.BigEndian.AppendUint64(dst, m.count)
		dst = binary.BigEndian.AppendUint64(dst, m.head)
		dst = binary.BigEndian.AppendUint64(dst, m.tail)
	default:
		dst = binary.BigEndian.AppendUint64(dst, m.version)
		dst = binary.BigEndian.AppendUint64(dst, m.count)
	}
	return dst
}

// expiredAt reports whether the record is logically gone at time now.
func (m *meta) expiredAt(now int64) bool {
	return m.expireAt != 0 && m.expireAt <= now
}

func lower(b []byte) []byte {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			out := make([]byte, len(b))
			for i, c := range b {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				out[i] = c
			}
			return out
		}
	}
	return b
}

// eqFold reports whether b equals the lowercase ASCII word s, ignoring case.
// EqFold reports whether b equals the lowercase ASCII s, ignoring case.
func EqFold(b []byte, s string) bool { return eqFold(b, s) }

func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
