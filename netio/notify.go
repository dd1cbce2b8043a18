package netio

import (
	"sync/atomic"

	"github.com/neokv/neokv/engine"
)

// keyspaceEvents publishes the keyspace notifications of
// notify-keyspace-events (engine/notify.go records them at apply) to this
// node's subscribers, as Redis does: "__keyspace@0__:<key>" with the event
// as message, then "__keyevent@0__:<event>" with the key. Each node
// publishes the events of the replicas it applies to its own subscribers
// only (a PUBLISH is sent to every node; these are not), so a subscriber
// hears each event once, from the node it is connected to, and keeps
// hearing them when Region leadership moves. Key-miss events ('m') are
// accepted and never sent: reads are served on the event loops and
// counting their misses per key would cost every read.
type keyspaceEvents struct {
	flags atomic.Int64
	s     *Server
}

var _ engine.KeyspaceNotifier = (*keyspaceEvents)(nil)

func (k *keyspaceEvents) NotifyFlags() int { return int(k.flags.Load()) }

func (k *keyspaceEvents) Notify(events []engine.KeyEvent) {
	if k.s.pubsub.unheard() {
		return // the common case: notifications on, nobody listening
	}
	flags := k.NotifyFlags()
	var channel []byte
	for _, e := range events {
		if flags&engine.NotifyKeyspace != 0 {
			channel = append(append(channel[:0], "__keyspace@0__:"...), e.Key...)
			k.s.deliver(channel, []byte(e.Event), false)
		}
		if flags&engine.NotifyKeyevent != 0 {
			channel = append(append(channel[:0], "__keyevent@0__:"...), e.Event...)
			k.s.deliver(channel, e.Key, false)
		}
	}
}
