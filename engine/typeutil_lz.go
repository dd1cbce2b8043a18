package engine

import (
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Helpers shared by the list (list.go) and sorted set (zset.go) commands.

// lzIter opens an iterator over the sub-keys starting with prefix.
func (c *Ctx) lzIter(prefix []byte) (*pebble.Iterator, bool) {
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEndKey(prefix)})
	if err != nil {
		c.fail(fmt.Errorf("iterate %q: %w", prefix, err))
		return nil, false
	}
	return it, true
}

// lzCloseIter closes it, recording a storage error.
func (c *Ctx) lzCloseIter(it *pebble.Iterator) bool {
	if err := it.Close(); err != nil {
		c.fail(fmt.Errorf("iterate: %w", err))
		return false
	}
	return true
}

// lzGet reads one sub-key; found is false if it is absent. The value is
// copied.
func (c *Ctx) lzGet(k []byte) (v []byte, found, ok bool) {
	val, closer, err := c.r.Get(k)
	if err == pebble.ErrNotFound {
		return nil, false, true
	}
	if err != nil {
		c.fail(fmt.Errorf("read %q: %w", k, err))
		return nil, false, false
	}
	v = copyBytes(val)
	_ = closer.Close()
	return v, true, true
}

// lzErrPositive is getPositiveLongFromObjectOrReply's default error.
const lzErrPositive = "ERR value is out of range, must be positive"

// lzParseCount parses a COUNT argument like getPositiveLongFromObjectOrReply.
func (c *Ctx) lzParseCount(b []byte, msg string) (int64, bool) {
	v, ok := resp.ParseInt(b)
	if !ok || v < 0 {
		c.W.Error(msg)
		return 0, false
	}
	return v, true
}

// lzStrtod emulates glibc's strtod on b: it skips leading white space,
// accepts a sign, decimal or hexadecimal (0x, with or without a p exponent)
// numbers, "inf", "infinity" and "nan" (with an optional "(chars)"), and
// returns the value, how many bytes it consumed (0 when nothing converts,
// as strtod leaves eptr at the start) and whether strtod would set ERANGE
// with an infinite or zero result (overflow, or underflow to zero).
func lzStrtod(b []byte) (v float64, n int, erange bool) {
	i := 0
	for i < len(b) && isSpaceByte(b[i]) {
		i++
	}
	signAt := i
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	hasPrefixFold := func(p []byte, s string) bool { return len(p) >= len(s) && eqFold(p[:len(s)], s) }
	rest := b[i:]
	switch {
	case hasPrefixFold(rest, "infinity"):
		return math.Inf(lzSign(neg)), i + 8, false
	case hasPrefixFold(rest, "inf"):
		return math.Inf(lzSign(neg)), i + 3, false
	case hasPrefixFold(rest, "nan"):
		j := i + 3
		if j < len(b) && b[j] == '(' {
			k := j + 1
			for k < len(b) && (lzIsAlnum(b[k]) || b[k] == '_') {
				k++
			}
			if k < len(b) && b[k] == ')' {
				j = k + 1
			}
		}
		return math.NaN(), j, false
	}
	isDec := func(c byte) bool { return c >= '0' && c <= '9' }
	isHex := func(c byte) bool { return isDec(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f' }
	if len(rest) >= 2 && rest[0] == '0' && (rest[1]|0x20) == 'x' {
		j := i + 2
		mant := j
		digits, nonZero := 0, false
		for j < len(b) && isHex(b[j]) {
			digits++
			nonZero = nonZero || b[j] != '0'
			j++
		}
		if j < len(b) && b[j] == '.' {
			j++
			for j < len(b) && isHex(b[j]) {
				digits++
				nonZero = nonZero || b[j] != '0'
				j++
			}
		}
		if digits == 0 {
			// Only the "0" converts; eptr is left at the 'x'.
			if neg {
				return math.Copysign(0, -1), i + 1, false
			}
			return 0, i + 1, false
		}
		lit := "0x" + string(b[mant:j])
		hasExp := false
		if j < len(b) && (b[j]|0x20) == 'p' {
			k := j + 1
			if k < len(b) && (b[k] == '+' || b[k] == '-') {
				k++
			}
			if k < len(b) && isDec(b[k]) {
				for k < len(b) && isDec(b[k]) {
					k++
				}
				lit += string(b[j:k])
				j, hasExp = k, true
			}
		}
		if !hasExp {
			lit += "p0" // Go requires the exponent C makes optional
		}
		f, err := strconv.ParseFloat(lit, 64)
		if neg {
			f = -f
		}
		return f, j, lzIsRangeErr(err) || (f == 0 && nonZero)
	}
	j := i
	digits, nonZero := 0, false
	for j < len(b) && isDec(b[j]) {
		digits++
		nonZero = nonZero || b[j] != '0'
		j++
	}
	if j < len(b) && b[j] == '.' {
		k := j + 1
		for k < len(b) && isDec(b[k]) {
			digits++
			nonZero = nonZero || b[k] != '0'
			k++
		}
		if digits > 0 {
			j = k
		}
	}
	if digits == 0 {
		return 0, 0, false
	}
	if j < len(b) && (b[j]|0x20) == 'e' {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && isDec(b[k]) {
			for k < len(b) && isDec(b[k]) {
				k++
			}
			j = k
		}
	}
	f, err := strconv.ParseFloat(string(b[signAt:j]), 64)
	return f, j, lzIsRangeErr(err) || (f == 0 && nonZero)
}

func lzSign(neg bool) int {
	if neg {
		return -1
	}
	return 1
}

func lzIsAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func lzIsRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// lzParseDouble is Redis's getDoubleFromObject: the whole argument must be a
// number (no leading space, nothing after it), not NaN, and neither
// overflow nor underflow to zero.
func lzParseDouble(b []byte) (float64, bool) {
	if len(b) == 0 || isSpaceByte(b[0]) {
		return 0, false
	}
	v, n, erange := lzStrtod(b)
	if n != len(b) || erange || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// lzParseRangeDouble is the number parsing of zslParseRange: strtod on a C
// string (so it stops at a NUL byte), where leading white space, overflow
// and even an empty string (zero) are accepted; only trailing bytes and NaN
// are refused.
func lzParseRangeDouble(b []byte) (float64, bool) {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	v, n, _ := lzStrtod(b)
	if n != len(b) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// lzNumKeys returns the key positions of a command whose keys are counted
// by the argument at numIdx (ZUNION numkeys k1 k2 ...), plus the fixed
// positions in extra (ZUNIONSTORE's destination). If numkeys is not a
// usable count it returns extra, or else the position after numIdx, so the
// command still routes somewhere and its Exec replies Redis's error.
func lzNumKeys(argv [][]byte, numIdx int, extra ...int) []int {
	return lzNumKeysThen(argv, numIdx, 0, extra...)
}

// lzNumKeysThen is lzNumKeys for commands whose keys must be followed by
// at least trailing more arguments (LMPOP's LEFT|RIGHT): a count that
// leaves no room for them is not usable.
func lzNumKeysThen(argv [][]byte, numIdx, trailing int, extra ...int) []int {
	out := append([]int(nil), extra...)
	n, ok := resp.ParseInt(argv[numIdx])
	if !ok || n < 1 || n > int64(len(argv)-numIdx-1-trailing) {
		if len(out) > 0 {
			return out
		}
		if numIdx+1 < len(argv) {
			return []int{numIdx + 1}
		}
		return []int{numIdx}
	}
	for i := 0; i < int(n); i++ {
		out = append(out, numIdx+1+i)
	}
	return out
}

// ParseBlockingTimeout parses the timeout of a blocking list or sorted set
// command (seconds, fractional allowed) like Redis's
// getTimeoutFromObjectOrReply: it returns the absolute deadline in Unix
// milliseconds (0: block forever) or Redis's error reply text.
func ParseBlockingTimeout(arg []byte, now int64) (deadline int64, errMsg string) {
	f, ok := parseLongDouble(arg)
	if !ok {
		return 0, "ERR timeout is not a float or out of range"
	}
	ms := newLongDouble().Mul(f, newLongDouble().SetInt64(1000))
	// C's (long long) conversion of an out-of-range value gives LLONG_MIN
	// on x86, which Redis then reports as negative.
	if ms.IsInf() {
		return 0, "ERR timeout is negative"
	}
	t, acc := ms.Int64()
	if acc != big.Exact && (t == math.MaxInt64 || t == math.MinInt64) {
		return 0, "ERR timeout is negative"
	}
	if t < 0 {
		return 0, "ERR timeout is negative"
	}
	if t > 0 {
		if t > math.MaxInt64-now {
			return 0, "ERR timeout is out of range"
		}
		t += now
	}
	return t, ""
}

// lzD2String formats a score as Redis 7.0's d2string (used by ZSCAN, whose
// replies carry the stored strings): integral values within ±2^62 as
// integers, others as %.17g.
func lzD2String(dst []byte, d float64) []byte {
	const lim = 4611686018427387904.0 // (double)(LLONG_MAX/2)
	if d >= -lim && d <= lim && d == math.Trunc(d) {
		return strconv.AppendInt(dst, int64(d), 10)
	}
	return resp.AppendDouble(dst, d)
}
