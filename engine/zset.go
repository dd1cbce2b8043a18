package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"sort"
	"strconv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Sorted set commands, with Redis 7.0's replies, errors and order of checks.
//
// Layout: the metadata record holds the version and the member count. Under
// the version's sub-key prefix P = appendSubPrefix(slot, key, version) a
// sorted set keeps two families:
//
//	P 0x01 member               -> score (8 bytes, encoded as below)
//	P 0x02 score(8) member      -> empty: the score index
//
// Scores are float64s encoded so that byte order is numeric order: the sign
// bit is flipped for positive numbers and every bit for negative ones; -0
// is stored as 0 (Redis 7.0 answers 0 for it too, in its compact encoding).
// The index sorts like Redis's skiplist: by score, then by member bytes.
//
// Costs: ZADD, ZREM, ZSCORE, ZINCRBY are point reads and writes. Score and
// lex ranges seek into the index and scan what they return (plus LIMIT's
// offset). Rank ranges scan from whichever end of the index is nearer.
// ZRANK counts index entries from both ends at once until one side reaches
// the member, so it costs O(min(rank, n-rank)) — there is no order
// statistic in an LSM; ZCOUNT and ZLEXCOUNT scan their range. ZUNION, ZINTER
// and ZDIFF (and their STORE forms) load their inputs into memory, as Redis
// builds its result in memory.
//
// Lex ranges (BYLEX, ZLEXCOUNT, ZREMRANGEBYLEX) follow Redis's compact
// encoding exactly: they are meaningful when all scores are equal, and
// then seek straight to the range; with mixed scores Redis's answer
// depends on the order by score, and this walks the index the same way.
//
// A sorted set that becomes empty is deleted. ZPOPMIN/ZPOPMAX/ZMPOP's pop
// is lzZPop, and blockingZsetCommands gives the blocking commands'
// non-blocking attempt.

const (
	lzZMember byte = 0x01
	lzZIndex  byte = 0x02
)

func zsetCommands() []*Command {
	w, r, f, d, same := FlagWrite, FlagReadOnly, FlagFast, FlagDenyOOM, FlagSameSlotKeys
	z := func(name string, arity int, flags Flags, first, last int, acl []string, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: first, LastKey: last, Step: 1, Group: "sorted-set",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	wf := []string{"@write", "@sortedset", "@fast"}
	ws := []string{"@write", "@sortedset", "@slow"}
	rf := []string{"@read", "@sortedset", "@fast"}
	rs := []string{"@read", "@sortedset", "@slow"}
	// Commands whose keys follow a count: KeysFunc has them exactly; the
	// fallback FirstKey..LastKey names the first key only.
	numKeys := func(cmd *Command, numIdx, trailing int, extra ...int) *Command {
		cmd.KeysFunc = func(argv [][]byte) []int { return lzNumKeysThen(argv, numIdx, trailing, extra...) }
		return cmd
	}
	return []*Command{
		z("zadd", -4, w|d|f, 1, 1, wf, "1.2.0", "Add one or more members to a sorted set, or update its score if it already exists", execZAdd),
		z("zincrby", 4, w|d|f, 1, 1, wf, "1.2.0", "Increment the score of a member in a sorted set", execZAdd),
		z("zrem", -3, w|f, 1, 1, wf, "1.2.0", "Remove one or more members from a sorted set", execZRem),
		z("zcard", 2, r|f, 1, 1, rf, "1.2.0", "Get the number of members in a sorted set", execZCard),
		z("zscore", 3, r|f, 1, 1, rf, "1.2.0", "Get the score associated with the given member in a sorted set", execZScore),
		z("zmscore", -3, r|f, 1, 1, rf, "6.2.0", "Get the score associated with the given members in a sorted set", execZMScore),
		z("zrank", -3, r|f, 1, 1, rf, "2.0.0", "Determine the index of a member in a sorted set", func(c *Ctx, argv [][]byte) { lzZRank(c, argv, false) }),
		z("zrevrank", -3, r|f, 1, 1, rf, "2.0.0", "Determine the index of a member in a sorted set, with scores ordered from high to low", func(c *Ctx, argv [][]byte) { lzZRank(c, argv, true) }),
		z("zrange", -4, r, 1, 1, rs, "1.2.0", "Return a range of members in a sorted set", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, 0, false, false) }),
		z("zrangestore", -5, w|d|same, 1, 2, ws, "6.2.0", "Store a range of members from sorted set into another key", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 2, argv[1], 0, false, false) }),
		z("zrevrange", -4, r, 1, 1, rs, "1.2.0", "Return a range of members in a sorted set, by index, with scores ordered from high to low", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, lzByRank, true, true) }),
		z("zrangebyscore", -4, r, 1, 1, rs, "1.0.5", "Return a range of members in a sorted set, by score", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, lzByScore, true, false) }),
		z("zrevrangebyscore", -4, r, 1, 1, rs, "2.2.0", "Return a range of members in a sorted set, by score, with scores ordered from high to low", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, lzByScore, true, true) }),
		z("zrangebylex", -4, r, 1, 1, rs, "2.8.9", "Return a range of members in a sorted set, by lexicographical range", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, lzByLex, true, false) }),
		z("zrevrangebylex", -4, r, 1, 1, rs, "2.8.9", "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", func(c *Ctx, argv [][]byte) { lzZRange(c, argv, 1, nil, lzByLex, true, true) }),
		z("zcount", 4, r|f, 1, 1, rf, "2.0.0", "Count the members in a sorted set with scores within the given values", execZCount),
		z("zlexcount", 4, r|f, 1, 1, rf, "2.8.9", "Count the number of members in a sorted set between a given lexicographical range", execZLexCount),
		z("zpopmin", -2, w|f, 1, 1, wf, "5.0.0", "Remove and return members with the lowest scores in a sorted set", func(c *Ctx, argv [][]byte) { lzZPopCmd(c, argv, false) }),
		z("zpopmax", -2, w|f, 1, 1, wf, "5.0.0", "Remove and return members with the highest scores in a sorted set", func(c *Ctx, argv [][]byte) { lzZPopCmd(c, argv, true) }),
		numKeys(z("zmpop", -4, w|same, 2, 2, ws, "7.0.0", "Remove and return members with scores in a sorted set", func(c *Ctx, argv [][]byte) { lzZMPopReply(c, argv, 1) }), 1, 1),
		z("zremrangebyrank", 4, w, 1, 1, ws, "2.0.0", "Remove all members in a sorted set within the given indexes", func(c *Ctx, argv [][]byte) { lzZRemRange(c, argv, lzByRank) }),
		z("zremrangebyscore", 4, w, 1, 1, ws, "1.2.0", "Remove all members in a sorted set within the given scores", func(c *Ctx, argv [][]byte) { lzZRemRange(c, argv, lzByScore) }),
		z("zremrangebylex", 4, w, 1, 1, ws, "2.8.9", "Remove all members in a sorted set between the given lexicographical range", func(c *Ctx, argv [][]byte) { lzZRemRange(c, argv, lzByLex) }),
		numKeys(z("zunion", -3, r|same, 2, 2, rs, "6.2.0", "Add multiple sorted sets", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzUnion, 1, nil, false) }), 1, 0),
		numKeys(z("zinter", -3, r|same, 2, 2, rs, "6.2.0", "Intersect multiple sorted sets", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzInter, 1, nil, false) }), 1, 0),
		numKeys(z("zdiff", -3, r|same, 2, 2, rs, "6.2.0", "Subtract multiple sorted sets", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzDiff, 1, nil, false) }), 1, 0),
		numKeys(z("zunionstore", -4, w|d|same, 1, 1, ws, "2.0.0", "Add multiple sorted sets and store the resulting sorted set in a new key", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzUnion, 2, argv[1], false) }), 2, 0, 1),
		numKeys(z("zinterstore", -4, w|d|same, 1, 1, ws, "2.0.0", "Intersect multiple sorted sets and store the resulting sorted set in a new key", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzInter, 2, argv[1], false) }), 2, 0, 1),
		numKeys(z("zdiffstore", -4, w|d|same, 1, 1, ws, "6.2.0", "Subtract multiple sorted sets and store the resulting sorted set in a new key", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzDiff, 2, argv[1], false) }), 2, 0, 1),
		numKeys(z("zintercard", -3, r|same, 2, 2, rs, "7.0.0", "Intersect multiple sorted sets and return the cardinality of the result", func(c *Ctx, argv [][]byte) { lzZSetOp(c, argv, lzInter, 1, nil, true) }), 1, 0),
		z("zrandmember", -2, r, 1, 1, rs, "6.2.0", "Get one or multiple random elements from a sorted set", execZRandMember),
		z("zscan", -3, r, 1, 1, rs, "2.8.0", "Incrementally iterate sorted sets elements and associated scores", execZScan),
	}
}

// lzZset is a sorted set being read or written.
type lzZset struct {
	r    *rec
	m    meta // the record as this command leaves it
	mem  []byte
	idx  []byte
	kbuf []byte
	ibuf []byte
}

func lzZsetOf(r *rec) *lzZset {
	return lzZsetAt(r, r.m)
}

func lzZsetAt(r *rec, m meta) *lzZset {
	base := appendSubPrefix(nil, r.slot, r.key, m.version)
	return &lzZset{r: r, m: m, mem: append(copyBytes(base), lzZMember), idx: append(base, lzZIndex)}
}

// lzNewZset makes an empty sorted set at r, with a fresh version.
func (c *Ctx) lzNewZset(r *rec) *lzZset {
	return lzZsetAt(r, meta{typ: TypeZSet, version: c.hsVersion(r)})
}

// lzEncScore appends f's order-preserving encoding.
func lzEncScore(dst []byte, f float64) []byte {
	if f == 0 {
		f = 0 // -0 sorts (and is stored) as 0
	}
	b := math.Float64bits(f)
	if b>>63 == 0 {
		b |= 1 << 63
	} else {
		b = ^b
	}
	return binary.BigEndian.AppendUint64(dst, b)
}

func lzDecScore(b []byte) float64 {
	u := binary.BigEndian.Uint64(b)
	if u>>63 == 1 {
		u &^= 1 << 63
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}

// memKey is member's score record key, valid until the next call.
func (z *lzZset) memKey(member []byte) []byte {
	z.kbuf = append(append(z.kbuf[:0], z.mem...), member...)
	return z.kbuf
}

// idxKey is the index key of (score, member), valid until the next call.
func (z *lzZset) idxKey(score float64, member []byte) []byte {
	z.ibuf = append(lzEncScore(append(z.ibuf[:0], z.idx...), score), member...)
	return z.ibuf
}

// lzZEntry is a member with its score.
type lzZEntry struct {
	member []byte
	score  float64
}

// entry decodes the index entry the iterator is at; member aliases the
// iterator's key unless copied.
func (z *lzZset) entry(it *pebble.Iterator, copyMember bool) lzZEntry {
	k := it.Key()[len(z.idx):]
	e := lzZEntry{member: k[8:], score: lzDecScore(k[:8])}
	if copyMember {
		e.member = copyBytes(e.member)
	}
	return e
}

// score reads member's score through v.
func (z *lzZset) score(v *hsView, member []byte) (float64, bool) {
	b, found := v.get(z.memKey(member))
	if !found {
		return 0, false
	}
	if len(b) != 8 {
		v.setErr(errCorruptMeta)
		return 0, false
	}
	return lzDecScore(b), true
}

// put sets member's score (at apply); existed and old describe what it had.
func (c *Ctx) lzZPut(z *lzZset, member []byte, score float64, old float64, existed bool) {
	if existed {
		c.setErr(c.b.Delete(z.idxKey(old, member), nil))
		c.noteWritten(z.r.key) // the metadata stays as it was
	} else {
		z.m.count++
	}
	if score == 0 {
		score = 0
	}
	var enc [8]byte
	c.setErr(c.b.Set(z.memKey(member), lzEncScore(enc[:0], score), nil))
	c.setErr(c.b.Set(z.idxKey(score, member), nil, nil))
}

// del removes a member (at apply).
func (c *Ctx) lzZDel(z *lzZset, member []byte, score float64) {
	c.setErr(c.b.Delete(z.memKey(member), nil))
	c.setErr(c.b.Delete(z.idxKey(score, member), nil))
	z.m.count--
}

// save writes the metadata, or deletes the key if the set is empty.
func (c *Ctx) lzZSave(z *lzZset) {
	if z.m.count == 0 {
		c.deleteKey(z.r)
		return
	}
	c.putMeta(z.r, &z.m)
	z.r.m, z.r.physical, z.r.live = z.m, true, true
}

// lzZOpen opens keys (see hsOpen) and checks that the first is a sorted set
// if it exists; ok false: an error was replied. The caller must call done.
func (c *Ctx) lzZOpen(keys [][]byte) (recs []rec, v *hsView, done func(), ok bool) {
	start := len(c.W.B)
	recs, v, ok = c.hsOpen(keys)
	if !ok {
		return nil, nil, nil, false
	}
	done = func() { c.hsDone(v, recs, start) }
	if recs[0].live && recs[0].m.typ != TypeZSet {
		c.W.Error(ErrWrongType)
		done()
		return nil, nil, nil, false
	}
	return recs, v, done, true
}

// lzWriteEntries writes entries as ZRANGE does: member and score pairs, flat
// in RESP2, one [member, double] array each in RESP3.
func (c *Ctx) lzWriteEntries(entries []lzZEntry, withScores bool) {
	if withScores && !c.W.RESP3 {
		c.W.Array(2 * len(entries))
	} else {
		c.W.Array(len(entries))
	}
	for _, e := range entries {
		if withScores && c.W.RESP3 {
			c.W.Array(2)
		}
		c.W.Bulk(e.member)
		if withScores {
			c.W.Double(e.score)
		}
	}
}

// ZADD and ZINCRBY (Redis's zaddGenericCommand; ZINCRBY is ZADD INCR).
func execZAdd(c *Ctx, argv [][]byte) {
	incr := c.name == "zincrby"
	var nx, xx, gt, lt, ch bool
	idx := 2
	for ; idx < len(argv); idx++ {
		switch o := argv[idx]; {
		case eqFold(o, "nx"):
			nx = true
		case eqFold(o, "xx"):
			xx = true
		case eqFold(o, "ch"):
			ch = true
		case eqFold(o, "incr"):
			incr = true
		case eqFold(o, "gt"):
			gt = true
		case eqFold(o, "lt"):
			lt = true
		default:
			goto parsed
		}
	}
parsed:
	elements := len(argv) - idx
	if elements%2 != 0 || elements == 0 {
		c.W.Error(ErrSyntax)
		return
	}
	elements /= 2
	if nx && xx {
		c.W.Error("ERR XX and NX options at the same time are not compatible")
		return
	}
	if (gt && nx) || (lt && nx) || (gt && lt) {
		c.W.Error("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && elements > 1 {
		c.W.Error("ERR INCR option supports a single increment-element pair")
		return
	}
	scores := make([]float64, elements)
	for i := range scores {
		s, ok := lzParseDouble(argv[idx+2*i])
		if !ok {
			c.W.Error(ErrNotFloat)
			return
		}
		scores[i] = s
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	r := &recs[0]
	var z *lzZset
	if r.live {
		z = lzZsetOf(r)
	} else {
		if xx {
			if incr {
				c.W.Null()
			} else {
				c.W.Int(0)
			}
			return
		}
		z = c.lzNewZset(r)
	}
	created := !r.live
	var added, updated, processed int64
	var score float64
	nan := false
	for i := 0; i < elements && !nan; i++ {
		member := argv[idx+2*i+1]
		score = scores[i]
		cur, found := z.score(v, member)
		if found {
			if nx {
				continue
			}
			if incr {
				score += cur
				if math.IsNaN(score) {
					nan = true
					continue
				}
			}
			if (lt && score >= cur) || (gt && score <= cur) {
				continue
			}
			if score != cur {
				c.lzZPut(z, member, score, cur, true)
				updated++
			}
			processed++
		} else if !xx {
			c.lzZPut(z, member, score, 0, false)
			added++
			processed++
		}
	}
	if created || added > 0 {
		c.lzZSave(z)
	}
	if added > 0 || updated > 0 {
		if incr {
			c.notify(NotifyZset, "zincr", argv[1])
		} else {
			c.notify(NotifyZset, "zadd", argv[1])
		}
	}
	if nan {
		c.W.Error("ERR resulting score is not a number (NaN)")
		return
	}
	if incr {
		if processed > 0 {
			c.W.Double(score)
		} else {
			c.W.Null()
		}
		return
	}
	if ch {
		c.W.Int(added + updated)
	} else {
		c.W.Int(added)
	}
}

func execZRem(c *Ctx, argv [][]byte) {
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	r := &recs[0]
	if !r.live {
		c.W.Int(0)
		return
	}
	z := lzZsetOf(r)
	var removed int64
	for _, m := range argv[2:] {
		s, found := z.score(v, m)
		if !found {
			continue
		}
		c.lzZDel(z, m, s)
		removed++
		if z.m.count == 0 {
			break
		}
	}
	if removed > 0 {
		c.lzZSave(z)
		c.lzNotifyZ(z.r, "zrem")
	}
	c.W.Int(removed)
}

func execZCard(c *Ctx, argv [][]byte) { hsCount(c, argv, TypeZSet) }

func execZScore(c *Ctx, argv [][]byte) {
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	if !recs[0].live {
		c.W.Null()
		return
	}
	s, found := lzZsetOf(&recs[0]).score(v, argv[2])
	if !found {
		c.W.Null()
		return
	}
	c.W.Double(s)
}

func execZMScore(c *Ctx, argv [][]byte) {
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	c.W.Array(len(argv) - 2)
	var z *lzZset
	if recs[0].live {
		z = lzZsetOf(&recs[0])
	}
	for _, m := range argv[2:] {
		if z == nil {
			c.W.Null()
			continue
		}
		if s, found := z.score(v, m); found {
			c.W.Double(s)
		} else {
			c.W.Null()
		}
	}
}

// lzZRank is ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE.
func lzZRank(c *Ctx, argv [][]byte, rev bool) {
	if len(argv) > 4 {
		c.W.Error("ERR wrong number of arguments for '" + c.name + "' command")
		return
	}
	withScore := false
	if len(argv) == 4 {
		if !eqFold(argv[3], "withscore") {
			c.W.Error(ErrSyntax)
			return
		}
		withScore = true
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	missing := func() {
		if withScore {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
	}
	if !recs[0].live {
		missing()
		return
	}
	z := lzZsetOf(&recs[0])
	s, found := z.score(v, argv[2])
	if !found {
		missing()
		return
	}
	rank, ok := lzZRankOf(v, z, s, argv[2])
	if !ok {
		return
	}
	if rev {
		rank = int64(z.m.count) - 1 - rank
	}
	if withScore {
		c.W.Array(2)
		c.W.Int(rank)
		c.W.Double(s)
		return
	}
	c.W.Int(rank)
}

// lzZRankOf counts the index entries before (score, member), walking from
// both ends of the index at once: O(min(rank, n-rank)).
func lzZRankOf(v *hsView, z *lzZset, score float64, member []byte) (int64, bool) {
	target := copyBytes(z.idxKey(score, member))
	fwd, back := v.iter(z.idx), v.iter(z.idx)
	if fwd == nil || back == nil {
		return 0, false
	}
	n := int64(z.m.count)
	fv, bv := fwd.First(), back.Last()
	for i := int64(0); fv || bv; i++ {
		if fv {
			if bytes.Equal(fwd.Key(), target) {
				return i, true
			}
			fv = fwd.Next()
		}
		if bv {
			if bytes.Equal(back.Key(), target) {
				return n - 1 - i, true
			}
			bv = back.Prev()
		}
	}
	v.setErr(fwd.Error())
	v.setErr(back.Error())
	v.setErr(errCorruptMeta)
	return 0, false
}

// Range kinds of ZRANGE and friends.
const (
	lzByAuto  byte = 0
	lzByRank  byte = 'r'
	lzByScore byte = 's'
	lzByLex   byte = 'l'
)

// lzScoreRange is a parsed score interval (Redis's zrangespec).
type lzScoreRange struct {
	min, max     float64
	minex, maxex bool
}

func lzParseScoreBound(b []byte) (v float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		v, ok = lzParseRangeDouble(b[1:])
		return v, true, ok
	}
	v, ok = lzParseRangeDouble(b)
	return v, false, ok
}

// lzParseScoreRange is zslParseRange.
func lzParseScoreRange(minb, maxb []byte) (rg lzScoreRange, ok bool) {
	var ok1, ok2 bool
	rg.min, rg.minex, ok1 = lzParseScoreBound(minb)
	rg.max, rg.maxex, ok2 = lzParseScoreBound(maxb)
	return rg, ok1 && ok2
}

func (rg *lzScoreRange) gteMin(s float64) bool {
	if rg.minex {
		return s > rg.min
	}
	return s >= rg.min
}

func (rg *lzScoreRange) lteMax(s float64) bool {
	if rg.maxex {
		return s < rg.max
	}
	return s <= rg.max
}

// lzLexBound is one end of a lex range: inf -1 for "-", +1 for "+".
type lzLexBound struct {
	inf int
	val []byte
	ex  bool
}

// lzParseLexBound is zslParseLexRangeItem (a C string: "+\x00x" is "+").
func lzParseLexBound(b []byte) (lzLexBound, bool) {
	if len(b) == 0 {
		return lzLexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) > 1 && b[1] != 0 {
			return lzLexBound{}, false
		}
		inf := 1
		if b[0] == '-' {
			inf = -1
		}
		return lzLexBound{inf: inf, ex: true}, true
	case '(':
		return lzLexBound{val: b[1:], ex: true}, true
	case '[':
		return lzLexBound{val: b[1:]}, true
	}
	return lzLexBound{}, false
}

type lzLexRange struct{ min, max lzLexBound }

func lzParseLexRange(minb, maxb []byte) (rg lzLexRange, ok bool) {
	var ok1, ok2 bool
	rg.min, ok1 = lzParseLexBound(minb)
	rg.max, ok2 = lzParseLexBound(maxb)
	return rg, ok1 && ok2
}

// lzLexCmp is sdscmplex: the shared "-" and "+" compare below and above
// everything, and equal to themselves.
func lzLexCmp(a, b lzLexBound) int {
	switch {
	case a.inf != 0 && a.inf == b.inf:
		return 0
	case a.inf == -1 || b.inf == 1:
		return -1
	case a.inf == 1 || b.inf == -1:
		return 1
	}
	return bytes.Compare(a.val, b.val)
}

func (rg *lzLexRange) empty() bool {
	cmp := lzLexCmp(rg.min, rg.max)
	return cmp > 0 || (cmp == 0 && (rg.min.ex || rg.max.ex))
}

func (rg *lzLexRange) gteMin(m []byte) bool {
	switch rg.min.inf {
	case -1:
		return true
	case 1:
		return false
	}
	cmp := bytes.Compare(m, rg.min.val)
	if rg.min.ex {
		return cmp > 0
	}
	return cmp >= 0
}

func (rg *lzLexRange) lteMax(m []byte) bool {
	switch rg.max.inf {
	case 1:
		return true
	case -1:
		return false
	}
	cmp := bytes.Compare(m, rg.max.val)
	if rg.max.ex {
		return cmp < 0
	}
	return cmp <= 0
}

// lzZWalk walks the entries of a score (sr) or lex (lr) range in ascending
// order, or descending with rev, skipping offset of them and stopping after
// limit (negative: no limit). fn's entry aliases the iterator; fn returns
// false to stop.
func lzZWalk(v *hsView, z *lzZset, sr *lzScoreRange, lr *lzLexRange, rev bool, offset, limit int64, fn func(e lzZEntry) bool) {
	if offset < 0 {
		return // Redis's "while (offset--)" never ends: nothing is returned
	}
	it := v.iter(z.idx)
	if it == nil {
		return
	}
	var valid bool
	var inRange, started func(e lzZEntry) bool
	if sr != nil {
		if sr.min > sr.max || (sr.min == sr.max && (sr.minex || sr.maxex)) {
			return
		}
		if !rev {
			seek := lzEncScore(copyBytes(z.idx), sr.min)
			if sr.minex {
				seek = prefixEndKey(seek)
			}
			valid = it.SeekGE(seek)
			started = func(e lzZEntry) bool { return sr.gteMin(e.score) }
			inRange = func(e lzZEntry) bool { return sr.lteMax(e.score) }
		} else {
			seek := lzEncScore(copyBytes(z.idx), sr.max)
			if !sr.maxex {
				seek = prefixEndKey(seek)
			}
			valid = it.SeekLT(seek)
			started = func(e lzZEntry) bool { return sr.lteMax(e.score) }
			inRange = func(e lzZEntry) bool { return sr.gteMin(e.score) }
		}
	} else {
		if lr.empty() || !it.First() {
			return
		}
		first := z.entry(it, true)
		if !it.Last() {
			return
		}
		last := z.entry(it, true)
		// As zzlIsInLexRange: the last member must be >= min and the first
		// <= max (meaningful when all scores are equal).
		if !lr.gteMin(last.member) || !lr.lteMax(first.member) {
			return
		}
		// With equal scores the index is in member order: seek.
		equal := first.score == last.score
		if !rev {
			if equal && lr.min.inf == 0 {
				valid = it.SeekGE(append(lzEncScore(copyBytes(z.idx), first.score), lr.min.val...))
			} else {
				valid = it.First()
			}
			started = func(e lzZEntry) bool { return lr.gteMin(e.member) }
			inRange = func(e lzZEntry) bool { return lr.lteMax(e.member) }
		} else {
			if equal && lr.max.inf == 0 {
				valid = it.SeekLT(append(append(lzEncScore(copyBytes(z.idx), first.score), lr.max.val...), 0))
			} else {
				valid = it.Last()
			}
			started = func(e lzZEntry) bool { return lr.lteMax(e.member) }
			inRange = func(e lzZEntry) bool { return lr.gteMin(e.member) }
		}
	}
	step := it.Next
	if rev {
		step = it.Prev
	}
	// Skip to the first entry on the near side of the range (only lex
	// ranges over mixed scores need more than the seek).
	for valid && !started(z.entry(it, false)) {
		valid = step()
	}
	for ; valid; valid = step() {
		e := z.entry(it, false)
		if !inRange(e) {
			break
		}
		if offset > 0 {
			offset--
			continue
		}
		if limit == 0 {
			break
		}
		if !fn(e) {
			break
		}
		if limit > 0 {
			limit--
		}
	}
	v.setErr(it.Error())
}

// lzZRankRange returns the entries with ranks [s, e] (normalized) in
// ascending order, scanning from the nearer end of the index.
func lzZRankRange(v *hsView, z *lzZset, s, e int64) []lzZEntry {
	it := v.iter(z.idx)
	if it == nil {
		return nil
	}
	n := int64(z.m.count)
	want := int(e - s + 1)
	out := make([]lzZEntry, 0, want)
	if s <= n-1-e {
		valid := it.First()
		for i := int64(0); valid && i < s; i++ {
			valid = it.Next()
		}
		for ; valid && len(out) < want; valid = it.Next() {
			out = append(out, z.entry(it, true))
		}
	} else {
		valid := it.Last()
		for i := int64(0); valid && i < n-1-e; i++ {
			valid = it.Prev()
		}
		for ; valid && len(out) < want; valid = it.Prev() {
			out = append(out, z.entry(it, true))
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	v.setErr(it.Error())
	if len(out) != want {
		v.setErr(errCorruptMeta)
	}
	return out
}

// lzZRange is Redis's zrangeGenericCommand: ZRANGE (kind lzByAuto, key at
// keyIdx 1), ZRANGESTORE (keyIdx 2, dst), and the legacy forms, whose kind
// and direction are fixed (fixedDir) and whose words BYSCORE, BYLEX and
// REV are then syntax errors.
func lzZRange(c *Ctx, argv [][]byte, keyIdx int, dst []byte, kind byte, fixedDir, rev bool) {
	store := dst != nil
	minIdx, maxIdx := keyIdx+1, keyIdx+2
	withScores := false
	var offset, limit int64 = 0, -1
	dirSet := fixedDir
	for j := keyIdx + 3; j < len(argv); j++ {
		left := len(argv) - j - 1
		o := argv[j]
		switch {
		case !store && eqFold(o, "withscores"):
			withScores = true
		case eqFold(o, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.parseInt(argv[j+1]); !ok {
				return
			}
			if limit, ok = c.parseInt(argv[j+2]); !ok {
				return
			}
			j += 2
		case !dirSet && eqFold(o, "rev"):
			dirSet, rev = true, true
		case kind == lzByAuto && eqFold(o, "bylex"):
			kind = lzByLex
		case kind == lzByAuto && eqFold(o, "byscore"):
			kind = lzByScore
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if kind == lzByAuto {
		kind = lzByRank
	}
	if limit != -1 && kind == lzByRank {
		c.W.Error("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && kind == lzByLex {
		c.W.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	if rev && kind != lzByRank {
		minIdx, maxIdx = maxIdx, minIdx // the range is given as max min
	}
	var start, end int64
	var sr lzScoreRange
	var lr lzLexRange
	switch kind {
	case lzByRank:
		var ok bool
		if start, ok = c.parseInt(argv[minIdx]); !ok {
			return
		}
		if end, ok = c.parseInt(argv[maxIdx]); !ok {
			return
		}
	case lzByScore:
		var ok bool
		if sr, ok = lzParseScoreRange(argv[minIdx], argv[maxIdx]); !ok {
			c.W.Error("ERR min or max is not a float")
			return
		}
	case lzByLex:
		var ok bool
		if lr, ok = lzParseLexRange(argv[minIdx], argv[maxIdx]); !ok {
			c.W.Error("ERR min or max not valid string range item")
			return
		}
	}
	recs, v, done, ok := c.lzZOpen(argv[keyIdx : keyIdx+1])
	if !ok {
		return
	}
	defer done()
	var entries []lzZEntry
	if recs[0].live {
		z := lzZsetOf(&recs[0])
		switch kind {
		case lzByRank:
			s, e, empty := lzRange(start, end, int64(z.m.count))
			if !empty {
				if rev {
					s, e = int64(z.m.count)-1-e, int64(z.m.count)-1-s
				}
				entries = lzZRankRange(v, z, s, e)
				if rev {
					lzReverse(entries)
				}
			}
		case lzByScore, lzByLex:
			collect := func(e lzZEntry) bool {
				e.member = copyBytes(e.member)
				entries = append(entries, e)
				return true
			}
			if kind == lzByScore {
				lzZWalk(v, z, &sr, nil, rev, offset, limit, collect)
			} else {
				lzZWalk(v, z, nil, &lr, rev, offset, limit, collect)
			}
		}
	}
	if store {
		c.lzZStore(dst, entries, "zrangestore")
		return
	}
	c.lzWriteEntries(entries, withScores)
}

func lzReverse(e []lzZEntry) {
	for i, j := 0, len(e)-1; i < j; i, j = i+1, j-1 {
		e[i], e[j] = e[j], e[i]
	}
}

// lzZStore replaces dst by a sorted set of entries (distinct members), or
// deletes it if there are none, and replies the count (the *STORE
// commands: dst loses its expiry, whatever it held).
func (c *Ctx) lzZStore(dst []byte, entries []lzZEntry, event string) {
	d, ok := c.lookup(dst)
	if !ok {
		return
	}
	defer d.release()
	if len(entries) == 0 {
		if d.live {
			c.deleteKey(&d)
			c.notify(NotifyGeneric, "del", dst)
		} else {
			c.deleteKey(&d)
		}
		c.W.Int(0)
		return
	}
	z := c.lzNewZset(&d)
	for _, e := range entries {
		c.lzZPut(z, e.member, e.score, 0, false)
	}
	c.lzZSave(z)
	c.notify(NotifyZset, event, dst)
	c.W.Int(int64(len(entries)))
}

// lzNotifyZ records a removal's event on the sorted set at r, and "del"
// if it emptied it.
func (c *Ctx) lzNotifyZ(r *rec, event string) {
	c.notify(NotifyZset, event, r.key)
	if !r.physical {
		c.notify(NotifyGeneric, "del", r.key)
	}
}

func execZCount(c *Ctx, argv [][]byte) {
	sr, ok := lzParseScoreRange(argv[2], argv[3])
	if !ok {
		c.W.Error("ERR min or max is not a float")
		return
	}
	lzZCountRange(c, argv, &sr, nil)
}

func execZLexCount(c *Ctx, argv [][]byte) {
	lr, ok := lzParseLexRange(argv[2], argv[3])
	if !ok {
		c.W.Error("ERR min or max not valid string range item")
		return
	}
	lzZCountRange(c, argv, nil, &lr)
}

func lzZCountRange(c *Ctx, argv [][]byte, sr *lzScoreRange, lr *lzLexRange) {
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	var n int64
	if recs[0].live {
		lzZWalk(v, lzZsetOf(&recs[0]), sr, lr, false, 0, -1, func(lzZEntry) bool { n++; return true })
	}
	c.W.Int(n)
}

// lzZRemRange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func lzZRemRange(c *Ctx, argv [][]byte, kind byte) {
	var start, end int64
	var sr lzScoreRange
	var lr lzLexRange
	var ok bool
	switch kind {
	case lzByRank:
		if start, ok = c.parseInt(argv[2]); !ok {
			return
		}
		if end, ok = c.parseInt(argv[3]); !ok {
			return
		}
	case lzByScore:
		if sr, ok = lzParseScoreRange(argv[2], argv[3]); !ok {
			c.W.Error("ERR min or max is not a float")
			return
		}
	case lzByLex:
		if lr, ok = lzParseLexRange(argv[2], argv[3]); !ok {
			c.W.Error("ERR min or max not valid string range item")
			return
		}
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	if !recs[0].live {
		c.W.Int(0)
		return
	}
	z := lzZsetOf(&recs[0])
	var entries []lzZEntry
	switch kind {
	case lzByRank:
		s, e, empty := lzRange(start, end, int64(z.m.count))
		if !empty {
			entries = lzZRankRange(v, z, s, e)
		}
	default:
		collect := func(e lzZEntry) bool {
			e.member = copyBytes(e.member)
			entries = append(entries, e)
			return true
		}
		if kind == lzByScore {
			lzZWalk(v, z, &sr, nil, false, 0, -1, collect)
		} else {
			lzZWalk(v, z, nil, &lr, false, 0, -1, collect)
		}
	}
	c.lzZRemoveEntries(z, entries)
	if len(entries) > 0 {
		event := "zremrangebyrank"
		switch kind {
		case lzByScore:
			event = "zremrangebyscore"
		case lzByLex:
			event = "zremrangebylex"
		}
		c.lzNotifyZ(z.r, event)
	}
	c.W.Int(int64(len(entries)))
}

// lzZRemoveEntries deletes entries (members of z) and saves z; removing
// every member deletes the key with one range deletion.
func (c *Ctx) lzZRemoveEntries(z *lzZset, entries []lzZEntry) {
	if len(entries) == 0 {
		return
	}
	if uint64(len(entries)) >= z.m.count {
		z.m.count = 0
	} else {
		for _, e := range entries {
			c.lzZDel(z, e.member, e.score)
		}
	}
	c.lzZSave(z)
}

// lzZPop removes up to n members with the lowest (max false) or highest
// scores of the live sorted set r and returns them in pop order.
func (c *Ctx) lzZPop(v *hsView, r *rec, max bool, n uint64) []lzZEntry {
	z := lzZsetOf(r)
	n = min(n, z.m.count)
	var entries []lzZEntry
	if n > 0 {
		if max {
			entries = lzZRankRange(v, z, int64(z.m.count-n), int64(z.m.count)-1)
			lzReverse(entries)
		} else {
			entries = lzZRankRange(v, z, 0, int64(n)-1)
		}
	}
	c.lzZRemoveEntries(z, entries)
	if len(entries) > 0 {
		if max {
			c.lzNotifyZ(r, "zpopmax")
		} else {
			c.lzNotifyZ(r, "zpopmin")
		}
	}
	return entries
}

// lzZPopCmd is ZPOPMIN and ZPOPMAX.
func lzZPopCmd(c *Ctx, argv [][]byte, max bool) {
	if len(argv) > 3 {
		c.W.Error(ErrSyntax)
		return
	}
	count := int64(-1)
	if len(argv) == 3 {
		n, ok := resp.ParseInt(argv[2])
		if !ok || n < 0 {
			c.W.Error(lzErrPositive)
			return
		}
		count = n
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	if !recs[0].live || count == 0 {
		c.W.Array(0)
		return
	}
	n := uint64(1)
	if count > 0 {
		n = uint64(count)
	}
	entries := c.lzZPop(v, &recs[0], max, n)
	// Without COUNT (and always in RESP2) the reply is flat.
	if count == -1 || !c.W.RESP3 {
		c.W.Array(2 * len(entries))
		for _, e := range entries {
			c.W.Bulk(e.member)
			c.W.Double(e.score)
		}
		return
	}
	c.lzWriteEntries(entries, true)
}

// lzZMinMax parses MIN or MAX (max true).
func lzZMinMax(b []byte) (max, ok bool) {
	switch {
	case eqFold(b, "min"):
		return false, true
	case eqFold(b, "max"):
		return true, true
	}
	return false, false
}

// lzZMPop pops up to n members from the first non-empty sorted set of keys
// (ZMPOP, BZPOPMIN, BZPOPMAX, BZMPOP): idx is the index in keys it popped
// from, -1 if none; ok false: an error (WRONGTYPE) was replied.
func (c *Ctx) lzZMPop(keys [][]byte, max bool, n uint64) (idx int, entries []lzZEntry, ok bool) {
	for i, k := range keys {
		start := len(c.W.B)
		recs, v, ok := c.hsOpen([][]byte{k})
		if !ok {
			return -1, nil, false
		}
		r := &recs[0]
		if !r.live {
			c.hsDone(v, recs, start)
			continue
		}
		if r.m.typ != TypeZSet {
			c.W.Error(ErrWrongType)
			c.hsDone(v, recs, start)
			return -1, nil, false
		}
		entries = c.lzZPop(v, r, max, n)
		c.hsDone(v, recs, start)
		if len(c.W.B) != start {
			return -1, nil, false // a storage error was replied
		}
		return i, entries, true
	}
	return -1, nil, true
}

// lzZMPopReply is ZMPOP (numIdx 1) and BZMPOP's attempt (numIdx 2).
func lzZMPopReply(c *Ctx, argv [][]byte, numIdx int) {
	keys, max, count, ok := lzParseMPop(c, argv, numIdx, lzZMinMax)
	if !ok {
		return
	}
	idx, entries, ok := c.lzZMPop(keys, max, uint64(count))
	if !ok {
		return
	}
	if idx < 0 {
		c.W.NullArray()
		return
	}
	c.W.Array(2)
	c.W.Bulk(keys[idx])
	c.W.Array(len(entries))
	for _, e := range entries {
		c.W.Array(2)
		c.W.Bulk(e.member)
		c.W.Double(e.score)
	}
}

// Set operations of ZUNION, ZINTER, ZDIFF and their STORE forms.
const (
	lzUnion = iota
	lzInter
	lzDiff
)

// lzSource is an input of a set operation: a sorted set, or a set (whose
// members score 1; the set layout is set.go's: prefix + member).
type lzSource struct {
	key    []byte
	live   bool
	isSet  bool
	z      *lzZset
	prefix []byte // sets
	card   uint64
	weight float64
}

// each calls fn for every member and its score, in storage order.
func (s *lzSource) each(v *hsView, fn func(member []byte, score float64) bool) {
	if !s.live {
		return
	}
	p := s.prefix
	if !s.isSet {
		p = s.z.mem
	}
	it := v.iter(p)
	if it == nil {
		return
	}
	for valid := it.First(); valid; valid = it.Next() {
		score := 1.0
		if !s.isSet {
			b, err := it.ValueAndErr()
			if err != nil || len(b) != 8 {
				v.setErr(err)
				v.setErr(errCorruptMeta)
				return
			}
			score = lzDecScore(b)
		}
		if !fn(it.Key()[len(p):], score) {
			break
		}
	}
	v.setErr(it.Error())
}

// find returns member's score in the source.
func (s *lzSource) find(v *hsView, member []byte) (float64, bool) {
	if !s.live {
		return 0, false
	}
	if s.isSet {
		_, found := v.get(append(copyBytes(s.prefix), member...))
		return 1, found
	}
	return s.z.score(v, member)
}

// lzAggregate is zunionInterAggregate.
func lzAggregate(target *float64, val float64, agg byte) {
	switch agg {
	case 's':
		*target += val
		// inf + -inf is NaN: Redis's convention is 0.
		if math.IsNaN(*target) {
			*target = 0
		}
	case 'n':
		if val < *target {
			*target = val
		}
	case 'x':
		if val > *target {
			*target = val
		}
	}
}

// lzZSetOp is Redis's zunionInterDiffGenericCommand: numkeys at numIdx,
// optional WEIGHTS, AGGREGATE, WITHSCORES (not with dst) or, for
// ZINTERCARD (card), LIMIT.
func lzZSetOp(c *Ctx, argv [][]byte, op int, numIdx int, dst []byte, card bool) {
	setnum, ok := c.parseInt(argv[numIdx])
	if !ok {
		return
	}
	if setnum < 1 {
		c.W.Error("ERR at least 1 input key is needed for '" + c.name + "' command")
		return
	}
	if setnum > int64(len(argv)-numIdx-1) {
		c.W.Error(ErrSyntax)
		return
	}
	keys := argv[numIdx+1 : numIdx+1+int(setnum)]
	start := len(c.W.B)
	recs, v, ok := c.hsOpen(keys)
	if !ok {
		return
	}
	defer func() { c.hsDone(v, recs, start) }()
	srcs := make([]lzSource, len(keys))
	for i := range recs {
		r := &recs[i]
		s := &srcs[i]
		s.key, s.weight = keys[i], 1
		if !r.live {
			continue
		}
		switch r.m.typ {
		case TypeZSet:
			s.z = lzZsetOf(r)
		case TypeSet:
			s.isSet = true
			s.prefix = appendSubPrefix(nil, r.slot, r.key, r.m.version)
		default:
			c.W.Error(ErrWrongType)
			return
		}
		s.live, s.card = true, r.m.count
	}
	agg := byte('s')
	withScores := false
	var limit int64
	for j := numIdx + 1 + int(setnum); j < len(argv); {
		remaining := len(argv) - j
		switch o := argv[j]; {
		case op != lzDiff && !card && remaining >= int(setnum)+1 && eqFold(o, "weights"):
			j++
			for i := range srcs {
				w, ok := lzParseDouble(argv[j])
				if !ok {
					c.W.Error("ERR weight value is not a float")
					return
				}
				srcs[i].weight = w
				j++
			}
		case op != lzDiff && !card && remaining >= 2 && eqFold(o, "aggregate"):
			switch a := argv[j+1]; {
			case eqFold(a, "sum"):
				agg = 's'
			case eqFold(a, "min"):
				agg = 'n'
			case eqFold(a, "max"):
				agg = 'x'
			default:
				c.W.Error(ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !card && eqFold(o, "withscores"):
			withScores = true
			j++
		case card && remaining >= 2 && eqFold(o, "limit"):
			l, ok := resp.ParseInt(argv[j+1])
			if !ok || l < 0 {
				c.W.Error("ERR LIMIT can't be negative")
				return
			}
			limit = l
			j += 2
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if op != lzDiff {
		// Smallest first, as Redis sorts its inputs (a stable sort, like
		// glibc's qsort): the order of a SUM's additions follows it.
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].card < srcs[j].card })
	}
	var result []lzZEntry
	switch op {
	case lzUnion:
		pos := map[string]int{}
		for i := range srcs {
			s := &srcs[i]
			s.each(v, func(m []byte, val float64) bool {
				score := s.weight * val
				if math.IsNaN(score) {
					score = 0
				}
				if at, ok := pos[string(m)]; ok {
					lzAggregate(&result[at].score, score, agg)
				} else {
					pos[string(m)] = len(result)
					result = append(result, lzZEntry{member: copyBytes(m), score: score})
				}
				return true
			})
		}
	case lzInter:
		first := &srcs[0]
		var n int64
		first.each(v, func(m []byte, val float64) bool {
			score := first.weight * val
			if math.IsNaN(score) {
				score = 0
			}
			for j := 1; j < len(srcs); j++ {
				o := &srcs[j]
				var other float64
				if bytes.Equal(o.key, first.key) {
					other = val
				} else {
					s, found := o.find(v, m)
					if !found {
						return true
					}
					other = s
				}
				lzAggregate(&score, other*o.weight, agg)
			}
			n++
			if !card {
				result = append(result, lzZEntry{member: copyBytes(m), score: score})
			}
			return !card || limit == 0 || n < limit
		})
		if card {
			c.W.Int(n)
			return
		}
	case lzDiff:
		first := &srcs[0]
		first.each(v, func(m []byte, val float64) bool {
			for j := 1; j < len(srcs); j++ {
				o := &srcs[j]
				if bytes.Equal(o.key, first.key) {
					return false
				}
				if _, found := o.find(v, m); found {
					return true
				}
			}
			result = append(result, lzZEntry{member: copyBytes(m), score: val})
			return true
		})
	}
	sort.Slice(result, func(i, j int) bool {
		if result[i].score != result[j].score {
			return result[i].score < result[j].score
		}
		return bytes.Compare(result[i].member, result[j].member) < 0
	})
	if dst != nil {
		c.lzZStore(dst, result, [...]string{lzUnion: "zunionstore", lzInter: "zinterstore", lzDiff: "zdiffstore"}[op])
		return
	}
	c.lzWriteEntries(result, withScores)
}

func execZRandMember(c *Ctx, argv [][]byte) {
	if len(argv) < 3 {
		recs, v, done, ok := c.lzZOpen(argv[1:2])
		if !ok {
			return
		}
		defer done()
		r := &recs[0]
		if !r.live {
			c.W.Null()
			return
		}
		z := lzZsetOf(r)
		it := v.iter(z.mem)
		if it == nil {
			return
		}
		if !hsRandomOne(it, z.mem, r.m.count, c.hsRng(argv, &r.m)) {
			v.setErr(it.Error())
			v.setErr(errCorruptMeta)
			return
		}
		c.W.Bulk(it.Key()[len(z.mem):])
		return
	}
	l, ok := hsRandCount(c, argv[2])
	if !ok {
		return
	}
	withScores := len(argv) == 4
	if len(argv) > 4 || (withScores && !eqFold(argv[3], "withscores")) {
		c.W.Error(ErrSyntax)
		return
	}
	// Redis doubles the count for the reply's length.
	if withScores && (l < -math.MaxInt64/2 || l > math.MaxInt64/2) {
		c.W.Error("ERR value is out of range")
		return
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	r := &recs[0]
	if !r.live {
		c.W.Array(0)
		return
	}
	count, uniq := uint64(l), true
	if l < 0 {
		count, uniq = uint64(-l), false
	}
	if count == 0 {
		c.W.Array(0)
		return
	}
	z := lzZsetOf(r)
	header := func(n uint64) {
		if withScores && !c.W.RESP3 {
			c.W.Array(int(2 * n))
		} else {
			c.W.Array(int(n))
		}
	}
	entry := func(member, enc []byte) {
		if withScores && c.W.RESP3 {
			c.W.Array(2)
		}
		c.W.Bulk(member)
		if withScores {
			if len(enc) != 8 {
				v.setErr(errCorruptMeta)
				c.W.Double(0)
				return
			}
			c.W.Double(lzDecScore(enc))
		}
	}
	switch {
	case count >= r.m.count && uniq:
		// The whole set, from the highest score down: the order in which
		// Redis's zset iterator (zuiNext) walks it.
		entries := lzZRankRange(v, z, 0, int64(r.m.count)-1)
		lzReverse(entries)
		header(uint64(len(entries)))
		for _, e := range entries {
			if withScores && c.W.RESP3 {
				c.W.Array(2)
			}
			c.W.Bulk(e.member)
			if withScores {
				c.W.Double(e.score)
			}
		}
	case !uniq || count == 1:
		if count > hsMaxRandomReply {
			c.W.Error("ERR value is out of range")
			return
		}
		it := v.iter(z.mem)
		if it == nil {
			return
		}
		header(count)
		v.setErr(hsRandomRepeated(it, z.mem, r.m.count, count, c.hsRng(argv, &r.m), entry))
	default:
		it := v.iter(z.mem)
		if it == nil {
			return
		}
		picked, err := hsRandomDistinct(it, z.mem, r.m.count, count, c.hsRng(argv, &r.m), true)
		v.setErr(err)
		header(uint64(len(picked)))
		for _, e := range picked {
			entry(e.field, e.value)
		}
	}
}

// ZSCAN. Sets of up to hsScanAll members come whole, in score order, with
// cursor 0 (as Redis returns its compact encoding); larger ones are walked
// in member order with SSCAN's cursors (typeutil_hs.go), which never skip
// a member present for the whole scan.
func execZScan(c *Ctx, argv [][]byte) {
	cursor, ok := hsParseCursor(argv[2])
	if !ok {
		c.W.Error("ERR invalid cursor")
		return
	}
	recs, v, done, ok := c.lzZOpen(argv[1:2])
	if !ok {
		return
	}
	defer done()
	r := &recs[0]
	if !r.live {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return
	}
	count := int64(10)
	var match []byte
	for i := 3; i < len(argv); i++ {
		more := i+1 < len(argv)
		switch {
		case eqFold(argv[i], "count") && more:
			n, ok := c.parseInt(argv[i+1])
			if !ok {
				return
			}
			if n < 1 {
				c.W.Error(ErrSyntax)
				return
			}
			count = n
			i++
		case eqFold(argv[i], "match") && more:
			match = argv[i+1]
			i++
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if len(match) == 1 && match[0] == '*' {
		match = nil
	}
	z := lzZsetOf(r)
	var out resp.Writer
	n := 0
	var num []byte
	emit := func(member []byte, score float64) {
		if match != nil && !GlobMatch(match, member) {
			return
		}
		out.Bulk(member)
		num = lzD2String(num[:0], score)
		out.Bulk(num)
		n += 2
	}
	var next uint64
	if r.m.count <= hsScanAll {
		it := v.iter(z.idx)
		if it == nil {
			return
		}
		for valid := it.First(); valid; valid = it.Next() {
			e := z.entry(it, false)
			emit(e.member, e.score)
		}
		v.setErr(it.Error())
	} else {
		it, sk := v.iter(z.mem), v.iter(z.mem)
		if it == nil || sk == nil {
			return
		}
		each := func() {
			b, err := it.ValueAndErr()
			if err != nil || len(b) != 8 {
				v.setErr(err)
				v.setErr(errCorruptMeta)
				return
			}
			emit(it.Key()[len(z.mem):], lzDecScore(b))
		}
		if r.m.count <= uint64(count) {
			for valid := it.First(); valid; valid = it.Next() {
				each()
			}
		} else {
			next = hsScanStep(it, sk, z.mem, cursor, count, each)
		}
		v.setErr(it.Error())
	}
	c.W.Array(2)
	c.W.Bulk(strconv.AppendUint(nil, next, 10))
	c.W.Array(n)
	c.W.Raw(out.B)
}

// blockingZsetCommands are BZPOPMIN, BZPOPMAX and BZMPOP as one
// non-blocking attempt each (see blockingListCommands).
func blockingZsetCommands() []*Command {
	w, same := FlagWrite, FlagSameSlotKeys
	acl := []string{"@write", "@sortedset", "@slow", "@blocking"}
	b := func(name string, arity int, first, last int, since, summary string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: w | same, FirstKey: first, LastKey: last, Step: 1, Group: "sorted-set",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	bzmpop := b("bzmpop", -5, 3, 3, "7.0.0", "Remove and return members with scores in a sorted set or block until one is available", func(c *Ctx, argv [][]byte) {
		if c.lzBlockingTimeout(argv[1]) {
			lzZMPopReply(c, argv, 2)
		}
	})
	bzmpop.KeysFunc = func(argv [][]byte) []int { return lzNumKeysThen(argv, 2, 1) }
	return []*Command{
		b("bzpopmin", -3, 1, -2, "5.0.0", "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", func(c *Ctx, argv [][]byte) { lzBZPop(c, argv, false) }),
		b("bzpopmax", -3, 1, -2, "5.0.0", "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", func(c *Ctx, argv [][]byte) { lzBZPop(c, argv, true) }),
		bzmpop,
	}
}

func lzBZPop(c *Ctx, argv [][]byte, max bool) {
	if !c.lzBlockingTimeout(argv[len(argv)-1]) {
		return
	}
	keys := argv[1 : len(argv)-1]
	idx, entries, ok := c.lzZMPop(keys, max, 1)
	if !ok {
		return
	}
	if idx < 0 {
		c.W.NullArray()
		return
	}
	c.W.Array(3)
	c.W.Bulk(keys[idx])
	c.W.Bulk(entries[0].member)
	c.W.Double(entries[0].score)
}

// BlockingCommands returns the blocking list and sorted set commands
// (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP),
// keyed by name, for the server to register. Each Exec is one
// non-blocking attempt, exactly as Redis runs the command inside MULTI or
// when its timeout has passed: it validates the arguments (timeout
// included, with ParseBlockingTimeout), pops if any key has data, and
// otherwise replies as Redis does in MULTI: a null array (*-1, or _ in
// RESP3), or a null bulk string ($-1) for BLMOVE and BRPOPLPUSH. That is
// where the server blocks the client instead, retries the attempt (through
// Raft, like any write) when one of its keys is written, and on timeout
// replies a null array itself.
func BlockingCommands() map[string]*Command {
	t := map[string]*Command{}
	for _, c := range append(blockingListCommands(), blockingZsetCommands()...) {
		t[c.Name] = c
	}
	return t
}
