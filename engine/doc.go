// Package engine owns everything NeoKV keeps in Pebble: the key layout, the
// encoding of every Redis type, the execution of data commands against a
// Pebble batch (writes, at apply time) or the live database (reads), expiry,
// the Region state machine's apply of committed Raft entries, the per-Region
// Raft state (log entries, hard state, apply state, region descriptor),
// slot-range snapshots, and two local accelerators in front of Pebble that
// never change an apply's result: the row cache and the key filter.
//
// Key layout (one Pebble instance per store):
//
//	0x00 "ident"                                  store identity
//	0x01 region(8) 'l' index(8)                   Raft log entry
//	0x01 region(8) 'h'                            Raft hard state
//	0x01 region(8) 'a'                            apply state (applied, truncated index/term)
//	0x01 region(8) 'r'                            region descriptor
//	0x02 slot(2) 0x00 keylen(4) key                 metadata: type, expiry, version, count, string value
//	0x02 slot(2) 0x01 keylen(4) key version(8) ...  sub-keys of collections
//	0x04 expireAt(8) slot(2) key                    expiry index, scanned by active expiry
//
// All integers are big endian so that byte order is numeric order. Because
// user data is prefixed by slot, a Region split is a metadata change and a
// replica move streams a slot range: one contiguous Pebble span, which a
// snapshot install replaces atomically (ingest and excise).
//
// Visibility: an apply batch's writes (Pebble commit, cached records, key
// counts) become visible to readers at once, and a read command sees one
// state (DB.commitSeq); so readers never see part of an MSET, of a
// MULTI/EXEC or of an entry, nor a collection's sub-keys from another
// state than its metadata.
//
// Lua scripts (script.go) are commands too: EVAL enters the log with its
// body and every replica runs it with a deterministic interpreter setup
// (fixed math.random seed, an instruction limit instead of a clock).
//
// Everything executed by Apply depends only on the entry (its commands and
// the leader's clock stamped into it) and on the state, so every replica
// produces the same bytes.
package engine
