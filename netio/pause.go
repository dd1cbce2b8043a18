package netio

import (
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// clientPause is CLIENT PAUSE's state: until a deadline, this node holds
// its clients' commands (ALL) or those that may write (WRITE) where they
// are, unread, and runs them once the pause ends, as Redis does. Other
// nodes' forwarding links are not paused (like Redis's replicas): they
// carry every client of a node, and the pause is this node's; so AUTH and
// NEOKV, a new link's greeting, are not held either. Unlike Redis, a WRITE
// pause holds scripts flagged no-writes too (EVAL_RO and FCALL_RO pass),
// lets PFCOUNT through (here it never writes), and does not stop active
// expiry (its deletes are the Regions' leaders' to propose, cluster-wide).
type clientPause struct {
	active atomic.Bool // a pause may be in effect: the hot path's only check

	mu      sync.Mutex
	until   time.Time
	all     bool
	waiting map[*client]struct{} // connections holding a paused command
	timer   *time.Timer
}

// pausedFor reports whether cmd must wait for the pause to end; if so,
// cl is woken when it does.
func (s *Server) pausedFor(cl *client, cmd *command, argv [][]byte) bool {
	if cmd.name == "auth" || cmd.name == "neokv" {
		return false
	}
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	if !time.Now().Before(p.until) {
		return false
	}
	if !p.all && !mayWrite(cl, cmd, argv) {
		return false
	}
	if p.waiting == nil {
		p.waiting = map[*client]struct{}{}
	}
	p.waiting[cl] = struct{}{}
	return true
}

// mayWrite reports whether a command may change data, as Redis's
// "may replicate" test for a WRITE pause: write commands, scripts and
// functions that may write, PUBLISH and SPUBLISH, and an EXEC with a
// queued command among these.
func mayWrite(cl *client, cmd *command, argv [][]byte) bool {
	if cmd.flags&engine.FlagWrite != 0 {
		return true
	}
	switch cmd.name {
	case "eval", "evalsha", "fcall", "publish", "spublish":
		return true
	case "function":
		switch strings.ToLower(string(argv[1])) {
		case "load", "delete", "flush", "restore":
			return true
		}
	case "exec":
		for _, q := range cl.queued {
			if q.cmd != nil && mayWrite(cl, q.cmd, q.argv) {
				return true
			}
		}
	}
	return false
}

// pauseClients starts or extends a pause: the later deadline and the
// stricter mode of the current pause and the new one hold, as in Redis.
func (s *Server) pauseClients(d time.Duration, all bool) {
	p := &s.pause
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if !now.Before(p.until) {
		p.all = false
	}
	p.all = p.all || all
	if until := now.Add(d); until.After(p.until) {
		p.until = until
		if p.timer != nil {
			p.timer.Stop()
		}
		p.timer = time.AfterFunc(d, s.pauseEnded)
	}
	p.active.Store(true)
}

// unpauseClients ends the pause now (CLIENT UNPAUSE).
func (s *Server) unpauseClients() {
	p := &s.pause
	p.mu.Lock()
	p.until = time.Time{}
	p.mu.Unlock()
	s.pauseEnded()
}

// pauseEnded wakes the connections that held commands, once the pause is
// over (a timer of an earlier, shorter pause finds it still on).
func (s *Server) pauseEnded() {
	p := &s.pause
	p.mu.Lock()
	if time.Now().Before(p.until) {
		p.mu.Unlock()
		return
	}
	p.active.Store(false)
	p.all = false
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	waiting := p.waiting
	p.waiting = nil
	p.mu.Unlock()
	for cl := range waiting {
		if !cl.gone.Load() {
			cl.wakeup()
		}
	}
}

// stopPause drops the pause's timer (the server is stopping).
func (s *Server) stopPause() {
	p := &s.pause
	p.mu.Lock()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	p.mu.Unlock()
}

// clientPauseCmd answers CLIENT PAUSE timeout [WRITE|ALL] with Redis's
// checks and errors.
func (s *Server) clientPauseCmd(argv [][]byte, w *resp.Writer) {
	if len(argv) != 3 && len(argv) != 4 {
		w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(clip(argv[1], 128)) + "'. Try CLIENT HELP.")
		return
	}
	all := true
	if len(argv) == 4 {
		switch strings.ToLower(string(argv[3])) {
		case "write":
			all = false
		case "all":
		default:
			w.Error("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := timeoutMillis(w, argv[2])
	if !ok {
		return
	}
	d := time.Duration(math.MaxInt64)
	if ms < int64(math.MaxInt64/time.Millisecond) {
		d = time.Duration(ms) * time.Millisecond
	}
	s.pauseClients(d, all)
	w.OK()
}

// timeoutMillis parses a millisecond timeout (WAIT, CLIENT PAUSE),
// answering Redis's errors for one that is not a number or negative.
func timeoutMillis(w *resp.Writer, arg []byte) (int64, bool) {
	ms, ok := resp.ParseInt(arg)
	if !ok {
		w.Error("ERR timeout is not an integer or out of range")
		return 0, false
	}
	if ms < 0 {
		w.Error("ERR timeout is negative")
		return 0, false
	}
	return ms, true
}
