package netio

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// slot is one command's place in its connection's reply queue. The apply
// loop writes w and then calls Complete; only the event loop reads w after
// seeing done.
type slot struct {
	w    resp.Writer
	done atomic.Bool
	cl   *client
	// watch: the slot carries a WATCH digest, not a reply to the client.
	watch *watchEntry
	// start is when an asynchronous slot was created (request latency).
	start time.Time
	// statCmd is the command whose reply this slot carries, counted in
	// commandStats from statStart when the slot is drained (nil: none).
	statCmd   *command
	statStart time.Time
	// fence: later commands of the connection wait until this one is
	// answered (a keyspace read that runs after its own ReadIndex round).
	fence bool
	// routeEpoch stamps the routing of the command (client.routeEpoch).
	routeEpoch uint64
	// discard: CLIENT REPLY OFF or SKIP silenced this reply; drain drops it.
	discard bool
	// noWrite: the command cannot write (a read), or its reply is complete;
	// a read behind only such slots need not wait for any (client.noWrites).
	noWrite bool
}

// Complete implements batching.Completion.
func (s *slot) Complete(uint64) {
	s.done.Store(true)
	s.cl.wakeup()
}

// client is one connection's state. Everything but the fields marked
// otherwise is touched only by the connection's event loop.
type client struct {
	srv    *Server
	conn   gnet.Conn
	id     uint64
	parser *resp.Parser
	reader *engine.Reader
	addr   string
	laddr  string

	resp3    bool
	authed   bool
	readonly bool
	created  time.Time
	fd       int
	confGen  uint64 // CONFIG SET generation the parser limits come from
	// forwarded: the connection is another node's forwarding link.
	forwarded bool
	// lastWriteRegion is the Region of the connection's last write (WAIT).
	lastWriteRegion *batching.Region
	// Blocking commands waiting for data; gone is set when the connection
	// closes (read by other goroutines).
	blocked []*blocked
	gone    atomic.Bool
	// fences counts fence slots not yet answered.
	fences int
	// noWrites counts the queued slots marked noWrite.
	noWrites int
	// Transaction state (MULTI/EXEC/WATCH).
	multi    bool
	multiErr bool
	queued   []queuedCmd
	watched  []*watchEntry

	// Read by CLIENT LIST on other event loops.
	infoMu  sync.Mutex
	name    string
	libName string
	libVer  string
	lastCmd atomic.Pointer[command]
	lastIO  atomic.Int64 // unix nanoseconds
	closing bool         // close once every queued reply is written
	need    int          // bytes the next request needs before parsing again
	killed  atomic.Bool

	queue []*slot // reply slots not yet written, oldest first
	free  []*slot
	// routeEpoch is the store's route epoch taken when this wake-up began,
	// before any of its commands read where a Region is led; every slot
	// carries it (see Server.routeMoved).
	routeEpoch uint64
	out        resp.Writer // replies ready to be written this wake-up
	batch      *batching.Batch
	now        int64 // local clock for reads of this wake-up
	// stats is the event loop's share of commandStats (nil on forwarding
	// links); tmark is when the last command of this wake-up finished,
	// where the next one's time starts.
	stats *statShard
	tmark time.Time
	// cmdSlot is the last reply slot the command being dispatched made,
	// cmdOut where its reply written straight to out starts (-1: none):
	// what commandStats counts it by.
	cmdSlot    *slot
	cmdOut     int
	woken      atomic.Bool // a Wake is already on its way
	ps         pushState   // Pub/Sub subscriptions and messages to push
	monitoring atomic.Bool // MONITOR: every command is pushed here
	// trackCaching: CLIENT CACHING YES (OPTIN) or NO (OPTOUT) was given
	// for the next command (or transaction); track is the connection's
	// CLIENT TRACKING mode (tracking.go). Last: cold, out of the way of
	// the fields every command touches.
	trackCaching bool
	track        trackState
	// CLIENT REPLY: replyOff silences every reply until CLIENT REPLY ON;
	// skipArmed silences the next command's (CLIENT REPLY SKIP); replyCmd:
	// the command being dispatched is CLIENT REPLY (which is not silenced
	// by the state it sets).
	replyOff, skipArmed, replyCmd bool
}

// wakeup asks the event loop to flush completed slots. Many completions of
// one apply batch cost one Wake.
func (cl *client) wakeup() {
	if !cl.woken.Swap(true) {
		_ = cl.conn.Wake(nil)
	}
}

// immediate returns a writer for a reply that is ready now. With nothing
// queued it writes straight into the output buffer; otherwise the reply
// takes a completed slot so that it still leaves in order.
func (cl *client) immediate() *resp.Writer {
	if len(cl.queue) == 0 {
		cl.out.RESP3 = cl.resp3
		if cl.cmdOut < 0 {
			cl.cmdOut = len(cl.out.B)
		}
		return &cl.out
	}
	s := cl.newSlot()
	s.done.Store(true)
	cl.markNoWrite(s)
	return &s.w
}

// markNoWrite marks a queued slot noWrite.
func (cl *client) markNoWrite(s *slot) {
	s.noWrite = true
	cl.noWrites++
}

// newSlot appends a pending slot to the queue.
func (cl *client) newSlot() *slot {
	var s *slot
	if n := len(cl.free); n > 0 {
		s = cl.free[n-1]
		cl.free = cl.free[:n-1]
	} else {
		s = &slot{cl: cl}
	}
	s.w.RESP3 = cl.resp3
	s.start = time.Time{}
	s.routeEpoch = cl.routeEpoch
	cl.queue = append(cl.queue, s)
	cl.cmdSlot = s
	return s
}

// drain moves the completed head of the queue into out.
func (cl *client) drain() {
	n := 0
	var now time.Time
	for _, s := range cl.queue {
		if !s.done.Load() {
			break
		}
		if (!s.start.IsZero() || s.statCmd != nil) && now.IsZero() {
			now = time.Now()
		}
		if !s.start.IsZero() {
			cl.srv.requestLatency.Observe(now.Sub(s.start))
		}
		if s.statCmd != nil && cl.stats != nil {
			failed := isErrorReply(s.w.B)
			cl.stats.record(s.statCmd, now.Sub(s.statStart), failed)
			if failed {
				cl.srv.stats.countError(s.w.B)
			}
			s.statCmd = nil
		}
		if s.fence {
			s.fence = false
			cl.fences--
		}
		if s.noWrite {
			s.noWrite = false
			cl.noWrites--
		}
		if s.watch != nil {
			s.watch.set(s.w.B)
			s.watch = nil
		} else if s.discard {
			s.discard = false
		} else {
			cl.out.B = append(cl.out.B, s.w.B...)
		}
		n++
		s.done.Store(false)
		if cap(s.w.B) > 64<<10 {
			s.w.B = nil
		} else {
			s.w.B = s.w.B[:0]
		}
		cl.free = append(cl.free, s)
	}
	if n > 0 {
		copy(cl.queue, cl.queue[n:])
		clear(cl.queue[len(cl.queue)-n:])
		cl.queue = cl.queue[:len(cl.queue)-n]
	}
}

// waitsOnEarlier reports whether the connection waits on any earlier
// command, after writing out the replies already complete: a command told
// to wait must have a pending one whose completion wakes the connection
// again.
func (cl *client) waitsOnEarlier() bool {
	if len(cl.queue) > 0 && cl.queue[0].done.Load() {
		cl.drain()
	}
	return len(cl.queue) > 0
}

// writeInFlight reports whether an earlier command of the connection that
// may write is unanswered: a read must then be ordered after it.
func (cl *client) writeInFlight() bool { return len(cl.queue) > cl.noWrites }

func (cl *client) setName(n string) {
	cl.infoMu.Lock()
	cl.name = n
	cl.infoMu.Unlock()
}

func (cl *client) getName() string {
	cl.infoMu.Lock()
	defer cl.infoMu.Unlock()
	return cl.name
}
