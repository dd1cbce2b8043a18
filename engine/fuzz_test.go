package engine

import (
	"bytes"
	"fmt"
	"sort"
	"testing"

	"github.com/neokv/neokv/resp"
)

// FuzzCommands runs arbitrary commands of the engine's table, with
// arbitrary arguments of a valid count (the front end refuses any other),
// writes through the apply path and reads on the read path, against one
// store. Bad input must get a reply, never a panic or an apply error (an
// apply error stops the store), and every command must answer exactly one
// well-formed RESP reply.
//
// Input: commands separated by 0x01; in each, the first byte picks the
// command (index into the sorted table), the rest are arguments separated
// by 0x00. Keys come from the same bytes, so commands meet on keys.
func FuzzCommands(f *testing.F) {
	cmds := Commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	index := func(name string) byte {
		return byte(sort.SearchStrings(names, name))
	}
	seed := func(cmds ...[]string) []byte {
		var b []byte
		for i, c := range cmds {
			if i > 0 {
				b = append(b, 1)
			}
			b = append(b, index(c[0]))
			for j, a := range c[1:] {
				if j > 0 {
					b = append(b, 0)
				}
				b = append(b, a...)
			}
		}
		return b
	}
	f.Add(seed([]string{"set", "k", "v"}, []string{"get", "k"}))
	f.Add(seed([]string{"hset", "h", "f", "v"}, []string{"hgetall", "h"}, []string{"set", "h", "x"}))
	f.Add(seed([]string{"rpush", "l", "a", "b"}, []string{"lrange", "l", "0", "-1"}, []string{"lpop", "l", "5"}))
	f.Add(seed([]string{"zadd", "z", "1", "a"}, []string{"zrangebyscore", "z", "-inf", "+inf"}))
	f.Add(seed([]string{"sadd", "s", "a"}, []string{"expire", "s", "10"}, []string{"ttl", "s"}))
	f.Add(seed([]string{"setbit", "b", "77", "1"}, []string{"bitpos", "b", "0", "3", "90", "bit"}, []string{"bitcount", "b", "-2", "-1", "byte"}))
	f.Add(seed([]string{"geoadd", "g", "13.36", "38.11", "p", "15.08", "37.5", "c"}, []string{"geosearch", "g", "frommember", "p", "bybox", "400", "300", "km", "withdist", "count", "1", "any"},
		[]string{"georadius", "g", "15", "37", "inf", "mi", "storedist", "g2"}, []string{"geohash", "g", "c"}))
	f.Add(seed([]string{"rpush", "l", "3", "1"}, []string{"sort", "l", "by", "w_*->f", "get", "#", "get", "n_*", "limit", "0", "5", "alpha", "store", "o"}))
	f.Add(seed([]string{"rpush", "l", "a", "b"}, []string{"dump", "l"}, []string{"restore", "l2", "0", "\x01\x01\x01a\n\x00\x8c\x1f\x9a\x8d\xd3\x04\x8a\x9e", "replace"}))
	f.Add(seed([]string{"pfadd", "h", "a", "b"}, []string{"pfmerge", "h2", "h", "h3"}, []string{"pfcount", "h", "h2"}))
	f.Add(seed([]string{"bitfield", "b", "overflow", "fail", "incrby", "i7", "#3", "-70", "get", "u63", "5"}, []string{"bitop", "xor", "d", "b", "b2"}))
	f.Add(seed([]string{"set", "n", "9"}, []string{"incrbyfloat", "n", "1e308"}, []string{"setrange", "n", "5", "x"}))
	f.Add(seed([]string{"xadd", "x", "1-1", "f", "v"}, []string{"xadd", "x", "maxlen", "=", "2", "1-*", "g", "w", "h", ""},
		[]string{"xrange", "x", "(1-1", "+", "count", "1"}, []string{"xrevrange", "x", "+", "-"}, []string{"xdel", "x", "1-1", "5"},
		[]string{"xtrim", "x", "minid", "1-2"}, []string{"xsetid", "x", "9-9", "entriesadded", "7", "maxdeletedid", "2"}, []string{"xlen", "x"}))
	f.Add(seed([]string{"xadd", "x", "1", "f", "v"}, []string{"xadd", "x", "2", "g", "w"}, []string{"xgroup", "create", "x", "g", "0", "entriesread", "0"},
		[]string{"xreadgroup", "group", "g", "c", "count", "1", "streams", "x", ">"}, []string{"xreadgroup", "group", "g", "d", "noack", "streams", "x", ">"},
		[]string{"xdel", "x", "1"}, []string{"xclaim", "x", "g", "e", "0", "1", "2", "idle", "5", "retrycount", "3", "force", "lastid", "9"},
		[]string{"xautoclaim", "x", "g", "c", "0", "0", "count", "1", "justid"}, []string{"xpending", "x", "g", "idle", "0", "-", "+", "10", "e"},
		[]string{"xack", "x", "g", "1", "2"}, []string{"xinfo", "stream", "x", "full", "count", "1"}, []string{"xinfo", "consumers", "x", "g"},
		[]string{"xinfo", "groups", "x"}, []string{"xgroup", "delconsumer", "x", "g", "e"}, []string{"xgroup", "setid", "x", "g", "$", "entriesread", "5"}))
	f.Add(seed([]string{"xgroup", "create", "y", "g", "$", "mkstream"}, []string{"xadd", "y", "nomkstream", "5-*", "a", "b"}, []string{"xadd", "{y}2", "3", "c", "d"},
		[]string{"xread", "count", "2", "streams", "y", "{y}2", "0", "$"}, []string{"xreadgroup", "group", "g", "c", "streams", "y", "{y}2", ">", ">"},
		[]string{"xread", "block", "0", "streams", "y", "$"}, []string{"copy", "y", "z"}, []string{"rename", "y", "z2"}, []string{"xgroup", "createconsumer", "z", "g", "c2"},
		[]string{"xinfo", "stream", "z"}, []string{"xgroup", "destroy", "z", "g"}, []string{"xadd", "z", "*", "f", "v"}, []string{"dump", "z"}))
	// Scripts and functions: what a script returns becomes one reply,
	// whatever its shape; what a command inside answers becomes Lua.
	f.Add(seed([]string{"eval", "redis.call('SET', KEYS[1], ARGV[1]) return {redis.call('GET', KEYS[1]), {1, 2.5, {ok='x'}}, false, redis.pcall('INCR', KEYS[1])}", "1", "k", "v"},
		[]string{"eval", "return redis.call('HGETALL', KEYS[1])", "1", "h"}, []string{"eval_ro", "return {err='E x'}", "0"}))
	f.Add(seed([]string{"neokv.fcall", "#!lua name=l\nredis.register_function('f', function(k, a) return redis.call('LRANGE', k[1], 0, -1) end)", "f", "1", "l"}))
	// Library code without its "#!lua" line (was a panic).
	f.Add(seed([]string{"neokv.fcall_ro", "", "", "0"}, []string{"neokv.fcall", "x", "f", "0"}))
	// Options that take every argument: no ID, no fields (was a panic).
	f.Add(seed([]string{"xadd", "x", "maxlen", "=", "0"}, []string{"xadd", "x", "nomkstream", "minid", "1"}))

	// A small bulk limit: a SETRANGE or APPEND past it is refused at once
	// instead of building a 512 MB value.
	db, err := Open(f.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, MaxBulkLen: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	// Every keyspace event class on: the recording code runs for every
	// write the fuzzer makes.
	events := &fuzzNotifier{}
	db.SetKeyspaceNotifier(events)
	a := db.NewApplier(cmds)
	rd := db.NewReader()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, raw := range bytes.Split(data, []byte{1}) {
			if len(raw) == 0 || int(raw[0]) >= len(names) {
				continue
			}
			cmd := cmds[names[raw[0]]]
			argv := [][]byte{[]byte(cmd.Name)}
			if len(raw) > 1 {
				argv = append(argv, bytes.Split(raw[1:], []byte{0})...)
			}
			if len(argv) > 16 || (cmd.Arity > 0 && len(argv) != cmd.Arity) || len(argv) < -cmd.Arity {
				continue
			}
			var w resp.Writer
			if cmd.Flags&FlagWrite != 0 {
				var e EntryEncoder
				e.Begin(EntryHeader{Proposer: 1, Nonce: 2, Seq: 3, Now: 1_700_000_000_000})
				e.Add(KindClient, argv)
				if err := a.ApplyEntry(e.Finish(), sink{&w}); err != nil {
					t.Fatalf("%q: apply error: %v", argv, err)
				}
				if err := a.Commit(); err != nil {
					t.Fatalf("%q: commit: %v", argv, err)
				}
			} else if err := rd.Exec(cmd, argv, 1_700_000_000_000, &w); err != nil {
				t.Fatalf("%q: read error: %v", argv, err)
			}
			n, err := resp.ReplyLen(w.B)
			if err != nil || n == 0 || n != len(w.B) {
				t.Fatalf("%q: reply %q is not one RESP reply (length %d, %v)", argv, w.B, n, err)
			}
			if events.bad != "" {
				t.Fatalf("%q: keyspace event %s", argv, events.bad)
			}
		}
	})
}

// fuzzNotifier wants every keyspace event and checks each is named.
type fuzzNotifier struct{ bad string }

func (n *fuzzNotifier) NotifyFlags() int {
	return NotifyAll | NotifyNew | NotifyKeyspace | NotifyKeyevent
}

func (n *fuzzNotifier) Notify(events []KeyEvent) {
	for _, e := range events {
		if e.Event == "" {
			n.bad = fmt.Sprintf("without a name, key %q", e.Key)
		}
	}
}

func (n *fuzzNotifier) DataReplaced() {}
