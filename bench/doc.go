// Package bench is NeoKV's built-in load generator (`neokv bench`). It
// speaks RESP to any Redis-protocol server, so the same run can measure
// NeoKV and redis-server side by side.
//
// It drives C connections, each with a pipeline of depth P, either closed
// loop (send P, wait for P replies, repeat: redis-benchmark's model) or open
// loop at a fixed total rate (--rate), where each request's latency is
// measured from the moment it was scheduled to be sent, not from when the
// loaded client got around to sending it: this corrects for coordinated
// omission, as wrk2 and memtier's rate mode do. Latencies go into
// HdrHistograms (1 µs to 60 s, 3 significant digits) per command.
//
// In cluster mode it reads CLUSTER SLOTS, keeps a connection per node per
// worker, routes each key by its slot and follows -MOVED and -ASK.
//
// The package imports nothing of the server: only resp (wire format) and
// slots (the Redis Cluster key hash).
package bench
