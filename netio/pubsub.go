package netio

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/panjf2000/gnet/v2"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Pub/Sub (SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH,
// PUBSUB) as Redis 7.0 has it: messages are not stored and never go
// through Raft, so a subscriber sees what is published while it is
// connected, as with Redis. In a cluster a PUBLISH reaches the subscribers
// of every node, as Redis Cluster's does: the node it arrives on delivers
// it and sends it to every other node over the forwarding links (in
// order, so one publisher's messages arrive in the order it sent them);
// its reply counts the receivers on that node only, again as Redis
// Cluster's does. Shard channels (SSUBSCRIBE, SPUBLISH) are a namespace of
// their own, published to every node the same way (every node holds a
// replica of every slot, so any node serves a slot's shard channels);
// a cluster node refuses an SSUBSCRIBE of channels in several slots
// (-CROSSSLOT), as Redis Cluster does.
//
// Messages reach a subscriber's connection from the publisher's event
// loop: they are appended to the connection's push buffer and its event
// loop is woken to write them (after any reply still pending, so a reply
// is never split). A subscriber that lets more than pushBufferLimit bytes
// pile up is disconnected, as Redis's client-output-buffer-limit pubsub
// hard limit does (32 MB there too).

const pushBufferLimit = 32 << 20

// subKind is what a subscription names: a channel, a pattern of channels,
// or a shard channel (SSUBSCRIBE; a namespace of its own).
type subKind int

const (
	subChannel subKind = iota
	subPattern
	subShard
)

// subNames are the confirmation names of each kind's subscribe and
// unsubscribe, and the message type they deliver.
var subNames = [3]struct{ sub, unsub, message string }{
	{"subscribe", "unsubscribe", "message"},
	{"psubscribe", "punsubscribe", "pmessage"},
	{"ssubscribe", "sunsubscribe", "smessage"},
}

// pubsub is the node's subscription registry, per kind: name -> subscribers.
type pubsub struct {
	mu  sync.RWMutex
	reg [3]map[string]map[*client]struct{}
}

func newPubsub() *pubsub {
	p := &pubsub{}
	for i := range p.reg {
		p.reg[i] = map[string]map[*client]struct{}{}
	}
	return p
}

// unheard reports that nobody subscribes to a channel or a pattern (a
// message to a channel would reach no one).
func (p *pubsub) unheard() bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.reg[subChannel]) == 0 && len(p.reg[subPattern]) == 0
}

// pushState is a connection's side of Pub/Sub. The subscription sets are
// the event loop's; the rest is shared with publishers.
type pushState struct {
	sets [3]map[string]struct{} // per subKind
	// counts are the sets' sizes for CLIENT LIST on other event loops
	// (which must not read the sets).
	counts  [3]atomic.Int64
	mu      sync.Mutex
	buf     []byte // messages not yet handed to the event loop
	resp3   bool   // the protocol messages are encoded in (under mu)
	pending atomic.Bool
	// urgent holds client-side caching invalidations: they go out before
	// the replies of the commands read in the same wake-up (a read sent
	// after a write was acknowledged elsewhere must not be answered
	// before that write's invalidation), where messages go after them.
	urgent        []byte
	urgentPending atomic.Bool
}

// subscribed reports whether a RESP2 connection is in the subscribed
// state, where Redis allows only a few commands.
func (cl *client) subscribed() bool {
	return len(cl.ps.sets[subChannel])+len(cl.ps.sets[subPattern])+len(cl.ps.sets[subShard]) > 0
}

// subCount is the count a subscription's confirmation carries: channels
// and patterns together, shard channels apart (as Redis counts them).
func (cl *client) subCount(k subKind) int {
	if k == subShard {
		return len(cl.ps.sets[subShard])
	}
	return len(cl.ps.sets[subChannel]) + len(cl.ps.sets[subPattern])
}

func (s *Server) pubsubCommands() []*command {
	ps := func(name string, arity int, h func(*client, [][]byte)) *command {
		return &command{name: name, arity: arity, cmdFlags: []string{"pubsub", "noscript", "loading", "stale"}, group: "pubsub",
			acl: []string{"@pubsub", "@slow"}, handler: h}
	}
	publish := ps("publish", 3, s.cmdPublish)
	publish.cmdFlags = []string{"pubsub", "loading", "stale", "fast", "may_replicate"}
	publish.acl = []string{"@pubsub", "@fast"}
	pubsubCmd := ps("pubsub", -2, s.cmdPubsub)
	pubsubCmd.cmdFlags = []string{}
	pubsubCmd.subs = []string{"channels", "numpat", "numsub", "help"}
	spublish := ps("spublish", 3, s.cmdSPublish)
	spublish.cmdFlags, spublish.acl = publish.cmdFlags, publish.acl
	spublish.first, spublish.last, spublish.step = 1, 1, 1
	ssubscribe := ps("ssubscribe", -2, func(cl *client, argv [][]byte) { s.subscribe(cl, argv[1:], subShard) })
	ssubscribe.first, ssubscribe.last, ssubscribe.step = 1, -1, 1
	sunsubscribe := ps("sunsubscribe", -1, func(cl *client, argv [][]byte) { s.unsubscribe(cl, argv[1:], subShard, true) })
	sunsubscribe.first, sunsubscribe.last, sunsubscribe.step = 1, -1, 1
	pubsubCmd.subs = append(pubsubCmd.subs, "shardchannels", "shardnumsub")
	return []*command{
		ps("subscribe", -2, func(cl *client, argv [][]byte) { s.subscribe(cl, argv[1:], subChannel) }),
		ps("psubscribe", -2, func(cl *client, argv [][]byte) { s.subscribe(cl, argv[1:], subPattern) }),
		ps("unsubscribe", -1, func(cl *client, argv [][]byte) { s.unsubscribe(cl, argv[1:], subChannel, true) }),
		ps("punsubscribe", -1, func(cl *client, argv [][]byte) { s.unsubscribe(cl, argv[1:], subPattern, true) }),
		ssubscribe, sunsubscribe, publish, spublish, pubsubCmd,
	}
}

// allowedWhileSubscribed lists what a RESP2 connection may send while it
// has subscriptions.
func allowedWhileSubscribed(name string) bool {
	switch name {
	case "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "ssubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

func errNotInSubscribedContext(name string) string {
	return "ERR Can't execute '" + name + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

// setPushProtocol records the protocol the connection now speaks, which
// messages published to it from now on use.
func (cl *client) setPushProtocol() {
	cl.ps.mu.Lock()
	cl.ps.resp3 = cl.resp3
	cl.ps.mu.Unlock()
}

func (s *Server) subscribe(cl *client, names [][]byte, k subKind) {
	if k == subShard && s.cfg.Cluster {
		// Redis Cluster's rule for shard channels: one slot per call.
		for _, n := range names[1:] {
			if slots.Of(n) != slots.Of(names[0]) {
				cl.immediate().Error(engine.ErrCrossSlot)
				return
			}
		}
	}
	set := &cl.ps.sets[k]
	if *set == nil {
		*set = map[string]struct{}{}
	}
	w := cl.immediate()
	w.RESP3 = cl.resp3
	for _, n := range names {
		name := string(n)
		if _, ok := (*set)[name]; !ok {
			(*set)[name] = struct{}{}
			s.pubsub.mu.Lock()
			m := s.pubsub.reg[k][name]
			if m == nil {
				m = map[*client]struct{}{}
				s.pubsub.reg[k][name] = m
			}
			m[cl] = struct{}{}
			s.pubsub.mu.Unlock()
		}
		cl.ps.counts[k].Store(int64(len(*set)))
		writeSubscription(w, subNames[k].sub, n, cl.subCount(k))
	}
}

// unsubscribe drops the named subscriptions of kind k (all of them if
// names is empty), answering one confirmation each if notify.
func (s *Server) unsubscribe(cl *client, names [][]byte, k subKind, notify bool) {
	set := cl.ps.sets[k]
	if len(names) == 0 {
		for name := range set {
			names = append(names, []byte(name))
		}
		sort.Slice(names, func(i, j int) bool { return string(names[i]) < string(names[j]) })
	}
	var w *resp.Writer
	if notify {
		w = cl.immediate()
		w.RESP3 = cl.resp3
	}
	for _, n := range names {
		name := string(n)
		if _, ok := set[name]; ok {
			delete(set, name)
			s.pubsub.mu.Lock()
			if m := s.pubsub.reg[k][name]; m != nil {
				delete(m, cl)
				if len(m) == 0 {
					delete(s.pubsub.reg[k], name)
				}
			}
			s.pubsub.mu.Unlock()
		}
		cl.ps.counts[k].Store(int64(len(set)))
		if notify {
			writeSubscription(w, subNames[k].unsub, n, cl.subCount(k))
		}
	}
	if notify && len(names) == 0 {
		// Subscribed to nothing: Redis still confirms, with a null name.
		writeSubscription(w, subNames[k].unsub, nil, cl.subCount(k))
	}
}

// dropSubscriptions forgets every subscription of a connection that is
// closing or was RESET.
func (s *Server) dropSubscriptions(cl *client) {
	if cl.subscribed() {
		for k := subChannel; k <= subShard; k++ {
			s.unsubscribe(cl, nil, k, false)
		}
	}
}

func writeSubscription(w *resp.Writer, kind string, name []byte, count int) {
	if w.RESP3 {
		w.Push(3)
	} else {
		w.Array(3)
	}
	w.BulkString(kind)
	if name == nil {
		w.Null()
	} else {
		w.Bulk(name)
	}
	w.Int(int64(count))
}

func (s *Server) cmdPublish(cl *client, argv [][]byte) { s.publish(cl, argv, false) }

func (s *Server) cmdSPublish(cl *client, argv [][]byte) { s.publish(cl, argv, true) }

func (s *Server) publish(cl *client, argv [][]byte, shard bool) {
	n := s.deliver(argv[1], argv[2], shard)
	if s.cfg.Cluster && !cl.forwarded {
		self := s.topo.Self()
		op := "publish"
		if shard {
			op = "spublish"
		}
		fwd := [][]byte{[]byte("neokv"), []byte(op), argv[1], argv[2]}
		sent := map[string]bool{s.cfg.Addr: true, self.Addr(): true}
		for _, node := range s.topo.Nodes() {
			// Never to this node itself (it lists itself among the nodes;
			// compared by node id and address, as a store id of 0 once
			// let a node send its own messages to itself) nor twice.
			if addr := node.Addr(); node.ID != self.ID && !sent[addr] {
				sent[addr] = true
				s.fwd.forward(addr, fwd, nil, noCompletion{})
			}
		}
	}
	cl.immediate().Int(int64(n))
}

// noCompletion is the completion of a request whose reply nobody waits for.
type noCompletion struct{}

func (noCompletion) Complete(uint64) {}

var _ batching.Completion = noCompletion{}

// deliver hands a message to this node's subscribers of channel and of
// the patterns matching it (of the shard channel if shard), and returns
// how many receptions that made.
func (s *Server) deliver(channel, message []byte, shard bool) int {
	kind := subChannel
	if shard {
		kind = subShard
	}
	var enc [2][]byte // the message in RESP2 and RESP3, built once
	n := 0
	send := func(cl *client, k subKind, pattern []byte) {
		cl.ps.mu.Lock()
		resp3 := cl.ps.resp3
		cl.ps.mu.Unlock()
		var b []byte
		if k == subPattern {
			b = encodeMessage(resp3, subNames[k].message, pattern, channel, message)
		} else {
			v := 0
			if resp3 {
				v = 1
			}
			if enc[v] == nil {
				enc[v] = encodeMessage(resp3, subNames[k].message, nil, channel, message)
			}
			b = enc[v]
		}
		cl.push(b)
		n++
	}
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	for cl := range s.pubsub.reg[kind][string(channel)] {
		send(cl, kind, nil)
	}
	if !shard {
		for pat, subs := range s.pubsub.reg[subPattern] {
			if engine.GlobMatch([]byte(pat), channel) {
				for cl := range subs {
					send(cl, subPattern, []byte(pat))
				}
			}
		}
	}
	return n
}

func encodeMessage(resp3 bool, kind string, pattern, channel, message []byte) []byte {
	w := resp.Writer{RESP3: resp3}
	n := 3
	if pattern != nil {
		n = 4
	}
	if resp3 {
		w.Push(n)
	} else {
		w.Array(n)
	}
	w.BulkString(kind)
	if pattern != nil {
		w.Bulk(pattern)
	}
	w.Bulk(channel)
	w.Bulk(message)
	return w.B
}

// push queues a message for the connection and wakes its event loop; a
// connection over the limit is closed instead.
func (cl *client) push(b []byte) {
	cl.queuePush(b, false)
}

// pushUrgent queues an invalidation (see pushState.urgent).
func (cl *client) pushUrgent(b []byte) { cl.queuePush(b, true) }

func (cl *client) queuePush(b []byte, urgent bool) {
	cl.ps.mu.Lock()
	over := len(cl.ps.buf)+len(cl.ps.urgent)+len(b) > pushBufferLimit
	if !over {
		if urgent {
			cl.ps.urgent = append(cl.ps.urgent, b...)
		} else {
			cl.ps.buf = append(cl.ps.buf, b...)
		}
	}
	cl.ps.mu.Unlock()
	if over {
		cl.closeForPushLimit()
		return
	}
	if urgent {
		cl.ps.urgentPending.Store(true)
	}
	cl.ps.pending.Store(true)
	cl.wakeup()
}

func (cl *client) closeForPushLimit() {
	if !cl.killed.Swap(true) {
		cl.srv.log.Warn("closing subscriber over the pubsub output limit", "id", cl.id, "addr", cl.addr, "limit", pushBufferLimit)
	}
	cl.wakeup()
}

// takePushes moves the pending messages into the connection's output, after
// any reply still pending. It reports false if the connection must close
// (its unsent output is over the limit).
func (cl *client) takePushes(c gnet.Conn, urgentOnly bool) bool {
	cl.ps.urgentPending.Store(false)
	if !urgentOnly {
		cl.ps.pending.Store(false)
	}
	cl.ps.mu.Lock()
	b := cl.ps.urgent
	cl.ps.urgent = nil
	if !urgentOnly {
		if b == nil {
			b = cl.ps.buf
		} else {
			b = append(b, cl.ps.buf...)
		}
		cl.ps.buf = nil
	}
	cl.ps.mu.Unlock()
	if len(b) == 0 {
		return true
	}
	if c.OutboundBuffered()+len(b) > pushBufferLimit {
		cl.closeForPushLimit()
		return false
	}
	if len(cl.queue) == 0 {
		cl.out.B = append(cl.out.B, b...)
		return true
	}
	sl := cl.newSlot()
	sl.w.B = append(sl.w.B, b...)
	sl.done.Store(true)
	cl.markNoWrite(sl)
	return true
}

func (s *Server) cmdPubsub(cl *client, argv [][]byte) {
	w := cl.immediate()
	sub := strings.ToLower(string(argv[1]))
	arity := map[string]int{"channels": -2, "numpat": 2, "numsub": -2, "shardchannels": -2, "shardnumsub": -2, "help": 2}[sub]
	switch {
	case arity == 0:
		w.Error("ERR unknown subcommand '" + string(argv[1]) + "'. Try PUBSUB HELP.")
		return
	case (arity > 0 && len(argv) != arity) || len(argv) < -arity:
		w.Error("ERR wrong number of arguments for 'pubsub|" + sub + "' command")
		return
	}
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	switch sub {
	case "channels", "shardchannels":
		reg := s.pubsub.reg[subChannel]
		if sub == "shardchannels" {
			reg = s.pubsub.reg[subShard]
		}
		var names []string
		for name := range reg {
			if len(argv) == 2 || engine.GlobMatch(argv[2], []byte(name)) {
				names = append(names, name)
			}
		}
		sort.Strings(names)
		w.Array(len(names))
		for _, n := range names {
			w.BulkString(n)
		}
	case "numpat":
		w.Int(int64(len(s.pubsub.reg[subPattern])))
	case "numsub", "shardnumsub":
		reg := s.pubsub.reg[subChannel]
		if sub == "shardnumsub" {
			reg = s.pubsub.reg[subShard]
		}
		w.Array(2 * (len(argv) - 2))
		for _, ch := range argv[2:] {
			w.Bulk(ch)
			w.Int(int64(len(reg[string(ch)])))
		}
	case "help":
		help := []string{
			"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CHANNELS [<pattern>]",
			"    Return the currently active channels matching a <pattern> (default: '*').",
			"NUMPAT",
			"    Return number of subscriptions to patterns.",
			"NUMSUB [<channel> ...]",
			"    Return the number of subscribers for the specified channels, excluding",
			"    pattern subscriptions(default: no channels).",
			"SHARDCHANNELS [<pattern>]",
			"    Return the currently active shard level channels matching a <pattern> (default: '*').",
			"SHARDNUMSUB [<shardchannel> ...]",
			"    Return the number of subscribers for the specified shard level channel(s)",
			"HELP",
			"    Prints this help.",
		}
		writeHelp(w, help)
	}
}

// pingSubscribed is PING's reply on a RESP2 connection in the subscribed
// state: a two-element array, as Redis answers there.
func pingSubscribed(w *resp.Writer, argv [][]byte) {
	w.Array(2)
	w.BulkString("pong")
	if len(argv) > 1 {
		w.Bulk(argv[1])
	} else {
		w.BulkString("")
	}
}

// neokvPublish is NEOKV PUBLISH|SPUBLISH channel message, sent by another
// node of the cluster: deliver here only.
func (s *Server) neokvPublish(cl *client, argv [][]byte) {
	if !cl.forwarded || len(argv) != 4 {
		cl.immediate().Error("ERR NEOKV PUBLISH is for forwarding links")
		return
	}
	shard := strings.EqualFold(string(argv[1]), "spublish")
	cl.immediate().Int(int64(s.deliver(argv[2], argv[3], shard)))
}
