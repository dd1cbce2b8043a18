package netio

import (
	"bytes"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/resp"
)

// Reply to a forwarded command whose leader could not be reached.
const errForwardFailed = "TRYAGAIN the Region's leader is unreachable; retry"

// errForwardUncertain answers a forwarded command that may have written,
// sent to the leader before the link broke: it may have run. Not TRYAGAIN,
// which clients retry on their own (an INCR would apply twice).
const errForwardUncertain = "ERR the link to the Region's leader broke after the command was sent: it may or may not have been applied"

// errNotLeaderHere answers a forwarded command that reached a node no
// longer leading its Region, before anything ran: the forwarding node sees
// it and routes the command again (a client would see a plain TRYAGAIN).
const errNotLeaderHere = "TRYAGAIN the Region moved before the command ran; retry"

var notLeaderHereReply = []byte("-" + errNotLeaderHere + "\r\n")

// forwarder relays commands for Regions led by other nodes to those nodes'
// client ports, so plain (not cluster-aware) clients can talk to any node.
// One pipelined connection per destination; a writer goroutine sends what
// event loops queued, a reader goroutine hands replies back in order.
type forwarder struct {
	mu    sync.Mutex
	conns map[string]*fwdConn
	stop  chan struct{}
	wg    sync.WaitGroup
	// reroute re-dispatches a request that never reached the leader.
	reroute func(q fwdReq)
	// readOnly reports whether a command cannot write (nil: any may).
	readOnly func(argv [][]byte) bool
	// password, if set, returns the password a new link authenticates
	// with (this node's requirepass: the nodes of a cluster share one).
	password func() string
}

type fwdReq struct {
	w    *resp.Writer
	done batching.Completion
	// For a request never written to the leader (the dial failed or the
	// connection broke first): how to route it again once leadership
	// settled. Requests already written fail instead: the leader may have
	// executed them, and retrying INCR or APPEND would apply it twice.
	region   *batching.Region
	argv     [][]byte
	attempts int
	// sentTo is the store the request was last forwarded to (0: none): a
	// bounce from the store this node still takes for the leader means its
	// view is behind, worth a pause before the next attempt.
	sentTo uint64
	// since is when the request was first handed back: it gives up
	// rerouteBudget later, wherever it stands in its Region's queue.
	since time.Time
	kind  byte // batching.KindRead for a read, else engine.KindClient (the zero value)
	// readOnly: the command cannot write, so it may be answered TRYAGAIN
	// even once sent.
	readOnly bool
}

type fwdConn struct {
	f       *forwarder
	addr    string
	mu      sync.Mutex
	buf     []byte   // requests not yet written
	queued  []fwdReq // their replies' destinations, in order
	kick    chan struct{}
	pending chan fwdReq // written, waiting for replies
	conn    net.Conn
	resp3   bool
	// closed: the forwarder stopped and run answered what was queued;
	// nothing may queue any more (it would wait for good).
	closed bool
}

func newForwarder() *forwarder {
	return &forwarder{conns: map[string]*fwdConn{}, stop: make(chan struct{})}
}

// forward sends argv to addr; the reply goes into w, then done completes.
func (f *forwarder) forward(addr string, argv [][]byte, w *resp.Writer, done batching.Completion) {
	f.send(addr, fwdReq{w: w, done: done, argv: argv})
}

// forwardRegion is forward for a command of one Region, which may be
// rerouted if the leader cannot be reached.
func (f *forwarder) forwardRegion(addr string, r *batching.Region, argv [][]byte, w *resp.Writer, done batching.Completion) {
	f.send(addr, fwdReq{w: w, done: done, region: r, argv: cloneArgv(argv)})
}

func cloneArgv(argv [][]byte) [][]byte {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(argv))
	for i, a := range argv {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a):]
	}
	return out
}

func (f *forwarder) send(addr string, q fwdReq) {
	w, done, argv := q.w, q.done, q.argv
	// Replies come back in the protocol of the link: RESP3 clients use a
	// link of their own that said HELLO 3.
	key := addr
	resp3 := w != nil && w.RESP3
	if resp3 {
		key += "|resp3"
	}
	f.mu.Lock()
	c := f.conns[key]
	if c == nil {
		select {
		case <-f.stop:
			f.mu.Unlock()
			w.Error(errForwardFailed)
			done.Complete(0)
			return
		default:
		}
		c = &fwdConn{f: f, addr: addr, resp3: resp3, kick: make(chan struct{}, 1), pending: make(chan fwdReq, 1<<16)}
		f.conns[key] = c
		f.wg.Add(1)
		go func() { defer f.wg.Done(); c.run() }()
	}
	f.mu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		w.Error(errForwardFailed)
		done.Complete(0)
		return
	}
	c.buf = appendRESP(c.buf, argv)
	q.readOnly = f.readOnly != nil && f.readOnly(argv)
	q.argv = nil
	if q.region != nil {
		q.argv = argv
	}
	c.queued = append(c.queued, q)
	c.mu.Unlock()
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func appendRESP(dst []byte, argv [][]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(argv)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range argv {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// run owns the connection: dial, then write what is queued; on any error
// fail everything outstanding and start over.
func (c *fwdConn) run() {
	for {
		select {
		case <-c.f.stop:
			c.mu.Lock()
			c.closed = true
			c.mu.Unlock()
			c.failAll()
			return
		case <-c.kick:
		}
		conn, err := net.DialTimeout("tcp", c.addr, time.Second)
		if err != nil {
			c.failAll()
			continue
		}
		// Tell the leader this is a forwarding link: it must answer, never
		// forward again (no loops while leadership moves). With a password
		// the link authenticates first, as any client must.
		var hello []byte
		greetings := 1
		if pw := c.password(); pw != "" {
			hello = appendRESP(hello, [][]byte{[]byte("AUTH"), []byte(pw)})
			greetings++
		}
		hello = appendRESP(hello, [][]byte{[]byte("neokv"), []byte("forwarded")})
		if c.resp3 {
			hello = appendRESP(hello, [][]byte{[]byte("HELLO"), []byte("3")})
			greetings++
		}
		if _, err := conn.Write(hello); err != nil {
			_ = conn.Close()
			c.failAll()
			continue
		}
		c.serve(conn, greetings)
		_ = conn.Close()
		c.failAll()
	}
}

// password is the password a new link authenticates with ("": none).
func (c *fwdConn) password() string {
	if c.f.password == nil {
		return ""
	}
	return c.f.password()
}

// serve runs a link whose first greetings replies answer its hello
// (AUTH, NEOKV FORWARDED, HELLO 3), not requests.
func (c *fwdConn) serve(conn net.Conn, greetings int) {
	readDone := make(chan error, 1)
	marker := make(chan struct{}, greetings)
	for range greetings {
		c.pending <- fwdReq{done: chanDone(marker)}
	}
	go func() { readDone <- c.readReplies(conn) }()
	readerDone := false
	// The reader must be gone before failAll answers what is pending and
	// a new link queues its hello: a reader still draining buffered
	// replies would hand them, and every later one, to the wrong requests.
	defer func() {
		if !readerDone {
			_ = conn.Close()
			<-readDone
		}
	}()
	kick := true
	for {
		if !kick {
			select {
			case <-c.f.stop:
				return
			case <-readDone:
				readerDone = true
				return
			case <-c.kick:
			}
		}
		kick = false
		c.mu.Lock()
		buf, queued := c.buf, c.queued
		c.buf, c.queued = nil, nil
		c.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		for _, q := range queued {
			c.pending <- q
		}
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(buf); err != nil {
			return
		}
	}
}

func (c *fwdConn) readReplies(conn net.Conn) error {
	// Replies are parsed where they were read: buf[start:] holds what is
	// not handed out yet, and a read goes into buf's free tail, so
	// neither a read nor a reply allocates or copies the rest.
	buf := make([]byte, 0, 64<<10)
	start := 0
	for {
		n, err := resp.ReplyLen(buf[start:])
		if err != nil {
			return err
		}
		if n == 0 {
			if start == len(buf) {
				buf, start = buf[:0], 0
				if cap(buf) > 1<<20 {
					buf = make([]byte, 0, 64<<10) // let a big reply's buffer go
				}
			}
			if cap(buf)-len(buf) < 16<<10 {
				// Keep the unparsed bytes, at the front of a buffer with
				// room (bigger only for a reply that outgrows it).
				rest := len(buf) - start
				if rest+32<<10 > cap(buf) {
					grown := make([]byte, rest, 2*cap(buf)+rest)
					copy(grown, buf[start:])
					buf = grown
				} else {
					buf = buf[:copy(buf, buf[start:])]
				}
				start = 0
			}
			m, err := conn.Read(buf[len(buf):cap(buf)])
			if err != nil {
				return err
			}
			buf = buf[:len(buf)+m]
			continue
		}
		reply := buf[start : start+n]
		start += n
		q := <-c.pending
		if q.region != nil && c.f.reroute != nil && bytes.Equal(reply, notLeaderHereReply) {
			c.f.reroute(q)
		} else {
			if q.w != nil {
				q.w.Raw(reply)
			}
			q.done.Complete(0)
		}
	}
}

// failAll answers requests already written with an error (TRYAGAIN only
// for those that cannot write), and reroutes those never written (if they
// can be).
func (c *fwdConn) failAll() {
	c.mu.Lock()
	queued := c.queued
	c.buf, c.queued = nil, nil
	c.mu.Unlock()
	for {
		select {
		case q := <-c.pending:
			if q.w != nil && q.readOnly {
				q.w.Error(errForwardFailed)
			} else if q.w != nil {
				q.w.Error(errForwardUncertain)
			}
			q.done.Complete(0)
			continue
		default:
		}
		break
	}
	for _, q := range queued {
		if q.region != nil && c.f.reroute != nil {
			c.f.reroute(q)
			continue
		}
		if q.w != nil {
			q.w.Error(errForwardFailed)
		}
		q.done.Complete(0)
	}
}

func (f *forwarder) close() {
	f.mu.Lock()
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// chanDone is a Completion that signals a channel.
type chanDone chan struct{}

func (c chanDone) Complete(uint64) {
	select {
	case c <- struct{}{}:
	default:
	}
}

var errNoLeader = errors.New("no leader known")
