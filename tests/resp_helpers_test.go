package tests

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// respCmd encodes one command as a RESP array of bulk strings.
func respCmd(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// respErr is a decoded error reply.
type respErr string

// respMap is a decoded RESP3 map (or a RESP2 array read as pairs), keys in
// reply order.
type respMap struct {
	keys []string
	vals map[string]any
}

// decodeRESP decodes the first reply in s into Go values: simple and bulk
// strings become string, integers int64, nulls nil, arrays/sets/pushes []any,
// maps *respMap, errors respErr. It returns the unread rest of s.
func decodeRESP(t testing.TB, s string) (any, string) {
	t.Helper()
	i := strings.Index(s, "\r\n")
	if i < 1 {
		t.Fatalf("decodeRESP: no complete line in %q", s)
	}
	kind, body, rest := s[0], s[1:i], s[i+2:]
	count := func() int {
		n, err := strconv.Atoi(body)
		if err != nil {
			t.Fatalf("decodeRESP: bad length %q", body)
		}
		return n
	}
	switch kind {
	case '+':
		return body, rest
	case '-':
		return respErr(body), rest
	case ':':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			t.Fatalf("decodeRESP: bad integer %q", body)
		}
		return n, rest
	case '_':
		return nil, rest
	case '#':
		return body == "t", rest
	case ',':
		return body, rest
	case '$', '=', '!':
		n := count()
		if n < 0 {
			return nil, rest
		}
		if len(rest) < n+2 {
			t.Fatalf("decodeRESP: short bulk in %q", s)
		}
		v := rest[:n]
		if kind == '=' { // verbatim: "txt:" prefix
			v = v[4:]
		}
		return v, rest[n+2:]
	case '*', '~', '>':
		n := count()
		if n < 0 {
			return nil, rest
		}
		out := make([]any, 0, n)
		for j := 0; j < n; j++ {
			var v any
			v, rest = decodeRESP(t, rest)
			out = append(out, v)
		}
		return out, rest
	case '%':
		n := count()
		m := &respMap{vals: map[string]any{}}
		for j := 0; j < n; j++ {
			var k, v any
			k, rest = decodeRESP(t, rest)
			v, rest = decodeRESP(t, rest)
			ks := fmt.Sprint(k)
			m.keys = append(m.keys, ks)
			m.vals[ks] = v
		}
		return m, rest
	}
	t.Fatalf("decodeRESP: unknown type in %q", s)
	return nil, ""
}

// decodeOne decodes a reply that must be exactly one value.
func decodeOne(t testing.TB, s string) any {
	t.Helper()
	v, rest := decodeRESP(t, s)
	if rest != "" {
		t.Fatalf("decodeOne: trailing bytes %q", rest)
	}
	return v
}

// pairsToMap reads a RESP2 flat array of key/value pairs as a map.
func pairsToMap(t testing.TB, v any) *respMap {
	t.Helper()
	if m, ok := v.(*respMap); ok {
		return m
	}
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		t.Fatalf("not a map or pair array: %#v", v)
	}
	m := &respMap{vals: map[string]any{}}
	for j := 0; j < len(arr); j += 2 {
		k := fmt.Sprint(arr[j])
		m.keys = append(m.keys, k)
		m.vals[k] = arr[j+1]
	}
	return m
}

// startClusterRedis starts redis-server with cluster mode on and every slot
// assigned to itself: the reference for CLUSTER subcommands and READONLY.
func startClusterRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not installed: %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			r := Dial(t, addr)
			if got := r.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); got != "+OK\r\n" {
				t.Fatalf("CLUSTER ADDSLOTSRANGE: %q", got)
			}
			// The node reports cluster_state:ok only after its cron runs.
			for time.Now().Before(deadline) {
				if strings.Contains(r.Do("CLUSTER", "INFO"), "cluster_state:ok") {
					return &RedisServer{Addr: addr, cmd: cmd}
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Fatalf("cluster redis never reached cluster_state:ok")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("cluster redis-server did not start")
	return nil
}

// quoteArgs renders a command for failure messages.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}
