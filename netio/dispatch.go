package netio

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// command is an entry of the server's command table: a data command
// (executed by engine) or a server command (handled here).
type command struct {
	name     string
	nameB    []byte
	id       int // index of the command's counters (commandStats)
	arity    int
	flags    engine.Flags
	noAuth   bool     // allowed before AUTH
	cmdFlags []string // COMMAND INFO flags
	first    int
	last     int
	step     int
	group    string
	acl      []string
	data     *engine.Command
	handler  func(cl *client, argv [][]byte)
	subs     []string // subcommand names, for COMMAND
	// barrier: the command runs only once every earlier command of the
	// connection has been answered (keyspace reads, WAIT).
	barrier bool
	// routesInHandler: so does a command whose handler routes it by key
	// (EXEC, WATCH, blocking commands), except on forwarding links (their
	// node ordered them): the handler reads where a Region is led after
	// dispatch could check the connection's order (routeMoved), and EXEC
	// overtook the commands before it across leadership moves.
	routesInHandler bool
	// blockOption: the command blocks when it has a valid BLOCK option
	// (XREAD), see blocksWith.
	blockOption bool
}

// commandTable builds the commands clients may send and, apart, the
// internal ones (named neokv.*) that only forwarding links may.
func (s *Server) commandTable() (public, internal map[string]*command) {
	t := map[string]*command{}
	s.blockingCmds = map[string]bool{}
	for name := range engine.BlockingCommands() {
		s.blockingCmds[name] = true
	}
	for name, d := range engine.Commands() {
		c := &command{name: name, arity: d.Arity, flags: d.Flags, first: d.FirstKey, last: d.LastKey, step: d.Step, group: d.Group, acl: d.ACL, data: d}
		t[name] = c
	}
	for _, c := range s.serverCommands() {
		t[c.name] = c
	}
	for _, c := range s.txnCommands() {
		t[c.name] = c
	}
	for _, c := range s.pubsubCommands() {
		t[c.name] = c
	}
	for _, c := range t {
		c.nameB = []byte(c.name)
		c.routesInHandler = c.name == "exec" || c.name == "watch" || s.blockingCmds[c.name]
		c.blockOption = c.name == "xread" || c.name == "xreadgroup"
		if c.cmdFlags == nil {
			c.cmdFlags = flagNames(c)
		}
		if c.acl == nil {
			c.acl = serverACL(c)
		}
	}
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	sort.Strings(names)
	for i, name := range names {
		t[name].id = i
	}
	internal = map[string]*command{}
	for name, c := range t {
		if strings.HasPrefix(name, "neokv.") {
			internal[name] = c
			delete(t, name)
		}
	}
	return t, internal
}

func flagNames(c *command) []string {
	var out []string
	if c.flags&engine.FlagWrite != 0 {
		out = append(out, "write")
	}
	if c.flags&engine.FlagReadOnly != 0 {
		out = append(out, "readonly")
	}
	if c.flags&engine.FlagDenyOOM != 0 {
		out = append(out, "denyoom")
	}
	if c.flags&engine.FlagFast != 0 {
		out = append(out, "fast")
	}
	return out
}

// lookup finds a command by name, case-insensitively, without allocating.
func (s *Server) lookup(name []byte) *command { return lookupIn(s.cmds, name) }

// lookupInternal finds an internal command (see Server.internalCmds).
func (s *Server) lookupInternal(name []byte) *command { return lookupIn(s.internalCmds, name) }

func lookupIn(table map[string]*command, name []byte) *command {
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	for i, c := range name {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return table[string(buf[:len(name)])]
}

// dispatchOutcome is what became of a command dispatch looked at.
type dispatchOutcome uint8

const (
	dispatched dispatchOutcome = iota // run, routed or queued in MULTI
	waits                             // must wait for the connection's earlier commands
	rejected                          // refused before running (arity, auth, context)
	unknown                           // no such command
	queuedInMulti
	blockedCall // a blocking command: counted without its time
)

// dispatch executes or routes one command and counts it (commandStats).
// It returns false, consuming nothing, when the command must wait for the
// connection's earlier commands.
func (s *Server) dispatch(cl *client, argv [][]byte) bool {
	cmd := s.lookup(argv[0])
	if cl.stats == nil {
		if cmd == nil && cl.forwarded {
			cmd = s.lookupInternal(argv[0])
		}
		return s.dispatchCommand(cl, cmd, argv) != waits
	}
	cl.cmdSlot, cl.cmdOut = nil, -1
	outcome := s.dispatchCommand(cl, cmd, argv)
	if outcome == waits {
		return false
	}
	s.account(cl, cmd, outcome)
	if cl.replyCmd {
		cl.replyCmd = false // CLIENT REPLY answers, or not, on its own
	} else if cl.replyOff || cl.skipArmed {
		cl.silence(cmd)
	}
	return true
}

// silence drops the reply of the command just dispatched, under CLIENT
// REPLY OFF or after CLIENT REPLY SKIP. Subscription confirmations are
// pushes in Redis 7, which CLIENT REPLY does not silence (nor messages
// and invalidations: the push buffer is never silenced).
func (cl *client) silence(cmd *command) {
	cl.skipArmed = false
	if cmd != nil {
		switch cmd.name {
		case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe":
			return
		}
	}
	if sl := cl.cmdSlot; sl != nil && sl.watch == nil {
		sl.discard = true
	}
	if cl.cmdOut >= 0 {
		cl.out.B = cl.out.B[:cl.cmdOut]
	}
}

// account counts a dispatched command: at once if its reply is ready,
// else when its reply slot is drained. The reply is the command's last
// new slot (cl.cmdSlot; a WATCH digest slot is not a reply) or what it
// wrote straight into the output (from cl.cmdOut): dispatch may drain
// earlier replies into the output first, so positions taken before it
// would point at those.
func (s *Server) account(cl *client, cmd *command, outcome dispatchOutcome) {
	if cl.stats == nil { // the command made the connection a forwarding link
		return
	}
	var reply []byte
	if sl := cl.cmdSlot; sl != nil && sl.watch == nil {
		if !sl.done.Load() {
			switch outcome {
			case dispatched:
				sl.statCmd, sl.statStart = cmd, cl.tmark
			case blockedCall:
				cl.stats.cmds[cmd.id].calls.Add(1)
			}
			return
		}
		reply = sl.w.B
	} else if cl.cmdOut >= 0 {
		reply = cl.out.B[cl.cmdOut:]
	}
	failed := isErrorReply(reply)
	if failed {
		s.stats.countError(reply)
	}
	switch outcome {
	case dispatched:
		now := time.Now()
		cl.stats.record(cmd, now.Sub(cl.tmark), failed)
		cl.tmark = now
	case rejected:
		cl.stats.cmds[cmd.id].rejected.Add(1)
	case blockedCall:
		c := &cl.stats.cmds[cmd.id]
		c.calls.Add(1)
		if failed {
			c.failed.Add(1)
		}
	}
}

// dispatchCommand is dispatch without the counting; cmd is argv[0]'s
// command (nil: unknown).
func (s *Server) dispatchCommand(cl *client, cmd *command, argv [][]byte) dispatchOutcome {
	if cl.fences > 0 || (cmd != nil && (cmd.barrier || (cmd.routesInHandler || cmd.blockOption && blocksWith(argv) >= 0) && !cl.forwarded) && cl.waitsOnEarlier()) {
		return waits
	}
	s.totalCommands.Add(1)
	if cmd == nil {
		cl.multiErr = cl.multiErr || cl.multi
		cl.immediate().Error(unknownCommand(argv))
		return unknown
	}
	if (cmd.arity > 0 && len(argv) != cmd.arity) || len(argv) < -cmd.arity {
		cl.multiErr = cl.multiErr || cl.multi
		cl.immediate().Error("ERR wrong number of arguments for '" + cmd.name + "' command")
		return rejected
	}
	if !cmd.noAuth && s.authRequired(cl) {
		cl.immediate().Error("NOAUTH Authentication required.")
		return rejected
	}
	if !cl.resp3 && cl.subscribed() && !allowedWhileSubscribed(cmd.name) {
		cl.immediate().Error(errNotInSubscribedContext(cmd.name))
		return rejected
	}
	if s.pause.active.Load() && !cl.forwarded && s.pausedFor(cl, cmd, argv) {
		// CLIENT PAUSE: left unread until the pause ends (and counted
		// when it runs).
		s.totalCommands.Add(^uint64(0))
		return waits
	}
	switch cmd.name {
	case "eval", "eval_ro", "evalsha", "evalsha_ro", "fcall", "fcall_ro":
		if cmd, argv = s.prepareScript(cl, cmd, argv); cmd == nil {
			return dispatched
		}
	}
	if cl.multi {
		switch cmd.name {
		case "exec", "discard", "multi", "quit", "reset":
		default:
			s.queueInMulti(cl, cmd, argv)
			return queuedInMulti
		}
	}
	if s.monitors.n.Load() > 0 && cmd.name != "exec" && cmd.name != "monitor" && cmd.name != "neokv" {
		s.feedMonitors(cl, argv)
	}
	cl.lastCmd.Store(cmd)
	if cl.trackCaching {
		// CLIENT CACHING covers this command (or transaction) only. The
		// flag is read by trackRead below, and by EXEC's handler.
		done := s.runCommand(cl, cmd, argv)
		cl.trackCommandDone(cmd.name)
		return done
	}
	return s.runCommand(cl, cmd, argv)
}

// runCommand runs a command that passed dispatch's checks.
func (s *Server) runCommand(cl *client, cmd *command, argv [][]byte) dispatchOutcome {
	if cmd.handler != nil {
		cmd.handler(cl, argv)
		return dispatched
	}
	// Tracking remembers the keys of reads, blocking XREAD included, and
	// the declared keys of scripts (Redis remembers those a script reads;
	// a key it only writes costs an extra invalidation, never a stale
	// value).
	if cl.track.on && cmd.data.Flags&(engine.FlagReadOnly|engine.FlagScript) != 0 {
		s.trackRead(cl, cmd.data, argv)
	}
	// A forwarded attempt is answered at once: the node the client is on
	// does the waiting (a shared forwarding link must never block).
	if (s.blockingCmds[cmd.name] || cmd.blockOption && blocksWith(argv) >= 0) && !cl.forwarded {
		s.block(cl, cmd, argv)
		return blockedCall
	}
	if !s.execData(cl, cmd, argv) {
		s.totalCommands.Add(^uint64(0)) // counted when it runs
		return waits
	}
	return dispatched
}

// unknownCommand formats Redis's reply to an unknown command.
func unknownCommand(argv [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.Write(clip(argv[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0
	for _, a := range argv[1:] {
		if n >= 128 {
			break
		}
		a = clip(a, 128-n)
		b.WriteByte('\'')
		b.Write(a)
		b.WriteString("' ")
		n += len(a) + 3
	}
	return b.String()
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// execData routes a data command to its Region(s). It returns false,
// doing nothing, when the command must wait for the connection's earlier
// commands (see routeMoved).
func (s *Server) execData(cl *client, cmd *command, argv [][]byte) bool {
	d := cmd.data
	argv[0] = cmd.nameB // apply looks commands up by canonical name
	var region *batching.Region
	multi := false
	firstKey := 0
	d.KeysOf(argv, func(i int) {
		if firstKey == 0 {
			firstKey = i
		}
		r := s.store.Route(slots.Of(argv[i]))
		if region == nil {
			region = r
		} else if r != region {
			multi = true
		}
	})
	if multi {
		if d.Flags&engine.FlagMultiKey != 0 {
			return s.scatter(cl, cmd, argv)
		}
		cl.immediate().Error(engine.ErrCrossSlot)
		return true
	}
	if region == nil && d.Flags&engine.FlagScript != 0 {
		// A script without keys runs in one fixed Region (any key it
		// touches must be there; all of them on a single node).
		region = s.store.Route(engine.ScriptKeySlot)
	}
	if region == nil && d.Flags&(engine.FlagReadOnly|engine.FlagKeylessReads) != 0 {
		// No key in this call (OBJECT HELP, a subcommand missing its
		// key): nothing to read from a Region; the command answers
		// (help text, or Redis's argument error) from its arguments.
		s.readNow(cl, d, argv, cl.immediate())
		return true
	}
	if region == nil {
		cl.immediate().Error("ERR internal: command without keys")
		return true
	}
	isRead := d.Flags&engine.FlagWrite == 0
	if isRead && s.cfg.UnsafeStaleReads && !cl.writeInFlight() {
		s.readNow(cl, d, argv, cl.immediate())
		return true
	}
	// Where the Region is led is read once, before the order check.
	addr, remote := s.remoteLeader(cl, region)
	if s.routeMoved(cl, region) {
		return false
	}
	// READONLY connections read on followers, through ReadIndex.
	followerRead := isRead && cl.readonly && !region.IsLeader() && !cl.writeInFlight()
	if !followerRead && s.routeElsewhere(cl, region, argv, firstKey, addr, remote, isRead) {
		if !isRead {
			cl.lastWriteRegion = region
		}
		return true
	}
	if !isRead {
		cl.lastWriteRegion = region
	}
	switch {
	case !isRead || cl.writeInFlight():
		// Writes go through Raft. A read behind an unanswered command of
		// this connection that may write rides along in the same Region's
		// entry, so it is applied in order after it. (Behind reads alone
		// it need not wait: the replies still leave in order.)
		sl := cl.newSlot()
		sl.start = time.Now()
		if isRead {
			cl.markNoWrite(sl)
		}
		cl.batchFor().Add(region, engine.KindClient, argv, &sl.w, sl, 0)
	case region.CanReadLocally():
		s.readNow(cl, d, argv, cl.immediate())
	default:
		// No lease (or a follower): confirm the commit index with a
		// heartbeat quorum first, then read once it is applied.
		sl := cl.newSlot()
		cl.markNoWrite(sl)
		cl.batchFor().Add(region, batching.KindRead, argv, &sl.w, sl, 0)
	}
	return true
}

// readNow executes a read on the event loop.
func (s *Server) readNow(cl *client, d *engine.Command, argv [][]byte, w *resp.Writer) {
	s.store.Stats.ReadsLocal.Add(1)
	if err := cl.reader.Exec(d, argv, cl.now, w); err != nil {
		s.log.Error("read failed", "cmd", d.Name, "err", err)
	}
}

// gather merges the replies of a command split across Regions.
type gather struct {
	final *slot
	merge engine.Merge
	parts []*gatherPart
	nkeys int
	left  atomic.Int32
	// write: the command writes, so a part that failed while another ran
	// leaves it half applied (see finish).
	write bool
}

// errPartlyApplied answers a write split across Regions of which some
// part failed while another may have run. Not TRYAGAIN, which clients
// retry by themselves: DEL would count wrong, MSET could overwrite newer
// writes.
const errPartlyApplied = "ERR the command's keys span Regions and not every part ran: it may have been applied in part"

type gatherPart struct {
	g   *gather
	w   resp.Writer
	pos []int // for MergeArray: the positions of this part's keys in the reply
}

// Complete implements batching.Completion.
func (p *gatherPart) Complete(uint64) {
	if p.g.left.Add(-1) == 0 {
		p.g.finish()
	}
}

func (g *gather) finish() {
	g.reply(&g.final.w)
	g.final.Complete(0)
}

// reply merges the parts' replies into w.
func (g *gather) reply(w *resp.Writer) {
	var failed []byte
	allRetryable := true // every part failed with TRYAGAIN: nothing ran
	for _, p := range g.parts {
		if len(p.w.B) > 0 && p.w.B[0] == '-' {
			if failed == nil {
				failed = p.w.B
			}
			if !bytes.HasPrefix(p.w.B, []byte("-TRYAGAIN")) {
				allRetryable = false
			}
		} else {
			allRetryable = false
		}
	}
	if failed != nil {
		if g.write && !allRetryable {
			w.Error(errPartlyApplied)
		} else {
			w.Raw(failed)
		}
		return
	}
	switch g.merge {
	case engine.MergeSum:
		var n int64
		for _, p := range g.parts {
			v, _ := resp.IntValue(p.w.B)
			n += v
		}
		w.Int(n)
	case engine.MergeArray:
		out := make([][]byte, g.nkeys)
		var elems [][]byte
		for _, p := range g.parts {
			elems, _ = resp.ArrayElems(p.w.B, elems[:0])
			for i, e := range elems {
				if i < len(p.pos) {
					out[p.pos[i]] = e
				}
			}
		}
		w.Array(len(out))
		for _, e := range out {
			if e == nil {
				w.Null()
			} else {
				w.Raw(e)
			}
		}
	default:
		w.OK()
	}
}

// scatter splits a multi-key command by Region. Reads with nothing in
// flight run now; everything else is proposed to each Region. Parts of one
// command are handed off together, so they land in the same Raft round.
func (s *Server) scatter(cl *client, cmd *command, argv [][]byte) bool {
	d := cmd.data
	step := d.Step
	if step <= 0 {
		step = 1
	}
	if d.Merge == engine.MergeKeyPairs && len(argv)%2 != 1 {
		cl.immediate().Error("ERR wrong number of arguments for '" + cmd.name + "' command")
		return true
	}
	if d.Merge == engine.MergeKeyPairs && s.cfg.Cluster {
		// MSET must be atomic; across Regions of a cluster (different
		// replica sets and logs) that needs cross-Region transactions,
		// which do not exist yet: refuse as Redis Cluster does. On a single
		// node the parts go into the same round, one log write.
		cl.immediate().Error(engine.ErrCrossSlot)
		return true
	}
	// A read behind an unanswered write of the connection goes through
	// the log after it (see execData).
	writeBefore := cl.writeInFlight()
	if d.Flags&engine.FlagWrite == 0 && !writeBefore {
		local := true
		d.KeysOf(argv, func(i int) {
			local = local && s.store.Route(slots.Of(argv[i])).CanReadLocally()
		})
		if local {
			// Every key is read from this store's data: one read of the
			// whole command sees one state, where reads of its parts
			// could each see another batch.
			s.readNow(cl, d, argv, cl.immediate())
			return true
		}
	}
	type partArgs struct {
		region *batching.Region
		argv   [][]byte
		pos    []int
		addr   string // the remote leader, if remote
		remote bool
	}
	var parts []*partArgs
	byRegion := map[*batching.Region]*partArgs{}
	nkeys := 0
	d.KeysOf(argv, func(i int) {
		r := s.store.Route(slots.Of(argv[i]))
		p := byRegion[r]
		if p == nil {
			p = &partArgs{region: r, argv: [][]byte{argv[0]}}
			byRegion[r] = p
			parts = append(parts, p)
		}
		p.argv = append(p.argv, argv[i:i+step]...)
		p.pos = append(p.pos, nkeys)
		nkeys++
	})
	// Where each Region is led is read once, before the order check.
	for _, p := range parts {
		p.addr, p.remote = s.remoteLeader(cl, p.region)
	}
	for _, p := range parts {
		if s.routeMoved(cl, p.region) {
			return false
		}
	}
	g := &gather{final: cl.newSlot(), merge: d.Merge, nkeys: nkeys, write: d.Flags&engine.FlagWrite != 0}
	if !g.write {
		cl.markNoWrite(g.final)
	}
	g.left.Store(int32(len(parts)))
	for _, p := range parts {
		gp := &gatherPart{g: g, pos: p.pos}
		gp.w.RESP3 = cl.resp3
		g.parts = append(g.parts, gp)
	}
	for i, p := range parts {
		gp := g.parts[i]
		kind := engine.KindClient
		if d.Flags&engine.FlagWrite == 0 && !writeBefore {
			kind = batching.KindRead
		}
		if p.remote {
			// A part the remote node bounces (leadership moved on) is
			// routed again like a whole command.
			s.fwd.forwardRegion(p.addr, p.region, p.argv, &gp.w, gp)
			continue
		}
		cl.batchFor().Add(p.region, kind, p.argv, &gp.w, gp, 0)
	}
	return true
}

// broadcast sends an internal command to every Region and merges the
// replies (FLUSHDB).
func (s *Server) broadcast(cl *client, argvFor func(r *batching.Region) [][]byte) {
	regions := s.store.Regions()
	g := &gather{final: cl.newSlot(), merge: engine.MergeAllOK, write: true}
	g.left.Store(int32(len(regions)))
	for range regions {
		gp := &gatherPart{g: g}
		gp.w.RESP3 = cl.resp3
		g.parts = append(g.parts, gp)
	}
	for i, r := range regions {
		argv := argvFor(r)
		if addr, ok := s.remoteLeader(cl, r); ok {
			// The leader runs the internal command on behalf of this node.
			s.fwd.forward(addr, append([][]byte{[]byte("neokv"), []byte("internal")}, argv...), &g.parts[i].w, g.parts[i])
			continue
		}
		cl.batchFor().Add(r, engine.KindInternal, argv, &g.parts[i].w, g.parts[i], 0)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// remoteLeader reports whether region is led by another node whose client
// address is known, and that address. Commands arriving over a forwarding
// link are never forwarded again.
func (s *Server) remoteLeader(cl *client, r *batching.Region) (string, bool) {
	if !s.cfg.Cluster || r.IsLeader() || cl.forwarded {
		return "", false
	}
	ls := r.LeaderStore()
	if ls == 0 || ls == s.store.StoreID() {
		return "", false
	}
	return s.topo.ClientAddrOf(ls)
}

// routeMoved reports whether cl must wait for its earlier commands before
// a command of r is routed: the oldest of them was routed before r's
// leadership last changed here, so it may have gone (or be handed back to
// go) elsewhere than a command routed now, which could then overtake it.
// Call it after reading r's leadership for the routing decision (see
// batching.Store.RouteEpoch). Forwarding links are exempt: the forwarding
// node routes again what they bounce, in order.
func (s *Server) routeMoved(cl *client, r *batching.Region) bool {
	if !s.cfg.Cluster || cl.forwarded || len(cl.queue) == 0 || cl.queue[0].routeEpoch > r.RouteChangedAt() {
		return false
	}
	cl.drain() // replies complete already need no waiting for
	return len(cl.queue) > 0 && cl.queue[0].routeEpoch <= r.RouteChangedAt()
}

// routeElsewhere handles a single-Region command whose Region is led by
// another node (addr, as remoteLeader found it: remote): -MOVED in
// redirect mode, otherwise forwarded there. It reports whether it took the
// command.
func (s *Server) routeElsewhere(cl *client, r *batching.Region, argv [][]byte, firstKey int, addr string, remote, isRead bool) bool {
	if cl.forwarded {
		if s.cfg.Cluster && !r.IsLeader() && r.LeaderStore() != 0 {
			cl.immediate().Error(errNotLeaderHere)
			return true
		}
		return false // no leader yet: the store holds the command until one is elected
	}
	if !remote {
		return false
	}
	if s.cfg.Redirect {
		slot := uint16(0)
		if firstKey > 0 && firstKey < len(argv) {
			slot = slots.Of(argv[firstKey])
		}
		cl.immediate().Error("MOVED " + strconv.Itoa(int(slot)) + " " + addr)
		return true
	}
	sl := cl.newSlot()
	sl.start = time.Now()
	if isRead {
		cl.markNoWrite(sl)
	}
	s.fwd.forwardRegion(addr, r, argv, &sl.w, sl)
	return true
}
