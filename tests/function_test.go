package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Differential tests of Redis 7 Functions (FUNCTION LOAD/DELETE/FLUSH/
// LIST/STATS/KILL/HELP, FCALL, FCALL_RO) against the reference
// redis-server; see kv_diff_test.go for the script syntax. A library is one
// quoted argument starting with "#!lua name=<lib>\n", so "\n" in it is a
// newline of the Lua source and error replies carry line numbers counted
// from the shebang (line 1).
//
// The function registry belongs to the server and survives FLUSHALL, and
// runDiffScripts runs every script on one server pair, so each script
// starts with FUNCTION FLUSH. Keys one call uses together share a hash tag
// ({t}).
//
// Avoided on purpose: FUNCTION LIST of several libraries, or of a library
// with several functions, without a LIBRARYNAME pattern matching a single
// one-function library (Redis lists both from hash tables whose order
// follows a per-process random seed), plain Lua runtime error texts (the
// interpreters word them differently: compared by type only), and
// upvalues a function changes between calls.

var functionDiffScripts = []diffScript{
	{"function-load-and-fcall", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=mylib\nredis.register_function('myset', function(keys, args) return redis.call('SET', keys[1], args[1]) end)\nredis.register_function('myget', function(keys, args) return redis.call('GET', keys[1]) end)\nredis.register_function('myincr', function(keys, args) return redis.call('INCRBY', keys[1], args[1] or 1) end)\nredis.register_function('myhset', function(keys, args) redis.call('HSET', keys[1], args[1], args[2]) return redis.call('HGETALL', keys[1]) end)"
FCALL myset 1 {t}k v1
FCALL myget 1 {t}k
GET {t}k
fcall myget 1 {t}missing
FCALL MYGET 1 {t}k
FCALL myincr 1 {t}n
FCALL myincr 1 {t}n 10
GET {t}n
FCALL myhset 1 {t}h f1 a
FCALL myhset 1 {t}h f1 b
HGET {t}h f1
FCALL myset 1 {t}k "a b\nc"
GET {t}k
FLUSHALL
FCALL myget 1 {t}k
FCALL myset 1 {t}k again
FUNCTION LOAD "#!lua name=single\nredis.register_function{function_name='tget', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='d'}"
FCALL tget 1 {t}k
function load "#!lua name=lower\nredis.register_function('lowfn', function() return 'low' end)"
FCALL lowfn 0
FCALL lowfn 0 extra args
`},
	{"function-lua-to-resp", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=conv\nredis.register_function('tbl', function(keys, args) return {1, 'two', 3.7, -0.2, {keys[1], args[1]}, false, true} end)\nredis.register_function('holes', function() return {1, 2, nil, 4} end)\nredis.register_function('empty', function() return {} end)\nredis.register_function('ok', function() return {ok='FINE'} end)\nredis.register_function('st', function() return redis.status_reply('HI') end)\nredis.register_function('et', function() return {err='My Error'} end)\nredis.register_function('er', function() return redis.error_reply('MYCODE boom') end)\nredis.register_function('num', function() return 3.99 end)\nredis.register_function('nothing', function() end)\nredis.register_function('str', function(keys, args) return #keys .. '/' .. #args end)\nredis.register_function('bool', function(keys, args) return args[1] == 'yes' end)\nredis.register_function('mixed', function() return {1, redis.status_reply('OK'), {err='E inner'}, 'x'} end)"
FCALL tbl 1 {t}k v
FCALL holes 0
FCALL empty 0
FCALL ok 0
FCALL st 0
FCALL et 0
FCALL er 0
FCALL num 0
FCALL nothing 0
FCALL str 2 {t}a {t}b x y z
FCALL str 0
FCALL bool 0 yes
FCALL bool 0 no
FCALL mixed 0
`},
	{"fcall-errors-and-arity", `
FUNCTION FLUSH
FCALL nosuch 0
FUNCTION LOAD "#!lua name=ar\nredis.register_function('f', function(keys, args) return {#keys, #args} end)"
FCALL f 0
FCALL f 2 {t}a {t}b c
FCALL nosuch 0
FCALL nosuch -1
FCALL f -1
FCALL f 2 {t}a
FCALL f 1
FCALL f x
FCALL f 1.5 a
FCALL f 99999999999999999999
FCALL f ""
FCALL f
FCALL
fcall f
FCALL_RO f
FCALL_RO
FCALL_RO nosuch 0
FCALL_RO f -1
`},
	{"fcall-ro-and-no-writes", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=ro\nredis.register_function{function_name='rget', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\nredis.register_function{function_name='rset', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}\nredis.register_function{function_name='rpset', callback=function(keys) return redis.pcall('SET', keys[1], 'x') end, flags={'no-writes'}}\nredis.register_function{function_name='noflags', callback=function(keys) return redis.call('GET', keys[1]) end, flags={}}\nredis.register_function('wset', function(keys) return redis.call('SET', keys[1], 'w') end)"
SET {t}k v
FCALL_RO rget 1 {t}k
FCALL rget 1 {t}k
fcall_ro rget 1 {t}k
FCALL_RO rget 1 {t}missing
FCALL_RO rset 1 {t}k
FCALL rset 1 {t}k
FCALL rpset 1 {t}k
GET {t}k
FCALL_RO noflags 1 {t}k
FCALL noflags 1 {t}k
FCALL_RO wset 1 {t}k
GET {t}k
FCALL wset 1 {t}k
GET {t}k
`},
	{"function-load-metadata-errors", `
FUNCTION FLUSH
FUNCTION LOAD "redis.register_function('f', function() return 1 end)"
FUNCTION LOAD ""
FUNCTION LOAD "#!js name=x\nfoo"
FUNCTION LOAD "#!lua\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1"
FUNCTION LOAD "#!lua name=l1 foo=bar\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1 name=l2\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=a-b\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD
FUNCTION LOAD REPLACE
FUNCTION LOAD BOGUS "#!lua name=l4\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l4\nredis.register_function('f', function() return 1 end)" extra
FUNCTION STATS
FUNCTION LOAD "#!lua  name=Lib_09\nredis.register_function('f', function() return 1 end)"
FCALL f 0
FUNCTION STATS
`},
	{"function-load-registration-errors", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=l1\nlocal x = 1"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('a-b', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('a b', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('h', function() return 1 end)\nredis.register_function('h', function() return 2 end)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('h', 1)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('h')"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('h', function() end, 3)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function()"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{callback=function() return 1 end}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h'}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback='x'}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback=function() return 1 end, bogus=1}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback=function() return 1 end, flags={'bogus'}}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback=function() return 1 end, flags={1}}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback=function() return 1 end, flags='no-writes'}"
FUNCTION LOAD "#!lua name=l1\nredis.register_function{function_name='h', callback=function() return 1 end, description={}}"
FUNCTION STATS
FCALL h 0
`},
	{"function-load-code-errors", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=l1\nredis.call('SET', 'x', '1')"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return 1 end)\nredis.pcall('PING')"
FUNCTION LOAD "#!lua name=l1\nerror('boom')"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return 1 end)\nerror('late')"
FCALL f 0
FUNCTION LOAD "#!lua name=l1\nlocal s = string.format('%d', 1)\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nlocal s = tostring(1)\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nlocal v = redis.setresp\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nx_global = 1\nredis.register_function('f', function() return 1 end)"
# The parser's and the interpreter's message texts differ between Lua implementations: the reply type is compared.
? FUNCTION LOAD "#!lua name=l1\nreturn +"
? FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return 1 end\n"
? FUNCTION LOAD "#!lua name=l1\nlocal t = nil\nreturn t.x"
FUNCTION STATS
FUNCTION LOAD "#!lua name=l1\nlocal v = redis.log\nlocal x = 5\nredis.register_function('f', function() return x end)\nx = 7"
FCALL f 0
`},
	{"function-load-replace-and-conflicts", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return 1 end)"
FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return 2 end)"
FCALL f 0
FUNCTION LOAD REPLACE "#!lua name=l1\nredis.register_function('f', function() return 2 end)"
FCALL f 0
FUNCTION LOAD "#!lua name=l2\nredis.register_function('f', function() return 3 end)"
FUNCTION LOAD REPLACE "#!lua name=l2\nredis.register_function('f', function() return 3 end)"
FUNCTION LOAD "#!lua name=l2\nredis.register_function('F', function() return 3 end)"
FUNCTION LOAD "#!lua name=l2\nredis.register_function('g', function() return 3 end)\nredis.register_function('f', function() return 3 end)"
FCALL g 0
FUNCTION LOAD replace "#!lua name=l1\nredis.register_function('h', function() return 4 end)"
FCALL f 0
FCALL h 0
FUNCTION LOAD REPLACE "#!lua name=l1\nredis.register_function('h', function() return 5 end)\nredis.register_function('h', function() return 6 end)"
FCALL h 0
FUNCTION LOAD "#!lua name=l2\nredis.register_function('f', function() return 7 end)"
FCALL f 0
FUNCTION LOAD "#!lua name=L2\nredis.register_function('g', function() return 8 end)"
FCALL G 0
FUNCTION STATS
`},
	{"function-delete-and-flush", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=d1\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)"
FUNCTION LOAD "#!lua name=d2\nredis.register_function('f3', function() return 3 end)"
FUNCTION STATS
FUNCTION DELETE D1
FUNCTION DELETE d1
FCALL f1 0
FCALL f3 0
FUNCTION DELETE d1
FUNCTION DELETE
FUNCTION DELETE d2 extra
function delete d2
FUNCTION STATS
FUNCTION LIST
FUNCTION LOAD "#!lua name=d3\nredis.register_function('f3', function() return 33 end)"
FUNCTION FLUSH ASYNC
FCALL f3 0
FUNCTION LOAD "#!lua name=d3\nredis.register_function('f3', function() return 34 end)"
FUNCTION FLUSH SYNC
FUNCTION FLUSH sync
FUNCTION FLUSH async
FUNCTION FLUSH BOGUS
FUNCTION FLUSH SYNC ASYNC
function flush sync async
FUNCTION STATS
`},
	{"function-list", `
FUNCTION FLUSH
FUNCTION LIST
FUNCTION LOAD "#!lua name=listlib\nredis.register_function{function_name='getter', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'allow-stale', 'no-writes'}, description='a getter'}"
FUNCTION LIST
FUNCTION LIST WITHCODE
function list withcode
FUNCTION LOAD "#!lua name=plain\nredis.register_function('pf', function() return 1 end)"
FUNCTION LIST LIBRARYNAME plain
FUNCTION LIST LIBRARYNAME list*
FUNCTION LIST LIBRARYNAME LIST*
FUNCTION LIST LIBRARYNAME p?ai[lnm]
FUNCTION LIST LIBRARYNAME nomatch*
FUNCTION LIST WITHCODE LIBRARYNAME pla*
FUNCTION LIST LIBRARYNAME plain WITHCODE
FUNCTION LOAD "#!lua name=flagged\nredis.register_function{function_name='all', callback=function() return 1 end, flags={'allow-cross-slot-keys', 'no-cluster', 'allow-stale', 'allow-oom', 'no-writes'}, description=''}"
FUNCTION LIST LIBRARYNAME flagged
FUNCTION LOAD "#!lua name=noflags\nredis.register_function{function_name='nf', callback=function() return 1 end, flags={}}"
FUNCTION LIST LIBRARYNAME noflags
`},
	{"function-list-bad-arguments", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=lb\nredis.register_function('f', function() return 1 end)"
FUNCTION LIST LIBRARYNAME
FUNCTION LIST withcode libraryname
FUNCTION LIST LIBRARYNAME a b
FUNCTION LIST BOGUS
FUNCTION LIST WITHCODE WITHCODE
FUNCTION LIST LIBRARYNAME a LIBRARYNAME b
FUNCTION LIST LIBRARYNAME lb
`},
	{"function-list-resp3", `
@resp3
FUNCTION FLUSH
FUNCTION LIST
FUNCTION LOAD "#!lua name=listlib\nredis.register_function{function_name='getter', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes', 'allow-stale'}, description='a getter'}"
FUNCTION LIST
FUNCTION LIST WITHCODE
FUNCTION LOAD "#!lua name=plain\nredis.register_function('pf', function() return 1 end)"
FUNCTION LIST LIBRARYNAME plain
FUNCTION LIST WITHCODE LIBRARYNAME pla*
FUNCTION LIST LIBRARYNAME nomatch*
FUNCTION LIST BOGUS
FUNCTION STATS
FUNCTION KILL
FUNCTION DELETE nosuch
FUNCTION FLUSH BOGUS
FUNCTION FLUSH
FUNCTION STATS
`},
	{"function-stats-kill-help", `
FUNCTION FLUSH
FUNCTION STATS
FUNCTION LOAD "#!lua name=s1\nredis.register_function('f1', function() return 1 end)\nredis.register_function('f2', function() return 2 end)"
FUNCTION STATS
FUNCTION STATS x
Function Stats x
FUNCTION KILL
FUNCTION KILL x
FUNCTION HELP
function help
FUNCTION HELP x
FUNCTION
FUNCTION BOGUS
function bogus
FUNCTION DUMPX
FCALL f1 0
`},
	{"errors-inside-functions", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=errs\nredis.register_function('raise', function(keys, args)\n  error('x')\nend)\nredis.register_function('badcall', function(keys, args)\n  return redis.call('NOPE')\nend)\nredis.register_function('incr', function(keys, args) return redis.call('INCR', keys[1]) end)\nredis.register_function('idx', function(keys, args) local t = nil return t.x end)\nredis.register_function('raiset', function() error({err='CUSTOM raised'}) end)\nredis.register_function('raiser', function() error(redis.error_reply('MY boom')) end)\nredis.register_function('pc', function(keys) return redis.pcall('INCR', keys[1]) end)\nredis.register_function('pcerr', function(keys) return redis.pcall('INCR', keys[1]).err end)\nredis.register_function('glob', function() x_global = 1 end)\nredis.register_function('undef', function() return x_undef end)\nredis.register_function('keysg', function() return KEYS end)\nredis.register_function('arity', function(keys) return redis.call('GET') end)\nredis.register_function('wrongtype', function(keys) return redis.call('LPUSH', keys[1], 'x') end)\nredis.register_function('partial', function(keys) redis.call('SET', keys[1], 'partial') redis.call('INCR', keys[2]) return 1 end)"
FCALL raise 0
FCALL badcall 0
SET {t}s notanint
FCALL incr 1 {t}s
# gopher-lua words runtime errors its own way: the reply type is compared.
? FCALL idx 0
FCALL raiset 0
FCALL raiser 0
FCALL pc 1 {t}s
FCALL pcerr 1 {t}s
FCALL glob 0
FCALL undef 0
FCALL keysg 0
FCALL arity 0
FCALL wrongtype 1 {t}s
FCALL partial 2 {t}p {t}s
GET {t}p
FCALL_RO raise 0
`},
	{"functions-calling-scripting", `
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=nested\nredis.register_function('one', function() return 1 end)\nredis.register_function('callf', function() return redis.call('FCALL', 'one', 0) end)\nredis.register_function('pcallf', function() return redis.pcall('FCALL', 'one', 0) end)\nredis.register_function('callfro', function() return redis.call('FCALL_RO', 'one', 0) end)\nredis.register_function('calle', function() return redis.call('EVAL', 'return 1', 0) end)\nredis.register_function('callfn', function() return redis.call('FUNCTION', 'LIST') end)\nredis.register_function('callfd', function() return redis.call('FUNCTION', 'DELETE', 'nested') end)\nredis.register_function('callreg', function() return redis.register_function('g', function() end) end)\nredis.register_function('regtype', function() return type(redis.register_function) end)"
FCALL callf 0
FCALL pcallf 0
FCALL callfro 0
FCALL calle 0
FCALL callfn 0
FCALL callfd 0
FCALL one 0
# calling nil is a Lua runtime error: the reply type is compared.
? FCALL callreg 0
FCALL regtype 0
EVAL "return redis.call('FCALL', 'one', 0)" 0
EVAL "return redis.pcall('FCALL_RO', 'one', 0)" 0
EVAL "return redis.call('FUNCTION', 'STATS')" 0
`},
	{"fcall-resp3", `
@resp3
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=r3\nredis.register_function('conv', function(keys, args) return {1, false, 'a', true, 2.5} end)\nredis.register_function('nilret', function() return nil end)\nredis.register_function('f', function() return false end)\nredis.register_function('t', function() return true end)\nredis.register_function('get', function(keys) return redis.call('GET', keys[1]) end)\nredis.register_function('hget', function(keys) return redis.call('HGETALL', keys[1]) end)\nredis.register_function('ok', function() return {ok='FINE'} end)\nredis.register_function('et', function() return {err='My Error'} end)\nredis.register_function('raise', function() error('x') end)"
FCALL conv 0
FCALL nilret 0
FCALL f 0
FCALL t 0
FCALL get 1 {t}missing
HSET {t}h a 1 b 2
FCALL hget 1 {t}h
FCALL ok 0
FCALL et 0
FCALL raise 0
FCALL nosuch 0
FCALL conv -1
FCALL_RO conv 0
`},
}

func TestDiffFunctions(t *testing.T) {
	runDiffScripts(t, functionDiffScripts, false)
	runDiffScripts(t, functionDiffScripts, true)
}

// TestFunctionsSurviveRestart: a loaded library is kept on disk (Redis
// keeps functions in its RDB and AOF): after a restart, FUNCTION LIST shows
// it and FCALL runs it; FUNCTION DELETE is kept too.
func TestFunctionsSurviveRestart(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	lib := "#!lua name=keep\nredis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)"
	if got := r.Do("FUNCTION", "LOAD", lib); got != "$4\r\nkeep\r\n" {
		t.Fatalf("FUNCTION LOAD: %q", got)
	}
	if got := r.Do("FUNCTION", "LOAD", "#!lua name=gone\nredis.register_function('g', function() return 1 end)"); got != "$4\r\ngone\r\n" {
		t.Fatalf("FUNCTION LOAD gone: %q", got)
	}
	if got := r.Do("FUNCTION", "DELETE", "gone"); got != "+OK\r\n" {
		t.Fatalf("FUNCTION DELETE: %q", got)
	}
	if got := r.Do("FCALL", "bump", "1", "n", "5"); got != ":5\r\n" {
		t.Fatalf("FCALL before restart: %q", got)
	}
	srv.Stop()
	srv.Restart()
	r = Dial(t, srv.Addr)
	if got := r.Do("FCALL", "bump", "1", "n", "2"); got != ":7\r\n" {
		t.Fatalf("FCALL after restart: %q", got)
	}
	if got := r.Do("FCALL", "g", "0"); got != "-ERR Function not found\r\n" {
		t.Fatalf("FCALL of the deleted library's function after restart: %q", got)
	}
	if got := r.Do("FUNCTION", "LIST", "WITHCODE"); !strings.Contains(got, "$4\r\nkeep\r\n") || !strings.Contains(got, lib) || strings.Contains(got, "gone") {
		t.Fatalf("FUNCTION LIST after restart: %q", got)
	}
}

// TestClusterFunctions: a library loaded on one node runs through it for
// keys of every Region (FCALL goes to each Region's leader with the
// library's code, so the leader's own registry is not needed), and the
// replicas apply it alike. Functions start afresh on every call: an upvalue
// a call changes is not seen by the next (in Redis it is), since a replica
// that restarted would otherwise see another value.
func TestClusterFunctions(t *testing.T) {
	c := StartCluster(t, 3)
	r := Dial(t, c.Nodes[0].Addr)
	lib := "#!lua name=clib\nlocal calls = 0\n" +
		"redis.register_function('tag', function(keys, args) calls = calls + 1 redis.call('HSET', keys[1], 'v', args[1], 'calls', calls) return redis.call('HGETALL', keys[1]) end)\n" +
		"redis.register_function{function_name='peek', callback=function(keys) return redis.call('HGET', keys[1], 'v') end, flags={'no-writes'}}"
	if got := r.Do("FUNCTION", "LOAD", lib); got != "$4\r\nclib\r\n" {
		t.Fatalf("FUNCTION LOAD: %q", got)
	}
	for i := 0; i < 48; i++ {
		key := fmt.Sprintf("fk%d", i)
		// HGETALL lists fields in byte order; calls is 1 on every call.
		want := fmt.Sprintf("*4\r\n$5\r\ncalls\r\n$1\r\n1\r\n$1\r\nv\r\n$%d\r\n%s\r\n", len(key), key)
		if got := r.Do("FCALL", "tag", "1", key, key); got != want {
			t.Fatalf("FCALL tag %s: %q, want %q", key, got, want)
		}
		if got := r.Do("FCALL_RO", "peek", "1", key); got != fmt.Sprintf("$%d\r\n%s\r\n", len(key), key) {
			t.Fatalf("FCALL_RO peek %s: %q", key, got)
		}
	}
	// Another node has no library of its own.
	if got := Dial(t, c.Nodes[1].Addr).Do("FCALL", "tag", "1", "fk0", "x"); got != "-ERR Function not found\r\n" {
		t.Fatalf("FCALL on a node without the library: %q", got)
	}
	if err := c.Client(t, 1).Do(context.Background(), "neokv", "checksum", "functions").Err(); err != nil {
		t.Fatal(err)
	}
	c.WaitChecksumsAgree(t, "functions", 16)
}

// TestInternalCommandsRefused: the neokv.* commands nodes send each other
// (FCALL carrying its library's code, WATCH's digest read) are unknown to
// ordinary client connections, so they cannot run library code that
// FUNCTION LOAD never checked, and COMMAND does not list them.
func TestInternalCommandsRefused(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	code := "#!lua name=x\nredis.register_function('f', function() return redis.call('SET', 'ran', '1') end)"
	for _, argv := range [][]string{
		{"neokv.fcall", code, "f", "0"},
		{"NEOKV.FCALL_RO", "", "", "0"},
		{"neokv.digest", "k"},
	} {
		want := "-ERR unknown command '" + argv[0] + "', with args beginning with: "
		if got := r.Do(argv...); !strings.HasPrefix(got, want) {
			t.Fatalf("%q: got %q, want %q...", argv, got, want)
		}
	}
	if got := r.Do("EXISTS", "ran"); got != ":0\r\n" {
		t.Fatalf("EXISTS ran: %q (the refused library code ran)", got)
	}
	if got := r.Do("COMMAND", "INFO", "neokv.fcall", "neokv.digest"); got != "*2\r\n$-1\r\n$-1\r\n" {
		t.Fatalf("COMMAND INFO of internal commands: %q", got)
	}
	if got := r.Do("COMMAND", "LIST"); strings.Contains(got, "neokv.") {
		t.Fatalf("COMMAND LIST names internal commands: %q", got)
	}
	// WATCH reads digests through the internal command; it still works.
	r.Do("SET", "w", "1")
	r.Do("WATCH", "w")
	r.Do("MULTI")
	r.Do("SET", "w", "2")
	if got := r.Do("EXEC"); got != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC after WATCH: %q", got)
	}
}
