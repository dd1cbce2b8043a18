package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// lzTable is the command table with the blocking commands' attempts too.
func lzTable() map[string]*Command {
	t := Commands()
	for n, c := range BlockingCommands() {
		t[n] = c
	}
	return t
}

// lzApply applies each entry (a list of commands) at now+i and returns
// every reply.
func lzApply(t testing.TB, a *Applier, now int64, entries ...[][]string) []string {
	t.Helper()
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

func lzCmds(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Fields(l)
	}
	return out
}

// lzCheckInvariants verifies every list and sorted set of db against its
// metadata: list items at exactly the positions [head, tail), sorted set
// member records and index entries agreeing one to one, counts exact.
func lzCheckInvariants(t *testing.T, db *DB) {
	t.Helper()
	err := eachMeta(db.pdb, 0, 16383, func(slot uint16, key []byte, m *meta) bool {
		prefix := appendSubPrefix(nil, slot, key, m.version)
		it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEndKey(prefix)})
		if err != nil {
			t.Fatal(err)
		}
		defer it.Close()
		switch m.typ {
		case TypeList:
			pos := m.head
			n := uint64(0)
			for it.First(); it.Valid(); it.Next() {
				k := it.Key()[len(prefix):]
				if len(k) != 8 || binary.BigEndian.Uint64(k) != pos {
					t.Errorf("list %q: item at %x, want position %d", key, k, pos)
					return false
				}
				pos++
				n++
			}
			if n != m.count || pos != m.tail || m.tail-m.head != m.count {
				t.Errorf("list %q: %d items, head %d tail %d count %d", key, n, m.head, m.tail, m.count)
			}
		case TypeZSet:
			members := map[string]float64{}
			var index []string
			for it.First(); it.Valid(); it.Next() {
				k := it.Key()[len(prefix):]
				switch k[0] {
				case lzZMember:
					members[string(k[1:])] = lzDecScore(it.Value())
				case lzZIndex:
					s := lzDecScore(k[1:9])
					index = append(index, fmt.Sprintf("%v/%s", s, k[9:]))
					if got, ok := members[string(k[9:])]; ok && got != s {
						t.Errorf("zset %q: member %q scores %v, index says %v", key, k[9:], got, s)
					}
				default:
					t.Errorf("zset %q: stray sub-key %x", key, k)
				}
			}
			if uint64(len(members)) != m.count || uint64(len(index)) != m.count {
				t.Errorf("zset %q: %d members, %d index entries, count %d", key, len(members), len(index), m.count)
			}
			if m.count == 0 {
				t.Errorf("zset %q: empty set stored", key)
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestListZSetApplyIsDeterministic applies the same entries to two stores
// and compares the replies and every stored byte: versions of new keys
// come from the entry's clock, ZRANDMEMBER at apply from a seed derived
// from the entry, so replicas never diverge.
func TestListZSetApplyIsDeterministic(t *testing.T) {
	entries := [][][]string{
		lzCmds("rpush l a b c d e f", "lpush l z y", "zadd z 1 a 2 b 3 c 1.5 d", "set s v"),
		lzCmds("linsert l before c X", "linsert l after e Y", "lrem l 1 a", "lrem l -1 f", "zincrby z 10 a"),
		lzCmds("lmove l {l}x left right", "rpoplpush l l", "ltrim l 1 -2", "zrandmember z -5 withscores", "zrandmember z 2"),
		lzCmds("zunionstore u 2 z z weights 1 2", "zrangestore r z 0 1", "zpopmin z", "zpopmax z 2", "lpop l 2"),
		lzCmds("del l", "rpush l again", "pexpire z 1", "pexpire u 1"),
		// z expired at the entry's clock; a new z gets a fresh version.
		lzCmds("zadd z 5 e", "zcard z", "zadd u 1 q", "lmpop 2 nope l right count 3", "zmpop 1 r max count 9"),
		lzCmds("rpush big "+strings.Repeat("v ", 100), "lrem big 0 v", "rpush big "+strings.Repeat("w ", 80), "ltrim big 40 60", "zadd s2 1 a", "lset big 0 first"),
	}
	dbs := []*DB{openTestDB(t), openTestDB(t)}
	var replies [2][]string
	for i, db := range dbs {
		a := db.NewApplier(lzTable())
		replies[i] = lzApply(t, a, 1000, entries...)
		lzCheckInvariants(t, db)
	}
	if fmt.Sprint(replies[0]) != fmt.Sprint(replies[1]) {
		t.Fatalf("replies differ:\n%q\n%q", replies[0], replies[1])
	}
	if d0, d1 := dump(t, dbs[0]), dump(t, dbs[1]); d0 != d1 {
		t.Fatalf("stores differ:\n%s\n---\n%s", d0, d1)
	}
	want := map[int]string{
		0:  ":6\r\n",       // RPUSH
		1:  ":8\r\n",       // LPUSH
		4:  ":9\r\n",       // LINSERT before c
		5:  ":10\r\n",      // LINSERT after e
		8:  "$2\r\n11\r\n", // ZINCRBY
		10: "$1\r\nY\r\n",  // RPOPLPUSH l l rotates
		24: ":1\r\n",       // ZCARD of the z created after the old one expired
	}
	for i, w := range want {
		if replies[0][i] != w {
			t.Errorf("reply %d: %q, want %q", i, replies[0][i], w)
		}
	}
	got := hsRead(t, dbs[0], false, 5000, "zrange", "z", "0", "-1", "withscores")
	if got != "*2\r\n$1\r\ne\r\n$1\r\n5\r\n" {
		t.Errorf("z recreated after expiry: %q", got)
	}
	if got := hsRead(t, dbs[0], false, 5000, "lrange", "big", "0", "-1"); !strings.HasPrefix(got, "*21\r\n$5\r\nfirst\r\n$1\r\nw\r\n") {
		t.Errorf("big: %q", got)
	}
}

// lzModelList applies random list commands to the engine and to a Go
// slice and compares: LINSERT and LREM move items from either side, LTRIM
// and the pops delete ranges, and the positions must stay contiguous.
func TestListAgainstModel(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	rng := rand.New(rand.NewPCG(7, 9))
	var model []string
	vals := []string{"a", "b", "c"}
	for step := 0; step < 1500; step++ {
		v := vals[rng.IntN(len(vals))]
		var cmd []string
		switch rng.IntN(7) {
		case 0:
			n := 1 + rng.IntN(60)
			cmd = []string{"rpush", "l"}
			for i := 0; i < n; i++ {
				x := vals[rng.IntN(3)]
				cmd = append(cmd, x)
				model = append(model, x)
			}
		case 1:
			cmd = []string{"lpush", "l", v}
			model = append([]string{v}, model...)
		case 2:
			where := []string{"before", "after"}[rng.IntN(2)]
			pivot := vals[rng.IntN(3)]
			cmd = []string{"linsert", "l", where, pivot, "n"}
			for i, x := range model {
				if x == pivot {
					j := i
					if where == "after" {
						j++
					}
					model = append(model[:j], append([]string{"n"}, model[j:]...)...)
					break
				}
			}
		case 3:
			cnt := rng.IntN(7) - 3
			cmd = []string{"lrem", "l", strconv.Itoa(cnt), v}
			model = lzModelRem(model, cnt, v)
		case 4:
			n := rng.IntN(40)
			cmd = []string{"lpop", "l", strconv.Itoa(n)}
			model = model[min(n, len(model)):]
		case 5:
			n := rng.IntN(40)
			cmd = []string{"rpop", "l", strconv.Itoa(n)}
			model = model[:len(model)-min(n, len(model))]
		case 6:
			if len(model) > 0 {
				i := rng.IntN(len(model))
				cmd = []string{"lset", "l", strconv.Itoa(i), "s"}
				model[i] = "s"
			} else {
				cmd = []string{"llen", "l"}
			}
		}
		lzApply(t, a, 1000, [][]string{cmd})
		got := hsRead(t, db, false, 1000, "lrange", "l", "0", "-1")
		var w resp.Writer
		w.Array(len(model))
		for _, x := range model {
			w.BulkString(x)
		}
		if got != string(w.B) {
			t.Fatalf("step %d %v:\n got %q\nwant %q", step, cmd, got, w.B)
		}
	}
	lzCheckInvariants(t, db)
}

func lzModelRem(model []string, cnt int, v string) []string {
	limit := cnt
	if limit < 0 {
		limit = -limit
	}
	keep := make([]bool, len(model))
	removed := 0
	for k := range model {
		i := k
		if cnt < 0 {
			i = len(model) - 1 - k
		}
		if model[i] == v && (limit == 0 || removed < limit) {
			removed++
			continue
		}
		keep[i] = true
	}
	var out []string
	for i, x := range model {
		if keep[i] {
			out = append(out, x)
		}
	}
	return out
}

// TestBlockingAttempts runs the blocking commands' non-blocking attempts.
func TestBlockingAttempts(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(lzTable())
	got := lzApply(t, a, 1000, lzCmds(
		"blpop a b 0", "rpush b x y z", "blpop a b 0", "brpop a b 1.5", "brpoplpush b c 0",
		"blmove c d left right 0", "blmove c d up right 0", "blmpop 0 2 a d left count 5", "blmpop 0 1 a left",
		"blpop a -1", "blpop a abc", "blpop a 1e300",
		"zadd z 1 m 2 n 3 o", "bzpopmin a z 0", "bzpopmax z 0", "bzmpop 0 1 z min count 3", "bzpopmin z 0", "bzmpop 0 1 z max",
		"set s v", "blpop s 0", "bzpopmin s 0", "brpoplpush none x 0", "blmove none x left left 0",
	))
	want := []string{
		"*-1\r\n", ":3\r\n", "*2\r\n$1\r\nb\r\n$1\r\nx\r\n", "*2\r\n$1\r\nb\r\n$1\r\nz\r\n", "$1\r\ny\r\n",
		"$1\r\ny\r\n", "-ERR syntax error\r\n", "*2\r\n$1\r\nd\r\n*1\r\n$1\r\ny\r\n", "*-1\r\n",
		"-ERR timeout is negative\r\n", "-ERR timeout is not a float or out of range\r\n", "-ERR timeout is negative\r\n",
		":3\r\n", "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n", "*3\r\n$1\r\nz\r\n$1\r\no\r\n$1\r\n3\r\n",
		"*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nn\r\n$1\r\n2\r\n", "*-1\r\n", "*-1\r\n",
		"+OK\r\n", "-" + ErrWrongType + "\r\n", "-" + ErrWrongType + "\r\n", "$-1\r\n", "$-1\r\n",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("command %d: %q, want %q", i, got[i], want[i])
		}
	}
	if d, msg := ParseBlockingTimeout([]byte("0.5"), 1000); d != 1500 || msg != "" {
		t.Errorf("timeout 0.5: %d %q", d, msg)
	}
	if d, msg := ParseBlockingTimeout([]byte("0"), 1000); d != 0 || msg != "" {
		t.Errorf("timeout 0: %d %q", d, msg)
	}
	if _, msg := ParseBlockingTimeout([]byte("9223372036854775"), 1000); msg != "ERR timeout is out of range" {
		t.Errorf("huge timeout: %q", msg)
	}
}

func TestLzStrtod(t *testing.T) {
	for _, c := range []struct {
		in    string
		v     float64
		n     int
		erng  bool
		score bool // valid for ZADD
		rng   bool // valid as a range bound
	}{
		{"1", 1, 1, false, true, true},
		{" 1", 1, 2, false, false, true},
		{"1 ", 1, 1, false, false, false},
		{"", 0, 0, false, false, true},
		{"-", 0, 0, false, false, false},
		{".5", 0.5, 2, false, true, true},
		{"5.", 5, 2, false, true, true},
		{".", 0, 0, false, false, false},
		{"1e", 1, 1, false, false, false},
		{"1e+5", 1e5, 4, false, true, true},
		{"0x10", 16, 4, false, true, true},
		{"0x1.8p1", 3, 7, false, true, true},
		{"0x", 0, 1, false, false, false},
		{"-0x1p-2", -0.25, 7, false, true, true},
		{"inf", math.Inf(1), 3, false, true, true},
		{"-Infinity", math.Inf(-1), 9, false, true, true},
		{"infin", math.Inf(1), 3, false, false, false},
		{"nan", math.NaN(), 3, false, false, false},
		{"nan(12)", math.NaN(), 7, false, false, false},
		{"1e400", math.Inf(1), 5, true, false, true},
		{"1e-400", 0, 6, true, false, true},
		{"0e-400", 0, 6, false, true, true},
		{"4.9e-324", 5e-324, 8, false, true, true},
		{"1_0", 1, 1, false, false, false},
	} {
		v, n, erng := lzStrtod([]byte(c.in))
		if n != c.n || erng != c.erng || !(v == c.v || math.IsNaN(v) && math.IsNaN(c.v)) {
			t.Errorf("strtod(%q) = %v %d %v, want %v %d %v", c.in, v, n, erng, c.v, c.n, c.erng)
		}
		if _, ok := lzParseDouble([]byte(c.in)); ok != c.score {
			t.Errorf("parseDouble(%q) ok %v", c.in, ok)
		}
		if _, ok := lzParseRangeDouble([]byte(c.in)); ok != c.rng {
			t.Errorf("parseRangeDouble(%q) ok %v", c.in, ok)
		}
	}
	if v, ok := lzParseRangeDouble([]byte("2\x00junk")); !ok || v != 2 {
		t.Errorf("range bound stops at NUL: %v %v", v, ok)
	}
}

// TestLzScoreEncodingOrder checks that byte order of encoded scores is
// numeric order.
func TestLzScoreEncodingOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, 0, math.Copysign(0, -1),
		math.SmallestNonzeroFloat64, 1, 1.5, math.MaxFloat64, math.Inf(1)}
	for i := 0; i < 1000; i++ {
		vals = append(vals, math.Float64frombits(rng.Uint64()))
	}
	var fs []float64
	for _, v := range vals {
		if !math.IsNaN(v) {
			fs = append(fs, v)
		}
	}
	sort.Float64s(fs)
	for i := 1; i < len(fs); i++ {
		a, b := lzEncScore(nil, fs[i-1]), lzEncScore(nil, fs[i])
		if c := bytes.Compare(a, b); c > 0 || (c == 0 && fs[i-1] != fs[i]) {
			t.Fatalf("%v encodes after %v", fs[i-1], fs[i])
		}
		if got := lzDecScore(b); got != fs[i] {
			t.Fatalf("round trip %v: %v", fs[i], got)
		}
	}
}

func TestKeysOf(t *testing.T) {
	cmds := lzTable()
	for _, c := range []struct {
		args string
		want string
	}{
		{"zunion 2 a b weights 1 2", "[2 3]"},
		{"zunionstore d 2 a b aggregate max", "[1 3 4]"},
		{"zinterstore d x a", "[1]"},
		{"zintercard 1 a limit 5", "[2]"},
		{"lmpop 3 a b c left count 2", "[2 3 4]"},
		{"lmpop 0 a left", "[2]"},
		{"blmpop 0 2 a b left", "[3 4]"},
		{"bzmpop 1 1 a min", "[3]"},
		{"zmpop 9 a min", "[2]"},
		{"lmove a b left right", "[1 2]"},
		{"blpop a b c 0", "[1 2 3]"},
		{"zrangestore d s 0 -1", "[1 2]"},
	} {
		argv := bytes.Fields([]byte(c.args))
		var got []int
		cmds[string(argv[0])].KeysOf(argv, func(i int) { got = append(got, i) })
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: keys %v, want %s", c.args, got, c.want)
		}
	}
}

// TestZSetRankFromBothEnds checks ZRANK/ZREVRANK and rank ranges on a set
// large enough that they start from the far end.
func TestZSetRankFromBothEnds(t *testing.T) {
	db := openTestDB(t)
	a := db.NewApplier(Commands())
	const n = 1000
	cmd := []string{"zadd", "z"}
	for i := 0; i < n; i++ {
		cmd = append(cmd, strconv.Itoa(i/3), fmt.Sprintf("m%04d", i))
	}
	lzApply(t, a, 1000, [][]string{cmd})
	for _, i := range []int{0, 1, 2, 499, 500, 997, 998, 999} {
		m := fmt.Sprintf("m%04d", i)
		if got := hsRead(t, db, false, 1000, "zrank", "z", m); got != fmt.Sprintf(":%d\r\n", i) {
			t.Errorf("zrank %s: %q", m, got)
		}
		if got := hsRead(t, db, false, 1000, "zrevrank", "z", m); got != fmt.Sprintf(":%d\r\n", n-1-i) {
			t.Errorf("zrevrank %s: %q", m, got)
		}
		if got := hsRead(t, db, true, 1000, "zrank", "z", m, "withscore"); got != fmt.Sprintf("*2\r\n:%d\r\n,%d\r\n", i, i/3) {
			t.Errorf("zrank %s withscore: %q", m, got)
		}
	}
	if got := hsRead(t, db, false, 1000, "zrange", "z", "-2", "-1"); got != "*2\r\n$5\r\nm0998\r\n$5\r\nm0999\r\n" {
		t.Errorf("zrange tail: %q", got)
	}
	if got := hsRead(t, db, false, 1000, "zrevrange", "z", "997", "998"); got != "*2\r\n$5\r\nm0002\r\n$5\r\nm0001\r\n" {
		t.Errorf("zrevrange tail: %q", got)
	}
	lzCheckInvariants(t, db)
}
