package batching

import (
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// RerouteFunc takes back a client command the store did not propose
// because this replica is not, or no longer, the Region's leader: it never
// entered the log, so it may run elsewhere, once. argv aliases a buffer
// the store reuses: the function copies what it keeps. It reports false to
// let the request fail with TRYAGAIN instead.
// kind is engine.KindClient or KindRead (a read may be served by a lease or
// ReadIndex where it lands instead of going through the log).
type RerouteFunc func(r *Region, kind byte, argv [][]byte, reply *resp.Writer, done Completion) bool

// SetReroute installs the front end's rerouting (cluster mode). Without
// it, such requests fail with TRYAGAIN.
func (s *Store) SetReroute(fn RerouteFunc) { s.reroute.Store(&fn) }

// retryElsewhere hands a never-proposed request back to the front end, or
// fails it. Only plain client commands and reads go back; internal ones
// (transactions, scatter parts) fail, and their issuers retry as a whole.
func (s *Store) retryElsewhere(req *request, kind byte, argv [][]byte) {
	if fn := s.reroute.Load(); fn != nil && (kind == engine.KindClient || kind == KindRead) && (*fn)(req.region, kind, argv, req.reply, req.done) {
		return
	}
	failRequest(req, ErrTryAgain)
}

// retryRequest is retryElsewhere for a request still holding its command.
func (s *Store) retryRequest(req *request) {
	err := engine.EachCommandIn(req.cmd, func(kind byte, argv [][]byte) error {
		s.retryElsewhere(req, kind, argv)
		return nil
	})
	if err != nil {
		failRequest(req, ErrTryAgain)
	}
}

// retryProposal hands back every request of a proposal Raft refused (a
// leadership transfer in progress drops proposals): it never entered the
// log.
func (s *Store) retryProposal(p *proposal) {
	s.eachProposed(p, func(req *request, kind byte, argv [][]byte) {
		s.retryElsewhere(req, kind, argv)
	})
}

// refuseProposal answers the requests of a proposal that will never
// commit: its writes with TRYAGAIN (true: they did not run; the client
// retries them itself, in its own order, where running them elsewhere now
// could put them after its later commands that already ran), its reads run
// again elsewhere.
func (s *Store) refuseProposal(p *proposal) { s.answerUnapplied(p, ErrTryAgain) }

// abandonProposal answers the requests of a proposal whose leader stepped
// down and whose fate this store could not learn: its writes fail as
// uncertain (the client cannot know whether they ran); its reads change
// nothing and run again elsewhere.
func (s *Store) abandonProposal(p *proposal) { s.answerUnapplied(p, ErrUncertain) }

// answerUnapplied fails p's writes with writeErr and runs its reads
// elsewhere.
func (s *Store) answerUnapplied(p *proposal, writeErr string) {
	s.eachProposed(p, func(req *request, kind byte, argv [][]byte) {
		if s.isRead(kind, argv) {
			s.retryElsewhere(req, KindRead, argv)
			return
		}
		failRequest(req, writeErr)
	})
}

// isRead reports whether a proposed command cannot write: a client
// command without the write flag.
func (s *Store) isRead(kind byte, argv [][]byte) bool {
	cmd := s.cfg.Commands[string(argv[0])]
	return kind == engine.KindClient && cmd != nil && cmd.Flags&engine.FlagWrite == 0
}

// eachProposed calls fn for every request of p with its command from the
// entry, then recycles p. A request the entry does not cover (it cannot
// happen for entries this store encoded) fails.
func (s *Store) eachProposed(p *proposal, fn func(req *request, kind byte, argv [][]byte)) {
	done := 0
	_ = engine.EachCommand(p.data, func(i int, kind byte, argv [][]byte) error {
		if i < len(p.reqs) && len(argv) > 0 {
			fn(&p.reqs[i], kind, argv)
			done = i + 1
		}
		return nil
	})
	for i := done; i < len(p.reqs); i++ {
		failRequest(&p.reqs[i], ErrTryAgain)
	}
	p.recycle()
}

// retryReadsOf hands back the reads of r still waiting for a ReadIndex
// answer that will not come: r's leader changed, and Raft drops the
// pending read requests of a deposed leader.
func (s *Store) retryReadsOf(r *Region) {
	for seq, b := range s.reads {
		if b.region != r {
			continue
		}
		delete(s.reads, seq)
		for i := range b.reqs {
			s.retryRequest(&b.reqs[i])
			b.reqs[i].cmd = nil
		}
		if b.lease {
			r.leaseRenewing = false
		}
	}
}
