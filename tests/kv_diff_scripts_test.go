package tests

// Scripts for the differential test (see kv_diff_test.go for the syntax).
// Absolute expiry times are either long past (1) or far in the future
// (4102444800 = 2100-01-01), so replies do not depend on the clock; relative
// TTLs are compared by reply type only.

var stringDiffScripts = []diffScript{
	{"get-set", `
GET missing
SET k v
GET k
SET k ""
GET k
STRLEN k
SET "" empty-key
GET ""
SET k "a\x00b\r\nc"
GET k
STRLEN k
set k lower
GeT k
GET
GET a b
SET k
SET
`},
	{"set-nx-xx-get", `
SET k v NX
SET k w NX
GET k
SET k w XX
GET k
SET nokey v XX
GET nokey
SET k v1 GET
SET k v2 NX GET
GET k
SET nokey2 v NX GET
GET nokey2
SET nokey3 v XX GET
EXISTS nokey3
SET k v3 XX GET
GET k
SET k v nx nx
SET k v xx xx
SET k v get get
SET k v NX XX
SET k v XX NX
SET k v nx xx get
SET k v foo
SET k v NX foo
`},
	{"set-expire-options", `
SET k v EX 100
? TTL k
SET k v PX 100000
? PTTL k
SET k v EXAT 4102444800
EXPIRETIME k
PEXPIRETIME k
SET k v PXAT 4102444800123
PEXPIRETIME k
EXPIRETIME k
SET k v KEEPTTL
PEXPIRETIME k
SET k v2
TTL k
SET k v EX 0
SET k v EX -1
SET k v PX 0
SET k v EXAT 0
SET k v PXAT -5
SET k v EX abc
SET k v EX 1.5
SET k v EX " 10"
SET k v EX 9223372036854775807
SET k v EX 9223372036854775
SET k v EX 9223372036854776
SET k v PX 9223372036854775807
SET k v EXAT 9223372036854775
SET k v EXAT 9223372036854776
SET k v PXAT 9223372036854775807
PEXPIRETIME k
SET k v EX
SET k v PX
SET k v EX 10 PX 10
SET k v PX 10 EX 10
SET k v EX 10 EXAT 4102444800
SET k v EXAT 4102444800 PXAT 4102444800000
SET k v KEEPTTL EX 10
SET k v EX 10 KEEPTTL
SET k v PERSIST
SET k v KEEPTTL KEEPTTL
TTL k
SET k v EX 100 EX 200
? TTL k
SET k v PX 100 PX 100000
? PTTL k
SET k v EXAT 4102444800 EXAT 4102444801
EXPIRETIME k
SET k v PXAT 4102444800000 PXAT 4102444800001
PEXPIRETIME k
SET k v ex 10 nx
SET k v xx px 10 get
`},
	{"set-expire-in-past", `
SET k v EXAT 1
GET k
EXISTS k
SET k v PXAT 1
GET k
SET k old
SET k new PXAT 1 GET
GET k
SET k old
SET k new EXAT 1 XX
EXISTS k
SET k old EX 100
SET k new KEEPTTL
? TTL k
GET k
SET k2 v KEEPTTL
TTL k2
`},
	{"setnx-setex-psetex", `
SETNX k v
SETNX k w
GET k
SETNX k
SETEX k 100 v2
GET k
? TTL k
SETEX k 0 v
SETEX k -10 v
SETEX k abc v
SETEX k 9223372036854775807 v
SETEX k 10
PSETEX k 100000 v3
GET k
? PTTL k
PSETEX k 0 v
PSETEX k -1 v
PSETEX k 9223372036854775807 v
PSETEX k 1.5 v
GET k
`},
	{"getset-getdel", `
GETSET k v
GETSET k w
GET k
SET k v EX 100
GETSET k w
TTL k
GETDEL k
GETDEL k
EXISTS k
GETDEL
GETDEL a b
GETSET k
`},
	{"getex", `
GETEX missing
GETEX missing EX 10
GETEX missing EX -1
GETEX missing EX abc
GETEX missing PERSIST
GETEX missing FOO
SET k v
GETEX k
TTL k
GETEX k EX 100
? TTL k
GETEX k PX 100000
? PTTL k
GETEX k EXAT 4102444800
EXPIRETIME k
GETEX k PXAT 4102444800123
PEXPIRETIME k
GETEX k PERSIST
TTL k
GETEX k PERSIST
GETEX k EX 0
GETEX k EX -1
GETEX k PX 0
GETEX k EXAT -1
GETEX k EX abc
GETEX k EX 9223372036854775807
GETEX k EX
GETEX k EX 10 PX 10
GETEX k PERSIST EX 10
GETEX k EX 10 PERSIST
GETEX k KEEPTTL
GETEX k NX
GETEX k XX
GETEX k GET
GETEX k PERSIST PERSIST
GETEX k EX 100 EX 200
? TTL k
GETEX k EXAT 1
GET k
EXISTS k
SET k v
GETEX k PXAT 1
EXISTS k
GETEX
`},
	{"mget-mset", `
MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 foo 8 bar 9
MGET a b c d e f g foo bar missing
MGET missing
MGET foo foo bar foo
MSET a 10
MGET a
MSET a
MSET a 1 b
MSET foo 1 bar
MSET foo 1 bar 2 baz
MSET
MGET
MSET foo x foo y
GET foo
SET ttl v EX 100
MSET ttl v2
TTL ttl
MSET "" empty bar ""
MGET "" bar
MSET {t}a 1 a 2 {t}b 3 foo 4 {t}a 5 bar 6 baz 7 qux 8 quux 9 corge 10
MGET {t}a a {t}b foo bar baz qux quux corge missing1 missing2 {t}c
SET exp v PXAT 1
MGET exp a
GETDEL exp
`},
	{"msetnx", `
MSETNX {t}a 1 {t}b 2
MGET {t}a {t}b
MSETNX {t}a 5 {t}c 3
MGET {t}a {t}c
MSETNX {t}c 3 {t}d 4
MGET {t}c {t}d
MSETNX {t}e 1 {t}e 2
GET {t}e
MSETNX {t}x 1 {t}y
MSETNX {t}x
MSETNX
`},
	{"incr-decr", `
INCR n
INCR n
DECR n
DECR n
DECR n
INCRBY n 10
INCRBY n -20
DECRBY n 5
DECRBY n -100
GET n
INCRBY n abc
INCRBY n 1.5
INCRBY n ""
INCRBY n " 1"
INCRBY n +1
INCRBY n 01
INCRBY n -0
INCRBY n 9223372036854775808
DECRBY n abc
SET n 9223372036854775806
INCR n
INCR n
GET n
INCRBY n 0
SET n -9223372036854775807
DECR n
DECR n
DECRBY n 1
INCRBY n -1
INCRBY n 9223372036854775807
INCRBY n 9223372036854775807
SET m 0
DECRBY m -9223372036854775808
DECRBY m 9223372036854775807
DECRBY m 1
DECRBY m 1
SET m 5
INCRBY m -9223372036854775808
SET m -1
INCRBY m -9223372036854775808
SET m 1
DECRBY m -9223372036854775807
SET s hello
INCR s
DECR s
INCRBY s 1
DECRBY s 1
SET s " 1"
INCR s
SET s "1 "
INCR s
SET s 1.0
INCR s
SET s 01
INCR s
SET s +1
INCR s
SET s -0
INCR s
SET s 99999999999999999999
INCR s
SET s 123456789012345678901
INCR s
SET s ""
INCR s
SET t 10 EX 100
INCR t
? TTL t
INCR
INCR a b
INCRBY n
DECRBY
`},
	{"incrbyfloat", `
INCRBYFLOAT f 1.5
INCRBYFLOAT f 0.1
INCRBYFLOAT f -2
GET f
SET f 10.50
INCRBYFLOAT f 0.1
INCRBYFLOAT f -5
SET f 5.0e3
INCRBYFLOAT f 2.0e2
INCRBYFLOAT f 0.3
SET f 0.1
INCRBYFLOAT f 0.2
SET f 3
INCRBYFLOAT f 1
INCRBYFLOAT f 1e3
INCRBYFLOAT f -1003.5
INCRBYFLOAT f 0
INCRBYFLOAT f 1.23456789012345678
INCRBYFLOAT f abc
INCRBYFLOAT f ""
INCRBYFLOAT f " 1"
INCRBYFLOAT f "1 "
INCRBYFLOAT f nan
INCRBYFLOAT f inf
INCRBYFLOAT f -inf
INCRBYFLOAT f 1e400
INCRBYFLOAT f 0x10
GET f
SET f hello
INCRBYFLOAT f 1
SET f " 1"
INCRBYFLOAT f 1
SET f 1.5e308
INCRBYFLOAT f 1.5e308
SET f 1e-400
INCRBYFLOAT f 1
SET f 100
INCRBYFLOAT f 1e-20
SET f 2.5 EX 100
INCRBYFLOAT f 1
? TTL f
SET f 5
INCRBYFLOAT f -5
INCRBYFLOAT f -0.0001
INCRBYFLOAT f 1e20
INCRBYFLOAT f 1.5e17
INCRBYFLOAT
INCRBYFLOAT f
`},
	{"incrbyfloat-long-double", `
INCRBYFLOAT f 0x1p-3
INCRBYFLOAT f 0X.8P1
INCRBYFLOAT f 0x1.8
INCRBYFLOAT f 0x
INCRBYFLOAT f 0x1p
INCRBYFLOAT f 0xg
INCRBYFLOAT f 1e
INCRBYFLOAT f 1e+
INCRBYFLOAT f 1e+2
INCRBYFLOAT f .5
INCRBYFLOAT f 5.
INCRBYFLOAT f +5
INCRBYFLOAT f .
INCRBYFLOAT f -
INCRBYFLOAT f 1..2
INCRBYFLOAT f 1_000
INCRBYFLOAT f 0b101
INCRBYFLOAT f infinity
INCRBYFLOAT f -Infinity
INCRBYFLOAT f infin
INCRBYFLOAT f NaN
INCRBYFLOAT f "nan(1)"
INCRBYFLOAT f "1\x00"
GET f
SET f 0
INCRBYFLOAT f 1e4932
SET f 1e4932
INCRBYFLOAT f 1e4932
INCRBYFLOAT f 1e5000
INCRBYFLOAT f 1e99999999999999999999
SET f 0
INCRBYFLOAT f 1e-5000
INCRBYFLOAT f 0e99999999999999999999
INCRBYFLOAT f 1e-20
INCRBYFLOAT f -1e-20
INCRBYFLOAT f -2e-20
SET f -0
INCRBYFLOAT f 0
SET f inf
INCRBYFLOAT f 1
SET f -inf
INCRBYFLOAT f -1
SET f 9223372036854775807
INCRBYFLOAT f 1
INCRBYFLOAT f 0.5
SET f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
INCRBYFLOAT f 0.1
SET f 1
INCRBYFLOAT f 0.000000000000000005
INCRBYFLOAT f 0.000000000000000015
INCRBYFLOAT f -3.14159265358979323846
INCRBYFLOAT f 123456789.987654321
INCRBYFLOAT f 1e18
INCRBYFLOAT f -1e18
SET f 3.0e3
INCRBYFLOAT f 1
INCRBYFLOAT f 1.0e-3
`},
	{"append-strlen", `
APPEND k hello
APPEND k " world"
GET k
STRLEN k
APPEND k ""
STRLEN missing
APPEND k2 ""
EXISTS k2
GET k2
SET t v EX 100
APPEND t x
? TTL t
GET t
SET n 10
APPEND n 5
INCR n
APPEND
APPEND k
STRLEN
STRLEN a b
`},
	{"getrange-substr", `
SET k "This is a string"
GETRANGE k 0 3
GETRANGE k -3 -1
GETRANGE k 0 -1
GETRANGE k 10 100
GETRANGE k 5 3
GETRANGE k -1 -5
GETRANGE k -100 -50
GETRANGE k -100 2
GETRANGE k 2 -100
GETRANGE k 16 20
GETRANGE k 15 15
GETRANGE k 0 0
GETRANGE k -1 -1
GETRANGE k -16 -16
GETRANGE k -17 -17
GETRANGE k 0 9223372036854775807
GETRANGE k -9223372036854775808 9223372036854775807
GETRANGE k -9223372036854775808 -9223372036854775808
GETRANGE k 9223372036854775807 9223372036854775807
GETRANGE missing 0 -1
GETRANGE missing 0 10
GETRANGE missing -1 -2
GETRANGE k a 1
GETRANGE k 0 b
GETRANGE missing a 1
GETRANGE k 0
SUBSTR k 0 3
SUBSTR k -3 -1
SUBSTR missing 0 1
SUBSTR k a b
SUBSTR k 0
SET e ""
GETRANGE e 0 -1
GETRANGE e 0 0
GETRANGE e -1 0
`},
	{"setrange", `
SETRANGE k 0 hello
GET k
SETRANGE k 6 world
GET k
STRLEN k
SETRANGE k 0 J
GET k
SETRANGE k 2 ""
SETRANGE missing 5 ""
EXISTS missing
SETRANGE missing 3 x
GET missing
SETRANGE k -1 x
SETRANGE k abc x
SETRANGE k 536870912 x
SETRANGE k 536870911 xy
SETRANGE k 9223372036854775807 xy
SETRANGE k 9223372036854775807 ""
SETRANGE nokey 9223372036854775807 xy
SETRANGE nokey 536870912 ""
EXISTS nokey
SET t v EX 100
SETRANGE t 1 abc
? TTL t
GET t
SET n 12
SETRANGE n 2 3
INCR n
SETRANGE
SETRANGE k 0
`},
	{"lcs", `
MSET {t}a ohmytext {t}b mynewtext
LCS {t}a {t}b
LCS {t}a {t}b LEN
LCS {t}a {t}b IDX
LCS {t}a {t}b IDX MINMATCHLEN 4
LCS {t}a {t}b IDX MINMATCHLEN 4 WITHMATCHLEN
LCS {t}a {t}b IDX WITHMATCHLEN
LCS {t}a {t}b idx minmatchlen -5
LCS {t}a {t}b WITHMATCHLEN
LCS {t}a {t}b MINMATCHLEN 2
LCS {t}a {t}b LEN IDX
LCS {t}a {t}b IDX LEN
LCS {t}a {t}b MINMATCHLEN
LCS {t}a {t}b MINMATCHLEN abc
LCS {t}a {t}b FOO
LCS {t}a {t}missing
LCS {t}missing {t}b IDX
LCS {t}missing {t}other LEN
LCS {t}a {t}a
LCS {t}a {t}a IDX WITHMATCHLEN
MSET {t}x ABCBDAB {t}y BDCABA
LCS {t}x {t}y
LCS {t}x {t}y IDX WITHMATCHLEN
LCS {t}y {t}x IDX
MSET {t}p aaaa {t}q aa
LCS {t}p {t}q IDX
MSET {t}p "GCGCGAATG" {t}q "GCGATCCGCTA"
LCS {t}p {t}q IDX WITHMATCHLEN
LCS {t}p {t}q IDX MINMATCHLEN 3 WITHMATCHLEN
MSET {t}u abc {t}v xyz
LCS {t}u {t}v
LCS {t}u {t}v IDX
LCS {t}u {t}v LEN
LCS {t}a
LCS
`},
}

var keyDiffScripts = []diffScript{
	{"multi-keyless-and-watch", `
# Keyless commands Redis queues in a transaction, answered in EXEC's array
# in their place; with or without data commands beside them.
MULTI
PING
ECHO hello
PING "a message"
PING a b
EXEC
MULTI
SET {t}k 1
PING
INCR {t}k
ECHO ""
GET {t}k
EXEC
MULTI
TIME
? EXEC
MULTI
SET {t}k 5
TIME
? EXEC
GET {t}k
MULTI
EXEC
# A watched key changed (here by the same connection) aborts EXEC even
# when nothing or only keyless commands are queued.
WATCH {t}k
SET {t}k 2
MULTI
EXEC
WATCH {t}k
INCR {t}k
MULTI
PING
EXEC
WATCH {t}k
MULTI
EXEC
WATCH {t}k
MULTI
PING
INCR {t}k
EXEC
GET {t}k
# Errors while queueing still discard the transaction.
MULTI
PING
NOSUCHCOMMAND
EXEC
MULTI
ECHO
ECHO a b
EXEC
MULTI
SELECT 0
SELECT x
SET {t}k 6
? LASTSAVE
? EXEC
MULTI
SELECT 0
GET {t}k
EXEC
`},
	{"arity-and-case", `
SETNX k
SETNX k v w
SETEX k 10
SETEX k 10 v w
PSETEX k 10
GETEX
GETSET k v w
MGET
MSETNX k
INCRBYFLOAT k
INCRBYFLOAT k 1 2
DECR
DECR a b
INCRBY a 1 2
DECRBY a
APPEND k v w
GETRANGE k 0
GETRANGE k 0 1 2
SETRANGE k 0
SETRANGE k 0 a b
SUBSTR k
LCS k
DEL
RENAMENX k
COPY k
EXPIREAT k
PEXPIREAT k
PEXPIRE k
PTTL
PTTL a b
EXPIRETIME a b
PERSIST a b
KEYS
SCAN
RANDOMKEY x
DBSIZE x
TYPE
NOSUCHCMD k v
set k v Ex 100 Nx
? ttl k
GeTeX k pX 100000
? pTtL k
gEtEx k PeRsIsT
TtL k
SET k v eXaT 4102444800 kEePtTl
SET k v KeEpTtL gEt
ExPiRe k 100 nX
? TTL k
ExPiRe k 200 Gt
? TTL k
ExPiRe k 300 fOo
MSET {t}a abc {t}b abd
lCs {t}a {t}b iDx MiNmAtChLeN 1 wItHmAtChLeN
lcs {t}a {t}b lEn
CoPy {t}a {t}b rEpLaCe Db 0
GET {t}b
fLuShDb aSyNc
`},
	{"del-exists-touch-unlink", `
MSET a 1 b 2 c 3 foo 4 bar 5
EXISTS a
EXISTS a b c foo bar missing
EXISTS a a a
DEL a missing
DEL a
EXISTS a
TOUCH b c foo bar missing
TOUCH missing
UNLINK b c missing
UNLINK b
EXISTS b c foo bar
DEL foo bar foo
EXISTS foo bar
DEL
EXISTS
TOUCH
UNLINK
SET x v
DEL x x x
`},
	{"type", `
TYPE missing
SET k v
TYPE k
SET k 123
TYPE k
TYPE
TYPE a b
`},
	{"rename", `
SET {t}a 1
RENAME {t}a {t}b
EXISTS {t}a
GET {t}b
RENAME {t}missing {t}b
RENAME {t}b {t}b
GET {t}b
RENAME {t}missing {t}missing
SET {t}c 3
RENAME {t}b {t}c
GET {t}c
EXISTS {t}b
SET {t}ttl v EX 100
RENAME {t}ttl {t}moved
? TTL {t}moved
SET {t}d v EXAT 4102444800
SET {t}e v
RENAME {t}e {t}d
TTL {t}d
RENAME {t}a
RENAME {t}a {t}b {t}c
`},
	{"renamenx", `
SET {t}a 1
RENAMENX {t}a {t}b
GET {t}b
SET {t}c 3
RENAMENX {t}b {t}c
GET {t}b
GET {t}c
RENAMENX {t}b {t}b
RENAMENX {t}missing {t}x
RENAMENX {t}missing {t}missing
SET {t}ttl v EXAT 4102444800
RENAMENX {t}ttl {t}moved
EXPIRETIME {t}moved
RENAMENX {t}a
`},
	{"copy", `
SET {t}src hello
COPY {t}src {t}dst
GET {t}dst
COPY {t}src {t}dst
SET {t}src world
COPY {t}src {t}dst
GET {t}dst
COPY {t}src {t}dst REPLACE
GET {t}dst
COPY {t}src {t}dst replace replace
COPY {t}missing {t}dst
COPY {t}missing {t}dst REPLACE
GET {t}dst
COPY {t}src {t}src
COPY {t}missing {t}missing
COPY {t}src {t}dst FOO
COPY {t}src {t}dst DB
COPY {t}src {t}dst DB abc
COPY {t}src {t}dst DB -1
COPY {t}src {t}dst DB 16
COPY {t}src {t}dst DB 2147483648
COPY {t}src {t}dst DB -2147483649
COPY {t}src {t}dst DB 99999999999999999999
COPY {t}src {t}src DB 2147483648
COPY {t}src {t}dst DB 1.5
COPY {t}src {t}dst DB 0 REPLACE
COPY {t}src {t}new DB 0
GET {t}new
SET {t}ttl v EXAT 4102444800
COPY {t}ttl {t}ttlcopy
EXPIRETIME {t}ttlcopy
SET {t}plain v
COPY {t}plain {t}ttlcopy REPLACE
TTL {t}ttlcopy
COPY {t}src
`},
	{"expire-basic", `
EXPIRE missing 100
SET k v
EXPIRE k 100
? TTL k
PEXPIRE k 100000
? PTTL k
EXPIREAT k 4102444800
TTL missing
PTTL missing
EXPIRETIME missing
PEXPIRETIME missing
EXPIRETIME k
PEXPIRETIME k
PEXPIREAT k 4102444800123
EXPIRETIME k
PEXPIRETIME k
PEXPIREAT k 4102444800499
EXPIRETIME k
PEXPIREAT k 4102444800500
EXPIRETIME k
PEXPIREAT k 4102444800999
EXPIRETIME k
PERSIST k
PERSIST k
TTL k
PTTL k
EXPIRETIME k
PEXPIRETIME k
PERSIST missing
EXPIRE k abc
EXPIRE k 1.5
EXPIRE k ""
EXPIRE k 9223372036854775807
EXPIRE k -9223372036854775807
EXPIRE k 9223372036854775
EXPIRE k 9223372036854776
PEXPIRE k 9223372036854775807
EXPIREAT k 9223372036854775807
EXPIREAT k 9223372036854776
EXPIREAT k 9223372036854775
PEXPIRETIME k
PEXPIREAT k 9223372036854775807
PEXPIRETIME k
EXPIRETIME k
EXPIRE
EXPIRE k
TTL
TTL a b
PERSIST
EXPIRETIME
PEXPIRETIME a b
`},
	{"expire-past", `
SET k v
EXPIRE k -1
EXISTS k
SET k v
EXPIRE k 0
EXISTS k
SET k v
PEXPIRE k 0
EXISTS k
SET k v
EXPIREAT k 1
EXISTS k
SET k v
PEXPIREAT k 1
GET k
SET k v
EXPIRE k -9223372036854775
EXISTS k
SET k v
EXPIRE k -9223372036854776
EXISTS k
SET k v
PEXPIRE k -9223372036854775808
EXISTS k
SET k v
EXPIREAT k -1
EXISTS k
EXPIRE k -1
`},
	{"expire-nx-xx-gt-lt", `
SET k v
EXPIRE k 100 XX
TTL k
EXPIRE k 100 GT
TTL k
EXPIRE k 100 NX
? TTL k
EXPIRE k 200 NX
EXPIRE k 200 XX
? TTL k
EXPIRE k 100 GT
EXPIRE k 300 GT
? TTL k
EXPIRE k 400 LT
EXPIRE k 50 LT
? TTL k
EXPIRE k 50 lt xx
EXPIRE k 20 lt xx
EXPIRE k 500 gt xx
PERSIST k
EXPIRE k 100 LT
? TTL k
PERSIST k
EXPIREAT k 4102444800 NX
EXPIREAT k 4102444801 GT
EXPIRETIME k
EXPIREAT k 4102444801 GT
EXPIREAT k 4102444801 LT
EXPIREAT k 4102444800 LT
EXPIRETIME k
PEXPIREAT k 4102444800000 LT
PEXPIREAT k 4102444799999 LT
PEXPIRETIME k
EXPIRE k 100 NX XX
EXPIRE k 100 NX GT
EXPIRE k 100 NX LT
EXPIRE k 100 XX NX
EXPIRE k 100 GT LT
EXPIRE k 100 LT GT
EXPIRE k 100 GT XX LT
EXPIRE k 100 FOO
EXPIRE k 100 NX FOO
EXPIRE k abc FOO
EXPIRE k abc NX XX
EXPIRE k abc GT
EXPIRE missing 100 NX
EXPIRE missing abc NX
EXPIRE k 100 nx nx
PEXPIRETIME k
EXPIREAT k 1 GT
EXISTS k
EXPIREAT k 1 LT
EXISTS k
SET k v EXAT 4102444800
EXPIREAT k 1 GT
EXPIREAT k 1 LT
EXISTS k
`},
	{"keys", `
MSET one 1 two 2 three 3 four 4 {t}a 5 {t}b 6 "" 7 "a*b" 8 "a?b" 9 "a[b" 10 "a\\b" 11 hello 12 hallo 13 hxllo 14 hllo 15 heeeello 16
! KEYS *
! KEYS *o*
! KEYS t*
! KEYS *e
! KEYS ???
! KEYS h?llo
! KEYS h*llo
! KEYS h[ae]llo
! KEYS h[^e]llo
! KEYS h[a-b]llo
! KEYS h[b-a]llo
! KEYS {t}*
! KEYS "\\{t\\}*"
! KEYS "a\\*b"
! KEYS "a\\?b"
! KEYS "a\\[b"
! KEYS "a\\\\b"
! KEYS "a[\\]]b"
! KEYS "a[*"
! KEYS "a["
! KEYS "h[a-"
! KEYS "*\\"
! KEYS ""
! KEYS nomatch*
! KEYS "**o**"
! KEYS "*[lr]*"
! KEYS "a[]b"
! KEYS "a[^]b"
! KEYS "a[^]*"
! KEYS "a[\\"
! KEYS "[a-]*"
! KEYS "[-a]*"
! KEYS "*["
! KEYS "?*?"
! KEYS "\\"
! KEYS "a\\"
! KEYS "*\\b"
! KEYS "[h][e-e]*[o]"
! KEYS "h*l*l*o"
! KEYS "h*e*e*e*e*l*o"
! KEYS "*?*?*?*?*?*?*?*?*"
! SCAN 0 COUNT 1000
! SCAN 0 mAtCh "*" cOuNt 1000 tYpE StRiNg
! SCAN 0 MATCH h?llo COUNT 1000
! SCAN 0 MATCH "a\\*b" COUNT 1000
SCAN 0 MATCH * COUNT 1000 TYPE hash
KEYS
KEYS a b
`},
	{"keys-high-bytes", `
MSET "\x80" 1 "\xff" 2 "\x00" 3 a 4 "\x7f" 5 "a\xe9" 6
! KEYS "[\x00-\xff]"
! KEYS "[a-\xff]"
! KEYS "[\x80-\xff]"
! KEYS "[\xff-\x80]"
! KEYS "a[\xe0-\xf0]"
! KEYS "?"
! KEYS "[^a]"
`},
	{"scan-errors", `
SCAN abc
SCAN -1x
SCAN " 0"
SCAN 0 COUNT 0
SCAN 0 COUNT -1
SCAN 0 COUNT abc
SCAN 0 MATCH
SCAN 0 COUNT
SCAN 0 TYPE
SCAN 0 FOO bar
SCAN 0 MATCH * FOO
SCAN
SCAN 0 MATCH nothing*
SCAN 0 TYPE nosuchtype
SCAN 0 TYPE hash
`},
	{"dbsize-flush-randomkey", `
DBSIZE
RANDOMKEY
MSET a 1 b 2 c 3 foo 4 bar 5
DBSIZE
SET a 2
DBSIZE
DEL a
DBSIZE
SET only v
DEL b c foo bar
RANDOMKEY
FLUSHDB
DBSIZE
RANDOMKEY
MSET a 1 b 2
FLUSHDB ASYNC
DBSIZE
MSET a 1 b 2
FLUSHDB sync
DBSIZE
MSET a 1 b 2
FLUSHALL
DBSIZE
FLUSHALL ASYNC
FLUSHALL SYNC
FLUSHDB FOO
FLUSHALL FOO
FLUSHDB ASYNC SYNC
DBSIZE 1
RANDOMKEY 1
`},
}

// bigValueScripts hold requests larger than one 64 KiB network read; see
// TestDiffBigValues.
var bigValueScripts = []diffScript{
	{"big-values", `
SET big "` + bigValue + `"
STRLEN big
GETRANGE big 65530 65545
APPEND big "` + bigValue + `"
STRLEN big
GETRANGE big -10 -1
SETRANGE big 200000 x
STRLEN big
GETRANGE big 131070 131075
SETRANGE big 5 "` + bigValue + `"
STRLEN big
MSET {t}x "` + bigValue + `" {t}y "` + bigValue[1000:] + `"
LCS {t}x {t}y LEN
`},
}

// bigValue is 64 KiB of varied printable bytes.
var bigValue = func() string {
	b := make([]byte, 64*1024)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[(i*7+i/13)%36]
	}
	return string(b)
}()
