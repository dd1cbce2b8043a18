package engine

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Stream commands (XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD,
// XREADGROUP, XSETID), with Redis 7.0's replies, errors and order of checks.
//
// Layout: the metadata record holds the version, the entry count (XLEN)
// and the stream's state (streamState: last generated ID, recorded first
// ID, max deleted ID, entries added, groups), stored after the count. Entry
// ms-seq is the sub-key appendSubPrefix(slot, key, version) + 'e' + ms(8) +
// seq(8), big endian, so entries sort by ID and XRANGE is one seek and a
// scan; its value is the field/value pairs (count(4), then each as
// length(4) + bytes).
//
// Departures from Redis, which stores entries in listpack nodes of up to
// 100 entries: trimming with "~" is exact here (never more than LIMIT
// entries), where Redis removes only whole nodes and so may keep more.
// Consumer groups and XINFO: stream_groups.go.
//
// A stream, unlike a list, survives becoming empty (Redis keeps it too:
// its last ID must not go back).

// streamID is an entry ID.
type streamID struct{ ms, seq uint64 }

var maxStreamID = streamID{math.MaxUint64, math.MaxUint64}

func (a streamID) cmp(b streamID) int {
	switch {
	case a.ms < b.ms:
		return -1
	case a.ms > b.ms:
		return 1
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

func (a streamID) appendText(dst []byte) []byte {
	dst = strconv.AppendUint(dst, a.ms, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, a.seq, 10)
}

// incr is Redis's streamIncrID: false (and 0-0) past the last ID.
func (a *streamID) incr() bool {
	switch {
	case a.seq < math.MaxUint64:
		a.seq++
	case a.ms < math.MaxUint64:
		a.ms, a.seq = a.ms+1, 0
	default:
		*a = streamID{}
		return false
	}
	return true
}

// decr is Redis's streamDecrID: false (and max) before 0-0.
func (a *streamID) decr() bool {
	switch {
	case a.seq > 0:
		a.seq--
	case a.ms > 0:
		a.ms, a.seq = a.ms-1, math.MaxUint64
	default:
		*a = maxStreamID
		return false
	}
	return true
}

// streamState is the part of a stream's metadata record after the count.
type streamState struct {
	last, first, maxDeleted streamID
	added                   uint64
	groups                  uint64
}

const streamStateLen = 64

func decodeStreamState(b []byte) streamState {
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[8*i:]) }
	return streamState{last: streamID{u(0), u(1)}, first: streamID{u(2), u(3)},
		maxDeleted: streamID{u(4), u(5)}, added: u(6), groups: u(7)}
}

func (s *streamState) appendEncoded(dst []byte) []byte {
	for _, v := range [...]uint64{s.last.ms, s.last.seq, s.first.ms, s.first.seq,
		s.maxDeleted.ms, s.maxDeleted.seq, s.added, s.groups} {
		dst = binary.BigEndian.AppendUint64(dst, v)
	}
	return dst
}

const (
	errStreamID       = "ERR Invalid stream ID specified as stream command argument"
	errStreamTopItem  = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errStreamZeroID   = "ERR The ID specified in XADD must be greater than 0-0"
	errStreamExhaust  = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errStreamBothTrim = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	streamSubEntry    = 'e'
	// streamDefaultLimit is Redis's 100 * stream-node-max-entries, the
	// LIMIT of a "~" trim that names none.
	streamDefaultLimit = 100 * 100
)

func streamCommands() []*Command {
	w, r, f, d := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM
	x := func(name string, arity int, flags Flags, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: "stream",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	xread := &Command{Name: "xread", Arity: -4, Flags: r | FlagSameSlotKeys, FirstKey: 0, Group: "stream",
		Since: "5.0.0", Summary: "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
		ACL: []string{"@read", "@stream", "@slow", "@blocking"}, Exec: execXRead, KeysFunc: xreadKeys}
	return []*Command{
		x("xadd", -5, w|d|f, []string{"@write", "@stream", "@fast"}, "5.0.0", "Appends a new entry to a stream", execXAdd),
		x("xlen", 2, r|f, []string{"@read", "@stream", "@fast"}, "5.0.0", "Return the number of entries in a stream", func(c *Ctx, argv [][]byte) { hsCount(c, argv, TypeStream) }),
		x("xrange", -4, r, []string{"@read", "@stream", "@slow"}, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval", func(c *Ctx, argv [][]byte) { xRange(c, argv, false) }),
		x("xrevrange", -4, r, []string{"@read", "@stream", "@slow"}, "5.0.0", "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", func(c *Ctx, argv [][]byte) { xRange(c, argv, true) }),
		x("xdel", -3, w|f, []string{"@write", "@stream", "@fast"}, "5.0.0", "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", execXDel),
		x("xtrim", -4, w, []string{"@write", "@stream", "@slow"}, "5.0.0", "Trims the stream to (approximately if '~' is passed) a certain size", execXTrim),
		x("xsetid", -3, w|d|f, []string{"@write", "@stream", "@fast"}, "5.0.0", "An internal command for replicating stream values", execXSetID),
		xread,
	}
}

// xreadKeys gives XREAD's keys: the first half of what follows STREAMS.
func xreadKeys(argv [][]byte) []int {
	for i := 1; i < len(argv); i++ {
		if eqFold(argv[i], "streams") {
			n := (len(argv) - i - 1) / 2
			out := make([]int, n)
			for j := range out {
				out[j] = i + 1 + j
			}
			return out
		}
		switch {
		case eqFold(argv[i], "block"), eqFold(argv[i], "count"):
			i++
		case eqFold(argv[i], "group"):
			i += 2
		}
	}
	return nil
}

// parseStreamUint is Redis's string2ull: a long long that is not
// negative, or else what strtoull(s, 10) reads from the whole string
// (leading space and a sign allowed, no overflow).
func parseStreamUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	if v, ok := resp.ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	s := b
	for len(s) > 0 && isSpaceByte(s[0]) {
		s = s[1:]
	}
	return parseStrtoull(s)
}

// parseStreamID is Redis's streamGenericParseIDOrReply: "-" and "+" (unless
// strict), "ms" (seq missingSeq) or "ms-seq"; with seqGiven non-nil
// "ms-*" too (*seqGiven false). It replies the error itself.
func (c *Ctx) parseStreamID(b []byte, missingSeq uint64, strict bool, seqGiven *bool) (streamID, bool) {
	if len(b) > 127 {
		c.W.Error(errStreamID)
		return streamID{}, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			c.W.Error(errStreamID)
			return streamID{}, false
		}
		if seqGiven != nil {
			*seqGiven = true
		}
		if b[0] == '-' {
			return streamID{}, true
		}
		return maxStreamID, true
	}
	if seqGiven != nil {
		*seqGiven = true
	}
	// C strings: the ID ends at a NUL byte.
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	msPart, seqPart, dash := b, []byte(nil), false
	for i, ch := range b {
		if ch == '-' {
			msPart, seqPart, dash = b[:i], b[i+1:], true
			break
		}
	}
	ms, ok := parseStreamUint(msPart)
	if !ok {
		c.W.Error(errStreamID)
		return streamID{}, false
	}
	seq := missingSeq
	if dash {
		if seqGiven != nil && len(seqPart) == 1 && seqPart[0] == '*' {
			seq = 0
			*seqGiven = false
		} else if seq, ok = parseStreamUint(seqPart); !ok {
			c.W.Error(errStreamID)
			return streamID{}, false
		}
	}
	return streamID{ms, seq}, true
}

// parseIntervalID is Redis's streamParseIntervalIDOrReply: a "(" prefix
// makes the bound exclusive (and the ID strict).
func (c *Ctx) parseIntervalID(b []byte, missingSeq uint64) (id streamID, exclusive, ok bool) {
	if len(b) > 1 && b[0] == '(' {
		id, ok = c.parseStreamID(b[1:], missingSeq, true, nil)
		return id, true, ok
	}
	id, ok = c.parseStreamID(b, missingSeq, false, nil)
	return id, false, ok
}

// xStream is a stream being read or written.
type xStream struct {
	r      *rec
	m      meta
	st     streamState
	base   []byte // the stream's sub-key prefix
	prefix []byte // the entries' sub-key prefix
	kbuf   []byte
}

func newXStream(r *rec) *xStream {
	s := &xStream{r: r, m: r.m, st: decodeStreamState(r.m.value)}
	s.setPrefixes()
	return s
}

// xNewStream makes an empty stream at r (not live), with a fresh version.
func (c *Ctx) xNewStream(r *rec) *xStream {
	s := &xStream{r: r, m: meta{typ: TypeStream, version: c.hsVersion(r)}}
	s.setPrefixes()
	return s
}

func (s *xStream) setPrefixes() {
	s.base = appendSubPrefix(nil, s.r.slot, s.r.key, s.m.version)
	s.prefix = append(s.base[:len(s.base):len(s.base)], streamSubEntry)
}

func (s *xStream) entryKey(id streamID) []byte {
	s.kbuf = append(s.kbuf[:0], s.prefix...)
	s.kbuf = binary.BigEndian.AppendUint64(s.kbuf, id.ms)
	s.kbuf = binary.BigEndian.AppendUint64(s.kbuf, id.seq)
	return s.kbuf
}

func (s *xStream) entryKeyCopy(id streamID) []byte {
	return append([]byte(nil), s.entryKey(id)...)
}

// idOf decodes an entry's sub-key.
func (s *xStream) idOf(k []byte) (streamID, bool) {
	k = k[len(s.prefix):]
	if len(k) != 16 {
		return streamID{}, false
	}
	return streamID{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])}, true
}

// save writes the metadata with the state.
func (c *Ctx) xSave(s *xStream) {
	s.m.value = s.st.appendEncoded(make([]byte, 0, streamStateLen))
	c.putMeta(s.r, &s.m)
	s.r.m, s.r.physical, s.r.live = s.m, true, true
}

// encodeStreamFields is an entry's value.
func encodeStreamFields(fv [][]byte) []byte {
	n := 4
	for _, b := range fv {
		n += 4 + len(b)
	}
	out := make([]byte, 0, n)
	out = binary.BigEndian.AppendUint32(out, uint32(len(fv)))
	for _, b := range fv {
		out = binary.BigEndian.AppendUint32(out, uint32(len(b)))
		out = append(out, b...)
	}
	return out
}

// writeStreamEntry replies one entry: [id, [field, value, ...]].
func (c *Ctx) writeStreamEntry(id streamID, val []byte) bool {
	if len(val) < 4 {
		return false
	}
	n := int(binary.BigEndian.Uint32(val))
	val = val[4:]
	var idb [41]byte
	c.W.Array(2)
	c.W.Bulk(id.appendText(idb[:0]))
	c.W.Array(n)
	for i := 0; i < n; i++ {
		if len(val) < 4 {
			return false
		}
		l := int(binary.BigEndian.Uint32(val))
		val = val[4:]
		if l > len(val) {
			return false
		}
		c.W.Bulk(val[:l])
		val = val[l:]
	}
	return len(val) == 0
}

// xTrimArgs are XADD's and XTRIM's trimming options.
type xTrimArgs struct {
	strategy  byte // 0 none, 'l' MAXLEN, 'm' MINID
	approx    bool
	maxLen    int64
	minID     streamID
	limit     int64
	id        streamID
	idGiven   bool
	seqGiven  bool
	noMkStrm  bool
	nextIndex int
}

// xParseAddTrim is Redis's streamParseAddOrTrimArgsOrReply; for XADD,
// a.nextIndex is the ID's position.
func (c *Ctx) xParseAddTrim(argv [][]byte, xadd bool) (a xTrimArgs, ok bool) {
	i := 2
	limitGiven := false
	for ; i < len(argv); i++ {
		more := len(argv) - 1 - i
		opt := argv[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
		case eqFold(opt, "maxlen") && more > 0, eqFold(opt, "minid") && more > 0:
			if a.strategy != 0 {
				c.W.Error(errStreamBothTrim)
				return a, false
			}
			a.approx = false
			next := argv[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.approx = next[0] == '~'
				i++
			}
			if eqFold(opt, "maxlen") {
				n, ok := c.parseInt(argv[i+1])
				if !ok {
					return a, false
				}
				if n < 0 {
					c.W.Error("ERR The MAXLEN argument must be >= 0.")
					return a, false
				}
				a.maxLen, a.strategy = n, 'l'
			} else {
				id, ok := c.parseStreamID(argv[i+1], 0, true, nil)
				if !ok {
					return a, false
				}
				a.minID, a.strategy = id, 'm'
			}
			i++
			continue
		case eqFold(opt, "limit") && more > 0:
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return a, false
			}
			if n < 0 {
				c.W.Error("ERR The LIMIT argument must be >= 0.")
				return a, false
			}
			a.limit, limitGiven = n, true
			i++
			continue
		case xadd && eqFold(opt, "nomkstream"):
			a.noMkStrm = true
			continue
		case xadd:
			id, ok := c.parseStreamID(opt, 0, true, &a.seqGiven)
			if !ok {
				return a, false
			}
			a.id, a.idGiven = id, true
		default:
			c.W.Error(ErrSyntax)
			return a, false
		}
		break
	}
	if a.limit != 0 && a.strategy == 0 {
		c.W.Error("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return a, false
	}
	if !xadd && a.strategy == 0 {
		c.W.Error("ERR syntax error, XTRIM must be called with a trimming strategy")
		return a, false
	}
	if limitGiven {
		if !a.approx {
			c.W.Error("ERR syntax error, LIMIT cannot be used without the special ~ option")
			return a, false
		}
	} else if a.approx {
		a.limit = streamDefaultLimit
	} else {
		a.limit = 0
	}
	a.nextIndex = i
	return a, true
}

func execXAdd(c *Ctx, argv [][]byte) {
	a, ok := c.xParseAddTrim(argv, true)
	if !ok {
		return
	}
	// The options may take every argument (XADD k MAXLEN = 1): no ID, so
	// no fields either.
	if n := len(argv) - a.nextIndex - 1; n < 2 || n%2 == 1 {
		c.W.Error("ERR wrong number of arguments for 'xadd' command")
		return
	}
	fields := argv[a.nextIndex+1:]
	if a.idGiven && a.seqGiven && a.id == (streamID{}) {
		c.W.Error(errStreamZeroID)
		return
	}
	r, ok := c.hsLookup(argv[1], TypeStream)
	if !ok {
		return
	}
	defer r.release()
	var s *xStream
	if r.live {
		s = newXStream(&r)
	} else {
		if a.noMkStrm {
			c.W.Null()
			return
		}
		s = c.xNewStream(&r)
	}
	if s.st.last == maxStreamID {
		c.W.Error(errStreamExhaust)
		return
	}
	var id streamID
	switch {
	case a.idGiven && a.seqGiven:
		id = a.id
	case a.idGiven:
		if s.st.last.ms == a.id.ms {
			if s.st.last.seq == math.MaxUint64 {
				c.W.Error(errStreamTopItem)
				return
			}
			id = streamID{a.id.ms, s.st.last.seq + 1}
		} else {
			id = a.id
		}
	default:
		// The entry's clock: the leader's, stamped before proposing.
		if now := uint64(c.now); now > s.st.last.ms {
			id = streamID{now, 0}
		} else {
			id = s.st.last
			id.incr()
		}
	}
	if id.cmp(s.st.last) <= 0 {
		c.W.Error(errStreamTopItem)
		return
	}
	c.setErr(c.b.Set(s.entryKey(id), encodeStreamFields(fields), nil))
	s.m.count++
	s.st.added++
	s.st.last = id
	if s.m.count == 1 {
		s.st.first = id
	}
	var idb [41]byte
	c.W.Bulk(id.appendText(idb[:0]))
	var trimmed int64
	if a.strategy != 0 {
		if trimmed, ok = c.xTrim(s, &a); !ok {
			return
		}
	}
	c.xSave(s)
	c.notify(NotifyStream, "xadd", argv[1])
	if trimmed > 0 {
		c.notify(NotifyStream, "xtrim", argv[1])
	}
}

// xTrim deletes entries from the head: while the stream is longer than
// MAXLEN, or below MINID; at most a.limit of them when that is not 0.
func (c *Ctx) xTrim(s *xStream, a *xTrimArgs) (int64, bool) {
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: copyBytes(s.prefix), UpperBound: prefixEndKey(s.prefix)})
	if err != nil {
		c.fail(err)
		return 0, false
	}
	var deleted int64
	var from, to []byte
	var points [][]byte // the first lzPointDeletes deleted, deleted one by one
	var next streamID   // the first entry kept
	valid := it.SeekGE(s.firstKey())
	for ; valid; valid = it.Next() {
		if a.limit > 0 && deleted >= a.limit {
			break
		}
		if a.strategy == 'l' && int64(s.m.count) <= a.maxLen {
			break
		}
		id, ok := s.idOf(it.Key())
		if !ok {
			c.hsCloseIter(it)
			c.lzCorrupt(s.r.key)
			return 0, false
		}
		next = id
		if a.strategy == 'm' && id.cmp(a.minID) >= 0 {
			break
		}
		if from == nil {
			from = copyBytes(it.Key())
		}
		to = copyBytes(it.Key())
		if deleted < lzPointDeletes {
			points = append(points, to)
		}
		deleted++
		s.m.count--
	}
	if valid && (a.strategy != 'm' || next.cmp(a.minID) < 0) {
		// Stopped by LIMIT or MAXLEN before reading the key it is on.
		if next, valid = s.idOf(it.Key()); !valid {
			c.hsCloseIter(it)
			c.lzCorrupt(s.r.key)
			return 0, false
		}
	}
	c.hsCloseIter(it)
	if deleted == 0 {
		return 0, true
	}
	// A capped stream (XADD ... MAXLEN n) drops an entry or two per add:
	// point deletions, not a range tombstone per add for every read and
	// compaction to step over.
	if deleted <= lzPointDeletes {
		for _, k := range points {
			c.setErr(c.b.Delete(k, nil))
		}
	} else {
		c.setErr(c.b.DeleteRange(from, prefixEndKey(to), nil))
	}
	if s.m.count == 0 {
		s.st.first = streamID{}
	} else {
		s.st.first = next
	}
	return deleted, true
}

// firstKey is where the entries start: the recorded first ID is the first
// live entry's (XADD, XTRIM and XDEL keep it so). Seeking there, not to
// the prefix, steps over the deletion tombstones of a capped stream or a
// queue, which would otherwise make every trim and read of its head cost
// all the entries ever dropped (until a compaction removes them).
func (s *xStream) firstKey() []byte {
	return s.entryKeyCopy(s.st.first)
}

// seekFrom is where a forward read of the entries from start begins.
func (s *xStream) seekFrom(start streamID) []byte {
	if start.cmp(s.st.first) < 0 {
		start = s.st.first
	}
	return s.entryKeyCopy(start)
}

// xFirstID sets the recorded first ID to the first entry's at or after
// the old one (which XDEL just deleted).
func (c *Ctx) xFirstID(s *xStream) bool {
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: copyBytes(s.prefix), UpperBound: prefixEndKey(s.prefix)})
	if err != nil {
		c.fail(err)
		return false
	}
	defer c.hsCloseIter(it)
	if !it.SeekGE(s.firstKey()) {
		c.lzCorrupt(s.r.key)
		return false
	}
	id, ok := s.idOf(it.Key())
	if !ok {
		c.lzCorrupt(s.r.key)
		return false
	}
	s.st.first = id
	return true
}

func execXTrim(c *Ctx, argv [][]byte) {
	a, ok := c.xParseAddTrim(argv, false)
	if !ok {
		return
	}
	r, ok := c.hsLookup(argv[1], TypeStream)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	s := newXStream(&r)
	n, ok := c.xTrim(s, &a)
	if !ok {
		return
	}
	if n > 0 {
		c.xSave(s)
		c.notify(NotifyStream, "xtrim", argv[1])
	}
	c.W.Int(n)
}

func execXDel(c *Ctx, argv [][]byte) {
	r, ok := c.hsLookup(argv[1], TypeStream)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	ids := make([]streamID, 0, len(argv)-2)
	for _, b := range argv[2:] {
		id, ok := c.parseStreamID(b, 0, true, nil)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	s := newXStream(&r)
	var deleted int64
	firstGone := false
	for _, id := range ids {
		k := s.entryKey(id)
		_, closer, err := c.r.Get(k)
		if err == pebble.ErrNotFound {
			continue
		}
		if err != nil {
			c.fail(err)
			return
		}
		_ = closer.Close()
		c.setErr(c.b.Delete(k, nil))
		s.m.count--
		deleted++
		if id == s.st.first {
			firstGone = true
		}
		if id.cmp(s.st.maxDeleted) > 0 {
			s.st.maxDeleted = id
		}
	}
	if deleted > 0 {
		if s.m.count == 0 {
			s.st.first = streamID{}
		} else if firstGone && !c.xFirstID(s) {
			return
		}
		c.xSave(s)
		c.notify(NotifyStream, "xdel", argv[1])
	}
	c.W.Int(deleted)
}

func execXSetID(c *Ctx, argv [][]byte) {
	id, ok := c.parseStreamID(argv[2], 0, true, nil)
	if !ok {
		return
	}
	added := int64(-1)
	var maxDel streamID
	for i := 3; i < len(argv); i += 2 {
		more := len(argv) - 1 - i
		switch {
		case eqFold(argv[i], "entriesadded") && more > 0:
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.W.Error("ERR entries_added must be positive")
				return
			}
			added = n
		case eqFold(argv[i], "maxdeletedid") && more > 0:
			md, ok := c.parseStreamID(argv[i+1], 0, true, nil)
			if !ok {
				return
			}
			if id.cmp(md) < 0 {
				c.W.Error("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
			maxDel = md
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	r, ok := c.hsLookup(argv[1], TypeStream)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Error(ErrNoSuchKey)
		return
	}
	s := newXStream(&r)
	if id.cmp(s.st.maxDeleted) < 0 {
		c.W.Error("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
		return
	}
	if s.m.count > 0 {
		v := &hsView{c: c} // at apply: reads the batch
		top, ok := c.xViewLastID(v, s)
		if err := v.close(); err != nil && ok {
			c.fail(err)
			return
		}
		if !ok {
			return
		}
		if id.cmp(top) < 0 {
			c.W.Error("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if added != -1 && s.m.count > uint64(added) {
			c.W.Error("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.st.last = id
	if added != -1 {
		s.st.added = uint64(added)
	}
	if maxDel != (streamID{}) {
		s.st.maxDeleted = maxDel
	}
	c.xSave(s)
	c.notify(NotifyStream, "xsetid", argv[1])
	c.W.OK()
}

// xReplyRange replies the entries of s with IDs in [start, end], at most
// count of them (0: all), from the end when rev. The view reads them.
func (c *Ctx) xReplyRange(v *hsView, s *xStream, start, end streamID, count int64, rev bool) bool {
	it := v.iter(s.prefix)
	if it == nil {
		return false
	}
	lo, hi := s.entryKeyCopy(start), s.entryKeyCopy(end)
	at := len(c.W.B)
	n := 0
	var valid bool
	if rev {
		valid = it.SeekLT(prefixEndKey(hi))
	} else {
		valid = it.SeekGE(s.seekFrom(start))
	}
	for ; valid; n++ {
		if count > 0 && int64(n) >= count {
			break
		}
		k := it.Key()
		if (rev && string(k) < string(lo)) || (!rev && string(k) > string(hi)) {
			break
		}
		id, ok := s.idOf(k)
		val, err := it.ValueAndErr()
		if !ok || err != nil || !c.writeStreamEntry(id, val) {
			c.lzCorrupt(s.r.key)
			return false
		}
		if rev {
			valid = it.Prev()
		} else {
			valid = it.Next()
		}
	}
	c.hsDeferredLen(at, n, false)
	return true
}

func xRange(c *Ctx, argv [][]byte, rev bool) {
	startArg, endArg := argv[2], argv[3]
	if rev {
		startArg, endArg = endArg, startArg
	}
	start, startEx, ok := c.parseIntervalID(startArg, 0)
	if !ok {
		return
	}
	if startEx && !start.incr() {
		c.W.Error("ERR invalid start ID for the interval")
		return
	}
	end, endEx, ok := c.parseIntervalID(endArg, math.MaxUint64)
	if !ok {
		return
	}
	if endEx && !end.decr() {
		c.W.Error("ERR invalid end ID for the interval")
		return
	}
	count := int64(-1)
	for j := 4; j < len(argv); j++ {
		if eqFold(argv[j], "count") && j+1 < len(argv) {
			n, ok := c.parseInt(argv[j+1])
			if !ok {
				return
			}
			count = max(n, 0)
			j++
			continue
		}
		c.W.Error(ErrSyntax)
		return
	}
	start0 := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start0) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeStream {
		c.W.Error(ErrWrongType)
		return
	}
	if !r.live {
		c.W.Array(0)
		return
	}
	if count == 0 {
		c.W.NullArray()
		return
	}
	if start.cmp(end) > 0 {
		c.W.Array(0)
		return
	}
	c.xReplyRange(v, newXStream(r), start, end, max(count, 0), rev)
}

// XReadAttempt is the argument the front end puts after XREAD's name in
// the attempts of a blocked XREAD (with BLOCK and its timeout removed):
// when nothing is served, the attempt replies the IDs it compared against,
// "$" resolved (an error reply starting with XReadResolved, then the IDs
// separated by spaces), so that later attempts wait for entries after the
// last ID as it was when the client blocked, as Redis does.
const (
	XReadAttempt  = "\x00neokv-block-attempt"
	XReadResolved = "NEOKVRESOLVED"
)

func execXRead(c *Ctx, argv [][]byte)      { xRead(c, argv, false) }
func execXReadGroup(c *Ctx, argv [][]byte) { xRead(c, argv, true) }

// xRead is XREAD and XREADGROUP (Redis's xreadCommand).
func xRead(c *Ctx, argv [][]byte, xgroup bool) {
	attempt := !xgroup && len(argv) > 1 && string(argv[1]) == XReadAttempt
	if attempt {
		argv = append(argv[:1:1], argv[2:]...)
	}
	count := int64(0)
	streamsAt := 0
	var groupName, consumerName []byte
	noack := false
	for i := 1; i < len(argv); i++ {
		more := len(argv) - 1 - i
		switch {
		case eqFold(argv[i], "block") && more > 0:
			i++
			n, ok := resp.ParseInt(argv[i])
			if !ok {
				c.W.Error("ERR timeout is not an integer or out of range")
				return
			}
			if n < 0 {
				c.W.Error("ERR timeout is negative")
				return
			}
			continue
		case eqFold(argv[i], "count") && more > 0:
			i++
			n, ok := c.parseInt(argv[i])
			if !ok {
				return
			}
			count = max(n, 0)
			continue
		case eqFold(argv[i], "streams") && more > 0:
			streamsAt = i + 1
			if (len(argv)-streamsAt)%2 != 0 {
				if xgroup {
					c.W.Error("ERR Unbalanced XREADGROUP list of streams: for each stream key an ID or '>' must be specified.")
				} else {
					c.W.Error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				}
				return
			}
		case eqFold(argv[i], "group") && more >= 2:
			if !xgroup {
				c.W.Error("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			groupName, consumerName = argv[i+1], argv[i+2]
			i += 2
			continue
		case eqFold(argv[i], "noack"):
			if !xgroup {
				c.W.Error("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return
			}
			noack = true
			continue
		default:
			c.W.Error(ErrSyntax)
			return
		}
		break
	}
	if streamsAt == 0 {
		c.W.Error(ErrSyntax)
		return
	}
	if xgroup && groupName == nil {
		c.W.Error("ERR Missing GROUP option for XREADGROUP")
		return
	}
	n := (len(argv) - streamsAt) / 2
	keys := argv[streamsAt : streamsAt+n]
	start0 := len(c.W.B)
	recs, v, ok := c.hsOpen(keys)
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start0) }()
	ids := make([]streamID, n)
	groups := make([]xGroup, n)
	for i := 0; i < n; i++ {
		r := &recs[i]
		if r.live && r.m.typ != TypeStream {
			c.W.Error(ErrWrongType)
			return
		}
		if xgroup {
			found := false
			if r.live {
				if groups[i], found, ok = c.xGetGroup(v, newXStream(r), groupName); !ok {
					return
				}
			}
			if !found {
				c.W.Error("NOGROUP No such key '" + string(keys[i]) + "' or consumer group '" + string(groupName) + "' in XREADGROUP with GROUP option")
				return
			}
		}
		arg := argv[streamsAt+n+i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if xgroup {
				c.W.Error("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			if r.live {
				ids[i] = decodeStreamState(r.m.value).last
			}
			continue
		case len(arg) == 1 && arg[0] == '>':
			if !xgroup {
				c.W.Error("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids[i] = maxStreamID // Redis's marker for ">"
			continue
		}
		id, ok := c.parseStreamID(arg, 0, true, nil)
		if !ok {
			return
		}
		ids[i] = id
	}
	served := 0
	at := len(c.W.B)
	var body []byte
	for i := 0; i < n; i++ {
		r := &recs[i]
		if !r.live {
			continue
		}
		s := newXStream(r)
		gt := ids[i]
		history := xgroup && gt != maxStreamID
		if !history {
			if s.m.count == 0 {
				continue
			}
			top, ok := c.xViewLastID(v, s)
			if !ok {
				return
			}
			if xgroup {
				gt = groups[i].last
			}
			if top.cmp(gt) <= 0 {
				continue
			}
		}
		from := gt
		from.incr()
		mark := len(c.W.B)
		if !c.W.RESP3 {
			c.W.Array(2)
		}
		c.W.Bulk(keys[i])
		if xgroup {
			g := &groups[i]
			cs, ok := c.xConsumerFor(v, s, g, consumerName)
			if !ok {
				return
			}
			cs.seen = c.now
			if history {
				ok = c.xReplyConsumerHistory(v, s, g, &cs, from, count)
			} else {
				_, ok = c.xReplyGroupRange(v, s, g, &cs, from, count, noack)
			}
			if !ok {
				return
			}
			c.xPutConsumer(s, g.name, &cs)
			c.xPutGroup(s, g)
		} else if !c.xReplyRange(v, s, from, maxStreamID, count, false) {
			return
		}
		body = append(body, c.W.B[mark:]...)
		c.W.B = c.W.B[:mark]
		served++
	}
	c.W.B = c.W.B[:at]
	if served == 0 {
		if attempt {
			msg := []byte(XReadResolved)
			for _, id := range ids {
				msg = id.appendText(append(msg, ' '))
			}
			c.W.Error(string(msg))
			return
		}
		// Blocking is the front end's; here (and inside MULTI, where
		// Redis does not block either) nothing is a null array.
		c.W.NullArray()
		return
	}
	// RESP2: an array of [key, entries] pairs; RESP3: a map.
	if c.W.RESP3 {
		c.W.Map(served)
	} else {
		c.W.Array(served)
	}
	c.W.B = append(c.W.B, body...)
}

// xViewLastID is the last entry's ID (Redis's streamLastValidID) read
// through the view; the stream must not be empty.
func (c *Ctx) xViewLastID(v *hsView, s *xStream) (streamID, bool) {
	it := v.iter(s.prefix)
	if it == nil {
		return streamID{}, false
	}
	if !it.Last() {
		c.lzCorrupt(s.r.key)
		return streamID{}, false
	}
	id, ok := s.idOf(it.Key())
	if !ok {
		c.lzCorrupt(s.r.key)
	}
	return id, ok
}
