package engine

import (
	"encoding/binary"
	"math"
)

// HyperLogLog (PFADD, PFCOUNT, PFMERGE) in Redis's own string encoding
// (hyperloglog.c: a 16-byte "HYLL" header, then sparse opcodes or 16384
// dense 6-bit registers), so values move between NeoKV and Redis as they
// are and GET returns the same bytes Redis would. The algorithm, the hash
// (MurmurHash64A, seed 0xadc83b19) and the estimator (Ertl's) are Redis's,
// so counts are identical too.
//
// One departure: Redis's PFCOUNT of one key writes the computed count
// into the header's cache. Here PFCOUNT is a read (it never enters the
// log) and leaves the value alone; the count is recomputed each time
// PFADD or PFMERGE changed the value (~16k registers).

const (
	hllP             = 14
	hllQ             = 64 - hllP
	hllRegisters     = 1 << hllP
	hllPMask         = hllRegisters - 1
	hllBits          = 6
	hllRegisterMax   = 1<<hllBits - 1
	hllHdrSize       = 16
	hllDenseSize     = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense         = 0
	hllSparse        = 1
	hllSparseMaxLen  = 4  // VAL run length
	hllSparseMaxVal  = 32 // VAL value
	hllZeroMaxLen    = 64
	hllXZeroMaxLen   = 16384
	hllSparseMaxSize = 3000 // Redis's hll-sparse-max-bytes default
	hllAlphaInf      = 0.721347520444481703680

	errNotHLL     = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errInvalidHLL = "INVALIDOBJ Corrupted HLL object detected"
)

func hyperLogLogCommands() []*Command {
	w, r, f, d := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM
	hll := func(name string, arity int, flags Flags, last int, summary string, acl []string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: last, Step: 1, Group: "hyperloglog",
			Since: "2.8.9", Summary: summary, ACL: acl, Exec: exec}
	}
	return []*Command{
		hll("pfadd", -2, w|d|f, 1, "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
			[]string{"@write", "@hyperloglog", "@fast"}, execPFAdd),
		hll("pfcount", -2, r|FlagSameSlotKeys, -1, "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
			[]string{"@read", "@hyperloglog", "@slow"}, execPFCount),
		hll("pfmerge", -2, w|d|FlagSameSlotKeys, -1, "Merges one or more HyperLogLog values into a single key.",
			[]string{"@write", "@hyperloglog", "@slow"}, execPFMerge),
	}
}

// newHLL is an empty HLL: sparse, one XZERO opcode covering every
// register, a valid cached count of 0.
func newHLL() []byte {
	b := make([]byte, hllHdrSize+2, hllHdrSize+64)
	copy(b, "HYLL")
	b[4] = hllSparse
	setXZero(b[hllHdrSize:], hllRegisters)
	return b
}

// isHLL is Redis's isHLLObjectOrReply for a string value.
func isHLL(v []byte) bool {
	if len(v) < hllHdrSize || string(v[:4]) != "HYLL" || v[4] > hllSparse {
		return false
	}
	return v[4] != hllDense || len(v) == hllDenseSize
}

func hllInvalidateCache(v []byte) { v[15] |= 1 << 7 }

// murmurHash64A is Redis's MurmurHash64A (little-endian reads).
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ (uint64(len(key)) * m)
	n := len(key) - len(key)&7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register an element maps to and the length of the
// run of zeros (plus one) that it observes.
func hllPatLen(ele []byte) (index int, count uint8) {
	hash := murmurHash64A(ele, 0xadc83b19)
	index = int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ // the loop ends at the latest there
	bit := uint64(1)
	count = 1
	for hash&bit == 0 {
		count++
		bit <<= 1
	}
	return index, count
}

func denseGet(regs []byte, i int) uint8 {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[byt])
	var b1 uint
	if byt+1 < len(regs) {
		b1 = uint(regs[byt+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegisterMax)
}

func denseSetReg(regs []byte, i int, v uint8) {
	byt := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	regs[byt] &^= byte(hllRegisterMax << fb)
	regs[byt] |= byte(uint(v) << fb)
	if byt+1 < len(regs) {
		regs[byt+1] &^= byte(hllRegisterMax >> (8 - fb))
		regs[byt+1] |= byte(uint(v) >> (8 - fb))
	}
}

// denseSet raises register i to count; it reports whether it changed.
func denseSet(regs []byte, i int, count uint8) bool {
	if count > denseGet(regs, i) {
		denseSetReg(regs, i, count)
		return true
	}
	return false
}

// Sparse opcodes: ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx
// yyyyyyyy (1-16384), VAL 1vvvvvxx (value 1-32, 1-4 registers).
func isZero(b byte) bool  { return b&0xc0 == 0 }
func isXZero(b byte) bool { return b&0xc0 == 0x40 }
func isVal(b byte) bool   { return b&0x80 != 0 }
func zeroLen(b byte) int  { return int(b&0x3f) + 1 }
func xzeroLen(p []byte) int {
	return (int(p[0]&0x3f)<<8 | int(p[1])) + 1
}
func valValue(b byte) uint8 { return (b>>2)&0x1f + 1 }
func valLen(b byte) int     { return int(b&0x3) + 1 }
func valOp(v uint8, n int) byte {
	return byte((int(v)-1)<<2|(n-1)) | 0x80
}
func setXZero(p []byte, n int) {
	n--
	p[0] = byte(n>>8) | 0x40
	p[1] = byte(n & 0xff)
}

// sparseToDense converts v to the dense encoding (a copy), or reports a
// corrupt value.
func sparseToDense(v []byte) ([]byte, bool) {
	if v[4] == hllDense {
		return v, true
	}
	out := make([]byte, hllDenseSize)
	copy(out, v[:hllHdrSize])
	out[4] = hllDense
	regs := out[hllHdrSize:]
	if !sparseEach(v, func(i int, val uint8) { denseSetReg(regs, i, val) }) {
		return nil, false
	}
	return out, true
}

// sparseEach calls fn for every register a sparse value's VAL opcodes set
// (the others are zero); false: the opcodes do not cover the registers
// exactly (a corrupt value).
func sparseEach(v []byte, fn func(i int, val uint8)) bool {
	idx := 0
	p := v[hllHdrSize:]
	for len(p) > 0 {
		switch {
		case isZero(p[0]):
			idx += zeroLen(p[0])
			p = p[1:]
		case isXZero(p[0]):
			if len(p) < 2 {
				return false
			}
			idx += xzeroLen(p)
			p = p[2:]
		default:
			n, val := valLen(p[0]), valValue(p[0])
			if idx+n > hllRegisters {
				return false
			}
			for ; n > 0; n-- {
				fn(idx, val)
				idx++
			}
			p = p[1:]
		}
	}
	return idx == hllRegisters
}

// sparseSet is Redis's hllSparseSet: raise register index to count in the
// sparse value v, splitting the opcode that covers it and merging equal
// neighbours, or converting to dense when the value gets too large for
// the sparse form. It returns the (possibly new) value, whether it
// changed, and false for a corrupt value.
func sparseSet(v []byte, index int, count uint8) (out []byte, changed, ok bool) {
	if count > hllSparseMaxVal {
		return promoteAndSet(v, index, count)
	}
	end := len(v)
	pos := hllHdrSize
	first, span, prev := 0, 0, -1
	for pos < end {
		oplen := 1
		switch {
		case isZero(v[pos]):
			span = zeroLen(v[pos])
		case isVal(v[pos]):
			span = valLen(v[pos])
		default:
			if pos+1 >= end {
				return v, false, false
			}
			span = xzeroLen(v[pos:])
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = pos
		pos += oplen
		first += span
	}
	if span == 0 || pos >= end {
		return v, false, false
	}
	op := v[pos]
	zero, xzero, val := isZero(op), isXZero(op), isVal(op)
	runlen := 0
	switch {
	case zero:
		runlen = zeroLen(op)
	case xzero:
		runlen = xzeroLen(v[pos:])
	default:
		runlen = valLen(op)
	}
	updated := false
	if val {
		if valValue(op) >= count {
			return v, false, true
		}
		if runlen == 1 {
			v[pos] = valOp(count, 1)
			updated = true
		}
	}
	if !updated && zero && runlen == 1 {
		v[pos] = valOp(count, 1)
		updated = true
	}
	if !updated {
		var seq [5]byte
		n := 0
		last := first + span - 1
		if zero || xzero {
			if index != first {
				l := index - first
				if l > hllZeroMaxLen {
					setXZero(seq[n:], l)
					n += 2
				} else {
					seq[n] = byte(l - 1)
					n++
				}
			}
			seq[n] = valOp(count, 1)
			n++
			if index != last {
				l := last - index
				if l > hllZeroMaxLen {
					setXZero(seq[n:], l)
					n += 2
				} else {
					seq[n] = byte(l - 1)
					n++
				}
			}
		} else {
			cur := valValue(op)
			if index != first {
				seq[n] = valOp(cur, index-first)
				n++
			}
			seq[n] = valOp(count, 1)
			n++
			if index != last {
				seq[n] = valOp(cur, last-index)
				n++
			}
		}
		oldlen := 1
		if xzero {
			oldlen = 2
		}
		delta := n - oldlen
		if delta > 0 && len(v)+delta > hllSparseMaxSize {
			return promoteAndSet(v, index, count)
		}
		nv := make([]byte, 0, len(v)+delta)
		nv = append(nv, v[:pos]...)
		nv = append(nv, seq[:n]...)
		nv = append(nv, v[pos+oldlen:]...)
		v = nv
		end = len(v)
	}
	// Merge adjacent VAL opcodes of equal value, up to five opcodes from
	// the one before the change.
	p := prev
	if p < 0 {
		p = hllHdrSize
	}
	for scan := 5; p < end && scan > 0; scan-- {
		switch {
		case isXZero(v[p]):
			p += 2
			continue
		case isZero(v[p]):
			p++
			continue
		}
		if p+1 < end && isVal(v[p+1]) {
			v1, v2 := valValue(v[p]), valValue(v[p+1])
			if v1 == v2 {
				if l := valLen(v[p]) + valLen(v[p+1]); l <= hllSparseMaxLen {
					v[p+1] = valOp(v1, l)
					copy(v[p:], v[p+1:end])
					end--
					v = v[:end]
					continue // try the merged opcode with the next one
				}
			}
		}
		p++
	}
	hllInvalidateCache(v)
	return v, true, true
}

func promoteAndSet(v []byte, index int, count uint8) ([]byte, bool, bool) {
	d, ok := sparseToDense(v)
	if !ok {
		return v, false, false
	}
	denseSet(d[hllHdrSize:], index, count)
	hllInvalidateCache(d)
	return d, true, true
}

// hllAdd adds one element to v (copied by the caller).
func hllAdd(v []byte, ele []byte) (out []byte, changed, ok bool) {
	index, count := hllPatLen(ele)
	if v[4] == hllDense {
		return v, denseSet(v[hllHdrSize:], index, count), true
	}
	return sparseSet(v, index, count)
}

// hllMergeInto raises max[i] to v's register i for every i.
func hllMergeInto(max []uint8, v []byte) bool {
	if v[4] == hllDense {
		regs := v[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			if r := denseGet(regs, i); r > max[i] {
				max[i] = r
			}
		}
		return true
	}
	return sparseEach(v, func(i int, val uint8) {
		if val > max[i] {
			max[i] = val
		}
	})
}

// hllCountRegisters is Redis's hllCount over raw registers (Ertl's
// estimator).
func hllCountRegisters(regs []uint8) uint64 {
	var histo [64]int
	for _, r := range regs {
		histo[r]++
	}
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z))
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zPrime := z
		z += x * y
		y += y
		if zPrime == z {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zPrime := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if zPrime == z {
			return z / 3
		}
	}
}

// lookupHLL looks key up for an HLL command: absent (nil value, ok), an
// HLL, or an error reply written (ok false).
func (c *Ctx) lookupHLL(key []byte) (r rec, ok bool) {
	r, ok = c.lookupString(key)
	if !ok {
		return r, false
	}
	if r.live && !isHLL(r.m.value) {
		r.release()
		c.W.Error(errNotHLL)
		return r, false
	}
	return r, true
}

func execPFAdd(c *Ctx, argv [][]byte) {
	r, ok := c.lookupHLL(argv[1])
	if !ok {
		return
	}
	defer r.release()
	var v []byte
	updated := false
	if r.live {
		v = copyBytes(r.m.value)
	} else {
		v, updated = newHLL(), true
	}
	for _, ele := range argv[2:] {
		var changed bool
		if v, changed, ok = hllAdd(v, ele); !ok {
			c.W.Error(errInvalidHLL)
			return
		}
		updated = updated || changed
	}
	if !updated {
		c.W.Int(0)
		return
	}
	hllInvalidateCache(v)
	c.setString(&r, v, liveExpireAt(&r))
	c.notify(NotifyString, "pfadd", argv[1])
	c.W.Int(1)
}

func execPFCount(c *Ctx, argv [][]byte) {
	max := make([]uint8, hllRegisters)
	for _, key := range argv[1:] {
		r, ok := c.lookupHLL(key)
		if !ok {
			return
		}
		if r.live {
			v := r.m.value
			if len(argv) == 2 && v[15]&0x80 == 0 {
				// One key with a valid cached count: Redis answers it.
				card := binary.LittleEndian.Uint64(v[8:16])
				r.release()
				c.W.Int(int64(card))
				return
			}
			ok = hllMergeInto(max, v)
		}
		r.release()
		if !ok {
			c.W.Error(errInvalidHLL)
			return
		}
	}
	c.W.Int(int64(hllCountRegisters(max)))
}

func execPFMerge(c *Ctx, argv [][]byte) {
	max := make([]uint8, hllRegisters)
	dense := false
	for _, key := range argv[1:] {
		r, ok := c.lookupHLL(key)
		if !ok {
			return
		}
		if r.live {
			if r.m.value[4] == hllDense {
				dense = true
			}
			ok = hllMergeInto(max, r.m.value)
		}
		r.release()
		if !ok {
			c.W.Error(errInvalidHLL)
			return
		}
	}
	r, ok := c.lookupHLL(argv[1])
	if !ok {
		return
	}
	defer r.release()
	var v []byte
	if r.live {
		v = copyBytes(r.m.value)
	} else {
		v = newHLL()
	}
	if dense {
		if v, ok = sparseToDense(v); !ok {
			c.W.Error(errInvalidHLL)
			return
		}
	}
	for i, m := range max {
		if m == 0 {
			continue
		}
		if v[4] == hllDense {
			denseSet(v[hllHdrSize:], i, m)
		} else {
			v, _, _ = sparseSet(v, i, m)
		}
	}
	hllInvalidateCache(v)
	c.setString(&r, v, liveExpireAt(&r))
	c.notify(NotifyString, "pfadd", argv[1])
	c.W.OK()
}
