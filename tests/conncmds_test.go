package tests

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/slots"
)

// sameAsRedis sends one command to NeoKV and to the reference and fails
// unless the raw replies are byte-identical. It returns NeoKV's reply.
func sameAsRedis(t *testing.T, neo, ref *RawConn, args ...string) string {
	t.Helper()
	got, want := neo.Do(args...), ref.Do(args...)
	if got != want {
		t.Errorf("%s\n  neokv: %q\n  redis: %q", quoteArgs(args), got, want)
	}
	return got
}

// expectReply sends one command and fails unless the raw reply is want.
func expectReply(t *testing.T, c *RawConn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); got != want {
		t.Errorf("%s: %q, want %q", quoteArgs(args), got, want)
	}
}

func TestConnPingEchoSelect(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, proto := range []string{"2", "3"} {
		if proto == "3" {
			neo.Do("HELLO", "3")
			ref.Do("HELLO", "3")
		}
		for _, args := range [][]string{
			{"PING"}, {"PING", "hello"}, {"ping", ""}, {"PING", "a", "b"},
			{"ECHO", "hi"}, {"ECHO", "bin\x00\r\nary"}, {"ECHO"}, {"ECHO", "a", "b"},
			{"SELECT", "0"}, {"SELECT", "x"}, {"SELECT", "-1"}, {"SELECT", "16"}, {"SELECT"},
		} {
			sameAsRedis(t, neo, ref, args...)
		}
	}
	// NeoKV has one database; Redis has 16.
	expectReply(t, neo, "-ERR DB index is out of range\r\n", "SELECT", "1")
	expectReply(t, neo, "+OK\r\n", "SELECT", "0")
}

// helloFields checks a HELLO reply against Redis 7's field list.
func helloFields(t *testing.T, raw string, proto int64, id int64) {
	t.Helper()
	if proto == 3 && !strings.HasPrefix(raw, "%7\r\n") {
		t.Fatalf("HELLO 3 reply is not a 7-field map: %q", raw)
	}
	if proto == 2 && !strings.HasPrefix(raw, "*14\r\n") {
		t.Fatalf("HELLO 2 reply is not a 14-element array: %q", raw)
	}
	m := pairsToMap(t, decodeOne(t, raw))
	if want := []string{"server", "version", "proto", "id", "mode", "role", "modules"}; fmt.Sprint(m.keys) != fmt.Sprint(want) {
		t.Fatalf("HELLO fields %v, want %v", m.keys, want)
	}
	if m.vals["server"] != "redis" || m.vals["proto"] != proto || m.vals["role"] != "master" {
		t.Errorf("HELLO: server=%v proto=%v role=%v", m.vals["server"], m.vals["proto"], m.vals["role"])
	}
	if id != 0 && m.vals["id"] != id {
		t.Errorf("HELLO id = %v, CLIENT ID = %d", m.vals["id"], id)
	}
	if v, _ := m.vals["version"].(string); !regexp.MustCompile(`^7\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("HELLO version %q is not a Redis 7 version", v)
	}
	if mode := m.vals["mode"]; mode != "standalone" && mode != "cluster" {
		t.Errorf("HELLO mode %v", mode)
	}
	if mods, ok := m.vals["modules"].([]any); !ok || len(mods) != 0 {
		t.Errorf("HELLO modules %#v, want an empty array", m.vals["modules"])
	}
}

func TestConnHello(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	id := decodeOne(t, neo.Do("CLIENT", "ID")).(int64)
	helloFields(t, neo.Do("HELLO", "3"), 3, id)
	expectReply(t, neo, "_\r\n", "GET", "nokey") // RESP3 null
	helloFields(t, neo.Do("HELLO"), 3, id)       // no version: stays on 3
	helloFields(t, neo.Do("HELLO", "2"), 2, id)
	expectReply(t, neo, "$-1\r\n", "GET", "nokey")
	for _, args := range [][]string{
		{"HELLO", "4"}, {"HELLO", "1"}, {"HELLO", "x"}, {"HELLO", "3", "FOO"}, {"HELLO", "3", "SETNAME"},
		{"HELLO", "3", "AUTH", "default"}, {"HELLO", "3", "SETNAME", "a b"}, {"HELLO", "2", "AUTH", "bob", "pw"},
		{"CLIENT", "GETNAME"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	expectReply(t, neo, "-NOPROTO unsupported protocol version\r\n", "HELLO", "4")
	// Without requirepass the default user takes any password, as in Redis.
	helloFields(t, neo.Do("HELLO", "3", "AUTH", "default", "anything", "SETNAME", "x"), 3, id)
	helloFields(t, ref.Do("HELLO", "3", "AUTH", "default", "anything", "SETNAME", "x"), 3, 0)
	sameAsRedis(t, neo, ref, "CLIENT", "GETNAME")
	expectReply(t, neo, "$1\r\nx\r\n", "CLIENT", "GETNAME")
}

func TestConnAuth(t *testing.T) {
	neoSrv := StartServer(t, "--requirepass", "s3cret")
	refSrv := StartRedis(t)
	if got := Dial(t, refSrv.Addr).Do("CONFIG", "SET", "requirepass", "s3cret"); got != "+OK\r\n" {
		t.Fatalf("redis CONFIG SET requirepass: %q", got)
	}
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, refSrv.Addr)
	for _, args := range [][]string{
		{"PING"}, {"GET", "k"}, {"SET", "k", "v"}, {"CLIENT", "SETNAME", "x"}, {"DBSIZE"},
		{"AUTH", "wrong"}, {"AUTH", "default", "wrong"}, {"AUTH", "bob", "s3cret"}, {"AUTH", "a", "b", "c"}, {"AUTH"},
		{"HELLO", "3", "AUTH", "default", "wrong"}, {"HELLO", "3", "AUTH", "bob", "s3cret"},
		{"GET", "k"},
		{"AUTH", "s3cret"},
		{"GET", "k"}, {"SET", "k", "v"}, {"GET", "k"},
		{"AUTH", "default", "s3cret"},
		{"AUTH", "wrong"}, // a failed AUTH does not log an authenticated connection out
		{"GET", "k"},
		{"RESET"}, // logs out again when the default user needs a password
		{"GET", "k"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	expectReply(t, neo, "-NOAUTH Authentication required.\r\n", "GET", "k")
	// Redis 7.2's text (7.0 lacks "<proto> ").
	expectReply(t, neo, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n", "HELLO", "3")
	// HELLO with AUTH and SETNAME in one go.
	neo2, ref2 := Dial(t, neoSrv.Addr), Dial(t, refSrv.Addr)
	id := decodeOne(t, neo2.Do("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "conn-b")).(*respMap).vals["id"].(int64)
	ref2.Do("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "conn-b")
	sameAsRedis(t, neo2, ref2, "CLIENT", "GETNAME")
	sameAsRedis(t, neo2, ref2, "GET", "k")
	expectReply(t, neo2, ":"+strconv.FormatInt(id, 10)+"\r\n", "CLIENT", "ID")

	// Without a configured password.
	neo3, ref3 := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"AUTH", "x"}, {"AUTH", "default", "x"}, {"AUTH", "bob", "x"}, {"HELLO", "2", "AUTH", "bob", "x"}, {"PING"},
	} {
		sameAsRedis(t, neo3, ref3, args...)
	}
	expectReply(t, neo3, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "AUTH", "x")
}

// TestConnAuthConfigSetRequirepass: setting requirepass at run time
// protects new connections only; in Redis connections already open (and
// so authenticated as the password-less default user) stay logged in.
func TestConnAuthConfigSetRequirepass(t *testing.T) {
	srv := StartServer(t)
	a, b := Dial(t, srv.Addr), Dial(t, srv.Addr)
	expectReply(t, b, "+PONG\r\n", "PING")
	expectReply(t, a, "+OK\r\n", "CONFIG", "SET", "requirepass", "pw")
	expectReply(t, a, "+OK\r\n", "SET", "k", "v") // the setter stays logged in
	expectReply(t, b, "$1\r\nv\r\n", "GET", "k")  // so does every open connection
	c := Dial(t, srv.Addr)
	expectReply(t, c, "-NOAUTH Authentication required.\r\n", "GET", "k")
	expectReply(t, c, "+OK\r\n", "AUTH", "pw")
	expectReply(t, c, "+OK\r\n", "CONFIG", "SET", "requirepass", "")
	expectReply(t, Dial(t, srv.Addr), "$1\r\nv\r\n", "GET", "k")
}

func TestConnQuitReset(t *testing.T) {
	neoSrv, refSrv := StartServer(t), StartRedis(t)
	for _, target := range []struct{ name, addr string }{{"neokv", neoSrv.Addr}, {"redis", refSrv.Addr}} {
		r := Dial(t, target.addr)
		r.Send("PING\r\n" + respCmd("SET", "quit:k", "1") + "QUIT\r\nPING\r\n")
		if got := r.ExpectClosed(); got != "+PONG\r\n+OK\r\n+OK\r\n" {
			t.Errorf("%s: PING SET QUIT PING -> %q, want +PONG +OK +OK then close", target.name, got)
		}
		expectReply(t, Dial(t, target.addr), "$1\r\n1\r\n", "GET", "quit:k")
	}
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, refSrv.Addr)
	neo.Do("HELLO", "3")
	ref.Do("HELLO", "3")
	for _, args := range [][]string{
		{"CLIENT", "SETNAME", "r"}, {"CLIENT", "GETNAME"}, {"GET", "nokey"},
		{"RESET"}, {"CLIENT", "GETNAME"}, {"GET", "nokey"}, {"RESET", "x"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	// RESET also leaves READONLY and RESP3.
	expectReply(t, neo, "+OK\r\n", "READONLY")
	neo.Do("HELLO", "3")
	expectReply(t, neo, "+RESET\r\n", "RESET")
	info := decodeOne(t, neo.Do("CLIENT", "INFO")).(string)
	if !strings.Contains(info, " flags=N ") || !strings.Contains(info, " resp=2") {
		t.Errorf("CLIENT INFO after RESET: %q", info)
	}
}

func TestClientCommands(t *testing.T) {
	neoSrv, refSrv := StartServer(t), StartRedis(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, refSrv.Addr)
	for _, args := range [][]string{
		{"CLIENT"}, {"CLIENT", "GETNAME"}, {"CLIENT", "SETNAME"}, {"CLIENT", "SETNAME", "a b"}, {"CLIENT", "SETNAME", "a\nb"},
		{"CLIENT", "GETNAME", "x"}, {"CLIENT", "ID", "x"}, {"CLIENT", "INFO", "x"}, {"CLIENT", "NOSUCH"}, {"CLIENT", "HELP", "x"},
		{"CLIENT", "KILL"}, {"CLIENT", "KILL", "ID", "999999"}, {"CLIENT", "KILL", "ID", "abc"}, {"CLIENT", "KILL", "ID", "0"},
		{"CLIENT", "KILL", "1.2.3.4:5"}, {"CLIENT", "KILL", "ADDR", "1.2.3.4:5"}, {"CLIENT", "KILL", "ID", "1", "ID"},
		{"CLIENT", "KILL", "TYPE", "foo"}, {"CLIENT", "KILL", "TYPE", "master"}, {"CLIENT", "KILL", "USER", "bob"},
		{"CLIENT", "KILL", "FOO", "bar"}, {"CLIENT", "KILL", "SKIPME", "maybe", "ID", "5"},
		{"CLIENT", "LIST", "ID", "abc"}, {"CLIENT", "LIST", "ID", "0"}, {"CLIENT", "LIST", "TYPE", "foo"},
		{"CLIENT", "LIST", "TYPE", "pubsub"}, {"CLIENT", "LIST", "FOO"},
		{"CLIENT", "REPLY", "foo"}, {"CLIENT", "REPLY", "ON"}, {"CLIENT", "NO-EVICT", "maybe"}, {"CLIENT", "NO-EVICT", "on"},
		{"CLIENT", "SETNAME", "foo"}, {"CLIENT", "GETNAME"}, {"CLIENT", "SETNAME", ""}, {"CLIENT", "GETNAME"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}

	id := decodeOne(t, neo.Do("CLIENT", "ID")).(int64)
	expectReply(t, neo, "+OK\r\n", "CLIENT", "SETNAME", "ctl")
	other := Dial(t, neoSrv.Addr)
	oid := decodeOne(t, other.Do("CLIENT", "ID")).(int64)
	if oid == id {
		t.Fatalf("two connections share id %d", id)
	}
	waitClients(t, neo, 2) // the harness's startup probe may still be closing
	list := decodeOne(t, neo.Do("CLIENT", "LIST")).(string)
	lines := strings.Split(strings.TrimSuffix(list, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("CLIENT LIST with two connections:\n%s", list)
	}
	lineRE := regexp.MustCompile(`^id=(\d+) addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=(\S*) age=\d+ idle=\d+ flags=N db=0 .* cmd=(\S+) user=default .*resp=2`)
	seen := map[string]string{}
	for _, l := range lines {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("CLIENT LIST line not in Redis's format: %q", l)
		}
		seen[m[1]] = m[2] + " " + m[3]
	}
	// Redis names the other connection's last command client|id; NeoKV
	// may name just the container command.
	if o := seen[strconv.FormatInt(oid, 10)]; seen[strconv.FormatInt(id, 10)] != "ctl client|list" || (o != " client" && o != " client|id") {
		t.Errorf("CLIENT LIST ids/names/cmds: %v", seen)
	}
	only := decodeOne(t, neo.Do("CLIENT", "LIST", "ID", strconv.FormatInt(oid, 10))).(string)
	if !strings.HasPrefix(only, "id="+strconv.FormatInt(oid, 10)+" ") || strings.Count(only, "\n") != 1 {
		t.Errorf("CLIENT LIST ID %d: %q", oid, only)
	}
	info := decodeOne(t, neo.Do("CLIENT", "INFO")).(string)
	if !strings.HasPrefix(info, "id="+strconv.FormatInt(id, 10)+" ") || !strings.Contains(info, " name=ctl ") ||
		!strings.Contains(info, " cmd=client|info ") || !strings.HasSuffix(info, "\n") {
		t.Errorf("CLIENT INFO: %q", info)
	}

	// CLIENT SETINFO (Redis 7.2).
	expectReply(t, neo, "+OK\r\n", "CLIENT", "SETINFO", "lib-name", "mylib")
	expectReply(t, neo, "+OK\r\n", "CLIENT", "SETINFO", "LIB-VER", "1.2.3")
	expectReply(t, neo, "-ERR lib-name cannot contain spaces, newlines or special characters.\r\n", "CLIENT", "SETINFO", "lib-name", "a b")
	expectReply(t, neo, "-ERR Unrecognized option 'foo'\r\n", "CLIENT", "SETINFO", "foo", "a b")
	expectReply(t, neo, "-ERR wrong number of arguments for 'client|setinfo' command\r\n", "CLIENT", "SETINFO", "lib-name")
	if info := decodeOne(t, neo.Do("CLIENT", "INFO")).(string); !strings.Contains(info, "lib-name=mylib lib-ver=1.2.3") {
		t.Errorf("CLIENT INFO after SETINFO: %q", info)
	}

	// CLIENT KILL closes the other connection, by id and by address.
	expectReply(t, neo, ":1\r\n", "CLIENT", "KILL", "ID", strconv.FormatInt(oid, 10))
	if got := other.ExpectClosed(); got != "" {
		t.Errorf("killed connection received %q", got)
	}
	other2 := Dial(t, neoSrv.Addr)
	expectReply(t, other2, "+PONG\r\n", "PING")
	expectReply(t, neo, "+OK\r\n", "CLIENT", "KILL", other2.c.LocalAddr().String())
	other2.ExpectClosed()
	other3 := Dial(t, neoSrv.Addr)
	expectReply(t, other3, "+PONG\r\n", "PING")
	expectReply(t, neo, ":1\r\n", "CLIENT", "KILL", "ADDR", other3.c.LocalAddr().String(), "SKIPME", "yes")
	other3.ExpectClosed()
	waitClients(t, neo, 1)
	// Killing oneself: skipped by default; with SKIPME no, reply then close.
	for _, target := range []*RawConn{neo, ref} {
		myID := decodeOne(t, target.Do("CLIENT", "ID")).(int64)
		expectReply(t, target, ":0\r\n", "CLIENT", "KILL", "ID", strconv.FormatInt(myID, 10))
		target.Send(respCmd("CLIENT", "KILL", "ID", strconv.FormatInt(myID, 10), "SKIPME", "no") + "PING\r\n")
		if got := target.ExpectClosed(); got != ":1\r\n" {
			t.Errorf("self kill: %q, want :1 then close", got)
		}
	}
	self := Dial(t, neoSrv.Addr)
	self.Send(respCmd("CLIENT", "KILL", self.c.LocalAddr().String()))
	if got := self.ExpectClosed(); got != "+OK\r\n" {
		t.Errorf("old-form self kill: %q, want +OK then close", got)
	}
}

func TestCommandCommand(t *testing.T) {
	neoSrv := StartServer(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	count := decodeOne(t, neo.Do("COMMAND", "COUNT")).(int64)
	names := decodeOne(t, neo.Do("COMMAND", "LIST")).([]any)
	all := decodeOne(t, neo.Do("COMMAND")).([]any)
	if int64(len(names)) != count || int64(len(all)) != count || count < 30 {
		t.Fatalf("COMMAND COUNT %d, LIST %d names, COMMAND %d entries", count, len(names), len(all))
	}
	have := map[string]bool{}
	for _, n := range names {
		have[n.(string)] = true
	}
	for _, n := range []string{"get", "set", "incr", "mset", "mget", "del", "ping", "echo", "hello", "auth", "client", "command", "config", "info", "cluster", "select", "quit", "reset", "wait"} {
		if !have[n] {
			t.Errorf("COMMAND LIST lacks %q", n)
		}
	}
	filtered := decodeOne(t, neo.Do("COMMAND", "LIST", "FILTERBY", "PATTERN", "m*")).([]any)
	if len(filtered) == 0 {
		t.Errorf("COMMAND LIST FILTERBY PATTERN m* is empty")
	}
	for _, n := range filtered {
		if !strings.HasPrefix(n.(string), "m") {
			t.Errorf("COMMAND LIST FILTERBY PATTERN m* gave %q", n)
		}
	}
	// COMMAND INFO: Redis 7's 10-field entries, null for unknown names.
	infos := decodeOne(t, neo.Do("COMMAND", "INFO", "get", "SET", "nosuch")).([]any)
	if len(infos) != 3 || infos[2] != nil {
		t.Fatalf("COMMAND INFO get SET nosuch: %#v", infos)
	}
	for i, want := range []struct {
		name               string
		arity, first, last int64
		step               int64
		flag               string
	}{{"get", 2, 1, 1, 1, "readonly"}, {"set", -3, 1, 1, 1, "write"}} {
		e, ok := infos[i].([]any)
		if !ok || len(e) != 10 {
			t.Fatalf("COMMAND INFO %s: %#v", want.name, infos[i])
		}
		if e[0] != want.name || e[1] != want.arity || e[3] != want.first || e[4] != want.last || e[5] != want.step {
			t.Errorf("COMMAND INFO %s: %#v", want.name, e[:6])
		}
		if !strings.Contains(fmt.Sprint(e[2]), want.flag) {
			t.Errorf("COMMAND INFO %s flags %v lack %q", want.name, e[2], want.flag)
		}
	}
	docs := pairsToMap(t, decodeOne(t, neo.Do("COMMAND", "DOCS", "get", "nosuch")))
	if len(docs.keys) != 1 || docs.keys[0] != "get" {
		t.Fatalf("COMMAND DOCS get nosuch: %v", docs.keys)
	}
	if d := pairsToMap(t, docs.vals["get"]); d.vals["summary"] == "" || d.vals["group"] != "string" {
		t.Errorf("COMMAND DOCS get: %v", d.vals)
	}
	for _, args := range [][]string{
		{"COMMAND", "INFO", "nosuch"}, {"COMMAND", "COUNT", "x"}, {"COMMAND", "LIST", "x"}, {"COMMAND", "LIST", "FILTERBY", "FOO", "x"},
		{"COMMAND", "LIST", "FILTERBY", "MODULE", "x"}, {"COMMAND", "DOCS", "nosuch"}, {"COMMAND", "NOSUCH"},
		{"COMMAND", "GETKEYS", "SET", "a", "b"}, {"COMMAND", "GETKEYS", "MSET", "a", "b", "c", "d"},
		{"COMMAND", "GETKEYS", "MGET", "a", "b", "c"}, {"COMMAND", "GETKEYS", "get", "x"},
		{"COMMAND", "GETKEYS", "GET"}, {"COMMAND", "GETKEYS", "SET", "a"}, {"COMMAND", "GETKEYS", "PING", "x"},
		{"COMMAND", "GETKEYS", "ECHO", "a", "b"}, {"COMMAND", "GETKEYS", "nosuch", "a"}, {"COMMAND", "GETKEYS"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
}

func TestConfigCommand(t *testing.T) {
	neoSrv := StartServer(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"CONFIG"}, {"CONFIG", "GET"}, {"CONFIG", "GET", "maxclients"}, {"CONFIG", "GET", "MAXCLIENTS"}, {"CONFIG", "GET", "nosuchparam"},
		{"CONFIG", "GET", "proto-max-bulk-len"}, {"CONFIG", "GET", "*max-bulk*"},
		{"CONFIG", "SET", "nosuch", "1"}, {"CONFIG", "SET", "maxclients"}, {"CONFIG", "SET", "maxclients", "abc"},
		{"CONFIG", "SET", "maxclients", "0"}, {"CONFIG", "SET", "timeout", "-1"}, {"CONFIG", "SET", "maxclients", "10", "timeout"},
		{"CONFIG", "SET", "proto-max-bulk-len", "100"}, {"CONFIG", "SET", "maxclients", "500"}, {"CONFIG", "GET", "maxclients"},
		{"CONFIG", "SET", "maxclients", "600", "timeout", "0"}, {"CONFIG", "GET", "maxclients"},
		{"CONFIG", "RESETSTAT"}, {"CONFIG", "RESETSTAT", "x"}, {"CONFIG", "NOSUCH"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	// NeoKV has one database, Redis 16.
	expectReply(t, neo, "*2\r\n$9\r\ndatabases\r\n$1\r\n1\r\n", "CONFIG", "GET", "databases")
	// Glob patterns: every name returned matches, and the known ones are there.
	for _, pat := range []string{"max*", "*port*", "m?xclients", "[pt]*"} {
		m := pairsToMap(t, decodeOne(t, neo.Do("CONFIG", "GET", pat)))
		if len(m.keys) == 0 {
			t.Errorf("CONFIG GET %s matched nothing", pat)
		}
		re := regexp.MustCompile("^" + strings.NewReplacer("*", ".*", "?", ".").Replace(pat) + "$")
		for _, k := range m.keys {
			if !re.MatchString(k) {
				t.Errorf("CONFIG GET %s returned %q", pat, k)
			}
		}
	}
	m := pairsToMap(t, decodeOne(t, neo.Do("CONFIG", "GET", "port", "maxclients", "max*")))
	if m.vals["port"] != neoSrv.Addr[strings.LastIndex(neoSrv.Addr, ":")+1:] || m.vals["maxclients"] != "600" || len(m.keys) < 3 {
		t.Errorf("CONFIG GET port maxclients max*: %v", m.vals)
	}
	if len(m.keys) != len(m.vals) {
		t.Errorf("CONFIG GET repeats a name for overlapping patterns: %v", m.keys)
	}
	// RESP3: a map.
	neo.Do("HELLO", "3")
	ref.Do("HELLO", "3")
	sameAsRedis(t, neo, ref, "CONFIG", "GET", "maxclients")
	sameAsRedis(t, neo, ref, "CONFIG", "GET", "nosuch")
}

// TestConfigSetProtoMaxBulkLen: the bulk limit is configurable; a new
// connection refuses one byte over it.
func TestConfigSetProtoMaxBulkLen(t *testing.T) {
	neoSrv, refSrv := StartServer(t), StartRedis(t)
	for _, target := range []struct{ name, addr string }{{"neokv", neoSrv.Addr}, {"redis", refSrv.Addr}} {
		ctl := Dial(t, target.addr)
		expectReply(t, ctl, "+OK\r\n", "CONFIG", "SET", "proto-max-bulk-len", "1mb")
		expectReply(t, ctl, "*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n", "CONFIG", "GET", "proto-max-bulk-len")
		r := Dial(t, target.addr)
		val := strings.Repeat("v", 1<<20)
		if got := r.Do("SET", "limit:ok", val); got != "+OK\r\n" {
			t.Errorf("%s: 1 MiB at the limit: %q", target.name, got)
		}
		r.Send("*3\r\n$3\r\nSET\r\n$9\r\nlimit:bad\r\n$1048577\r\n")
		if got := r.ExpectClosed(); got != errBulkLen {
			t.Errorf("%s: one byte over the limit: %q", target.name, got)
		}
		expectReply(t, ctl, ":0\r\n", "EXISTS", "limit:bad")
		// The connection that was open all along sees the new limit too.
		ctl.Send("*3\r\n$3\r\nSET\r\n$9\r\nlimit:bad\r\n$1048577\r\n")
		if got := ctl.ExpectClosed(); got != errBulkLen {
			t.Errorf("%s: open connection, one byte over the new limit: %q", target.name, got)
		}
	}
}

func TestInfoCommand(t *testing.T) {
	neoSrv := StartServer(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	expectReply(t, neo, "+OK\r\n", "SET", "info:k", "v")
	all := decodeOne(t, neo.Do("INFO")).(string)
	for _, want := range []string{"# Server\r\n", "redis_version:", "redis_mode:", "tcp_port:" + neoSrv.Addr[strings.LastIndex(neoSrv.Addr, ":")+1:] + "\r\n",
		"# Clients\r\n", "connected_clients:", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n", "# Replication\r\n", "role:master\r\n",
		"# Keyspace\r\n", "db0:keys=1,", "# NeoKV\r\n", "fsyncs:", "raft_rounds:", "regions:"} {
		if !strings.Contains(all, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if !strings.HasPrefix(all, "# Server\r\n") || strings.Contains(all, "\r\n\r\n\r\n") {
		t.Errorf("INFO layout: %q", all[:min(len(all), 200)])
	}
	// Section names are case-insensitive and select only their section.
	nk := decodeOne(t, neo.Do("INFO", "NeoKV")).(string)
	if !strings.HasPrefix(nk, "# NeoKV\r\n") || strings.Count(nk, "# ") != 1 {
		t.Fatalf("INFO neokv: %q", nk)
	}
	fs := regexp.MustCompile(`(?m)^fsyncs:(\d+)\r$`).FindStringSubmatch(nk)
	if fs == nil {
		t.Fatalf("INFO neokv has no fsyncs line: %q", nk)
	}
	if n, _ := strconv.Atoi(fs[1]); n < 1 {
		t.Errorf("fsyncs:%s after an acknowledged write", fs[1])
	}
	srvSec := decodeOne(t, neo.Do("INFO", "server")).(string)
	if !strings.HasPrefix(srvSec, "# Server\r\n") || strings.Contains(srvSec, "# Clients") {
		t.Errorf("INFO server: %q", srvSec)
	}
	two := decodeOne(t, neo.Do("INFO", "server", "keyspace")).(string)
	if !strings.Contains(two, "# Server\r\n") || !strings.Contains(two, "# Keyspace\r\ndb0:keys=1,") || strings.Contains(two, "# Clients") {
		t.Errorf("INFO server keyspace: %q", two)
	}
	sameAsRedis(t, neo, ref, "INFO", "nosuchsection")
	neo.Do("HELLO", "3")
	ref.Do("HELLO", "3")
	sameAsRedis(t, neo, ref, "INFO", "nosuchsection")
	if got := neo.Do("INFO", "server"); !strings.HasPrefix(got, "=") {
		t.Errorf("INFO over RESP3 is not a verbatim string: %q", got[:min(len(got), 40)])
	}
}

func TestServerMiscCommands(t *testing.T) {
	neoSrv := StartServer(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"DBSIZE"}, {"DBSIZE", "x"}, {"TIME", "x"}, {"LASTSAVE", "x"},
		{"WAIT", "0", "0"}, {"WAIT", "0"}, {"WAIT", "x", "0"}, {"WAIT", "0", "x"}, {"WAIT", "0", "-1"}, {"WAIT", "1", "10"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	for i := 0; i < 25; i++ {
		expectReply(t, neo, "+OK\r\n", "SET", "misc:"+strconv.Itoa(i), "v")
	}
	expectReply(t, neo, ":25\r\n", "DBSIZE")
	expectReply(t, neo, ":1\r\n", "DEL", "misc:0")
	expectReply(t, neo, ":24\r\n", "DBSIZE")
	before := time.Now().Unix()
	tm := decodeOne(t, neo.Do("TIME")).([]any)
	after := time.Now().Unix()
	if len(tm) != 2 {
		t.Fatalf("TIME: %#v", tm)
	}
	sec, err1 := strconv.ParseInt(tm[0].(string), 10, 64)
	usec, err2 := strconv.ParseInt(tm[1].(string), 10, 64)
	if err1 != nil || err2 != nil || sec < before || sec > after || usec < 0 || usec >= 1e6 {
		t.Errorf("TIME = %v, now is %d..%d", tm, before, after)
	}
	ls := decodeOne(t, neo.Do("LASTSAVE")).(int64)
	if ls <= 0 || ls > time.Now().Unix() {
		t.Errorf("LASTSAVE = %d", ls)
	}
}

func TestUnknownCommandAndArity(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	long := strings.Repeat("x", 200)
	cases := [][]string{
		{"NOSUCHCMD"}, {"nosuchcmd", "a", "b"}, {"NOSUCH", long, "b"}, {long}, {"NOSUCH", "a", "b", "c", "d", "e", "f"},
		{"GET"}, {"get", "a", "b"}, {"SET", "a"}, {"INCR"}, {"MSET", "a"}, {"MSET", "a", "1", "b"}, {"MGET"},
		{"DEL"}, {"ECHO"}, {"CLIENT"}, {"CONFIG"}, {"CLUSTER"},
	}
	for _, proto := range []string{"2", "3"} {
		if proto == "3" {
			neo.Do("HELLO", "3")
			ref.Do("HELLO", "3")
		}
		for _, args := range cases {
			sameAsRedis(t, neo, ref, args...)
		}
	}
	expectReply(t, neo, "-ERR unknown command 'NOSUCHCMD', with args beginning with: \r\n", "NOSUCHCMD")
	expectReply(t, neo, "-ERR wrong number of arguments for 'get' command\r\n", "GET")
}

func TestClusterCommands(t *testing.T) {
	neoSrv := StartServer(t)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, startClusterRedis(t).Addr)
	for _, args := range [][]string{
		{"CLUSTER", "KEYSLOT", "foo"}, {"CLUSTER", "KEYSLOT", "{user1}.a"}, {"CLUSTER", "KEYSLOT", "{user1}.b"},
		{"CLUSTER", "KEYSLOT", ""}, {"CLUSTER", "KEYSLOT", "{}"}, {"CLUSTER", "KEYSLOT", "{a"}, {"CLUSTER", "KEYSLOT", "a{}b{c}"},
		{"CLUSTER", "KEYSLOT", "a{b}c{d}"}, {"CLUSTER", "KEYSLOT", "\xff\x00\x01"},
		{"CLUSTER", "KEYSLOT"}, {"CLUSTER", "KEYSLOT", "a", "b"},
		{"CLUSTER", "COUNTKEYSINSLOT", "99999"}, {"CLUSTER", "COUNTKEYSINSLOT", "-1"}, {"CLUSTER", "COUNTKEYSINSLOT", "abc"},
		{"CLUSTER", "COUNTKEYSINSLOT", "16384"}, {"CLUSTER", "COUNTKEYSINSLOT", "16383"}, {"CLUSTER", "COUNTKEYSINSLOT"},
		{"CLUSTER", "GETKEYSINSLOT", "0", "-1"}, {"CLUSTER", "GETKEYSINSLOT", "0", "x"}, {"CLUSTER", "GETKEYSINSLOT", "16384", "1"},
		{"CLUSTER", "GETKEYSINSLOT", "-1", "1"}, {"CLUSTER", "GETKEYSINSLOT", "0", "10"}, {"CLUSTER", "GETKEYSINSLOT", "0"},
		{"CLUSTER", "MYID", "x"}, {"CLUSTER", "SLOTS", "x"}, {"CLUSTER", "SHARDS", "x"}, {"CLUSTER", "NODES", "x"}, {"CLUSTER", "INFO", "x"},
		{"CLUSTER", "NOSUCH"}, {"CLUSTER"},
		{"READONLY"}, {"READWRITE"}, {"READONLY", "x"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
	expectReply(t, neo, ":12182\r\n", "CLUSTER", "KEYSLOT", "foo")

	// Keys of one slot.
	slot := strconv.Itoa(int(slots.OfString("{grp}")))
	for _, k := range []string{"{grp}a", "{grp}b", "{grp}c"} {
		sameAsRedis(t, neo, ref, "SET", k, "v")
	}
	sameAsRedis(t, neo, ref, "CLUSTER", "COUNTKEYSINSLOT", slot)
	expectReply(t, neo, ":3\r\n", "CLUSTER", "COUNTKEYSINSLOT", slot)
	sorted := func(raw string) []string {
		var out []string
		for _, v := range decodeOne(t, raw).([]any) {
			out = append(out, v.(string))
		}
		sort.Strings(out)
		return out
	}
	if got, want := sorted(neo.Do("CLUSTER", "GETKEYSINSLOT", slot, "10")), sorted(ref.Do("CLUSTER", "GETKEYSINSLOT", slot, "10")); fmt.Sprint(got) != fmt.Sprint(want) || len(got) != 3 {
		t.Errorf("GETKEYSINSLOT %s 10: neokv %v, redis %v", slot, got, want)
	}
	if got := sorted(neo.Do("CLUSTER", "GETKEYSINSLOT", slot, "2")); len(got) != 2 {
		t.Errorf("GETKEYSINSLOT %s 2: %v", slot, got)
	}
	sameAsRedis(t, neo, ref, "CLUSTER", "GETKEYSINSLOT", slot, "0")

	// The topology: this node serves every slot.
	myID := decodeOne(t, neo.Do("CLUSTER", "MYID")).(string)
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(myID) {
		t.Fatalf("CLUSTER MYID %q", myID)
	}
	host, portStr, _ := strings.Cut(neoSrv.Addr, ":")
	port, _ := strconv.ParseInt(portStr, 10, 64)
	covered := make([]int, 16384)
	for _, e := range decodeOne(t, neo.Do("CLUSTER", "SLOTS")).([]any) {
		r := e.([]any)
		lo, hi := r[0].(int64), r[1].(int64)
		node := r[2].([]any)
		if node[0] != host || node[1] != port || node[2] != myID {
			t.Errorf("CLUSTER SLOTS %d-%d master %v, want %s:%d %s", lo, hi, node, host, port, myID)
		}
		for s := lo; s <= hi; s++ {
			covered[s]++
		}
	}
	for s, n := range covered {
		if n != 1 {
			t.Fatalf("CLUSTER SLOTS covers slot %d %d times", s, n)
		}
	}
	shards := decodeOne(t, neo.Do("CLUSTER", "SHARDS")).([]any)
	if len(shards) != 1 {
		t.Fatalf("CLUSTER SHARDS of one node: %d shards", len(shards))
	}
	sh := pairsToMap(t, shards[0])
	if fmt.Sprint(sh.vals["slots"]) != "[0 16383]" {
		t.Errorf("CLUSTER SHARDS slots %v", sh.vals["slots"])
	}
	nodes := sh.vals["nodes"].([]any)
	n0 := pairsToMap(t, nodes[0])
	if len(nodes) != 1 || n0.vals["id"] != myID || n0.vals["port"] != port || n0.vals["ip"] != host || n0.vals["role"] != "master" || n0.vals["health"] != "online" {
		t.Errorf("CLUSTER SHARDS node %v", n0.vals)
	}
	nodesTxt := decodeOne(t, neo.Do("CLUSTER", "NODES")).(string)
	wantLine := fmt.Sprintf("%s %s:%d@%d myself,master - 0 0 1 connected 0-16383\n", myID, host, port, port+10000)
	if nodesTxt != wantLine {
		t.Errorf("CLUSTER NODES %q, want %q", nodesTxt, wantLine)
	}
	info := decodeOne(t, neo.Do("CLUSTER", "INFO")).(string)
	for _, want := range []string{"cluster_state:ok\r\n", "cluster_slots_assigned:16384\r\n", "cluster_slots_ok:16384\r\n", "cluster_known_nodes:1\r\n", "cluster_size:1\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLUSTER INFO lacks %q: %q", want, info)
		}
	}
	// READONLY shows in the client flags until READWRITE.
	expectReply(t, neo, "+OK\r\n", "READONLY")
	if ci := decodeOne(t, neo.Do("CLIENT", "INFO")).(string); !strings.Contains(ci, " flags=r ") {
		t.Errorf("CLIENT INFO after READONLY: %q", ci)
	}
	expectReply(t, neo, "+OK\r\n", "READWRITE")
	if ci := decodeOne(t, neo.Do("CLIENT", "INFO")).(string); !strings.Contains(ci, " flags=N ") {
		t.Errorf("CLIENT INFO after READWRITE: %q", ci)
	}
}

// TestClusterClientSingleNode: go-redis's cluster client, which learns the
// topology from CLUSTER SLOTS, works against one NeoKV server.
func TestClusterClientSingleNode(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	cc := redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:        []string{srv.Addr},
		ReadTimeout:  10 * time.Second,
		WriteTimeout: 10 * time.Second,
		MaxRedirects: -1, // no redirects: a MOVED would be a routing bug here
	})
	t.Cleanup(func() { _ = cc.Close() })
	used := map[uint16]bool{}
	for i := 0; i < 300; i++ {
		k := "cc:" + strconv.Itoa(i)
		used[slots.OfString(k)] = true
		if err := cc.Set(ctx, k, i, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
	}
	if len(used) < 250 {
		t.Fatalf("keys hit only %d slots", len(used))
	}
	for i := 0; i < 300; i++ {
		k := "cc:" + strconv.Itoa(i)
		if v, err := cc.Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET %s: %d, %v", k, v, err)
		}
	}
	// Pipelines are split by node; MSET within one hash tag is one slot.
	cmds, err := cc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < 100; i++ {
			p.Incr(ctx, "cc:ctr:"+strconv.Itoa(i))
		}
		return nil
	})
	if err != nil || len(cmds) != 100 {
		t.Fatalf("pipelined INCRs: %d, %v", len(cmds), err)
	}
	if err := cc.MSet(ctx, "{cc}a", "1", "{cc}b", "2").Err(); err != nil {
		t.Fatalf("MSET with a hash tag: %v", err)
	}
	if vals, err := cc.MGet(ctx, "{cc}a", "{cc}b").Result(); err != nil || fmt.Sprint(vals) != "[1 2]" {
		t.Fatalf("MGET with a hash tag: %v, %v", vals, err)
	}
	masters := 0
	if err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		masters++
		return c.Ping(ctx).Err()
	}); err != nil || masters != 1 {
		t.Fatalf("ForEachMaster: %d masters, %v", masters, err)
	}
	if n, err := srv.Client(t, 2).DBSize(ctx).Result(); err != nil || n != 402 {
		t.Fatalf("DBSIZE = %d, %v; want 402", n, err)
	}
}

// SHUTDOWN stops the node cleanly (exit status 0) without a reply, after
// refusing what Redis refuses; every acknowledged write is there after a
// restart.
func TestShutdownCommand(t *testing.T) {
	srv := StartServer(t)
	ref := Dial(t, StartRedis(t).Addr)
	r := Dial(t, srv.Addr)
	if got := r.Do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	for _, args := range [][]string{{"SHUTDOWN", "ABORT"}, {"SHUTDOWN", "SAVE", "NOSAVE"}, {"SHUTDOWN", "NOW", "ABORT"},
		{"SHUTDOWN", "BOGUS"}, {"SHUTDOWN", "ABORT", "ABORT"}} {
		if got, want := r.Do(args...), ref.Do(args...); got != want {
			t.Errorf("%q: neokv %q, redis %q", args, got, want)
		}
	}
	r.Send("SHUTDOWN NOSAVE\r\n")
	if got := r.ExpectClosed(); got != "" {
		t.Fatalf("SHUTDOWN answered %q; Redis closes without a reply", got)
	}
	select {
	case err := <-srv.done:
		srv.cmd = nil
		_ = srv.log.Close()
		if err != nil {
			t.Fatalf("neokv exited with %v after SHUTDOWN\n%s", err, srv.Log())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("neokv still running 15 s after SHUTDOWN\n%s", srv.Log())
	}
	srv.Restart()
	if got := Dial(t, srv.Addr).Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("GET after SHUTDOWN and restart: %q", got)
	}
}

// ASKING, ROLE, MOVE and SWAPDB answer as redis-server does where NeoKV's
// single database allows (MOVE or SWAPDB to another database is the error
// SELECT gives for it).
func TestSingleDatabaseCommandsAgainstRedis(t *testing.T) {
	neoSrv := StartServer(t)
	logOnFailure(t, neoSrv)
	neo, ref := Dial(t, neoSrv.Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"ASKING"}, {"ROLE"}, {"SET", "k", "v"}, {"MOVE", "k", "0"}, {"MOVE", "k", "x"}, {"MOVE", "k", "16"},
		{"MOVE", "k", "-1"}, {"MOVE", "nokey", "0"}, {"SWAPDB", "0", "0"}, {"SWAPDB", "x", "1"}, {"SWAPDB", "0", "x"},
		{"SWAPDB", "0", "16"}, {"MOVE", "k"}, {"SWAPDB", "0"}, {"ROLE", "x"},
	} {
		if got, want := neo.Do(args...), ref.Do(args...); got != want {
			t.Errorf("%q: neokv %q, redis %q", args, got, want)
		}
	}
	for _, args := range [][]string{{"MOVE", "k", "1"}, {"SWAPDB", "0", "1"}, {"SELECT", "1"}} {
		if got := neo.Do(args...); got != "-ERR DB index is out of range\r\n" {
			t.Errorf("%q: %q", args, got)
		}
	}
}

// TestClientReplyAsRedis: CLIENT REPLY OFF silences every reply (errors
// too) until CLIENT REPLY ON, SKIP the next command's only, byte for byte
// as redis-server answers a pipeline of them; the writes still happen.
func TestClientReplyAsRedis(t *testing.T) {
	session := func(addr string) string {
		c := Dial(t, addr)
		var pipe strings.Builder
		for _, cmd := range [][]string{
			{"CLIENT", "REPLY", "SKIP"}, {"SET", "a", "1"}, {"GET", "a"},
			{"CLIENT", "REPLY", "OFF"}, {"SET", "b", "2"}, {"INCR", "b"}, {"GET", "b"}, {"NOSUCH"},
			{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "ON"}, {"GET", "b"},
			{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "FOO"}, {"MGET", "a", "b"},
			{"CLIENT", "REPLY", "SKIP"}, {"MULTI"}, {"INCR", "n"}, {"EXEC"},
			{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "SKIP"}, {"GET", "a"}, {"GET", "n"},
			{"CLIENT", "REPLY", "OFF"}, {"RESET"}, {"GET", "a"}, // RESET turns replies on
			{"PING"},
		} {
			pipe.WriteString(respCmd(cmd...))
		}
		c.Send(pipe.String())
		var out strings.Builder
		for {
			r := c.ReadReply()
			out.WriteString(r)
			if r == "+PONG\r\n" {
				return out.String()
			}
		}
	}
	// Pushes are not replies: subscription confirmations and messages
	// reach a RESP3 client with replies off.
	pushes := func(addr string) string {
		c, p := Dial(t, addr), Dial(t, addr)
		c.Do("HELLO", "3")
		c.Send(respCmd("CLIENT", "REPLY", "OFF") + respCmd("SUBSCRIBE", "ch"))
		out := c.ReadReply()
		p.Do("PUBLISH", "ch", "m")
		out += c.ReadReply()
		return out + c.Do("CLIENT", "REPLY", "ON")
	}
	neo, ref := StartServer(t).Addr, StartRedis(t).Addr
	got, want := session(neo), session(ref)
	if got != want {
		t.Fatalf("neokv %q\nredis %q", got, want)
	}
	if g, w := pushes(neo), pushes(ref); g != w {
		t.Fatalf("pushes under CLIENT REPLY OFF: neokv %q, redis %q", g, w)
	}
	if want == "" || !strings.Contains(want, "$1\r\n3\r\n") {
		t.Fatalf("unexpected reference transcript %q", want)
	}
}

// TestHelpTextsAsRedis: CLIENT, CONFIG and COMMAND HELP answer Redis 7.0's
// lines (CLIENT's with 7.2's SETINFO lines besides, as NeoKV has it).
func TestHelpTextsAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	setinfo := "+SETINFO <option> <value>\r\n+    Set client meta attr (LIB-NAME, LIB-VER).\r\n"
	for _, c := range []string{"CLIENT", "CONFIG", "COMMAND"} {
		got, want := neo.Do(c, "HELP"), ref.Do(c, "HELP")
		if c == "CLIENT" {
			if !strings.Contains(got, setinfo) {
				t.Fatalf("CLIENT HELP lacks SETINFO: %q", got)
			}
			got = strings.Replace(got, setinfo, "", 1)
			n := strings.Count(got, "\r\n") - 1
			got = fmt.Sprintf("*%d\r\n", n) + got[strings.Index(got, "\r\n")+2:]
		}
		if got != want {
			t.Errorf("%s HELP:\nneokv %q\nredis %q", c, got, want)
		}
	}
}
