package engine

import (
	"math"
	"strconv"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// MEMORY USAGE | DOCTOR | STATS | MALLOC-STATS | PURGE | HELP.
//
// MEMORY USAGE answers what a key costs NeoKV to store: the bytes of its
// records (the metadata record, with a string's value, and a collection's
// sub-keys) plus a fixed overhead per record for Pebble's key trailer and
// index, not Redis's in-RAM object sizes, so the figures differ from
// Redis's for the same data (tools such as redis-cli --memkeys only rank
// keys by them). Like Redis, a collection's size is estimated from the
// first SAMPLES sub-keys (default 5; 0: all of them), scaled to all.
//
// MEMORY STATS reports the store's keys and what the engine holds in
// memory; fields Redis has for things NeoKV does not (replication
// backlog, Lua caches, AOF buffer) are left out rather than answered 0.
func memoryCommands() []*Command {
	return []*Command{{
		Name: "memory", Arity: -2, Flags: FlagReadOnly | FlagKeylessReads, FirstKey: 2, LastKey: 2, Step: 1, Group: "server",
		Since: "4.0.0", Summary: "A container for memory diagnostics commands",
		ACL: []string{"@slow"}, Exec: execMemory,
	}}
}

// recordOverhead is what one stored record costs beyond its key and value
// bytes: Pebble's 8-byte trailer, the memtable node or block index share,
// and the length prefixes.
const recordOverhead = 24

const memoryDefaultSamples = 5

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.",
}

// memoryArities are MEMORY's subcommands and their arities.
var memoryArities = map[string]int{"usage": -3, "doctor": 2, "malloc-stats": 2, "purge": 2, "stats": 2, "help": 2}

func execMemory(c *Ctx, argv [][]byte) {
	sub, ok := c.containerSub(argv, "MEMORY", memoryArities, memoryHelp)
	if !ok {
		return
	}
	switch sub {
	case "usage":
		memoryUsage(c, argv)
	case "doctor":
		st := c.db.RowCacheStats()
		c.W.BulkString("Sam, I detected no memory issues in this instance: NeoKV keeps its data in " +
			"Pebble on disk; in memory are the memtables, the block cache and the row cache (" +
			strconv.FormatInt(st.Bytes, 10) + " bytes in " + strconv.FormatInt(st.Entries, 10) + " records now).")
	case "malloc-stats":
		c.W.BulkString("Stats not supported for the current allocator")
	case "purge":
		c.W.Simple("OK")
	case "stats":
		memoryStats(c)
	}
}

func memoryUsage(c *Ctx, argv [][]byte) {
	samples := int64(memoryDefaultSamples)
	for j := 3; j < len(argv); j++ {
		if !eqFold(argv[j], "samples") || j+1 >= len(argv) {
			c.W.Error(ErrSyntax)
			return
		}
		n, ok := resp.ParseInt(argv[j+1])
		if !ok {
			c.W.Error(ErrNotInteger)
			return
		}
		if n < 0 {
			c.W.Error(ErrSyntax)
			return
		}
		if n == 0 {
			n = math.MaxInt64
		}
		samples = n
		j++
	}
	r, ok := c.lookup(argv[2])
	if !ok {
		return
	}
	defer r.release()
	if !r.live {
		c.W.Null()
		return
	}
	metaKey := appendMetaKey(nil, r.slot, r.key)
	size := int64(len(metaKey)+len(r.m.appendEncoded(nil))) + recordOverhead
	if r.m.typ != TypeString && r.m.count > 0 {
		sampled, bytes, ok := c.sampleSubKeys(appendSubPrefix(nil, r.slot, r.key, r.m.version), samples)
		if !ok {
			return
		}
		if sampled > 0 {
			// Sub-keys per element: a sorted set keeps a member and a score
			// index record per element.
			perElement := int64(1)
			if r.m.typ == TypeZSet {
				perElement = 2
			}
			total := int64(r.m.count) * perElement
			size += int64(float64(bytes+sampled*recordOverhead) / float64(sampled) * float64(total))
		}
	}
	c.W.Int(size)
}

// sampleSubKeys reads up to n sub-keys under prefix and returns how many it
// read and their key and value bytes.
func (c *Ctx) sampleSubKeys(prefix []byte, n int64) (sampled, bytes int64, ok bool) {
	it, ok := c.lzIter(prefix)
	if !ok {
		return 0, 0, false
	}
	for valid := it.First(); valid && sampled < n; valid = it.Next() {
		sampled++
		bytes += int64(len(it.Key()) + len(it.Value()))
	}
	return sampled, bytes, c.lzCloseIter(it)
}

func memoryStats(c *Ctx) {
	rows := c.db.RowCacheStats()
	keys := c.db.KeysInSlots(0, slots.Count-1)
	m := c.db.pdb.Metrics()
	memtables := int64(m.MemTable.Size)
	blockCache := m.BlockCache.Size
	dataset := int64(m.DiskSpaceUsage())
	fields := []struct {
		name string
		v    int64
	}{
		{"keys.count", keys},
		{"dataset.bytes", dataset},
		{"pebble.memtables.bytes", memtables},
		{"pebble.block-cache.bytes", blockCache},
		{"row-cache.bytes", rows.Bytes},
		{"row-cache.records", rows.Entries},
	}
	c.W.Map(len(fields) + 1)
	for _, f := range fields {
		c.W.BulkString(f.name)
		c.W.Int(f.v)
	}
	c.W.BulkString("keys.bytes-per-key")
	if keys > 0 {
		c.W.Int(dataset / keys)
	} else {
		c.W.Int(0)
	}
}
