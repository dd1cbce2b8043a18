package netio

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/slots"
)

// Transactions: MULTI queues data commands on the connection; EXEC sends
// them as one internal "exec" command in one Raft entry of their Region
// (see engine/txn.go), so they apply atomically. WATCH reads a digest of
// each key through the normal read path; EXEC carries the digests and the
// entry aborts (null reply) if any watched key changed. A transaction's
// keys, watched ones included, must be in one Region, as Redis Cluster
// requires one slot: otherwise -CROSSSLOT.

type queuedCmd struct {
	cmd  *command
	argv [][]byte
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
	case cmd.data == nil:
		cl.multiErr = true
		cl.immediate().Error("ERR '" + strings.ToUpper(cmd.name) + "' is not supported inside a NeoKV transaction")
		return
	}
	cp := make([][]byte, len(argv))
	cp[0] = cmd.nameB
	for i := 1; i < len(argv); i++ {
		cp[i] = append([]byte(nil), argv[i]...)
	}
	cl.queued = append(cl.queued, queuedCmd{cmd: cmd, argv: cp})
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
	d := s.cmds["neokv.digest"].data
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
	if failed {
		cl.immediate().Error("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if len(queued) == 0 {
		for _, we := range watched {
			if we.bad {
				cl.immediate().NullArray()
				return
			}
		}
		cl.immediate().Array(0)
		return
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
	for _, q := range queued {
		q.cmd.data.KeysOf(q.argv, func(i int) { note(q.argv[i]) })
	}
	for _, we := range watched {
		note(we.key)
	}
	if cross {
		cl.immediate().Error(engine.ErrCrossSlot)
		return
	}
	if region == nil {
		cl.immediate().Error("ERR a NeoKV transaction needs at least one key")
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
		args = append(args, appendEncodedCommand(nil, q.argv))
	}
	sl := cl.newSlot()
	if addr, ok := s.remoteLeader(cl, region); ok {
		fwd := append([][]byte{[]byte("neokv"), []byte("exec"), []byte(strconv.FormatUint(region.ID(), 10))}, args[1:]...)
		s.fwd.forward(addr, fwd, &sl.w, sl)
		return
	}
	cl.batchFor().Add(region, engine.KindInternal, args, &sl.w, sl, 0)
}

// appendEncodedCommand appends argv in the entry's per-command encoding.
func appendEncodedCommand(dst []byte, argv [][]byte) []byte {
	b := batching.NewBatch()
	defer b.Discard()
	return append(dst, b.Encode(engine.KindClient, argv)...)
}
