package engine

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

type sink []*resp.Writer

func (s sink) ReplyWriter(i int) *resp.Writer { return s[i] }

func entry(now int64, cmds ...[]string) []byte {
	var e EntryEncoder
	e.Begin(EntryHeader{Proposer: 1, Nonce: 2, Seq: 3, Now: now})
	for _, c := range cmds {
		argv := make([][]byte, len(c))
		for i, a := range c {
			argv[i] = []byte(a)
		}
		e.Add(KindClient, argv)
	}
	return e.Finish()
}

func applyOne(t testing.TB, a *Applier, now int64, args ...string) string {
	t.Helper()
	var w resp.Writer
	if err := a.ApplyEntry(entry(now, args), sink{&w}); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	return string(w.B)
}

func openTestDB(t testing.TB) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestEntryRoundTrip(t *testing.T) {
	data := entry(42, []string{"set", "k", "v"}, []string{"incr", "n"})
	h, err := DecodeEntryHeader(data)
	if err != nil || h.Now != 42 || h.Count != 2 || h.Seq != 3 {
		t.Fatalf("header %+v %v", h, err)
	}
	var got []string
	err = EachCommand(data, func(i int, kind byte, argv [][]byte) error {
		got = append(got, fmt.Sprintf("%d:%s", kind, bytes.Join(argv, []byte(" "))))
		return nil
	})
	if err != nil || len(got) != 2 || got[0] != "0:set k v" || got[1] != "0:incr n" {
		t.Fatalf("commands %q %v", got, err)
	}
	if err := EachCommand(data[:len(data)-1], func(int, byte, [][]byte) error { return nil }); err == nil {
		t.Fatal("truncated entry accepted")
	}
}

// TestApplyIsDeterministic applies the same entries to two stores and
// compares every stored byte: replicas must not diverge, whatever the local
// clock says (expiry decisions use the entry's clock only).
func TestApplyIsDeterministic(t *testing.T) {
	dbs := []*DB{openTestDB(t), openTestDB(t)}
	entries := [][]byte{
		entry(1000, []string{"set", "a", "1", "px", "500"}, []string{"set", "b", "x"}, []string{"incr", "n"}),
		entry(1400, []string{"set", "a", "2", "nx"}, []string{"append", "b", "yz"}, []string{"expire", "b", "10"}),
		entry(1600, []string{"set", "a", "3", "nx"}, []string{"incrbyfloat", "f", "1.5"}, []string{"setrange", "s", "3", "ab"}),
		entry(1700, []string{"getex", "b", "persist"}, []string{"rename", "n", "m"}, []string{"expiredel", "a", "1500"}),
	}
	var replies [2][]string
	for i, db := range dbs {
		a := db.NewApplier(Commands())
		for _, e := range entries {
			var ws [3]resp.Writer
			if err := a.ApplyEntry(e, sink{&ws[0], &ws[1], &ws[2]}); err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				replies[i] = append(replies[i], string(w.B))
			}
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(replies[0]) != fmt.Sprint(replies[1]) {
		t.Fatalf("replies differ:\n%q\n%q", replies[0], replies[1])
	}
	// SET a NX at 1600 must succeed on every replica: a expired at 1500.
	if replies[0][6] != "+OK\r\n" {
		t.Fatalf("set nx on expired key: %q", replies[0][6])
	}
	if d0, d1 := dump(t, dbs[0]), dump(t, dbs[1]); d0 != d1 {
		t.Fatalf("stores differ:\n%s\n---\n%s", d0, d1)
	}
}

func dump(t *testing.T, db *DB) string {
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixData}, UpperBound: []byte{prefixEnd}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var b bytes.Buffer
	for it.First(); it.Valid(); it.Next() {
		fmt.Fprintf(&b, "%x=%x\n", it.Key(), it.Value())
	}
	return b.String()
}

func TestExpireIndexCleanup(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1000, "set", "k", "v", "px", "100")
	applyOne(t, a, 1050, "set", "k", "w") // overwrite drops the expiry and its index entry
	keys, err := db.ExpiredKeys(5000, 10, func(uint16) bool { return true })
	if err != nil || len(keys) != 0 {
		t.Fatalf("stale expiry index entries: %v %v", keys, err)
	}
	applyOne(t, a, 1000, "set", "x", "v", "px", "100")
	if got := applyOne(t, a, 1050, "expiredel", "x", "1100"); got != ":0\r\n" {
		// "expiredel" is internal; a client-kind command of that name is unknown.
		if got != "-ERR unknown command 'expiredel'\r\n" {
			t.Fatalf("got %q", got)
		}
	}
}

// applySetBench applies entries of perEntry SETs of 100-byte values, one
// entry per commit, the keys chosen by key(i) for the i-th SET; setup runs
// untimed first.
func applySetBench(b *testing.B, perEntry int, setup func(apply func(start int)), key func(i int) []byte) {
	db, err := Open(b.TempDir(), Options{CacheSize: 64 << 20, MemTableSize: 64 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := db.NewApplier(Commands())
	val := bytes.Repeat([]byte("x"), 100)
	var e EntryEncoder
	ws := make([]*resp.Writer, perEntry)
	for i := range ws {
		ws[i] = &resp.Writer{}
	}
	apply := func(start int) {
		e.Begin(EntryHeader{Now: 1})
		for j := 0; j < perEntry; j++ {
			e.Add(KindClient, [][]byte{[]byte("set"), key(start + j), val})
		}
		for _, w := range ws {
			w.Reset()
		}
		if err := a.ApplyEntry(e.Finish(), sink(ws)); err != nil {
			b.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	setup(apply)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += perEntry {
		apply(i)
	}
}

// BenchmarkApplySet applies SETs over 100k keys (redis-benchmark -r 100000
// -d 100), after a warm-up that wrote every key once: the steady state of
// the apply loop.
func BenchmarkApplySet(b *testing.B) { applySetOverKeys(b, 200) }

// BenchmarkApplySetSmallBatches is BenchmarkApplySet with two SETs per
// commit, as a write load spread over many Regions applies them: what
// every commit costs besides its memtable inserts shows here.
func BenchmarkApplySetSmallBatches(b *testing.B) { applySetOverKeys(b, 2) }

func applySetOverKeys(b *testing.B, perEntry int) {
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
	}
	key := func(i int) []byte { return keys[(i*7919)%len(keys)] }
	applySetBench(b, perEntry, func(apply func(int)) {
		for i := 0; i < len(keys); i += perEntry {
			apply(i)
		}
	}, key)
}

// BenchmarkApplyInsert applies SETs of keys never stored before (an
// ingest, or the first pass of redis-benchmark -r): every SET must learn
// that nothing is there to replace.
func BenchmarkApplyInsert(b *testing.B) {
	buf := []byte("key:{tag}:")
	key := func(i int) []byte { return strconv.AppendInt(buf[:len("key:{tag}:")], int64(i)+1e11, 10) }
	applySetBench(b, 200, func(func(int)) {}, key)
}

func BenchmarkEntryEncode(b *testing.B) {
	var e EntryEncoder
	argv := [][]byte{[]byte("set"), []byte("key:000000012345"), bytes.Repeat([]byte("x"), 100)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%64 == 0 {
			e.Begin(EntryHeader{Now: 1})
		}
		e.Add(KindClient, argv)
	}
}

// Replicas compare Regions by checksum. An expiry-index entry that does not
// match its key's metadata is inert (snapshot installs leave such entries
// behind) and must not count; a missing live entry must.
func TestChecksumIgnoresInertExpiryEntries(t *testing.T) {
	sum := func(db *DB) string {
		var e EntryEncoder
		e.Begin(EntryHeader{Now: 2})
		e.Add(KindInternal, [][]byte{[]byte("checksum"), []byte("0"), []byte("16383"), []byte("t")})
		var w resp.Writer
		a := db.NewApplier(Commands())
		if err := a.ApplyEntry(e.Finish(), sink{&w}); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		if len(w.B) == 0 || w.B[0] != ':' {
			t.Fatalf("checksum reply %q", w.B)
		}
		return string(w.B)
	}
	a, b := openTestDB(t), openTestDB(t)
	for _, db := range []*DB{a, b} {
		applyOne(t, db.NewApplier(Commands()), 1, "set", "k", "v", "px", "100000")
		applyOne(t, db.NewApplier(Commands()), 1, "set", "plain", "v")
	}
	if sum(a) != sum(b) {
		t.Fatal("identical replicas have different checksums")
	}
	slot := slots.Of([]byte("k"))
	stale := [][]byte{appendExpireKey(nil, 5000, slot, []byte("k")), appendExpireKey(nil, 7000, slots.Of([]byte("plain")), []byte("plain")),
		appendExpireKey(nil, 9000, slots.Of([]byte("gone")), []byte("gone"))}
	for _, k := range stale {
		if err := b.pdb.Set(k, nil, pebble.NoSync); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := sum(b), sum(a); got != want {
		t.Fatalf("inert expiry entries changed the checksum: %s vs %s", got, want)
	}
	if err := b.pdb.Delete(appendExpireKey(nil, 100001, slot, []byte("k")), pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	if sum(b) == sum(a) {
		t.Fatal("a missing live expiry entry did not change the checksum")
	}
}

// The apply batch is indexed only once a command reads through it: writes
// before that point, and every later one, must be what the batch's reads
// see, in this batch and in the next (which starts unindexed again). Run
// with and without the row cache, whose absence sends every lookup to the
// batch.
func TestApplyBatchReadsItsEarlierWrites(t *testing.T) {
	for _, rowCache := range []int64{0, -1} {
		db, err := Open(t.TempDir(), Options{CacheSize: 8 << 20, MemTableSize: 4 << 20, RowCacheBytes: rowCache})
		if err != nil {
			t.Fatal(err)
		}
		a := db.NewApplier(Commands())
		big := strings.Repeat("b", 5000) // beyond the row cache's records
		for round := 0; round < 2; round++ {
			cmds := [][]string{
				{"set", "s", "1"},
				{"set", "big", big},
				{"hset", "h", "f", "10"},
				{"rpush", "l", "a", "b"},
				{"append", "big", "!"},     // reads a record only the batch holds
				{"hincrby", "h", "f", "5"}, // reads a sub-key of the batch
				{"set", "after", "x"},      // a write once the batch is indexed
				{"lpop", "l"},
				{"incr", "s"},
				{"get", "after"},
				{"strlen", "big"},
			}
			want := []string{"+OK\r\n", "+OK\r\n", ":1\r\n", ":2\r\n", ":5001\r\n", ":15\r\n", "+OK\r\n", "$1\r\na\r\n", ":2\r\n", "$1\r\nx\r\n", ":5001\r\n"}
			if round == 1 {
				// The field exists; the list holds "b" from round 0.
				want[2], want[3], want[7] = ":0\r\n", ":3\r\n", "$1\r\nb\r\n"
			}
			w := make([]*resp.Writer, len(cmds))
			for i := range w {
				w[i] = &resp.Writer{}
			}
			if err := a.ApplyEntry(entry(int64(round+1), cmds...), sink(w)); err != nil {
				t.Fatal(err)
			}
			if err := a.Commit(); err != nil {
				t.Fatal(err)
			}
			for i := range cmds {
				if got := string(w[i].B); got != want[i] {
					t.Fatalf("row cache %d, round %d: %v replied %q, want %q", rowCache, round, cmds[i], got, want[i])
				}
			}
		}
		if got := hsRead(t, db, false, 3, "hget", "h", "f"); got != "$2\r\n15\r\n" {
			t.Fatalf("row cache %d: hget after both batches: %q", rowCache, got)
		}
		if got := hsRead(t, db, false, 3, "lrange", "l", "0", "-1"); got != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" {
			t.Fatalf("row cache %d: lrange after both batches: %q", rowCache, got)
		}
		_ = db.Close()
	}
}
