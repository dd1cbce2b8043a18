package engine

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Redis's error replies, spelled as Redis spells them.
const (
	ErrWrongType     = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInteger    = "ERR value is not an integer or out of range"
	ErrNotFloat      = "ERR value is not a valid float"
	ErrSyntax        = "ERR syntax error"
	ErrOverflow      = "ERR increment or decrement would overflow"
	ErrNoSuchKey     = "ERR no such key"
	ErrStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	ErrDBIndex       = "ERR DB index is out of range"
	ErrCrossSlot     = "CROSSSLOT Keys in request don't hash to the same slot"
)

// Ctx is the execution of one command: where it reads, where it writes (nil
// for reads), the time it runs at, and where its reply goes.
type Ctx struct {
	db   *DB
	r    pebble.Reader
	b    *pebble.Batch
	now  int64
	W    *resp.Writer
	name string // the command's lowercase name, for error texts
	err  error  // a storage failure; fatal for apply

	deltas  *slotDeltas
	cache   *rowCache
	written [][]byte // apply: keys this batch wrote (staged in the cache)
	// writtenBuf holds the bytes of written's keys: one buffer per batch
	// instead of an allocation per write.
	writtenBuf []byte
	// pub is the apply batch's publication, for the writes it stages;
	// flushedRange: the batch deletes a range of keys (see DB.commitSeq).
	pub          *batchPub
	flushedRange bool
	// Read path (see DB.commitSeq): the sequence the command reads the
	// cache at, how many keys it looked up, whether it read Pebble, and for
	// a key a batch in flight wrote, and the records it read there, cached
	// once the command turns out to have seen a settled state.
	snap    uint64
	lookups int
	// hits and misses count this run's key lookups on the read path.
	hits, misses   uint64
	pebbleUsed     bool
	pebbleInFlight bool
	fills          []cacheFill
	// holdsKeyWriters: this batch added to the key filter and holds its
	// writers lock (shared) until the batch commits.
	holdsKeyWriters bool
	keyBuf          []byte
	valBuf          []byte
	metaBuf         []byte
	// The slots the keys a script touches must be in (its Region's; see
	// Applier.SetSlots).
	slotLo, slotHi uint16
	// Keyspace events (notify.go): the classes wanted while this entry
	// applies, and the batch's events so far.
	notifyFlags int
	events      []pendingEvent
	eventKeys   []byte
	eventsOut   []KeyEvent
}

// slotDeltas accumulates key-count changes of an apply batch until it
// commits: keys (d) and keys with an expiry (e) per slot. A slot may be
// listed in touched more than once; flush zeroes it the first time.
type slotDeltas struct {
	d       [slots.Count]int32
	e       [slots.Count]int32
	touched []uint16
}

func (s *slotDeltas) add(slot uint16, n int32) {
	if s.d[slot] == 0 && s.e[slot] == 0 {
		s.touched = append(s.touched, slot)
	}
	s.d[slot] += n
}

func (s *slotDeltas) addExpires(slot uint16, n int32) {
	if s.d[slot] == 0 && s.e[slot] == 0 {
		s.touched = append(s.touched, slot)
	}
	s.e[slot] += n
}

func (s *slotDeltas) flush(db *DB) {
	for _, slot := range s.touched {
		if n := s.d[slot]; n != 0 {
			db.slotKeys[slot].Add(int64(n))
			s.d[slot] = 0
		}
		if n := s.e[slot]; n != 0 {
			db.slotExpires[slot].Add(int64(n))
			s.e[slot] = 0
		}
	}
	s.touched = s.touched[:0]
}

func (s *slotDeltas) discard() {
	for _, slot := range s.touched {
		s.d[slot], s.e[slot] = 0, 0
	}
	s.touched = s.touched[:0]
}

// Now is the command's notion of the current time in Unix milliseconds:
// the leader's clock stamped into the entry at apply, the local clock for reads.
func (c *Ctx) Now() int64 { return c.now }

// Err returns the storage error that stopped the command, if any.
func (c *Ctx) Err() error { return c.err }

func (c *Ctx) writable() bool { return c.b != nil }

// fail records a storage error and replies with it.
func (c *Ctx) fail(err error) {
	if c.err == nil {
		c.err = err
	}
	c.W.Error("ERR storage error: " + err.Error())
}

// rec is a key as found in storage.
type rec struct {
	slot     uint16
	key      []byte
	m        meta
	physical bool // a metadata record is stored, maybe expired
	live     bool // stored and not expired at c.now
	closer   io.Closer
	// absentCommitted: at apply, the key is absent and no batch in flight
	// wrote it, so it is absent in the committed state too.
	absentCommitted bool
}

func (r *rec) release() {
	if r.closer != nil {
		_ = r.closer.Close()
		r.closer = nil
	}
}

// lookup reads key's metadata, from the row cache when it holds the key.
// The caller must release the record; strings' values alias storage (or
// the immutable cached record) until then.
func (c *Ctx) lookup(key []byte) (rec, bool) {
	r := rec{slot: slots.Of(key), key: key}
	if c.cache != nil {
		var v []byte
		var found, entry, inFlight bool
		if c.b != nil {
			v, found, entry = c.cache.getStaged(key)
			r.absentCommitted = !entry
		} else {
			c.lookups++
			v, found, inFlight = c.cache.get(key, c.snap)
			c.pebbleInFlight = c.pebbleInFlight || inFlight
		}
		if found {
			if v == nil {
				c.countLookup(&r)
				return r, true
			}
			m, err := decodeMeta(v)
			if err != nil {
				c.fail(fmt.Errorf("key %q: %w", key, err))
				return r, false
			}
			r.m, r.physical = m, true
			r.live = !m.expiredAt(c.now)
			c.countLookup(&r)
			return r, true
		}
	}
	if c.db.keys != nil && !c.db.keys.mayContain(key) {
		c.countLookup(&r)
		return r, true
	}
	c.keyBuf = appendMetaKey(c.keyBuf[:0], r.slot, key)
	v, closer, err := c.r.Get(c.keyBuf)
	// Only readers fill: the apply loop reads its batch, which may hold
	// writes not committed yet.
	fill := c.cache != nil && c.b == nil
	if err == pebble.ErrNotFound {
		if fill {
			c.fills = append(c.fills, cacheFill{key: copyBytes(key)})
		}
		c.countLookup(&r)
		return r, true
	}
	if err != nil {
		c.fail(fmt.Errorf("read %q: %w", key, err))
		return r, false
	}
	m, err := decodeMeta(v)
	if err != nil {
		_ = closer.Close()
		c.fail(fmt.Errorf("key %q: %w", key, err))
		return r, false
	}
	if fill && c.cache.cacheable(v) {
		c.fills = append(c.fills, cacheFill{key: copyBytes(key), rec: copyBytes(v)})
	}
	r.m, r.physical, r.closer = m, true, closer
	r.live = !m.expiredAt(c.now)
	if c.b != nil && c.cache != nil && m.typ != TypeString {
		// The command may change the collection's sub-keys alone.
		c.cache.markInFlight(key, c.batchPub())
	}
	c.countLookup(&r)
	return r, true
}

// lookupString reads a live string. It replies WRONGTYPE and returns ok
// false for any other live type.
func (c *Ctx) lookupString(key []byte) (r rec, ok bool) {
	r, ok = c.lookup(key)
	if !ok {
		return r, false
	}
	if r.live && r.m.typ != TypeString {
		r.release()
		c.W.Error(ErrWrongType)
		return r, false
	}
	return r, true
}

// putMeta stores m as key's metadata, replacing whatever r holds, and keeps
// the expiry index and the key counts in step.
func (c *Ctx) putMeta(r *rec, m *meta) {
	if !r.live && c.notifyFlags != 0 {
		if r.physical {
			c.notify(NotifyExpired, "expired", r.key)
		}
		c.notify(NotifyNew, "new", r.key)
	}
	if c.db.keys != nil {
		// Before the record is visible anywhere (cache, batch commit).
		if !c.holdsKeyWriters {
			c.db.keys.writers.RLock()
			c.holdsKeyWriters = true
		}
		c.db.keys.add(r.key, !r.physical)
	}
	if r.physical {
		if r.m.typ != TypeString && (m.typ != r.m.typ || m.version != r.m.version) {
			c.dropSubKeys(r)
		}
		if r.m.expireAt != 0 && r.m.expireAt != m.expireAt {
			c.keyBuf = appendExpireKey(c.keyBuf[:0], r.m.expireAt, r.slot, r.key)
			c.setErr(c.b.Delete(c.keyBuf, nil))
		}
	} else {
		c.deltas.add(r.slot, 1)
	}
	if had, has := r.physical && r.m.expireAt != 0, m.expireAt != 0; had != has {
		if has {
			c.deltas.addExpires(r.slot, 1)
		} else {
			c.deltas.addExpires(r.slot, -1)
		}
	}
	if m.expireAt != 0 && (!r.physical || r.m.expireAt != m.expireAt) {
		c.keyBuf = appendExpireKey(c.keyBuf[:0], m.expireAt, r.slot, r.key)
		c.setErr(c.b.Set(c.keyBuf, nil, nil))
	}
	c.metaBuf = m.appendEncoded(c.metaBuf[:0])
	c.keyBuf = appendMetaKey(c.keyBuf[:0], r.slot, r.key)
	c.setErr(c.b.Set(c.keyBuf, c.metaBuf, nil))
	c.stageWrite(r, c.metaBuf)
}

// deleteKey removes a stored key with everything it owns.
func (c *Ctx) deleteKey(r *rec) {
	if !r.physical {
		return
	}
	if !r.live {
		c.notify(NotifyExpired, "expired", r.key)
	}
	if r.m.typ != TypeString {
		c.dropSubKeys(r)
	}
	if r.m.expireAt != 0 {
		c.keyBuf = appendExpireKey(c.keyBuf[:0], r.m.expireAt, r.slot, r.key)
		c.setErr(c.b.Delete(c.keyBuf, nil))
		c.deltas.addExpires(r.slot, -1)
	}
	c.keyBuf = appendMetaKey(c.keyBuf[:0], r.slot, r.key)
	c.setErr(c.b.Delete(c.keyBuf, nil))
	c.deltas.add(r.slot, -1)
	c.stageWrite(r, nil)
	r.physical, r.live = false, false
}

// dropSubKeys range-deletes every sub-key of the collection version r holds.
func (c *Ctx) dropSubKeys(r *rec) {
	start := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	c.setErr(c.b.DeleteRange(start, prefixEndKey(start), nil))
}

// stageWrite stages a write of the apply loop in the row cache (nil record:
// deleted) and remembers the key, to publish it once the batch commits.
func (c *Ctx) stageWrite(r *rec, record []byte) {
	if c.cache != nil {
		// After a range deletion in this batch, absent in the batch is not
		// absent in the committed state.
		absent := r.absentCommitted && !r.physical && !c.flushedRange
		c.cache.stage(r.key, record, absent, c.batchPub())
	}
	c.noteWritten(r.key)
}

// noteWritten remembers that the batch changed key, for the store's
// OnApplied hook (blocked clients, client-side caching invalidations).
// stageWrite does it for metadata writes; writes that change a key's
// sub-keys alone (a hash field overwritten, a score updated, LSET, a
// consumer group's state) call it themselves.
func (c *Ctx) noteWritten(key []byte) {
	start := len(c.writtenBuf)
	c.writtenBuf = append(c.writtenBuf, key...)
	c.written = append(c.written, c.writtenBuf[start:len(c.writtenBuf):len(c.writtenBuf)])
}

// batchPub returns the apply batch's publication, made on first use.
func (c *Ctx) batchPub() *batchPub {
	if c.pub == nil {
		c.pub = newBatchPub()
	}
	return c.pub
}

// cacheFill is a record a reader found in Pebble.
type cacheFill struct{ key, rec []byte }

// fillCache caches what the command read from Pebble.
func (c *Ctx) fillCache() {
	for _, f := range c.fills {
		c.cache.fill(f.key, f.rec, c.snap)
	}
	clear(c.fills)
	c.fills = c.fills[:0]
}

func (c *Ctx) setErr(err error) {
	if err != nil && c.err == nil {
		c.err = fmt.Errorf("write batch: %w", err)
	}
}

// setString stores a string value with the given expiry (0 = none).
func (c *Ctx) setString(r *rec, value []byte, expireAt int64) {
	m := meta{typ: TypeString, expireAt: expireAt, value: value}
	c.putMeta(r, &m)
	r.physical, r.live, r.m = true, true, m
}

// errExpireTime is Redis's addReplyErrorExpireTime.
func (c *Ctx) errExpireTime() {
	c.W.Error("ERR invalid expire time in '" + c.name + "' command")
}

// parseInt parses an integer argument or replies with Redis's error.
func (c *Ctx) parseInt(b []byte) (int64, bool) {
	v, ok := resp.ParseInt(b)
	if !ok {
		c.W.Error(ErrNotInteger)
	}
	return v, ok
}

// Redis computes INCRBYFLOAT (and HINCRBYFLOAT) in x86's 80-bit long
// double: a 64-bit significand and a 15-bit exponent. float64 answers
// differently (0.1+0.2 is "0.3" in Redis, 5200+0.3 is
// "5200.29999999999999982", 1e400 is a valid value), so those commands
// emulate it with big.Float. Subnormals are not emulated bit for bit.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // big.Float exponent (mantissa in [0.5, 1)) of LDBL_MAX
	ldMinExp = -16444 // ... of the smallest subnormal; below it strtold gives 0
	// Redis's MAX_LONG_DOUBLE_CHARS: string2ld refuses longer input.
	ldMaxChars = 5 * 1024
)

func newLongDouble() *big.Float {
	return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven)
}

// parseLongDouble parses like Redis's string2ld (strtold): optional sign,
// decimal or hexadecimal ("0x1.8p3") mantissa and exponent, or inf/infinity;
// no leading space, no trailing bytes, no NaN, and no value that overflows
// a long double or underflows to zero.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= ldMaxChars || isSpaceByte(b[0]) {
		return nil, false
	}
	s := b
	neg := false
	if s[0] == '+' || s[0] == '-' {
		neg = s[0] == '-'
		s = s[1:]
	}
	if eqFold(s, "inf") || eqFold(s, "infinity") {
		return new(big.Float).SetInf(neg), true
	}
	hex := len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	expMark := byte('e')
	if hex {
		s = s[2:]
		expMark = 'p'
		isDigit = func(c byte) bool {
			return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
		}
	}
	digits, nonZero, dot := 0, false, false
	for len(s) > 0 && (isDigit(s[0]) || (s[0] == '.' && !dot)) {
		if s[0] == '.' {
			dot = true
		} else {
			digits++
			nonZero = nonZero || s[0] != '0'
		}
		s = s[1:]
	}
	if digits == 0 {
		return nil, false
	}
	mantEnd := len(b) - len(s)
	exp := int64(0)
	if len(s) > 0 && (s[0]|0x20) == expMark {
		e := s[1:]
		eneg := false
		if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
			eneg = e[0] == '-'
			e = e[1:]
		}
		if len(e) == 0 {
			return nil, false // strtold stops before the exponent: trailing bytes
		}
		for _, c := range e {
			if c < '0' || c > '9' {
				return nil, false
			}
			if exp < 1e6 { // saturate: far outside the range either way
				exp = exp*10 + int64(c-'0')
			}
		}
		if eneg {
			exp = -exp
		}
		s = nil
	}
	if len(s) > 0 {
		return nil, false
	}
	if !nonZero {
		return newLongDouble().SetInt64(0), true
	}
	if exp >= 1e6 || exp <= -1e6 {
		return nil, false // overflow or underflow to zero: ERANGE
	}
	// Rebuild the literal with the saturated exponent big.Float can take.
	lit := make([]byte, 0, mantEnd+24)
	lit = append(lit, b[:mantEnd]...)
	if exp != 0 {
		lit = append(lit, expMark)
		lit = strconv.AppendInt(lit, exp, 10)
	}
	f, _, err := newLongDouble().Parse(string(lit), 0)
	if err != nil || !longDoubleInRange(f) {
		return nil, false
	}
	return f, true
}

// longDoubleInRange reports whether a finite f is representable: neither
// beyond LDBL_MAX nor below the smallest subnormal.
func longDoubleInRange(f *big.Float) bool {
	if f.IsInf() {
		return false
	}
	if f.Sign() == 0 {
		return true
	}
	e := f.MantExp(nil)
	return e <= ldMaxExp && e >= ldMinExp
}

// formatLongDouble is Redis's ld2string in LD_STR_HUMAN mode: "%.17Lf"
// with trailing zeros (and a trailing dot) removed, and "-0" shown as "0".
func formatLongDouble(dst []byte, f *big.Float) []byte {
	start := len(dst)
	dst = f.Append(dst, 'f', 17)
	if bytes.IndexByte(dst[start:], '.') >= 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// countLookup counts a read command's key lookup on the read path
// (keyspace_hits/misses); the apply loop (c.b set) does not count.
func (c *Ctx) countLookup(r *rec) {
	if c.b == nil {
		if r.live {
			c.hits++
		} else {
			c.misses++
		}
	}
}
