package engine

import (
	"math"
	"strconv"

	"github.com/neokv/neokv/resp"
)

func stringCommands() []*Command {
	w, r, f, d := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM
	str := func(name string, arity int, flags Flags, first, last, step int, acl []string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: step, Group: "string", ACL: acl, Exec: exec}
	}
	wr := []string{"@write", "@string", "@slow"}
	wf := []string{"@write", "@string", "@fast"}
	rf := []string{"@read", "@string", "@fast"}
	return []*Command{
		str("get", 2, r|f, 1, 1, 1, rf, execGet),
		str("set", -3, w|d, 1, 1, 1, wr, execSet),
		str("setnx", 3, w|d|f, 1, 1, 1, wf, execSetNX),
		str("setex", 4, w|d, 1, 1, 1, wr, execSetEX),
		str("psetex", 4, w|d, 1, 1, 1, wr, execPSetEX),
		str("getset", 3, w|d|f, 1, 1, 1, wf, execGetSet),
		str("getdel", 2, w|f, 1, 1, 1, wf, execGetDel),
		str("getex", -2, w|f, 1, 1, 1, wf, execGetEx),
		{Name: "mget", Arity: -2, Flags: r | f | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 1, Merge: MergeArray, Group: "string", ACL: rf, Exec: execMGet},
		{Name: "mset", Arity: -3, Flags: w | d | FlagMultiKey, FirstKey: 1, LastKey: -1, Step: 2, Merge: MergeKeyPairs, Group: "string", ACL: wr, Exec: execMSet},
		str("msetnx", -3, w|d|FlagSameSlotKeys, 1, -1, 2, wr, execMSetNX),
		str("incr", 2, w|d|f, 1, 1, 1, wf, execIncr),
		str("decr", 2, w|d|f, 1, 1, 1, wf, execDecr),
		str("incrby", 3, w|d|f, 1, 1, 1, wf, execIncrBy),
		str("decrby", 3, w|d|f, 1, 1, 1, wf, execDecrBy),
		str("incrbyfloat", 3, w|d|f, 1, 1, 1, wf, execIncrByFloat),
		str("append", 3, w|d|f, 1, 1, 1, wf, execAppend),
		str("strlen", 2, r|f, 1, 1, 1, rf, execStrlen),
		str("getrange", 4, r, 1, 1, 1, []string{"@read", "@string", "@slow"}, execGetRange),
		str("substr", 4, r, 1, 1, 1, []string{"@read", "@string", "@slow"}, execGetRange),
		str("setrange", 4, w|d, 1, 1, 1, wr, execSetRange),
		str("lcs", -3, r|FlagSameSlotKeys, 1, 2, 1, []string{"@read", "@string", "@slow"}, execLCS),
	}
}

func execGet(c *Ctx, argv [][]byte) {
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Null()
		return
	}
	c.W.Bulk(r.m.value)
}

// setFlags are SET's and GETEX's options (Redis's OBJ_SET_* flags).
type setFlags struct {
	nx, xx, get, keepTTL, persist bool
	unit                          int64 // 1000 for EX/EXAT, 1 for PX/PXAT, 0 if no expiry given
	absolute                      bool
	expire                        []byte
}

// parseSetFlags follows Redis's parseExtendedStringArgumentsOrReply.
func parseSetFlags(c *Ctx, argv [][]byte, isSet bool) (f setFlags, ok bool) {
	for j := 0; j < len(argv); j++ {
		opt := argv[j]
		hasNext := j+1 < len(argv)
		isExpire := eqFold(opt, "ex") || eqFold(opt, "px") || eqFold(opt, "exat") || eqFold(opt, "pxat")
		var unit int64 = 1
		if isExpire && (opt[0] == 'e' || opt[0] == 'E') {
			unit = 1000
		}
		// Redis refuses a second expiry option only when it is a different
		// one: "EX 10 EX 20" is accepted and the last value wins.
		otherExpire := f.unit != 0 && (f.unit != unit || f.absolute != (len(opt) == 4))
		switch {
		case isSet && eqFold(opt, "nx") && !f.xx:
			f.nx = true
		case isSet && eqFold(opt, "xx") && !f.nx:
			f.xx = true
		case isSet && eqFold(opt, "get"):
			f.get = true
		case isSet && eqFold(opt, "keepttl") && !f.persist && f.unit == 0:
			f.keepTTL = true
		case !isSet && eqFold(opt, "persist") && f.unit == 0 && !f.keepTTL:
			f.persist = true
		case isExpire && !f.keepTTL && !f.persist && !otherExpire && hasNext:
			f.unit = unit
			f.absolute = len(opt) == 4
			f.expire = argv[j+1]
			j++
		default:
			c.W.Error(ErrSyntax)
			return f, false
		}
	}
	return f, true
}

// expireAt turns an EX/PX/EXAT/PXAT argument into an absolute time, with
// Redis's checks (getExpireMillisecondsOrReply).
func (c *Ctx) expireAt(arg []byte, unit int64, absolute bool) (int64, bool) {
	v, ok := c.parseInt(arg)
	if !ok {
		return 0, false
	}
	if v <= 0 || (unit == 1000 && v > math.MaxInt64/1000) {
		c.errExpireTime()
		return 0, false
	}
	v *= unit
	if !absolute {
		if v > math.MaxInt64-c.now {
			c.errExpireTime()
			return 0, false
		}
		v += c.now
	}
	if v <= 0 {
		c.errExpireTime()
		return 0, false
	}
	return v, true
}

func execSet(c *Ctx, argv [][]byte) {
	f, ok := parseSetFlags(c, argv[3:], true)
	if !ok {
		return
	}
	setGeneric(c, argv[1], argv[2], f)
}

func setGeneric(c *Ctx, key, value []byte, f setFlags) {
	var at int64
	if f.unit != 0 {
		var ok bool
		if at, ok = c.expireAt(f.expire, f.unit, f.absolute); !ok {
			return
		}
	}
	r, ok := c.lookup(key)
	if !ok {
		return
	}
	defer r.release()
	if f.get {
		if r.live && r.m.typ != TypeString {
			c.W.Error(ErrWrongType)
			return
		}
		if r.live {
			c.W.Bulk(r.m.value)
		} else {
			c.W.Null()
		}
	}
	if (f.nx && r.live) || (f.xx && !r.live) {
		if !f.get {
			c.W.Null()
		}
		return
	}
	if f.keepTTL && r.live {
		at = r.m.expireAt
	}
	if at != 0 && at <= c.now {
		// Already expired: the key ends up absent, exactly as if it had
		// been set and then expired.
		// Its events are those of a set, then an expiry (Redis sends
		// "expired" when it gets to the key; here that is now).
		wasLive := r.live
		c.deleteKey(&r)
		if !wasLive {
			c.notify(NotifyNew, "new", key)
		}
		c.notify(NotifyString, "set", key)
		c.notify(NotifyGeneric, "expire", key)
		c.notify(NotifyExpired, "expired", key)
	} else {
		c.setString(&r, value, at)
		c.notify(NotifyString, "set", key)
		if f.unit != 0 {
			c.notify(NotifyGeneric, "expire", key)
		}
	}
	if !f.get {
		c.W.OK()
	}
}

func execSetNX(c *Ctx, argv [][]byte) {
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if r.live {
		c.W.Int(0)
		return
	}
	c.setString(&r, argv[2], 0)
	c.notify(NotifyString, "set", argv[1])
	c.W.Int(1)
}

func execSetEX(c *Ctx, argv [][]byte) {
	setGeneric(c, argv[1], argv[3], setFlags{unit: 1000, expire: argv[2]})
}

func execPSetEX(c *Ctx, argv [][]byte) {
	setGeneric(c, argv[1], argv[3], setFlags{unit: 1, expire: argv[2]})
}

func execGetSet(c *Ctx, argv [][]byte) {
	setGeneric(c, argv[1], argv[2], setFlags{get: true})
}

func execGetDel(c *Ctx, argv [][]byte) {
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Null()
		return
	}
	c.W.Bulk(r.m.value)
	c.deleteKey(&r)
	c.notify(NotifyGeneric, "del", argv[1])
}

func execGetEx(c *Ctx, argv [][]byte) {
	f, ok := parseSetFlags(c, argv[2:], false)
	if !ok {
		return
	}
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		// Redis looks the key up before it validates the expiry, so a
		// missing key answers null even to "GETEX k EX -1".
		c.W.Null()
		return
	}
	var at int64
	if f.unit != 0 {
		if at, ok = c.expireAt(f.expire, f.unit, f.absolute); !ok {
			return
		}
	}
	c.W.Bulk(r.m.value)
	switch {
	case f.unit != 0 && at <= c.now:
		c.deleteKey(&r)
		c.notify(NotifyGeneric, "del", argv[1])
	case f.unit != 0:
		c.setString(&r, copyBytes(r.m.value), at)
		c.notify(NotifyGeneric, "expire", argv[1])
	case f.persist && r.m.expireAt != 0:
		c.setString(&r, copyBytes(r.m.value), 0)
		c.notify(NotifyGeneric, "persist", argv[1])
	}
}

func execMGet(c *Ctx, argv [][]byte) {
	c.W.Array(len(argv) - 1)
	for _, k := range argv[1:] {
		r, ok := c.lookup(k)
		if !ok {
			return
		}
		if r.live && r.m.typ == TypeString {
			c.W.Bulk(r.m.value)
		} else {
			c.W.Null()
		}
		r.release()
	}
}

func execMSet(c *Ctx, argv [][]byte) {
	if len(argv)%2 != 1 {
		c.W.Error("ERR wrong number of arguments for '" + c.name + "' command")
		return
	}
	for i := 1; i < len(argv); i += 2 {
		r, ok := c.lookup(argv[i])
		if !ok {
			return
		}
		c.setString(&r, argv[i+1], 0)
		c.notify(NotifyString, "set", argv[i])
		r.release()
	}
	c.W.OK()
}

func execMSetNX(c *Ctx, argv [][]byte) {
	if len(argv)%2 != 1 {
		c.W.Error("ERR wrong number of arguments for '" + c.name + "' command")
		return
	}
	for i := 1; i < len(argv); i += 2 {
		r, ok := c.lookup(argv[i])
		if !ok {
			return
		}
		live := r.live
		r.release()
		if live {
			c.W.Int(0)
			return
		}
	}
	for i := 1; i < len(argv); i += 2 {
		r, ok := c.lookup(argv[i])
		if !ok {
			return
		}
		c.setString(&r, argv[i+1], 0)
		c.notify(NotifyString, "set", argv[i])
		r.release()
	}
	c.W.Int(1)
}

func execIncr(c *Ctx, argv [][]byte) { incrBy(c, argv[1], 1) }
func execDecr(c *Ctx, argv [][]byte) { incrBy(c, argv[1], -1) }
func execIncrBy(c *Ctx, argv [][]byte) {
	if n, ok := c.parseInt(argv[2]); ok {
		incrBy(c, argv[1], n)
	}
}
func execDecrBy(c *Ctx, argv [][]byte) {
	n, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.W.Error("ERR decrement would overflow")
		return
	}
	incrBy(c, argv[1], -n)
}

func incrBy(c *Ctx, key []byte, by int64) {
	r, ok := c.lookupString(key)
	if !ok {
		return
	}
	defer r.release()
	var cur int64
	at := int64(0)
	if r.live {
		if cur, ok = resp.ParseInt(r.m.value); !ok {
			c.W.Error(ErrNotInteger)
			return
		}
		at = r.m.expireAt
	}
	if (by < 0 && cur < 0 && by < math.MinInt64-cur) || (by > 0 && cur > 0 && by > math.MaxInt64-cur) {
		c.W.Error(ErrOverflow)
		return
	}
	cur += by
	c.valBuf = strconv.AppendInt(c.valBuf[:0], cur, 10)
	c.setString(&r, c.valBuf, at)
	c.notify(NotifyString, "incrby", key)
	c.W.Int(cur)
}

func execIncrByFloat(c *Ctx, argv [][]byte) {
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	cur := newLongDouble()
	at := int64(0)
	if r.live {
		if cur, ok = parseLongDouble(r.m.value); !ok {
			c.W.Error(ErrNotFloat)
			return
		}
		at = r.m.expireAt
	}
	by, ok := parseLongDouble(argv[2])
	if !ok {
		c.W.Error(ErrNotFloat)
		return
	}
	// inf+x is inf and inf-inf is NaN: Redis refuses both (and big.Float
	// panics on the latter).
	if cur.IsInf() || by.IsInf() {
		c.W.Error("ERR increment would produce NaN or Infinity")
		return
	}
	sum := newLongDouble().Add(cur, by)
	if sum.Sign() != 0 && sum.MantExp(nil) > ldMaxExp {
		c.W.Error("ERR increment would produce NaN or Infinity") // overflowed to inf
		return
	}
	c.valBuf = formatLongDouble(c.valBuf[:0], sum)
	c.setString(&r, c.valBuf, at)
	c.notify(NotifyString, "incrbyfloat", argv[1])
	c.W.Bulk(c.valBuf)
}

func execAppend(c *Ctx, argv [][]byte) {
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.setString(&r, argv[2], 0)
		c.notify(NotifyString, "append", argv[1])
		c.W.Int(int64(len(argv[2])))
		return
	}
	if int64(len(r.m.value))+int64(len(argv[2])) > c.db.maxBulkLen {
		c.W.Error(ErrStringTooLong)
		return
	}
	c.valBuf = append(append(c.valBuf[:0], r.m.value...), argv[2]...)
	c.setString(&r, c.valBuf, r.m.expireAt)
	c.notify(NotifyString, "append", argv[1])
	c.W.Int(int64(len(c.valBuf)))
}

func execStrlen(c *Ctx, argv [][]byte) {
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(len(r.m.value)))
}

func execGetRange(c *Ctx, argv [][]byte) {
	start, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	end, ok := c.parseInt(argv[3])
	if !ok {
		return
	}
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	var s []byte
	if r.live {
		s = r.m.value
	}
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.W.Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W.Bulk(nil)
		return
	}
	c.W.Bulk(s[start : end+1])
}

func execSetRange(c *Ctx, argv [][]byte) {
	offset, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	if offset < 0 {
		c.W.Error("ERR offset is out of range")
		return
	}
	val := argv[3]
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	var cur []byte
	if r.live {
		cur = r.m.value
	}
	if len(val) == 0 {
		c.W.Int(int64(len(cur)))
		return
	}
	// Written so that it cannot overflow: offset may be near MaxInt64.
	if offset > c.db.maxBulkLen-int64(len(val)) {
		c.W.Error(ErrStringTooLong)
		return
	}
	need := int(offset) + len(val)
	size := len(cur)
	if need > size {
		size = need
	}
	buf := make([]byte, size)
	copy(buf, cur)
	copy(buf[offset:], val)
	at := int64(0)
	if r.live {
		at = r.m.expireAt
	}
	c.setString(&r, buf, at)
	c.notify(NotifyString, "setrange", argv[1])
	c.W.Int(int64(size))
}

// execLCS follows Redis 7's lcsCommand, including the order of its checks
// and of its matches.
func execLCS(c *Ctx, argv [][]byte) {
	var vals [2][]byte
	for i := 0; i < 2; i++ {
		r, ok := c.lookup(argv[1+i])
		if !ok {
			return
		}
		if r.live && r.m.typ != TypeString {
			r.release()
			c.W.Error("ERR The specified keys must contain string values")
			return
		}
		if r.live {
			vals[i] = copyBytes(r.m.value)
		}
		r.release()
	}
	var getLen, getIdx, withMatchLen bool
	minMatchLen := int64(0)
	for j := 3; j < len(argv); j++ {
		opt := argv[j]
		switch {
		case eqFold(opt, "idx"):
			getIdx = true
		case eqFold(opt, "len"):
			getLen = true
		case eqFold(opt, "withmatchlen"):
			withMatchLen = true
		case eqFold(opt, "minmatchlen") && j+1 < len(argv):
			v, ok := c.parseInt(argv[j+1])
			if !ok {
				return
			}
			if v < 0 {
				v = 0
			}
			minMatchLen = v
			j++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if getIdx && getLen {
		c.W.Error("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	a, b := vals[0], vals[1]
	alen, blen := len(a), len(b)
	// Redis refuses a table (4 bytes a cell) larger than proto-max-bulk-len
	// before it tries to allocate one; with the default 512 MiB that is
	// 2^27 cells.
	if int64(alen+1)*int64(blen+1)*4 > c.db.maxBulkLen {
		c.W.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	dp := make([]uint32, (alen+1)*(blen+1))
	at := func(i, j int) *uint32 { return &dp[j*(alen+1)+i] }
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			if a[i-1] == b[j-1] {
				*at(i, j) = *at(i-1, j-1) + 1
			} else if l, r := *at(i-1, j), *at(i, j-1); l > r {
				*at(i, j) = l
			} else {
				*at(i, j) = r
			}
		}
	}
	idx := int(*at(alen, blen))
	if getLen {
		c.W.Int(int64(idx))
		return
	}
	result := make([]byte, idx)
	type match struct{ a1, a2, b1, b2 int }
	var matches []match
	arangeStart, arangeEnd, brangeStart, brangeEnd := alen, 0, 0, 0
	i, j := alen, blen
	for i > 0 && j > 0 {
		emitRange := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if arangeStart == alen {
				arangeStart, arangeEnd = i-1, i-1
				brangeStart, brangeEnd = j-1, j-1
			} else if arangeStart == i && brangeStart == j {
				arangeStart--
				brangeStart--
			} else {
				emitRange = true
			}
			if arangeStart == 0 || brangeStart == 0 {
				emitRange = true
			}
			idx--
			i--
			j--
		} else {
			if l, r := *at(i-1, j), *at(i, j-1); l > r {
				i--
			} else {
				j--
			}
			if arangeStart != alen {
				emitRange = true
			}
		}
		if emitRange {
			if int64(arangeEnd-arangeStart+1) >= minMatchLen && getIdx {
				matches = append(matches, match{arangeStart, arangeEnd, brangeStart, brangeEnd})
			}
			arangeStart = alen
		}
	}
	if !getIdx {
		c.W.Bulk(result)
		return
	}
	c.W.Map(2)
	c.W.BulkString("matches")
	c.W.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.W.Array(3)
		} else {
			c.W.Array(2)
		}
		c.W.Array(2)
		c.W.Int(int64(m.a1))
		c.W.Int(int64(m.a2))
		c.W.Array(2)
		c.W.Int(int64(m.b1))
		c.W.Int(int64(m.b2))
		if withMatchLen {
			c.W.Int(int64(m.a2 - m.a1 + 1))
		}
	}
	c.W.BulkString("len")
	c.W.Int(int64(len(result)))
}

func copyBytes(b []byte) []byte { return append([]byte(nil), b...) }
