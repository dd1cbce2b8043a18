package resp

import (
	"bytes"
	"math"
)

// Redis's protocol limits (server.h and config.c defaults).
const (
	// InlineMaxSize is PROTO_INLINE_MAX_SIZE: the longest inline request, and
	// the longest "*<count>" or "$<len>" line, Redis accepts.
	InlineMaxSize = 64 * 1024
	// DefaultMaxBulkLen is proto-max-bulk-len's default.
	DefaultMaxBulkLen = 512 * 1024 * 1024
	// DefaultMaxMultibulkLen is the largest multibulk count Redis accepts (INT_MAX).
	DefaultMaxMultibulkLen = math.MaxInt32
	// DefaultQueryBufferLimit is client-query-buffer-limit's default.
	DefaultQueryBufferLimit = 1024 * 1024 * 1024
)

// Limits bound what one request may claim.
type Limits struct {
	MaxBulkLen      int64
	MaxMultibulkLen int64
}

// DefaultLimits returns Redis's defaults.
func DefaultLimits() Limits {
	return Limits{MaxBulkLen: DefaultMaxBulkLen, MaxMultibulkLen: DefaultMaxMultibulkLen}
}

// ProtocolError is a request the server must refuse and then close the
// connection, as Redis does. Msg is the reply text without the leading '-'.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// Parser parses requests. Its zero value is not usable; use NewParser.
// A Parser reuses its argument slice: the result of Parse is valid until the
// next call to Parse and until the parsed buffer is modified.
type Parser struct {
	limits Limits
	args   [][]byte
	inline []byte // storage for inline arguments that needed unescaping
	need   int    // after an incomplete parse: bytes the request needs at least
}

// Need returns, after Parse reported an incomplete request, how many bytes
// the buffer must hold before parsing again can succeed. Callers use it to
// avoid re-scanning a large value that is still arriving.
func (p *Parser) Need() int { return p.need }

// NewParser returns a parser enforcing limits.
func NewParser(limits Limits) *Parser {
	return &Parser{limits: limits, args: make([][]byte, 0, 16)}
}

// SetLimits changes the limits for the requests parsed from now on, so
// that CONFIG SET proto-max-bulk-len reaches connections already open, as
// in Redis.
func (p *Parser) SetLimits(limits Limits) { p.limits = limits }

// Parse parses the first request in buf.
//
// It returns the request's arguments and the number of bytes it occupied.
// n == 0 with a nil error means buf does not yet hold a whole request.
// An empty request ("*0\r\n", a blank inline line) returns n > 0 and no
// arguments; callers skip it. unauthenticated applies Redis's tighter
// limits for clients that have not yet authenticated.
func (p *Parser) Parse(buf []byte, unauthenticated bool) (args [][]byte, n int, err error) {
	p.need = len(buf) + 1
	if len(buf) == 0 {
		return nil, 0, nil
	}
	if buf[0] == '*' {
		return p.parseMultibulk(buf, unauthenticated)
	}
	return p.parseInline(buf)
}

func (p *Parser) parseMultibulk(buf []byte, unauthenticated bool) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\r')
	if nl < 0 {
		if len(buf) > InlineMaxSize {
			return nil, 0, &ProtocolError{"Protocol error: too big mbulk count string"}
		}
		return nil, 0, nil
	}
	if nl > len(buf)-2 { // the '\n' has not arrived yet
		return nil, 0, nil
	}
	count, ok := ParseInt(buf[1:nl])
	if !ok || count > p.limits.MaxMultibulkLen || count > math.MaxInt32 {
		return nil, 0, &ProtocolError{"Protocol error: invalid multibulk length"}
	}
	if count > 10 && unauthenticated {
		return nil, 0, &ProtocolError{"Protocol error: unauthenticated multibulk length"}
	}
	pos := nl + 2
	if count <= 0 {
		return nil, pos, nil
	}
	args := p.args[:0]
	for i := int64(0); i < count; i++ {
		if pos >= len(buf) {
			p.args = args
			return nil, 0, nil
		}
		rest := buf[pos:]
		nl := bytes.IndexByte(rest, '\r')
		if nl < 0 {
			if len(rest) > InlineMaxSize {
				return nil, 0, &ProtocolError{"Protocol error: too big bulk count string"}
			}
			p.args = args
			return nil, 0, nil
		}
		if nl > len(rest)-2 {
			p.args = args
			return nil, 0, nil
		}
		if rest[0] != '$' {
			return nil, 0, &ProtocolError{"Protocol error: expected '$', got '" + printable(rest[0]) + "'"}
		}
		size, ok := ParseInt(rest[1:nl])
		if !ok || size < 0 || size > p.limits.MaxBulkLen {
			return nil, 0, &ProtocolError{"Protocol error: invalid bulk length"}
		}
		if size > 16384 && unauthenticated {
			return nil, 0, &ProtocolError{"Protocol error: unauthenticated bulk length"}
		}
		start := pos + nl + 2
		// Like Redis, the two bytes after the payload are skipped, not checked.
		if int64(len(buf)-start) < size+2 {
			p.args = args
			p.need = start + int(size) + 2
			return nil, 0, nil
		}
		end := start + int(size)
		args = append(args, buf[start:end:end])
		pos = end + 2
	}
	p.args = args
	return args, pos, nil
}

// printable renders the offending byte of "expected '$', got 'x'" the way
// Redis's addReplyErrorFormat would leave it: newlines become spaces so the
// error stays one line.
func printable(c byte) string {
	if c == '\r' || c == '\n' {
		return " "
	}
	return string([]byte{c})
}

func (p *Parser) parseInline(buf []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	if nl < 0 {
		if len(buf) > InlineMaxSize {
			return nil, 0, &ProtocolError{"Protocol error: too big inline request"}
		}
		return nil, 0, nil
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := p.splitArgs(line)
	if !ok {
		return nil, 0, &ProtocolError{"Protocol error: unbalanced quotes in request"}
	}
	return args, nl + 1, nil
}

// splitArgs is Redis's sdssplitargs: space-separated words, "double quoted"
// strings with C escapes (\n \r \t \b \a \xHH), 'single quoted' strings where
// only \' is special. A closing quote must be followed by a space or the end.
func (p *Parser) splitArgs(line []byte) ([][]byte, bool) {
	args := p.args[:0]
	p.inline = p.inline[:0]
	// Unescaped words are copied into p.inline; reserve capacity up front so
	// that appends never move earlier words.
	if cap(p.inline) < len(line) {
		p.inline = make([]byte, 0, len(line))
	}
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			p.args = args
			return args, true
		}
		start := len(p.inline)
		inDouble, inSingle, done := false, false, false
		for !done {
			if inDouble {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					p.inline = append(p.inline, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					default:
						c = line[i]
					}
					p.inline = append(p.inline, c)
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					p.inline = append(p.inline, c)
				}
			} else if inSingle {
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					p.inline = append(p.inline, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					p.inline = append(p.inline, c)
				}
			} else {
				if i >= len(line) {
					break
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					p.inline = append(p.inline, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		end := len(p.inline)
		args = append(args, p.inline[start:end:end])
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// ParseInt is Redis's string2ll: an optional '-', then digits with no
// leading zeros (except "0" itself), no spaces, no '+', within int64.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i++
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
