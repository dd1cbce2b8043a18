package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/neokv/neokv/resp"
)

// conn is one client connection with a buffered reader.
type conn struct {
	addr string
	c    net.Conn
	r    *bufio.Reader
	out  []byte
}

func dial(addr, password string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", addr, err)
	}
	cn := &conn{addr: addr, c: c, r: bufio.NewReaderSize(c, 64<<10)}
	if password != "" {
		cn.out = appendCommand(cn.out[:0], [][]byte{[]byte("AUTH"), []byte(password)})
		if err := cn.flush(); err != nil {
			return nil, err
		}
		rep, err := cn.readReply()
		if err != nil {
			return nil, err
		}
		if rep.err != "" {
			c.Close()
			return nil, fmt.Errorf("AUTH: %s", rep.err)
		}
	}
	return cn, nil
}

func (c *conn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.c.Write(c.out)
	c.out = c.out[:0]
	return err
}

func (c *conn) close() { _ = c.c.Close() }

// reply is what the benchmark needs from a reply: whether it is an error,
// and the error text (MOVED/ASK carry the new address).
type reply struct {
	err string
}

var errProtocol = errors.New("bench: malformed reply")

// readReply reads one complete reply, keeping only an error's text.
func (c *conn) readReply() (reply, error) {
	line, err := c.readLine()
	if err != nil {
		return reply{}, err
	}
	if len(line) == 0 {
		return reply{}, errProtocol
	}
	switch line[0] {
	case '-':
		return reply{err: string(line[1:])}, nil
	case '+', ':', ',', '#', '_', '(':
		return reply{}, nil
	case '$', '=', '!':
		n, ok := resp.ParseInt(line[1:])
		if !ok {
			return reply{}, errProtocol
		}
		if n >= 0 {
			if _, err := c.r.Discard(int(n) + 2); err != nil {
				return reply{}, err
			}
		}
		return reply{}, nil
	case '*', '~', '>', '%', '|':
		n, ok := resp.ParseInt(line[1:])
		if !ok {
			return reply{}, errProtocol
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := int64(0); i < n; i++ {
			if _, err := c.readReply(); err != nil {
				return reply{}, err
			}
		}
		return reply{}, nil
	}
	return reply{}, errProtocol
}

func (c *conn) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// Only error texts can be long; keep what fits.
		rest, err2 := c.r.ReadBytes('\n')
		line = append(append([]byte(nil), line...), rest...)
		err = err2
	}
	if err != nil {
		return nil, err
	}
	return bytes.TrimRight(line, "\r\n"), nil
}

// readRaw reads one reply and returns its bytes (used for CLUSTER SLOTS).
func (c *conn) readRaw() ([]byte, error) {
	var buf []byte
	for {
		n, err := resp.ReplyLen(buf)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return buf[:n], nil
		}
		line, err := c.r.ReadBytes('\n')
		buf = append(buf, line...)
		if err != nil {
			return nil, err
		}
	}
}

// redirect parses "MOVED 3999 127.0.0.1:6381" / "ASK ...".
func redirect(msg string) (ask bool, slot int, addr string, ok bool) {
	var kind string
	var s int
	if _, err := fmt.Sscanf(msg, "%s %d %s", &kind, &s, &addr); err != nil {
		return false, 0, "", false
	}
	switch kind {
	case "MOVED":
		return false, s, addr, true
	case "ASK":
		return true, s, addr, true
	}
	return false, 0, "", false
}

func itoa(n int) string { return strconv.Itoa(n) }
