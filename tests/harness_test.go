// Package tests holds NeoKV's end-to-end tests: they build the neokv binary,
// start real server processes on 127.0.0.1 and talk to them with go-redis
// and raw sockets. Every process a test starts is stopped by pid when the
// test ends.
package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// neokvBin is the binary built once by TestMain.
var neokvBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "neokv-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	neokvBin = filepath.Join(dir, "neokv")
	args := []string{"build", "-o", neokvBin}
	if os.Getenv("NEOKV_E2E_RACE") != "" {
		// The servers under the race detector: a race they report fails
		// the test that started them (see checkRaces).
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/neokv")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build neokv:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Server is a neokv server process started by a test.
type Server struct {
	t     testing.TB
	Addr  string
	Dir   string
	Args  []string
	cmd   *exec.Cmd
	logMu sync.Mutex
	log   *os.File
	done  chan error
}

// StartServer starts `neokv server` on a free port with a fresh data
// directory and extra flags.
func StartServer(t testing.TB, extra ...string) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir(), Args: extra}
	t.Cleanup(s.checkRaces)
	t.Cleanup(s.Kill)
	for attempt := 0; ; attempt++ {
		s.Addr = fmt.Sprintf("127.0.0.1:%d", freePort(t))
		err := s.tryStart()
		if err == nil {
			return s
		}
		if err != errPortTaken || attempt == 4 {
			t.Fatal(err)
		}
	}
}

func (s *Server) start() {
	s.t.Helper()
	if err := s.tryStart(); err != nil {
		s.t.Fatal(err)
	}
}

// errPortTaken: the port picked by freePort was taken before the server
// bound it (freePort closes its probe listener; another process may grab
// the port in between). Callers pick new ports and try again.
var errPortTaken = errors.New("address already in use")

func (s *Server) tryStart() error {
	args := append([]string{"server", "--addr", s.Addr, "--dir", s.Dir}, s.Args...)
	s.cmd = exec.Command(neokvBin, args...)
	logPath := filepath.Join(s.Dir, "server.log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	s.log = f
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start neokv: %w", err)
	}
	s.done = make(chan error, 1)
	go func(cmd *exec.Cmd, done chan error) { done <- cmd.Wait() }(s.cmd, s.done)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			s.cmd = nil
			_ = s.log.Close()
			if strings.Contains(s.Log(), "address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("neokv exited during startup: %v\n%s", err, s.Log())
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			// -NOAUTH means up, behind --requirepass.
			if err == nil && (strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH")) {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("neokv did not answer PING on %s\n%s", s.Addr, s.Log())
}

// checkRaces fails the test if the server's log holds a report of the race
// detector (a build with NEOKV_E2E_RACE set). It runs after Kill.
func (s *Server) checkRaces() {
	if log := s.Log(); strings.Contains(log, "WARNING: DATA RACE") {
		i := strings.Index(log, "WARNING: DATA RACE")
		s.t.Errorf("data race in the server at %s:\n%s", s.Addr, log[i:min(len(log), i+6000)])
	}
}

// Log returns what the server printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	return string(b)
}

// Kill stops the process with SIGKILL (no-op if it already exited).
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
	_ = s.log.Close()
}

// Stop sends SIGTERM and waits for a clean exit; it fails the test if the
// process does not exit with status 0 within 15 s.
func (s *Server) Stop() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.cmd = nil
		_ = s.log.Close()
		if err != nil {
			s.t.Fatalf("neokv exited with %v after SIGTERM\n%s", err, s.Log())
		}
	case <-time.After(15 * time.Second):
		s.Kill()
		s.t.Fatalf("neokv did not exit within 15s of SIGTERM")
	}
}

// Restart starts the server again on the same address and directory,
// stopping it first if it is running (a second process would be left
// running when the test ends).
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Client returns a go-redis client speaking RESP2 or RESP3, closed at cleanup.
func (s *Server) Client(t testing.TB, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:            s.Addr,
		Protocol:        proto,
		DisableIdentity: true,
		ReadTimeout:     10 * time.Second,
		WriteTimeout:    10 * time.Second,
		MaxRetries:      -1,
	})
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	return c
}

// RawConn is a plain TCP connection for byte-exact protocol tests.
type RawConn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

// Dial opens a raw connection, closed at cleanup.
func Dial(t testing.TB, addr string) *RawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &RawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// Send writes raw bytes.
func (r *RawConn) Send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// Do sends one command as a RESP array and returns the raw reply.
func (r *RawConn) Do(args ...string) string {
	r.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	r.Send(b.String())
	return r.ReadReply()
}

// ReadReply reads exactly one complete reply and returns its bytes.
func (r *RawConn) ReadReply() string {
	r.t.Helper()
	return r.ReadReplyWithin(10 * time.Second)
}

// ReadReplyWithin is ReadReply for a reply that may take longer (a script
// running to its instruction limit under the race detector).
func (r *RawConn) ReadReplyWithin(d time.Duration) string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	var b strings.Builder
	if err := readReply(r.r, &b); err != nil {
		r.t.Fatalf("read reply: %v (so far %q)", err, b.String())
	}
	return b.String()
}

// ExpectClosed asserts the server closes the connection (after any bytes
// already sent), returning what was read before EOF.
func (r *RawConn) ExpectClosed() string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.r.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				r.t.Fatalf("connection still open; read %q", b.String())
			}
			return b.String()
		}
	}
}

func readReply(r *bufio.Reader, b *strings.Builder) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	b.WriteString(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return nil
	case '$', '=', '!':
		var n int
		if _, err := fmt.Sscanf(body, "%d", &n); err != nil {
			return err
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return err
		}
		b.Write(buf)
		return nil
	case '*', '~', '>', '%', '|':
		var n int
		if _, err := fmt.Sscanf(body, "%d", &n); err != nil {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, b); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown reply type %q", line)
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// RedisServer is Debian's redis-server, started for side-by-side checks.
type RedisServer struct {
	Addr string
	cmd  *exec.Cmd
}

// StartRedis starts a reference redis-server with no persistence. The test
// fails (it is not skipped) if redis-server is missing: .ci/run installs it.
func StartRedis(t testing.TB) *RedisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not installed (apt-get install -y redis-server): %v", err)
	}
	port := freePort(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
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
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return &RedisServer{Addr: addr, cmd: cmd}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("redis-server did not start")
	return nil
}
