// Package netio is the Redis front end: a gnet/v2 event-loop server that
// parses RESP (pipelined and inline), dispatches commands, routes data
// commands to their Region, and writes replies back in request order.
//
// An event loop never blocks on Raft or on a disk sync. Reads are served
// on the event loop from Pebble when the connection has nothing in flight;
// writes (and reads queued behind a connection's own writes) are added to
// a batching.Batch that is handed to the store once per read from the
// socket. Each command owns a reply slot in its connection's queue; the
// apply loop fills the slot and wakes the connection, whose event loop
// flushes every completed slot at the head of the queue, so replies leave
// in the order the commands came in.
//
// Pub/Sub lives here too (pubsub.go): messages never touch Raft or Pebble;
// they are pushed into subscribers' connections by the publisher's event
// loop and forwarded to the other nodes of a cluster.
//
// The RESP parser and writer live in package resp (see its doc.go for why).
package netio
