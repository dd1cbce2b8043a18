package engine

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Set commands, with Redis 7.0's replies, errors and order of checks.
// Layout and shared machinery: typeutil_hs.go. Members are sub-keys with
// empty values, in byte order, so SINTER, SUNION and SDIFF are merges of
// sorted iterators: they stream, whatever the sizes.
//
// The multi-key commands need all their keys in one Region (the server
// answers CROSSSLOT otherwise). SINTERCARD's keys follow a count, which
// FirstKey/LastKey/Step cannot express: its KeysFunc names them exactly
// (Command.KeysOf), and the FirstKey..LastKey fallback names the first key
// only, as for ZINTERCARD and LMPOP.

func setCommands() []*Command {
	w, r, f, d, same := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM, FlagSameSlotKeys
	s := func(name string, arity int, flags Flags, first, last int, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "set",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	wf := []string{"@write", "@set", "@fast"}
	ws := []string{"@write", "@set", "@slow"}
	rf := []string{"@read", "@set", "@fast"}
	rs := []string{"@read", "@set", "@slow"}
	sintercard := s("sintercard", -3, r|same, 2, 2, rs, "7.0.0", "Intersect multiple sets and return the cardinality of the result", execSInterCard)
	sintercard.KeysFunc = func(argv [][]byte) []int { return lzNumKeys(argv, 1) }
	return []*Command{
		s("sadd", -3, w|d|f, 1, 1, wf, "1.0.0", "Add one or more members to a set", execSAdd),
		s("srem", -3, w|f, 1, 1, wf, "1.0.0", "Remove one or more members from a set", execSRem),
		s("smembers", 2, r, 1, 1, rs, "1.0.0", "Get all the members in a set", execSMembers),
		s("sismember", 3, r|f, 1, 1, rf, "1.0.0", "Determine if a given value is a member of a set", execSIsMember),
		s("smismember", -3, r|f, 1, 1, rf, "6.2.0", "Returns the membership associated with the given elements for a set", execSMIsMember),
		s("scard", 2, r|f, 1, 1, rf, "1.0.0", "Get the number of members in a set", execSCard),
		s("spop", -2, w|f, 1, 1, wf, "1.0.0", "Remove and return one or multiple random members from a set", execSPop),
		s("srandmember", -2, r, 1, 1, rs, "1.0.0", "Get one or multiple random members from a set", execSRandMember),
		s("smove", 4, w|f|same, 1, 2, wf, "1.0.0", "Move a member from one set to another", execSMove),
		s("sinter", -2, r|same, 1, -1, rs, "1.0.0", "Intersect multiple sets", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[1:], hsInter, nil, false, 0) }),
		sintercard,
		s("sunion", -2, r|same, 1, -1, rs, "1.0.0", "Add multiple sets", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[1:], hsUnion, nil, false, 0) }),
		s("sdiff", -2, r|same, 1, -1, rs, "1.0.0", "Subtract multiple sets", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[1:], hsDiff, nil, false, 0) }),
		s("sinterstore", -3, w|d|same, 1, -1, ws, "1.0.0", "Intersect multiple sets and store the resulting set in a key", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[2:], hsInter, argv[1], false, 0) }),
		s("sunionstore", -3, w|d|same, 1, -1, ws, "1.0.0", "Add multiple sets and store the resulting set in a key", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[2:], hsUnion, argv[1], false, 0) }),
		s("sdiffstore", -3, w|d|same, 1, -1, ws, "1.0.0", "Subtract multiple sets and store the resulting set in a key", func(c *Ctx, argv [][]byte) { setAlgebra(c, argv[2:], hsDiff, argv[1], false, 0) }),
		s("sscan", -3, r, 1, 1, rs, "2.8.0", "Incrementally iterate Set elements", func(c *Ctx, argv [][]byte) { hsScan(c, argv, TypeSet) }),
	}
}

func execSAdd(c *Ctx, argv [][]byte) {
	w, ok := c.hsOpenWrite(argv[1], TypeSet)
	if !ok {
		return
	}
	defer w.release()
	w.create(c)
	var added int64
	for _, m := range argv[2:] {
		_, found, ok := w.get(c, m)
		if !ok {
			return
		}
		if !found {
			w.put(c, m, nil, false)
			added++
		}
	}
	w.finish(c)
	if added > 0 {
		c.notifyColl(w, NotifySet, "sadd")
	}
	c.W.Int(added)
}

func execSRem(c *Ctx, argv [][]byte)  { hsRemove(c, argv, TypeSet) }
func execSCard(c *Ctx, argv [][]byte) { hsCount(c, argv, TypeSet) }

func execSMembers(c *Ctx, argv [][]byte) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeSet {
		c.W.Error(ErrWrongType)
		return
	}
	if !r.live {
		c.W.Set(0)
		return
	}
	n := int(r.m.count)
	c.W.Set(n)
	prefix := appendSubPrefix(nil, r.slot, r.key, r.m.version)
	it := v.iter(prefix)
	if it == nil {
		return
	}
	seen := 0
	for valid := it.First(); valid && seen < n; valid = it.Next() {
		c.W.Bulk(it.Key()[len(prefix):])
		seen++
	}
	v.setErr(it.Error())
	if seen != n {
		v.setErr(errCorruptMeta)
	}
}

// isMembers answers SISMEMBER (multi false) and SMISMEMBER.
func isMembers(c *Ctx, argv [][]byte, multi bool) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(argv[1:2])
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	r := &recs[0]
	if r.live && r.m.typ != TypeSet {
		c.W.Error(ErrWrongType)
		return
	}
	if multi {
		c.W.Array(len(argv) - 2)
	}
	var prefix []byte
	if r.live {
		prefix = appendSubPrefix(nil, r.slot, r.key, r.m.version)
	}
	k := prefix
	for _, m := range argv[2:] {
		found := false
		if r.live {
			k = append(k[:len(prefix)], m...)
			_, found = v.get(k)
		}
		if found {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
}

func execSIsMember(c *Ctx, argv [][]byte)  { isMembers(c, argv, false) }
func execSMIsMember(c *Ctx, argv [][]byte) { isMembers(c, argv, true) }

func execSPop(c *Ctx, argv [][]byte) {
	if len(argv) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	if len(argv) == 3 {
		spopCount(c, argv)
		return
	}
	w, ok := c.hsOpenWrite(argv[1], TypeSet)
	if !ok {
		return
	}
	defer w.release()
	if !w.exists {
		c.W.Null()
		return
	}
	it, ok := w.iter(c)
	if !ok {
		return
	}
	defer c.hsCloseIter(it)
	if !hsRandomOne(it, w.prefix, w.m.count, c.hsRng(argv, &w.m)) {
		c.fail(fmt.Errorf("spop %q: %w", argv[1], errCorruptMeta))
		return
	}
	m := copyBytes(it.Key()[len(w.prefix):])
	w.del(c, m)
	w.finish(c)
	c.notifyColl(w, NotifySet, "spop")
	c.W.Bulk(m)
}

// spopCount is SPOP key count. Popping most of a set rewrites the members
// that stay under a new version instead (Redis's "case 3"): the old
// version then goes in one range deletion, not one deletion per member.
func spopCount(c *Ctx, argv [][]byte) {
	l, ok := resp.ParseInt(argv[2])
	if !ok || l < 0 {
		c.W.Error("ERR value is out of range, must be positive")
		return
	}
	w, ok := c.hsOpenWrite(argv[1], TypeSet)
	if !ok {
		return
	}
	defer w.release()
	count := uint64(l)
	if !w.exists || count == 0 {
		c.W.Set(0)
		return
	}
	it, ok := w.iter(c)
	if !ok {
		return
	}
	defer c.hsCloseIter(it)
	size := w.m.count
	prefix := copyBytes(w.prefix)
	if count >= size {
		c.W.Set(int(size))
		seen := uint64(0)
		for valid := it.First(); valid && seen < size; valid = it.Next() {
			c.W.Bulk(it.Key()[len(prefix):])
			seen++
		}
		if seen != size {
			c.fail(fmt.Errorf("spop %q: %w", argv[1], errCorruptMeta))
			return
		}
		c.deleteKey(&w.r)
		c.notify(NotifySet, "spop", argv[1])
		c.notify(NotifyGeneric, "del", argv[1])
		return
	}
	rg := c.hsRng(argv, &w.m)
	remaining := size - count
	if remaining*5 > count {
		picked, err := hsRandomDistinct(it, prefix, size, count, rg, false)
		if err != nil {
			c.fail(err)
			return
		}
		c.W.Set(len(picked))
		for _, e := range picked {
			w.del(c, e.field)
			c.W.Bulk(e.field)
		}
		w.finish(c)
		c.notifyColl(w, NotifySet, "spop")
		return
	}
	keep, err := hsRandomDistinct(it, prefix, size, remaining, rg, false)
	if err != nil {
		c.fail(err)
		return
	}
	kept := make(map[string]struct{}, len(keep))
	for _, e := range keep {
		kept[string(e.field)] = struct{}{}
	}
	at := w.m.expireAt
	w.replace(c)
	w.m.expireAt = at // the key stays, with its TTL
	c.W.Set(int(size) - len(kept))
	for valid := it.First(); valid; valid = it.Next() {
		m := it.Key()[len(prefix):]
		if _, ok := kept[string(m)]; ok {
			w.put(c, m, nil, false)
		} else {
			c.W.Bulk(m)
		}
	}
	w.finish(c)
	c.notifyColl(w, NotifySet, "spop")
}

func execSRandMember(c *Ctx, argv [][]byte) {
	if len(argv) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	if len(argv) == 3 {
		l, ok := hsRandCount(c, argv[2])
		if !ok {
			return
		}
		hsRandomMembers(c, argv, TypeSet, l, false)
		return
	}
	hsRandomSingle(c, argv, TypeSet)
}

func execSMove(c *Ctx, argv [][]byte) {
	src, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	ws := hsNewColl(src, TypeSet)
	defer ws.release()
	dst, ok := c.lookup(argv[2])
	if !ok {
		return
	}
	wd := hsNewColl(dst, TypeSet)
	defer wd.release()
	if !src.live {
		c.W.Int(0)
		return
	}
	if src.m.typ != TypeSet || (dst.live && dst.m.typ != TypeSet) {
		c.W.Error(ErrWrongType)
		return
	}
	member := argv[3]
	_, found, ok := ws.get(c, member)
	if !ok {
		return
	}
	if bytes.Equal(argv[1], argv[2]) || !found {
		// Moving within one set changes nothing.
		if found {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
		return
	}
	ws.del(c, member)
	ws.finish(c)
	c.notifyColl(ws, NotifySet, "srem")
	_, found, ok = wd.get(c, member)
	if !ok {
		return
	}
	if !found {
		wd.create(c)
		wd.put(c, member, nil, false)
		wd.finish(c)
		c.notifyColl(wd, NotifySet, "sadd")
	}
	c.W.Int(1)
}

func execSInterCard(c *Ctx, argv [][]byte) {
	numkeys, ok := resp.ParseInt(argv[1])
	if !ok || numkeys < 1 {
		c.W.Error("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(argv)-2) {
		c.W.Error("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for j := 2 + int(numkeys); j < len(argv); j++ {
		if eqFold(argv[j], "limit") && j+1 < len(argv) {
			j++
			l, ok := resp.ParseInt(argv[j])
			if !ok || l < 0 {
				c.W.Error("ERR LIMIT can't be negative")
				return
			}
			limit = l
			continue
		}
		c.W.Error(ErrSyntax)
		return
	}
	setAlgebra(c, argv[2:2+numkeys], hsInter, nil, true, limit)
}

type hsSetOp uint8

const (
	hsInter hsSetOp = iota
	hsUnion
	hsDiff
)

// setAlgebra is SINTER, SUNION and SDIFF; with dst, their *STORE forms
// (which replace dst, whatever it held, or delete it if the result is
// empty); with card, SINTERCARD (limit 0: no limit). Results come out in
// byte order, so they are written as they are found (to dst's new version,
// or to the reply, whose length is filled in at the end).
func setAlgebra(c *Ctx, keys [][]byte, op hsSetOp, dst []byte, card bool, limit int64) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(keys)
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	for i := range recs {
		if recs[i].live && recs[i].m.typ != TypeSet {
			c.W.Error(ErrWrongType)
			return
		}
	}
	// The sets that take part, with their iterators (opened before any
	// write, so a dst that is also a source is read as it was).
	type operand struct {
		key    []byte
		prefix []byte
		it     *pebble.Iterator
		count  uint64
	}
	var ops []operand
	empty := false
	for i := range recs {
		r := &recs[i]
		if !r.live {
			if op == hsInter || (op == hsDiff && i == 0) {
				empty = true
				break
			}
			continue
		}
		p := appendSubPrefix(nil, r.slot, r.key, r.m.version)
		it := v.iter(p)
		if it == nil {
			return
		}
		ops = append(ops, operand{key: r.key, prefix: p, it: it, count: r.m.count})
	}
	var out *hsColl
	if dst != nil {
		d, ok := c.lookup(dst)
		if !ok {
			return
		}
		out = hsNewColl(d, TypeSet)
		defer out.release()
		out.replace(c)
	}
	n := 0
	body := len(c.W.B)
	emit := func(m []byte) {
		n++
		switch {
		case out != nil:
			out.put(c, m, nil, false)
		case !card:
			c.W.Bulk(m)
		}
	}
	if !empty && len(ops) > 0 {
		switch op {
		case hsInter:
			// Walk the smallest set; look each member up in the others.
			sort.SliceStable(ops, func(i, j int) bool { return ops[i].count < ops[j].count })
			var probe []byte
			first := &ops[0]
			for valid := first.it.First(); valid; valid = first.it.Next() {
				m := first.it.Key()[len(first.prefix):]
				in := true
				for j := 1; j < len(ops) && in; j++ {
					o := &ops[j]
					if bytes.Equal(o.key, first.key) {
						continue
					}
					probe = append(append(probe[:0], o.prefix...), m...)
					in = o.it.SeekGE(probe) && bytes.Equal(o.it.Key(), probe)
				}
				if in {
					emit(m)
					if limit > 0 && int64(n) >= limit {
						break
					}
				}
			}
		case hsUnion:
			// Merge the sorted iterators, emitting each member once.
			valid := make([]bool, len(ops))
			for i := range ops {
				valid[i] = ops[i].it.First()
			}
			var cur []byte
			for {
				var least []byte
				for i := range ops {
					if valid[i] {
						if m := ops[i].it.Key()[len(ops[i].prefix):]; least == nil || bytes.Compare(m, least) < 0 {
							least = m
						}
					}
				}
				if least == nil {
					break
				}
				cur = append(cur[:0], least...)
				emit(cur)
				for i := range ops {
					if valid[i] && bytes.Equal(ops[i].it.Key()[len(ops[i].prefix):], cur) {
						valid[i] = ops[i].it.Next()
					}
				}
			}
		case hsDiff:
			var probe []byte
			first := &ops[0]
			for valid := first.it.First(); valid; valid = first.it.Next() {
				m := first.it.Key()[len(first.prefix):]
				in := true
				for j := 1; j < len(ops) && in; j++ {
					o := &ops[j]
					if bytes.Equal(o.key, first.key) {
						in = false
						break
					}
					probe = append(append(probe[:0], o.prefix...), m...)
					in = !(o.it.SeekGE(probe) && bytes.Equal(o.it.Key(), probe))
				}
				if in {
					emit(m)
				}
			}
		}
		for i := range ops {
			v.setErr(ops[i].it.Error())
		}
	}
	switch {
	case out != nil:
		wasLive := out.r.live
		out.finish(c)
		if out.exists {
			c.notify(NotifySet, [...]string{hsInter: "sinterstore", hsUnion: "sunionstore", hsDiff: "sdiffstore"}[op], out.r.key)
		} else if wasLive {
			c.notify(NotifyGeneric, "del", out.r.key)
		}
		c.W.Int(int64(n))
	case card:
		c.W.Int(int64(n))
	default:
		c.hsDeferredLen(body, n, true)
	}
}
