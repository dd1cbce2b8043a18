package tests

import (
	"regexp"
	"strings"
	"testing"
)

// TestMonitorAgainstRedis sends the same commands to NeoKV and redis-server
// with a MONITOR connection open on each and compares what the monitors
// show, timestamps and client addresses aside.
func TestMonitorAgainstRedis(t *testing.T) {
	neoSrv := StartServer(t)
	logOnFailure(t, neoSrv)
	stamp := regexp.MustCompile(`^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] `)
	run := func(addr string) []string {
		mon := Dial(t, addr)
		if got := mon.Do("MONITOR"); got != "+OK\r\n" {
			t.Fatalf("MONITOR: %q", got)
		}
		c := Dial(t, addr)
		for _, args := range [][]string{
			{"SET", "a", "x y"}, {"GET", "a"}, {"NOSUCH", "1"}, {"GET"},
			{"MULTI"}, {"INCR", "c"}, {"GET", "a"}, {"EXEC"},
			{"MULTI"}, {"SET", "k"}, {"EXEC"},
			{"AUTH", "foo"}, {"HELLO", "2", "AUTH", "default", "secret"}, {"PING"},
			{"SET", "bin", "a\nb\x01\"\\\t\r\a\b\x7f\xff"}, {"HSET", "a", "f", "v"},
			{"CLIENT", "SETNAME", "x"}, {"ECHO", "done"},
		} {
			c.Do(args...)
		}
		var lines []string
		for {
			l := mon.ReadReply()
			if !stamp.MatchString(l) {
				t.Fatalf("monitor line %q", l)
			}
			lines = append(lines, stamp.ReplaceAllString(l, ""))
			if strings.Contains(l, `"ECHO" "done"`) {
				return lines
			}
		}
	}
	got, want := run(neoSrv.Addr), run(StartRedis(t).Addr)
	if strings.Join(got, "") != strings.Join(want, "") {
		t.Fatalf("monitor output\n  neokv: %q\n  redis: %q", got, want)
	}
	// CLIENT LIST flags a monitor O; RESET is refused on it, as in Redis.
	mon := Dial(t, neoSrv.Addr)
	mon.Do("MONITOR")
	if got := mon.Do("RESET"); got != "-ERR can only reset normal client connections\r\n" {
		t.Fatalf("RESET on a monitor: %q", got)
	}
}
