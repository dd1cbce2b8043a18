package engine

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/neokv/neokv/resp"
)

// Consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM)
// and XINFO, with Redis 7.0's replies, errors and order of checks.
//
// Layout, under the stream's sub-key prefix P (the entries are P 'e' ...):
//
//	P 'g' name                          group: last delivered ID(16), entries read(8, -1: unknown), pending(8), consumers(8), first pending ID(16)
//	P 'c' len(group)(4) group name      consumer: seen time(8), pending(8)
//	P 'p' len(group)(4) group ms seq    pending entry: delivery time(8), delivery count(8), consumer name
//
// Pending entries sort by ID within their group (XPENDING, XAUTOCLAIM scan
// them in order) and consumers by name, as Redis's radix trees do. A
// consumer's own pending entries are found by scanning its group's (Redis
// keeps a second tree per consumer); the counts of both are kept in the
// records. Delivery and seen times are the entry's clock at apply (the
// leader's), so every replica stores the same; idle times are computed by
// the node that answers.

const (
	streamSubGroup    = 'g'
	streamSubConsumer = 'c'
	streamSubPending  = 'p'
	// unknownEntriesRead is Redis's SCG_INVALID_ENTRIES_READ.
	unknownEntriesRead = -1
)

type xGroup struct {
	name        []byte
	last        streamID
	entriesRead int64
	pending     uint64
	consumers   uint64
	// firstPending is the lowest pending ID (0-0 with none): scans of the
	// pending entries start there, past the tombstones of acknowledged
	// ones (see xStream.firstKey).
	firstPending streamID
}

type xConsumer struct {
	name    []byte
	seen    int64
	pending uint64
}

type xNack struct {
	id       streamID
	time     int64
	count    uint64
	consumer []byte
}

func (s *xStream) groupKey(name []byte) []byte {
	return append(append(copyBytes(s.base), streamSubGroup), name...)
}

// scoped is the prefix of a group's consumers or pending entries.
func (s *xStream) scoped(kind byte, group []byte) []byte {
	k := append(copyBytes(s.base), kind)
	k = binary.BigEndian.AppendUint32(k, uint32(len(group)))
	return append(k, group...)
}

func (s *xStream) consumerKey(group, name []byte) []byte {
	return append(s.scoped(streamSubConsumer, group), name...)
}

func appendStreamID(dst []byte, id streamID) []byte {
	dst = binary.BigEndian.AppendUint64(dst, id.ms)
	return binary.BigEndian.AppendUint64(dst, id.seq)
}

func (s *xStream) nackKey(group []byte, id streamID) []byte {
	return appendStreamID(s.scoped(streamSubPending, group), id)
}

// xGetGroup reads a group; ok false: corrupt (replied).
func (c *Ctx) xGetGroup(v *hsView, s *xStream, name []byte) (g xGroup, found, ok bool) {
	val, found := v.get(s.groupKey(name))
	if !found {
		return g, false, true
	}
	if len(val) != 56 {
		c.lzCorrupt(s.r.key)
		return g, false, false
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(val[8*i:]) }
	return xGroup{name: copyBytes(name), last: streamID{u(0), u(1)}, entriesRead: int64(u(2)), pending: u(3), consumers: u(4),
		firstPending: streamID{u(5), u(6)}}, true, true
}

func (c *Ctx) xPutGroup(s *xStream, g *xGroup) {
	val := appendStreamID(make([]byte, 0, 56), g.last)
	for _, u := range [...]uint64{uint64(g.entriesRead), g.pending, g.consumers} {
		val = binary.BigEndian.AppendUint64(val, u)
	}
	val = appendStreamID(val, g.firstPending)
	c.setErr(c.b.Set(s.groupKey(g.name), val, nil))
	c.noteWritten(s.r.key)
}

func (c *Ctx) xGetConsumer(v *hsView, s *xStream, group, name []byte) (cs xConsumer, found, ok bool) {
	val, found := v.get(s.consumerKey(group, name))
	if !found {
		return cs, false, true
	}
	if len(val) != 16 {
		c.lzCorrupt(s.r.key)
		return cs, false, false
	}
	return xConsumer{name: copyBytes(name), seen: int64(binary.BigEndian.Uint64(val)), pending: binary.BigEndian.Uint64(val[8:])}, true, true
}

func (c *Ctx) xPutConsumer(s *xStream, group []byte, cs *xConsumer) {
	val := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(cs.seen))
	val = binary.BigEndian.AppendUint64(val, cs.pending)
	c.setErr(c.b.Set(s.consumerKey(group, cs.name), val, nil))
	c.noteWritten(s.r.key)
}

func decodeNack(id streamID, val []byte) (xNack, bool) {
	if len(val) < 16 {
		return xNack{}, false
	}
	return xNack{id: id, time: int64(binary.BigEndian.Uint64(val)), count: binary.BigEndian.Uint64(val[8:]), consumer: copyBytes(val[16:])}, true
}

func (c *Ctx) xGetNack(v *hsView, s *xStream, group []byte, id streamID) (n xNack, found, ok bool) {
	val, found := v.get(s.nackKey(group, id))
	if !found {
		return n, false, true
	}
	n, ok = decodeNack(id, val)
	if !ok {
		c.lzCorrupt(s.r.key)
	}
	return n, ok, ok
}

func (c *Ctx) xPutNack(s *xStream, group []byte, n *xNack) {
	val := binary.BigEndian.AppendUint64(make([]byte, 0, 16+len(n.consumer)), uint64(n.time))
	val = binary.BigEndian.AppendUint64(val, n.count)
	val = append(val, n.consumer...)
	c.setErr(c.b.Set(s.nackKey(group, n.id), val, nil))
	c.noteWritten(s.r.key)
}

// xNacks reads g's pending entries with IDs >= from (in ID order), of one
// consumer when consumer is not nil, calling fn until it returns false.
func (c *Ctx) xNacks(v *hsView, s *xStream, g *xGroup, from streamID, consumer []byte, fn func(n xNack) bool) bool {
	prefix := s.scoped(streamSubPending, g.name)
	it := v.iter(prefix)
	if it == nil {
		return false
	}
	if from.cmp(g.firstPending) < 0 {
		from = g.firstPending
	}
	for valid := it.SeekGE(appendStreamID(copyBytes(prefix), from)); valid; valid = it.Next() {
		k := it.Key()[len(prefix):]
		val, err := it.ValueAndErr()
		if len(k) != 16 || err != nil {
			c.lzCorrupt(s.r.key)
			return false
		}
		n, ok := decodeNack(streamID{binary.BigEndian.Uint64(k), binary.BigEndian.Uint64(k[8:])}, val)
		if !ok {
			c.lzCorrupt(s.r.key)
			return false
		}
		if consumer != nil && string(n.consumer) != string(consumer) {
			continue
		}
		if !fn(n) {
			break
		}
	}
	return true
}

// xConsumers reads a group's consumers in name order.
func (c *Ctx) xConsumers(v *hsView, s *xStream, group []byte) ([]xConsumer, bool) {
	prefix := s.scoped(streamSubConsumer, group)
	it := v.iter(prefix)
	if it == nil {
		return nil, false
	}
	var out []xConsumer
	for valid := it.First(); valid; valid = it.Next() {
		val, err := it.ValueAndErr()
		if len(val) != 16 || err != nil {
			c.lzCorrupt(s.r.key)
			return nil, false
		}
		out = append(out, xConsumer{name: copyBytes(it.Key()[len(prefix):]), seen: int64(binary.BigEndian.Uint64(val)), pending: binary.BigEndian.Uint64(val[8:])})
	}
	return out, true
}

// xGroups reads every group of s in name order.
func (c *Ctx) xGroups(v *hsView, s *xStream) ([]xGroup, bool) {
	prefix := append(copyBytes(s.base), streamSubGroup)
	it := v.iter(prefix)
	if it == nil {
		return nil, false
	}
	var names [][]byte
	for valid := it.First(); valid; valid = it.Next() {
		names = append(names, copyBytes(it.Key()[len(prefix):]))
	}
	out := make([]xGroup, 0, len(names))
	for _, name := range names {
		g, found, ok := c.xGetGroup(v, s, name)
		if !ok || !found {
			if ok {
				c.lzCorrupt(s.r.key)
			}
			return nil, false
		}
		out = append(out, g)
	}
	return out, true
}

// xEntry reads an entry's value (valid until the view's next get).
func (s *xStream) xEntry(v *hsView, id streamID) ([]byte, bool) {
	return v.get(s.entryKey(id))
}

// rangeHasTombstones is Redis's streamRangeHasTombstones(s, start, NULL).
func (s *xStream) rangeHasTombstones(start streamID) bool {
	if s.m.count == 0 || s.st.maxDeleted == (streamID{}) || s.st.first.cmp(s.st.maxDeleted) > 0 {
		return false
	}
	return start.cmp(s.st.maxDeleted) <= 0
}

// entriesBefore is Redis's streamEstimateDistanceFromFirstEverEntry: the
// logical read counter of id, or unknownEntriesRead.
func (s *xStream) entriesBefore(id streamID) int64 {
	added := int64(s.st.added)
	if added == 0 {
		return 0
	}
	if s.m.count == 0 && id.cmp(s.st.last) < 1 {
		return added
	}
	switch id.cmp(s.st.last) {
	case 0:
		return added
	case 1:
		return unknownEntriesRead
	}
	if s.st.maxDeleted == (streamID{}) || s.st.maxDeleted.cmp(s.st.first) < 0 {
		switch id.cmp(s.st.first) {
		case -1:
			return added - int64(s.m.count)
		case 0:
			return added - int64(s.m.count) + 1
		}
	}
	return unknownEntriesRead
}

// lag is XINFO GROUPS' lag of g; ok false: unknown (a null reply).
func (s *xStream) lag(g *xGroup) (int64, bool) {
	if s.st.added == 0 {
		return 0, true
	}
	if g.entriesRead != unknownEntriesRead && !s.rangeHasTombstones(g.last) {
		return int64(s.st.added) - g.entriesRead, true
	}
	if n := s.entriesBefore(g.last); n != unknownEntriesRead {
		return int64(s.st.added) - n, true
	}
	return 0, false
}

// xOpen opens one stream key: s is nil when it is not live (r is the
// key's record either way). ok false: WRONGTYPE or a storage error was
// replied (and done was called).
func (c *Ctx) xOpen(key []byte) (r *rec, s *xStream, v *hsView, done func(), ok bool) {
	start := len(c.W.B)
	recs, v, ok := c.hsOpen([][]byte{key})
	if !ok {
		return nil, nil, nil, nil, false
	}
	done = func() { c.hsDone(v, recs, start) }
	r = &recs[0]
	if r.live && r.m.typ != TypeStream {
		c.W.Error(ErrWrongType)
		done()
		return nil, nil, nil, nil, false
	}
	if r.live {
		s = newXStream(r)
	}
	return r, s, v, done, true
}

// xOpenGroup opens a stream key and one of its groups, replying NOGROUP
// if either is missing (XPENDING, XCLAIM, XAUTOCLAIM). ok false: replied.
func (c *Ctx) xOpenGroup(key, group []byte) (s *xStream, v *hsView, g xGroup, done func(), ok bool) {
	_, s, v, done, ok = c.xOpen(key)
	if !ok {
		return nil, nil, g, nil, false
	}
	found := false
	if s != nil {
		if g, found, ok = c.xGetGroup(v, s, group); !ok {
			done()
			return nil, nil, g, nil, false
		}
	}
	if !found {
		c.W.Error(errNoGroup(key, group))
		done()
		return nil, nil, g, nil, false
	}
	return s, v, g, done, true
}

func errNoGroup(key, group []byte) string {
	return "NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "'"
}

func streamGroupCommands() []*Command {
	w, r, f := FlagWrite, FlagReadOnly, FlagFast
	x := func(name string, arity int, flags Flags, first int, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: first, Step: 1, Group: "stream",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	xreadgroup := &Command{Name: "xreadgroup", Arity: -7, Flags: w | FlagSameSlotKeys, Group: "stream",
		Since: "5.0.0", Summary: "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
		ACL: []string{"@write", "@stream", "@slow", "@blocking"}, Exec: execXReadGroup, KeysFunc: xreadKeys}
	return []*Command{
		x("xgroup", -2, w|FlagKeylessReads, 2, []string{"@write", "@stream", "@slow"}, "5.0.0", "A container for consumer groups commands", execXGroup),
		x("xack", -4, w|f, 1, []string{"@write", "@stream", "@fast"}, "5.0.0", "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", execXAck),
		x("xpending", -3, r, 1, []string{"@read", "@stream", "@slow"}, "5.0.0", "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", execXPending),
		x("xclaim", -6, w|f, 1, []string{"@write", "@stream", "@fast"}, "5.0.0", "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", execXClaim),
		x("xautoclaim", -6, w|f, 1, []string{"@write", "@stream", "@fast"}, "6.2.0", "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", execXAutoClaim),
		x("xinfo", -2, r, 2, []string{"@read", "@stream", "@slow"}, "5.0.0", "A container for stream introspection commands", execXInfo),
		xreadgroup,
	}
}

var xgroupHelp = []string{
	"XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
	"HELP",
	"    Prints this help.",
}

var xinfoHelp = []string{
	"XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
	"HELP",
	"    Prints this help.",
}

// The arities of XGROUP's and XINFO's subcommands (Redis's subcommand
// tables: negative means at least).
var (
	xgroupArities = map[string]int{"create": -5, "setid": -5, "destroy": 4, "createconsumer": 5, "delconsumer": 5, "help": 2}
	xinfoArities  = map[string]int{"consumers": 4, "groups": 3, "stream": -3, "help": 2}
)

// xSubcommandSyntax is Redis's addReplySubcommandSyntaxError.
func (c *Ctx) xSubcommandSyntax(argv [][]byte) {
	s := argv[1]
	if len(s) > 128 {
		s = s[:128]
	}
	c.W.Error("ERR unknown subcommand or wrong number of arguments for '" + string(s) + "'. Try " + strings.ToUpper(c.name) + " HELP.")
}

func (c *Ctx) xEntriesReadArg(b []byte) (int64, bool) {
	n, ok := c.parseInt(b)
	if !ok {
		return 0, false
	}
	if n < 0 && n != unknownEntriesRead {
		c.W.Error("ERR value for ENTRIESREAD must be positive or -1")
		return 0, false
	}
	return n, true
}

func execXGroup(c *Ctx, argv [][]byte) {
	sub, ok := c.containerSub(argv, "XGROUP", xgroupArities, xgroupHelp)
	if !ok {
		return
	}
	entriesRead := int64(unknownEntriesRead)
	mkstream := false
	switch sub {
	case "create":
		for i := 5; i < len(argv); {
			switch {
			case eqFold(argv[i], "mkstream"):
				mkstream = true
				i++
			case eqFold(argv[i], "entriesread") && i+1 < len(argv):
				if entriesRead, ok = c.xEntriesReadArg(argv[i+1]); !ok {
					return
				}
				i += 2
			default:
				c.xSubcommandSyntax(argv)
				return
			}
		}
	case "setid":
		if len(argv) == 7 {
			if !eqFold(argv[5], "entriesread") {
				c.xSubcommandSyntax(argv)
				return
			}
			if entriesRead, ok = c.xEntriesReadArg(argv[6]); !ok {
				return
			}
		} else if len(argv) != 5 {
			c.xSubcommandSyntax(argv)
			return
		}
	}
	key, name := argv[2], argv[3]
	r, s, v, done, ok := c.xOpen(key)
	if !ok {
		return
	}
	defer done()
	var g xGroup
	found := false
	if !mkstream {
		if s == nil {
			c.W.Error("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
			return
		}
		if g, found, ok = c.xGetGroup(v, s, name); !ok {
			return
		}
		if !found && (sub == "setid" || sub == "createconsumer" || sub == "delconsumer") {
			c.W.Error("NOGROUP No such consumer group '" + string(name) + "' for key name '" + string(key) + "'")
			return
		}
	} else if s != nil {
		if g, found, ok = c.xGetGroup(v, s, name); !ok {
			return
		}
	}
	switch sub {
	case "create":
		if len(argv) > 8 {
			c.xSubcommandSyntax(argv)
			return
		}
		var id streamID
		if string(argv[4]) == "$" {
			if s != nil {
				id = s.st.last
			}
		} else if id, ok = c.parseStreamID(argv[4], 0, true, nil); !ok {
			return
		}
		if s == nil {
			s = c.xNewStream(r)
		}
		if found {
			c.W.Error("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.xPutGroup(s, &xGroup{name: name, last: id, entriesRead: entriesRead})
		s.st.groups++
		c.xSave(s)
		c.notify(NotifyStream, "xgroup-create", key)
		c.W.OK()
	case "setid":
		var id streamID
		if string(argv[4]) == "$" {
			id = s.st.last
		} else if id, ok = c.parseStreamID(argv[4], 0, false, nil); !ok {
			return
		}
		g.last, g.entriesRead = id, entriesRead
		c.xPutGroup(s, &g)
		c.notify(NotifyStream, "xgroup-setid", key)
		c.W.OK()
	case "destroy":
		if !found {
			c.W.Int(0)
			return
		}
		c.setErr(c.b.Delete(s.groupKey(name), nil))
		for _, kind := range []byte{streamSubConsumer, streamSubPending} {
			p := s.scoped(kind, name)
			c.setErr(c.b.DeleteRange(p, prefixEndKey(p), nil))
		}
		s.st.groups--
		c.xSave(s)
		c.notify(NotifyStream, "xgroup-destroy", key)
		c.W.Int(1)
	case "createconsumer":
		_, exists, ok := c.xGetConsumer(v, s, name, argv[4])
		if !ok {
			return
		}
		if exists {
			c.W.Int(0)
			return
		}
		c.xPutConsumer(s, name, &xConsumer{name: argv[4], seen: c.now})
		g.consumers++
		c.xPutGroup(s, &g)
		c.notify(NotifyStream, "xgroup-createconsumer", key)
		c.W.Int(1)
	case "delconsumer":
		cs, exists, ok := c.xGetConsumer(v, s, name, argv[4])
		if !ok {
			return
		}
		if !exists {
			c.W.Int(0)
			return
		}
		var ids []streamID
		if !c.xNacks(v, s, &g, streamID{}, cs.name, func(n xNack) bool { ids = append(ids, n.id); return true }) {
			return
		}
		for _, id := range ids {
			c.setErr(c.b.Delete(s.nackKey(name, id), nil))
		}
		c.setErr(c.b.Delete(s.consumerKey(name, cs.name), nil))
		g.pending -= uint64(len(ids))
		g.consumers--
		if len(ids) > 0 && !c.xSettleFirstPending(v, s, &g) {
			return
		}
		c.xPutGroup(s, &g)
		c.notify(NotifyStream, "xgroup-delconsumer", key)
		c.W.Int(int64(len(ids)))
	}
}

func execXAck(c *Ctx, argv [][]byte) {
	_, s, v, done, ok := c.xOpen(argv[1])
	if !ok {
		return
	}
	defer done()
	var g xGroup
	found := false
	if s != nil {
		if g, found, ok = c.xGetGroup(v, s, argv[2]); !ok {
			return
		}
	}
	if !found {
		c.W.Int(0)
		return
	}
	ids := make([]streamID, 0, len(argv)-3)
	for _, b := range argv[3:] {
		id, ok := c.parseStreamID(b, 0, true, nil)
		if !ok {
			return
		}
		ids = append(ids, id)
	}
	acked := int64(0)
	for _, id := range ids {
		n, found, ok := c.xGetNack(v, s, g.name, id)
		if !ok {
			return
		}
		if !found {
			continue
		}
		c.setErr(c.b.Delete(s.nackKey(g.name, id), nil))
		g.pending--
		if !c.xAdjustConsumerPending(v, s, g.name, n.consumer, -1) {
			return
		}
		acked++
	}
	if acked > 0 {
		if !c.xSettleFirstPending(v, s, &g) {
			return
		}
		c.xPutGroup(s, &g)
	}
	c.W.Int(acked)
}

// xAdjustConsumerPending adds delta to a consumer's pending count.
func (c *Ctx) xAdjustConsumerPending(v *hsView, s *xStream, group, name []byte, delta int64) bool {
	cs, found, ok := c.xGetConsumer(v, s, group, name)
	if !ok {
		return false
	}
	if !found {
		c.lzCorrupt(s.r.key)
		return false
	}
	cs.pending = uint64(int64(cs.pending) + delta)
	c.xPutConsumer(s, group, &cs)
	return true
}

func execXPending(c *Ctx, argv [][]byte) {
	justInfo := len(argv) == 3
	if len(argv) != 3 && (len(argv) < 6 || len(argv) > 9) {
		c.W.Error(ErrSyntax)
		return
	}
	var start, end streamID
	var count, minIdle int64
	var consumer []byte
	if len(argv) >= 6 {
		at := 3
		if eqFold(argv[3], "idle") {
			n, ok := c.parseInt(argv[4])
			if !ok {
				return
			}
			minIdle = n
			if len(argv) < 8 {
				c.W.Error(ErrSyntax)
				return
			}
			at += 2
		}
		n, ok := c.parseInt(argv[at+2])
		if !ok {
			return
		}
		count = max(n, 0)
		var ex bool
		if start, ex, ok = c.parseIntervalID(argv[at], 0); !ok {
			return
		}
		if ex && !start.incr() {
			c.W.Error("ERR invalid start ID for the interval")
			return
		}
		if end, ex, ok = c.parseIntervalID(argv[at+1], math.MaxUint64); !ok {
			return
		}
		if ex && !end.decr() {
			c.W.Error("ERR invalid end ID for the interval")
			return
		}
		if at+3 < len(argv) {
			consumer = argv[at+3]
		}
	}
	s, v, g, done, ok := c.xOpenGroup(argv[1], argv[2])
	if !ok {
		return
	}
	defer done()
	var idb [41]byte
	if justInfo {
		c.W.Array(4)
		c.W.Int(int64(g.pending))
		if g.pending == 0 {
			c.W.Null()
			c.W.Null()
			c.W.NullArray()
			return
		}
		var first, last streamID
		n := 0
		if !c.xNacks(v, s, &g, streamID{}, nil, func(x xNack) bool {
			if n == 0 {
				first = x.id
			}
			last = x.id
			n++
			return true
		}) {
			return
		}
		c.W.Bulk(first.appendText(idb[:0]))
		c.W.Bulk(last.appendText(idb[:0]))
		cons, ok := c.xConsumers(v, s, g.name)
		if !ok {
			return
		}
		at, k := len(c.W.B), 0
		for _, cs := range cons {
			if cs.pending == 0 {
				continue
			}
			c.W.Array(2)
			c.W.Bulk(cs.name)
			c.W.BulkInt(int64(cs.pending))
			k++
		}
		c.hsDeferredLen(at, k, false)
		return
	}
	if consumer != nil {
		_, exists, ok := c.xGetConsumer(v, s, g.name, consumer)
		if !ok {
			return
		}
		if !exists {
			c.W.Array(0)
			return
		}
	}
	at, k := len(c.W.B), 0
	if !c.xNacks(v, s, &g, start, consumer, func(x xNack) bool {
		if count == 0 || x.id.cmp(end) > 0 {
			return false
		}
		if minIdle != 0 && c.now-x.time < minIdle {
			return true
		}
		k++
		count--
		c.W.Array(4)
		c.W.Bulk(x.id.appendText(idb[:0]))
		c.W.Bulk(x.consumer)
		c.W.Int(max(c.now-x.time, 0))
		c.W.Int(int64(x.count))
		return true
	}) {
		return
	}
	c.hsDeferredLen(at, k, false)
}

// xClaimOne gives a pending entry to consumer cs (counts kept), with the
// delivery time and count already set in n.
func (c *Ctx) xClaimOne(v *hsView, s *xStream, g *xGroup, cs *xConsumer, n *xNack, isNew bool) bool {
	if isNew {
		if g.pending == 0 || n.id.cmp(g.firstPending) < 0 {
			g.firstPending = n.id
		}
		g.pending++
		cs.pending++
	} else if string(n.consumer) != string(cs.name) {
		if !c.xAdjustConsumerPending(v, s, g.name, n.consumer, -1) {
			return false
		}
		cs.pending++
	}
	n.consumer = cs.name
	c.xPutNack(s, g.name, n)
	return true
}

// xSettleFirstPending moves g.firstPending to the lowest pending ID after
// pending entries were deleted (the scan starts at the old one, so it
// steps over each tombstone once).
func (c *Ctx) xSettleFirstPending(v *hsView, s *xStream, g *xGroup) bool {
	if g.pending == 0 {
		g.firstPending = streamID{}
		return true
	}
	found := false
	if !c.xNacks(v, s, g, g.firstPending, nil, func(n xNack) bool {
		g.firstPending, found = n.id, true
		return false
	}) {
		return false
	}
	if !found {
		c.lzCorrupt(s.r.key)
	}
	return found
}

// xConsumerFor reads consumer name of g, creating it if missing.
func (c *Ctx) xConsumerFor(v *hsView, s *xStream, g *xGroup, name []byte) (xConsumer, bool) {
	cs, found, ok := c.xGetConsumer(v, s, g.name, name)
	if !ok {
		return cs, false
	}
	if !found {
		cs = xConsumer{name: copyBytes(name), seen: c.now}
		g.consumers++
		c.notify(NotifyStream, "xgroup-createconsumer", s.r.key)
	}
	return cs, true
}

func execXClaim(c *Ctx, argv [][]byte) {
	s, v, g, done, ok := c.xOpenGroup(argv[1], argv[2])
	if !ok {
		return
	}
	defer done()
	minIdle, ok := resp.ParseInt(argv[4])
	if !ok {
		c.W.Error("ERR Invalid min-idle-time argument for XCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	var ids []streamID
	j := 5
	scratch := Ctx{W: &resp.Writer{}} // IDs parsed here reply nothing
	for ; j < len(argv); j++ {
		id, ok := scratch.parseStreamID(argv[j], 0, true, nil)
		if !ok {
			break
		}
		ids = append(ids, id)
	}
	now := c.now
	deliveryTime, retryCount := int64(-1), int64(-1)
	force, justID := false, false
	var lastID streamID
	for ; j < len(argv); j++ {
		more := len(argv) - 1 - j
		opt := argv[j]
		switch {
		case eqFold(opt, "force"):
			force = true
		case eqFold(opt, "justid"):
			justID = true
		case eqFold(opt, "idle") && more > 0:
			j++
			n, ok := resp.ParseInt(argv[j])
			if !ok {
				c.W.Error("ERR Invalid IDLE option argument for XCLAIM")
				return
			}
			deliveryTime = now - n
		case eqFold(opt, "time") && more > 0:
			j++
			n, ok := resp.ParseInt(argv[j])
			if !ok {
				c.W.Error("ERR Invalid TIME option argument for XCLAIM")
				return
			}
			deliveryTime = n
		case eqFold(opt, "retrycount") && more > 0:
			j++
			n, ok := resp.ParseInt(argv[j])
			if !ok {
				c.W.Error("ERR Invalid RETRYCOUNT option argument for XCLAIM")
				return
			}
			retryCount = n
		case eqFold(opt, "lastid") && more > 0:
			j++
			if lastID, ok = c.parseStreamID(argv[j], 0, true, nil); !ok {
				return
			}
		default:
			c.W.Error("ERR Unrecognized XCLAIM option '" + string(opt) + "'")
			return
		}
	}
	if lastID.cmp(g.last) > 0 {
		g.last = lastID
	}
	if deliveryTime == -1 || deliveryTime < 0 || deliveryTime > now {
		deliveryTime = now
	}
	var cs xConsumer
	haveConsumer := false
	at, k := len(c.W.B), 0
	var idb [41]byte
	for _, id := range ids {
		n, isPending, ok := c.xGetNack(v, s, g.name, id)
		if !ok {
			return
		}
		if _, exists := s.xEntry(v, id); !exists {
			if isPending {
				c.setErr(c.b.Delete(s.nackKey(g.name, id), nil))
				g.pending--
				if !c.xAdjustConsumerPending(v, s, g.name, n.consumer, -1) {
					return
				}
			}
			continue
		}
		isNew := false
		if force && !isPending {
			n, isPending, isNew = xNack{id: id}, true, true
		}
		if !isPending {
			continue
		}
		if !isNew && minIdle != 0 && now-n.time < minIdle {
			continue
		}
		if !haveConsumer {
			if cs, ok = c.xConsumerFor(v, s, &g, argv[3]); !ok {
				return
			}
			haveConsumer = true
		}
		n.time = deliveryTime
		if retryCount >= 0 {
			n.count = uint64(retryCount)
		} else if !justID {
			n.count++
		}
		if !c.xClaimOne(v, s, &g, &cs, &n, isNew) {
			return
		}
		if justID {
			c.W.Bulk(id.appendText(idb[:0]))
		} else {
			val, _ := s.xEntry(v, id)
			if !c.writeStreamEntry(id, val) {
				c.lzCorrupt(s.r.key)
				return
			}
		}
		k++
	}
	if haveConsumer {
		c.xPutConsumer(s, g.name, &cs)
	}
	if !c.xSettleFirstPending(v, s, &g) {
		return
	}
	c.xPutGroup(s, &g)
	c.hsDeferredLen(at, k, false)
}

func execXAutoClaim(c *Ctx, argv [][]byte) {
	minIdle, ok := resp.ParseInt(argv[4])
	if !ok {
		c.W.Error("ERR Invalid min-idle-time argument for XAUTOCLAIM")
		return
	}
	minIdle = max(minIdle, 0)
	start, ex, ok := c.parseIntervalID(argv[5], 0)
	if !ok {
		return
	}
	if ex && !start.incr() {
		c.W.Error("ERR invalid start ID for the interval")
		return
	}
	count := int64(100)
	justID := false
	for j := 6; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case eqFold(argv[j], "count") && more > 0:
			n, ok := resp.ParseInt(argv[j+1])
			if !ok || n < 1 || n > math.MaxInt64/16 {
				c.W.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			j++
		case eqFold(argv[j], "justid"):
			justID = true
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	s, v, g, done, ok := c.xOpenGroup(argv[1], argv[2])
	if !ok {
		return
	}
	defer done()
	attempts := count * 10
	now := c.now
	// Read the candidates first: the claims write the same keys.
	var cands []xNack
	var next streamID
	if !c.xNacks(v, s, &g, start, nil, func(n xNack) bool {
		if int64(len(cands)) == attempts {
			next = n.id
			return false
		}
		cands = append(cands, n)
		return true
	}) {
		return
	}
	var cs xConsumer
	haveConsumer := false
	var deleted []streamID
	c.W.Array(3)
	cursorAt := len(c.W.B)
	at, k := len(c.W.B), 0
	var idb [41]byte
	stopped := -1 // the index count ran out at
	for i := range cands {
		if count == 0 {
			stopped = i
			break
		}
		n := cands[i]
		if _, exists := s.xEntry(v, n.id); !exists {
			c.setErr(c.b.Delete(s.nackKey(g.name, n.id), nil))
			g.pending--
			if haveConsumer && string(n.consumer) == string(cs.name) {
				cs.pending--
			} else if !c.xAdjustConsumerPending(v, s, g.name, n.consumer, -1) {
				return
			}
			deleted = append(deleted, n.id)
			count--
			continue
		}
		if minIdle != 0 && now-n.time < minIdle {
			continue
		}
		if !haveConsumer {
			if cs, ok = c.xConsumerFor(v, s, &g, argv[3]); !ok {
				return
			}
			haveConsumer = true
		}
		n.time = now
		if !justID {
			n.count++
		}
		if !c.xClaimOne(v, s, &g, &cs, &n, false) {
			return
		}
		if justID {
			c.W.Bulk(n.id.appendText(idb[:0]))
		} else {
			val, _ := s.xEntry(v, n.id)
			if !c.writeStreamEntry(n.id, val) {
				c.lzCorrupt(s.r.key)
				return
			}
		}
		k++
		count--
	}
	if stopped >= 0 {
		next = cands[stopped].id
	} else if len(cands) > 0 && int64(len(cands)) < attempts {
		next = streamID{}
	}
	c.hsDeferredLen(at, k, false)
	var cur resp.Writer
	cur.Bulk(next.appendText(idb[:0]))
	c.W.B = slices.Insert(c.W.B, cursorAt, cur.B...)
	c.W.Array(len(deleted))
	for _, id := range deleted {
		c.W.Bulk(id.appendText(idb[:0]))
	}
	if haveConsumer {
		c.xPutConsumer(s, g.name, &cs)
	}
	if len(deleted) > 0 && !c.xSettleFirstPending(v, s, &g) {
		return
	}
	c.xPutGroup(s, &g)
}

func execXInfo(c *Ctx, argv [][]byte) {
	sub, ok := c.containerSub(argv, "XINFO", xinfoArities, xinfoHelp)
	if !ok {
		return
	}
	_, s, v, done, ok := c.xOpen(argv[2])
	if !ok {
		return
	}
	defer done()
	if s == nil {
		c.W.Error(ErrNoSuchKey)
		return
	}
	full, fullCount := false, int64(10)
	if sub == "stream" && len(argv) > 3 {
		if (len(argv) != 4 && len(argv) != 6) || !eqFold(argv[3], "full") || (len(argv) == 6 && !eqFold(argv[4], "count")) {
			c.xSubcommandSyntax(argv)
			return
		}
		full = true
		if len(argv) == 6 {
			n, ok := c.parseInt(argv[5])
			if !ok {
				return
			}
			if n >= 0 {
				fullCount = n
			}
		}
	}
	var idb [41]byte
	id := func(x streamID) { c.W.Bulk(x.appendText(idb[:0])) }
	switch sub {
	case "consumers":
		g, found, ok := c.xGetGroup(v, s, argv[3])
		if !ok {
			return
		}
		if !found {
			c.W.Error("NOGROUP No such consumer group '" + string(argv[3]) + "' for key name '" + string(argv[2]) + "'")
			return
		}
		cons, ok := c.xConsumers(v, s, g.name)
		if !ok {
			return
		}
		c.W.Array(len(cons))
		for _, cs := range cons {
			c.W.Map(3)
			c.W.BulkString("name")
			c.W.Bulk(cs.name)
			c.W.BulkString("pending")
			c.W.Int(int64(cs.pending))
			c.W.BulkString("idle")
			c.W.Int(max(c.now-cs.seen, 0))
		}
	case "groups":
		groups, ok := c.xGroups(v, s)
		if !ok {
			return
		}
		c.W.Array(len(groups))
		for i := range groups {
			g := &groups[i]
			c.W.Map(6)
			c.W.BulkString("name")
			c.W.Bulk(g.name)
			c.W.BulkString("consumers")
			c.W.Int(int64(g.consumers))
			c.W.BulkString("pending")
			c.W.Int(int64(g.pending))
			c.W.BulkString("last-delivered-id")
			id(g.last)
			c.xEntriesReadReply(s, g)
		}
	case "stream":
		c.xInfoStream(v, s, full, fullCount)
	}
}

// xEntriesReadReply writes a group's entries-read and lag fields.
func (c *Ctx) xEntriesReadReply(s *xStream, g *xGroup) {
	c.W.BulkString("entries-read")
	if g.entriesRead != unknownEntriesRead {
		c.W.Int(g.entriesRead)
	} else {
		c.W.Null()
	}
	c.W.BulkString("lag")
	if lag, ok := s.lag(g); ok {
		c.W.Int(lag)
	} else {
		c.W.Null()
	}
}

// xInfoStream is XINFO STREAM [FULL [COUNT n]]. radix-tree-keys and
// radix-tree-nodes describe Redis's layout, which NeoKV does not have:
// they are what a stream of that length built by appends alone would
// have (100 entries per node).
func (c *Ctx) xInfoStream(v *hsView, s *xStream, full bool, count int64) {
	var idb [41]byte
	id := func(x streamID) { c.W.Bulk(x.appendText(idb[:0])) }
	if full {
		c.W.Map(9)
	} else {
		c.W.Map(10)
	}
	nodes := (int64(s.m.count) + 99) / 100
	c.W.BulkString("length")
	c.W.Int(int64(s.m.count))
	c.W.BulkString("radix-tree-keys")
	c.W.Int(nodes)
	c.W.BulkString("radix-tree-nodes")
	c.W.Int(nodes + 1)
	c.W.BulkString("last-generated-id")
	id(s.st.last)
	c.W.BulkString("max-deleted-entry-id")
	id(s.st.maxDeleted)
	c.W.BulkString("entries-added")
	c.W.Int(int64(s.st.added))
	c.W.BulkString("recorded-first-entry-id")
	id(s.st.first)
	if !full {
		c.W.BulkString("groups")
		c.W.Int(int64(s.st.groups))
		for _, first := range []bool{true, false} {
			if first {
				c.W.BulkString("first-entry")
			} else {
				c.W.BulkString("last-entry")
			}
			if s.m.count == 0 {
				c.W.Null()
				continue
			}
			it := v.iter(s.prefix)
			if it == nil {
				return
			}
			valid := it.SeekGE(s.firstKey())
			if !first {
				valid = it.Last()
			}
			var eid streamID
			var val []byte
			var err error
			if valid {
				eid, valid = s.idOf(it.Key())
				val, err = it.ValueAndErr()
			}
			if !valid || err != nil || !c.writeStreamEntry(eid, val) {
				c.lzCorrupt(s.r.key)
				return
			}
		}
		return
	}
	c.W.BulkString("entries")
	if !c.xReplyRange(v, s, streamID{}, maxStreamID, count, false) {
		return
	}
	c.W.BulkString("groups")
	groups, ok := c.xGroups(v, s)
	if !ok {
		return
	}
	c.W.Array(len(groups))
	for i := range groups {
		g := &groups[i]
		c.W.Map(7)
		c.W.BulkString("name")
		c.W.Bulk(g.name)
		c.W.BulkString("last-delivered-id")
		id(g.last)
		c.xEntriesReadReply(s, g)
		c.W.BulkString("pel-count")
		c.W.Int(int64(g.pending))
		c.W.BulkString("pending")
		at, k := len(c.W.B), 0
		if !c.xNacks(v, s, g, streamID{}, nil, func(n xNack) bool {
			if count > 0 && int64(k) >= count {
				return false
			}
			c.W.Array(4)
			id(n.id)
			c.W.Bulk(n.consumer)
			c.W.Int(n.time)
			c.W.Int(int64(n.count))
			k++
			return true
		}) {
			return
		}
		c.hsDeferredLen(at, k, false)
		c.W.BulkString("consumers")
		cons, ok := c.xConsumers(v, s, g.name)
		if !ok {
			return
		}
		c.W.Array(len(cons))
		for _, cs := range cons {
			c.W.Map(4)
			c.W.BulkString("name")
			c.W.Bulk(cs.name)
			c.W.BulkString("seen-time")
			c.W.Int(cs.seen)
			c.W.BulkString("pel-count")
			c.W.Int(int64(cs.pending))
			c.W.BulkString("pending")
			at, k := len(c.W.B), 0
			if !c.xNacks(v, s, g, streamID{}, cs.name, func(n xNack) bool {
				if count > 0 && int64(k) >= count {
					return false
				}
				c.W.Array(3)
				id(n.id)
				c.W.Int(n.time)
				c.W.Int(int64(n.count))
				k++
				return true
			}) {
				return
			}
			c.hsDeferredLen(at, k, false)
		}
	}
}

// xReplyGroupRange serves XREADGROUP's ">": the entries after the group's
// last delivered ID, at most count (0: all), each becoming pending for cs
// unless noack. It returns how many it replied.
func (c *Ctx) xReplyGroupRange(v *hsView, s *xStream, g *xGroup, cs *xConsumer, start streamID, count int64, noack bool) (int, bool) {
	it := v.iter(s.prefix)
	if it == nil {
		return 0, false
	}
	type entry struct {
		id  streamID
		val []byte
	}
	var entries []entry
	for valid := it.SeekGE(s.seekFrom(start)); valid; valid = it.Next() {
		if count > 0 && int64(len(entries)) >= count {
			break
		}
		id, ok := s.idOf(it.Key())
		val, err := it.ValueAndErr()
		if !ok || err != nil {
			c.lzCorrupt(s.r.key)
			return 0, false
		}
		entries = append(entries, entry{id, copyBytes(val)})
	}
	at := len(c.W.B)
	for _, e := range entries {
		if !c.writeStreamEntry(e.id, e.val) {
			c.lzCorrupt(s.r.key)
			return 0, false
		}
		if e.id.cmp(g.last) > 0 {
			if g.entriesRead != unknownEntriesRead && !s.rangeHasTombstones(e.id) {
				g.entriesRead++
			} else if s.st.added != 0 {
				g.entriesRead = s.entriesBefore(e.id)
			}
			g.last = e.id
		}
		if noack {
			continue
		}
		n, pending, ok := c.xGetNack(v, s, g.name, e.id)
		if !ok {
			return 0, false
		}
		if !pending {
			n = xNack{id: e.id}
		}
		n.time, n.count = c.now, 1
		if !c.xClaimOne(v, s, g, cs, &n, !pending) {
			return 0, false
		}
	}
	c.hsDeferredLen(at, len(entries), false)
	return len(entries), true
}

// xReplyConsumerHistory serves XREADGROUP with an ID: the consumer's
// pending entries after it (deleted entries with a null body), each
// delivered once more.
func (c *Ctx) xReplyConsumerHistory(v *hsView, s *xStream, g *xGroup, cs *xConsumer, start streamID, count int64) bool {
	var nacks []xNack
	if !c.xNacks(v, s, g, start, cs.name, func(n xNack) bool {
		if count > 0 && int64(len(nacks)) >= count {
			return false
		}
		nacks = append(nacks, n)
		return true
	}) {
		return false
	}
	c.W.Array(len(nacks))
	var idb [41]byte
	for i := range nacks {
		n := &nacks[i]
		val, exists := s.xEntry(v, n.id)
		if !exists {
			c.W.Array(2)
			c.W.Bulk(n.id.appendText(idb[:0]))
			c.W.NullArray()
			continue
		}
		if !c.writeStreamEntry(n.id, val) {
			c.lzCorrupt(s.r.key)
			return false
		}
		n.time = c.now
		n.count++
		c.xPutNack(s, g.name, n)
	}
	return true
}
