package engine

import (
	"bytes"
	"math"
	"sort"

	"github.com/neokv/neokv/slots"
)

// SORT and SORT_RO after Redis 7.0's sort.c: numeric or ALPHA order (ties
// broken by the element's bytes), BY and GET patterns ("*" replaced by the
// element, "->field" reading a hash field, "#" the element itself), LIMIT,
// and STORE into a list.
//
// Departure: a pattern may only name keys of the sorted key's slot (use a
// hash tag, as {u}:weight_*), otherwise -CROSSSLOT. SORT runs inside the
// sorted key's Region, on the read path or in its Raft entry; a key of
// another Region would be read from whatever this replica holds of it,
// neither linearizable nor the same on every replica. (Redis Cluster
// refuses BY and GET patterns outright.)

func sortCommands() []*Command {
	storeKeys := func(argv [][]byte) []int {
		keys := []int{1}
		for i := 2; i+1 < len(argv); i++ {
			if eqFold(argv[i], "store") {
				keys = append(keys, i+1)
			}
		}
		return keys
	}
	return []*Command{
		{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM | FlagSameSlotKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "1.0.0",
			Summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
			ACL:     []string{"@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"}, KeysFunc: storeKeys,
			Exec: func(c *Ctx, argv [][]byte) { sortGeneric(c, argv, false) }},
		{Name: "sort_ro", Arity: -2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "7.0.0",
			Summary: "Returns the sorted elements of a list, a set, or a sorted set.",
			ACL:     []string{"@read", "@set", "@sortedset", "@list", "@slow", "@dangerous"},
			Exec:    func(c *Ctx, argv [][]byte) { sortGeneric(c, argv, true) }},
	}
}

type sortItem struct {
	elem   []byte
	score  float64
	cmpobj []byte // BY value for ALPHA (nil: missing)
}

// sortLookup resolves SORT's patterns; crossing records that one named a
// key of another slot (the SORT then fails with -CROSSSLOT).
type sortLookup struct {
	c        *Ctx
	slot     uint16
	crossing bool
}

// byPattern is Redis's lookupKeyByPattern: the value a pattern names for
// elem (a string, or a hash field with "->"), or nil.
func (l *sortLookup) byPattern(pattern, elem []byte) []byte {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem
	}
	if i := bytes.IndexByte(pattern, 0); i >= 0 {
		pattern = pattern[:i] // C string functions stop at NUL
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil
	}
	var field []byte
	keyEnd := len(pattern)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	key := append(append(append([]byte(nil), pattern[:star]...), elem...), pattern[star+1:keyEnd]...)
	if slots.Of(key) != l.slot {
		l.crossing = true
		return nil
	}
	c := l.c
	if field == nil {
		r, ok := c.lookup(key)
		if !ok {
			return nil
		}
		defer r.release()
		if !r.live || r.m.typ != TypeString {
			return nil
		}
		return copyBytes(r.m.value)
	}
	r, ok := c.lookup(key)
	if !ok {
		return nil
	}
	typ, live := r.m.typ, r.live
	r.release()
	if !live || typ != TypeHash {
		return nil
	}
	reply, err := c.subExec(execHGet, "hget", [][]byte{[]byte("hget"), key, field})
	if err != nil || len(reply) < 4 || reply[0] != '$' || reply[1] == '-' {
		return nil
	}
	if v, ok := flatBulks(append([]byte("*1\r\n"), reply...)); ok && len(v) == 1 {
		return copyBytes(v[0])
	}
	return nil
}

func sortGeneric(c *Ctx, argv [][]byte, readOnly bool) {
	var desc, alpha, dontSort bool
	limitStart, limitCount := int64(0), int64(-1)
	var sortBy, storeKey []byte
	var gets [][]byte
	for j := 2; j < len(argv); j++ {
		left := len(argv) - j - 1
		switch a := argv[j]; {
		case eqFold(a, "asc"):
			desc = false
		case eqFold(a, "desc"):
			desc = true
		case eqFold(a, "alpha"):
			alpha = true
		case eqFold(a, "limit") && left >= 2:
			var ok bool
			if limitStart, ok = c.parseInt(argv[j+1]); !ok {
				return
			}
			if limitCount, ok = c.parseInt(argv[j+2]); !ok {
				return
			}
			j += 2
		case !readOnly && eqFold(a, "store") && left >= 1:
			storeKey = argv[j+1]
			j++
		case eqFold(a, "by") && left >= 1:
			sortBy = argv[j+1]
			if bytes.IndexByte(cString(sortBy), '*') < 0 {
				dontSort = true
			}
			j++
		case eqFold(a, "get") && left >= 1:
			gets = append(gets, argv[j+1])
			j++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	typ, live := r.m.typ, r.live
	r.release()
	if live && typ != TypeSet && typ != TypeList && typ != TypeZSet {
		c.W.Error(ErrWrongType)
		return
	}
	if dontSort && live && typ == TypeSet && storeKey != nil {
		// A set's order is arbitrary: sort what gets stored, as Redis does.
		dontSort, alpha, sortBy = false, true, nil
	}
	var elems [][]byte
	if live {
		var reply []byte
		var err error
		switch typ {
		case TypeList:
			reply, err = c.subExec(execLRange, "lrange", [][]byte{[]byte("lrange"), argv[1], []byte("0"), []byte("-1")})
		case TypeSet:
			reply, err = c.subExec(execSMembers, "smembers", [][]byte{[]byte("smembers"), argv[1]})
		case TypeZSet:
			reply, err = c.subExec(func(c *Ctx, a [][]byte) { lzZRange(c, a, 1, nil, 0, false, false) }, "zrange",
				[][]byte{[]byte("zrange"), argv[1], []byte("0"), []byte("-1")})
		}
		if err != nil {
			c.W.Error(err.Error())
			return
		}
		if elems, ok = flatBulks(reply); !ok {
			c.W.Error(errBadFormat)
			return
		}
		for i := range elems {
			elems[i] = copyBytes(elems[i])
		}
	}
	n := int64(len(elems))
	start := min(max(limitStart, 0), n)
	limitCount = min(max(limitCount, -1), n)
	end := n - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	if dontSort && desc && typ != TypeSet {
		// Lists and sorted sets keep their own order, read from the end.
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
	}
	look := &sortLookup{c: c, slot: slots.Of(argv[1])}
	convErr := false
	if !dontSort {
		for i := range items {
			by := items[i].elem
			if sortBy != nil {
				if by = look.byPattern(sortBy, items[i].elem); by == nil {
					continue
				}
			}
			if alpha {
				if sortBy != nil {
					items[i].cmpobj = by
				}
				continue
			}
			v, consumed, erange := lzStrtod(cString(by))
			if consumed != len(cString(by)) || erange || math.IsNaN(v) {
				convErr = true
			}
			items[i].score = v
		}
		cmp := func(a, b *sortItem) int {
			var x int
			switch {
			case !alpha:
				switch {
				case a.score > b.score:
					x = 1
				case a.score < b.score:
					x = -1
				default:
					x = bytes.Compare(a.elem, b.elem)
				}
			case sortBy != nil:
				switch {
				case a.cmpobj == nil && b.cmpobj == nil:
				case a.cmpobj == nil:
					x = -1
				case b.cmpobj == nil:
					x = 1
				case storeKey != nil:
					x = bytes.Compare(a.cmpobj, b.cmpobj)
				default:
					x = bytes.Compare(cString(a.cmpobj), cString(b.cmpobj)) // strcoll in the C locale
				}
			default:
				x = bytes.Compare(a.elem, b.elem)
			}
			if desc {
				return -x
			}
			return x
		}
		sort.SliceStable(items, func(i, j int) bool { return cmp(&items[i], &items[j]) < 0 })
	}
	if look.crossing {
		c.W.Error(ErrCrossSlot)
		return
	}
	var out [][]byte
	var missing []bool
	for j := start; j <= end; j++ {
		e := items[j].elem
		if len(gets) == 0 {
			out, missing = append(out, e), append(missing, false)
			continue
		}
		for _, g := range gets {
			v := look.byPattern(g, e)
			out, missing = append(out, v), append(missing, v == nil)
		}
	}
	if look.crossing {
		c.W.Error(ErrCrossSlot)
		return
	}
	if convErr {
		c.W.Error("ERR One or more scores can't be converted into double")
		return
	}
	if storeKey == nil {
		c.W.Array(len(out))
		for i, v := range out {
			if missing[i] {
				c.W.Null()
			} else {
				c.W.Bulk(v)
			}
		}
		return
	}
	d, ok := c.lookup(storeKey)
	if !ok {
		return
	}
	existed := d.live
	c.deleteKey(&d)
	d.release()
	if len(out) > 0 {
		args := append([][]byte{[]byte("rpush"), storeKey}, out...)
		for i := 2; i < len(args); i++ {
			if args[i] == nil {
				args[i] = []byte{}
			}
		}
		if _, err := c.subExec(func(c *Ctx, a [][]byte) { lzPush(c, a, false, false) }, "rpush", args); err != nil {
			c.W.Error(err.Error())
			return
		}
		if !existed {
			c.notify(NotifyNew, "new", storeKey)
		}
		c.notify(NotifyList, "sortstore", storeKey)
	} else if existed {
		c.notify(NotifyGeneric, "del", storeKey)
	}
	c.W.Int(int64(len(out)))
}

// cString is b up to its first NUL, as C string functions see it.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}
