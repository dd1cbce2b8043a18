package tests

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Sorted set scripts for the differential runner (kv_diff_test.go). Keys of
// the commands that need one Region share a hash tag ({t}). Scores are
// compared byte for byte: Redis 7.0 formats doubles with %.17g (so 1.1 is
// "1.1000000000000001"), and ZSCAN shows them as it stores them (d2string:
// integers up to 2^62 without an exponent).

var zsetDiffScripts = []diffScript{
	{"zadd", `
ZADD z 1 a
ZADD z 2 b 3 c
ZADD z 1 a
ZADD z 5 a
ZADD z 1 x 2 x 3 x
ZSCORE z x
ZCARD z
ZADD z CH 10 a 2 b 20 new
ZADD z NX 100 a 101 nxnew
ZADD z XX 100 a 102 xxnew
ZADD z XX CH 100 a 50 b
ZADD z GT CH 1 a 200 b 7 gtnew
ZADD z LT CH 1 a 300 b 8 ltnew
ZADD z GT LT 1 a
ZADD z NX XX 1 a
ZADD z NX GT 1 a
ZADD z LT NX 1 a
ZADD z XX GT 1000 a
ZADD z XX LT 1000 a
ZRANGE z 0 -1 WITHSCORES
ZADD z 1
ZADD z 1 a 2
ZADD z NX
ZADD z CH CH 1 a
ZADD z FOO 1 a
ZADD z a 1
ZADD z 1 a b 2
ZADD z "" emptyscore
ZADD z 1 ""
ZADD z 2 "\x00bin\r\n"
ZSCORE z ""
ZSCORE z "\x00bin\r\n"
ZADD nokey XX 1 a
EXISTS nokey
ZADD nokey XX INCR 1 a
ZADD nokey NX 1 a
ZADD nokey NX 2 a
ZSCORE nokey a
zadd lower ch nx 1 a
TYPE z
ZADD z
`},
	{"zadd-incr-zincrby", `
ZADD z INCR 1 a
ZADD z INCR 2.5 a
ZADD z INCR -10 a
ZADD z INCR 1 a 2 b
ZADD z NX INCR 1 a
ZADD z XX INCR 1 nope
ZADD z XX INCR 1 a
ZADD z GT INCR -1 a
ZADD z GT INCR 1 a
ZADD z LT INCR 1 a
ZADD z LT INCR -1 a
ZADD z CH INCR 1 a
ZINCRBY z 1 a
ZINCRBY z 1.5 newm
ZINCRBY z -0.5 newm
ZINCRBY z abc a
ZINCRBY z 1 a b
ZINCRBY z NaN a
ZINCRBY z inf a
ZINCRBY z inf a
ZINCRBY z -inf a
ZADD z INCR -inf a
ZSCORE z a
ZINCRBY z 1e308 big
ZINCRBY z 1e308 big
ZINCRBY z 0.1 pt
ZINCRBY z 0.2 pt
ZINCRBY nokey 5 m
ZINCRBY z incr a
ZRANGE z 0 -1 WITHSCORES
`},
	{"scores", `
ZADD z 0x10 hex
ZADD z 0x1p-2 hexp
ZADD z -0X1.8P1 hexneg
ZADD z +5 plus
ZADD z -.5 neg
ZADD z 5. dot
ZADD z 1e3 e3
ZADD z 1E-3 em3
ZADD z 1e308 big
ZADD z 1e309 over
ZADD z -1e309 over
ZADD z 1e-400 under
ZADD z 0e-400 zero
ZADD z 4.9e-324 tiny
ZADD z 1e-310 sub
ZADD z -0 negzero
ZADD z -0.0 negzero2
ZADD z 0.1 pt1
ZADD z 1.1 pt11
ZADD z 3.141592653589793 pi
ZADD z 123456789012345678 bigint
ZADD z 9007199254740993 odd
ZADD z inf pinf
ZADD z -inf ninf
ZADD z +Infinity pinf2
ZADD z nan x
ZADD z NaN x
ZADD z " 1" x
ZADD z "1 " x
ZADD z "1\x00" x
ZADD z 1_000 x
ZADD z 0x x
ZADD z . x
ZADD z 1e x
ZADD z infinit x
ZRANGE z 0 -1 WITHSCORES
ZSCORE z pt1
ZSCORE z tiny
ZSCORE z bigint
ZMSCORE z pinf ninf negzero nope
ZSCAN z 0
ZCOUNT z -inf +inf
ZCOUNT z (0 (1
`},
	{"zrem-zcard-zscore", `
ZADD z 1 a 2 b 3 c
ZREM z a
ZREM z a
ZREM z nope b nope2
ZCARD z
ZREM z c
EXISTS z
ZCARD z
ZREM nokey a
ZSCORE nokey a
ZMSCORE nokey a b
ZADD z 1 a
ZMSCORE z a b a
ZMSCORE z
ZSCORE z
ZREM z
ZCARD z extra
`},
	{"zrank", `
ZADD z 1 a 2 b 3 c 3 d -1 e
ZRANK z e
ZRANK z a
ZRANK z d
ZREVRANK z d
ZREVRANK z c
ZREVRANK z e
ZRANK z nope
ZREVRANK z nope
ZRANK nokey a
ZREVRANK nokey a
ZRANK z
`},
	{"zrange-rank", `
ZADD z 1 a 2 b 3 c 4 d 5 e
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 1 3
ZRANGE z -2 -1 withscores
ZRANGE z -100 100
ZRANGE z 3 1
ZRANGE z 5 10
ZRANGE z -1 -5
ZRANGE z 0 0 REV
ZRANGE z 0 1 REV WITHSCORES
ZRANGE z -2 -1 REV
ZRANGE z 0 -1 WITHSCORES REV
ZREVRANGE z 0 -1
ZREVRANGE z 1 2 WITHSCORES
ZREVRANGE z -1 -1
ZREVRANGE z 0 0 REV
ZREVRANGE z 0 0 BYSCORE
ZRANGE z 0 -1 LIMIT 0 1
ZREVRANGE z 0 -1 LIMIT 0 1
ZRANGE z 0 -1 LIMIT 0 -1
ZRANGE z 0 -1 REV REV
ZRANGE z 0 -1 BYSCORE BYLEX
ZRANGE z 0 -1 FOO
ZRANGE z a 1
ZRANGE z 0 b
ZRANGE z 0 9223372036854775808
ZRANGE z 9223372036854775807 -9223372036854775808
ZRANGE z -9223372036854775808 9223372036854775807
ZRANGE nokey 0 -1
ZRANGE nokey 0 -1 WITHSCORES
ZRANGE nokey a b
ZRANGE z 0
ZRANGE z 0 1 LIMIT 1
ZRANGE z 0 1 LIMIT
`},
	{"zrange-byscore", `
ZADD z -inf ninf 1 a 2 b 2 bb 3 c 4.5 d inf pinf
ZRANGEBYSCORE z -inf +inf
ZRANGEBYSCORE z -inf +inf WITHSCORES
ZRANGEBYSCORE z 2 3
ZRANGEBYSCORE z (2 3
ZRANGEBYSCORE z 2 (3
ZRANGEBYSCORE z (2 (3
ZRANGEBYSCORE z (2 (2
ZRANGEBYSCORE z 2 2
ZRANGEBYSCORE z 3 2
ZRANGEBYSCORE z (-inf (inf
ZRANGEBYSCORE z inf inf
ZRANGEBYSCORE z -inf -inf
ZRANGEBYSCORE z 1 10 LIMIT 1 2
ZRANGEBYSCORE z 1 10 LIMIT 1 -1
ZRANGEBYSCORE z 1 10 LIMIT 1 0
ZRANGEBYSCORE z 1 10 LIMIT -1 2
ZRANGEBYSCORE z 1 10 LIMIT 100 2
ZRANGEBYSCORE z 1 10 WITHSCORES LIMIT 0 2
ZRANGEBYSCORE z 1 10 LIMIT 0 2 WITHSCORES
ZRANGEBYSCORE z 1 10 LIMIT 0 2 LIMIT 1 1
ZRANGEBYSCORE z 1 10 LIMIT a 1
ZRANGEBYSCORE z 1 10 LIMIT 0
ZRANGEBYSCORE z 1 10 REV
ZRANGEBYSCORE z 1 10 BYSCORE
ZREVRANGEBYSCORE z +inf -inf
ZREVRANGEBYSCORE z 3 2 WITHSCORES
ZREVRANGEBYSCORE z (3 (1
ZREVRANGEBYSCORE z 2 3
ZREVRANGEBYSCORE z +inf -inf LIMIT 1 3
ZRANGE z 2 3 BYSCORE
ZRANGE z (1 4.5 BYSCORE WITHSCORES
ZRANGE z 4.5 (1 BYSCORE REV
ZRANGE z 4.5 (1 BYSCORE REV LIMIT 1 1 WITHSCORES
ZRANGE z -inf +inf BYSCORE LIMIT 2 2
ZRANGEBYSCORE z "" ""
ZRANGEBYSCORE z "(" +inf
ZRANGEBYSCORE z " 2" "\t3"
ZRANGEBYSCORE z "2 " 3
ZRANGEBYSCORE z 0x2 0x1.8p1
ZRANGEBYSCORE z 1e400 +inf
ZRANGEBYSCORE z -1e400 1e400
ZRANGEBYSCORE z "3\x00junk" 4
ZRANGEBYSCORE z nan 1
ZRANGEBYSCORE z 1 nan
ZRANGEBYSCORE z a 1
ZRANGEBYSCORE z ((1 2
ZRANGEBYSCORE z [1 2
ZRANGEBYSCORE nokey 1 2
ZRANGEBYSCORE nokey a b
ZRANGEBYSCORE z 1
`},
	{"zrange-bylex", `
ZADD z 0 a 0 b 0 c 0 d 0 e 0 f 0 g
ZRANGEBYLEX z - +
ZRANGEBYLEX z [b [d
ZRANGEBYLEX z (b (d
ZRANGEBYLEX z [b (d
ZRANGEBYLEX z (b +
ZRANGEBYLEX z - (c
ZRANGEBYLEX z [d [b
ZRANGEBYLEX z (a (a
ZRANGEBYLEX z [a [a
ZRANGEBYLEX z [a (a
ZRANGEBYLEX z + -
ZRANGEBYLEX z - -
ZRANGEBYLEX z + +
ZRANGEBYLEX z [aa [cc
ZRANGEBYLEX z [ +
ZRANGEBYLEX z ( +
ZRANGEBYLEX z - [
ZRANGEBYLEX z - + LIMIT 2 3
ZRANGEBYLEX z - + LIMIT 2 -1
ZRANGEBYLEX z - + LIMIT -1 3
ZRANGEBYLEX z - + LIMIT 10 3
ZRANGEBYLEX z - + WITHSCORES
ZRANGEBYLEX z b c
ZRANGEBYLEX z +a +
ZRANGEBYLEX z -a +
ZRANGEBYLEX z "" +
ZRANGEBYLEX z "+\x00x" -
ZREVRANGEBYLEX z + -
ZREVRANGEBYLEX z [d [b
ZREVRANGEBYLEX z (d (b
ZREVRANGEBYLEX z [dd -
ZREVRANGEBYLEX z + - LIMIT 1 2
ZREVRANGEBYLEX z - +
ZRANGE z [c + BYLEX
ZRANGE z + [c BYLEX REV
ZRANGE z + [c BYLEX REV LIMIT 1 2
ZRANGE z - + BYLEX WITHSCORES
ZRANGEBYLEX nokey - +
ZRANGEBYLEX nokey a b
ZLEXCOUNT z - +
ZLEXCOUNT z [b (f
ZLEXCOUNT z + -
ZLEXCOUNT z a b
ZLEXCOUNT nokey - +
ZADD m 1 c 2 a 3 b 4 e
ZRANGEBYLEX m - +
ZRANGEBYLEX m [b +
ZRANGEBYLEX m - [b
ZRANGEBYLEX m [a [c
ZRANGEBYLEX m [d +
ZREVRANGEBYLEX m + -
ZREVRANGEBYLEX m [c [a
ZREVRANGEBYLEX m [b -
ZLEXCOUNT m [a [c
ZREMRANGEBYLEX m [a [c
ZRANGE m 0 -1 WITHSCORES
`},
	{"zrangestore", `
ZADD {t}src 1 a 2 b 3 c 4 d
ZRANGESTORE {t}dst {t}src 0 -1
ZRANGE {t}dst 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src 1 2 REV
ZRANGE {t}dst 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src (1 3 BYSCORE LIMIT 1 5
ZRANGE {t}dst 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src [a [b BYLEX
ZRANGE {t}dst 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src 5 10
EXISTS {t}dst
ZADD {t}dst 9 z
ZRANGESTORE {t}dst {t}nokey 0 -1
EXISTS {t}dst
SET {t}str v
EXPIREAT {t}str 4102444800
ZRANGESTORE {t}str {t}src 0 0
TYPE {t}str
TTL {t}str
ZRANGESTORE {t}dst {t}str 0 -1
ZRANGESTORE {t}src {t}src 0 1
ZRANGE {t}src 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src 0 -1 WITHSCORES
ZRANGESTORE {t}dst {t}src 0 -1 LIMIT 0 1
ZRANGESTORE {t}dst {t}src a b BYSCORE
ZRANGESTORE {t}dst {t}src 0
`},
	{"zcount", `
ZADD z 1 a 2 b 3 c 4 d
ZCOUNT z -inf +inf
ZCOUNT z 2 3
ZCOUNT z (2 3
ZCOUNT z (2 (3
ZCOUNT z 3 2
ZCOUNT z (4 +inf
ZCOUNT z a b
ZCOUNT z 1 b
ZCOUNT nokey 1 2
ZCOUNT nokey a b
`},
	{"zpop", `
ZADD z 1 a 2 b 3 c 4 d 5 e
ZPOPMIN z
ZPOPMAX z
ZPOPMIN z 2
ZPOPMAX z 0
ZPOPMIN z 1
ZPOPMAX z 10
EXISTS z
ZPOPMIN z
ZPOPMIN z 3
ZPOPMIN nokey
ZPOPMAX nokey 2
ZADD z 1 a
ZPOPMIN z -1
ZPOPMIN z abc
ZPOPMIN z 1 2
ZPOPMIN z 1.5
ZCARD z
`},
	{"zmpop", `
ZADD {t}a 1 x 2 y 3 z
ZADD {t}b 10 p
ZMPOP 2 {t}nokey {t}a MIN
ZMPOP 2 {t}nokey {t}a MAX COUNT 10
EXISTS {t}a
ZMPOP 2 {t}a {t}b min count 2
ZMPOP 2 {t}a {t}b MIN
ZMPOP 0 {t}a MIN
ZMPOP -1 {t}a MIN
ZMPOP x {t}a MIN
ZMPOP 3 {t}a {t}b MIN
ZMPOP 1 {t}a MEDIAN
ZMPOP 1 {t}a MIN COUNT 0
ZMPOP 1 {t}a MIN COUNT -1
ZMPOP 1 {t}a MIN COUNT x
ZMPOP 1 {t}a MIN COUNT
ZMPOP 1 {t}a MIN COUNT 1 COUNT 1
ZMPOP 1 {t}a
SET {t}s v
ZADD {t}c 1 m
ZMPOP 2 {t}s {t}c MIN
ZMPOP 2 {t}c {t}s MIN
ZMPOP 2 {t}c {t}s MIN
`},
	{"zremrange", `
ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYRANK z -1 -1
ZRANGE z 0 -1
ZREMRANGEBYRANK z 10 20
ZREMRANGEBYRANK z 2 1
ZREMRANGEBYRANK z a 1
ZREMRANGEBYSCORE z (2 4
ZRANGE z 0 -1 WITHSCORES
ZREMRANGEBYSCORE z 10 20
ZREMRANGEBYSCORE z a 1
ZREMRANGEBYSCORE z -inf +inf
EXISTS z
ZADD z 0 a 0 b 0 c 0 d
ZREMRANGEBYLEX z (a [c
ZRANGE z 0 -1
ZREMRANGEBYLEX z a b
ZREMRANGEBYLEX z + -
ZREMRANGEBYLEX z - +
EXISTS z
ZADD z 1 a 2 b
ZREMRANGEBYRANK z 0 -1
EXISTS z
ZREMRANGEBYRANK nokey 0 -1
ZREMRANGEBYSCORE nokey 0 1
ZREMRANGEBYLEX nokey - +
ZREMRANGEBYRANK nokey a b
`},
	{"union-inter-diff", `
ZADD {t}a 1 x 2 y 3 z
ZADD {t}b 10 y 20 z 30 w
SADD {t}s x w q
ZUNION 2 {t}a {t}b
ZUNION 2 {t}a {t}b WITHSCORES
ZUNION 2 {t}a {t}b WEIGHTS 2 3 WITHSCORES
ZUNION 2 {t}a {t}b AGGREGATE MIN WITHSCORES
ZUNION 2 {t}a {t}b AGGREGATE max WITHSCORES
ZUNION 2 {t}a {t}b WEIGHTS 1 -1 AGGREGATE SUM WITHSCORES
ZUNION 3 {t}a {t}b {t}s WITHSCORES
ZUNION 2 {t}a {t}nokey WITHSCORES
ZUNION 1 {t}nokey
ZINTER 2 {t}a {t}b WITHSCORES
ZINTER 2 {t}a {t}b WEIGHTS 0.5 2 AGGREGATE MAX WITHSCORES
ZINTER 3 {t}a {t}b {t}s WITHSCORES
ZINTER 2 {t}a {t}s WITHSCORES
ZINTER 2 {t}a {t}a WITHSCORES
ZINTER 2 {t}a {t}a WEIGHTS 1 2 WITHSCORES
ZINTER 2 {t}a {t}nokey
ZDIFF 2 {t}a {t}b WITHSCORES
ZDIFF 2 {t}b {t}a WITHSCORES
ZDIFF 2 {t}a {t}s
ZDIFF 1 {t}s WITHSCORES
ZDIFF 2 {t}a {t}a
ZDIFF 2 {t}nokey {t}a
ZDIFF 1 {t}a WEIGHTS 2
ZDIFF 1 {t}a AGGREGATE SUM
ZUNION 0 {t}a
ZUNION -1 {t}a
ZUNION x {t}a
ZUNION 3 {t}a {t}b
ZUNION 2 {t}a {t}b WEIGHTS 1
ZUNION 2 {t}a {t}b WEIGHTS 1 x
ZUNION 2 {t}a {t}b WEIGHTS 1 nan
ZUNION 2 {t}a {t}b AGGREGATE
ZUNION 2 {t}a {t}b AGGREGATE AVG
ZUNION 2 {t}a {t}b WITHSCORES WITHSCORES
ZUNION 2 {t}a {t}b FOO
SET {t}str v
ZUNION 2 {t}a {t}str
ZUNION 2 {t}a {t}str AGGREGATE FOO
ZINTER 2 {t}str {t}a
ZDIFF 2 {t}a {t}str
ZADD {t}inf inf p -inf n 1 one
ZUNION 2 {t}inf {t}inf WITHSCORES
ZUNION 1 {t}inf WEIGHTS 0 WITHSCORES
ZUNION 1 {t}inf WEIGHTS -1 WITHSCORES
ZADD {t}neg -inf p
ZUNION 2 {t}inf {t}neg WITHSCORES
ZINTER 2 {t}inf {t}neg WITHSCORES
ZINTER 2 {t}inf {t}neg WEIGHTS 1 0 WITHSCORES
ZINTER 2 {t}inf {t}neg AGGREGATE MIN WITHSCORES
ZADD {t}f 0.1 m
ZADD {t}g 0.2 m
ZUNION 2 {t}f {t}g WITHSCORES
`},
	{"union-inter-diff-store", `
ZADD {t}a 1 x 2 y 3 z
ZADD {t}b 10 y 20 z 30 w
SADD {t}s x w
ZUNIONSTORE {t}d 2 {t}a {t}b
ZRANGE {t}d 0 -1 WITHSCORES
ZINTERSTORE {t}d 2 {t}a {t}b WEIGHTS 2 1 AGGREGATE MIN
ZRANGE {t}d 0 -1 WITHSCORES
ZDIFFSTORE {t}d 2 {t}a {t}b
ZRANGE {t}d 0 -1 WITHSCORES
ZUNIONSTORE {t}d 2 {t}s {t}s
ZRANGE {t}d 0 -1 WITHSCORES
ZINTERSTORE {t}d 2 {t}a {t}nokey
EXISTS {t}d
ZDIFFSTORE {t}d 2 {t}a {t}a
EXISTS {t}d
ZUNIONSTORE {t}a 2 {t}a {t}b
ZRANGE {t}a 0 -1 WITHSCORES
SET {t}str v
EXPIREAT {t}str 4102444800
ZUNIONSTORE {t}str 1 {t}b
TYPE {t}str
TTL {t}str
ZUNIONSTORE {t}d 1 {t}b WITHSCORES
ZUNIONSTORE {t}d 0 {t}b
ZINTERSTORE {t}d 2 {t}b
ZDIFFSTORE {t}d 1 {t}b WEIGHTS 1
ZUNIONSTORE {t}d 2 {t}b {t}str
ZINTERSTORE {t}d
ZINTERCARD 2 {t}a {t}b
ZINTERCARD 2 {t}a {t}b LIMIT 1
ZINTERCARD 2 {t}a {t}b LIMIT 0
ZINTERCARD 2 {t}a {t}b LIMIT 100
ZINTERCARD 2 {t}a {t}s
ZINTERCARD 1 {t}s
ZINTERCARD 2 {t}a {t}nokey
ZINTERCARD 0 {t}a
ZINTERCARD x {t}a
ZINTERCARD 2 {t}a
ZINTERCARD 1 {t}a LIMIT -1
ZINTERCARD 1 {t}a LIMIT x
ZINTERCARD 1 {t}a LIMIT
ZINTERCARD 1 {t}a WEIGHTS 1
ZINTERCARD 1 {t}a WITHSCORES
ZINTERCARD 2 {t}a {t}str
`},
	{"zrandmember", `
ZADD z 1 a 2 b 3 c
ZRANDMEMBER z 3
ZRANDMEMBER z 10
ZRANDMEMBER z 10 WITHSCORES
ZRANDMEMBER z 0
ZRANDMEMBER z 0 WITHSCORES
? ZRANDMEMBER z
? ZRANDMEMBER z 2
? ZRANDMEMBER z -5 WITHSCORES
ZRANDMEMBER nokey
ZRANDMEMBER nokey 5
ZRANDMEMBER nokey -5 WITHSCORES
ZRANDMEMBER z 1 FOO
ZRANDMEMBER z 1 WITHSCORES FOO
ZRANDMEMBER z x
ZRANDMEMBER z -9223372036854775808
ZRANDMEMBER z -9223372036854775807 WITHSCORES
ZRANDMEMBER z 9223372036854775807 WITHSCORES
ZRANDMEMBER z 4611686018427387903 WITHSCORES
`},
	{"zscan-small", `
ZADD z 3 c 1 a 2 b 1.5 ab
ZSCAN z 0
ZSCAN z 0 COUNT 1
ZSCAN z 0 MATCH a*
ZSCAN z 0 MATCH nomatch
ZSCAN z 0 COUNT 0
ZSCAN z 0 COUNT x
ZSCAN z 0 COUNT
ZSCAN z 0 TYPE zset
ZSCAN z 0 FOO bar
ZSCAN z x
ZSCAN z -1
ZSCAN z 18446744073709551616
ZSCAN z " 0"
ZSCAN nokey 0
ZSCAN nokey x
ZSCAN nokey 0 FOO
`},
	{"wrongtype", `
SET s v
ZADD s 1 a
ZINCRBY s 1 a
ZREM s a
ZCARD s
ZSCORE s a
ZMSCORE s a
ZRANK s a
ZREVRANK s a
ZRANGE s 0 -1
ZRANGE s a b
ZRANGEBYSCORE s 0 1
ZRANGEBYSCORE s a b
ZRANGEBYLEX s - +
ZREVRANGE s 0 -1
ZCOUNT s 0 1
ZLEXCOUNT s - +
ZPOPMIN s
ZPOPMAX s 2
ZREMRANGEBYRANK s 0 1
ZREMRANGEBYSCORE s 0 1
ZREMRANGEBYLEX s - +
ZRANDMEMBER s
ZRANDMEMBER s 2
ZSCAN s 0
RPUSH l a
ZADD l 1 a
ZADD z 1 a
LPUSH z a
SADD z a
GET z
TYPE z
`},
	{"keyspace", `
ZADD z 1 a 2 b
EXPIREAT z 4102444800
ZADD z 3 c
ZINCRBY z 1 a
ZREM z b
ZPOPMAX z
EXPIRETIME z
ZADD gone 1 a
PEXPIREAT gone 1
EXISTS gone
ZCARD gone
ZADD gone XX 1 a
ZADD gone 5 fresh
ZRANGE gone 0 -1 WITHSCORES
TTL gone
ZADD {t}x 1 a 2 b
RENAME {t}x {t}y
ZRANGE {t}y 0 -1 WITHSCORES
COPY {t}y {t}z
ZADD {t}z 3 c
ZREM {t}y a
ZRANGE {t}y 0 -1 WITHSCORES
ZRANGE {t}z 0 -1 WITHSCORES
DEL {t}y
ZRANGE {t}z 0 -1 WITHSCORES
OBJECT ENCODING {t}z
! KEYS *
`},
}

func TestDiffZSet(t *testing.T) { runDiffScripts(t, zsetDiffScripts, false) }

// TestDiffZSetRESP3 runs the scripts over RESP3 (scores become doubles,
// WITHSCORES pairs become arrays) and pipelined.
func TestDiffZSetRESP3(t *testing.T) {
	var all []diffScript
	for _, s := range zsetDiffScripts {
		all = append(all, diffScript{name: s.name, script: "@resp3\n" + s.script})
	}
	runDiffScripts(t, all, false)
	runDiffScripts(t, zsetDiffScripts, true)
}

// TestDiffZSetRandom runs random sorted set commands over a few keys of one
// Region, with up to a few hundred members (so Redis switches to its
// skiplist encoding), in RESP2 and RESP3. Lex ranges go to a key whose
// scores are all 0: over mixed scores Redis's skiplist answers depend on
// its random levels (the scripts cover mixed scores in small sets, where
// Redis's answer is deterministic).
func TestDiffZSetRandom(t *testing.T) {
	neo, ref := StartServer(t), StartRedis(t)
	logOnFailure(t, neo)
	for _, proto := range []string{"2", "3"} {
		a, b := Dial(t, neo.Addr), Dial(t, ref.Addr)
		for _, c := range []*RawConn{a, b} {
			c.Do("FLUSHALL")
			c.Do("HELLO", proto)
		}
		rng := rand.New(rand.NewPCG(7, uint64(len(proto))))
		keys := []string{"{z}a", "{z}b", "{z}c"}
		member := func() string { return fmt.Sprintf("m%03d", rng.IntN(300)) }
		score := func() string { return strconv.FormatFloat(float64(rng.IntN(41)-20)/4, 'f', -1, 64) }
		bound := func() string {
			switch rng.IntN(8) {
			case 0:
				return "-inf"
			case 1:
				return "+inf"
			case 2:
				return "(" + score()
			}
			return score()
		}
		lex := func() string {
			switch rng.IntN(8) {
			case 0:
				return "-"
			case 1:
				return "+"
			}
			return []string{"[", "("}[rng.IntN(2)] + member()
		}
		idx := func() string { return strconv.Itoa(rng.IntN(801) - 400) }
		// Positive weights: a product -0 would show as "-0" in Redis's
		// skiplist encoding and as 0 in its listpack (and in NeoKV, which
		// stores -0 as 0).
		weight := func() string { return []string{"1", "2", "0.5", "3"}[rng.IntN(4)] }
		const lk = "{z}lex"
		gen := func() []string {
			k, k2 := keys[rng.IntN(3)], keys[rng.IntN(3)]
			switch rng.IntN(27) {
			case 24:
				c := []string{"ZADD", lk}
				for i := rng.IntN(60); i >= 0; i-- {
					c = append(c, "0", member())
				}
				return c
			case 25:
				return []string{"ZREMRANGEBYLEX", lk, lex(), lex()}
			case 26:
				return []string{[]string{"ZREM", "ZRANK", "ZSCORE"}[rng.IntN(3)], lk, member()}
			case 0, 1, 2:
				c := []string{"ZADD", k}
				for i := rng.IntN(80); i >= 0; i-- {
					c = append(c, score(), member())
				}
				return c
			case 3:
				return []string{"ZADD", k, []string{"NX", "XX", "GT", "LT", "CH"}[rng.IntN(5)], score(), member()}
			case 4:
				return []string{"ZINCRBY", k, score(), member()}
			case 5:
				return []string{"ZREM", k, member(), member(), member()}
			case 6:
				return []string{[]string{"ZSCORE", "ZRANK", "ZREVRANK"}[rng.IntN(3)], k, member()}
			case 7:
				return []string{"ZRANGE", k, idx(), idx(), "WITHSCORES"}
			case 8:
				return []string{"ZREVRANGE", k, idx(), idx()}
			case 9:
				return []string{"ZRANGE", k, bound(), bound(), "BYSCORE", "LIMIT", strconv.Itoa(rng.IntN(20)), strconv.Itoa(rng.IntN(40) - 1)}
			case 10:
				return []string{"ZREVRANGEBYSCORE", k, bound(), bound(), "WITHSCORES"}
			case 11:
				return []string{"ZRANGEBYLEX", lk, lex(), lex()}
			case 12:
				return []string{"ZRANGE", lk, lex(), lex(), "BYLEX", "REV", "LIMIT", strconv.Itoa(rng.IntN(5)), strconv.Itoa(rng.IntN(20) - 1)}
			case 13:
				return []string{"ZCOUNT", k, bound(), bound()}
			case 14:
				return []string{"ZLEXCOUNT", lk, lex(), lex()}
			case 15:
				return []string{[]string{"ZPOPMIN", "ZPOPMAX"}[rng.IntN(2)], k, strconv.Itoa(rng.IntN(30))}
			case 16:
				return []string{"ZMPOP", "2", k, k2, []string{"MIN", "MAX"}[rng.IntN(2)], "COUNT", strconv.Itoa(1 + rng.IntN(30))}
			case 17:
				return []string{"ZREMRANGEBYRANK", k, idx(), idx()}
			case 18:
				return []string{"ZREMRANGEBYSCORE", k, bound(), bound()}
			case 19:
				return []string{[]string{"ZUNION", "ZINTER", "ZDIFF"}[rng.IntN(3)], "2", k, k2, "WITHSCORES"}
			case 20:
				return []string{[]string{"ZUNIONSTORE", "ZINTERSTORE"}[rng.IntN(2)], keys[rng.IntN(3)], "2", k, k2,
					"WEIGHTS", weight(), weight(), "AGGREGATE", []string{"SUM", "MIN", "MAX"}[rng.IntN(3)]}
			case 21:
				return []string{"ZRANGESTORE", keys[rng.IntN(3)], k, bound(), bound(), "BYSCORE"}
			case 22:
				return []string{"ZINTERCARD", "2", k, k2, "LIMIT", strconv.Itoa(rng.IntN(10))}
			default:
				return []string{[]string{"ZCARD", "DEL"}[rng.IntN(2)], k}
			}
		}
		diffRandom(t, a, b, 3000, gen)
	}
}

// TestZRankWithScore checks ZRANK/ZREVRANK WITHSCORE (Redis 7.2; the
// reference 7.0 does not have it).
func TestZRankWithScore(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	expect(t, r, ":3\r\n", "ZADD", "z", "1", "a", "2.5", "b", "inf", "c")
	expect(t, r, "*2\r\n:1\r\n$3\r\n2.5\r\n", "ZRANK", "z", "b", "WITHSCORE")
	expect(t, r, "*2\r\n:0\r\n$3\r\ninf\r\n", "ZREVRANK", "z", "c", "withscore")
	expect(t, r, "*-1\r\n", "ZRANK", "z", "nope", "WITHSCORE")
	expect(t, r, "*-1\r\n", "ZRANK", "nokey", "a", "WITHSCORE")
	expect(t, r, "$-1\r\n", "ZRANK", "nokey", "a")
	expect(t, r, "-ERR syntax error\r\n", "ZRANK", "z", "a", "WITHSCORES")
	expect(t, r, "-ERR wrong number of arguments for 'zrank' command\r\n", "ZRANK", "z", "a", "WITHSCORE", "x")
	r.Do("HELLO", "3")
	expect(t, r, "*2\r\n:1\r\n,2.5\r\n", "ZRANK", "z", "b", "WITHSCORE")
	expect(t, r, "_\r\n", "ZREVRANK", "z", "nope", "WITHSCORE")
}

// TestZSetCrossRegion: the sorted set commands that need one Region refuse
// keys of two, and write nothing.
func TestZSetCrossRegion(t *testing.T) {
	if regionOf("foo") == regionOf("bar") {
		t.Fatal("foo and bar share a Region")
	}
	srv := StartServer(t, multiRegion...)
	logOnFailure(t, srv)
	r := Dial(t, srv.Addr)
	const cross = "-CROSSSLOT Keys in request don't hash to the same slot\r\n"
	expect(t, r, ":1\r\n", "ZADD", "foo", "1", "a")
	expect(t, r, ":1\r\n", "ZADD", "bar", "2", "b")
	expect(t, r, cross, "ZRANGESTORE", "bar", "foo", "0", "-1")
	expect(t, r, "*2\r\n$1\r\nb\r\n$1\r\n2\r\n", "ZRANGE", "bar", "0", "-1", "WITHSCORES")
	// The keys after numkeys are found by Command.KeysOf (engine/commands.go).
	for _, c := range [][]string{
		{"ZUNION", "2", "foo", "bar"}, {"ZINTER", "2", "foo", "bar"}, {"ZDIFF", "2", "foo", "bar"}, {"ZINTERCARD", "2", "foo", "bar"},
		{"ZUNIONSTORE", "foo", "2", "foo", "bar"}, {"ZUNIONSTORE", "bar", "1", "foo"}, {"ZMPOP", "2", "foo", "bar", "MIN"}, {"LMPOP", "2", "foo", "bar", "LEFT"},
	} {
		expect(t, r, cross, c...)
	}
	expect(t, r, "*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZRANGE", "foo", "0", "-1", "WITHSCORES")
}

// TestZSetLargeScanAndRandom checks ZSCAN over a set too large to come in
// one step (with members added and removed between steps: every member
// present throughout is returned) and ZRANDMEMBER's picks against the set.
func TestZSetLargeScanAndRandom(t *testing.T) {
	srv := StartServer(t)
	logOnFailure(t, srv)
	ctx := context.Background()
	c := srv.Client(t, 2)
	const n = 3000
	var zs []redis.Z
	scores := map[string]float64{}
	for i := 0; i < n; i++ {
		m := "member:" + strconv.Itoa(i*7)
		zs = append(zs, redis.Z{Score: float64(i % 50), Member: m})
		scores[m] = float64(i % 50)
	}
	if err := c.ZAdd(ctx, "big", zs...).Err(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var cursor uint64
	steps := 0
	for {
		kv, next, err := c.ZScan(ctx, "big", cursor, "", 100).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(kv)%2 != 0 {
			t.Fatalf("odd ZSCAN reply %v", kv)
		}
		for i := 0; i < len(kv); i += 2 {
			seen[kv[i]]++
			if s, ok := scores[kv[i]]; ok && strconv.FormatFloat(s, 'f', -1, 64) != kv[i+1] {
				t.Fatalf("ZSCAN %s score %s, want %v", kv[i], kv[i+1], s)
			}
		}
		if err := c.ZAdd(ctx, "big", redis.Z{Score: 1, Member: fmt.Sprintf("new:%d", steps)}).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ZRem(ctx, "big", "member:"+strconv.Itoa((n-1-steps)*7)).Err(); err != nil {
			t.Fatal(err)
		}
		steps++
		if cursor = next; cursor == 0 {
			break
		}
		if steps > 10000 {
			t.Fatal("ZSCAN does not end")
		}
	}
	if steps < 5 {
		t.Errorf("ZSCAN of %d members took %d steps of COUNT 100", n, steps)
	}
	for i := 0; i < n-steps; i++ {
		if m := "member:" + strconv.Itoa(i*7); seen[m] == 0 {
			t.Fatalf("%s present throughout was not returned", m)
		}
	}
	card, err := c.ZCard(ctx, "big").Result()
	if err != nil {
		t.Fatal(err)
	}
	members, err := c.ZRange(ctx, "big", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	in := map[string]bool{}
	for _, m := range members {
		in[m] = true
	}
	one, err := c.ZRandMember(ctx, "big", 1).Result()
	if err != nil || len(one) != 1 || !in[one[0]] {
		t.Fatalf("ZRANDMEMBER 1: %v %v", one, err)
	}
	distinct, err := c.ZRandMember(ctx, "big", 500).Result()
	if err != nil || len(distinct) != 500 {
		t.Fatalf("ZRANDMEMBER 500: %d %v", len(distinct), err)
	}
	uniq := map[string]bool{}
	for _, m := range distinct {
		if !in[m] || uniq[m] {
			t.Fatalf("ZRANDMEMBER 500 returned %q (member %v, repeated %v)", m, in[m], uniq[m])
		}
		uniq[m] = true
	}
	withScores, err := c.ZRandMemberWithScores(ctx, "big", -2000).Result()
	if err != nil || len(withScores) != 2000 {
		t.Fatalf("ZRANDMEMBER -2000 WITHSCORES: %d %v", len(withScores), err)
	}
	for _, z := range withScores {
		m := z.Member.(string)
		if !in[m] {
			t.Fatalf("ZRANDMEMBER picked %q, not a member", m)
		}
		if want, ok := scores[m]; ok && want != z.Score {
			t.Fatalf("ZRANDMEMBER %s score %v, want %v", m, z.Score, want)
		}
	}
	all, err := c.ZRandMember(ctx, "big", int(card)+10).Result()
	if err != nil || int64(len(all)) != card {
		t.Fatalf("ZRANDMEMBER beyond the size: %d of %d, %v", len(all), card, err)
	}
	sort.Strings(all)
	sort.Strings(members)
	if strings.Join(all, ",") != strings.Join(members, ",") {
		t.Fatal("ZRANDMEMBER beyond the size is not the whole set")
	}
}
