package tests

import (
	"strings"
	"testing"
)

// multiRegion makes a single-node test server split the slots into 16
// Regions, as a cluster does by default. Tests of what happens across
// Regions (CROSSSLOT, commands split and gathered per Region, SCAN's
// cursor over Regions) use it; the default single node has one Region.
var multiRegion = []string{"--regions", "16"}

// anyKeyScripts run multi-key commands on unrelated keys (no hash tags).
// Redis takes them on any keys; so must the default single node. With 16
// Regions most of these key pairs are in different Regions
// (TestDefaultSingleNodeTakesAnyKeys checks that), where the commands answer
// -CROSSSLOT.
var anyKeyScripts = []diffScript{
	{"rename-copy-msetnx", `
SET src v1
RENAME src dst
GET dst
EXISTS src
SET src v2
RENAMENX src dst
COPY dst other
GET other
MSETNX a 1 b 2 c 3
MSETNX c 9 d 4
MGET a b c d
`},
	{"lists-move", `
RPUSH queue j1 j2 j3
RPOPLPUSH queue jobs
LMOVE queue jobs LEFT RIGHT
LRANGE queue 0 -1
LRANGE jobs 0 -1
BLMOVE jobs queue RIGHT LEFT 0.1
BRPOPLPUSH queue jobs 0.1
LRANGE queue 0 -1
LRANGE jobs 0 -1
LMPOP 2 nolist jobs LEFT
`},
	{"sets-and-zsets", `
SADD s1 a b c
SADD s2 b c d
SMOVE s1 s2 a
!SUNION s1 s2
!SINTER s1 s2
!SDIFF s2 s1
SUNIONSTORE dst s1 s2
SINTERSTORE dst2 s1 s2
SDIFFSTORE dst3 s2 s1
SINTERCARD 2 s1 s2
ZADD z1 1 a 2 b
ZADD z2 3 b 4 c
ZUNIONSTORE zu 2 z1 z2
ZRANGE zu 0 -1 WITHSCORES
ZINTERSTORE zi 2 z1 z2 WEIGHTS 2 3
ZRANGE zi 0 -1 WITHSCORES
ZDIFF 2 z1 z2
ZRANGESTORE zr z1 0 -1
ZRANGE zr 0 -1
`},
	{"strings-bits-hll", `
SET k1 foobar
SET k2 abcdef
BITOP AND band k1 k2
GET band
LCS k1 k2
PFADD h1 a b c
PFADD h2 c d
PFCOUNT h1 h2
PFMERGE h3 h1 h2
PFCOUNT h3
`},
	{"multi-exec-watch", `
SET acct1 100
SET acct2 0
WATCH acct1 acct2
MULTI
DECRBY acct1 30
INCRBY acct2 30
EXEC
MGET acct1 acct2
MULTI
SET x 1
SET y 2
LPUSH l1 a
EXEC
MGET x y
`},
}

// TestDefaultSingleNodeTakesAnyKeys: the default single node (one Region)
// answers multi-key commands on unrelated keys as redis-server does, plain
// and pipelined.
func TestDefaultSingleNodeTakesAnyKeys(t *testing.T) {
	// The scripts' key pairs must span Regions of a 16-Region layout, or
	// this test would pass with 16 Regions too.
	for _, pair := range [][2]string{{"src", "dst"}, {"queue", "jobs"}, {"s1", "s2"}, {"z1", "z2"}, {"k1", "k2"}, {"acct1", "acct2"}} {
		if regionOf(pair[0]) == regionOf(pair[1]) {
			t.Fatalf("keys %q and %q share a Region of 16: pick keys that do not", pair[0], pair[1])
		}
	}
	multi := StartServer(t, multiRegion...)
	if got := Dial(t, multi.Addr).Do("RENAME", "src", "dst"); got != "-CROSSSLOT Keys in request don't hash to the same slot\r\n" {
		t.Fatalf("RENAME across Regions of a 16-Region node: %q", got)
	}
	neo := StartServer(t)
	logOnFailure(t, neo)
	ref := StartRedis(t)
	// One Region holding every slot, in CLUSTER SLOTS as in NEOKV REGIONS.
	if got := Dial(t, neo.Addr).Do("CLUSTER", "SLOTS"); !strings.HasPrefix(got, "*1\r\n*3\r\n:0\r\n:16383\r\n") {
		t.Fatalf("CLUSTER SLOTS of the default single node: %q", got)
	}
	t.Run("plain", func(t *testing.T) { runDiffScriptsOn(t, neo.Addr, ref, anyKeyScripts, false) })
	t.Run("pipelined", func(t *testing.T) { runDiffScriptsOn(t, neo.Addr, ref, anyKeyScripts, true) })
}
