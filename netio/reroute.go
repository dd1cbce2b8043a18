package netio

import (
	"sync"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// rerouter holds, per Region, the requests that never reached their leader
// (leadership moved after they were routed) and must be routed again. A
// pipelining client's SET k 1, SET k 2, GET k must still run in that
// order, so one goroutine per Region routes its requests one batch at a
// time, and sends a batch only once the one before can no longer be
// overtaken: taken into this store's log (or handed back), or, before
// anything goes to another destination, answered by the remote leader it
// was forwarded to. What comes back goes first in the next batch. A
// connection's later commands wait for these (Server.routeMoved) rather
// than queue here.
type rerouter struct {
	mu      sync.Mutex
	regions map[*batching.Region]*rerouteQueue
}

// rerouteQueue is one Region's requests to route again, owned by the
// goroutine rerouteRegion runs while there are any.
type rerouteQueue struct {
	// returned: requests of batches this queue routed that came back
	// undone; they precede queued, which arrived later.
	returned, queued []fwdReq
	// forwarded counts requests forwarded to the leader on store fwdStore
	// and not answered yet; fwdIdle is signalled when it drops to zero.
	forwarded int
	fwdStore  uint64
	fwdIdle   chan struct{}
}

// rerouteTicket is the completion of a request while the rerouter routes
// it: it tells the queue when a forwarded request is answered, and keeps
// the request as routed (its own completion, argv, history), which a
// hand-back restores (the store hands back only argv, reply and
// completion).
type rerouteTicket struct {
	req       fwdReq
	rr        *rerouter
	rq        *rerouteQueue
	forwarded bool
}

func (t *rerouteTicket) Complete(tag uint64) {
	if t.forwarded {
		t.rr.mu.Lock()
		t.rq.forwardDone()
		t.rr.mu.Unlock()
	}
	t.req.done.Complete(tag)
}

// forwardDone counts off an answered or returned forwarded request. The
// caller holds the rerouter's lock.
func (rq *rerouteQueue) forwardDone() {
	rq.forwarded--
	if rq.forwarded == 0 {
		select {
		case rq.fwdIdle <- struct{}{}:
		default:
		}
	}
}

// reroute queues a request that never reached its leader to be routed
// again: to this node's store if the Region is now led here, to the new
// leader otherwise. rerouteBudget after its first hand-back (or after 25
// attempts) it gives up with TRYAGAIN, so a client never hangs.
func (s *Server) reroute(q fwdReq) {
	if q.since.IsZero() {
		q.since = time.Now()
	}
	rr := &s.rerouting
	rr.mu.Lock()
	t, ours := q.done.(*rerouteTicket)
	if ours {
		q = t.req
		if t.forwarded {
			t.rq.forwardDone()
		}
	}
	rq := rr.regions[q.region]
	start := rq == nil
	if start {
		rq = &rerouteQueue{fwdIdle: make(chan struct{}, 1)}
		rr.regions[q.region] = rq
	}
	if ours && t.rq == rq {
		rq.returned = append(rq.returned, q)
	} else {
		rq.queued = append(rq.queued, q)
	}
	rr.mu.Unlock()
	if start {
		go s.rerouteRegion(q.region, rq)
	}
}

// rerouteBudget bounds how long a handed-back request waits for a route,
// counted from its first hand-back (requests queued behind a waiting one
// must not add their waits up).
const rerouteBudget = 2500 * time.Millisecond

// rerouteRegion routes r's handed-back requests in order, a batch at a
// time, until none is left.
func (s *Server) rerouteRegion(r *batching.Region, rq *rerouteQueue) {
	rr := &s.rerouting
	stalled := false
	for {
		rr.mu.Lock()
		batch := append(rq.returned, rq.queued...)
		rq.returned, rq.queued = nil, nil
		forwarded := rq.forwarded
		if len(batch) == 0 && forwarded == 0 {
			delete(rr.regions, r)
			rr.mu.Unlock()
			return
		}
		rr.mu.Unlock()
		if len(batch) == 0 {
			// Answers (or returns) of forwarded requests are due: a return
			// must still go before anything that arrives later.
			s.awaitForwarded(rq)
			continue
		}
		batch = s.dropExpired(batch)
		if len(batch) == 0 {
			continue
		}
		// Pause while no leader is known, or this node still takes the
		// store that bounced the request for the leader (its view is
		// behind), or the last batch all came back (a transfer away from
		// this store in progress drops proposals).
		head := batch[0]
		if stalled || !r.IsLeader() && (r.LeaderStore() == 0 || (head.sentTo != 0 && r.LeaderStore() == head.sentTo)) {
			time.Sleep(min(100*time.Millisecond, 2*time.Millisecond<<min(head.attempts, 6)))
		}
		for i := range batch {
			batch[i].attempts++
		}
		stalled = false
		leader := r.LeaderStore()
		switch {
		case r.IsLeader():
			if forwarded > 0 {
				s.putBack(rq, batch)
				s.awaitForwarded(rq)
				continue
			}
			stalled = s.submitAgain(r, rq, batch)
		case leader != 0 && leader != s.store.StoreID():
			addr, ok := s.topo.ClientAddrOf(leader)
			if !ok {
				s.putBack(rq, batch)
				stalled = true
				continue
			}
			if forwarded > 0 && rq.fwdStore != leader {
				s.putBack(rq, batch)
				s.awaitForwarded(rq)
				continue
			}
			rr.mu.Lock()
			rq.forwarded += len(batch)
			rq.fwdStore = leader
			rr.mu.Unlock()
			for _, q := range batch {
				q.sentTo = leader
				q.done = &rerouteTicket{req: q, rr: rr, rq: rq, forwarded: true}
				s.fwd.send(addr, q)
			}
		default:
			s.putBack(rq, batch)
			stalled = true
		}
	}
}

// submitAgain hands batch to this node's store as one batch (so one entry)
// and waits until the store took it into the log or handed it back. It
// reports whether all of it came back.
func (s *Server) submitAgain(r *batching.Region, rq *rerouteQueue, batch []fwdReq) (stalled bool) {
	b := batching.NewBatch()
	for _, q := range batch {
		// Through the log, reads too: a lease read would not wait for the
		// writes rerouted before it, which may be its own connection's (a
		// pipeline's SETs, then its GET).
		kind := q.kind
		if kind == batching.KindRead {
			kind = engine.KindClient
		}
		t := &rerouteTicket{req: q, rr: &s.rerouting, rq: rq}
		b.Add(r, kind, q.argv, q.w, t, 0)
	}
	placed := make(chan struct{})
	b.OnPlaced(func() { close(placed) })
	s.store.Submit(b)
	<-placed
	s.rerouting.mu.Lock()
	stalled = len(rq.returned) >= len(batch)
	s.rerouting.mu.Unlock()
	return stalled
}

// putBack returns a batch not routed to the front of its queue (behind
// requests that came back meanwhile: those were routed before it).
func (s *Server) putBack(rq *rerouteQueue, batch []fwdReq) {
	s.rerouting.mu.Lock()
	rq.returned = append(rq.returned, batch...)
	s.rerouting.mu.Unlock()
}

// awaitForwarded waits until every request rq forwarded is answered or came
// back, at most rerouteBudget (a request's own budget bounds it anyway).
func (s *Server) awaitForwarded(rq *rerouteQueue) {
	timeout := time.NewTimer(rerouteBudget)
	defer timeout.Stop()
	for {
		s.rerouting.mu.Lock()
		n := rq.forwarded
		s.rerouting.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-rq.fwdIdle:
		case <-timeout.C:
			return
		}
	}
}

// dropExpired fails the requests of batch that are out of attempts or
// budget and returns the rest.
func (s *Server) dropExpired(batch []fwdReq) []fwdReq {
	kept := batch[:0]
	for _, q := range batch {
		if q.attempts >= 25 || time.Since(q.since) > rerouteBudget {
			q.w.Error(errForwardFailed)
			q.done.Complete(0)
			continue
		}
		kept = append(kept, q)
	}
	return kept
}

// rerouteFromStore takes back a command the store did not propose because
// leadership of its Region moved (a transfer by the MetaServer, an
// election) after the command was routed: it never entered the log, so it
// goes where the Region is led now instead of failing with TRYAGAIN.
func (s *Server) rerouteFromStore(r *batching.Region, kind byte, argv [][]byte, w *resp.Writer, done batching.Completion) bool {
	if t, ok := done.(*rerouteTicket); ok {
		s.reroute(fwdReq{done: t}) // the ticket keeps the request as routed
		return true
	}
	if sl, ok := done.(*slot); ok && sl.cl.forwarded {
		// The forwarding node owns the retry (and its bound).
		w.Error(errNotLeaderHere)
		done.Complete(0)
		return true
	}
	s.reroute(fwdReq{w: w, done: done, region: r, argv: cloneArgv(argv), kind: kind})
	return true
}
