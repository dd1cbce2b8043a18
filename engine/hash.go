package engine

import (
	"math"
	"strconv"

	"github.com/neokv/neokv/resp"
)

// Hash commands, with Redis 7.0's replies, errors and order of checks.
// Layout and shared machinery: typeutil_hs.go.

func hashCommands() []*Command {
	w, r, f, d := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM
	h := func(name string, arity int, flags Flags, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: "hash",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	wf := []string{"@write", "@hash", "@fast"}
	rf := []string{"@read", "@hash", "@fast"}
	rs := []string{"@read", "@hash", "@slow"}
	return []*Command{
		h("hset", -4, w|d|f, wf, "2.0.0", "Set the string value of a hash field", execHSet),
		h("hsetnx", 4, w|d|f, wf, "2.0.0", "Set the value of a hash field, only if the field does not exist", execHSetNX),
		h("hget", 3, r|f, rf, "2.0.0", "Get the value of a hash field", execHGet),
		h("hmget", -3, r|f, rf, "2.0.0", "Get the values of all the given hash fields", execHMGet),
		h("hmset", -4, w|d|f, wf, "2.0.0", "Set multiple hash fields to multiple values", execHSet),
		h("hdel", -3, w|f, wf, "2.0.0", "Delete one or more hash fields", execHDel),
		h("hlen", 2, r|f, rf, "2.0.0", "Get the number of fields in a hash", execHLen),
		h("hstrlen", 3, r|f, rf, "3.2.0", "Get the length of the value of a hash field", execHStrlen),
		h("hexists", 3, r|f, rf, "2.0.0", "Determine if a hash field exists", execHExists),
		h("hkeys", 2, r, rs, "2.0.0", "Get all the fields in a hash", func(c *Ctx, argv [][]byte) { hgetAll(c, argv, true, false) }),
		h("hvals", 2, r, rs, "2.0.0", "Get all the values in a hash", func(c *Ctx, argv [][]byte) { hgetAll(c, argv, false, true) }),
		h("hgetall", 2, r, rs, "2.0.0", "Get all the fields and values in a hash", func(c *Ctx, argv [][]byte) { hgetAll(c, argv, true, true) }),
		h("hincrby", 4, w|d|f, wf, "2.0.0", "Increment the integer value of a hash field by the given number", execHIncrBy),
		h("hincrbyfloat", 4, w|d|f, wf, "2.6.0", "Increment the float value of a hash field by the given amount", execHIncrByFloat),
		h("hscan", -3, r, rs, "2.8.0", "Incrementally iterate hash fields and associated values", func(c *Ctx, argv [][]byte) { hsScan(c, argv, TypeHash) }),
		h("hrandfield", -2, r, rs, "6.2.0", "Get one or multiple random fields from a hash", execHRandField),
	}
}

// execHSet is HSET (replies the number of new fields) and HMSET (+OK).
func execHSet(c *Ctx, argv [][]byte) {
	if len(argv)%2 == 1 {
		c.W.Error("ERR wrong number of arguments for '" + c.name + "' command")
		return
	}
	w, ok := c.hsOpenWrite(argv[1], TypeHash)
	if !ok {
		return
	}
	defer w.release()
	w.create(c)
	var added int64
	for i := 2; i < len(argv); i += 2 {
		_, found, ok := w.get(c, argv[i])
		if !ok {
			return
		}
		w.put(c, argv[i], argv[i+1], found)
		if !found {
			added++
		}
	}
	w.finish(c)
	c.notifyColl(w, NotifyHash, "hset")
	if c.name == "hmset" {
		c.W.OK()
	} else {
		c.W.Int(added)
	}
}

func execHSetNX(c *Ctx, argv [][]byte) {
	w, ok := c.hsOpenWrite(argv[1], TypeHash)
	if !ok {
		return
	}
	defer w.release()
	_, found, ok := w.get(c, argv[2])
	if !ok {
		return
	}
	if found {
		c.W.Int(0)
		return
	}
	w.create(c)
	w.put(c, argv[2], argv[3], false)
	w.finish(c)
	c.notifyColl(w, NotifyHash, "hset")
	c.W.Int(1)
}

// hashField reads one field of a hash for a read command and lets fn reply
// (a missing key or field: found false); WRONGTYPE and storage errors are
// replied here.
func hashField(c *Ctx, key, field []byte, fn func(val []byte, found bool)) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen([][]byte{key})
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeHash {
		c.W.Error(ErrWrongType)
		return
	}
	if !r.live {
		fn(nil, false)
		return
	}
	val, found := v.get(append(appendSubPrefix(nil, r.slot, r.key, r.m.version), field...))
	fn(val, found)
}

func execHDel(c *Ctx, argv [][]byte) { hsRemove(c, argv, TypeHash) }
func execHLen(c *Ctx, argv [][]byte) { hsCount(c, argv, TypeHash) }

func execHGet(c *Ctx, argv [][]byte) {
	hashField(c, argv[1], argv[2], func(val []byte, found bool) {
		if found {
			c.W.Bulk(val)
		} else {
			c.W.Null()
		}
	})
}

func execHStrlen(c *Ctx, argv [][]byte) {
	hashField(c, argv[1], argv[2], func(val []byte, _ bool) { c.W.Int(int64(len(val))) })
}

func execHExists(c *Ctx, argv [][]byte) {
	hashField(c, argv[1], argv[2], func(_ []byte, found bool) {
		if found {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	})
}

func execHMGet(c *Ctx, argv [][]byte) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeHash {
		c.W.Error(ErrWrongType)
		return
	}
	c.W.Array(len(argv) - 2)
	var prefix []byte
	if r.live {
		prefix = appendSubPrefix(nil, r.slot, r.key, r.m.version)
	}
	k := prefix
	for _, field := range argv[2:] {
		if !r.live {
			c.W.Null()
			continue
		}
		k = append(k[:len(prefix)], field...)
		if val, found := v.get(k); found {
			c.W.Bulk(val)
		} else {
			c.W.Null()
		}
	}
}

// hgetAll is HKEYS, HVALS and HGETALL: streamed from one iterator, the
// length taken from the metadata's count (checked against what was read).
func hgetAll(c *Ctx, argv [][]byte, fields, values bool) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeHash {
		c.W.Error(ErrWrongType)
		return
	}
	n := 0
	if r.live {
		n = int(r.m.count)
	}
	if fields && values {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if n == 0 {
		return
	}
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return
	}
	seen := 0
	for valid := it.First(); valid && seen < n; valid = it.Next() {
		if fields {
			c.W.Bulk(it.Key()[len(prefix):])
		}
		if values {
			val, err := it.ValueAndErr()
			v.setErr(err)
			c.W.Bulk(val)
		}
		seen++
	}
	v.setErr(it.Error())
	if seen != n {
		v.setErr(errCorruptMeta)
	}
}

func execHIncrBy(c *Ctx, argv [][]byte) {
	incr, ok := c.parseInt(argv[3])
	if !ok {
		return
	}
	w, ok := c.hsOpenWrite(argv[1], TypeHash)
	if !ok {
		return
	}
	defer w.release()
	val, found, ok := w.get(c, argv[2])
	if !ok {
		return
	}
	var cur int64
	if found {
		if cur, ok = resp.ParseInt(val); !ok {
			c.W.Error("ERR hash value is not an integer")
			return
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.W.Error(ErrOverflow)
		return
	}
	cur += incr
	w.create(c)
	c.valBuf = strconv.AppendInt(c.valBuf[:0], cur, 10)
	w.put(c, argv[2], c.valBuf, found)
	w.finish(c)
	c.notifyColl(w, NotifyHash, "hincrby")
	c.W.Int(cur)
}

func execHIncrByFloat(c *Ctx, argv [][]byte) {
	incr, ok := parseLongDouble(argv[3])
	if !ok {
		c.W.Error(ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.W.Error("ERR value is NaN or Infinity")
		return
	}
	w, ok := c.hsOpenWrite(argv[1], TypeHash)
	if !ok {
		return
	}
	defer w.release()
	val, found, ok := w.get(c, argv[2])
	if !ok {
		return
	}
	cur := newLongDouble()
	if found {
		if cur, ok = parseLongDouble(val); !ok {
			c.W.Error("ERR hash value is not a float")
			return
		}
	}
	if cur.IsInf() {
		c.W.Error("ERR increment would produce NaN or Infinity")
		return
	}
	sum := newLongDouble().Add(cur, incr)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		c.W.Error("ERR increment would produce NaN or Infinity")
		return
	}
	w.create(c)
	c.valBuf = formatLongDouble(c.valBuf[:0], sum)
	w.put(c, argv[2], c.valBuf, found)
	w.finish(c)
	c.notifyColl(w, NotifyHash, "hincrbyfloat")
	c.W.Bulk(c.valBuf)
}

func execHRandField(c *Ctx, argv [][]byte) {
	if len(argv) >= 3 {
		l, ok := hsRandCount(c, argv[2])
		if !ok {
			return
		}
		withValues := len(argv) == 4
		if len(argv) > 4 || (withValues && !eqFold(argv[3], "withvalues")) {
			c.W.Error(ErrSyntax)
			return
		}
		// Redis doubles the count for the reply's length.
		if withValues && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
			c.W.Error("ERR value is out of range")
			return
		}
		hsRandomMembers(c, argv, TypeHash, l, withValues)
		return
	}
	hsRandomSingle(c, argv, TypeHash)
}

// hsRandomSingle answers HRANDFIELD key / SRANDMEMBER key without a count:
// one element picked with the entry's seed, or null for a missing key.
func hsRandomSingle(c *Ctx, argv [][]byte, typ Type) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if !r.live {
		c.W.Null()
		return
	}
	if r.m.typ != typ {
		c.W.Error(ErrWrongType)
		return
	}
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return
	}
	if !hsRandomOne(it, prefix, r.m.count, c.hsRng(argv, &r.m)) {
		v.setErr(it.Error())
		v.setErr(errCorruptMeta)
		return
	}
	c.W.Bulk(it.Key()[len(prefix):])
}

// hsRandCount parses the count of SRANDMEMBER and HRANDFIELD (a long in
// [-LONG_MAX, LONG_MAX], as Redis's getRangeLongFromObjectOrReply).
func hsRandCount(c *Ctx, b []byte) (int64, bool) {
	l, ok := c.parseInt(b)
	if !ok {
		return 0, false
	}
	if l == math.MinInt64 {
		c.W.Error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return l, true
}

// hsRandomMembers is SRANDMEMBER key count and HRANDFIELD key count
// [WITHVALUES]: a positive count asks for distinct members (all of them if
// there are no more), a negative one for -count independent picks.
func hsRandomMembers(c *Ctx, argv [][]byte, t Type, l int64, withValues bool) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if !r.live {
		c.W.Array(0)
		return
	}
	if r.m.typ != t {
		c.W.Error(ErrWrongType)
		return
	}
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	if count == 0 {
		c.W.Array(0)
		return
	}
	pairs := withValues && c.W.RESP3 // RESP3: one [field, value] array per pick
	header := func(n uint64) {
		if withValues && !c.W.RESP3 {
			c.W.Array(int(2 * n))
		} else {
			c.W.Array(int(n))
		}
	}
	entry := func(field, value []byte) {
		if pairs {
			c.W.Array(2)
		}
		c.W.Bulk(field)
		if withValues {
			c.W.Bulk(value)
		}
	}
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return
	}
	rg := c.hsRng(argv, &r.m)
	switch {
	case !uniq:
		if count > hsMaxRandomReply {
			c.W.Error("ERR value is out of range")
			return
		}
		header(count)
		v.setErr(hsRandomRepeated(it, prefix, r.m.count, count, rg, entry))
	case count >= r.m.count:
		header(r.m.count)
		seen := uint64(0)
		for valid := it.First(); valid && seen < r.m.count; valid = it.Next() {
			entry(it.Key()[len(prefix):], it.Value())
			seen++
		}
		v.setErr(it.Error())
		if seen != r.m.count {
			v.setErr(errCorruptMeta)
		}
	default:
		picked, err := hsRandomDistinct(it, prefix, r.m.count, count, rg, withValues)
		v.setErr(err)
		header(uint64(len(picked)))
		for _, e := range picked {
			entry(e.field, e.value)
		}
	}
}
