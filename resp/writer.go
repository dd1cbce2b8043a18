package resp

import (
	"math"
	"strconv"
)

// Writer appends replies to B in the connection's protocol version. RESP3
// types degrade the way Redis degrades them for RESP2 clients: maps and sets
// become arrays, doubles become bulk strings, booleans become integers and
// every null becomes the RESP2 null of its kind.
type Writer struct {
	B     []byte
	RESP3 bool
}

// Reset empties the buffer, keeping its storage.
func (w *Writer) Reset() { w.B = w.B[:0] }

// Len is the number of bytes written.
func (w *Writer) Len() int { return len(w.B) }

// Simple writes a status reply: +s.
func (w *Writer) Simple(s string) {
	w.B = append(w.B, '+')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.B = append(w.B, "+OK\r\n"...) }

// Error writes -msg. msg carries its own code ("ERR ...", "WRONGTYPE ...").
// Newlines inside msg would break the framing, so they become spaces, as in
// Redis's addReplyErrorLength.
func (w *Writer) Error(msg string) {
	w.B = append(w.B, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.B = append(w.B, c)
	}
	w.B = append(w.B, '\r', '\n')
}

// Int writes :n.
func (w *Writer) Int(n int64) {
	w.B = append(w.B, ':')
	w.B = strconv.AppendInt(w.B, n, 10)
	w.B = append(w.B, '\r', '\n')
}

// Bulk writes $len\r\nb\r\n.
func (w *Writer) Bulk(b []byte) {
	w.B = append(w.B, '$')
	w.B = strconv.AppendInt(w.B, int64(len(b)), 10)
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, b...)
	w.B = append(w.B, '\r', '\n')
}

// BulkString writes s as a bulk string.
func (w *Writer) BulkString(s string) {
	w.B = append(w.B, '$')
	w.B = strconv.AppendInt(w.B, int64(len(s)), 10)
	w.B = append(w.B, '\r', '\n')
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// BulkInt writes n formatted as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [24]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null bulk string ($-1, or _ in RESP3).
func (w *Writer) Null() {
	if w.RESP3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "$-1\r\n"...)
}

// NullArray writes the null array (*-1, or _ in RESP3).
func (w *Writer) NullArray() {
	if w.RESP3 {
		w.B = append(w.B, "_\r\n"...)
		return
	}
	w.B = append(w.B, "*-1\r\n"...)
}

// Array writes the header of an n-element array.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map writes the header of an n-pair map (a 2n array in RESP2).
func (w *Writer) Map(n int) {
	if w.RESP3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set writes the header of an n-element set (an array in RESP2).
func (w *Writer) Set(n int) {
	if w.RESP3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push writes the header of an out-of-band push (an array in RESP2).
func (w *Writer) Push(n int) {
	if w.RESP3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

func (w *Writer) header(kind byte, n int) {
	w.B = append(w.B, kind)
	w.B = strconv.AppendInt(w.B, int64(n), 10)
	w.B = append(w.B, '\r', '\n')
}

// Double writes f as a RESP3 double, or as a bulk string in RESP2, using
// Redis's formatting (%.17g, inf, -inf, nan).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := AppendDouble(tmp[:0], f)
	if w.RESP3 {
		w.B = append(w.B, ',')
		w.B = append(w.B, s...)
		w.B = append(w.B, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// Bool writes a RESP3 boolean, or 1/0 in RESP2.
func (w *Writer) Bool(v bool) {
	if w.RESP3 {
		if v {
			w.B = append(w.B, "#t\r\n"...)
		} else {
			w.B = append(w.B, "#f\r\n"...)
		}
		return
	}
	if v {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Verbatim writes a RESP3 verbatim string of format "txt" (a bulk string in RESP2).
func (w *Writer) Verbatim(s string) {
	if !w.RESP3 {
		w.BulkString(s)
		return
	}
	w.B = append(w.B, '=')
	w.B = strconv.AppendInt(w.B, int64(len(s)+4), 10)
	w.B = append(w.B, "\r\ntxt:"...)
	w.B = append(w.B, s...)
	w.B = append(w.B, '\r', '\n')
}

// Raw appends bytes that are already a complete reply.
func (w *Writer) Raw(b []byte) { w.B = append(w.B, b...) }

// AppendDouble formats f as Redis formats doubles in replies (%.17g).
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return appendG17(b, f)
}

// appendG17 renders f like C's printf("%.17g").
func appendG17(b []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// %g uses scientific notation when exp < -4 or exp >= precision.
	s := strconv.FormatFloat(f, 'e', 16, 64)
	// Recompute the exponent from the formatted mantissa: rounding can carry.
	if e := indexByte(s, 'e'); e >= 0 {
		if v, err := strconv.Atoi(s[e+1:]); err == nil {
			exp = v
		}
	}
	if exp < -4 || exp >= 17 {
		// Trim trailing zeros of the mantissa, keep C's two-digit exponent.
		e := indexByte(s, 'e')
		mant := trimZeros(s[:e])
		b = append(b, mant...)
		b = append(b, 'e')
		ev := exp
		if ev < 0 {
			b = append(b, '-')
			ev = -ev
		} else {
			b = append(b, '+')
		}
		if ev < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(ev), 10)
	}
	return append(b, trimZeros(strconv.FormatFloat(f, 'f', 16-exp, 64))...)
}

func trimZeros(s string) string {
	if indexByte(s, '.') < 0 {
		return s
	}
	i := len(s)
	for i > 0 && s[i-1] == '0' {
		i--
	}
	if i > 0 && s[i-1] == '.' {
		i--
	}
	return s[:i]
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
