package engine

import "sync/atomic"

// Keyspace notifications (Redis's notify-keyspace-events). The apply loop
// records the events of the commands it applies, each under its class,
// and hands them to the DB's KeyspaceNotifier once the batch is visible
// (after its Pebble commit, before the replies are released), so a client
// that hears its write acknowledged has already had its events delivered
// on this node. Events are side effects of applying and never part of the
// replicated state: every replica records them from the same entries, and
// each node delivers them to its own subscribers (as each Redis Cluster
// node publishes the events of its own keys).

// Event classes: Redis's NOTIFY_* bits, so the flags mean what they mean
// in Redis.
const (
	NotifyKeyspace = 1 << 0  // K: __keyspace@0__:<key> <event>
	NotifyKeyevent = 1 << 1  // E: __keyevent@0__:<event> <key>
	NotifyGeneric  = 1 << 2  // g: del, expire, rename_from, ...
	NotifyString   = 1 << 3  // $
	NotifyList     = 1 << 4  // l
	NotifySet      = 1 << 5  // s
	NotifyHash     = 1 << 6  // h
	NotifyZset     = 1 << 7  // z
	NotifyExpired  = 1 << 8  // x: a key removed because it expired
	NotifyEvicted  = 1 << 9  // e: never sent (NeoKV does not evict)
	NotifyStream   = 1 << 10 // t
	NotifyKeyMiss  = 1 << 11 // m: never sent (see netio's doc)
	NotifyModule   = 1 << 13 // d: never sent (no modules)
	NotifyNew      = 1 << 14 // n: a key created
	// NotifyAll is 'A': every class but key misses and new keys.
	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZset |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

// ParseNotifyFlags reads a notify-keyspace-events value as Redis does
// (keyspaceEventsStringToFlags); ok is false for an unknown character.
func ParseNotifyFlags(s string) (flags int, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case 'A':
			flags |= NotifyAll
		case 'g':
			flags |= NotifyGeneric
		case '$':
			flags |= NotifyString
		case 'l':
			flags |= NotifyList
		case 's':
			flags |= NotifySet
		case 'h':
			flags |= NotifyHash
		case 'z':
			flags |= NotifyZset
		case 'x':
			flags |= NotifyExpired
		case 'e':
			flags |= NotifyEvicted
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 't':
			flags |= NotifyStream
		case 'm':
			flags |= NotifyKeyMiss
		case 'd':
			flags |= NotifyModule
		case 'n':
			flags |= NotifyNew
		default:
			return 0, false
		}
	}
	return flags, true
}

// FormatNotifyFlags writes flags as CONFIG GET shows them
// (keyspaceEventsFlagsToString; like it, "A" hides an 'n' set beside it).
func FormatNotifyFlags(flags int) string {
	var b []byte
	if flags&NotifyAll == NotifyAll {
		b = append(b, 'A')
	} else {
		for _, f := range [...]struct {
			bit int
			c   byte
		}{{NotifyGeneric, 'g'}, {NotifyString, '$'}, {NotifyList, 'l'}, {NotifySet, 's'}, {NotifyHash, 'h'},
			{NotifyZset, 'z'}, {NotifyExpired, 'x'}, {NotifyEvicted, 'e'}, {NotifyStream, 't'}, {NotifyModule, 'd'}, {NotifyNew, 'n'}} {
			if flags&f.bit != 0 {
				b = append(b, f.c)
			}
		}
	}
	for _, f := range [...]struct {
		bit int
		c   byte
	}{{NotifyKeyspace, 'K'}, {NotifyKeyevent, 'E'}, {NotifyKeyMiss, 'm'}} {
		if flags&f.bit != 0 {
			b = append(b, f.c)
		}
	}
	return string(b)
}

// KeyEvent is one keyspace event: what happened to which key.
type KeyEvent struct {
	Event string
	Key   []byte
}

// KeyspaceNotifier is what a DB tells of the events it applies.
type KeyspaceNotifier interface {
	// NotifyFlags returns the classes to record (0: none, the apply loop
	// records nothing). Read once per entry.
	NotifyFlags() int
	// Notify receives a committed batch's events in the order they
	// happened. The slice and its keys are valid only during the call.
	Notify(events []KeyEvent)
	// DataReplaced is told that a committed batch deleted a range of keys
	// (FLUSHALL, FLUSHDB) or that a snapshot replaced a Region's data.
	DataReplaced()
}

// notifierRef holds a DB's notifier; set once the node's front end exists.
type notifierRef struct {
	n atomic.Pointer[KeyspaceNotifier]
}

// SetKeyspaceNotifier makes n hear of the events of every later apply
// batch.
func (db *DB) SetKeyspaceNotifier(n KeyspaceNotifier) { db.notifier.n.Store(&n) }

// dataReplaced tells the notifier that a range of keys changed at once.
func (db *DB) dataReplaced() {
	if p := db.notifier.n.Load(); p != nil {
		(*p).DataReplaced()
	}
}

// notifyFlags returns the classes the DB's notifier wants.
func (db *DB) notifyFlags() int {
	if p := db.notifier.n.Load(); p != nil {
		return (*p).NotifyFlags()
	}
	return 0
}

// pendingEvent is a recorded event; its key is keys[off:end] of the Ctx.
type pendingEvent struct {
	event    string
	off, end int
}

// notify records an event of class about key, if its class is wanted and
// the command is applying (readers never record).
func (c *Ctx) notify(class int, event string, key []byte) {
	if c.notifyFlags&class == 0 || c.notifyFlags&(NotifyKeyspace|NotifyKeyevent) == 0 || c.b == nil {
		return
	}
	off := len(c.eventKeys)
	c.eventKeys = append(c.eventKeys, key...)
	c.events = append(c.events, pendingEvent{event: event, off: off, end: len(c.eventKeys)})
}

// deliverEvents hands the committed batch's events to the notifier.
func (c *Ctx) deliverEvents() {
	if len(c.events) == 0 {
		return
	}
	if p := c.db.notifier.n.Load(); p != nil {
		evs := c.eventsOut[:0]
		for _, e := range c.events {
			evs = append(evs, KeyEvent{Event: e.event, Key: c.eventKeys[e.off:e.end]})
		}
		(*p).Notify(evs)
		clear(evs)
		c.eventsOut = evs[:0]
	}
	c.discardEvents()
}

// discardEvents forgets the recorded events (the batch did not commit).
func (c *Ctx) discardEvents() {
	c.events = c.events[:0]
	if cap(c.eventKeys) > 1<<20 {
		c.eventKeys = nil
	} else {
		c.eventKeys = c.eventKeys[:0]
	}
}
