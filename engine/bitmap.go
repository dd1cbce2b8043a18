package engine

import (
	"math"
	"math/bits"
	"strings"

	"github.com/neokv/neokv/resp"
)

// Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
// BITFIELD_RO over string values, following Redis 7.0's bitops.c (the
// order of its checks included, so errors match). Bit 0 is the most
// significant bit of the first byte.

const (
	errBitOffset     = "ERR bit offset is not an integer or out of range"
	errBitValue      = "ERR bit is not an integer or out of range"
	errBitposBit     = "ERR The bit argument must be 1 or 0."
	errBitfieldType  = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	errBitfieldOverT = "ERR Invalid OVERFLOW type specified"
	errBitfieldRO    = "ERR BITFIELD_RO only supports the GET subcommand"
	errBitopNot      = "ERR BITOP NOT must be called with a single source key."
)

func bitmapCommands() []*Command {
	w, r, f, d := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM
	bm := func(name string, arity int, flags Flags, first, last int, since, summary string, acl []string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "bitmap",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	return []*Command{
		bm("setbit", 4, w|d, 1, 1, "2.2.0", "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.",
			[]string{"@write", "@bitmap", "@slow"}, execSetBit),
		bm("getbit", 3, r|f, 1, 1, "2.2.0", "Returns a bit value by offset.", []string{"@read", "@bitmap", "@fast"}, execGetBit),
		bm("bitcount", -2, r, 1, 1, "2.6.0", "Counts the number of set bits (population counting) in a string.",
			[]string{"@read", "@bitmap", "@slow"}, execBitCount),
		bm("bitpos", -3, r, 1, 1, "2.8.7", "Finds the first set (1) or clear (0) bit in a string.",
			[]string{"@read", "@bitmap", "@slow"}, execBitPos),
		bm("bitop", -4, w|d|FlagSameSlotKeys, 2, -1, "2.6.0", "Performs bitwise operations on multiple strings, and stores the result.",
			[]string{"@write", "@bitmap", "@slow"}, execBitOp),
		bm("bitfield", -2, w|d, 1, 1, "3.2.0", "Performs arbitrary bitfield integer operations on strings.",
			[]string{"@write", "@bitmap", "@slow"}, execBitField),
		bm("bitfield_ro", -2, r|f, 1, 1, "6.0.0", "Performs arbitrary read-only bitfield integer operations on strings.",
			[]string{"@read", "@bitmap", "@fast"}, execBitFieldRO),
	}
}

// parseBitOffset is Redis's getBitOffsetFromArgument: a bit offset, or
// with hash and "#n" the n-th field of width bits. Offsets whose byte is
// at or past the longest string allowed are refused.
func (c *Ctx) parseBitOffset(arg []byte, hash bool, width int) (uint64, bool) {
	useHash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if useHash {
		arg = arg[1:]
	}
	v, ok := resp.ParseInt(arg)
	if ok && useHash {
		if v > math.MaxInt64/int64(width) || v < math.MinInt64/int64(width) {
			ok = false // C would overflow into an arbitrary offset; refuse it
		} else {
			v *= int64(width)
		}
	}
	if !ok || v < 0 || v>>3 >= c.db.maxBulkLen {
		c.W.Error(errBitOffset)
		return 0, false
	}
	return uint64(v), true
}

func getBitAt(s []byte, bit uint64) uint64 {
	i := bit >> 3
	if i >= uint64(len(s)) {
		return 0
	}
	return uint64(s[i]>>(7-bit&7)) & 1
}

func setBitAt(s []byte, bit uint64, v uint64) {
	i := bit >> 3
	mask := byte(1) << (7 - bit&7)
	if v != 0 {
		s[i] |= mask
	} else {
		s[i] &^= mask
	}
}

// growForBits returns the record's value (an empty one if the key is
// absent) copied into a buffer at least need bytes long, zero-padded:
// Redis's lookupStringForBitCommand.
func growForBits(r *rec, need uint64) []byte {
	var cur []byte
	if r.live {
		cur = r.m.value
	}
	size := uint64(len(cur))
	if need > size {
		size = need
	}
	buf := make([]byte, size)
	copy(buf, cur)
	return buf
}

func execSetBit(c *Ctx, argv [][]byte) {
	off, ok := c.parseBitOffset(argv[2], false, 0)
	if !ok {
		return
	}
	v, ok := resp.ParseInt(argv[3])
	if !ok || (v != 0 && v != 1) {
		c.W.Error(errBitValue)
		return
	}
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	buf := growForBits(&r, off>>3+1)
	old := getBitAt(buf, off)
	setBitAt(buf, off, uint64(v))
	c.setString(&r, buf, liveExpireAt(&r))
	c.notify(NotifyString, "setbit", argv[1])
	c.W.Int(int64(old))
}

// liveExpireAt is the expiry a modified string keeps (none if it is new).
func liveExpireAt(r *rec) int64 {
	if r.live {
		return r.m.expireAt
	}
	return 0
}

func execGetBit(c *Ctx, argv [][]byte) {
	off, ok := c.parseBitOffset(argv[2], false, 0)
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
	c.W.Int(int64(getBitAt(s, off)))
}

// bitRange resolves BITCOUNT's and BITPOS's start/end (bytes, or bits with
// isBit) against a string of n bytes into an inclusive range of bits;
// empty reports a range with nothing in it. Not lzRange: bitops.c clamps
// a negative end to 0 (BITCOUNT k 0 -100 counts the first byte), where
// LRANGE's range is empty.
func bitRange(start, end int64, isBit bool, n int64) (first, last uint64, empty bool) {
	total := n
	if isBit {
		total = n * 8
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= total {
		end = total - 1
	}
	if start > end {
		return 0, 0, true
	}
	if isBit {
		return uint64(start), uint64(end), false
	}
	return uint64(start) * 8, uint64(end)*8 + 7, false
}

// parseBitUnit parses BITCOUNT's and BITPOS's BYTE|BIT.
func (c *Ctx) parseBitUnit(arg []byte) (isBit, ok bool) {
	switch strings.ToLower(string(arg)) {
	case "bit":
		return true, true
	case "byte":
		return false, true
	}
	c.W.Error(ErrSyntax)
	return false, false
}

func execBitCount(c *Ctx, argv [][]byte) {
	// Redis 7.0 looks the key up first: a missing key counts 0 whatever
	// the arguments.
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Int(0)
		return
	}
	s := r.m.value
	first, last := uint64(0), uint64(len(s))*8
	empty := len(s) == 0
	if len(s) > 0 {
		last--
	}
	switch len(argv) {
	case 2:
	case 4, 5:
		start, ok := c.parseInt(argv[2])
		if !ok {
			return
		}
		end, ok := c.parseInt(argv[3])
		if !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		isBit := false
		if len(argv) == 5 {
			if isBit, ok = c.parseBitUnit(argv[4]); !ok {
				return
			}
		}
		first, last, empty = bitRange(start, end, isBit, int64(len(s)))
	default:
		c.W.Error(ErrSyntax)
		return
	}
	if empty {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(popcountRange(s, first, last)))
}

// popcountRange counts the set bits of s from bit first to bit last.
func popcountRange(s []byte, first, last uint64) uint64 {
	fb, lb := first>>3, last>>3
	if fb == lb {
		b := s[fb] & (0xff >> (first & 7)) & (0xff << (7 - last&7))
		return uint64(bits.OnesCount8(b))
	}
	n := uint64(bits.OnesCount8(s[fb] & (0xff >> (first & 7))))
	n += uint64(bits.OnesCount8(s[lb] & (0xff << (7 - last&7))))
	mid := s[fb+1 : lb]
	for len(mid) >= 8 {
		n += uint64(bits.OnesCount64(uint64(mid[0])<<56 | uint64(mid[1])<<48 | uint64(mid[2])<<40 | uint64(mid[3])<<32 |
			uint64(mid[4])<<24 | uint64(mid[5])<<16 | uint64(mid[6])<<8 | uint64(mid[7])))
		mid = mid[8:]
	}
	for _, b := range mid {
		n += uint64(bits.OnesCount8(b))
	}
	return n
}

func execBitPos(c *Ctx, argv [][]byte) {
	want, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	if want != 0 && want != 1 {
		c.W.Error(errBitposBit)
		return
	}
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		// An absent key is an endless run of zero bits.
		if want == 1 {
			c.W.Int(-1)
		} else {
			c.W.Int(0)
		}
		return
	}
	s := r.m.value
	n := int64(len(s))
	var first, last uint64
	empty, endGiven := n == 0, false
	if n > 0 {
		last = uint64(n)*8 - 1
	}
	switch len(argv) {
	case 3:
	case 4, 5, 6:
		start, ok := c.parseInt(argv[3])
		if !ok {
			return
		}
		isBit := false
		if len(argv) == 6 {
			if isBit, ok = c.parseBitUnit(argv[5]); !ok {
				return
			}
		}
		end := n - 1
		if isBit {
			end = n*8 - 1
		}
		if len(argv) >= 5 {
			if end, ok = c.parseInt(argv[4]); !ok {
				return
			}
			endGiven = true
		}
		first, last, empty = bitRange(start, end, isBit, n)
	default:
		c.W.Error(ErrSyntax)
		return
	}
	if empty {
		c.W.Int(-1)
		return
	}
	for i := first; i <= last; i++ {
		if i&7 == 0 && i+7 <= last {
			// Skip whole bytes that cannot hold the bit looked for.
			if (want == 1 && s[i>>3] == 0) || (want == 0 && s[i>>3] == 0xff) {
				i += 7
				continue
			}
		}
		if getBitAt(s, i) == uint64(want) {
			c.W.Int(int64(i))
			return
		}
	}
	// Not found. Looking for a zero without an explicit end, the string
	// counts as padded with zeros: the first bit past the range.
	if want == 0 && !endGiven {
		c.W.Int(int64(last + 1))
		return
	}
	c.W.Int(-1)
}

func execBitOp(c *Ctx, argv [][]byte) {
	op := strings.ToLower(string(argv[1]))
	switch op {
	case "and", "or", "xor", "not":
	default:
		c.W.Error(ErrSyntax)
		return
	}
	srcKeys := argv[3:]
	if op == "not" && len(srcKeys) != 1 {
		c.W.Error(errBitopNot)
		return
	}
	srcs := make([][]byte, len(srcKeys))
	maxLen := 0
	for i, k := range srcKeys {
		r, ok := c.lookupString(k)
		if !ok {
			return
		}
		if r.live {
			srcs[i] = copyBytes(r.m.value) // the lookup's bytes live only until release
			maxLen = max(maxLen, len(srcs[i]))
		}
		r.release()
	}
	res := make([]byte, maxLen)
	for j := range res {
		var out byte
		for i, s := range srcs {
			var b byte
			if j < len(s) {
				b = s[j]
			}
			switch {
			case op == "not":
				out = ^b
			case i == 0:
				out = b
			case op == "and":
				out &= b
			case op == "or":
				out |= b
			default:
				out ^= b
			}
		}
		res[j] = out
	}
	dst, ok := c.lookup(argv[2])
	if !ok {
		return
	}
	defer dst.release()
	if maxLen == 0 {
		if dst.live {
			c.deleteKey(&dst)
			c.notify(NotifyGeneric, "del", argv[2])
		} else {
			c.deleteKey(&dst)
		}
	} else {
		c.setString(&dst, res, 0)
		c.notify(NotifyString, "set", argv[2])
	}
	c.W.Int(int64(maxLen))
}

// bitfieldOp is one GET, SET or INCRBY of a BITFIELD call.
type bitfieldOp struct {
	kind     byte // 'g', 's', 'i'
	signed   bool
	width    int
	offset   uint64
	value    int64
	overflow byte // 'w' wrap, 's' saturate, 'f' fail
}

func execBitField(c *Ctx, argv [][]byte)   { bitfield(c, argv, false) }
func execBitFieldRO(c *Ctx, argv [][]byte) { bitfield(c, argv, true) }

func bitfield(c *Ctx, argv [][]byte, readOnly bool) {
	var ops []bitfieldOp
	overflow := byte('w')
	writes := false
	var highest uint64 // the last bit a write touches
	for j := 2; j < len(argv); j++ {
		rem := len(argv) - j - 1
		var op bitfieldOp
		switch sub := strings.ToLower(string(argv[j])); {
		case sub == "get" && rem >= 2:
			op.kind = 'g'
		case sub == "set" && rem >= 3:
			op.kind = 's'
		case sub == "incrby" && rem >= 3:
			op.kind = 'i'
		case sub == "overflow" && rem >= 1:
			j++
			switch strings.ToLower(string(argv[j])) {
			case "wrap":
				overflow = 'w'
			case "sat":
				overflow = 's'
			case "fail":
				overflow = 'f'
			default:
				c.W.Error(errBitfieldOverT)
				return
			}
			continue
		default:
			c.W.Error(ErrSyntax)
			return
		}
		var ok bool
		if op.signed, op.width, ok = parseBitfieldType(argv[j+1]); !ok {
			c.W.Error(errBitfieldType)
			return
		}
		if op.offset, ok = c.parseBitOffset(argv[j+2], true, op.width); !ok {
			return
		}
		if op.kind != 'g' {
			if readOnly {
				c.W.Error(errBitfieldRO)
				return
			}
			writes = true
			highest = max(highest, op.offset+uint64(op.width)-1)
			if op.value, ok = c.parseInt(argv[j+3]); !ok {
				return
			}
			j++
		}
		j += 2
		op.overflow = overflow
		ops = append(ops, op)
	}
	r, ok := c.lookupString(argv[1])
	if !ok {
		return
	}
	defer r.release()
	var s []byte
	if writes {
		// Redis makes room for every write before running any, so the key
		// exists and is long enough even if each write then fails.
		s = growForBits(&r, highest>>3+1)
	} else if r.live {
		s = r.m.value
	}
	c.W.Array(len(ops))
	for _, op := range ops {
		old := getBitfield(s, op.offset, op.width)
		if op.kind == 'g' {
			if op.signed {
				c.W.Int(signExtend(old, op.width))
			} else {
				c.W.Int(int64(old))
			}
			continue
		}
		var newVal uint64
		var reply int64
		var over bool
		if op.signed {
			cur := signExtend(old, op.width)
			if op.kind == 'i' {
				var v int64
				v, over = signedBitfieldAdd(cur, op.value, op.width, op.overflow)
				newVal, reply = uint64(v), v
			} else {
				v, o := signedBitfieldAdd(op.value, 0, op.width, op.overflow)
				newVal, reply, over = uint64(v), cur, o
			}
		} else {
			if op.kind == 'i' {
				var v uint64
				v, over = unsignedBitfieldAdd(old, op.value, op.width, op.overflow)
				newVal, reply = v, int64(v)
			} else {
				v, o := unsignedBitfieldAdd(uint64(op.value), 0, op.width, op.overflow)
				newVal, reply, over = v, int64(old), o
			}
		}
		if over && op.overflow == 'f' {
			c.W.Null()
			continue
		}
		c.W.Int(reply)
		setBitfield(s, op.offset, op.width, newVal)
	}
	if writes {
		c.setString(&r, s, liveExpireAt(&r))
		c.notify(NotifyString, "setbit", argv[1])
	}
}

// parseBitfieldType parses i1..i64 and u1..u63 (lowercase, as Redis).
func parseBitfieldType(arg []byte) (signed bool, width int, ok bool) {
	if len(arg) < 2 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := resp.ParseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

// getBitfield reads width bits at offset, most significant first; bits
// past the end of s read as zero.
func getBitfield(s []byte, offset uint64, width int) uint64 {
	var v uint64
	for i := 0; i < width; i++ {
		v = v<<1 | getBitAt(s, offset+uint64(i))
	}
	return v
}

// setBitfield writes the low width bits of v at offset (s is long enough).
func setBitfield(s []byte, offset uint64, width int, v uint64) {
	for i := 0; i < width; i++ {
		setBitAt(s, offset+uint64(i), v>>(width-1-i)&1)
	}
}

func signExtend(v uint64, width int) int64 {
	if width == 64 {
		return int64(v)
	}
	if v&(1<<(width-1)) != 0 {
		return int64(v | ^uint64(0)<<width)
	}
	return int64(v)
}

// signedBitfieldAdd is value+incr in a signed field of width bits under
// the overflow rule; it reports whether it overflowed (Redis's
// checkSignedBitfieldOverflow).
func signedBitfieldAdd(value, incr int64, width int, rule byte) (int64, bool) {
	maxV := int64(math.MaxInt64)
	if width < 64 {
		maxV = 1<<(width-1) - 1
	}
	minV := -maxV - 1
	maxIncr := int64(uint64(maxV) - uint64(value))
	minIncr := minV - value
	var over bool // else under
	switch {
	case value > maxV || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		over = true
	case value < minV || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
	default:
		return value + incr, false
	}
	switch rule {
	case 's':
		if over {
			return maxV, true
		}
		return minV, true
	case 'w':
		c := uint64(value) + uint64(incr)
		if width < 64 {
			mask := ^uint64(0) << width
			if c&(1<<(width-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c), true
	}
	return 0, true
}

// unsignedBitfieldAdd is signedBitfieldAdd for unsigned fields (Redis's
// checkUnsignedBitfieldOverflow).
func unsignedBitfieldAdd(value uint64, incr int64, width int, rule byte) (uint64, bool) {
	maxV := uint64(1)<<width - 1
	maxIncr := int64(maxV - value)
	minIncr := -int64(value)
	var over bool // else under
	switch {
	case value > maxV || (incr > 0 && incr > maxIncr):
		over = true
	case incr < 0 && incr < minIncr:
	default:
		return value + uint64(incr), false
	}
	switch rule {
	case 's':
		if over {
			return maxV, true
		}
		return 0, true
	case 'w':
		return (value + uint64(incr)) &^ (^uint64(0) << width), true
	}
	return 0, true
}
