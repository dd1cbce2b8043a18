package engine

// headerCache remembers, for keys the apply loop has read or written, the
// metadata fields a write needs to know about what it replaces (type,
// expiry, collection version and counts; never string values). A plain SET
// of a cached key then skips the Pebble read of the old record, which
// profiles showed was half of the apply loop's time (a memtable seek per
// command). It is owned by one Applier, written through on every metadata
// change, and dropped whenever data changes behind its back (FLUSHDB,
// snapshot install).
type headerCache struct {
	m   map[string]header
	max int
}

// header is a cached metadata record without its value. typ TypeNone means
// the key is known to be absent.
type header struct {
	typ      Type
	expireAt int64
	version  uint64
	count    uint64
	head     uint64
	tail     uint64
}

func newHeaderCache(max int) *headerCache {
	if max <= 0 {
		return nil
	}
	return &headerCache{m: make(map[string]header, 1024), max: max}
}

func (h *headerCache) get(key []byte) (header, bool) {
	v, ok := h.m[string(key)]
	return v, ok
}

func (h *headerCache) put(key []byte, m *meta) {
	if len(h.m) >= h.max {
		// Evict an arbitrary eighth: map iteration order is random enough,
		// and a miss only costs the read the cache saves.
		n := h.max / 8
		for k := range h.m {
			delete(h.m, k)
			if n--; n <= 0 {
				break
			}
		}
	}
	h.m[string(key)] = header{typ: m.typ, expireAt: m.expireAt, version: m.version, count: m.count, head: m.head, tail: m.tail}
}

func (h *headerCache) putAbsent(key []byte) {
	h.put(key, &meta{})
}

func (h *headerCache) clear() { clear(h.m) }

func (hd header) meta() meta {
	return meta{typ: hd.typ, expireAt: hd.expireAt, version: hd.version, count: hd.count, head: hd.head, tail: hd.tail}
}
