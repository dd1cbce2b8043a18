package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// List commands, with Redis 7.0's replies, errors and order of checks.
//
// Layout: the metadata record holds the version, the item count, and two
// positions, head (the first item's) and tail (one past the last item's).
// Item i is the sub-key appendSubPrefix(slot, key, version) + (head+i) as
// a big-endian uint64, whose value is the item. A new list starts with
// head = tail = 1<<63, so it can grow 2^63 items at either end. Positions
// stay contiguous, so LINDEX, LSET, the pops and the pushes touch only the
// items they name (point reads and writes: O(log n) each) and LRANGE is one
// seek and a scan of the range.
//
// LINSERT and LREM keep positions contiguous by moving items: LINSERT
// shifts the shorter side of the insertion point by one (O(min(i, n-i))
// writes), LREM closes the holes it made from the cheaper side (at most
// n - first removed or last removed + 1 writes). Both scan the list up to
// the pivot or the matches, as Redis does. LTRIM and large pops delete the
// dropped items with range deletions.
//
// A list that becomes empty is deleted (with a range deletion of its
// sub-keys). Pops of the blocking commands are functions here too
// (lzListPop, lzListMPop, lzListMove), and blockingListCommands gives the
// blocking commands' non-blocking attempt, as Redis runs them in MULTI.

// lzListMid is the position of the first item of a new list.
const lzListMid uint64 = 1 << 63

// lzPointDeletes is the largest number of consecutive items deleted one by
// one; longer runs use a range deletion.
const lzPointDeletes = 32

func listCommands() []*Command {
	w, r, f, d, same := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM, FlagSameSlotKeys
	l := func(name string, arity int, flags Flags, first, last int, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "list",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	wf := []string{"@write", "@list", "@fast"}
	ws := []string{"@write", "@list", "@slow"}
	rf := []string{"@read", "@list", "@fast"}
	rs := []string{"@read", "@list", "@slow"}
	lmpop := l("lmpop", -4, w|same, 2, 2, ws, "7.0.0", "Pop elements from a list", execLMPop)
	lmpop.KeysFunc = func(argv [][]byte) []int { return lzNumKeysThen(argv, 1, 1) }
	return []*Command{
		l("lpush", -3, w|d|f, 1, 1, wf, "1.0.0", "Prepend one or multiple elements to a list", func(c *Ctx, argv [][]byte) { lzPush(c, argv, true, false) }),
		l("rpush", -3, w|d|f, 1, 1, wf, "1.0.0", "Append one or multiple elements to a list", func(c *Ctx, argv [][]byte) { lzPush(c, argv, false, false) }),
		l("lpushx", -3, w|d|f, 1, 1, wf, "2.2.0", "Prepend an element to a list, only if the list exists", func(c *Ctx, argv [][]byte) { lzPush(c, argv, true, true) }),
		l("rpushx", -3, w|d|f, 1, 1, wf, "2.2.0", "Append an element to a list, only if the list exists", func(c *Ctx, argv [][]byte) { lzPush(c, argv, false, true) }),
		l("lpop", -2, w|f, 1, 1, wf, "1.0.0", "Remove and get the first elements in a list", func(c *Ctx, argv [][]byte) { lzPop(c, argv, true) }),
		l("rpop", -2, w|f, 1, 1, wf, "1.0.0", "Remove and get the last elements in a list", func(c *Ctx, argv [][]byte) { lzPop(c, argv, false) }),
		l("llen", 2, r|f, 1, 1, rf, "1.0.0", "Get the length of a list", execLLen),
		l("lrange", 4, r, 1, 1, rs, "1.0.0", "Get a range of elements from a list", execLRange),
		l("lindex", 3, r, 1, 1, rs, "1.0.0", "Get an element from a list by its index", execLIndex),
		l("lset", 4, w|d, 1, 1, ws, "1.0.0", "Set the value of an element in a list by its index", execLSet),
		l("linsert", 5, w|d, 1, 1, ws, "2.2.0", "Insert an element before or after another element in a list", execLInsert),
		l("lrem", 4, w, 1, 1, ws, "1.0.0", "Remove elements from a list", execLRem),
		l("ltrim", 4, w, 1, 1, ws, "1.0.0", "Trim a list to the specified range", execLTrim),
		l("lpos", -3, r, 1, 1, rs, "6.0.6", "Return the index of matching elements on a list", execLPos),
		l("lmove", 5, w|d|same, 1, 2, ws, "6.2.0", "Pop an element from a list, push it to another list and return it", execLMove),
		l("rpoplpush", 3, w|d|same, 1, 2, ws, "1.2.0", "Remove the last element in a list, prepend it to another list and return it", execRPopLPush),
		lmpop,
	}
}

// lzList is a list being read or written.
type lzList struct {
	r      *rec
	m      meta // the record as this command leaves it
	prefix []byte
	kbuf   []byte
}

func lzListOf(r *rec) *lzList {
	return &lzList{r: r, m: r.m, prefix: appendSubPrefix(nil, r.slot, r.key, r.m.version)}
}

// lzNewList makes an empty list at r (not live), with a fresh version.
func (c *Ctx) lzNewList(r *rec) *lzList {
	m := meta{typ: TypeList, version: c.hsVersion(r), head: lzListMid, tail: lzListMid}
	return &lzList{r: r, m: m, prefix: appendSubPrefix(nil, r.slot, r.key, m.version)}
}

// key is the sub-key of position pos, valid until the next call.
func (l *lzList) key(pos uint64) []byte {
	l.kbuf = binary.BigEndian.AppendUint64(append(l.kbuf[:0], l.prefix...), pos)
	return l.kbuf
}

// keyAt is the sub-key of position pos in a new slice (iterator bounds).
func (l *lzList) keyAt(pos uint64) []byte {
	return binary.BigEndian.AppendUint64(copyBytes(l.prefix), pos)
}

// save writes the metadata, or deletes the key if the list is empty.
func (c *Ctx) lzListSave(l *lzList) {
	if l.m.count == 0 {
		c.deleteKey(l.r)
		return
	}
	c.putMeta(l.r, &l.m)
	l.r.m, l.r.physical, l.r.live = l.m, true, true
}

// lzDeletePositions deletes the items at positions [lo, hi).
func (c *Ctx) lzDeletePositions(l *lzList, lo, hi uint64) {
	if hi-lo > lzPointDeletes {
		c.setErr(c.b.DeleteRange(l.keyAt(lo), l.keyAt(hi), nil))
		return
	}
	for p := lo; p < hi; p++ {
		c.setErr(c.b.Delete(l.key(p), nil))
	}
}

// lzCorrupt stops the command (and the apply) on a list whose items do not
// match its metadata.
func (c *Ctx) lzCorrupt(key []byte) {
	c.fail(fmt.Errorf("key %q: %w", key, errCorruptMeta))
}

// lzValue returns the iterator's current value.
func lzValue(it *pebble.Iterator) ([]byte, error) {
	return it.ValueAndErr()
}

// lzReadItems reads the items at positions [lo, hi) of l from c.r, in
// order; the values are copies.
func (c *Ctx) lzReadItems(l *lzList, lo, hi uint64) ([][]byte, bool) {
	if hi == lo {
		return nil, true
	}
	if hi-lo == 1 {
		v, found, ok := c.lzGet(l.key(lo))
		if !ok {
			return nil, false
		}
		if !found {
			c.lzCorrupt(l.r.key)
			return nil, false
		}
		return [][]byte{v}, true
	}
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: l.keyAt(lo), UpperBound: l.keyAt(hi)})
	if err != nil {
		c.fail(fmt.Errorf("read %q: %w", l.r.key, err))
		return nil, false
	}
	out := make([][]byte, 0, hi-lo)
	for valid := it.First(); valid; valid = it.Next() {
		v, err := lzValue(it)
		if err != nil {
			closeQuietly(it)
			c.fail(fmt.Errorf("read %q: %w", l.r.key, err))
			return nil, false
		}
		out = append(out, copyBytes(v))
	}
	if !c.lzCloseIter(it) {
		return nil, false
	}
	if uint64(len(out)) != hi-lo {
		c.lzCorrupt(l.r.key)
		return nil, false
	}
	return out, true
}

// lzListPush pushes vals, one after the other, at the head (left) or the
// tail of the list at r (looked up as a list; created if not live) and
// returns the new length.
func (c *Ctx) lzListPush(r *rec, vals [][]byte, left bool) uint64 {
	var l *lzList
	if r.live {
		l = lzListOf(r)
	} else {
		l = c.lzNewList(r)
	}
	for _, v := range vals {
		if left {
			l.m.head--
			c.setErr(c.b.Set(l.key(l.m.head), v, nil))
		} else {
			c.setErr(c.b.Set(l.key(l.m.tail), v, nil))
			l.m.tail++
		}
	}
	l.m.count += uint64(len(vals))
	c.lzListSave(l)
	if left {
		c.notify(NotifyList, "lpush", r.key)
	} else {
		c.notify(NotifyList, "rpush", r.key)
	}
	return l.m.count
}

// lzNotifyPop records a pop's event, and "del" if it emptied the list at
// r. Callers record it themselves: LMOVE's push comes first, as in Redis.
func (c *Ctx) lzNotifyPop(r *rec, left bool) {
	if left {
		c.notify(NotifyList, "lpop", r.key)
	} else {
		c.notify(NotifyList, "rpop", r.key)
	}
	if !r.physical {
		c.notify(NotifyGeneric, "del", r.key)
	}
}

// lzListPop removes up to n items from the head (left) or the tail of the
// live list at r and returns them in the order they were popped. An emptied
// list is deleted.
func (c *Ctx) lzListPop(r *rec, left bool, n uint64) ([][]byte, bool) {
	l := lzListOf(r)
	n = min(n, l.m.count)
	lo, hi := l.m.head, l.m.head+n
	if !left {
		lo, hi = l.m.tail-n, l.m.tail
	}
	vals, ok := c.lzReadItems(l, lo, hi)
	if !ok {
		return nil, false
	}
	if !left {
		for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	if n == l.m.count {
		c.deleteKey(r)
		return vals, true
	}
	c.lzDeletePositions(l, lo, hi)
	if left {
		l.m.head = hi
	} else {
		l.m.tail = lo
	}
	l.m.count -= n
	c.lzListSave(l)
	return vals, true
}

// lzListMPop pops up to n items from the first non-empty list of keys
// (LMPOP, BLPOP, BRPOP, BLMPOP). idx is the index in keys it popped from,
// -1 if every list was empty; ok false: an error (WRONGTYPE) was replied.
func (c *Ctx) lzListMPop(keys [][]byte, left bool, n uint64) (idx int, vals [][]byte, ok bool) {
	for i, k := range keys {
		r, ok := c.hsLookup(k, TypeList)
		if !ok {
			return -1, nil, false
		}
		if !r.live {
			r.release()
			continue
		}
		vals, ok = c.lzListPop(&r, left, n)
		if ok {
			c.lzNotifyPop(&r, left)
		}
		r.release()
		return i, vals, ok
	}
	return -1, nil, true
}

// lzListMove is LMOVE: it pops an item from src's head (fromLeft) or tail
// and pushes it at dst's head (toLeft) or tail. found is false if src has
// no list; ok false: an error was replied.
func (c *Ctx) lzListMove(src, dst []byte, fromLeft, toLeft bool) (val []byte, found, ok bool) {
	sr, ok := c.hsLookup(src, TypeList)
	if !ok {
		return nil, false, false
	}
	defer sr.release()
	if !sr.live {
		return nil, false, true
	}
	if bytes.Equal(src, dst) {
		l := lzListOf(&sr)
		if fromLeft == toLeft || l.m.count == 1 {
			// Popping and pushing back at the same end changes nothing.
			pos := l.m.head
			if !fromLeft {
				pos = l.m.tail - 1
			}
			vals, ok := c.lzReadItems(l, pos, pos+1)
			if !ok {
				return nil, false, false
			}
			// Redis pops and pushes back all the same.
			if toLeft {
				c.notify(NotifyList, "lpush", src)
			} else {
				c.notify(NotifyList, "rpush", src)
			}
			c.lzNotifyPop(&sr, fromLeft)
			return vals[0], true, true
		}
		vals, ok := c.lzListPop(&sr, fromLeft, 1)
		if !ok {
			return nil, false, false
		}
		c.lzListPush(&sr, vals, toLeft)
		c.lzNotifyPop(&sr, fromLeft)
		return vals[0], true, true
	}
	dr, ok := c.hsLookup(dst, TypeList)
	if !ok {
		return nil, false, false
	}
	defer dr.release()
	vals, ok := c.lzListPop(&sr, fromLeft, 1)
	if !ok {
		return nil, false, false
	}
	c.lzListPush(&dr, vals, toLeft)
	c.lzNotifyPop(&sr, fromLeft)
	return vals[0], true, true
}

func lzPush(c *Ctx, argv [][]byte, left, onlyExisting bool) {
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live && onlyExisting {
		c.W.Int(0)
		return
	}
	n := c.lzListPush(&r, argv[2:], left)
	c.W.Int(int64(n))
}

// lzPop is LPOP and RPOP, with an optional count.
func lzPop(c *Ctx, argv [][]byte, left bool) {
	if len(argv) > 3 {
		c.W.Error("ERR wrong number of arguments for '" + c.name + "' command")
		return
	}
	hasCount := len(argv) == 3
	var count int64 = 1
	if hasCount {
		n, ok := resp.ParseInt(argv[2])
		if !ok || n < 0 {
			c.W.Error(lzErrPositive)
			return
		}
		count = n
	}
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		if hasCount {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	if hasCount && count == 0 {
		c.W.Array(0)
		return
	}
	vals, ok := c.lzListPop(&r, left, uint64(count))
	if !ok {
		return
	}
	c.lzNotifyPop(&r, left)
	if !hasCount {
		c.W.Bulk(vals[0])
		return
	}
	c.W.Array(len(vals))
	for _, v := range vals {
		c.W.Bulk(v)
	}
}

func execLLen(c *Ctx, argv [][]byte) { hsCount(c, argv, TypeList) }

// lzReadList opens key for a read command that needs its items. It returns
// nil (with nothing replied) if the key holds no list; ok false if an
// error was replied. The caller must call done.
func (c *Ctx) lzReadList(key []byte) (l *lzList, v *hsView, done func(), ok bool) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen([][]byte{key})
	if !ok {
		return nil, nil, nil, false
	}
	done = func() { c.hsDone(v, recs, start) }
	r := &recs[0]
	if r.live && r.m.typ != TypeList {
		c.W.Error(ErrWrongType)
		done()
		return nil, nil, nil, false
	}
	if r.live {
		l = lzListOf(r)
	}
	return l, v, done, true
}

// lzRange normalizes Redis's start/end indexes over a sequence of n
// elements; empty is true if the range selects nothing.
func lzRange(start, end, n int64) (s, e int64, empty bool) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= n {
		return 0, 0, true
	}
	if end >= n {
		end = n - 1
	}
	return start, end, false
}

func execLRange(c *Ctx, argv [][]byte) {
	start, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	end, ok := c.parseInt(argv[3])
	if !ok {
		return
	}
	l, v, done, ok := c.lzReadList(argv[1])
	if !ok {
		return
	}
	defer done()
	if l == nil {
		c.W.Array(0)
		return
	}
	s, e, empty := lzRange(start, end, int64(l.m.count))
	if empty {
		c.W.Array(0)
		return
	}
	n := int(e - s + 1)
	c.W.Array(n)
	it := v.iter(l.prefix)
	if it == nil {
		return
	}
	got := 0
	for valid := it.SeekGE(l.keyAt(l.m.head + uint64(s))); valid && got < n; valid = it.Next() {
		val, err := lzValue(it)
		v.setErr(err)
		c.W.Bulk(val)
		got++
	}
	v.setErr(it.Error())
	if got != n {
		v.setErr(errCorruptMeta)
	}
}

func execLIndex(c *Ctx, argv [][]byte) {
	l, v, done, ok := c.lzReadList(argv[1])
	if !ok {
		return
	}
	defer done()
	if l == nil {
		c.W.Null()
		return
	}
	idx, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	n := int64(l.m.count)
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		c.W.Null()
		return
	}
	val, found := v.get(l.key(l.m.head + uint64(idx)))
	if !found {
		v.setErr(errCorruptMeta)
		return
	}
	c.W.Bulk(val)
}

func execLSet(c *Ctx, argv [][]byte) {
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Error(ErrNoSuchKey)
		return
	}
	idx, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	n := int64(r.m.count)
	if idx < 0 {
		idx += n
	}
	if idx < 0 || idx >= n {
		c.W.Error("ERR index out of range")
		return
	}
	l := lzListOf(&r)
	// The metadata does not change: only the item is rewritten.
	c.setErr(c.b.Set(l.key(l.m.head+uint64(idx)), argv[3], nil))
	c.noteWritten(argv[1])
	c.notify(NotifyList, "lset", argv[1])
	c.W.OK()
}

func execLInsert(c *Ctx, argv [][]byte) {
	var before bool
	switch {
	case eqFold(argv[2], "before"):
		before = true
	case eqFold(argv[2], "after"):
	default:
		c.W.Error(ErrSyntax)
		return
	}
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	l := lzListOf(&r)
	it, ok := c.lzIter(l.prefix)
	if !ok {
		return
	}
	pivot := int64(-1)
	var i int64
	for valid := it.First(); valid; valid = it.Next() {
		val, err := lzValue(it)
		if err != nil {
			closeQuietly(it)
			c.fail(fmt.Errorf("read %q: %w", r.key, err))
			return
		}
		if bytes.Equal(val, argv[3]) {
			pivot = i
			break
		}
		i++
	}
	if !c.lzCloseIter(it) {
		return
	}
	if pivot < 0 {
		c.W.Int(-1)
		return
	}
	j := uint64(pivot) // the new item's index
	if !before {
		j++
	}
	n := l.m.count
	if j <= n-j {
		// Move items [0, j) one position towards the head.
		vals, ok := c.lzReadItems(l, l.m.head, l.m.head+j)
		if !ok {
			return
		}
		for k, v := range vals {
			c.setErr(c.b.Set(l.key(l.m.head+uint64(k)-1), v, nil))
		}
		l.m.head--
		c.setErr(c.b.Set(l.key(l.m.head+j), argv[4], nil))
	} else {
		// Move items [j, n) one position towards the tail.
		vals, ok := c.lzReadItems(l, l.m.head+j, l.m.tail)
		if !ok {
			return
		}
		for k, v := range vals {
			c.setErr(c.b.Set(l.key(l.m.head+j+uint64(k)+1), v, nil))
		}
		c.setErr(c.b.Set(l.key(l.m.head+j), argv[4], nil))
		l.m.tail++
	}
	l.m.count++
	c.lzListSave(l)
	c.notify(NotifyList, "linsert", argv[1])
	c.W.Int(int64(l.m.count))
}

func execLRem(c *Ctx, argv [][]byte) {
	toRemove, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	l := lzListOf(&r)
	n := l.m.count
	it, ok := c.lzIter(l.prefix)
	if !ok {
		return
	}
	// Indexes of the removed items, ascending.
	var removed []uint64
	limit := uint64(0) // 0: all matches
	if toRemove > 0 {
		limit = uint64(toRemove)
	} else if toRemove < 0 {
		limit = uint64(-toRemove) // -MinInt64 wraps to itself: 2^63 as uint64
	}
	var readErr error
	match := func(i uint64) bool {
		val, err := lzValue(it)
		if err != nil {
			readErr = err
			return false
		}
		if bytes.Equal(val, argv[3]) {
			removed = append(removed, i)
			if limit != 0 && uint64(len(removed)) >= limit {
				return false
			}
		}
		return true
	}
	if toRemove >= 0 {
		i := uint64(0)
		for valid := it.First(); valid && match(i); valid = it.Next() {
			i++
		}
	} else {
		i := n - 1
		for valid := it.Last(); valid && match(i); valid = it.Prev() {
			i--
		}
		for a, b := 0, len(removed)-1; a < b; a, b = a+1, b-1 {
			removed[a], removed[b] = removed[b], removed[a]
		}
	}
	if readErr != nil {
		closeQuietly(it)
		c.fail(fmt.Errorf("read %q: %w", r.key, readErr))
		return
	}
	if !c.lzCloseIter(it) {
		return
	}
	k := uint64(len(removed))
	if k == 0 {
		c.W.Int(0)
		return
	}
	if k == n {
		c.deleteKey(&r)
		c.notify(NotifyList, "lrem", argv[1])
		c.notify(NotifyGeneric, "del", argv[1])
		c.W.Int(int64(k))
		return
	}
	first, last := removed[0], removed[k-1]
	if n-first <= last+1 {
		// Close the holes by moving the items after the first removed one
		// towards the head; the last k positions become free.
		vals, ok := c.lzReadItems(l, l.m.head+first, l.m.tail)
		if !ok {
			return
		}
		w, ri := first, 0
		for idx := first; idx < n; idx++ {
			if ri < len(removed) && removed[ri] == idx {
				ri++
				continue
			}
			if w != idx {
				c.setErr(c.b.Set(l.key(l.m.head+w), vals[idx-first], nil))
			}
			w++
		}
		c.lzDeletePositions(l, l.m.tail-k, l.m.tail)
		l.m.tail -= k
	} else {
		// Move the items before the last removed one towards the tail; the
		// first k positions become free.
		vals, ok := c.lzReadItems(l, l.m.head, l.m.head+last+1)
		if !ok {
			return
		}
		w, ri := last, len(removed)-1
		for idx := int64(last); idx >= 0; idx-- {
			if ri >= 0 && removed[ri] == uint64(idx) {
				ri--
				continue
			}
			if w != uint64(idx) {
				c.setErr(c.b.Set(l.key(l.m.head+w), vals[idx], nil))
			}
			w--
		}
		c.lzDeletePositions(l, l.m.head, l.m.head+k)
		l.m.head += k
	}
	l.m.count -= k
	c.lzListSave(l)
	c.notify(NotifyList, "lrem", argv[1])
	c.W.Int(int64(k))
}

func execLTrim(c *Ctx, argv [][]byte) {
	start, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	end, ok := c.parseInt(argv[3])
	if !ok {
		return
	}
	r, ok := c.hsLookup(argv[1], TypeList)
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.OK()
		return
	}
	l := lzListOf(&r)
	n := int64(l.m.count)
	s, e, empty := lzRange(start, end, n)
	if empty {
		c.deleteKey(&r)
		c.notify(NotifyList, "ltrim", argv[1])
		c.notify(NotifyGeneric, "del", argv[1])
		c.W.OK()
		return
	}
	ltrim, rtrim := uint64(s), uint64(n-e-1)
	if ltrim > 0 {
		c.lzDeletePositions(l, l.m.head, l.m.head+ltrim)
		l.m.head += ltrim
	}
	if rtrim > 0 {
		c.lzDeletePositions(l, l.m.tail-rtrim, l.m.tail)
		l.m.tail -= rtrim
	}
	if ltrim+rtrim > 0 {
		l.m.count -= ltrim + rtrim
		c.lzListSave(l)
	}
	c.notify(NotifyList, "ltrim", argv[1])
	c.W.OK()
}

func execLPos(c *Ctx, argv [][]byte) {
	var rank, count, maxlen int64 = 1, -1, 0
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch {
		case eqFold(argv[j], "rank") && more:
			j++
			v, ok := c.parseInt(argv[j])
			if !ok {
				return
			}
			if v == 0 {
				c.W.Error("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = v
		case eqFold(argv[j], "count") && more:
			j++
			v, ok := c.lzParseCount(argv[j], "ERR COUNT can't be negative")
			if !ok {
				return
			}
			count = v
		case eqFold(argv[j], "maxlen") && more:
			j++
			v, ok := c.lzParseCount(argv[j], "ERR MAXLEN can't be negative")
			if !ok {
				return
			}
			maxlen = v
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	l, v, done, ok := c.lzReadList(argv[1])
	if !ok {
		return
	}
	defer done()
	if l == nil {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	forward := true
	if rank < 0 {
		// Like Redis, -LONG_MIN stays LONG_MIN: "every match qualifies".
		rank, forward = -rank, false
	}
	it := v.iter(l.prefix)
	if it == nil {
		return
	}
	n := int64(l.m.count)
	var matches []int64
	var index int64
	valid := it.First()
	if !forward {
		valid = it.Last()
	}
	var seen int64
	for ; valid && (maxlen == 0 || index < maxlen); index++ {
		val, err := lzValue(it)
		v.setErr(err)
		if bytes.Equal(val, argv[2]) {
			seen++
			if seen >= rank {
				pos := index
				if !forward {
					pos = n - index - 1
				}
				matches = append(matches, pos)
				if count == -1 || (count != 0 && int64(len(matches)) >= count) {
					break
				}
			}
		}
		if forward {
			valid = it.Next()
		} else {
			valid = it.Prev()
		}
	}
	v.setErr(it.Error())
	if count != -1 {
		c.W.Array(len(matches))
		for _, m := range matches {
			c.W.Int(m)
		}
		return
	}
	if len(matches) == 0 {
		c.W.Null()
		return
	}
	c.W.Int(matches[0])
}

// lzWhere parses LEFT or RIGHT.
func lzWhere(b []byte) (left, ok bool) {
	switch {
	case eqFold(b, "left"):
		return true, true
	case eqFold(b, "right"):
		return false, true
	}
	return false, false
}

func execLMove(c *Ctx, argv [][]byte) {
	from, ok1 := lzWhere(argv[3])
	to, ok2 := lzWhere(argv[4])
	if !ok1 || !ok2 {
		c.W.Error(ErrSyntax)
		return
	}
	lzMoveReply(c, argv[1], argv[2], from, to)
}

func execRPopLPush(c *Ctx, argv [][]byte) {
	lzMoveReply(c, argv[1], argv[2], false, true)
}

func lzMoveReply(c *Ctx, src, dst []byte, from, to bool) {
	val, found, ok := c.lzListMove(src, dst, from, to)
	if !ok {
		return
	}
	if !found {
		c.W.Null()
		return
	}
	c.W.Bulk(val)
}

// lzParseMPop parses the "numkeys key... LEFT|RIGHT [COUNT n]" of LMPOP
// and BLMPOP (numIdx: the position of numkeys) like Redis's
// lmpopGenericCommand; it returns the keys and the options.
func lzParseMPop(c *Ctx, argv [][]byte, numIdx int, where func([]byte) (bool, bool)) (keys [][]byte, dir bool, count int64, ok bool) {
	numkeys, ok := resp.ParseInt(argv[numIdx])
	if !ok || numkeys <= 0 {
		c.W.Error("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	if numkeys >= int64(len(argv)) {
		c.W.Error(ErrSyntax)
		return nil, false, 0, false
	}
	whereIdx := int64(numIdx) + numkeys + 1
	if whereIdx >= int64(len(argv)) {
		c.W.Error(ErrSyntax)
		return nil, false, 0, false
	}
	dir, ok = where(argv[whereIdx])
	if !ok {
		c.W.Error(ErrSyntax)
		return nil, false, 0, false
	}
	count = -1
	for j := int(whereIdx) + 1; j < len(argv); j++ {
		if count == -1 && eqFold(argv[j], "count") && j+1 < len(argv) {
			j++
			n, ok := resp.ParseInt(argv[j])
			if !ok || n <= 0 {
				c.W.Error("ERR count should be greater than 0")
				return nil, false, 0, false
			}
			count = n
			continue
		}
		c.W.Error(ErrSyntax)
		return nil, false, 0, false
	}
	if count == -1 {
		count = 1
	}
	return argv[numIdx+1 : whereIdx], dir, count, true
}

func execLMPop(c *Ctx, argv [][]byte) { lzMPopReply(c, argv, 1) }

// lzMPopReply is LMPOP (numIdx 1) and BLMPOP's attempt (numIdx 2).
func lzMPopReply(c *Ctx, argv [][]byte, numIdx int) {
	keys, left, count, ok := lzParseMPop(c, argv, numIdx, lzWhere)
	if !ok {
		return
	}
	idx, vals, ok := c.lzListMPop(keys, left, uint64(count))
	if !ok {
		return
	}
	if idx < 0 {
		c.W.NullArray()
		return
	}
	c.W.Array(2)
	c.W.Bulk(keys[idx])
	c.W.Array(len(vals))
	for _, v := range vals {
		c.W.Bulk(v)
	}
}

// blockingListCommands are BLPOP, BRPOP, BRPOPLPUSH, BLMOVE and BLMPOP as
// one non-blocking attempt each, as Redis executes them inside MULTI: the
// timeout is validated, and when every list is empty the reply is what
// Redis answers in MULTI — a null array, or a null bulk string for BLMOVE
// and BRPOPLPUSH — where the server blocks instead (on timeout Redis
// answers a null array for all of them). They are not in Commands().
func blockingListCommands() []*Command {
	w, same := FlagWrite, FlagSameSlotKeys
	acl := []string{"@write", "@list", "@slow", "@blocking"}
	b := func(name string, arity int, flags Flags, first, last int, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "list",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	blmpop := b("blmpop", -5, w|same, 3, 3, "7.0.0", "Pop elements from a list, or block until one is available", func(c *Ctx, argv [][]byte) {
		if c.lzBlockingTimeout(argv[1]) {
			lzMPopReply(c, argv, 2)
		}
	})
	blmpop.KeysFunc = func(argv [][]byte) []int { return lzNumKeysThen(argv, 2, 1) }
	return []*Command{
		b("blpop", -3, w|same, 1, -2, "2.0.0", "Remove and get the first element in a list, or block until one is available", func(c *Ctx, argv [][]byte) { lzBPop(c, argv, true) }),
		b("brpop", -3, w|same, 1, -2, "2.0.0", "Remove and get the last element in a list, or block until one is available", func(c *Ctx, argv [][]byte) { lzBPop(c, argv, false) }),
		b("brpoplpush", 4, w|FlagDenyOOM|same, 1, 2, "2.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", func(c *Ctx, argv [][]byte) {
			if c.lzBlockingTimeout(argv[3]) {
				lzMoveReply(c, argv[1], argv[2], false, true)
			}
		}),
		b("blmove", 6, w|FlagDenyOOM|same, 1, 2, "6.2.0", "Pop an element from a list, push it to another list and return it; or block until one is available", func(c *Ctx, argv [][]byte) {
			from, ok1 := lzWhere(argv[3])
			to, ok2 := lzWhere(argv[4])
			if !ok1 || !ok2 {
				c.W.Error(ErrSyntax)
				return
			}
			if c.lzBlockingTimeout(argv[5]) {
				lzMoveReply(c, argv[1], argv[2], from, to)
			}
		}),
		blmpop,
	}
}

// lzBlockingTimeout validates a blocking command's timeout, replying the
// error if it is invalid.
func (c *Ctx) lzBlockingTimeout(arg []byte) bool {
	if _, msg := ParseBlockingTimeout(arg, c.now); msg != "" {
		c.W.Error(msg)
		return false
	}
	return true
}

func lzBPop(c *Ctx, argv [][]byte, left bool) {
	if !c.lzBlockingTimeout(argv[len(argv)-1]) {
		return
	}
	keys := argv[1 : len(argv)-1]
	idx, vals, ok := c.lzListMPop(keys, left, 1)
	if !ok {
		return
	}
	if idx < 0 {
		c.W.NullArray()
		return
	}
	c.W.Array(2)
	c.W.Bulk(keys[idx])
	c.W.Bulk(vals[0])
}
