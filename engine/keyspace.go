package engine

import (
	"bytes"
	"math"
)

func keyCommands() []*Command {
	w, r, f := FlagWrite, FlagReadOnly, FlagFast
	kc := func(name string, arity int, flags Flags, first, last int, acl []string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "generic", ACL: acl, Exec: exec}
	}
	wf := []string{"@keyspace", "@write", "@fast"}
	ws := []string{"@keyspace", "@write", "@slow"}
	rf := []string{"@keyspace", "@read", "@fast"}
	cmds := []*Command{
		{Name: "del", Arity: -2, Flags: w | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 1, Merge: MergeSum, Group: "generic", ACL: ws, Exec: execDel},
		{Name: "unlink", Arity: -2, Flags: w | f | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 1, Merge: MergeSum, Group: "generic", ACL: wf, Exec: execDel},
		{Name: "exists", Arity: -2, Flags: r | f | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 1, Merge: MergeSum, Group: "generic", ACL: rf, Exec: execExists},
		{Name: "touch", Arity: -2, Flags: r | f | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 1, Merge: MergeSum, Group: "generic", ACL: rf, Exec: execExists},
		kc("type", 2, r|f, 1, 1, rf, execType),
		kc("rename", 3, w|FlagSameSlotKeys, 1, 2, ws, execRename),
		kc("renamenx", 3, w|f|FlagSameSlotKeys, 1, 2, wf, execRenameNX),
		kc("copy", -3, w|FlagDenyOOM|FlagSameSlotKeys, 1, 2, ws, execCopy),
		kc("expire", -3, w|f, 1, 1, wf, expireCmd(1000, false)),
		kc("pexpire", -3, w|f, 1, 1, wf, expireCmd(1, false)),
		kc("expireat", -3, w|f, 1, 1, wf, expireCmd(1000, true)),
		kc("pexpireat", -3, w|f, 1, 1, wf, expireCmd(1, true)),
		kc("ttl", 2, r|f, 1, 1, rf, ttlCmd(false, false)),
		kc("pttl", 2, r|f, 1, 1, rf, ttlCmd(true, false)),
		kc("expiretime", 2, r|f, 1, 1, rf, ttlCmd(false, true)),
		kc("pexpiretime", 2, r|f, 1, 1, rf, ttlCmd(true, true)),
		kc("persist", 2, w|f, 1, 1, wf, execPersist),
	}
	return cmds
}

func execDel(c *Ctx, argv [][]byte) {
	var n int64
	for _, k := range argv[1:] {
		r, ok := c.lookup(k)
		if !ok {
			return
		}
		live := r.live
		c.deleteKey(&r)
		if live {
			n++
			c.notify(NotifyGeneric, "del", k)
		}
		r.release()
	}
	c.W.Int(n)
}

func execExists(c *Ctx, argv [][]byte) {
	var n int64
	for _, k := range argv[1:] {
		r, ok := c.lookup(k)
		if !ok {
			return
		}
		if r.live {
			n++
		}
		r.release()
	}
	c.W.Int(n)
}

func execType(c *Ctx, argv [][]byte) {
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Simple("none")
		return
	}
	c.W.Simple(r.m.typ.Name())
}

func execRename(c *Ctx, argv [][]byte)   { renameGeneric(c, argv, false) }
func execRenameNX(c *Ctx, argv [][]byte) { renameGeneric(c, argv, true) }

func renameGeneric(c *Ctx, argv [][]byte, nx bool) {
	src, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer src.release()
	if !src.live {
		c.W.Error(ErrNoSuchKey)
		return
	}
	if bytes.Equal(argv[1], argv[2]) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return
	}
	dst, ok := c.lookup(argv[2])
	if !ok {
		return
	}
	defer dst.release()
	if nx && dst.live {
		c.W.Int(0)
		return
	}
	if dst.live {
		// Redis deletes the destination and adds it again.
		c.notify(NotifyNew, "new", argv[2])
	}
	if !c.copyValue(&src, &dst, src.m.expireAt) {
		return
	}
	c.deleteKey(&src)
	c.notify(NotifyGeneric, "rename_from", argv[1])
	c.notify(NotifyGeneric, "rename_to", argv[2])
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

func execCopy(c *Ctx, argv [][]byte) {
	replace := false
	for j := 3; j < len(argv); j++ {
		switch {
		case eqFold(argv[j], "replace"):
			replace = true
		case eqFold(argv[j], "db") && j+1 < len(argv):
			db, ok := c.parseInt(argv[j+1])
			if !ok {
				return
			}
			// Redis reads the index as a C int (getIntFromObjectOrReply)
			// before it tries to select it.
			if db < math.MinInt32 || db > math.MaxInt32 {
				c.W.Error("ERR value is out of range, value must between -2147483648 and 2147483647")
				return
			}
			if db != 0 {
				c.W.Error(ErrDBIndex)
				return
			}
			j++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if bytes.Equal(argv[1], argv[2]) {
		c.W.Error("ERR source and destination objects are the same")
		return
	}
	src, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer src.release()
	if !src.live {
		c.W.Int(0)
		return
	}
	dst, ok := c.lookup(argv[2])
	if !ok {
		return
	}
	defer dst.release()
	if dst.live && !replace {
		c.W.Int(0)
		return
	}
	if dst.live {
		c.notify(NotifyNew, "new", argv[2]) // as for RENAME
	}
	if c.copyValue(&src, &dst, src.m.expireAt) {
		c.notify(NotifyGeneric, "copy_to", argv[2])
		c.W.Int(1)
	}
}

// copyValue makes dst hold a copy of src's value with expiry at.
func (c *Ctx) copyValue(src, dst *rec, at int64) bool {
	switch src.m.typ {
	case TypeString:
		c.setString(dst, copyBytes(src.m.value), at)
		return true
	default:
		return c.copyCollection(src, dst, at)
	}
}

// expireCmd builds EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT (Redis's
// expireGenericCommand).
func expireCmd(unit int64, absolute bool) func(c *Ctx, argv [][]byte) {
	return func(c *Ctx, argv [][]byte) {
		var nx, xx, gt, lt bool
		for _, opt := range argv[3:] {
			switch {
			case eqFold(opt, "nx"):
				nx = true
			case eqFold(opt, "xx"):
				xx = true
			case eqFold(opt, "gt"):
				gt = true
			case eqFold(opt, "lt"):
				lt = true
			default:
				c.W.Error("ERR Unsupported option " + string(opt))
				return
			}
		}
		if nx && (xx || gt || lt) {
			c.W.Error("ERR NX and XX, GT or LT options at the same time are not compatible")
			return
		}
		if gt && lt {
			c.W.Error("ERR GT and LT options at the same time are not compatible")
			return
		}
		when, ok := c.parseInt(argv[2])
		if !ok {
			return
		}
		if unit == 1000 {
			if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
				c.errExpireTime()
				return
			}
			when *= 1000
		}
		if !absolute {
			if when > math.MaxInt64-c.now {
				c.errExpireTime()
				return
			}
			when += c.now
		}
		r, ok := c.lookup(argv[1])
		if !ok {
			return
		}
		defer r.release()
		if !r.live {
			c.W.Int(0)
			return
		}
		cur := r.m.expireAt // 0: no expiry, which GT treats as infinite
		switch {
		case nx && cur != 0, xx && cur == 0, gt && (cur == 0 || when <= cur), lt && cur != 0 && when >= cur:
			c.W.Int(0)
			return
		}
		if when <= c.now {
			c.deleteKey(&r)
			c.notify(NotifyGeneric, "del", argv[1])
			c.W.Int(1)
			return
		}
		c.setExpiry(&r, when)
		c.notify(NotifyGeneric, "expire", argv[1])
		c.W.Int(1)
	}
}

// setExpiry rewrites a live key's metadata with a new expiry (0 = none).
func (c *Ctx) setExpiry(r *rec, at int64) {
	m := r.m
	m.expireAt = at
	if m.typ == TypeString {
		m.value = copyBytes(m.value)
	}
	c.putMeta(r, &m)
	r.m = m
}

func ttlCmd(ms, absolute bool) func(c *Ctx, argv [][]byte) {
	return func(c *Ctx, argv [][]byte) {
		r, ok := c.lookup(argv[1])
		if !ok {
			return
		}
		defer r.release()
		switch {
		case !r.live:
			c.W.Int(-2)
		case r.m.expireAt == 0:
			c.W.Int(-1)
		case absolute && ms:
			c.W.Int(r.m.expireAt)
		case absolute:
			c.W.Int(msToRoundedSeconds(r.m.expireAt))
		default:
			ttl := r.m.expireAt - c.now
			if ttl < 0 {
				ttl = 0
			}
			if ms {
				c.W.Int(ttl)
			} else {
				c.W.Int(msToRoundedSeconds(ttl))
			}
		}
	}
}

// msToRoundedSeconds is Redis's (ms+500)/1000, which TTL and EXPIRETIME
// both use (EXPIRETIME of an expiry at 1999 ms is 2, not 1). It is written
// so that it cannot overflow: for PEXPIREAT 9223372036854775807 Redis
// answers EXPIRETIME 9223372036854776, the rounded value.
func msToRoundedSeconds(ms int64) int64 {
	return ms/1000 + (ms%1000+500)/1000
}

func execPersist(c *Ctx, argv [][]byte) {
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live || r.m.expireAt == 0 {
		c.W.Int(0)
		return
	}
	c.setExpiry(&r, 0)
	c.notify(NotifyGeneric, "persist", argv[1])
	c.W.Int(1)
}

// execExpireDel is active expiry's delete: "expiredel key at" removes key
// only if it still carries expiry `at` and that time has passed by the
// entry's clock, so a key rewritten since the scan survives.
func execExpireDel(c *Ctx, argv [][]byte) {
	if len(argv) != 3 {
		c.W.Error(ErrSyntax)
		return
	}
	at, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if r.physical && r.m.expireAt == at {
		if r.m.expiredAt(c.now) {
			c.deleteKey(&r)
			c.db.expired.Add(1)
			c.W.Int(1)
			return
		}
		c.W.Int(0)
		return
	}
	// The index entry outlived its key (rewritten, or dropped by a flush).
	c.keyBuf = appendExpireKey(c.keyBuf[:0], at, r.slot, r.key)
	c.setErr(c.b.Delete(c.keyBuf, nil))
	c.W.Int(0)
}
