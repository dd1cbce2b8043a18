package batching

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"

	"github.com/neokv/neokv/engine"
)

// roundLoop owns every RawNode. It wakes on hand-offs, on messages from the
// append and apply loops, and on the tick.
func (s *Store) roundLoop() {
	defer close(s.loopDone)
	defer close(s.appendCh)
	defer func() {
		for _, ch := range s.applyChs {
			close(ch)
		}
	}()
	ticker := time.NewTicker(s.cfg.TickInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.stopc:
			return
		case <-s.wake:
		case <-ticker.C:
			s.tickDue = true
		}
		s.round()
	}
}

func (s *Store) round() {
	s.Stats.Rounds.Add(1)
	roundStart := time.Now()
	defer func() {
		d := time.Since(roundStart)
		s.Stats.RoundNanos.Add(uint64(d))
		s.Stats.RoundLatency.Observe(d)
	}()
	s.mu.Lock()
	batches, msgs, ops := s.inReqs, s.inMsgs, s.inOps
	s.inReqs, s.inMsgs, s.inOps = s.spareReqs, s.spareMsgs, nil
	s.spareReqs, s.spareMsgs = nil, nil
	s.mu.Unlock()
	if s.appendQ == nil {
		s.appendQ = s.takeSpareQ()
	}
	for i := range s.applyQs {
		if s.applyQs[i] == nil {
			s.applyQs[i] = s.takeSpareQ()
		}
	}
	for _, op := range ops {
		op()
	}

	// Group every hand-off's requests by Region.
	for _, b := range batches {
		for i := range b.reqs {
			req := b.reqs[i]
			req.cmd = b.buf[req.start:req.end]
			r := req.region
			r.wake()
			if req.cmd[0] == KindRead {
				// The batch's buffer is recycled after this round.
				req.cmd = append([]byte(nil), req.cmd...)
				r.readReqs = append(r.readReqs, req)
			} else {
				r.props = append(r.props, req)
				r.propSize += req.end - req.start
			}
			s.touch(r)
		}
	}
	if len(batches) > 0 || s.waitingRegions > 0 {
		now := s.entryNow()
		for _, r := range s.touched {
			if len(r.props) > 0 || len(r.waiting) > 0 {
				s.propose(r, now)
			}
			if len(r.readReqs) > 0 {
				if idx, ok := s.leaseReadIndex(r); ok {
					s.Stats.ReadsLeaseWait.Add(uint64(len(r.readReqs)))
					w := r.applyWorker
					s.applyQs[w] = append(s.applyQs[w], regionMsg{region: r, reads: &readJob{index: idx, reqs: r.readReqs}})
				} else {
					s.Stats.ReadsReadIndex.Add(uint64(len(r.readReqs)))
					s.issueReadIndex(r, r.readReqs, false)
				}
				r.readReqs = nil
			}
		}
		for _, b := range batches {
			b.release()
		}
	}
	clear(batches)
	s.spareReqs = batches[:0]

	for _, m := range msgs {
		r := m.region
		switch {
		case isQuiesceHeartbeat(&m.m):
			if !r.leader.Load() {
				r.quiesced = true
			}
		case m.m.Type == raftpb.MsgHeartbeatResp, m.m.Type == raftpb.MsgStorageAppendResp, m.m.Type == raftpb.MsgStorageApplyResp:
			// Answers to what the Region itself sent: no reason to wake.
		default:
			r.wake()
		}
		if err := r.rn.Step(m.m); err != nil && err != raft.ErrStepLocalMsg {
			s.log.Debug("step", "region", r.id, "type", m.m.Type, "err", err)
		}
		s.touch(r)
	}
	clear(msgs) // Raft keeps what it needs of them
	s.spareMsgs = msgs[:0]
	if s.tickDue {
		s.tickDue = false
		if t := s.cfg.Transport; t != nil {
			t.Keepalive()
		}
		for _, r := range s.regions {
			s.tickRegion(r)
			if r.quiesced {
				continue
			}
			s.updateCompactFloor(r)
			if r.snapRequested.Load() {
				// An idle Region has no apply work to prepare it after:
				// give its worker an empty item.
				w := r.applyWorker
				s.applyQs[w] = append(s.applyQs[w], regionMsg{region: r})
			}
		}
		s.expireWaiting()
		s.expireInDoubt()
		s.tickReads(time.Now())
	}

	var becameLeader bool
	for _, r := range s.touched {
		r.dirty = false
		if r.rn.HasReady() {
			wasLeader := r.leader.Load()
			s.handleReady(r, r.rn.Ready())
			if !wasLeader && r.leader.Load() && len(r.waiting) > 0 {
				becameLeader = true
			}
			if len(r.waiting) > 0 && !r.leader.Load() && r.leaderID.Load() != 0 {
				s.rerouteWaiting(r)
			}
		}
	}
	s.touched = s.touched[:0]
	if becameLeader {
		for _, r := range s.regions {
			if len(r.waiting) > 0 && r.leader.Load() {
				s.touch(r)
			}
		}
		s.notify()
	}

	s.out.flush(s.cfg.Transport)
	// A loop that died on a storage error stops taking work; Stop must
	// still be able to end this one (the work is moot by then).
	if len(s.appendQ) > 0 {
		select {
		case s.appendCh <- s.appendQ:
		case <-s.stopc:
		}
		s.appendQ = nil
	}
	for i, q := range s.applyQs {
		if len(q) > 0 {
			select {
			case s.applyChs[i] <- q:
			case <-s.stopc:
			}
			s.applyQs[i] = nil
		}
	}
}

// updateCompactFloor keeps a leader's in-memory log from the lowest index
// an active follower still needs, unless it lags by more than LogMaxLag
// (then it gets a snapshot). Followers compact freely.
func (s *Store) updateCompactFloor(r *Region) {
	if !r.leader.Load() || len(r.desc.Load().Peers) < 2 {
		r.compactFloor.Store(0)
		return
	}
	applied := r.applied.Load()
	floor := applied
	r.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if id == r.peerID || !pr.RecentActive {
			return
		}
		if pr.Match < floor && applied-pr.Match <= s.cfg.LogMaxLag {
			floor = pr.Match
		}
	})
	if floor == 0 {
		floor = 1
	}
	r.compactFloor.Store(floor)
}

// entryNow is the clock a new entry carries: it never runs backwards on
// one leader.
func (s *Store) entryNow() int64 {
	now := time.Now().UnixMilli()
	if now < s.lastNow {
		now = s.lastNow
	}
	s.lastNow = now
	return now
}

// expireWaiting proposes what a Region held while its leadership was being
// handed over if it still leads (Raft abandoned the transfer), and fails
// requests that waited for a leader longer than allowed.
func (s *Store) expireWaiting() {
	if s.waitingRegions == 0 {
		return
	}
	now := time.Now()
	for _, r := range s.regions {
		if len(r.waiting) > 0 && r.leader.Load() && r.rn.BasicStatus().LeadTransferee == raft.None {
			s.propose(r, s.entryNow())
			s.touch(r)
			continue
		}
		if len(r.waiting) > 0 && now.After(r.waitDeadline) {
			for i := range r.waiting {
				failRequest(&r.waiting[i], ErrTryAgain)
			}
			r.waiting, r.waitingSize = nil, 0
			s.waitingRegions--
		}
	}
}

// expireInDoubt answers the proposals whose fate this store did not learn
// in time (it hears from no leader that would apply a later term): reads
// run elsewhere, writes fail as uncertain.
func (s *Store) expireInDoubt() {
	if s.pending.inDoubt.Load() == 0 {
		return
	}
	now := time.Now()
	for _, r := range s.regions {
		if r.inDoubt.Load() > 0 && now.After(r.doubtDeadline) {
			for _, p := range s.pending.takeInDoubt(r) {
				s.abandonProposal(p)
			}
		}
	}
}

// rerouteWaiting hands the requests r held while it had no leader to the
// replica that turned out to win the election (a leadership transfer away
// from this store ends that way): they never entered the log.
func (s *Store) rerouteWaiting(r *Region) {
	waiting := r.waiting
	r.waiting, r.waitingSize = nil, 0
	s.waitingRegions--
	for i := range waiting {
		s.retryRequest(&waiting[i])
	}
}

// electionWait is how long a request waits for a Region to elect a leader.
func (s *Store) electionWait() time.Duration {
	return 2 * time.Duration(s.cfg.ElectionTicks) * s.cfg.TickInterval
}

func (s *Store) touch(r *Region) {
	if !r.dirty {
		r.dirty = true
		s.touched = append(s.touched, r)
	}
}

// propose turns all of a Region's requests of this round into one entry.
func (s *Store) propose(r *Region, now int64) {
	leader := r.leader.Load()
	var status raft.BasicStatus
	if leader {
		status = r.rn.BasicStatus()
	}
	if !leader && r.leaderID.Load() != 0 {
		// Another replica leads (the front end routed here before
		// leadership moved): send the requests there, after any held.
		if len(r.waiting) > 0 {
			s.rerouteWaiting(r)
		}
		for i := range r.props {
			s.retryRequest(&r.props[i])
			r.props[i].cmd = nil
		}
		r.props, r.propSize = r.props[:0], 0
		return
	}
	if !leader || status.LeadTransferee != raft.None {
		// No leader yet, or this one is handing leadership over (Raft
		// drops proposals meanwhile): hold the requests (copying their
		// commands, whose batch is recycled after this round) until the
		// election ends or the transfer is abandoned. Handing them back
		// now could let later ones of the same client, still on their
		// way, be proposed first should this replica go on leading.
		if len(r.waiting) == 0 {
			r.waitDeadline = time.Now().Add(s.electionWait())
			s.waitingRegions++
		}
		for i := range r.props {
			r.props[i].cmd = append([]byte(nil), r.props[i].cmd...)
			r.waiting = append(r.waiting, r.props[i])
			r.waitingSize += len(r.props[i].cmd)
		}
		r.props, r.propSize = r.props[:0], 0
		return
	}
	if len(r.waiting) > 0 {
		r.props = append(r.waiting, r.props...)
		r.propSize += r.waitingSize
		r.waiting, r.waitingSize = nil, 0
		s.waitingRegions--
	}
	reqs := r.props
	r.props = r.props[:0]
	size := r.propSize
	r.propSize = 0
	s.seq++
	s.enc.Begin(engine.EntryHeader{Proposer: s.cfg.StoreID, Nonce: s.nonce, Seq: s.seq, Now: now})
	s.enc.Grow(size)
	p := proposalPool.Get().(*proposal)
	p.region, p.term = r, status.Term
	early := r.answersAtCommit()
	for i := range reqs {
		// Assigned either way: a request retried from an earlier
		// proposal carries that proposal's flag.
		reqs[i].atCommit = early && isPlainSet(reqs[i].cmd)
		if reqs[i].atCommit {
			p.atCommit++
		}
		s.enc.AddEncoded(reqs[i].cmd)
		reqs[i].cmd = nil // the batch's buffer is recycled after this round
		p.reqs = append(p.reqs, reqs[i])
	}
	data := s.enc.Detach()
	p.proposed = time.Now()
	p.data = data
	s.pending.put(s.seq, p)
	if err := r.rn.Propose(data); err != nil {
		if s.pending.take(s.seq) != nil {
			s.retryProposal(p)
		}
		return
	}
	s.Stats.Proposals.Add(1)
	s.Stats.ProposedCommands.Add(uint64(len(reqs)))
}

func (s *Store) handleReady(r *Region, rd raft.Ready) {
	if rd.SoftState != nil {
		wasLeader := r.leader.Load()
		isLeader := rd.SoftState.RaftState == raft.StateLeader
		if isLeader && !wasLeader {
			// The new leader's first entry of its term (the empty entry
			// becomeLeader appended) is the last one in this Ready. Once it
			// is applied, so is everything any earlier leader acknowledged:
			// only then may reads be served from local state.
			ts := uint64(0)
			if n := len(rd.Entries); n > 0 {
				ts = rd.Entries[n-1].Index
			} else if pr, ok := r.rn.Status().Progress[r.peerID]; ok {
				ts = pr.Next - 1
			}
			r.termStart.Store(ts)
		}
		if isLeader != wasLeader {
			r.leaseUntil.Store(0)
			r.leaseRenewing = false
		}
		routeChanged := isLeader != wasLeader || rd.SoftState.Lead != r.leaderID.Load()
		if routeChanged {
			// Before the change is visible: whoever sees it sees this too.
			r.routeEpoch.Store(s.routeEpoch.Add(1))
		}
		r.leader.Store(isLeader)
		prevLead := r.leaderID.Swap(rd.SoftState.Lead)
		if routeChanged {
			// After it: a stamp taken from now on is known to be newer.
			s.routeEpoch.Add(1)
		}
		if wasLeader && !isLeader && s.pending.markInDoubt(r) > 0 {
			r.doubtDeadline = time.Now().Add(s.electionWait())
		}
		if rd.SoftState.Lead != prevLead {
			// Raft answers a ReadIndex only through the leader it was sent
			// to (or drops it when there was none): reads waiting on the
			// old one would only time out.
			s.retryReadsOf(r)
		}
	}
	if len(rd.ReadStates) > 0 {
		for _, rs := range rd.ReadStates {
			if b := s.reads[readCtx(rs.RequestCtx)]; b != nil && b.lease {
				r.leaseRenewing = false
			}
		}
		s.handleReadStates(r, rd.ReadStates)
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		r.term.Store(rd.HardState.Term)
		r.commit.Store(rd.HardState.Commit)
	}
	for _, m := range rd.Messages {
		switch m.To {
		case raft.LocalAppendThread:
			s.appendQ = append(s.appendQ, regionMsg{region: r, m: m})
		case raft.LocalApplyThread:
			if len(m.Entries) > 0 && r.answersAtCommit() {
				s.replyAtCommit(m.Entries)
			}
			w := r.applyWorker
			s.applyQs[w] = append(s.applyQs[w], regionMsg{region: r, m: m})
		default:
			if m.Type == raftpb.MsgSnap {
				s.sendSnapshot(r, m)
				continue
			}
			if m.Type == raftpb.MsgTimeoutNow {
				// Leadership is being handed over: the target campaigns
				// with a forced vote that ignores the followers' lease, so
				// it may win and commit while this replica still believes
				// it leads. Stop lease reads now, and let no ReadIndex
				// sent before the hand-over settles (Raft aborts it after
				// an election timeout) renew the lease.
				r.leaseUntil.Store(0)
				r.leaseBarrier = time.Now().Add(time.Duration(s.cfg.ElectionTicks) * s.cfg.TickInterval)
			}
			s.out.add(r, m)
		}
	}
}

// appendLoop persists the Raft state of whole rounds: every queued round is
// folded into one Pebble batch and one fsync.
func (s *Store) appendLoop() {
	var out outbox
	for {
		var work []regionMsg
		select {
		case w, ok := <-s.appendCh:
			if !ok {
				return
			}
			work = w
		case durable := <-s.gcCh:
			if n, err := s.logs.gc(durable); err != nil {
				s.log.Warn("raft log gc", "err", err)
			} else if n > 0 {
				s.log.Debug("raft log segments removed", "count", n)
			}
			continue
		}
	more:
		for {
			select {
			case w, ok := <-s.appendCh:
				if !ok {
					break more
				}
				work = append(work, w...)
				s.recycleQ(w)
			default:
				break more
			}
		}
		if err := s.persist(work, &out); err != nil {
			s.fatal(err)
			return
		}
		s.recycleQ(work)
	}
}

func (s *Store) persist(work []regionMsg, out *outbox) error {
	sync := false
	entries := 0
	ls := s.logs
	for _, rm := range work {
		m, r := &rm.m, rm.region
		if m.Snapshot != nil && !raft.IsEmptySnap(*m.Snapshot) {
			if err := s.installSnapshot(r, *m.Snapshot); err != nil {
				return err
			}
			if err := r.storage.ApplySnapshot(*m.Snapshot); err != nil {
				return fmt.Errorf("region %d: %w", r.id, err)
			}
			ls.addReset(r.id, m.Snapshot.Metadata.Index)
			r.lastPersisted = m.Snapshot.Metadata.Index
			sync = true
		}
		if n := len(m.Entries); n > 0 {
			if err := ls.addEntries(r.id, m.Entries); err != nil {
				return err
			}
			r.lastPersisted = m.Entries[n-1].Index
			entries += n
			sync = true
		}
		if m.Term != 0 || m.Vote != 0 || m.Commit != 0 {
			if err := ls.addHardState(r.id, raftpb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit}); err != nil {
				return err
			}
			// Like etcd's MustSync: a new term or vote must be durable
			// before anyone hears of it; a commit index need not be.
			if m.Term != r.persistedTerm || m.Vote != r.persistedVote {
				sync = true
				r.persistedTerm, r.persistedVote = m.Term, m.Vote
			}
		}
	}
	if size := ls.pending(); size > 0 {
		start := time.Now()
		if err := ls.flush(sync); err != nil {
			return err
		}
		if sync {
			d := time.Since(start)
			s.Stats.Fsyncs.Add(1)
			s.Stats.FsyncNanos.Add(uint64(d))
			s.Stats.FsyncLatency.Observe(d)
			s.db.Latency.Observe("raft-log-fsync", d)
		}
		s.Stats.PersistedEntries.Add(uint64(entries))
		s.Stats.PersistedBytes.Add(uint64(size))
		if err := ls.maybeRotate(); err != nil {
			return err
		}
	}
	for _, rm := range work {
		m, r := &rm.m, rm.region
		if len(m.Entries) > 0 {
			if err := r.storage.Append(m.Entries); err != nil {
				return fmt.Errorf("region %d memory log: %w", r.id, err)
			}
		}
		if m.Term != 0 || m.Vote != 0 || m.Commit != 0 {
			_ = r.storage.SetHardState(raftpb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit})
		}
		for _, resp := range m.Responses {
			if resp.To != r.peerID {
				out.add(r, resp)
			}
		}
	}
	// Followers' acknowledgements leave only now, after the fsync.
	out.flush(s.cfg.Transport)
	s.deliverOwnResponses(work)
	return nil
}

// applyLoop applies the committed entries of whole rounds, for the Regions
// of one apply worker, in one batch. Regions are spread over the workers so
// that Pebble memtable inserts, the most expensive step of a write, run on
// every core; a Region always applies on the same worker, in log order.
func (s *Store) applyLoop(ch chan []regionMsg) {
	applier := s.db.NewApplier(s.cfg.Commands)
	applier.OnPanic = func(cmd string, p any, stack []byte) {
		s.Stats.CommandPanics.Add(1)
		s.log.Error("command panicked on apply; answered with an error (a bug: please report it)", "cmd", cmd, "panic", p, "stack", string(stack))
	}
	reader := s.db.NewReader()
	for work := range ch {
	more:
		for {
			select {
			case w, ok := <-ch:
				if !ok {
					break more
				}
				work = append(work, w...)
				s.recycleQ(w)
			default:
				break more
			}
		}
		if d := s.cfg.ApplyDelay; d > 0 {
			time.Sleep(d)
		}
		// Install jobs run in order with the entries around them.
		start := 0
		for i, rm := range work {
			if rm.reads != nil {
				r := rm.region
				if r.applyState.Applied >= rm.reads.index {
					s.runReads(reader, rm.reads.reqs)
				} else {
					r.waitingReads = append(r.waitingReads, rm.reads)
				}
				continue
			}
			if rm.install == nil {
				continue
			}
			if i > start {
				if err := s.apply(applier, work[start:i]); err != nil {
					s.fatal(err)
					return
				}
			}
			err := s.runInstall(applier, rm.region, rm.install)
			rm.install.done <- err
			if err != nil {
				s.fatal(err)
				return
			}
			start = i + 1
		}
		if start < len(work) {
			if err := s.apply(applier, work[start:]); err != nil {
				s.fatal(err)
				return
			}
		}
		for _, rm := range work {
			s.runWaitingReads(reader, rm.region)
		}
		s.recycleQ(work)
	}
}

func (s *Store) apply(a *engine.Applier, work []regionMsg) error {
	applyStart := time.Now()
	var done []*proposal
	var touched []*Region
	var systemDirty []*Region
	var truncations []truncation
	for _, rm := range work {
		r := rm.region
		if d := r.desc.Load(); d != nil {
			a.SetSlots(d.StartSlot, d.EndSlot)
		}
		for i := range rm.m.Entries {
			e := &rm.m.Entries[i]
			if e.Index <= r.applyState.Applied {
				continue
			}
			if e.Type == raftpb.EntryNormal && len(e.Data) > 0 {
				h, err := engine.DecodeEntryHeader(e.Data)
				if err != nil {
					return fmt.Errorf("region %d entry %d: %w", r.id, e.Index, err)
				}
				var p *proposal
				if h.Proposer == s.cfg.StoreID && h.Nonce == s.nonce {
					p = s.pending.take(h.Seq)
				}
				var sink engine.ReplySink
				if p != nil {
					sink = p
				}
				if r.sm != nil {
					if err := s.applySystem(r, e.Index, e.Data, sink); err != nil {
						return err
					}
					systemDirty = append(systemDirty, r)
				} else if err := a.ApplyEntry(e.Data, sink); err != nil {
					return fmt.Errorf("region %d apply entry %d: %w", r.id, e.Index, err)
				}
				if p != nil {
					s.Stats.ProposeToApplyStartNanos.Add(uint64(applyStart.Sub(p.proposed)))
					s.Stats.ProposeToCommit.Observe(applyStart.Sub(p.proposed))
					done = append(done, p)
				}
			}
			r.applyState.Applied, r.applyState.AppliedTerm = e.Index, e.Term
		}
		if r.inDoubt.Load() > 0 {
			// An entry of a later term applied: proposals of earlier terms
			// still waiting will never commit.
			for _, p := range s.pending.takeDecided(r, r.applyState.AppliedTerm) {
				s.refuseProposal(p)
			}
		}
		if t, ok := s.maybeTruncate(r); ok {
			truncations = append(truncations, t)
		}
		if err := a.SetApplyState(r.id, r.applyState); err != nil {
			return err
		}
		touched = append(touched, r)
	}
	for i, r := range systemDirty {
		if i > 0 && systemDirty[i-1] == r {
			continue
		}
		if err := a.PutSystemState(r.id, r.sm.Snapshot()); err != nil {
			return err
		}
	}
	entries, commands := a.Stats()
	var written [][]byte
	if s.cfg.OnApplied != nil {
		written = append(written, a.Written()...)
	}
	if err := a.Commit(); err != nil {
		return err
	}
	if len(written) > 0 {
		s.cfg.OnApplied(written)
	}
	s.Stats.ApplyBatches.Add(1)
	s.Stats.AppliedEntries.Add(uint64(entries))
	s.Stats.AppliedCommands.Add(uint64(commands))
	for _, t := range truncations {
		// The on-disk log is deleted by segment once the applied data is
		// flushed (checkpointLoop); here only the in-memory log shrinks.
		if err := t.region.storage.Compact(t.index); err != nil && err != raft.ErrCompacted {
			return fmt.Errorf("region %d compact: %w", t.region.id, err)
		}
	}
	for _, r := range touched {
		r.applied.Store(r.applyState.Applied)
	}
	s.prepareSnapshots(touched)
	now := time.Now()
	if len(done) > 0 {
		s.Stats.CommitToApply.Observe(now.Sub(applyStart))
	}
	s.Stats.ApplyBatchLatency.Observe(now.Sub(applyStart))
	s.db.Latency.Observe("apply-batch", now.Sub(applyStart))
	for _, p := range done {
		s.Stats.ProposeToApplyNanos.Add(uint64(now.Sub(p.proposed)))
		s.Stats.ProposeToApplyCount.Add(1)
		p.completeAll()
	}
	s.Stats.ApplyNanos.Add(uint64(now.Sub(applyStart)))
	s.deliverOwnResponses(work)
	return nil
}

type truncation struct {
	region *Region
	index  uint64
}

// maybeTruncate decides whether a Region's log can be cut at its applied
// index. A single-replica Region needs no log behind what it applied.
func (s *Store) maybeTruncate(r *Region) (truncation, bool) {
	st := &r.applyState
	if st.Applied-st.TruncatedIndex < s.cfg.LogGCCount {
		return truncation{}, false
	}
	idx := st.Applied
	if f := r.compactFloor.Load(); f != 0 && f < idx {
		idx = f
	}
	if idx <= st.TruncatedIndex || idx-st.TruncatedIndex < s.cfg.LogGCCount/2 {
		return truncation{}, false
	}
	term, err := r.storage.Term(idx)
	if err != nil {
		return truncation{}, false
	}
	st.TruncatedIndex, st.TruncatedTerm = idx, term
	return truncation{region: r, index: idx}, true
}

// checkpointLoop periodically flushes Pebble's memtable (Pebble runs
// without a WAL) and then lets the append loop delete the log segments
// whose entries are all applied and now on disk.
func (s *Store) checkpointLoop() {
	t := time.NewTicker(s.cfg.CheckpointInterval)
	defer t.Stop()
	// A flush that Pebble keeps retrying must not hold Stop up.
	ctx, cancel := s.stopContext(context.Background())
	defer cancel()
	for {
		select {
		case <-s.stopc:
			return
		case <-t.C:
		}
		if s.logs.segmentCount.Load() < 2 {
			continue
		}
		durable := make(map[uint64]uint64, len(s.regions))
		for _, r := range s.regions {
			durable[r.id] = r.applied.Load()
		}
		// Everything applied before Flush is called is in the flushed
		// memtable; the applied indexes were read before, so they are
		// durable once it returns.
		if err := s.db.FlushContext(ctx); err != nil {
			s.log.Warn("checkpoint flush", "err", err)
			continue
		}
		select {
		case s.gcCh <- durable:
		default:
		}
	}
}

func readCtx(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// runWaitingReads runs the reads of r whose index is now applied.
func (s *Store) runWaitingReads(rd *engine.Reader, r *Region) {
	if len(r.waitingReads) == 0 {
		return
	}
	kept := r.waitingReads[:0]
	for _, j := range r.waitingReads {
		if r.applyState.Applied >= j.index {
			s.runReads(rd, j.reqs)
		} else {
			kept = append(kept, j)
		}
	}
	r.waitingReads = kept
}
