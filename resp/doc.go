// Package resp owns the Redis wire format: a zero-copy RESP2/inline request
// parser with Redis's limits and error texts, a RESP2/RESP3 reply writer, and
// a reply scanner that finds the end of one reply in a buffer.
//
// Departure from DESIGN.md: the design places the parser and writer inside
// netio. They live in this leaf package instead because three packages need
// them and must not import the server: engine writes replies while it
// executes commands (at apply time, on the Raft apply path), bench parses
// replies, and netio parses requests. resp imports only the standard library.
package resp
