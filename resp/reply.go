package resp

import (
	"bytes"
	"errors"
)

// ErrMalformedReply is returned by ReplyLen for bytes that are not a reply.
var ErrMalformedReply = errors.New("resp: malformed reply")

// ReplyLen returns the length of the first complete reply in b, or 0 if b
// does not yet hold one. It understands every RESP2 and RESP3 type.
func ReplyLen(b []byte) (int, error) {
	return replyLen(b, 0)
}

func replyLen(b []byte, depth int) (int, error) {
	if depth > 64 {
		return 0, ErrMalformedReply
	}
	if len(b) == 0 {
		return 0, nil
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return 0, nil
	}
	if nl < 2 || b[nl-1] != '\r' {
		return 0, ErrMalformedReply
	}
	line := b[1 : nl-1]
	pos := nl + 1
	switch b[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return pos, nil
	case '$', '=', '!':
		n, ok := ParseInt(line)
		if !ok {
			return 0, ErrMalformedReply
		}
		if n < 0 {
			return pos, nil
		}
		if int64(len(b)-pos) < n+2 {
			return 0, nil
		}
		return pos + int(n) + 2, nil
	case '*', '~', '>', '%', '|':
		n, ok := ParseInt(line)
		if !ok {
			return 0, ErrMalformedReply
		}
		if b[0] == '%' || b[0] == '|' {
			n *= 2
		}
		for i := int64(0); i < n; i++ {
			m, err := replyLen(b[pos:], depth+1)
			if m == 0 || err != nil {
				return 0, err
			}
			pos += m
		}
		return pos, nil
	}
	return 0, ErrMalformedReply
}

// ArrayElems splits a complete array reply into its elements' encodings.
// A null array yields nil, ok. It returns ok false for any other reply.
func ArrayElems(b []byte, dst [][]byte) ([][]byte, bool) {
	if len(b) == 0 || (b[0] != '*' && b[0] != '~' && b[0] != '>') {
		return dst, false
	}
	nl := bytes.IndexByte(b, '\n')
	if nl < 2 {
		return dst, false
	}
	n, ok := ParseInt(b[1 : nl-1])
	if !ok {
		return dst, false
	}
	pos := nl + 1
	for i := int64(0); i < n; i++ {
		m, err := ReplyLen(b[pos:])
		if m == 0 || err != nil {
			return dst, false
		}
		dst = append(dst, b[pos:pos+m])
		pos += m
	}
	return dst, true
}

// IntValue returns the value of an integer reply (":n\r\n").
func IntValue(b []byte) (int64, bool) {
	if len(b) < 4 || b[0] != ':' {
		return 0, false
	}
	return ParseInt(b[1 : len(b)-2])
}
