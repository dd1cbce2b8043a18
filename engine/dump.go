package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"

	"github.com/neokv/neokv/resp"
)

// DUMP and RESTORE in Redis's serialization format (an RDB object, the
// RDB version and a CRC64), so keys move between Redis and NeoKV with the
// tools that use them (MIGRATE-style copies, redis-shake, RIOT).
//
// DUMP writes the plain RDB types every Redis since 2.x loads: strings
// as raw bytes, hashes (4), sets (2), lists (1) and sorted sets with
// binary scores (5), with RDB version 10 (Redis 7.0, which refuses
// newer). RESTORE reads those and the compact encodings Redis writes:
// integer and LZF strings, ziplists, listpacks, intsets and quicklists,
// up to RDB version 11 (Redis 7.2). Streams and module values are refused
// ("Bad data format"). The payload is parsed on the apply path of every
// replica: it is untrusted input, checked before anything is written.

const (
	rdbVersionDump = 10
	rdbVersionMax  = 11

	rdbTypeString         = 0
	rdbTypeList           = 1
	rdbTypeSet            = 2
	rdbTypeZset           = 3
	rdbTypeHash           = 4
	rdbTypeZset2          = 5
	rdbTypeHashZipmap     = 9
	rdbTypeListZiplist    = 10
	rdbTypeSetIntset      = 11
	rdbTypeZsetZiplist    = 12
	rdbTypeHashZiplist    = 13
	rdbTypeListQuicklist  = 14
	rdbTypeHashListpack   = 16
	rdbTypeZsetListpack   = 17
	rdbTypeListQuicklist2 = 18
	rdbTypeSetListpack    = 20

	errDumpPayload = "ERR DUMP payload version or checksum are wrong"
	errBadFormat   = "ERR Bad data format"
)

func dumpCommands() []*Command {
	return []*Command{
		{Name: "dump", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Returns a serialized representation of the value stored at a key.", ACL: []string{"@keyspace", "@read", "@slow"}, Exec: execDump},
		{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: "generic", Since: "2.6.0",
			Summary: "Creates a key from the serialized representation of a value.", ACL: []string{"@keyspace", "@write", "@slow", "@dangerous"}, Exec: execRestore},
	}
}

// crc64Jones is Redis's crc64: the Jones polynomial, reflected, init 0,
// no final xor.
func crc64Jones(crc uint64, b []byte) uint64 {
	for _, x := range b {
		crc ^= uint64(x)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95ac9329ac4bc9b5
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func rdbAppendLen(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(n>>8)|0x40, byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(dst, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0x81), n)
}

func rdbAppendString(dst, s []byte) []byte {
	return append(rdbAppendLen(dst, uint64(len(s))), s...)
}

// subExec runs another command's Exec with argv and returns its RESP2
// reply (an error reply as a Go error).
func (c *Ctx) subExec(exec func(*Ctx, [][]byte), name string, argv [][]byte) ([]byte, error) {
	// The calling command records its own keyspace events, not those of
	// the commands it is made of.
	saved, savedName, savedFlags := c.W, c.name, c.notifyFlags
	var w resp.Writer
	c.W, c.name, c.notifyFlags = &w, name, 0
	exec(c, argv)
	c.W, c.name, c.notifyFlags = saved, savedName, savedFlags
	if len(w.B) > 0 && w.B[0] == '-' {
		return nil, errors.New(string(bytes.TrimRight(w.B[1:], "\r\n")))
	}
	return w.B, nil
}

// flatBulks parses a RESP2 array of bulk strings.
func flatBulks(b []byte) ([][]byte, bool) {
	if len(b) < 4 || b[0] != '*' {
		return nil, false
	}
	i := bytes.IndexByte(b, '\n')
	n, ok := resp.ParseInt(b[1 : i-1])
	if !ok || n < 0 {
		return nil, false
	}
	b = b[i+1:]
	out := make([][]byte, 0, n)
	for ; n > 0; n-- {
		if len(b) < 4 || b[0] != '$' {
			return nil, false
		}
		i = bytes.IndexByte(b, '\n')
		l, ok := resp.ParseInt(b[1 : i-1])
		if !ok || l < 0 || int64(len(b)-i-1) < l+2 {
			return nil, false
		}
		out = append(out, b[i+1:i+1+int(l)])
		b = b[i+1+int(l)+2:]
	}
	return out, true
}

func execDump(c *Ctx, argv [][]byte) {
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	typ, live := r.m.typ, r.live
	var value []byte
	if live && typ == TypeString {
		value = copyBytes(r.m.value)
	}
	r.release()
	if !live {
		c.W.Null()
		return
	}
	var out []byte
	var err error
	key := argv[1]
	switch typ {
	case TypeString:
		out = rdbAppendString([]byte{rdbTypeString}, value)
	case TypeHash:
		out, err = c.dumpFlat(rdbTypeHash, func(c *Ctx, a [][]byte) { hgetAll(c, a, true, true) }, "hgetall", [][]byte{[]byte("hgetall"), key}, 2)
	case TypeSet:
		out, err = c.dumpFlat(rdbTypeSet, execSMembers, "smembers", [][]byte{[]byte("smembers"), key}, 1)
	case TypeList:
		out, err = c.dumpFlat(rdbTypeList, execLRange, "lrange", [][]byte{[]byte("lrange"), key, []byte("0"), []byte("-1")}, 1)
	case TypeZSet:
		out, err = c.dumpZset(key)
	case TypeStream:
		// Redis's stream RDB types are listpacks of listpacks; not written yet.
		c.W.Error("ERR DUMP of a stream is not supported by NeoKV yet")
		return
	default:
		c.W.Error(errBadFormat)
		return
	}
	if err != nil {
		c.W.Error(err.Error())
		return
	}
	out = binary.LittleEndian.AppendUint16(out, rdbVersionDump)
	out = binary.LittleEndian.AppendUint64(out, crc64Jones(0, out))
	c.W.Bulk(out)
}

// dumpFlat dumps a collection read by a command replying a flat array
// (group elements per RDB item).
func (c *Ctx) dumpFlat(rdbType byte, exec func(*Ctx, [][]byte), name string, argv [][]byte, group int) ([]byte, error) {
	reply, err := c.subExec(exec, name, argv)
	if err != nil {
		return nil, err
	}
	elems, ok := flatBulks(reply)
	if !ok || len(elems)%group != 0 {
		return nil, errors.New("ERR DUMP could not read the value")
	}
	out := rdbAppendLen([]byte{rdbType}, uint64(len(elems)/group))
	for _, e := range elems {
		out = rdbAppendString(out, e)
	}
	return out, nil
}

func (c *Ctx) dumpZset(key []byte) ([]byte, error) {
	reply, err := c.subExec(func(c *Ctx, a [][]byte) { lzZRange(c, a, 1, nil, 0, false, false) }, "zrange",
		[][]byte{[]byte("zrange"), key, []byte("0"), []byte("-1"), []byte("withscores")})
	if err != nil {
		return nil, err
	}
	elems, ok := flatBulks(reply)
	if !ok || len(elems)%2 != 0 {
		return nil, errors.New("ERR DUMP could not read the value")
	}
	out := rdbAppendLen([]byte{rdbTypeZset2}, uint64(len(elems)/2))
	for i := 0; i < len(elems); i += 2 {
		s, ok := parseReplyDouble(elems[i+1])
		if !ok {
			return nil, errors.New("ERR DUMP could not read the value")
		}
		out = rdbAppendString(out, elems[i])
		out = binary.LittleEndian.AppendUint64(out, math.Float64bits(s))
	}
	return out, nil
}

// parseReplyDouble reads a score as a reply prints it (%.17g, inf, -inf).
func parseReplyDouble(b []byte) (float64, bool) {
	switch string(b) {
	case "inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// formatScore prints a score so that ZADD reads back the same float64.
func formatScore(f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return []byte("inf")
	case math.IsInf(f, -1):
		return []byte("-inf")
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}

// rdbValue is a parsed RESTORE payload.
type rdbValue struct {
	typ   Type
	str   []byte
	elems [][]byte // hash: field, value pairs; set and list: elements; zset: member, score pairs
}

// rdbReader reads an RDB object; any read past the end or malformed
// field sets bad.
type rdbReader struct {
	b   []byte
	bad bool
}

func (r *rdbReader) byte() byte {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	x := r.b[0]
	r.b = r.b[1:]
	return x
}

func (r *rdbReader) take(n uint64) []byte {
	if uint64(len(r.b)) < n {
		r.bad = true
		return nil
	}
	x := r.b[:n]
	r.b = r.b[n:]
	return x
}

// length reads an RDB length; encoded reports the string special
// encodings (11xxxxxx), whose 6 bits it returns.
func (r *rdbReader) length() (n uint64, encoded bool) {
	b := r.byte()
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3f), false
	case 1:
		return uint64(b&0x3f)<<8 | uint64(r.byte()), false
	case 3:
		return uint64(b & 0x3f), true
	}
	switch b {
	case 0x80:
		p := r.take(4)
		if r.bad {
			return 0, false
		}
		return uint64(binary.BigEndian.Uint32(p)), false
	case 0x81:
		p := r.take(8)
		if r.bad {
			return 0, false
		}
		return binary.BigEndian.Uint64(p), false
	}
	r.bad = true
	return 0, false
}

// count reads a length that counts items, bounded by what the payload
// could hold (each item takes at least one byte).
func (r *rdbReader) count() int {
	n, enc := r.length()
	if enc || n > uint64(len(r.b)) {
		r.bad = true
		return 0
	}
	return int(n)
}

func (r *rdbReader) string(maxLen int64) []byte {
	n, enc := r.length()
	if r.bad {
		return nil
	}
	if !enc {
		return copyBytes(r.take(n))
	}
	switch n {
	case 0:
		return strconv.AppendInt(nil, int64(int8(r.byte())), 10)
	case 1:
		p := r.take(2)
		if r.bad {
			return nil
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(p))), 10)
	case 2:
		p := r.take(4)
		if r.bad {
			return nil
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(p))), 10)
	case 3:
		clen, e1 := r.length()
		ulen, e2 := r.length()
		// LZF expands a byte to at most ~132 (a 3-byte back reference
		// copies 264): a larger claim is corrupt, not worth allocating.
		if r.bad || e1 || e2 || int64(ulen) > maxLen || ulen > 1<<32 || ulen > clen*150+16 {
			r.bad = true
			return nil
		}
		out, ok := lzfDecompress(r.take(clen), int(ulen))
		if !ok {
			r.bad = true
		}
		return out
	}
	r.bad = true
	return nil
}

// lzfDecompress is liblzf's lzf_decompress; the output must be exactly n
// bytes.
func lzfDecompress(in []byte, n int) ([]byte, bool) {
	out := make([]byte, 0, min(n, 64<<10))
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 {
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, false
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		l := ctrl >> 5
		ref := len(out) - (ctrl&0x1f)<<8 - 1
		if l == 7 {
			if i >= len(in) {
				return nil, false
			}
			l += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref -= int(in[i])
		i++
		l += 2
		if ref < 0 || len(out)+l > n {
			return nil, false
		}
		for ; l > 0; l-- {
			out = append(out, out[ref])
			ref++
		}
	}
	return out, len(out) == n
}

// listpackEntries decodes a listpack into its entries (integers as
// decimal text).
func listpackEntries(lp []byte) ([][]byte, bool) {
	if len(lp) < 7 || int(binary.LittleEndian.Uint32(lp)) != len(lp) || lp[len(lp)-1] != 0xff {
		return nil, false
	}
	var out [][]byte
	p := lp[6 : len(lp)-1]
	for len(p) > 0 {
		b := p[0]
		var entry []byte
		var hdr, dataLen int
		var ival int64
		isInt := true
		switch {
		case b&0x80 == 0:
			hdr, ival = 1, int64(b&0x7f)
		case b&0xc0 == 0x80:
			hdr, dataLen, isInt = 1, int(b&0x3f), false
		case b&0xe0 == 0xc0:
			if len(p) < 2 {
				return nil, false
			}
			hdr = 2
			v := int64(b&0x1f)<<8 | int64(p[1])
			if v >= 1<<12 {
				v -= 1 << 13
			}
			ival = v
		case b&0xf0 == 0xe0:
			if len(p) < 2 {
				return nil, false
			}
			hdr, dataLen, isInt = 2, int(b&0x0f)<<8|int(p[1]), false
		case b == 0xf0:
			if len(p) < 5 {
				return nil, false
			}
			hdr, dataLen, isInt = 5, int(binary.LittleEndian.Uint32(p[1:])), false
		case b == 0xf1, b == 0xf2, b == 0xf3, b == 0xf4:
			size := map[byte]int{0xf1: 2, 0xf2: 3, 0xf3: 4, 0xf4: 8}[b]
			if len(p) < 1+size {
				return nil, false
			}
			hdr = 1 + size
			var u uint64
			for i := size; i >= 1; i-- {
				u = u<<8 | uint64(p[i])
			}
			shift := uint(64 - 8*size)
			ival = int64(u<<shift) >> shift
		default:
			return nil, false
		}
		if dataLen < 0 || hdr+dataLen > len(p) {
			return nil, false
		}
		if isInt {
			entry = strconv.AppendInt(nil, ival, 10)
		} else {
			entry = copyBytes(p[hdr : hdr+dataLen])
		}
		l := hdr + dataLen
		back := 1
		switch {
		case l >= 268435456:
			back = 5
		case l >= 2097152:
			back = 4
		case l >= 16384:
			back = 3
		case l >= 128:
			back = 2
		}
		if l+back > len(p) {
			return nil, false
		}
		out = append(out, entry)
		p = p[l+back:]
	}
	return out, true
}

// ziplistEntries decodes a ziplist into its entries.
func ziplistEntries(zl []byte) ([][]byte, bool) {
	if len(zl) < 11 || int(binary.LittleEndian.Uint32(zl)) != len(zl) || zl[len(zl)-1] != 0xff {
		return nil, false
	}
	var out [][]byte
	p := zl[10 : len(zl)-1]
	for len(p) > 0 {
		// prevlen
		if p[0] == 0xfe {
			if len(p) < 5 {
				return nil, false
			}
			p = p[5:]
		} else {
			p = p[1:]
		}
		if len(p) == 0 {
			return nil, false
		}
		b := p[0]
		var hdr, dataLen int
		var ival int64
		isInt := true
		switch {
		case b>>6 == 0:
			hdr, dataLen, isInt = 1, int(b&0x3f), false
		case b>>6 == 1:
			if len(p) < 2 {
				return nil, false
			}
			hdr, dataLen, isInt = 2, int(b&0x3f)<<8|int(p[1]), false
		case b == 0x80:
			if len(p) < 5 {
				return nil, false
			}
			hdr, dataLen, isInt = 5, int(binary.BigEndian.Uint32(p[1:])), false
		case b == 0xc0:
			if len(p) < 3 {
				return nil, false
			}
			hdr, ival = 3, int64(int16(binary.LittleEndian.Uint16(p[1:])))
		case b == 0xd0:
			if len(p) < 5 {
				return nil, false
			}
			hdr, ival = 5, int64(int32(binary.LittleEndian.Uint32(p[1:])))
		case b == 0xe0:
			if len(p) < 9 {
				return nil, false
			}
			hdr, ival = 9, int64(binary.LittleEndian.Uint64(p[1:]))
		case b == 0xf0:
			if len(p) < 4 {
				return nil, false
			}
			u := uint32(p[1]) | uint32(p[2])<<8 | uint32(p[3])<<16
			hdr, ival = 4, int64(int32(u<<8)>>8)
		case b == 0xfe:
			if len(p) < 2 {
				return nil, false
			}
			hdr, ival = 2, int64(int8(p[1]))
		case b >= 0xf1 && b <= 0xfd:
			hdr, ival = 1, int64(b&0x0f)-1
		default:
			return nil, false
		}
		if dataLen < 0 || hdr+dataLen > len(p) {
			return nil, false
		}
		if isInt {
			out = append(out, strconv.AppendInt(nil, ival, 10))
		} else {
			out = append(out, copyBytes(p[hdr:hdr+dataLen]))
		}
		p = p[hdr+dataLen:]
	}
	return out, true
}

func intsetEntries(is []byte) ([][]byte, bool) {
	if len(is) < 8 {
		return nil, false
	}
	enc := int(binary.LittleEndian.Uint32(is))
	n := int(binary.LittleEndian.Uint32(is[4:]))
	if (enc != 2 && enc != 4 && enc != 8) || n < 0 || len(is) != 8+n*enc {
		return nil, false
	}
	out := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		p := is[8+i*enc:]
		var v int64
		switch enc {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		default:
			v = int64(binary.LittleEndian.Uint64(p))
		}
		out = append(out, strconv.AppendInt(nil, v, 10))
	}
	return out, true
}

// rdbDouble reads a version-1 sorted set score (length-prefixed text).
func (r *rdbReader) double() (float64, bool) {
	switch n := r.byte(); n {
	case 253:
		return 0, false // NaN: never a valid score
	case 254:
		return math.Inf(1), true
	case 255:
		return math.Inf(-1), true
	default:
		f, err := strconv.ParseFloat(string(r.take(uint64(n))), 64)
		return f, err == nil && !r.bad
	}
}

// parseRDBObject parses a RESTORE payload's object (footer removed).
func parseRDBObject(b []byte, maxLen int64) (rdbValue, bool) {
	r := &rdbReader{b: b}
	typ := r.byte()
	var v rdbValue
	blob := func() []byte { return r.string(maxLen) }
	switch typ {
	case rdbTypeString:
		v = rdbValue{typ: TypeString, str: blob()}
	case rdbTypeList, rdbTypeSet:
		v.typ = TypeList
		if typ == rdbTypeSet {
			v.typ = TypeSet
		}
		for n := r.count(); n > 0 && !r.bad; n-- {
			v.elems = append(v.elems, blob())
		}
	case rdbTypeHash:
		v.typ = TypeHash
		for n := r.count(); n > 0 && !r.bad; n-- {
			v.elems = append(v.elems, blob(), blob())
		}
	case rdbTypeZset, rdbTypeZset2:
		v.typ = TypeZSet
		for n := r.count(); n > 0 && !r.bad; n-- {
			m := blob()
			var s float64
			ok := true
			if typ == rdbTypeZset2 {
				p := r.take(8)
				if !r.bad {
					s = math.Float64frombits(binary.LittleEndian.Uint64(p))
					ok = !math.IsNaN(s)
				}
			} else {
				s, ok = r.double()
			}
			if !ok {
				return v, false
			}
			v.elems = append(v.elems, m, formatScore(s))
		}
	case rdbTypeSetIntset, rdbTypeListZiplist, rdbTypeZsetZiplist, rdbTypeHashZiplist,
		rdbTypeHashListpack, rdbTypeZsetListpack, rdbTypeSetListpack:
		data := blob()
		if r.bad {
			return v, false
		}
		var elems [][]byte
		var ok bool
		switch typ {
		case rdbTypeSetIntset:
			elems, ok = intsetEntries(data)
		case rdbTypeListZiplist, rdbTypeZsetZiplist, rdbTypeHashZiplist:
			elems, ok = ziplistEntries(data)
		default:
			elems, ok = listpackEntries(data)
		}
		if !ok {
			return v, false
		}
		switch typ {
		case rdbTypeSetIntset, rdbTypeSetListpack:
			v.typ = TypeSet
		case rdbTypeListZiplist:
			v.typ = TypeList
		case rdbTypeHashZiplist, rdbTypeHashListpack:
			v.typ = TypeHash
			if len(elems)%2 != 0 {
				return v, false
			}
		default:
			v.typ = TypeZSet
			if len(elems)%2 != 0 {
				return v, false
			}
			for i := 1; i < len(elems); i += 2 {
				s, ok := lzParseDouble(elems[i])
				if !ok {
					return v, false
				}
				elems[i] = formatScore(s)
			}
		}
		v.elems = elems
	case rdbTypeListQuicklist, rdbTypeListQuicklist2:
		v.typ = TypeList
		for n := r.count(); n > 0 && !r.bad; n-- {
			container := uint64(2)
			if typ == rdbTypeListQuicklist2 {
				var enc bool
				if container, enc = r.length(); enc || (container != 1 && container != 2) {
					return v, false
				}
			}
			data := blob()
			if r.bad {
				return v, false
			}
			if container == 1 { // a plain node: one element
				v.elems = append(v.elems, data)
				continue
			}
			var elems [][]byte
			var ok bool
			if typ == rdbTypeListQuicklist {
				elems, ok = ziplistEntries(data)
			} else {
				elems, ok = listpackEntries(data)
			}
			if !ok {
				return v, false
			}
			v.elems = append(v.elems, elems...)
		}
	default:
		return v, false
	}
	if r.bad || len(r.b) != 0 {
		return v, false
	}
	return v, true
}

func execRestore(c *Ctx, argv [][]byte) {
	var replace, absTTL, idle, freq bool
	for i := 4; i < len(argv); i++ {
		more := len(argv) - i - 1
		switch {
		case eqFold(argv[i], "replace"):
			replace = true
		case eqFold(argv[i], "absttl"):
			absTTL = true
		case eqFold(argv[i], "idletime") && more >= 1 && !freq: // IDLETIME and FREQ exclude each other
			idle = true
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return
			}
			if n < 0 {
				c.W.Error("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			i++
		case eqFold(argv[i], "freq") && more >= 1 && !idle:
			freq = true
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.W.Error("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			i++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	ttl, ok := c.parseInt(argv[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.W.Error("ERR Invalid TTL value, must be >= 0")
		return
	}
	r, ok := c.lookup(argv[1])
	if !ok {
		return
	}
	defer r.release()
	if r.live && !replace {
		c.W.Error("BUSYKEY Target key name already exists.")
		return
	}
	payload := argv[3]
	if len(payload) < 10 {
		c.W.Error(errDumpPayload)
		return
	}
	footer := payload[len(payload)-10:]
	if binary.LittleEndian.Uint16(footer) > rdbVersionMax ||
		binary.LittleEndian.Uint64(footer[2:]) != crc64Jones(0, payload[:len(payload)-8]) {
		c.W.Error(errDumpPayload)
		return
	}
	v, ok := parseRDBObject(payload[:len(payload)-10], c.db.maxBulkLen)
	if !ok {
		c.W.Error(errBadFormat)
		return
	}
	at := int64(0)
	if ttl > 0 {
		at = ttl
		if !absTTL {
			if ttl > math.MaxInt64-c.now {
				c.errExpireTime()
				return
			}
			at = c.now + ttl
		}
		if at <= c.now {
			// Already expired: the key ends up absent, as in Redis.
			if r.live {
				c.deleteKey(&r)
				c.notify(NotifyGeneric, "del", argv[1])
			} else {
				c.deleteKey(&r)
			}
			c.W.OK()
			return
		}
	}
	c.deleteKey(&r)
	if v.typ == TypeString {
		c.setString(&r, v.str, at)
		c.notify(NotifyGeneric, "restore", argv[1])
		c.W.OK()
		return
	}
	if len(v.elems) == 0 {
		c.W.Error(errBadFormat) // Redis refuses empty collections too
		return
	}
	var exec func(*Ctx, [][]byte)
	var name string
	args := [][]byte{nil, argv[1]}
	switch v.typ {
	case TypeHash:
		exec, name = execHSet, "hset"
		args = append(args, v.elems...)
	case TypeSet:
		exec, name = execSAdd, "sadd"
		args = append(args, v.elems...)
	case TypeList:
		exec, name = func(c *Ctx, a [][]byte) { lzPush(c, a, false, false) }, "rpush"
		args = append(args, v.elems...)
	case TypeZSet:
		exec, name = execZAdd, "zadd"
		for i := 0; i < len(v.elems); i += 2 {
			args = append(args, v.elems[i+1], v.elems[i])
		}
	}
	args[0] = []byte(name)
	if _, err := c.subExec(exec, name, args); err != nil {
		c.W.Error(err.Error())
		return
	}
	c.notify(NotifyNew, "new", argv[1])
	if at != 0 {
		r2, ok := c.lookup(argv[1])
		if !ok {
			return
		}
		c.setExpiry(&r2, at)
		r2.release()
	}
	c.notify(NotifyGeneric, "restore", argv[1])
	c.W.OK()
}
