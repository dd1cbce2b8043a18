package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/bits"
	mrand "math/rand/v2"
	"slices"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Helpers shared by the hash and set commands (hash.go, set.go).
//
// A hash or a set is a metadata record (type, expiry, version, count) plus
// one sub-key per field or member: appendSubPrefix(slot, key, version) then
// the field's bytes; the value is the field's value for hashes and empty
// for sets. Sub-keys sort by field bytes, so every read streams from a
// Pebble iterator in that order (Redis's order is its hash table's, which
// no client may rely on).

// hsLookup reads key's metadata and replies WRONGTYPE (ok false) if it
// holds a live value of another type.
func (c *Ctx) hsLookup(key []byte, t Type) (rec, bool) {
	r, ok := c.lookup(key)
	if !ok {
		return r, false
	}
	if r.live && r.m.typ != t {
		r.release()
		c.W.Error(ErrWrongType)
		return r, false
	}
	return r, true
}

// hsVersion is the version of a collection created where r stands (r
// not live). It must be the same on every replica: the old version + 1 when
// a collection record is still stored (expired, not yet removed; putMeta
// then range-deletes the old version's sub-keys), else the entry's clock
// in ms shifted left 16 bits. No sub-key of an absent key survives its
// deletion (deleteKey and flushes range-delete them), so the clock only
// keeps versions of successive incarnations apart; two creations of one key
// in the same millisecond can share a version harmlessly, because the
// second one's writes come after the first one's range deletion.
func (c *Ctx) hsVersion(r *rec) uint64 {
	if r.physical && r.m.typ != TypeString {
		return r.m.version + 1
	}
	return uint64(c.now) << 16
}

// hsView is where a command reads the sub-keys of the keys it opened.
//
// At apply it is the indexed batch (c.r): it sees the batch's own writes,
// and nothing else writes meanwhile.
//
// On the read path it is one Pebble iterator over every opened key's
// metadata and sub-keys (clones of it share its view). A read whose Pebble
// reads overlap a commit runs again (DB.commitSeq), so the iterator agrees with
// the records the lookups returned.
type hsView struct {
	c      *Ctx
	base   *pebble.Iterator // read path: the view; nil at apply
	its    []*pebble.Iterator
	closer io.Closer // apply: holds the last get's value
	err    error
}

// hsOpen looks up keys and opens a view of their sub-keys. The caller must
// hsReleaseAll(recs) and v.close(). ok false: a storage error was replied.
func (c *Ctx) hsOpen(keys [][]byte) (recs []rec, v *hsView, ok bool) {
	v = &hsView{c: c}
	for _, k := range keys {
		r, ok := c.lookup(k)
		if !ok {
			hsReleaseAll(recs)
			return nil, nil, false
		}
		recs = append(recs, r)
	}
	if c.b != nil {
		return recs, v, true
	}
	var lo, hi []byte
	for i := range recs {
		if !recs[i].live || recs[i].m.typ == TypeString {
			continue // metadata alone answers
		}
		mk := appendMetaKey(nil, recs[i].slot, recs[i].key)
		end := prefixEndKey(hsSubKeysOf(recs[i].slot, recs[i].key))
		if lo == nil || bytes.Compare(mk, lo) < 0 {
			lo = mk
		}
		if hi == nil || bytes.Compare(end, hi) > 0 {
			hi = end
		}
	}
	if lo == nil {
		return recs, v, true
	}
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		hsReleaseAll(recs)
		c.fail(fmt.Errorf("read %q: %w", keys[0], err))
		return nil, nil, false
	}
	v.base = it
	return recs, v, true
}

// hsSubKeysOf is the prefix of every sub-key of key, whatever the version.
func hsSubKeysOf(slot uint16, key []byte) []byte {
	p := appendSubPrefix(nil, slot, key, 0)
	return p[:len(p)-8]
}

func hsReleaseAll(recs []rec) {
	for i := range recs {
		recs[i].release()
	}
}

func (v *hsView) setErr(err error) {
	if err != nil && v.err == nil {
		v.err = err
	}
}

// get reads sub-key k; the value is valid until the next call on v.
func (v *hsView) get(k []byte) ([]byte, bool) {
	if v.closer != nil {
		_ = v.closer.Close()
		v.closer = nil
	}
	if v.base != nil {
		if !v.base.SeekGE(k) || !bytes.Equal(v.base.Key(), k) {
			v.setErr(v.base.Error())
			return nil, false
		}
		val, err := v.base.ValueAndErr()
		if err != nil {
			v.setErr(err)
			return nil, false
		}
		return val, true
	}
	val, closer, err := v.c.r.Get(k)
	if err == pebble.ErrNotFound {
		return nil, false
	}
	if err != nil {
		v.setErr(err)
		return nil, false
	}
	v.closer = closer
	return val, true
}

// iter returns an iterator over the sub-keys with the given prefix (which
// must stay unmodified while it is open); v.close closes it.
func (v *hsView) iter(prefix []byte) *pebble.Iterator {
	o := &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEndKey(prefix)}
	var it *pebble.Iterator
	var err error
	if v.base != nil {
		it, err = v.base.Clone(pebble.CloneOptions{IterOptions: o})
	} else {
		it, err = v.c.r.NewIter(o)
	}
	if err != nil {
		v.setErr(err)
		return nil
	}
	v.its = append(v.its, it)
	return it
}

// close releases the view and returns the first storage error it met.
func (v *hsView) close() error {
	if v.closer != nil {
		_ = v.closer.Close()
		v.closer = nil
	}
	for _, it := range v.its {
		if err := it.Close(); err != nil {
			v.setErr(err)
		}
	}
	v.its = nil
	if v.base != nil {
		if err := v.base.Close(); err != nil {
			v.setErr(err)
		}
		v.base = nil
	}
	return v.err
}

// done closes v and recs; a storage error met on the way replaces the
// reply written since start with the error.
func (c *Ctx) hsDone(v *hsView, recs []rec, start int) {
	hsReleaseAll(recs)
	if v == nil {
		return
	}
	if err := v.close(); err != nil {
		c.W.B = c.W.B[:start]
		c.fail(err)
	}
}

// hsColl is a hash or set being modified by a write command (at apply).
// Metadata is written once, by finish, and only if the count changed or
// the key was created.
type hsColl struct {
	r       rec
	typ     Type
	m       meta
	exists  bool // live, or created by this command
	prefix  []byte
	kbuf    []byte
	changed bool
	closer  io.Closer
}

// hsOpenWrite looks key up for a write; ok false: WRONGTYPE or a storage
// error was replied.
func (c *Ctx) hsOpenWrite(key []byte, t Type) (*hsColl, bool) {
	r, ok := c.hsLookup(key, t)
	if !ok {
		return nil, false
	}
	return hsNewColl(r, t), true
}

// hsNewColl wraps a looked-up record (which it then owns) for writing.
func hsNewColl(r rec, t Type) *hsColl {
	w := &hsColl{r: r, typ: t}
	if r.live && r.m.typ == t {
		w.m, w.exists = r.m, true
		w.prefix = appendSubPrefix(nil, r.slot, r.key, r.m.version)
	}
	return w
}

// create makes an empty collection with a fresh version if there is none.
func (w *hsColl) create(c *Ctx) {
	if w.exists {
		return
	}
	w.m = meta{typ: w.typ, version: c.hsVersion(&w.r)}
	w.exists, w.changed = true, true
	w.prefix = appendSubPrefix(nil, w.r.slot, w.r.key, w.m.version)
}

// replace makes the collection a new, empty one (the *STORE commands),
// whatever the key held; finish drops the old contents.
func (w *hsColl) replace(c *Ctx) {
	w.m = meta{typ: w.typ, version: c.hsVersion(&w.r)}
	w.exists, w.changed = true, true
	w.prefix = appendSubPrefix(nil, w.r.slot, w.r.key, w.m.version)
}

func (w *hsColl) sub(field []byte) []byte {
	w.kbuf = append(append(w.kbuf[:0], w.prefix...), field...)
	return w.kbuf
}

// get reads a field; the value is valid until the next get.
func (w *hsColl) get(c *Ctx, field []byte) (val []byte, found, ok bool) {
	if w.closer != nil {
		_ = w.closer.Close()
		w.closer = nil
	}
	if !w.exists {
		return nil, false, true
	}
	v, closer, err := c.r.Get(w.sub(field))
	if err == pebble.ErrNotFound {
		return nil, false, true
	}
	if err != nil {
		c.fail(fmt.Errorf("read %q: %w", w.r.key, err))
		return nil, false, false
	}
	w.closer = closer
	return v, true, true
}

// put writes a field; existed says whether it was there already.
func (w *hsColl) put(c *Ctx, field, val []byte, existed bool) {
	c.setErr(c.b.Set(w.sub(field), val, nil))
	if !existed {
		w.m.count++
		w.changed = true
	} else {
		c.noteWritten(w.r.key) // the metadata stays as it was
	}
}

// del deletes a field that exists.
func (w *hsColl) del(c *Ctx, field []byte) {
	c.setErr(c.b.Delete(w.sub(field), nil))
	w.m.count--
	w.changed = true
}

// iter opens an iterator over the collection's sub-keys as they are now
// (later writes of the batch are not seen by it).
func (w *hsColl) iter(c *Ctx) (*pebble.Iterator, bool) {
	p := copyBytes(w.prefix) // the bounds must outlive a replace()
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEndKey(p)})
	if err != nil {
		c.fail(fmt.Errorf("read %q: %w", w.r.key, err))
		return nil, false
	}
	return it, true
}

// finish writes the metadata: an emptied collection is deleted, range
// deletion of its sub-keys included.
func (w *hsColl) finish(c *Ctx) {
	if !w.changed {
		return
	}
	if w.m.count == 0 {
		c.deleteKey(&w.r)
		w.exists = false
		return
	}
	c.putMeta(&w.r, &w.m)
	w.r.m, w.r.physical, w.r.live = w.m, true, true
	w.changed = false
}

// notifyColl records a command's event on a collection it changed, and
// Redis's "del" after it if the command emptied it.
func (c *Ctx) notifyColl(w *hsColl, class int, event string) {
	c.notify(class, event, w.r.key)
	if !w.exists {
		c.notify(NotifyGeneric, "del", w.r.key)
	}
}

// hsCloseIter closes an iterator of a write command; a storage error stops
// the apply like any other.
func (c *Ctx) hsCloseIter(it *pebble.Iterator) {
	if err := it.Close(); err != nil && c.err == nil {
		c.err = fmt.Errorf("read: %w", err)
	}
}

func (w *hsColl) release() {
	if w.closer != nil {
		_ = w.closer.Close()
		w.closer = nil
	}
	w.r.release()
}

// hsRand is the random source of SPOP, SRANDMEMBER and HRANDFIELD: a
// splitmix64 generator with Lemire's bounded draws, written out here so
// that its sequence can never change under a Go upgrade (replicas running
// different builds must still pop the same members).
type hsRand struct{ s uint64 }

func (r *hsRand) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform value in [0, n); n > 0.
func (r *hsRand) intn(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// hsRng returns the random source of a command. At apply (SPOP, and reads
// pipelined behind writes) it is seeded from what every replica has alike:
// the entry's clock, the command's arguments and the key's version and
// count, so no per-entry counter is needed — two identical commands on the
// same key in one entry see different counts if the first one changed
// anything, and if it did not, repeating its choice changes nothing stored.
// On the read path nothing is stored, so it is truly random.
func (c *Ctx) hsRng(argv [][]byte, m *meta) *hsRand {
	if c.b == nil {
		return &hsRand{s: mrand.Uint64()}
	}
	h := fnv.New64a()
	var b [8]byte
	for _, x := range []uint64{uint64(c.now), m.version, m.count} {
		binary.BigEndian.PutUint64(b[:], x)
		_, _ = h.Write(b[:])
	}
	for _, a := range argv {
		binary.BigEndian.PutUint64(b[:], uint64(len(a)))
		_, _ = h.Write(b[:])
		_, _ = h.Write(a)
	}
	return &hsRand{s: h.Sum64()}
}

// hsExactRandom is the size up to which random picks are exactly uniform
// (by walking to a random index). Beyond it hsRandomOne descends the trie
// of the members' bytes: at each branching point it picks one of the next
// bytes that occur, uniformly (proposing a byte in the range that occurs
// and accepting it with probability 1/(gap before it), a few tries at
// most), and stops where a single member remains; then it steps on by a
// random number of members below hsRandomWindow. Members of equal length
// (ids, UUIDs, zero-padded numbers) come out close to uniformly; with
// mixed lengths, members after small branches come out a few times more
// often than others. Every member can be chosen — Redis's own picks are
// not uniform either — and a pick costs a few seeks per branching level
// and a short walk instead of a walk of the set.
const hsExactRandom = 1024

// hsMaxRandomReply bounds the replies of SRANDMEMBER/HRANDFIELD with a
// negative count (repetitions allowed): Redis would try to build any size
// and run out of memory; this answers an error beyond 16M elements.
const hsMaxRandomReply = 1 << 24

// hsEntry is a member (and value, for hashes) picked at random.
type hsEntry struct{ field, value []byte }

// hsRandomOne positions it (over a collection of n >= 1 sub-keys with the
// given prefix) at a random sub-key; false if it found none.
func hsRandomOne(it *pebble.Iterator, prefix []byte, n uint64, rg *hsRand) bool {
	if n <= hsExactRandom {
		i := rg.intn(n)
		valid := it.First()
		for ; valid && i > 0; i-- {
			valid = it.Next()
		}
		return valid || it.First()
	}
	if !hsDescend(it, prefix, rg) {
		return false
	}
	// The descent favours members in small branches (with "m0" ... "m9999",
	// "m0" alone is a tenth of the first level); stepping on by a random
	// amount spreads that over the members that follow.
	for skip := rg.intn(hsRandomWindow); skip > 0; skip-- {
		if !it.Next() && !it.First() {
			return false
		}
	}
	return true
}

// hsRandomWindow is how far hsRandomOne steps on from where its descent
// lands.
const hsRandomWindow = 256

// hsDescend positions it at a member by a random descent of the trie of the
// members' bytes (see hsExactRandom).
func hsDescend(it *pebble.Iterator, prefix []byte, rg *hsRand) bool {
	// p is the current branch: every member below it starts with p.
	p := copyBytes(prefix)
	if !it.SeekGE(p) {
		return false
	}
	lo := copyBytes(it.Key())
	for depth := 0; depth < 1<<16; depth++ {
		if !it.SeekLT(prefixEndKey(p)) {
			return false
		}
		hi := it.Key() // valid until the iterator moves
		if bytes.Equal(lo, hi) {
			return true // one member left: it is positioned there
		}
		l := hsLCP(lo, hi) // hi is longer than l: it sorts after lo
		maxB := int(hi[l])
		p = append(p[:0], lo[:l]...)
		// The branches are the bytes at l of the members below p, from minB
		// to maxB, and the member p itself if there is one (then lo): it
		// takes the proposal minB-1, so that every branch is one proposal
		// away from the one before.
		term := len(lo) == l
		if term && (!it.SeekGE(lo) || !it.Next()) {
			return false
		}
		var minB int
		if term {
			minB = int(it.Key()[l])
		} else {
			minB = int(lo[l])
		}
		low := minB
		if term {
			low--
		}
		chosen := -1
		for try := 0; try < 8; try++ {
			b := low + int(rg.intn(uint64(maxB-low+1)))
			if term && b == low {
				chosen = -1
				break
			}
			if !it.SeekGE(append(p, byte(b))) {
				return false
			}
			chosen = int(it.Key()[l])
			// Accept with probability 1/gap, gap being the number of
			// proposals that lead to this branch: branches come out
			// uniformly however the bytes in use are spread.
			prev := minB - 1
			if chosen > minB && it.SeekLT(append(p, byte(chosen))) {
				prev = int(it.Key()[l])
			}
			if rg.intn(uint64(chosen-prev)) == 0 {
				break
			}
		}
		if chosen < 0 {
			return it.SeekGE(p) // the member p itself
		}
		p = append(p, byte(chosen))
		if !it.SeekGE(p) {
			return false
		}
		lo = append(lo[:0], it.Key()...)
	}
	return it.SeekGE(lo)
}

// hsRandomDistinct returns k distinct random entries of a collection of n > k
// sub-keys, in random order. Up to hsExactRandom members, or when k is a
// large part of n, it draws a uniform sample in one pass (selection
// sampling); otherwise it repeats hsRandomOne, falling back to the pass if
// the picks keep colliding.
func hsRandomDistinct(it *pebble.Iterator, prefix []byte, n, k uint64, rg *hsRand, values bool) ([]hsEntry, error) {
	var out []hsEntry
	take := func() {
		e := hsEntry{field: copyBytes(it.Key()[len(prefix):])}
		if values {
			e.value = copyBytes(it.Value())
		}
		out = append(out, e)
	}
	if n > hsExactRandom && k*4 < n {
		seen := make(map[string]struct{}, k)
		for tries := uint64(0); uint64(len(out)) < k && tries < 4*k+64; tries++ {
			if !hsRandomOne(it, prefix, n, rg) {
				break
			}
			if _, dup := seen[string(it.Key())]; dup {
				continue
			}
			seen[string(it.Key())] = struct{}{}
			take()
		}
		if uint64(len(out)) == k {
			hsShuffle(out, rg)
			return out, it.Error()
		}
		out = out[:0]
	}
	need, left := k, n
	for valid := it.First(); valid && need > 0; valid = it.Next() {
		if left == 0 || rg.intn(left) < need {
			take()
			need--
		}
		if left > 0 {
			left--
		}
	}
	hsShuffle(out, rg)
	return out, it.Error()
}

func hsShuffle(e []hsEntry, rg *hsRand) {
	for i := len(e) - 1; i > 0; i-- {
		j := rg.intn(uint64(i + 1))
		e[i], e[j] = e[j], e[i]
	}
}

// hsRandomRepeated calls fn k times with an independently chosen entry of a
// collection of n >= 1 sub-keys. Small collections are read once.
func hsRandomRepeated(it *pebble.Iterator, prefix []byte, n, k uint64, rg *hsRand, fn func(field, value []byte)) error {
	if n <= hsExactRandom || k >= n/4 {
		// Small, or most of it asked for anyway: read it once, pick exactly.
		var all []hsEntry
		for valid := it.First(); valid; valid = it.Next() {
			all = append(all, hsEntry{copyBytes(it.Key()[len(prefix):]), copyBytes(it.Value())})
		}
		if err := it.Error(); err != nil {
			return err
		}
		if len(all) == 0 {
			return errCorruptMeta
		}
		for ; k > 0; k-- {
			e := all[rg.intn(uint64(len(all)))]
			fn(e.field, e.value)
		}
		return nil
	}
	for ; k > 0; k-- {
		if !hsRandomOne(it, prefix, n, rg) {
			if err := it.Error(); err != nil {
				return err
			}
			return errCorruptMeta
		}
		fn(it.Key()[len(prefix):], it.Value())
	}
	return it.Error()
}

func hsLCP(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// HSCAN and SSCAN.
//
// Cursors are numbers (clients parse them as unsigned 64-bit integers), but
// a field is any byte string, so a cursor cannot name the field to resume
// at. Small collections (up to hsScanAll members, or no more than COUNT)
// are returned whole with cursor 0, as Redis does for its compact
// encodings. Larger ones are walked in field order in steps of at least
// COUNT fields, and the cursor describes the next field T by a descent of
// three levels, each 21 bits (bit 63 stays 0, so cursors also fit a signed
// integer):
//
//	level i: delta (5 bits), chunk (2 bytes)
//
// Level i looks at the fields starting with x (x empty at level 0): their
// longest common prefix (from the first and the last of them) is skipped —
// up to delta bytes of it, delta <= 31 — and the chunk holds T's next two
// bytes (zero-padded); x becomes those skipped bytes plus the chunk. So
// fields like "user:<id>" or "session:<n>" are told apart by the bytes
// that vary, wherever they are. Decoding repeats the descent on the data
// and resumes at x with trailing zero bytes trimmed, which is at or before
// T. A step ends only before a field whose decoded cursor lands after the
// last field returned: on unchanged data no field comes twice and every
// step makes progress (fields that the 6 chunk bytes cannot tell apart are
// returned in the same step). If fields were added or removed, a level
// whose common prefix is now shorter than delta stops the descent early,
// resuming at a prefix of T: fields may come twice, but one present for
// the whole scan is never skipped, as SCAN guarantees — at each level
// either a field present throughout that is still to be returned is among
// those starting with x, and then the prefix rebuilt from the data is T's,
// or none is, and every such field sorts after anything starting with x.
const hsScanAll = 128

// hsParseCursor parses like Redis's parseScanCursorOrReply (strtoul):
// optional sign, decimal digits, no leading space, no trailing bytes, no
// overflow; "" is 0 and "-1" is 2^64-1.
func hsParseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if isSpaceByte(b[0]) {
		return 0, false
	}
	return parseStrtoull(b)
}

// parseStrtoull is what C's strtoull(s, &end, 10) accepts when end must
// reach the end of s (leading space aside, which callers decide on): an
// optional sign, at least one decimal digit, no overflow; "-n" is 2^64-n.
func parseStrtoull(s []byte) (uint64, bool) {
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	if len(s) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// hsScan is HSCAN (t TypeHash: fields and values) and SSCAN.
func hsScan(c *Ctx, argv [][]byte, t Type) {
	cursor, ok := hsParseCursor(argv[2])
	if !ok {
		c.W.Error("ERR invalid cursor")
		return
	}
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if !r.live {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return
	}
	if r.m.typ != t {
		c.W.Error(ErrWrongType)
		return
	}
	count := int64(10)
	var match []byte
	for i := 3; i < len(argv); i++ {
		more := i+1 < len(argv)
		switch {
		case eqFold(argv[i], "count") && more:
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return
			}
			if n < 1 {
				c.W.Error(ErrSyntax)
				return
			}
			count = n
			i++
		case eqFold(argv[i], "match") && more:
			match = argv[i+1]
			i++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if len(match) == 1 && match[0] == '*' {
		match = nil
	}
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return
	}
	var out resp.Writer
	n := 0
	emit := func() {
		f := it.Key()[len(prefix):]
		if match != nil && !GlobMatch(match, f) {
			return
		}
		out.Bulk(f)
		n++
		if t == TypeHash {
			val, err := it.ValueAndErr()
			v.setErr(err)
			out.Bulk(val)
			n++
		}
	}
	var next uint64
	if r.m.count <= hsScanAll || r.m.count <= uint64(count) {
		for valid := it.First(); valid; valid = it.Next() {
			emit()
		}
	} else {
		sk := v.iter(prefix)
		if sk == nil {
			return
		}
		next = hsScanStep(it, sk, prefix, cursor, count, emit)
	}
	v.setErr(it.Error())
	c.W.Array(2)
	c.W.Bulk(strconv.AppendUint(nil, next, 10))
	c.W.Array(n)
	c.W.Raw(out.B)
}

// hsScanStep emits one step of a large collection's scan (see hsScanAll)
// from it and returns the next cursor; sk is a second iterator over the
// same view, for the seeks of the cursor's descent.
func hsScanStep(it, sk *pebble.Iterator, prefix []byte, cursor uint64, count int64, emit func()) uint64 {
	var valid bool
	if cursor == 0 {
		valid = it.First()
	} else {
		valid = it.SeekGE(hsScanProbe(sk, prefix, cursor))
	}
	var visited int64
	var last []byte
	for ; valid; valid = it.Next() {
		if visited >= count {
			f := it.Key()[len(prefix):]
			next := hsScanCursor(sk, prefix, f)
			// The probe is at or before f by construction; past the last
			// field returned, resuming there returns nothing twice.
			if p := hsScanProbe(sk, prefix, next); bytes.Compare(p, it.Key()) <= 0 && bytes.Compare(p[len(prefix):], last) > 0 {
				return next
			}
		}
		emit()
		visited++
		last = append(last[:0], it.Key()[len(prefix):]...)
	}
	return 0
}

const hsScanLevels = 3

// hsScanRange returns the first and last field starting with x.
func hsScanRange(sk *pebble.Iterator, prefix, x []byte) (first, last []byte, ok bool) {
	p := append(copyBytes(prefix), x...)
	if !sk.SeekGE(p) || !bytes.HasPrefix(sk.Key(), p) {
		return nil, nil, false
	}
	first = copyBytes(sk.Key()[len(prefix):])
	if !sk.SeekLT(prefixEndKey(p)) {
		return nil, nil, false
	}
	return first, sk.Key()[len(prefix):], true
}

// hsScanCursor encodes field f (see hsScanAll).
func hsScanCursor(sk *pebble.Iterator, prefix, f []byte) uint64 {
	var cur uint64
	var x []byte
	for i := 0; i < hsScanLevels; i++ {
		first, last, ok := hsScanRange(sk, prefix, x)
		if !ok {
			break
		}
		delta := min(hsLCP(first, last)-len(x), 31)
		o := len(x) + delta // f starts with the common prefix: len(f) >= o
		var chunk [2]byte
		copy(chunk[:], f[o:])
		cur |= (uint64(delta)<<16 | uint64(binary.BigEndian.Uint16(chunk[:]))) << (21 * (hsScanLevels - 1 - i))
		x = append(append(x, f[len(x):o]...), chunk[:]...)
		if len(f) < o+2 {
			break
		}
	}
	return cur
}

// hsScanProbe decodes a cursor into the sub-key to resume at.
func hsScanProbe(sk *pebble.Iterator, prefix []byte, cursor uint64) []byte {
	var x []byte
	for i := 0; i < hsScanLevels; i++ {
		lv := cursor >> (21 * (hsScanLevels - 1 - i)) & (1<<21 - 1)
		delta := int(lv >> 16)
		first, last, ok := hsScanRange(sk, prefix, x)
		if !ok || hsLCP(first, last)-len(x) < delta {
			break // nothing there, or the fields changed: resume at x
		}
		o := len(x) + delta
		x = append(append(x, first[len(x):o]...), byte(lv>>8), byte(lv))
	}
	return append(copyBytes(prefix), bytes.TrimRight(x, "\x00")...)
}

// hsDeferredLen writes an aggregate header in front of the elements written
// since start (their number was not known before).
func (c *Ctx) hsDeferredLen(start, n int, set bool) {
	var h resp.Writer
	h.RESP3 = c.W.RESP3
	if set {
		h.Set(n)
	} else {
		h.Array(n)
	}
	c.W.B = slices.Insert(c.W.B, start, h.B...)
}

// OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP, answered like Redis
// 7.0 with its default thresholds. Encodings are derived from the current
// contents; Redis never converts a hash or set back to its compact encoding
// once it outgrew it, which is not reproduced.
func objectCommands() []*Command {
	return []*Command{{
		Name: "object", Arity: -2, Flags: FlagReadOnly, FirstKey: 2, LastKey: 2, Step: 1, Group: "generic",
		Since: "2.2.3", Summary: "A container for object introspection commands",
		ACL: []string{"@keyspace", "@read", "@slow"}, Exec: execObject,
	}}
}

// objectArities are OBJECT's subcommands and their arities.
var objectArities = map[string]int{"encoding": 3, "refcount": 3, "idletime": 3, "freq": 3, "help": 2}

var objectHelp = []string{
	"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"ENCODING <key>",
	"    Return the kind of internal representation used in order to store the value",
	"    associated with a <key>.",
	"FREQ <key>",
	"    Return the access frequency index of the <key>. The returned integer is",
	"    proportional to the logarithm of the recent access frequency of the key.",
	"IDLETIME <key>",
	"    Return the idle time of the <key>, that is the approximated number of",
	"    seconds elapsed since the last access to the key.",
	"REFCOUNT <key>",
	"    Return the number of references of the value associated with the specified",
	"    <key>.",
	"HELP",
	"    Prints this help.",
}

func execObject(c *Ctx, argv [][]byte) {
	sub, ok := c.containerSub(argv, "OBJECT", objectArities, objectHelp)
	if !ok {
		return
	}
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[2:3])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if !r.live {
		c.W.Null()
		return
	}
	switch sub {
	case "refcount":
		// Redis shares the objects of the integers 0..9999.
		if n, ok := resp.ParseInt(r.m.value); r.m.typ == TypeString && ok && n >= 0 && n < 10000 && len(r.m.value) <= 20 {
			c.W.Int(math.MaxInt32)
		} else {
			c.W.Int(1)
		}
	case "idletime":
		c.W.Int(0) // access times are not tracked
	case "freq":
		c.W.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
	default:
		c.W.BulkString(objectEncoding(v, r))
	}
}

// objectEncoding names the encoding Redis 7.0 would use for r's value.
func objectEncoding(v *hsView, r *rec) string {
	switch r.m.typ {
	case TypeString:
		if _, ok := resp.ParseInt(r.m.value); ok && len(r.m.value) <= 20 {
			return "int"
		}
		if len(r.m.value) <= 44 {
			return "embstr"
		}
		return "raw"
	case TypeList:
		return "quicklist"
	case TypeStream:
		return "stream"
	case TypeZSet:
		// Member lengths are not checked: the layout is zset.go's.
		if r.m.count <= 128 {
			return "listpack"
		}
		return "skiplist"
	case TypeHash:
		if r.m.count > 128 {
			return "hashtable"
		}
	case TypeSet:
		if r.m.count > 512 {
			return "hashtable"
		}
	}
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return "hashtable"
	}
	for valid := it.First(); valid; valid = it.Next() {
		f := it.Key()[len(prefix):]
		if r.m.typ == TypeHash && (len(f) > 64 || len(it.Value()) > 64) {
			return "hashtable"
		}
		if _, isInt := resp.ParseInt(f); r.m.typ == TypeSet && !isInt {
			return "hashtable"
		}
	}
	if r.m.typ == TypeHash {
		return "listpack"
	}
	return "intset"
}

// hsRemove is HDEL and SREM: it deletes the given fields (members) of a
// hash (set) and replies how many existed.
func hsRemove(c *Ctx, argv [][]byte, typ Type) {
	w, ok := c.hsOpenWrite(argv[1], typ)
	if !ok {
		return
	}
	defer w.release()
	var removed int64
	for _, field := range argv[2:] {
		if !w.exists {
			break
		}
		_, found, ok := w.get(c, field)
		if !ok {
			return
		}
		if found {
			w.del(c, field)
			removed++
			if w.m.count == 0 {
				break
			}
		}
	}
	w.finish(c)
	if removed > 0 {
		if typ == TypeHash {
			c.notifyColl(w, NotifyHash, "hdel")
		} else {
			c.notifyColl(w, NotifySet, "srem")
		}
	}
	c.W.Int(removed)
}

// hsCount is HLEN, SCARD, LLEN and ZCARD: the element count from the
// metadata.
func hsCount(c *Ctx, argv [][]byte, typ Type) {
	r, ok := c.hsLookup(argv[1], typ)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(r.m.count))
}
