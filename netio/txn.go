package netio

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Transactions: MULTI queues data commands on the connection; EXEC sends
// them as one internal "exec" command in one Raft entry of their Region
// (see engine/txn.go), so they apply atomically. WATCH reads a digest of
// each key through the normal read path; EXEC carries the digests and the
// entry aborts (null reply) if any watched key changed. A transaction's
// keys, watched ones included, must be in one Region, as Redis Cluster
// requires one slot: otherwise -CROSSSLOT. PING, ECHO, TIME, LASTSAVE and
// SELECT may be queued too (answeredAtExec): this node answers them at EXEC, in their
// place among the entry's replies; a transaction of only those, with
// nothing watched, needs no Region at all.

type queuedCmd struct {
	cmd  *command
	argv [][]byte // argv[0] lowercased: how the entry names it
	name []byte   // the name as the client sent it (MONITOR shows it)
}

// watchEntry is a watched key and the digest read for it (nil until read;
// bad if the read failed, which aborts EXEC).
type watchEntry struct {
	key    []byte
	digest []byte
	bad    bool
}

func (we *watchEntry) set(reply []byte) {
	if len(reply) > 0 && reply[0] == '$' {
		if i := bytes.IndexByte(reply, '\n'); i > 0 && len(reply) >= i+3 {
			we.digest = append([]byte(nil), reply[i+1:len(reply)-2]...)
			return
		}
	}
	we.bad = true
}

func (s *Server) txnCommands() []*command {
	tx := func(name string, arity int, h func(*client, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: engine.FlagFast, cmdFlags: []string{"noscript", "loading", "stale", "fast", "allow_busy"},
			group: "transactions", acl: []string{"@fast", "@transaction"}, handler: h}
	}
	watch := tx("watch", -2, s.cmdWatch)
	watch.first, watch.last, watch.step = 1, -1, 1
	return []*command{tx("multi", 1, s.cmdMulti), tx("exec", 1, s.cmdExec), tx("discard", 1, s.cmdDiscard),
		watch, tx("unwatch", 1, s.cmdUnwatch)}
}

func (cl *client) resetTxn() {
	cl.multi, cl.multiErr = false, false
	cl.queued = nil
	cl.watched = nil
}

func (s *Server) cmdMulti(cl *client, _ [][]byte) {
	if cl.multi {
		cl.immediate().Error("ERR MULTI calls can not be nested")
		return
	}
	cl.multi = true
	cl.immediate().OK()
}

func (s *Server) cmdDiscard(cl *client, _ [][]byte) {
	if !cl.multi {
		cl.immediate().Error("ERR DISCARD without MULTI")
		return
	}
	cl.resetTxn()
	cl.immediate().OK()
}

func (s *Server) cmdUnwatch(cl *client, _ [][]byte) {
	cl.watched = nil
	cl.immediate().OK()
}

// queueInMulti handles a command sent between MULTI and EXEC.
func (s *Server) queueInMulti(cl *client, cmd *command, argv [][]byte) {
	switch {
	case cmd.name == "watch":
		cl.immediate().Error("ERR WATCH inside MULTI is not allowed")
		return
	case cmd.data == nil && !answeredAtExec(cmd.name):
		cl.multiErr = true
		cl.immediate().Error("ERR '" + strings.ToUpper(cmd.name) + "' is not supported inside a NeoKV transaction")
		return
	}
	cp := make([][]byte, len(argv))
	cp[0] = cmd.nameB
	for i := 1; i < len(argv); i++ {
		cp[i] = append([]byte(nil), argv[i]...)
	}
	cl.queued = append(cl.queued, queuedCmd{cmd: cmd, argv: cp, name: append([]byte(nil), argv[0]...)})
	cl.immediate().Simple("QUEUED")
}

func (s *Server) cmdWatch(cl *client, argv [][]byte) {
	if cl.multi {
		cl.immediate().Error("ERR WATCH inside MULTI is not allowed")
		return
	}
	for _, key := range argv[1:] {
		we := &watchEntry{key: append([]byte(nil), key...)}
		cl.watched = append(cl.watched, we)
		s.readDigest(cl, we)
	}
	cl.immediate().OK()
}

// readDigest routes a neokv.digest read of a watched key like any read;
// its reply lands in the watch entry instead of the client's output.
func (s *Server) readDigest(cl *client, we *watchEntry) {
	d := s.internalCmds["neokv.digest"].data
	argv := [][]byte{[]byte("neokv.digest"), we.key}
	region := s.store.Route(slots.Of(we.key))
	sl := cl.newSlot()
	sl.watch = we
	if addr, ok := s.remoteLeader(cl, region); ok {
		s.fwd.forwardRegion(addr, region, argv, &sl.w, sl)
		return
	}
	if region.CanReadLocally() {
		s.readNow(cl, d, argv, &sl.w)
		sl.done.Store(true)
		return
	}
	kind := batching.KindRead
	if len(cl.queue) > 1 {
		kind = engine.KindClient // behind this connection's own writes: ride the log
	}
	cl.batchFor().Add(region, kind, argv, &sl.w, sl, 0)
}

func (s *Server) cmdExec(cl *client, _ [][]byte) {
	if !cl.multi {
		cl.immediate().Error("ERR EXEC without MULTI")
		return
	}
	queued, watched, failed := cl.queued, cl.watched, cl.multiErr
	cl.resetTxn()
	if s.monitors.n.Load() > 0 {
		// As Redis shows them: the transaction's commands, then EXEC.
		if !failed {
			for _, q := range queued {
				shown := append([][]byte{q.name}, q.argv[1:]...)
				s.feedMonitors(cl, shown)
			}
		}
		s.feedMonitors(cl, [][]byte{[]byte("EXEC")})
	}
	if failed {
		cl.immediate().Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if cl.track.on {
		for _, q := range queued {
			if q.cmd.data != nil && q.cmd.data.Flags&(engine.FlagReadOnly|engine.FlagScript) != 0 {
				s.trackRead(cl, q.cmd.data, q.argv)
			}
		}
	}
	var region *batching.Region
	cross := false
	note := func(key []byte) {
		r := s.store.Route(slots.Of(key))
		if region == nil {
			region = r
		} else if r != region {
			cross = true
		}
	}
	data := 0 // queued commands that run in the Region's entry
	for _, q := range queued {
		if q.cmd.data != nil {
			data++
			q.cmd.data.KeysOf(q.argv, func(i int) { note(q.argv[i]) })
		}
	}
	for _, we := range watched {
		note(we.key)
	}
	if cross {
		cl.immediate().Error(engine.ErrCrossSlot)
		return
	}
	if region == nil {
		if data > 0 {
			cl.immediate().Error("ERR a NeoKV transaction needs at least one key")
			return
		}
		// Nothing watched, nothing that reads or writes a key: no Region
		// has a say, this node answers (MULTI, PING, EXEC).
		w := cl.immediate()
		w.Array(len(queued))
		now := time.Now()
		for _, q := range queued {
			writeAtExec(w, q.argv, now)
		}
		return
	}
	args := [][]byte{[]byte("exec"), []byte(strconv.Itoa(len(watched)))}
	for _, we := range watched {
		if we.bad || we.digest == nil {
			cl.immediate().NullArray() // the watched read failed: treat as changed
			return
		}
		args = append(args, we.key, we.digest)
	}
	for _, q := range queued {
		if q.cmd.data != nil {
			args = append(args, appendEncodedCommand(nil, q.argv))
		}
	}
	sl := cl.newSlot()
	var done batching.Completion = sl
	if data < len(queued) {
		done = &execSplice{sl: sl, queued: queued, data: data}
	}
	if addr, ok := s.remoteLeader(cl, region); ok {
		fwd := append([][]byte{[]byte("neokv"), []byte("exec"), []byte(strconv.FormatUint(region.ID(), 10))}, args[1:]...)
		s.fwd.forward(addr, fwd, &sl.w, done)
		return
	}
	cl.batchFor().Add(region, engine.KindInternal, args, &sl.w, done, 0)
}

// answeredAtExec reports whether a transaction may queue the keyless
// command name (Redis queues any command): its reply depends on no key
// and no state, so EXEC writes it on this node, in its place among the
// replies of the commands the Region's entry ran (execSplice).
func answeredAtExec(name string) bool {
	switch name {
	case "ping", "echo", "time", "lastsave", "select":
		return true
	}
	return false
}

// writeAtExec writes the reply of a command answeredAtExec.
func writeAtExec(w *resp.Writer, argv [][]byte, now time.Time) {
	switch string(argv[0]) {
	case "ping":
		writePing(w, argv)
	case "echo":
		w.Bulk(argv[1])
	case "time":
		writeTime(w, now)
	case "lastsave":
		w.Int(now.Unix()) // every acknowledged write is on disk: saved now
	case "select":
		writeSelect(w, argv)
	}
}

// execSplice completes an EXEC whose transaction queued commands
// answeredAtExec: the Region's entry ran the others (data of them) and
// replied with their array; the commands answered here go in between, in
// the order they were queued. Any other reply (an aborted transaction's
// null array, an error) stays as it is.
type execSplice struct {
	sl     *slot
	queued []queuedCmd
	data   int
}

func (e *execSplice) Complete(tag uint64) {
	e.sl.w.B = e.splice(e.sl.w.B, e.sl.w.RESP3)
	e.sl.Complete(tag)
}

func (e *execSplice) splice(reply []byte, resp3 bool) []byte {
	end := bytes.IndexByte(reply, '\n')
	if len(reply) < 4 || reply[0] != '*' || end < 0 {
		return reply
	}
	if n, ok := resp.ParseInt(reply[1 : end-1]); !ok || n != int64(e.data) {
		return reply
	}
	out := resp.Writer{RESP3: resp3, B: make([]byte, 0, len(reply)+16*(len(e.queued)-e.data))}
	out.Array(len(e.queued))
	rest := reply[end+1:]
	now := time.Now()
	for _, q := range e.queued {
		if q.cmd.data == nil {
			writeAtExec(&out, q.argv, now)
			continue
		}
		n, err := resp.ReplyLen(rest)
		if err != nil || n == 0 {
			return reply // not the array the entry writes: leave it whole
		}
		out.Raw(rest[:n])
		rest = rest[n:]
	}
	return out.B
}

// appendEncodedCommand appends argv in the entry's per-command encoding.
func appendEncodedCommand(dst []byte, argv [][]byte) []byte {
	b := batching.NewBatch()
	defer b.Discard()
	return append(dst, b.Encode(engine.KindClient, argv)...)
}
