// Package meta is the MetaServer: a Raft group of its own (a system Region
// of the batching store, replicated on every member) whose state machine
// holds the stores, the Regions with their epochs, and an id allocator; and
// a Service on every node that registers the store, sends heartbeats to the
// MetaServer leader, and — on the leader — schedules: leader balance and
// store health.
//
// What is replicated (State) changes rarely: registrations, Region
// descriptors whose epoch moved, id allocation. Heartbeats (who leads what,
// how far each replica applied, when a store was last heard from) are held
// in memory by the MetaServer leader only, as PD does: losing them on a
// leader change costs one heartbeat interval.
//
// The service talks to other nodes over the store transport's RPC frames;
// it never touches Pebble.
package meta
