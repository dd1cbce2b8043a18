package netio

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neokv/neokv/engine"
)

// MONITOR streams every command this node runs to the connections that
// asked, in Redis's format (`+<unix time>.<µs> [0 <client>] "cmd" "arg"`),
// through the same push buffers Pub/Sub uses. As in Redis: a command
// refused before running (unknown, wrong arity, not authenticated) is not
// shown, the commands of a transaction appear when EXEC runs them (then
// EXEC), and AUTH's and HELLO's passwords are redacted. Commands arrive
// here when the node dispatches them, before the Region runs them; the
// internal NEOKV commands of forwarding links are not shown.
type monitors struct {
	n   atomic.Int32 // checked on every command: zero costs one load
	mu  sync.Mutex
	set map[*client]struct{}
}

func (s *Server) cmdMonitor(cl *client, _ [][]byte) {
	s.monitors.mu.Lock()
	if s.monitors.set == nil {
		s.monitors.set = map[*client]struct{}{}
	}
	if _, ok := s.monitors.set[cl]; !ok {
		s.monitors.set[cl] = struct{}{}
		s.monitors.n.Add(1)
		cl.monitoring.Store(true)
	}
	s.monitors.mu.Unlock()
	cl.immediate().OK()
}

// dropMonitor removes a closing connection from the monitors.
func (s *Server) dropMonitor(cl *client) {
	if !cl.monitoring.Load() {
		return
	}
	s.monitors.mu.Lock()
	if _, ok := s.monitors.set[cl]; ok {
		delete(s.monitors.set, cl)
		s.monitors.n.Add(-1)
	}
	s.monitors.mu.Unlock()
}

// feedMonitors shows argv, sent by cl, to every monitor.
func (s *Server) feedMonitors(cl *client, argv [][]byte) {
	now := time.Now()
	line := []byte{'+'}
	line = strconv.AppendInt(line, now.Unix(), 10)
	line = append(line, '.')
	us := now.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		line = append(line, '0')
	}
	line = strconv.AppendInt(line, int64(us), 10)
	line = append(line, " [0 "...)
	line = append(line, cl.addr...)
	line = append(line, ']')
	redactFrom := len(argv)
	switch name := s.lookup(argv[0]); {
	case name == nil:
	case name.name == "auth":
		redactFrom = 1
	}
	for i, a := range argv {
		line = append(line, ' ')
		if i >= redactFrom || (i >= 2 && engine.EqFold(argv[0], "hello") && engine.EqFold(argv[i-1], "auth")) ||
			(i >= 3 && engine.EqFold(argv[0], "hello") && engine.EqFold(argv[i-2], "auth")) {
			line = append(line, `"(redacted)"`...)
			continue
		}
		line = appendRepr(line, a)
	}
	line = append(line, '\r', '\n')
	s.monitors.mu.Lock()
	for m := range s.monitors.set {
		m.push(line)
	}
	s.monitors.mu.Unlock()
}

// appendRepr is Redis's sdscatrepr: a quoted string with C escapes.
func appendRepr(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				dst = append(dst, c)
			} else {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&0xf])
			}
		}
	}
	return append(dst, '"')
}
