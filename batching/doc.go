// Package batching is the Multi-Raft store: one raft.RawNode per Region and
// three goroutines that turn the commands of many connections and Regions
// into few disk syncs.
//
//   - The round loop owns every RawNode. Each round it drains the hand-off
//     queue (one hand-off per event-loop read, not per command), proposes one
//     entry per Region holding all of that Region's commands, steps incoming
//     messages, ticks, and collects the Ready of every Region.
//   - The append loop persists the log entries and hard states of all those
//     Readys in one Pebble batch with one fsync, then releases the messages
//     that had to wait for durability (etcd raft's AsyncStorageWrites). While
//     it syncs, the round loop keeps building the next round, and the
//     leader's MsgApp have already left for the followers.
//   - The apply loop applies the committed entries of all Regions in one
//     Pebble batch (no fsync: the log is durable and the applied index
//     commits with the data), then completes each request, which lets the
//     connection flush its replies in order.
//   - Departure from DESIGN.md (write path, step 4: replies after the
//     apply): plain SETs (SET key value) of replicated Regions, whose only
//     answer is +OK, are answered by the round loop as soon as their entry
//     commits, when it hands the entry to the apply loop (replyAtCommit).
//     Reads cannot tell: no read is served from local state below the
//     commit index (CanReadLocally, leaseReadIndex, ReadIndex all wait for
//     applied >= commit). Measured in the 3-node SET -P1 benchmark: ~7 %.
//
// Idle Regions cost nothing beyond a tick: a Region is only asked for a
// Ready when something happened to it this round.
//
// A request is answered TRYAGAIN (which Redis clients retry by themselves)
// only if it never entered the log. A leader that steps down keeps its
// proposals in flight until it learns their fate from the log it goes on
// applying (pendingTable.markInDoubt); only if it cannot learn it in time
// do their writes fail as uncertain (ErrUncertain).
package batching
