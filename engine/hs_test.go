package engine

import (
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

func hsArgs(s ...string) []string { return s }

// hsApplyEntries applies entries of commands to db, each entry committed,
// and returns every reply.
func hsApplyEntries(t *testing.T, db *DB, entries [][][]string, now int64) []string {
	t.Helper()
	a := db.NewApplier(Commands())
	var out []string
	for i, cmds := range entries {
		ws := make(sink, len(cmds))
		for j := range ws {
			ws[j] = &resp.Writer{}
		}
		if err := a.ApplyEntry(entry(now+int64(i), cmds...), ws); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		for _, w := range ws {
			out = append(out, string(w.B))
		}
	}
	return out
}

func hsRead(t *testing.T, db *DB, resp3 bool, now int64, argv ...string) string {
	t.Helper()
	cmds := Commands()
	cmd := cmds[argv[0]]
	bs := make([][]byte, len(argv))
	for i, a := range argv {
		bs[i] = []byte(a)
	}
	w := &resp.Writer{RESP3: resp3}
	if err := db.NewReader().Exec(cmd, bs, now, w); err != nil {
		t.Fatal(err)
	}
	return string(w.B)
}

// TestHashSetApplyIsDeterministic applies the same entries, random
// commands included, to two stores and compares replies and every byte.
func TestHashSetApplyIsDeterministic(t *testing.T) {
	var big, bigh []string
	big = append(big, "sadd", "big")
	bigh = append(bigh, "hset", "bigh")
	for i := 0; i < 3000; i++ {
		big = append(big, fmt.Sprintf("member:%06d", i))
		bigh = append(bigh, fmt.Sprintf("f%d", i), strconv.Itoa(i))
	}
	small := hsArgs("sadd", "small", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j")
	entries := [][][]string{
		{big, bigh, small, hsArgs("sadd", "{t}x", "1", "2", "3"), hsArgs("sadd", "{t}y", "2", "3", "4")},
		{hsArgs("spop", "big"), hsArgs("spop", "big", "5"), hsArgs("spop", "small", "9"), hsArgs("srandmember", "big", "-7"), hsArgs("hrandfield", "bigh", "3", "withvalues")},
		{hsArgs("spop", "big", "2900"), hsArgs("spop", "big"), hsArgs("srandmember", "big", "3"), hsArgs("hrandfield", "bigh"), hsArgs("spop", "small")},
		{hsArgs("sinterstore", "{t}z", "{t}x", "{t}y"), hsArgs("sunionstore", "{t}x", "{t}x", "{t}y"), hsArgs("smove", "{t}y", "{t}z", "4"), hsArgs("hincrbyfloat", "h", "f", "0.1"), hsArgs("hincrby", "h", "n", "-3")},
		{hsArgs("pexpire", "big", "1"), hsArgs("copy", "bigh", "bigh2"), hsArgs("rename", "{t}x", "{t}w"), hsArgs("hdel", "bigh", "f1", "f2"), hsArgs("srem", "{t}z", "2", "3", "4")},
		{hsArgs("sadd", "big", "new"), hsArgs("spop", "bigh2", "3"), hsArgs("hrandfield", "bigh2", "-5"), hsArgs("sdiffstore", "{t}d", "{t}w", "{t}z"), hsArgs("del", "bigh2")},
	}
	var replies [2][]string
	var dumps [2]string
	for i := range replies {
		db := openTestDB(t)
		replies[i] = hsApplyEntries(t, db, entries, 1000)
		dumps[i] = dump(t, db)
		hsCheckCollections(t, db)
	}
	if fmt.Sprint(replies[0]) != fmt.Sprint(replies[1]) {
		t.Fatalf("replies differ:\n%q\n%q", replies[0], replies[1])
	}
	if dumps[0] != dumps[1] {
		t.Fatal("stores differ")
	}
	// "big" (SPOP 2900 of 2994 took the rewrite path) expired at 1009, so
	// SADD recreated it with one member.
	if got := hsRead(t, hsDBWith(t, entries), false, 1100, "scard", "big"); got != ":1\r\n" {
		t.Fatalf("scard big after expiry and SADD: %q", got)
	}
}

func hsDBWith(t *testing.T, entries [][][]string) *DB {
	db := openTestDB(t)
	hsApplyEntries(t, db, entries, 1000)
	return db
}

// hsCheckCollections verifies every hash and set: the count in its metadata
// is the number of its sub-keys, and no sub-key belongs to anything but a
// live version of a stored collection.
func hsCheckCollections(t *testing.T, db *DB) {
	t.Helper()
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixData}, UpperBound: []byte{prefixData + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	metas := map[string]meta{}
	subs := map[string]uint64{} // "key/version" -> sub-keys
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if k[3] == tagMeta {
			_, key, _ := decodeMetaKey(k)
			m, err := decodeMeta(it.Value())
			if err != nil {
				t.Fatal(err)
			}
			metas[string(key)] = m
			continue
		}
		n := binary.BigEndian.Uint32(k[4:])
		key := k[8 : 8+n]
		ver := binary.BigEndian.Uint64(k[8+n:])
		subs[fmt.Sprintf("%s/%d", key, ver)]++
	}
	for k, m := range metas {
		if m.typ != TypeHash && m.typ != TypeSet {
			continue
		}
		id := fmt.Sprintf("%s/%d", k, m.version)
		if subs[id] != m.count {
			t.Errorf("key %q: count %d, %d sub-keys", k, m.count, subs[id])
		}
		if m.count == 0 {
			t.Errorf("key %q: empty collection stored", k)
		}
		delete(subs, id)
	}
	for id, n := range subs {
		t.Errorf("%d orphan sub-keys of %s", n, id)
	}
}

// TestHashSetCountsStayExact runs many random writes on a few keys and
// checks counts and orphans after every entry.
func TestHashSetCountsStayExact(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	rg := &hsRand{s: 42}
	keys := []string{"{k}a", "{k}b", "{k}c", "{k}h"}
	pick := func(xs []string) string { return xs[rg.intn(uint64(len(xs)))] }
	mem := func() string { return strconv.Itoa(int(rg.intn(40))) }
	for e := 0; e < 60; e++ {
		var cmds [][]string
		for j := 0; j < 20; j++ {
			k, k2 := pick(keys[:3]), pick(keys[:3])
			switch rg.intn(14) {
			case 0:
				cmds = append(cmds, hsArgs("sadd", k, mem(), mem(), mem()))
			case 1:
				cmds = append(cmds, hsArgs("srem", k, mem(), mem()))
			case 2:
				cmds = append(cmds, hsArgs("spop", k))
			case 3:
				cmds = append(cmds, hsArgs("spop", k, strconv.Itoa(int(rg.intn(30)))))
			case 4:
				cmds = append(cmds, hsArgs("smove", k, k2, mem()))
			case 5:
				cmds = append(cmds, hsArgs("sinterstore", k, k2, pick(keys[:3])))
			case 6:
				cmds = append(cmds, hsArgs("sunionstore", k, k2, pick(keys[:3])))
			case 7:
				cmds = append(cmds, hsArgs("sdiffstore", k, k2, pick(keys[:3])))
			case 8:
				cmds = append(cmds, hsArgs("hset", "{k}h", mem(), mem(), mem(), mem()))
			case 9:
				cmds = append(cmds, hsArgs("hdel", "{k}h", mem(), mem(), mem()))
			case 10:
				cmds = append(cmds, hsArgs("hincrby", "{k}h", mem(), "1"))
			case 11:
				cmds = append(cmds, hsArgs("pexpire", pick(keys), strconv.Itoa(int(rg.intn(3)))))
			case 12:
				cmds = append(cmds, hsArgs("copy", pick(keys), pick(keys), "replace"))
			case 13:
				cmds = append(cmds, hsArgs("del", pick(keys)))
			}
		}
		ws := make(sink, len(cmds))
		for j := range ws {
			ws[j] = &resp.Writer{}
		}
		if err := a.ApplyEntry(entry(int64(1000+e), cmds...), ws); err != nil {
			t.Fatal(err)
		}
		if err := a.Commit(); err != nil {
			t.Fatal(err)
		}
		hsCheckCollections(t, db)
		if t.Failed() {
			t.Fatalf("after entry %d: %q", e, cmds)
		}
	}
}

// hsScanToEnd runs HSCAN/SSCAN to completion, calling between before each
// step after the first, and returns every element (fields only) and the
// number of steps.
func hsScanToEnd(t *testing.T, db *DB, cmd, key string, count int, between func(step int)) (map[string]int, int) {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for step := 0; ; step++ {
		if step > 0 && between != nil {
			between(step)
		}
		raw := hsRead(t, db, false, 1, cmd, key, cursor, "count", strconv.Itoa(count))
		var elems [][]byte
		top, ok := resp.ArrayElems([]byte(raw), elems)
		if !ok || len(top) != 2 {
			t.Fatalf("bad scan reply %q", raw)
		}
		c := string(top[0])
		cursor = c[strings.Index(c, "\r\n")+2 : len(c)-2]
		items, ok := resp.ArrayElems(top[1], nil)
		if !ok {
			t.Fatalf("bad scan array %q", top[1])
		}
		stepN := 0
		for i := 0; i < len(items); i++ {
			s := string(items[i])
			s = s[strings.Index(s, "\r\n")+2 : len(s)-2]
			seen[s]++
			stepN++
			if cmd == "hscan" {
				i++
			}
		}
		if stepN > 10*count+200 {
			t.Fatalf("step of %d elements for count %d", stepN, count)
		}
		if cursor == "0" {
			return seen, step + 1
		}
		if step > 100000 {
			t.Fatal("scan does not end")
		}
	}
}

func TestScanCursorResumes(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	hset := []string{"hset", "h"}
	// The empty member and members starting with zero bytes sort first:
	// the first step must still not end with cursor 0.
	sadd := []string{"sadd", "s", ""}
	for i := 0; i < 2000; i++ {
		hset = append(hset, fmt.Sprintf("element:%012d", i*7), "v")
		sadd = append(sadd, fmt.Sprintf("%c%d", 'a'+i%3, i))
		if i < 30 {
			sadd = append(sadd, "\x00\x00\x00\x00\x00\x00\x00\x00"+strconv.Itoa(i))
		}
	}
	applyOne(t, a, 1, hset...)
	applyOne(t, a, 1, sadd...)
	seen, steps := hsScanToEnd(t, db, "hscan", "h", 10, nil)
	if len(seen) != 2000 || steps < 100 {
		t.Fatalf("hscan: %d fields in %d steps", len(seen), steps)
	}
	for f, n := range seen {
		if n != 1 {
			t.Fatalf("field %q returned %d times", f, n)
		}
	}
	seen, steps = hsScanToEnd(t, db, "sscan", "s", 25, nil)
	if len(seen) != 2031 || steps < 50 {
		t.Fatalf("sscan: %d members in %d steps", len(seen), steps)
	}
	for f, n := range seen {
		if n != 1 {
			t.Fatalf("member %q returned %d times", f, n)
		}
	}
	// Writes between steps: fields present throughout are all returned.
	seen, _ = hsScanToEnd(t, db, "hscan", "h", 10, func(step int) {
		applyOne(t, a, 1, "hset", "h", fmt.Sprintf("element:%012d", step*7+3), "new", fmt.Sprintf("a%d", step), "x", "zz", "y")
		applyOne(t, a, 1, "hdel", "h", fmt.Sprintf("element:%012d", 13999-step*7))
	})
	for i := 0; i < 1000; i++ {
		if f := fmt.Sprintf("element:%012d", i*7); seen[f] == 0 {
			t.Fatalf("field %q present throughout was not returned", f)
		}
	}
	// Small collections come back whole with cursor 0, like Redis.
	applyOne(t, a, 1, "hset", "small", "a", "1", "b", "2")
	if got := hsRead(t, db, false, 1, "hscan", "small", "0", "count", "1"); got != "*2\r\n$1\r\n0\r\n*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n" {
		t.Fatalf("small hscan %q", got)
	}
}

func TestHSParseScanCursor(t *testing.T) {
	for in, want := range map[string]string{
		"": "0", "0": "0", "+7": "7", "-1": "18446744073709551615", "18446744073709551615": "18446744073709551615",
		"18446744073709551616": "err", " 1": "err", "1 ": "err", "1x": "err", "-": "err", "+": "err", "0x1": "err",
	} {
		v, ok := hsParseCursor([]byte(in))
		got := "err"
		if ok {
			got = strconv.FormatUint(v, 10)
		}
		if got != want {
			t.Errorf("parseScanCursor(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestReadDuringCommitSeesOneState: a read during an uncommitted COPY over
// an existing hash sees the whole old hash or the whole new one, never the
// new metadata with the old sub-keys (a hash with no fields); before the
// commit it sees the committed state, after it the new one.
func TestReadDuringCommitSeesOneState(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	applyOne(t, a, 1, "hset", "src", "a", "new", "b", "new")
	applyOne(t, a, 1, "hset", "dst", "a", "old")
	var w resp.Writer
	if err := a.ApplyEntry(entry(2, []string{"copy", "src", "dst", "replace"}), sink{&w}); err != nil {
		t.Fatal(err)
	}
	if string(w.B) != ":1\r\n" {
		t.Fatalf("copy: %q", w.B)
	}
	oldHash, newHash := "*2\r\n$1\r\na\r\n$3\r\nold\r\n", "*4\r\n$1\r\na\r\n$3\r\nnew\r\n$1\r\nb\r\n$3\r\nnew\r\n"
	if got := hsRead(t, db, false, 2, "hgetall", "dst"); got != oldHash {
		t.Fatalf("hgetall before commit: %q, want the old hash", got)
	}
	done := make(chan error, 1)
	go func() { done <- a.Commit() }()
	for i := 0; i < 200; i++ {
		if got := hsRead(t, db, false, 2, "hgetall", "dst"); got != oldHash && got != newHash {
			t.Fatalf("hgetall during commit: %q, want the whole old or new hash", got)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 2, "hgetall", "dst"); got != newHash {
		t.Fatalf("hgetall after commit: %q", got)
	}
	if err := a.ApplyEntry(entry(3, []string{"hset", "dst", "c", "x"}), sink{&w}); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 3, "hget", "dst", "c"); got != "$-1\r\n" {
		t.Fatalf("hget before commit: %q", got)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := hsRead(t, db, false, 3, "hget", "dst", "c"); got != "$1\r\nx\r\n" {
		t.Fatalf("hget after commit: %q", got)
	}
}

func TestRandomPicksAreSpread(t *testing.T) {
	// Exact picks: every member of a small set; approximate picks on a big
	// one still reach many different members.
	for _, n := range []int{5, 5000} {
		db := openTestDB(t)
		a := db.NewApplier(Commands())
		cmd := []string{"sadd", "s"}
		for i := 0; i < n; i++ {
			cmd = append(cmd, fmt.Sprintf("m%d", i))
		}
		applyOne(t, a, 1, cmd...)
		raw := hsRead(t, db, false, 1, "srandmember", "s", "-2000")
		items, _ := resp.ArrayElems([]byte(raw), nil)
		distinct := map[string]bool{}
		for _, it := range items {
			distinct[string(it)] = true
		}
		if len(items) != 2000 || (n == 5 && len(distinct) != 5) || (n == 5000 && len(distinct) < 500) {
			t.Fatalf("n=%d: %d picks, %d distinct", n, len(items), len(distinct))
		}
		raw = hsRead(t, db, false, 1, "srandmember", "s", "40")
		items, _ = resp.ArrayElems([]byte(raw), nil)
		distinct = map[string]bool{}
		for _, it := range items {
			distinct[string(it)] = true
		}
		if want := min(n, 40); len(items) != want || len(distinct) != want {
			t.Fatalf("n=%d: srandmember 40 gave %d (%d distinct)", n, len(items), len(distinct))
		}
	}
}

func TestObjectEncoding(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	long := strings.Repeat("x", 65)
	for _, c := range [][]string{
		{"set", "i", "123"}, {"set", "e", "abc"}, {"set", "r", long},
		{"hset", "h", "a", "1"}, {"hset", "hl", "a", long},
		{"sadd", "si", "1", "-2"}, {"sadd", "ss", "01"},
	} {
		applyOne(t, a, 1, c...)
	}
	want := map[string]string{"i": "int", "e": "embstr", "r": "raw", "h": "listpack", "hl": "hashtable", "si": "intset", "ss": "hashtable"}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		got := hsRead(t, db, false, 1, "object", "encoding", k)
		if exp := fmt.Sprintf("$%d\r\n%s\r\n", len(want[k]), want[k]); got != exp {
			t.Errorf("object encoding %s = %q, want %q", k, got, exp)
		}
	}
	if got := hsRead(t, db, false, 1, "object", "refcount", "i"); got != ":2147483647\r\n" {
		t.Errorf("refcount of a shared integer: %q", got)
	}
	if got := hsRead(t, db, true, 1, "object", "encoding", "missing"); got != "_\r\n" {
		t.Errorf("missing key: %q", got)
	}
}

// TestHashSetEdgeReplies pins replies the end-to-end tests cannot reach
// through the server's routing (SINTERCARD's LIMIT arguments are routed as
// keys; OBJECT HELP has no key), and what SPOP's rewrite keeps.
func TestHashSetEdgeReplies(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{hsArgs("sadd", "a", "1", "2", "3"), ":3\r\n"},
		{hsArgs("sadd", "b", "2", "3", "4"), ":3\r\n"},
		{hsArgs("sintercard", "2", "a", "b", "limit", "1"), ":1\r\n"},
		{hsArgs("sintercard", "2", "a", "b", "LIMIT", "0"), ":2\r\n"},
		{hsArgs("sintercard", "1", "a", "limit", "-1"), "-ERR LIMIT can't be negative\r\n"},
		{hsArgs("sintercard", "1", "a", "limit", "x"), "-ERR LIMIT can't be negative\r\n"},
		{hsArgs("sintercard", "1", "a", "limit"), "-ERR syntax error\r\n"},
		{hsArgs("sintercard", "1", "a", "limit", "1", "limit", "5"), ":3\r\n"},
		{hsArgs("object", "help"), "*15\r\n"},
		{hsArgs("object", "help", "x"), "-ERR wrong number of arguments for 'object|help' command\r\n"},
		{hsArgs("object", "Encoding"), "-ERR wrong number of arguments for 'object|encoding' command\r\n"},
		{hsArgs("object", "foo", "a"), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"},
		{hsArgs("object", "idletime", "a"), ":0\r\n"},
		{hsArgs("object", "freq", "nope"), "$-1\r\n"},
		{hsArgs("pexpire", "a", "100000"), ":1\r\n"},
		{hsArgs("sadd", "a", "4", "5", "6", "7", "8", "9", "10", "11", "12"), ":9\r\n"},
		{hsArgs("spop", "a", "11"), "*11\r\n"},
		{hsArgs("scard", "a"), ":1\r\n"},
		{hsArgs("pttl", "a"), ":100000\r\n"},
		{hsArgs("hset", "h", "f", "1"), ":1\r\n"},
		{hsArgs("hincrbyfloat", "h", "f", "0.1"), "$3\r\n1.1\r\n"},
		{hsArgs("hincrbyfloat", "h", "f", "5200"), "$22\r\n5201.10000000000000009\r\n"},
	} {
		got := applyOne(t, a, 1000, tc.cmd...)
		if !strings.HasPrefix(got, tc.want) || (tc.want[0] != '*' && got != tc.want) {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	hsCheckCollections(t, db)
}
