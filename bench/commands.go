package bench

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
)

// keyGen draws keys from the configured distribution.
type keyGen struct {
	dist  string
	space int64
	seq   int64
	rng   *rand.Rand
	zipf  *rand.Zipf
}

func newKeyGen(c *Config, rng *rand.Rand, worker int) *keyGen {
	g := &keyGen{dist: c.KeyDist, space: c.KeySpace, rng: rng, seq: int64(worker) * (c.KeySpace / int64(max(c.Conns, 1)))}
	if c.KeyDist == "zipf" && c.KeySpace > 1 {
		g.zipf = rand.NewZipf(rng, 1.01, 1, uint64(c.KeySpace-1))
	}
	return g
}

func (g *keyGen) next() int64 {
	switch {
	case g.space <= 1:
		return 0
	case g.zipf != nil:
		return int64(g.zipf.Uint64())
	case g.dist == "seq":
		g.seq++
		return g.seq % g.space
	default:
		return g.rng.Int64N(g.space)
	}
}

// appendKey writes the key for number n like redis-benchmark's
// key:__rand_int__ (12 digits, zero padded), with an optional hash tag so
// multi-key commands stay in one slot in cluster mode.
func appendKey(dst []byte, prefix string, tag string, n int64) []byte {
	dst = append(dst, prefix...)
	if tag != "" {
		dst = append(dst, '{')
		dst = append(dst, tag...)
		dst = append(dst, '}')
	}
	var num [20]byte
	s := strconv.AppendInt(num[:0], n, 10)
	for i := len(s); i < 12; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

// template describes how to encode one test's command.
type template struct {
	name  string   // reported name
	verb  string   // command sent
	keys  int      // number of keys (mset/mget: 10)
	value bool     // each key is followed by a value
	extra []string // arguments after the key(s)
	field bool     // hset: key field value
	write bool
}

var commandTemplates = map[string]template{
	"ping":       {name: "ping", verb: "PING"},
	"set":        {name: "set", verb: "SET", keys: 1, value: true, write: true},
	"get":        {name: "get", verb: "GET", keys: 1},
	"incr":       {name: "incr", verb: "INCR", keys: 1, write: true},
	"del":        {name: "del", verb: "DEL", keys: 1, write: true},
	"mset":       {name: "mset", verb: "MSET", keys: 10, value: true, write: true},
	"mget":       {name: "mget", verb: "MGET", keys: 10},
	"hset":       {name: "hset", verb: "HSET", keys: 1, field: true, write: true},
	"lpush":      {name: "lpush", verb: "LPUSH", keys: 1, value: true, write: true},
	"rpush":      {name: "rpush", verb: "RPUSH", keys: 1, value: true, write: true},
	"lpop":       {name: "lpop", verb: "LPOP", keys: 1, write: true},
	"rpop":       {name: "rpop", verb: "RPOP", keys: 1, write: true},
	"sadd":       {name: "sadd", verb: "SADD", keys: 1, value: true, write: true},
	"spop":       {name: "spop", verb: "SPOP", keys: 1, write: true},
	"zadd":       {name: "zadd", verb: "ZADD", keys: 1, extra: []string{"__score__"}, value: true, write: true},
	"zpopmin":    {name: "zpopmin", verb: "ZPOPMIN", keys: 1, write: true},
	"lrange_100": {name: "lrange_100", verb: "LRANGE", keys: 1, extra: []string{"0", "99"}},
}

// KnownTests lists the test names -t accepts.
func KnownTests() []string {
	var names []string
	for n := range commandTemplates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func knownTests() string { return strings.Join(KnownTests(), ",") }

// encoder builds RESP requests into a reusable buffer.
type encoder struct {
	cfg   *Config
	keys  *keyGen
	rng   *rand.Rand
	value []byte
	args  [][]byte
	key   []byte
	tag   string
}

func newEncoder(cfg *Config, rng *rand.Rand, worker int) *encoder {
	e := &encoder{cfg: cfg, keys: newKeyGen(cfg, rng, worker), rng: rng}
	e.value = make([]byte, cfg.ValueMax)
	for i := range e.value {
		e.value[i] = 'x'
	}
	return e
}

func (e *encoder) valueBytes() []byte {
	if e.cfg.ValueMax == e.cfg.ValueMin {
		return e.value
	}
	return e.value[:e.cfg.ValueMin+e.rng.IntN(e.cfg.ValueMax-e.cfg.ValueMin+1)]
}

// request appends one request for template t and returns the key that
// routes it (nil for keyless commands).
func (e *encoder) request(dst []byte, t *template) ([]byte, []byte) {
	e.args = e.args[:0]
	e.key = e.key[:0]
	e.args = append(e.args, []byte(t.verb))
	tag := ""
	if t.keys > 1 && e.cfg.Cluster {
		tag = strconv.FormatInt(e.keys.next(), 10)
	}
	var first []byte
	starts := make([]int, 0, t.keys)
	for i := 0; i < t.keys; i++ {
		starts = append(starts, len(e.key))
		e.key = appendKey(e.key, e.cfg.KeyPrefix, tag, e.keys.next())
	}
	starts = append(starts, len(e.key))
	for i := 0; i < t.keys; i++ {
		k := e.key[starts[i]:starts[i+1]]
		if i == 0 {
			first = k
		}
		e.args = append(e.args, k)
		if t.field {
			e.args = append(e.args, []byte("field"), e.valueBytes())
		}
		for _, x := range t.extra {
			if x == "__score__" {
				e.args = append(e.args, strconv.AppendInt(nil, e.rng.Int64N(1000000), 10))
			} else {
				e.args = append(e.args, []byte(x))
			}
		}
		if t.value && !t.field {
			e.args = append(e.args, e.valueBytes())
		}
	}
	return appendCommand(dst, e.args), first
}

func appendCommand(dst []byte, args [][]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
