package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Differential tests of Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO,
// SCRIPT LOAD/EXISTS/FLUSH/KILL/HELP) against the reference redis-server;
// see kv_diff_test.go for the script syntax. Each Lua body is one quoted
// argument, so "\n" in it is a newline of the Lua source (error replies
// carry the line number and the sha1 of the exact body).
//
// The script cache survives FLUSHALL, and runDiffScripts runs all scripts
// on one server pair, so scripts that look at the cache (SCRIPT EXISTS,
// NOSCRIPT) start with SCRIPT FLUSH. Every key a script touches is passed
// in KEYS, and keys used together by one script share a hash tag ({t}).

var scriptDiffScripts = []diffScript{
	{"lua-to-resp-scalars", `
EVAL "return 42" 0
EVAL "return -7" 0
EVAL "return 3.99" 0
EVAL "return -3.99" 0
EVAL "return 0.5" 0
EVAL "return 1e3" 0
EVAL "return 2^53" 0
EVAL "return 'hello'" 0
EVAL "return ''" 0
EVAL "return '12'" 0
EVAL "return 'a\\0b'" 0
EVAL "return tostring(3.5)" 0
EVAL "return true" 0
EVAL "return false" 0
EVAL "return nil" 0
EVAL "return" 0
EVAL "return string.format('%d-%s', 5, 'x')" 0
EVAL "return table.concat({'a','b','c'}, ',')" 0
EVAL "return math.floor(7.9) + tonumber('42')" 0
`},
	{"lua-to-resp-tables", `
EVAL "return {1, 2, 3}" 0
EVAL "return {1, 'two', 3.7, -0.2}" 0
EVAL "return {1, 2, nil, 4}" 0
EVAL "return {1, {2, {3, 'x'}}, 'y'}" 0
EVAL "return {true, false, 1}" 0
EVAL "return {}" 0
EVAL "return {{}}" 0
EVAL "return {a=1, b=2}" 0
EVAL "return {1, 2, a=3}" 0
EVAL "local t = {} t[1] = 'a' t[3] = 'c' return t" 0
EVAL "return {1, redis.status_reply('OK'), {err='E inner'}, 'x'}" 0
`},
	{"lua-status-and-error-tables", `
EVAL "return {ok='FINE'}" 0
EVAL "return {err='My Error'}" 0
EVAL "return {err='lower thing'}" 0
EVAL "return redis.status_reply('HI')" 0
EVAL "return redis.status_reply('')" 0
EVAL "return redis.status_reply('A').ok" 0
EVAL "return redis.error_reply('boom')" 0
EVAL "return redis.error_reply('ERR boom')" 0
EVAL "return redis.error_reply('MYCODE boom')" 0
EVAL "return redis.error_reply('-ERR boom')" 0
EVAL "local t = redis.error_reply('x') return t['err']" 0
EVAL "local t = redis.error_reply('MY x') return t['err']" 0
EVAL "return redis.error_reply()" 0
EVAL "return redis.status_reply()" 0
`},
	{"resp-to-lua", `
SET {t}s hello
EVAL "return redis.call('GET', KEYS[1])" 1 {t}s
EVAL "return redis.call('GET', KEYS[1])" 1 {t}missing
EVAL "return redis.call('GET', KEYS[1]) == false" 1 {t}missing
EVAL "return type(redis.call('GET', KEYS[1]))" 1 {t}missing
EVAL "return type(redis.call('INCR', KEYS[1]))" 1 {t}n
EVAL "return redis.call('INCRBY', KEYS[1], 10) * 2" 1 {t}n
EVAL "return redis.call('GET', KEYS[1]) + 1" 1 {t}n
EVAL "return redis.call('SET', KEYS[1], 'b')" 1 {t}s
EVAL "return type(redis.call('SET', KEYS[1], 'b'))" 1 {t}s
EVAL "return redis.call('SET', KEYS[1], 'b')['ok']" 1 {t}s
EVAL "return redis.call('PING')" 0
EVAL "return redis.call('ping', 'hello')" 0
RPUSH {t}l a b c
EVAL "return redis.call('LRANGE', KEYS[1], 0, -1)" 1 {t}l
EVAL "local r = redis.call('LRANGE', KEYS[1], 0, -1) return {#r, r[1], r[3]}" 1 {t}l
EVAL "return type(redis.call('LRANGE', KEYS[1], 0, -1))" 1 {t}nolist
EVAL "return redis.call('LRANGE', KEYS[1], 0, -1)" 1 {t}nolist
EVAL "return redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])" 3 {t}s {t}missing {t}n
EVAL "local v = redis.call('MGET', KEYS[1], KEYS[2]) return v[2] == false" 2 {t}s {t}missing
EVAL "return redis.call('GeT', KEYS[1])" 1 {t}s
`},
	{"keys-and-argv", `
EVAL "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}" 2 {t}a {t}b x y
EVAL "return {#KEYS, #ARGV}" 2 {t}a {t}b x y z
EVAL "return {#KEYS, #ARGV}" 0
EVAL "return {#KEYS, #ARGV}" 0 a b
EVAL "return KEYS" 3 {t}a {t}b {t}c
EVAL "return ARGV" 1 {t}k a b c
EVAL "return KEYS[1]" 0
EVAL "return #ARGV[1]" 0 hello
EVAL "return ARGV[1] .. '-' .. ARGV[2]" 0 foo bar
EVAL "return ARGV[1]" 0 "a b"
EVAL "return ARGV[1]" 0 ""
EVAL "return 1" 0 extra args
`},
	{"writes-visible-outside", `
EVAL "return redis.call('SET', KEYS[1], ARGV[1])" 1 k v1
GET k
EVAL "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])" 1 k v2
GET k
EVAL "redis.call('SET', KEYS[1], 0.1) return redis.call('GET', KEYS[1])" 1 f
EVAL "redis.call('SET', KEYS[1], 3.0) return redis.call('GET', KEYS[1])" 1 f
EVAL "redis.call('SET', KEYS[1], -7) return redis.call('GET', KEYS[1])" 1 f
GET f
EVAL "redis.call('RPUSH', KEYS[1], 'a', 'b') return redis.call('LLEN', KEYS[1])" 1 l
LRANGE l 0 -1
EVAL "return redis.call('EXPIRE', KEYS[1], 100)" 1 k
? TTL k
EVAL "return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])" 3 {t}x {t}y {t}z
SET {t}x 1
SET {t}y 2
EVAL "return redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])" 3 {t}x {t}y {t}z
EXISTS {t}x
SET {t}bad notanint
EVAL "redis.call('SET', KEYS[1], 'partial') redis.call('INCR', KEYS[2]) return 1" 2 {t}p {t}bad
GET {t}p
`},
	{"incr-and-list-loops", `
EVAL "for i = 1, tonumber(ARGV[1]) do redis.call('INCR', KEYS[1]) end return redis.call('GET', KEYS[1])" 1 c 10
GET c
EVAL "local s = 0 for i = 1, 5 do s = s + redis.call('INCRBY', KEYS[1], i) end return s" 1 c
GET c
EVAL "for i = 1, 3 do redis.call('RPUSH', KEYS[1], 'e' .. i) end return redis.call('LRANGE', KEYS[1], 0, -1)" 1 l
LRANGE l 0 -1
EVAL "local n = 0 while true do local v = redis.call('LPOP', KEYS[1]) if not v then break end n = n + 1 end return n" 1 l
EXISTS l
EVAL "local t = {} for i = 1, 4 do t[#t+1] = redis.call('INCR', KEYS[1]) end return t" 1 c2
`},
	{"hashes-in-scripts", `
EVAL "return redis.call('HSET', KEYS[1], 'a', '1', 'b', '2', 'c', '3')" 1 h
EVAL "return redis.call('HGETALL', KEYS[1])" 1 h
HGETALL h
EVAL "local t = redis.call('HGETALL', KEYS[1]) local s = 0 for i = 2, #t, 2 do s = s + tonumber(t[i]) end return s" 1 h
EVAL "redis.call('HINCRBY', KEYS[1], 'b', 40) return redis.call('HGET', KEYS[1], 'b')" 1 h
HGET h b
EVAL "return redis.call('HMGET', KEYS[1], 'a', 'zz', 'c')" 1 h
EVAL "return redis.call('HLEN', KEYS[1])" 1 h
EVAL "return redis.call('HGETALL', KEYS[1])" 1 nohash
EVAL "return redis.call('HGET', KEYS[1], 'zz') == false" 1 h
`},
	{"numkeys-and-arity-errors", `
EVAL "return 1" -1
EVAL "return 1" 2 a
EVAL "return 1" 1
EVAL "return 1" x
EVAL "return 1" 1.5 a
EVAL "return 1" 99999999999999999999
EVAL "return 1"
EVAL
eval "return 1"
EVAL "return 1" 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff -1
EVALSHA ffffffffffffffffffffffffffffffffffffffff 5
EVALSHA ffffffffffffffffffffffffffffffffffffffff x
EVALSHA ffffffffffffffffffffffffffffffffffffffff
EVALSHA
EVAL_RO "return 1"
EVAL_RO
EVAL_RO "return 1" -1
EVALSHA_RO ffffffffffffffffffffffffffffffffffffffff 3 a
EVALSHA_RO
`},
	{"script-load-and-evalsha", `
SCRIPT FLUSH
SCRIPT LOAD "return 'hello'"
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0
EVALSHA 1B936E3FE509BCBC9CD0664897BBE8FD0CAC101B 0
SCRIPT LOAD "return 'hello'"
SCRIPT LOAD "return {KEYS[1], ARGV[1]}"
EVALSHA d006f1a90249474274c76f5be725b8f5804a346b 1 k v
EVALSHA d006f1a90249474274c76f5be725b8f5804a346b 0 v
script load "return {ok='LOADED'}"
evalsha 25b4c98e1a2ec7234021cf96a011326573720676 0
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
EVALSHA abc 0
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101bff 0
SCRIPT LOAD "return +"
EVAL "return +" 0
SCRIPT LOAD
SCRIPT LOAD a b
EVAL "return redis.sha1hex('abc')" 0
EVAL "return redis.sha1hex('')" 0
EVAL "return redis.sha1hex(ARGV[1])" 0 "return 'hello'"
EVAL "return redis.sha1hex()" 0
`},
	{"script-exists-and-flush", `
SCRIPT FLUSH
SCRIPT LOAD "return 'hello'"
SCRIPT EXISTS 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b ffffffffffffffffffffffffffffffffffffffff 1B936E3FE509BCBC9CD0664897BBE8FD0CAC101B abc
SCRIPT EXISTS
SCRIPT EXISTS 952f49ffc8f7b098d8ab5da45d3164ca36ed18b1
EVAL "return 'cached'" 0
SCRIPT EXISTS 952f49ffc8f7b098d8ab5da45d3164ca36ed18b1
EVALSHA 952f49ffc8f7b098d8ab5da45d3164ca36ed18b1 0
FLUSHALL
SCRIPT EXISTS 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b
SCRIPT FLUSH
SCRIPT EXISTS 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 952f49ffc8f7b098d8ab5da45d3164ca36ed18b1
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0
SCRIPT LOAD "return 'hello'"
SCRIPT FLUSH ASYNC
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0
SCRIPT FLUSH SYNC
SCRIPT FLUSH sync
SCRIPT FLUSH BOGUS
SCRIPT FLUSH SYNC ASYNC
`},
	{"script-kill-help-and-unknown", `
SCRIPT KILL
SCRIPT KILL x
SCRIPT
SCRIPT BOGUS
SCRIPT HELP
script help
SCRIPT HELP extra
`},
	{"eval-ro-and-evalsha-ro", `
SET k v
EVAL_RO "return redis.call('GET', KEYS[1])" 1 k
eval_ro "return redis.call('STRLEN', KEYS[1])" 1 k
EVAL_RO "return redis.call('SET', KEYS[1], 'x')" 1 k
EVAL_RO "return redis.pcall('SET', KEYS[1], 'x')" 1 k
GET k
SCRIPT LOAD "return redis.call('GET', KEYS[1])"
EVALSHA_RO d3c21d0c2b9ca22f82737626a27bcaf5d288f99f 1 k
SCRIPT LOAD "return redis.call('INCR', KEYS[1])"
EVALSHA_RO 61636018f4e6b5817b89791bbed242f93fa089e3 1 n
EXISTS n
EVALSHA 61636018f4e6b5817b89791bbed242f93fa089e3 1 n
EVALSHA_RO 61636018F4E6B5817B89791BBED242F93FA089E3 1 n
GET n
`},
	{"redis-call-errors", `
EVAL "return redis.call('NOPE')" 0
EVAL "return redis.pcall('NOPE')" 0
EVAL "local r = redis.pcall('NOPE') return r.err" 0
EVAL "return redis.call()" 0
EVAL "return redis.call('GET')" 0
EVAL "return redis.pcall('GET')" 0
EVAL "return redis.call('SET', KEYS[1])" 1 s
EVAL "return redis.call('SET', KEYS[1], true)" 1 s
EVAL "return redis.pcall('SET', KEYS[1], {})" 1 s
EVAL "return redis.call('SET', KEYS[1], 'v', 'BOGUS')" 1 s
SET s notanint
EVAL "return redis.call('INCR', KEYS[1])" 1 s
EVAL "local r = redis.pcall('INCR', KEYS[1]) return r['err']" 1 s
EVAL "local r = redis.pcall('INCR', KEYS[1]) return type(r)" 1 s
EVAL "return redis.pcall('INCR', KEYS[1])" 1 s
EVAL "redis.pcall('INCR', KEYS[1]) return 'continued'" 1 s
EVAL "return redis.call('LPUSH', KEYS[1], 'x')" 1 s
EVAL "return redis.pcall('LPUSH', KEYS[1], 'x')" 1 s
EVAL "local ok, e = pcall(redis.call, 'INCR', KEYS[1]) return {tostring(ok), e}" 1 s
GET s
`},
	{"lua-raised-errors", `
EVAL "error('x')" 0
EVAL "return error('x')" 0
EVAL "local x = 1\nlocal y = 2\nerror('line3')" 0
EVAL "local x = 1\n\nreturn redis.call('NOPE')" 0
EVAL "error({err='CUSTOM oops'})" 0
EVAL "error(redis.error_reply('MY boom'))" 0
EVAL "return x_undefined" 0
EVAL "x_global = 1" 0
# gopher-lua words runtime errors its own way: the reply type is compared.
?EVAL "local t = nil return t.x" 0
# gopher-lua words runtime errors its own way: the reply type is compared.
?EVAL "return 1 + {}" 0
EVAL "return 1 +" 0
EVAL "local x = 1\nreturn )" 0
`},
	{"scripts-cannot-call-scripting", `
EVAL "return redis.call('EVAL', 'return 1', '0')" 0
EVAL "return redis.pcall('EVAL', 'return 1', '0')" 0
EVAL "return redis.call('EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0')" 0
EVAL "return redis.call('EVAL_RO', 'return 1', '0')" 0
EVAL "return redis.call('SCRIPT', 'LOAD', 'return 1')" 0
EVAL "return redis.call('MULTI')" 0
EVAL "return redis.pcall('EXEC')" 0
`},
	{"resp3-conversions", `
@resp3
EVAL "return nil" 0
EVAL "return false" 0
EVAL "return true" 0
EVAL "return 3.99" 0
EVAL "return 'str'" 0
EVAL "return {1, false, 'a', true}" 0
EVAL "return {1, nil, 3}" 0
EVAL "return {}" 0
EVAL "return {{1}, {}}" 0
EVAL "return {ok='FINE'}" 0
EVAL "return {err='My Error'}" 0
EVAL "return redis.call('GET', KEYS[1])" 1 nokey
EVAL "return redis.call('GET', KEYS[1]) == false" 1 nokey
SET {t}a 1
EVAL "return redis.call('MGET', KEYS[1], KEYS[2])" 2 {t}a {t}missing
EVAL "return redis.call('SET', KEYS[1], 'b')" 1 k
`},
	{"resp3-hashes-and-errors", `
@resp3
HSET h a 1 b 2
EVAL "return redis.call('HGETALL', KEYS[1])" 1 h
EVAL "return type(redis.call('HGETALL', KEYS[1]))" 1 h
EVAL "return redis.call('NOPE')" 0
EVAL "return redis.pcall('NOPE')" 0
EVAL "return redis.error_reply('boom')" 0
EVAL "return redis.status_reply('HI')" 0
EVAL "error('x')" 0
SCRIPT FLUSH
SCRIPT EXISTS 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0
SCRIPT LOAD "return 'hello'"
EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0
EVAL "return 1" -1
`},
}

func TestDiffScripting(t *testing.T) {
	runDiffScripts(t, scriptDiffScripts, false)
	runDiffScripts(t, scriptDiffScripts, true)
}

// TestClusterScripts runs the scripting diff against a node of a 3-node
// cluster (scripts of Regions led elsewhere are forwarded with their body),
// then checks what only a cluster can show: every replica applies a script
// to the same bytes (math.random included), a script may not write a key
// of another Region, and a runaway script stops at its instruction limit
// on every replica alike while the node keeps serving.
func TestClusterScripts(t *testing.T) {
	c := StartCluster(t, 3)
	ref := StartRedis(t)
	t.Run("diff", func(t *testing.T) { runDiffScriptsOn(t, c.Nodes[1].Addr, ref, scriptDiffScripts, false) })

	r := Dial(t, c.Nodes[0].Addr)
	const fill = `for i = 1, 50 do redis.call('HSET', KEYS[1], 'f' .. i, math.random(1000000)) end
redis.call('RPUSH', KEYS[2], unpack(ARGV))
return redis.call('HLEN', KEYS[1])`
	for i := 0; i < 40; i++ {
		tag := fmt.Sprintf("{s%d}", i)
		if got := r.Do("EVAL", fill, "2", tag+"h", tag+"l", "a", "b", "c"); got != ":50\r\n" {
			t.Fatalf("EVAL fill %s: %q", tag, got)
		}
	}
	// A key of another Region than the script's: refused, nothing written.
	var other string
	for i := 0; ; i++ {
		other = fmt.Sprintf("other%d", i)
		if regionOf(other) != regionOf("{s0}h") {
			break
		}
	}
	got := r.Do("EVAL", "return redis.call('SET', ARGV[1], 'x')", "1", "{s0}h", other)
	if !strings.HasPrefix(got, "-ERR Script attempted to access a non local key in a cluster node script: ") {
		t.Fatalf("EVAL writing a key of another Region: %q", got)
	}
	if got := r.Do("EXISTS", other); got != ":0\r\n" {
		t.Fatalf("EXISTS %s after the refused script: %q", other, got)
	}
	// A runaway script, partly written before its end.
	r.Send(encodeCommand([]string{"EVAL", "redis.call('SET', KEYS[1], 'before') while true do end", "1", "{s1}runaway"}))
	got = r.ReadReplyWithin(2 * time.Minute)
	if !strings.HasPrefix(got, "-ERR script exceeded the limit of 100000000 Lua instructions") {
		t.Fatalf("runaway EVAL: %q", got)
	}
	if got := r.Do("GET", "{s1}runaway"); got != "$6\r\nbefore\r\n" {
		t.Fatalf("GET after the runaway script: %q", got)
	}
	if err := c.Client(t, 1).Do(context.Background(), "neokv", "checksum", "scripts").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "scripts", 16)
}

// TestScriptsCannotLeaveState: scripts share one interpreter per apply
// loop, and a replica that restarts starts a fresh one, so nothing a script
// changes may outlive it: globals, the libraries and their metatables are
// read-only, as in Redis 7. Each attempt fails, and a later script still
// sees the untouched libraries.
func TestScriptsCannotLeaveState(t *testing.T) {
	r := Dial(t, StartServer(t).Addr)
	for _, attempt := range []string{
		"string.rep = nil", "redis.call = nil", "rawset(_G, 'x', 1)", "setmetatable(_G, nil)", "KEYS = 1",
		"_G.x = 1", "table.insert = nil", "math.x = 1", "rawset(string, 'x', 1)", "rawset(redis, 'call', 1)",
		"setmetatable(string, {})", "getmetatable('').__index.rep = nil",
		"math.randomseed(42)",
	} {
		got := r.Do("EVAL", attempt, "0")
		if attempt == "math.randomseed(42)" {
			if got != "$-1\r\n" {
				t.Fatalf("EVAL %q: %q", attempt, got)
			}
			continue
		}
		if !strings.Contains(got, "Attempt to modify a readonly table") && !strings.Contains(got, "attempt to index a non-table object(boolean)") {
			t.Fatalf("EVAL %q changed shared state or failed otherwise: %q", attempt, got)
		}
	}
	check := "return {string.rep('ab', 2), type(redis.call), type(table.insert), tostring(rawget(_G, 'x')), tostring(math.x), tostring(string.x), math.random(1000000)}"
	first := r.Do("EVAL", check, "0")
	if !strings.HasPrefix(first, "*7\r\n$4\r\nabab\r\n$8\r\nfunction\r\n$8\r\nfunction\r\n$3\r\nnil\r\n$3\r\nnil\r\n$3\r\nnil\r\n:") {
		t.Fatalf("libraries after the attempts: %q", first)
	}
	// Printing a table or function gives a number counted per run, not an
	// address (which would differ between replicas).
	for i := 0; i < 2; i++ {
		got := r.Do("EVAL", "local a, b = {}, {} print(a) collectgarbage() return {tostring(a), tostring(b), string.format('%s', a), tostring(print)}", "0")
		if want := "*4\r\n$17\r\ntable: 0x00000001\r\n$17\r\ntable: 0x00000002\r\n$17\r\ntable: 0x00000001\r\n$20\r\nfunction: 0x00000003\r\n"; got != want {
			t.Fatalf("tostring of tables, run %d: %q, want %q", i, got, want)
		}
	}
	// math.random restarts from the same seed on every run.
	if again := r.Do("EVAL", check+" ", "0"); again != first {
		t.Fatalf("math.random differs between runs: %q then %q", first, again)
	}
}

// TestScriptTime: TIME inside a script answers the entry's clock (the
// leader's, stamped before the entry was proposed; the same on every
// replica), close to the server's own TIME.
func TestScriptTime(t *testing.T) {
	r := Dial(t, StartServer(t).Addr)
	before := time.Now().Unix()
	got := r.Do("EVAL", "local t = redis.call('TIME') return {type(t[1]), tonumber(t[1]), tonumber(t[2])}", "0")
	after := time.Now().Unix()
	var sec, usec int64
	if _, err := fmt.Sscanf(got, "*3\r\n$6\r\nstring\r\n:%d\r\n:%d\r\n", &sec, &usec); err != nil {
		t.Fatalf("EVAL TIME: %q (%v)", got, err)
	}
	if sec < before || sec > after || usec < 0 || usec >= 1_000_000 {
		t.Fatalf("TIME from a script = %d s %d us, outside [%d, %d]", sec, usec, before, after)
	}
}

// scriptLibDiffScripts cover the cjson and bit libraries Redis gives
// scripts (objects of one key only: cjson writes an object's keys in the
// table's hash order, which is Lua's and differs from gopher-lua's).
var scriptLibDiffScripts = []diffScript{
	{"cjson-encode", `
EVAL "return cjson.encode({1, 2, 3})" 0
EVAL "return cjson.encode({a = 1})" 0
EVAL "return cjson.encode({})" 0
EVAL "return cjson.encode('a/b\"c\\\\d\\n')" 0
EVAL "return cjson.encode(3.14159265358979)" 0
EVAL "return cjson.encode(1e20)" 0
EVAL "return cjson.encode(-0.5)" 0
EVAL "return cjson.encode({true, false, cjson.null})" 0
EVAL "return cjson.encode({1, {2, {x = 'y'}}})" 0
EVAL "return cjson.encode({[1] = 'a', [3] = 'c'})" 0
EVAL "return cjson.encode({[1] = 'a', [20] = 'c'})" 0
EVAL "return cjson.encode({[-1] = 'x'})" 0
EVAL "return cjson.encode(1/0)" 0
EVAL "return cjson.encode(function() end)" 0
`},
	{"cjson-decode-and-store", `
EVAL "local t = cjson.decode(ARGV[1]) return {t.a[1], t.a[2], t.c, tostring(t.a[3].b == cjson.null)}" 0 "{\"a\": [1, 2, {\"b\": null}], \"c\": \"d\"}"
EVAL "local t = cjson.decode('[1, 2.5, \"x\", true]') return {t[1], t[2], t[3], t[4]}" 0
EVAL "return cjson.decode('12')" 0
EVAL "redis.call('SET', KEYS[1], cjson.encode({n = tonumber(ARGV[1])})) return cjson.decode(redis.call('GET', KEYS[1])).n" 1 doc 42
GET doc
`},
	{"bit", `
EVAL "return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0)}" 0
EVAL "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tobit(2^32 + 5)}" 0
EVAL "return {bit.tohex(255), bit.tohex(-1, -4), bit.rol(0x12345678, 8), bit.bswap(0x12345678)}" 0
`},
}

func TestDiffScriptLibraries(t *testing.T) {
	runDiffScripts(t, scriptLibDiffScripts, false)
}

// scriptMultiDiffScripts: scripts queued in MULTI are checked at EXEC, as
// Redis does (an unknown SHA, a bad numkeys or a syntax error is an error
// in EXEC's array, not an aborted transaction).
var scriptMultiDiffScripts = []diffScript{
	{"scripts-in-multi", `
MULTI
EVAL "return redis.call('INCR', KEYS[1])" 1 cnt
EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
EVAL "return +" 0
EVAL "return 1" -1
EVAL "return redis.call('INCR', KEYS[1])" 1 cnt
EXEC
GET cnt
`},
}

func TestDiffScriptsInMulti(t *testing.T) {
	runDiffScripts(t, scriptMultiDiffScripts, false)
}

// TestScriptsConcurrently: many clients run read-only scripts (on their
// event loops) while others run writing scripts (in the apply loop); the
// interpreters are shared between runs, so every reply must still be its
// own script's (NEOKV_E2E_RACE=1 runs the server under the race detector).
func TestScriptsConcurrently(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		go func(g int) {
			c := srv.Client(t, 2)
			key := fmt.Sprintf("cnt:%d", g)
			for i := 1; i <= 150; i++ {
				n, err := c.Eval(ctx, "return redis.call('INCR', KEYS[1])", []string{key}).Int()
				if err != nil || n != i {
					errs <- fmt.Errorf("client %d: EVAL INCR = %d, %v; want %d", g, n, err, i)
					return
				}
				v, err := c.EvalRO(ctx, "return {redis.call('GET', KEYS[1]), ARGV[1]}", []string{key}, g).StringSlice()
				if err != nil || len(v) != 2 || v[0] != fmt.Sprint(i) || v[1] != fmt.Sprint(g) {
					errs <- fmt.Errorf("client %d: EVAL_RO = %v, %v; want [%d %d]", g, v, err, i, g)
					return
				}
			}
			errs <- nil
		}(g)
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestScriptMemoryBounded: a script cannot make strings without bound. The
// instruction limit does not stop a string doubled in a loop (one
// instruction per doubling), and every replica would run out of memory
// again replaying the entry after a restart; each run has a string budget
// (512 MB: Redis's largest string) counted where strings are made.
func TestScriptMemoryBounded(t *testing.T) {
	r := Dial(t, StartServer(t).Addr)
	for _, script := range []string{
		"local s = 'x' for i = 1, 40 do s = s .. s end return #s",
		"return #string.rep('x', 2^40)",
		"local t = {} for i = 1, 64 do t[i] = string.rep('y', 16 * 1024 * 1024) end return #t",
		"local t = {} for i = 1, 1024 do t[i] = string.rep('z', 1024 * 1024) end return #table.concat(t)",
		"local v = string.rep('v', 8 * 1024 * 1024) for i = 1, 100 do redis.call('SET', KEYS[1], v) end return 1",
	} {
		r.Send(encodeCommand([]string{"EVAL", script, "1", "big"}))
		got := r.ReadReplyWithin(2 * time.Minute)
		if !strings.Contains(got, "not enough memory: the script's strings passed its limit") {
			t.Fatalf("EVAL %q: %q", script, got)
		}
	}
	// Within the budget a script builds what it likes.
	if got := r.Do("EVAL", "local s = 'x' for i = 1, 20 do s = s .. s end return #s", "0"); got != ":1048576\r\n" {
		t.Fatalf("a 1 MiB string: %q", got)
	}
	if got := r.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after the scripts: %q", got)
	}
}
