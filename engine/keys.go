package engine

import (
	"encoding/binary"
)

const (
	prefixStore  byte = 0x00
	prefixRaft   byte = 0x01
	prefixData   byte = 0x02 // user data: slot(2) then tagMeta or tagSub
	prefixExpire byte = 0x04
	prefixEnd    byte = 0x05

	// Within one slot, metadata records sort before sub-keys, so a slot's
	// keys are one seek away and a slot range is one contiguous span.
	tagMeta byte = 0x00
	tagSub  byte = 0x01

	raftLogSuffix   byte = 'l'
	raftHardSuffix  byte = 'h'
	raftApplySuffix byte = 'a'
	raftDescSuffix  byte = 'r'
	// raftSystemSuffix holds the state of a system Region's state machine
	// (the MetaServer), written in the apply batch with the applied index.
	raftSystemSuffix byte = 's'
)

var identKey = []byte{prefixStore, 'i', 'd', 'e', 'n', 't'}

// peerIdentPrefix + store id (8 bytes): the node id a peer store had when
// this store first heard from it (see DB.PeerNodeID).
var peerIdentPrefix = []byte{prefixStore, 'p', 'e', 'e', 'r'}

func raftKey(region uint64, suffix byte) []byte {
	k := make([]byte, 10)
	k[0] = prefixRaft
	binary.BigEndian.PutUint64(k[1:], region)
	k[9] = suffix
	return k
}

func appendRaftLogKey(dst []byte, region, index uint64) []byte {
	dst = append(dst, prefixRaft)
	dst = binary.BigEndian.AppendUint64(dst, region)
	dst = append(dst, raftLogSuffix)
	return binary.BigEndian.AppendUint64(dst, index)
}

// appendMetaKey appends the metadata key of user key `key` in `slot`.
func appendMetaKey(dst []byte, slot uint16, key []byte) []byte {
	dst = append(dst, prefixData)
	dst = binary.BigEndian.AppendUint16(dst, slot)
	dst = append(dst, tagMeta)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(key)))
	return append(dst, key...)
}

// appendSubPrefix appends the prefix shared by every sub-key of one version
// of a collection.
func appendSubPrefix(dst []byte, slot uint16, key []byte, version uint64) []byte {
	dst = append(dst, prefixData)
	dst = binary.BigEndian.AppendUint16(dst, slot)
	dst = append(dst, tagSub)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(key)))
	dst = append(dst, key...)
	return binary.BigEndian.AppendUint64(dst, version)
}

// metaStart is the first metadata key of slot s; metaEnd bounds them.
func metaStart(s uint16) []byte { return []byte{prefixData, byte(s >> 8), byte(s), tagMeta} }
func metaEnd(s uint16) []byte   { return []byte{prefixData, byte(s >> 8), byte(s), tagSub} }

func appendExpireKey(dst []byte, at int64, slot uint16, key []byte) []byte {
	dst = append(dst, prefixExpire)
	dst = binary.BigEndian.AppendUint64(dst, uint64(at))
	dst = binary.BigEndian.AppendUint16(dst, slot)
	return append(dst, key...)
}

// DataSpan returns [start, end) holding every key (metadata and sub-keys)
// of slots [lo, hi]: what a Region owns, and what a snapshot carries.
func DataSpan(lo, hi uint16) (start, end []byte) {
	start = []byte{prefixData, byte(lo >> 8), byte(lo)}
	h := uint32(hi) + 1
	end = []byte{prefixData, byte(h >> 8), byte(h)}
	return start, end
}

// decodeMetaKey splits a metadata key into slot and user key.
func decodeMetaKey(k []byte) (slot uint16, key []byte, ok bool) {
	if len(k) < 8 || k[0] != prefixData || k[3] != tagMeta {
		return 0, nil, false
	}
	slot = binary.BigEndian.Uint16(k[1:])
	n := binary.BigEndian.Uint32(k[4:])
	if int(n) != len(k)-8 {
		return 0, nil, false
	}
	return slot, k[8:], true
}

// prefixEndKey returns the smallest key greater than every key with prefix p.
func prefixEndKey(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
