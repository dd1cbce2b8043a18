package tests

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestRedisBenchmarkCompat runs redis-benchmark, unpipelined and with 16
// commands per pipeline, against NeoKV. It must finish, exit 0 (since
// Redis 7 it exits at the first error reply), report every test and print
// no error or warning.
func TestRedisBenchmarkCompat(t *testing.T) {
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Fatalf("redis-benchmark not installed (apt-get install -y redis-tools): %v", err)
	}
	srv := StartServer(t)
	host, port, _ := strings.Cut(srv.Addr, ":")
	for _, pipeline := range []string{"1", "16"} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, "-h", host, "-p", port, "-q",
			"-n", "20000", "-c", "20", "-P", pipeline, "-t", "set,get,incr,mset")
		start := time.Now()
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() == context.DeadlineExceeded
		cancel()
		// -q redraws progress with carriage returns; keep the final lines.
		var lines []string
		for _, l := range strings.Split(strings.ReplaceAll(string(out), "\r", "\n"), "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "rps=") {
				lines = append(lines, l)
			}
		}
		report := strings.Join(lines, "\n")
		if timedOut {
			t.Fatalf("-P %s: redis-benchmark did not finish within 60s:\n%s", pipeline, report)
		}
		if err != nil {
			t.Fatalf("-P %s: redis-benchmark: %v\n%s", pipeline, err, report)
		}
		for _, bad := range []string{"rror", "WARN", "NOAUTH", "MOVED", "CROSSSLOT", "unknown"} {
			if strings.Contains(report, bad) {
				t.Errorf("-P %s: output mentions %q:\n%s", pipeline, bad, report)
			}
		}
		for _, test := range []string{"SET", "GET", "INCR", `MSET \(10 keys\)`} {
			if !regexp.MustCompile(`(?m)^` + test + `: [0-9.]+ requests per second`).MatchString(report) {
				t.Errorf("-P %s: no result line for %s:\n%s", pipeline, test, report)
			}
		}
		t.Logf("-P %s (%s):\n%s", pipeline, time.Since(start).Round(time.Millisecond), report)
	}
	// Every INCR of both runs was applied exactly once (redis-benchmark
	// without -r uses the key name literally).
	c := Dial(t, srv.Addr)
	if got := c.Do("GET", "counter:__rand_int__"); got != "$5\r\n40000\r\n" {
		t.Errorf("INCR's counter after 2 x 20000 INCRs: %q", got)
	}
	if got := c.Do("EXISTS", "key:__rand_int__"); got != ":1\r\n" {
		t.Errorf("SET's key after the benchmark: %q", got)
	}
}
