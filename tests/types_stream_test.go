package tests

import (
	"testing"
)

// Stream scripts for the differential runner. IDs are explicit wherever
// the reply shows them: "*" takes the server's clock, so those replies are
// compared by type only ('?').
var streamDiffScripts = []diffScript{
	{"stream-add-range", `
XADD {s}a 1-1 f v
XADD {s}a 1-1 f v
XADD {s}a 1-0 f v
XADD {s}a 1-2 f1 v1 f2 v2
XADD {s}a 1-* f v
XADD {s}a 2 f v
XADD {s}a 2-* f v
XADD {s}a 5-* a b
XADD {s}a 3 f v
XLEN {s}a
XLEN {s}missing
XRANGE {s}a - +
XRANGE {s}a - + COUNT 2
XRANGE {s}a - + COUNT 0
XRANGE {s}a - + COUNT -5
XRANGE {s}a 1 1
XRANGE {s}a 1-2 2
XRANGE {s}a (1-2 +
XRANGE {s}a - (2-1
XRANGE {s}a (- +
XRANGE {s}a - (+
XRANGE {s}a 3 1
XRANGE {s}a (18446744073709551615-18446744073709551615 +
XRANGE {s}a - (0-0
XRANGE {s}a abc +
XRANGE {s}a 1-x +
XRANGE {s}a - + COUNT
XRANGE {s}a - + COUNT x
XRANGE {s}a - + LIMIT 1
XRANGE {s}missing - +
XREVRANGE {s}a + -
XREVRANGE {s}a + - COUNT 2
XREVRANGE {s}a 2 1-2
XREVRANGE {s}a (5 -
XREVRANGE {s}missing + -
XADD {s}a 0-0 f v
XADD {s}a 0 f v
XADD {s}b 0-0 f v
EXISTS {s}b
XADD {s}b 0-* f v
XADD {s}b 0-* f v
XRANGE {s}b - +
XADD {s}a 10 f
XADD {s}a 10 f v g
XADD {s}a
XADD {s}a 10
XADD {s}a - f v
XADD {s}a + f v
XADD {s}a -1 f v
XADD {s}a 1-2-3 f v
XADD {s}a " 20" f v
XADD {s}a +21 f v
XADD {s}a 0x10 f v
XADD {s}a 18446744073709551616 f v
XADD {s}a 18446744073709551615-18446744073709551615 f v
XADD {s}a 18446744073709551615-* f v
XADD {s}a * f v
XRANGE {s}a (21 +
TYPE {s}a
OBJECT ENCODING {s}a
SET {s}str x
XADD {s}str 1 f v
XRANGE {s}str - +
XLEN {s}str
? XADD {s}c * f v
? XADD {s}c * f v
XLEN {s}c
XADD {s}d NOMKSTREAM 1 f v
EXISTS {s}d
XADD {s}d NOMKSTREAM * f v
XADD {s}a NOMKSTREAM 1 f v
XADD {s}e 1 "" "" "a\x00b" "\xff"
XRANGE {s}e - +
`},
	{"stream-trim", `
XADD {s}t 1 f v
XADD {s}t 2 f v
XADD {s}t 3 f v
XADD {s}t 4 f v
XADD {s}t 5 f v
XADD {s}t MAXLEN 3 6 f v
XRANGE {s}t - +
XADD {s}t MAXLEN = 2 7 f v
XRANGE {s}t - +
XADD {s}t MINID 7 8 f v
XRANGE {s}t - +
XADD {s}t MINID = 9 9 f v
XRANGE {s}t - +
XADD {s}t MAXLEN 0 10 f v
XLEN {s}t
XRANGE {s}t - +
EXISTS {s}t
XADD {s}t 11 f v
XADD {s}t 12 f v
XADD {s}t 13 f v
XTRIM {s}t MAXLEN 1
XRANGE {s}t - +
XTRIM {s}t MAXLEN 5
XTRIM {s}t MINID 100
XLEN {s}t
XTRIM {s}missing MAXLEN 1
XTRIM {s}t
XTRIM {s}t FOO 1
XTRIM {s}t MAXLEN -1
XTRIM {s}t MAXLEN x
XTRIM {s}t MAXLEN 1 MINID 1
XTRIM {s}t MINID 1 MAXLEN 1
XTRIM {s}t MAXLEN 1 LIMIT 10
XTRIM {s}t MAXLEN = 1 LIMIT 10
XTRIM {s}t LIMIT 10
XTRIM {s}t LIMIT 0 MAXLEN 1
XTRIM {s}t MAXLEN ~ 1 LIMIT -1
XTRIM {s}t MINID -
XTRIM {s}t MINID 1-*
XTRIM {s}t MAXLEN 1 extra
XADD {s}t MAXLEN 1 LIMIT 5 14 f v
XADD {s}t LIMIT 5 15 f v
XADD {s}t MAXLEN 1 MINID 1 15 f v
XADD {s}t MAXLEN -1 15 f v
XADD {s}t FOO 15 f v
SET {s}str x
XTRIM {s}str MAXLEN 1
XTRIM {s}str FOO 1
`},
	{"stream-del-setid", `
XADD {s}x 1 a 1
XADD {s}x 2 b 2
XADD {s}x 3 c 3
XDEL {s}x 1 1 5
XRANGE {s}x - +
XDEL {s}x 2 x
XLEN {s}x
XDEL {s}x 2-0 3
XLEN {s}x
EXISTS {s}x
XRANGE {s}x - +
XADD {s}x 3 f v
XADD {s}x 4 f v
XDEL {s}missing x
XDEL {s}x -
XSETID {s}x 3
XSETID {s}x 10
XADD {s}x 10 f v
XADD {s}x 11 f v
XSETID {s}x 10 ENTRIESADDED 0
XSETID {s}x 20 ENTRIESADDED -1
XSETID {s}x 20 MAXDELETEDID 30
XSETID {s}x 20 MAXDELETEDID 5 ENTRIESADDED 100
XADD {s}x 20 f v
XADD {s}x 21 f v
XSETID {s}x 22 MAXDELETEDID 1
XSETID {s}missing 1
XSETID {s}x x
XSETID {s}x 30 FOO
XSETID {s}x 30 ENTRIESADDED
SET {s}str x
XSETID {s}str 1
XDEL {s}str 1
`},
	{"stream-read", `
XADD {s}r1 1 a 1
XADD {s}r1 2 b 2
XADD {s}r2 5 c 3
XREAD STREAMS {s}r1 0
XREAD STREAMS {s}r1 {s}r2 0 0
XREAD COUNT 1 STREAMS {s}r1 {s}r2 0 0
XREAD COUNT 0 STREAMS {s}r1 0
XREAD COUNT -1 STREAMS {s}r1 0
XREAD STREAMS {s}r1 {s}r2 2 4
XREAD STREAMS {s}r1 {s}r2 $ $
XREAD STREAMS {s}r1 1-1
XREAD STREAMS {s}missing 0
XREAD STREAMS {s}missing {s}r1 0 0
XREAD STREAMS {s}r1
XREAD STREAMS {s}r1 {s}r2 0
XREAD STREAMS
XREAD COUNT 1
XREAD FOO STREAMS {s}r1 0
XREAD STREAMS {s}r1 >
XREAD STREAMS {s}r1 -
XREAD STREAMS {s}r1 x
XREAD COUNT x STREAMS {s}r1 0
XREAD BLOCK x STREAMS {s}r1 0
XREAD BLOCK -1 STREAMS {s}r1 0
XREAD BLOCK 100 STREAMS {s}r1 0
XREAD GROUP g c STREAMS {s}r1 0
XREAD NOACK STREAMS {s}r1 0
SET {s}str x
XREAD STREAMS {s}str 0
XREAD STREAMS {s}r1 {s}str 0 0
XDEL {s}r1 2
XREAD STREAMS {s}r1 1
XADD {s}r1 3 z z
MULTI
XREAD BLOCK 0 STREAMS {s}r1 $
XREAD BLOCK 0 STREAMS {s}r1 0
EXEC
`},
	{"stream-resp3", `@resp3
XADD {s}r1 1 a 1
XADD {s}r2 2 b 2
XREAD STREAMS {s}r1 {s}r2 0 0
XREAD STREAMS {s}r1 $
XRANGE {s}r1 - +
XADD {s}r3 NOMKSTREAM 1 f v
`},
	{"stream-keyspace", `
XADD {s}k 1 f v
XADD {s}k 2 g w
COPY {s}k {s}k2
XRANGE {s}k2 - +
XADD {s}k2 3 h x
XLEN {s}k
XLEN {s}k2
RENAME {s}k {s}k3
XRANGE {s}k3 - +
EXISTS {s}k
TYPE {s}k3
! SCAN 0 TYPE stream COUNT 100
PEXPIRE {s}k3 100000
XADD {s}k3 5 f v
? PTTL {s}k3
DEL {s}k3
XADD {s}k3 1 f v
XRANGE {s}k3 - +
SORT {s}k3
`},
}

func TestDiffStream(t *testing.T) { runDiffScripts(t, streamDiffScripts, false) }
