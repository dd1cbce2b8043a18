package tests

import (
	"regexp"
	"strings"
	"testing"
)

var expiresField = regexp.MustCompile(`db0:keys=(\d+),expires=(\d+),`)

// keyspaceCounts returns INFO keyspace's "keys=N,expires=M" ("" for an
// empty keyspace, which has no db0 line).
func keyspaceCounts(t *testing.T, c *RawConn) string {
	t.Helper()
	m := expiresField.FindStringSubmatch(c.Do("INFO", "keyspace"))
	if m == nil {
		return ""
	}
	return "keys=" + m[1] + ",expires=" + m[2]
}

// TestInfoKeyspaceExpiresAsRedis: INFO keyspace counts the keys with an
// expiry as redis-server does after each write that gives, changes, moves
// or takes one away, and the count survives a restart.
func TestInfoKeyspaceExpiresAsRedis(t *testing.T) {
	srv := StartServer(t)
	neo, ref := Dial(t, srv.Addr), Dial(t, StartRedis(t).Addr)
	steps := [][]string{
		{"SET", "a", "1"},
		{"SET", "b", "1", "EX", "100"},
		{"EXPIRE", "a", "100"},
		{"EXPIRE", "a", "200"},
		{"PERSIST", "b"},
		{"SETEX", "c", "100", "v"},
		{"SET", "c", "v", "KEEPTTL"},
		{"SET", "c", "v"},
		{"HSET", "h", "f", "v"},
		{"PEXPIRE", "h", "100000"},
		{"HDEL", "h", "f"},
		{"RPUSH", "l", "x"},
		{"EXPIRE", "l", "100"},
		{"RENAME", "l", "l2"},
		{"COPY", "l2", "l3"},
		{"GETEX", "a", "PERSIST"},
		{"GETEX", "a", "EX", "50"},
		{"DEL", "a"},
		{"SET", "d", "v", "EX", "100"},
		{"EXPIRE", "d", "0"},
		{"SET", "e", "v", "PX", "100000"},
		{"SET", "e", "v", "GET"},
		{"MSET", "f", "1", "g", "2"},
		{"EXPIRE", "f", "100"},
		{"EXPIRE", "g", "100"},
	}
	for _, cmd := range steps {
		rn, rr := neo.Do(cmd...), ref.Do(cmd...)
		if rn != rr {
			t.Fatalf("%v: neokv %q, redis %q", cmd, rn, rr)
		}
		if got, want := keyspaceCounts(t, neo), keyspaceCounts(t, ref); got != want {
			t.Fatalf("after %v: neokv %s, redis %s", cmd, got, want)
		}
	}
	want := keyspaceCounts(t, ref)
	if !strings.Contains(want, "expires=4") {
		t.Fatalf("the session should leave 4 keys with an expiry: %s", want)
	}
	srv.Stop()
	srv.Restart()
	if got := keyspaceCounts(t, Dial(t, srv.Addr)); got != want {
		t.Errorf("after a restart: %s, want %s", got, want)
	}
	c := Dial(t, srv.Addr)
	c.Do("FLUSHALL")
	ref.Do("FLUSHALL")
	c.Do("SET", "x", "v", "EX", "100")
	ref.Do("SET", "x", "v", "EX", "100")
	if got, want := keyspaceCounts(t, c), keyspaceCounts(t, ref); got != want {
		t.Errorf("after FLUSHALL and a SET EX: neokv %s, redis %s", got, want)
	}
}
