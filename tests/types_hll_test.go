package tests

import (
	"fmt"
	"strings"
	"testing"
)

// HyperLogLog scripts for the differential runner: NeoKV keeps Redis's
// encoding, so GET of an HLL must return Redis's bytes (sparse, and dense
// once it outgrows 3000 bytes) and every count must be Redis's. GET is
// only compared before a single-key PFCOUNT of that key, which in Redis
// writes the count into the value's cache (NeoKV's PFCOUNT is a read).
func hllDiffScripts() []diffScript {
	elems := func(prefix string, from, to int) string {
		var b strings.Builder
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, " %s%d", prefix, i)
		}
		return b.String()
	}
	return []diffScript{
		{"hll-basics", `
PFADD {h}a
PFADD {h}a
GET {h}a
PFADD {h}a x y z
GET {h}a
PFADD {h}a x
PFADD {h}a x y z w
GET {h}a
PFCOUNT {h}missing
PFCOUNT {h}a {h}missing
PFCOUNT {h}a
PFADD {h}b "" "a\x00b" 1 2 3 ` + elems("e", 0, 40) + `
GET {h}b
PFCOUNT {h}a {h}b
PFMERGE {h}c {h}a {h}b
GET {h}c
PFMERGE {h}d
GET {h}d
PFMERGE {h}c {h}missing
GET {h}c
PFCOUNT {h}c
PFADD
PFCOUNT
PFMERGE
SET {h}s notanhll
PFADD {h}s x
PFCOUNT {h}s
PFCOUNT {h}a {h}s
PFMERGE {h}d {h}s
PFMERGE {h}s {h}a
# A sparse HLL cut inside an XZERO opcode: corrupt. (Redis's PFADD reads
# the string's terminating NUL as the opcode's second byte and answers 1;
# NeoKV answers INVALIDOBJ, as both do for PFCOUNT.)
SET {h}s "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT {h}s
SET {h}s "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00"
PFADD {h}s q
SET {h}s "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
PFADD {h}s q
HSET {h}h f v
PFADD {h}h x
PFCOUNT {h}h
SET {h}e "x" EX 100
PFADD {h}t x
EXPIRE {h}t 100
PFADD {h}t y
? TTL {h}t
`},
		{"hll-dense", `
PFADD {h}big` + elems("m", 0, 600) + `
GET {h}big
PFADD {h}big` + elems("m", 600, 3000) + `
STRLEN {h}big
GET {h}big
PFADD {h}sp` + elems("s", 0, 50) + `
PFMERGE {h}sp2 {h}sp
GET {h}sp2
PFMERGE {h}sp2 {h}big
STRLEN {h}sp2
GET {h}sp2
PFCOUNT {h}big {h}sp
PFCOUNT {h}big
PFCOUNT {h}sp2
PFADD {h}many` + elems("k", 0, 20000) + `
PFCOUNT {h}many
PFCOUNT {h}many {h}big {h}sp
`},
	}
}

func TestDiffHyperLogLog(t *testing.T) { runDiffScripts(t, hllDiffScripts(), false) }
