package netio

import (
	"bytes"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
// BZPOPMAX, BZMPOP, and XREAD and XREADGROUP with BLOCK). Each attempt is the command's non-blocking form,
// applied through Raft by the Region's leader like any write (engine's
// BlockingCommands). When it finds nothing, the client stays blocked: its
// reply slot stays open (so its later pipelined commands wait behind it, as
// in Redis) and the attempt is made again when an apply batch on this node
// changes one of its keys — followers apply too, so a client on any node is
// woken — or, as a safety net, every pollInterval; at the deadline it gets
// a null reply. Inside MULTI the command never blocks.

const blockPollInterval = time.Second

type blocked struct {
	s    *Server
	cl   *client
	cmd  *command
	argv [][]byte // copies
	keys []string
	out  *slot // the client's reply slot
	bulk bool  // BLMOVE/BRPOPLPUSH: an attempt's "nothing" is a null bulk string

	resp3 bool
	// xread: the attempts are XREADs whose IDs the first attempt resolves
	// ("$" is the last ID when the client blocked); nIDs IDs end argv.
	xread bool
	nIDs  int
	// unblockErr: CLIENT UNBLOCK ... ERROR ended the wait.
	unblockErr bool

	mu       sync.Mutex
	pending  *attemptWriter // the attempt in flight (or last)
	inFlight bool
	again    bool // a key changed while an attempt was in flight
	expired  bool
	finished bool
	timer    *time.Timer
	poll     *time.Timer
	attemptW slotWriter
}

// slotWriter is the Completion of one attempt.
type slotWriter struct{ b *blocked }

func (sw slotWriter) Complete(uint64) { sw.b.attemptDone() }

// blockRegistry finds the blocked clients of a key.
type blockRegistry struct {
	mu    sync.Mutex
	byKey map[string]map[*blocked]struct{}
	n     atomic.Int64
}

func (r *blockRegistry) add(b *blocked) {
	r.mu.Lock()
	if r.byKey == nil {
		r.byKey = map[string]map[*blocked]struct{}{}
	}
	for _, k := range b.keys {
		m := r.byKey[k]
		if m == nil {
			m = map[*blocked]struct{}{}
			r.byKey[k] = m
		}
		m[b] = struct{}{}
	}
	r.mu.Unlock()
	r.n.Add(1)
}

func (r *blockRegistry) remove(b *blocked) {
	r.mu.Lock()
	for _, k := range b.keys {
		if m := r.byKey[k]; m != nil {
			delete(m, b)
			if len(m) == 0 {
				delete(r.byKey, k)
			}
		}
	}
	r.mu.Unlock()
	r.n.Add(-1)
}

// KeysChanged is the store's OnApplied hook: wake whoever waits on keys.
// It also sends client-side caching invalidations (tracking.go).
func (s *Server) KeysChanged(keys [][]byte) {
	s.invalidate(keys)
	r := &s.blockedReg
	if r.n.Load() == 0 {
		return
	}
	var wake []*blocked
	r.mu.Lock()
	for _, k := range keys {
		for b := range r.byKey[string(k)] {
			wake = append(wake, b)
		}
	}
	r.mu.Unlock()
	for _, b := range wake {
		b.retry()
	}
}

// timeoutArg is where a blocking command's timeout is.
func timeoutArg(name string, argv [][]byte) []byte {
	switch name {
	case "blmpop", "bzmpop":
		return argv[1]
	}
	return argv[len(argv)-1]
}

// blocksWith returns the position of an XREAD's (XREADGROUP's) BLOCK timeout when the
// command blocks: a valid, not negative number of milliseconds before
// STREAMS; else -1 (the command runs once and reports any error itself,
// in Redis's order of checks).
func blocksWith(argv [][]byte) int {
	for i := 1; i+1 < len(argv); i++ {
		switch {
		case engine.EqFold(argv[i], "block"):
			if ms, ok := resp.ParseInt(argv[i+1]); ok && ms >= 0 {
				return i + 1
			}
			return -1
		case engine.EqFold(argv[i], "count"):
			i++
		case engine.EqFold(argv[i], "group"):
			i += 2
		case engine.EqFold(argv[i], "noack"):
		default:
			return -1
		}
	}
	return -1
}

// block runs a blocking command outside MULTI.
func (s *Server) block(cl *client, cmd *command, argv [][]byte) {
	d := cmd.data
	var deadline int64
	var msg string
	attemptArgv := argv
	if cmd.blockOption {
		i := blocksWith(argv)
		ms, _ := resp.ParseInt(argv[i])
		// Past the end of time: Redis 7.0 blocks with no deadline.
		if now := time.Now().UnixMilli(); ms > 0 && ms <= math.MaxInt64-now {
			deadline = now + ms
		}
		// The attempts: the command without BLOCK; XREAD's marked to
		// resolve "$" (XREADGROUP's ">" is the group's position at each
		// attempt, and any other ID answers at once).
		attemptArgv = [][]byte{argv[0]}
		if cmd.name == "xread" {
			attemptArgv = append(attemptArgv, []byte(engine.XReadAttempt))
		}
		attemptArgv = append(attemptArgv, argv[1:i-1]...)
		attemptArgv = append(attemptArgv, argv[i+1:]...)
	} else {
		deadline, msg = engine.ParseBlockingTimeout(timeoutArg(cmd.name, argv), time.Now().UnixMilli())
	}
	if msg != "" {
		cl.immediate().Error(msg)
		return
	}
	var region *batching.Region
	cross := false
	var keys []string
	d.KeysOf(argv, func(i int) {
		keys = append(keys, string(argv[i]))
		r := s.store.Route(slots.Of(argv[i]))
		if region == nil {
			region = r
		} else if r != region {
			cross = true
		}
	})
	if cross {
		cl.immediate().Error(engine.ErrCrossSlot)
		return
	}
	if region == nil {
		// Malformed (e.g. numkeys out of range): the attempt reports it.
		region = s.store.Route(0)
	}
	b := &blocked{s: s, cl: cl, cmd: cmd, keys: keys, out: cl.newSlot(),
		bulk: cmd.name == "blmove" || cmd.name == "brpoplpush", resp3: cl.resp3,
		xread: cmd.name == "xread", nIDs: len(keys)}
	b.argv = cloneArgv(attemptArgv)
	b.argv[0] = cmd.nameB
	// As in Redis, a blocked client's later commands wait for it.
	b.out.fence = true
	cl.fences++
	b.attemptW = slotWriter{b}
	cl.blocked = append(cl.blocked, b)
	s.blockedReg.add(b)
	if deadline > 0 {
		b.timer = time.AfterFunc(time.Until(time.UnixMilli(deadline)), b.timeout)
	}
	b.mu.Lock()
	b.startAttempt()
	b.mu.Unlock()
}

// startAttempt proposes the non-blocking form; b.mu is held.
func (b *blocked) startAttempt() {
	b.inFlight, b.again = true, false
	s := b.s
	region := s.store.Route(0)
	if len(b.keys) > 0 {
		region = s.store.Route(slots.OfString(b.keys[0]))
	}
	wr := &attemptWriter{}
	wr.w.RESP3 = b.resp3
	if addr, ok := s.remoteLeader(b.cl, region); ok {
		s.fwd.forwardRegion(addr, region, b.argv, &wr.w, b.attemptW)
		b.pending = wr
		return
	}
	batch := batching.NewBatch()
	batch.Add(region, engine.KindClient, b.argv, &wr.w, b.attemptW, 0)
	b.pending = wr
	s.store.Submit(batch)
}

// attemptDone handles the reply of an attempt.
func (b *blocked) attemptDone() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inFlight = false
	rep := b.pending.w.B
	if b.finished {
		return
	}
	nothing := bytes.Equal(rep, []byte("*-1\r\n")) || bytes.Equal(rep, []byte("_\r\n")) || (b.bulk && bytes.Equal(rep, []byte("$-1\r\n")))
	if b.xread && bytes.HasPrefix(rep, []byte("-"+engine.XReadResolved+" ")) {
		// Later attempts compare against these IDs.
		ids := bytes.Fields(bytes.TrimSuffix(rep[len(engine.XReadResolved)+2:], []byte("\r\n")))
		if len(ids) == b.nIDs && b.nIDs <= len(b.argv) {
			for i, id := range ids {
				b.argv[len(b.argv)-b.nIDs+i] = bytes.Clone(id)
			}
		}
		nothing = true
	}
	if !nothing || b.expired || b.cl.gone.Load() {
		if nothing && b.unblockErr {
			b.out.w.Error(errUnblocked)
		} else if nothing {
			b.out.w.NullArray() // Redis 7.0: a null array, BLMOVE's too
		} else {
			b.out.w.Raw(rep)
		}
		b.finishLocked()
		return
	}
	if b.again {
		b.startAttempt()
		return
	}
	// Wait for a write to one of the keys; poll now and then in case a
	// wake-up was missed (a write applied between attempt and reply).
	if b.poll == nil {
		b.poll = time.AfterFunc(blockPollInterval, b.retry)
	} else {
		b.poll.Reset(blockPollInterval)
	}
}

// retry makes a new attempt now, or after the one in flight.
func (b *blocked) retry() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	if b.inFlight {
		b.again = true
		return
	}
	if b.cl.gone.Load() {
		b.finishLocked()
		return
	}
	b.startAttempt()
}

const errUnblocked = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: the client's
// blocking command ends now as if it had timed out, or with an error. An
// attempt in flight that finds data still answers it.
func (s *Server) clientUnblock(argv [][]byte, w *resp.Writer) {
	id, ok := resp.ParseInt(argv[2])
	if !ok {
		w.Error(engine.ErrNotInteger)
		return
	}
	withErr := false
	switch {
	case len(argv) > 4:
		w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(argv[1]) + "'. Try CLIENT HELP.")
		return
	case len(argv) == 3:
	case len(argv) == 4 && engine.EqFold(argv[3], "timeout"):
	case len(argv) == 4 && engine.EqFold(argv[3], "error"):
		withErr = true
	default:
		w.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
		return
	}
	var targets []*blocked
	s.blockedReg.mu.Lock()
	for _, m := range s.blockedReg.byKey {
		for b := range m {
			if int64(b.cl.id) == id {
				targets = append(targets, b)
			}
		}
	}
	s.blockedReg.mu.Unlock()
	n := 0
	for _, b := range targets {
		b.mu.Lock()
		if !b.finished && !b.expired {
			n++
			b.unblockErr = withErr
			b.expired = true
			if !b.inFlight {
				if withErr {
					b.out.w.Error(errUnblocked)
				} else {
					b.out.w.NullArray()
				}
				b.finishLocked()
			}
		}
		b.mu.Unlock()
	}
	if n > 0 {
		n = 1
	}
	w.Int(int64(n))
}

func (b *blocked) timeout() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.expired = true
	if b.inFlight {
		return // the attempt's reply decides
	}
	b.out.w.NullArray() // Redis 7.0 times BLMOVE and BRPOPLPUSH out with a null array too
	b.finishLocked()
}

// finishLocked releases the client's reply; b.mu is held.
func (b *blocked) finishLocked() {
	b.finished = true
	if b.timer != nil {
		b.timer.Stop()
	}
	if b.poll != nil {
		b.poll.Stop()
	}
	b.s.blockedReg.remove(b)
	b.out.Complete(0)
}

// attemptWriter holds one attempt's reply.
type attemptWriter struct {
	w resp.Writer
}

// dropBlocked forgets a closed connection's blocked commands.
func (cl *client) dropBlocked() {
	for _, b := range cl.blocked {
		b.mu.Lock()
		if !b.finished {
			b.finished = true
			if b.timer != nil {
				b.timer.Stop()
			}
			if b.poll != nil {
				b.poll.Stop()
			}
			b.s.blockedReg.remove(b)
		}
		b.mu.Unlock()
	}
	cl.blocked = nil
}
