package tests

import (
	"bytes"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// badRequest is malformed input Redis answers with a protocol error and a
// closed connection.
type badRequest struct {
	name string
	bad  string // the malformed bytes
	want string // Redis 7's exact reply to them
	// tail: a valid write sent after the bad bytes in the same write; it
	// must not run. Cases whose bad bytes are a "too big" line have none,
	// since a newline would end the oversized line.
	tail bool
}

const (
	errBulkLen  = "-ERR Protocol error: invalid bulk length\r\n"
	errMbulkLen = "-ERR Protocol error: invalid multibulk length\r\n"
)

func badRequests() []badRequest {
	long := func(prefix string, b byte) string { return prefix + strings.Repeat(string(b), 70000) }
	return []badRequest{
		{"bulk-over-proto-max-bulk-len", "*3\r\n$3\r\nSET\r\n$6\r\nbadkey\r\n$536870913\r\n", errBulkLen, true},
		{"bulk-len-overflows-int64", "*3\r\n$3\r\nSET\r\n$6\r\nbadkey\r\n$99999999999999999999999\r\n", errBulkLen, true},
		{"bulk-len-minus-one", "*3\r\n$3\r\nSET\r\n$6\r\nbadkey\r\n$-1\r\n", errBulkLen, true},
		{"bulk-len-negative", "*1\r\n$-5\r\n", errBulkLen, true},
		{"bulk-len-not-a-number", "*2\r\n$3\r\nGET\r\n$abc\r\n", errBulkLen, true},
		{"bulk-len-plus-sign", "*1\r\n$+4\r\nPING\r\n", errBulkLen, true},
		{"bulk-len-leading-zero", "*1\r\n$04\r\nPING\r\n", errBulkLen, true},
		{"bulk-len-space", "*1\r\n$ 4\r\nPING\r\n", errBulkLen, true},
		{"bulk-len-bare-newline", "*1\r\n$4\nPING\r\n", errBulkLen, true},
		{"multibulk-count-over-int32", "*2147483648\r\n$3\r\nSET\r\n", errMbulkLen, true},
		{"multibulk-count-huge", "*3000000000000\r\n", errMbulkLen, true},
		{"multibulk-count-not-a-number", "*abc\r\n", errMbulkLen, true},
		{"multibulk-count-leading-zero", "*01\r\n$4\r\nPING\r\n", errMbulkLen, true},
		{"multibulk-count-bare-newline", "*1\nPING\r\n", errMbulkLen, true},
		{"expected-dollar-got-x", "*3\r\n$3\r\nSET\r\n$6\r\nbadkey\r\nx1\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n", true},
		{"expected-dollar-got-colon", "*2\r\n$3\r\nGET\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n", true},
		{"expected-dollar-got-crlf", "*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n", true},
		{"unbalanced-double-quote", "SET badkey \"value\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n", true},
		{"unbalanced-single-quote", "SET badkey 'value\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n", true},
		{"quote-not-followed-by-space", "SET badkey \"va\"lue\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n", true},
		{"too-big-inline", long("SET badkey ", 'a'), "-ERR Protocol error: too big inline request\r\n", false},
		{"too-big-mbulk-count", long("*", '1'), "-ERR Protocol error: too big mbulk count string\r\n", false},
		{"too-big-bulk-count", long("*3\r\n$3\r\nSET\r\n$6\r\nbadkey\r\n$", '1'), "-ERR Protocol error: too big bulk count string\r\n", false},
	}
}

// TestBadInputProtocolErrors sends, in one write, two good commands, a
// malformed request and a good write, to NeoKV and to redis-server. Both
// must answer the good commands, then exactly Redis's protocol error, then
// close; the bad request and everything after it must not run; the server
// stays up.
func TestBadInputProtocolErrors(t *testing.T) {
	neo := StartServer(t)
	ref := StartRedis(t)
	cases := badRequests()
	for i, bc := range cases {
		t.Run(bc.name, func(t *testing.T) {
			for _, target := range []struct{ name, addr string }{{"neokv", neo.Addr}, {"redis", ref.Addr}} {
				before := fmt.Sprintf("bad:%d:before", i)
				after := fmt.Sprintf("bad:%d:after", i)
				r := Dial(t, target.addr)
				payload := respCmd("SET", before, "v") + "PING\r\n" + bc.bad
				if bc.tail {
					payload += respCmd("SET", after, "x")
				}
				r.Send(payload)
				got := r.ExpectClosed()
				if want := "+OK\r\n+PONG\r\n" + bc.want; got != want {
					t.Errorf("%s replied %q, want %q", target.name, got, want)
				}
				// The same bad bytes as the first thing on a connection:
				// nothing parsed before them, the error still comes.
				first := Dial(t, target.addr)
				first.Send(bc.bad)
				if got := first.ExpectClosed(); got != bc.want {
					t.Errorf("%s replied %q to the bad bytes alone, want %q", target.name, got, bc.want)
				}
				c := Dial(t, target.addr)
				checks := [][2]string{
					{respCmd("PING"), "+PONG\r\n"},
					{respCmd("GET", before), "$1\r\nv\r\n"},
					{respCmd("EXISTS", after, "badkey"), ":0\r\n"},
				}
				for _, ck := range checks {
					c.Send(ck[0])
					if got := c.ReadReply(); got != ck[1] {
						t.Errorf("%s after the bad request: %q -> %q, want %q", target.name, ck[0], got, ck[1])
					}
				}
			}
		})
	}
	// Only the "before" keys were written.
	want := ":" + strconv.Itoa(len(cases)) + "\r\n"
	if got := Dial(t, neo.Addr).Do("DBSIZE"); got != want {
		t.Errorf("neokv DBSIZE = %q, want %q", got, want)
	}
}

// TestBadInputUnauthenticatedLimits: before AUTH, Redis refuses more than 10
// arguments or a bulk over 16 KiB, so unauthenticated clients cannot make
// it buffer much.
func TestBadInputUnauthenticatedLimits(t *testing.T) {
	neo := StartServer(t, "--requirepass", "pw")
	ref := StartRedis(t)
	if got := Dial(t, ref.Addr).Do("CONFIG", "SET", "requirepass", "pw"); got != "+OK\r\n" {
		t.Fatalf("redis CONFIG SET requirepass: %q", got)
	}
	cases := []struct{ send, want string }{
		{"PING\r\n*11\r\n", "-NOAUTH Authentication required.\r\n-ERR Protocol error: unauthenticated multibulk length\r\n"},
		{"*2\r\n$4\r\nAUTH\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"},
	}
	for _, target := range []struct{ name, addr string }{{"neokv", neo.Addr}, {"redis", ref.Addr}} {
		for _, c := range cases {
			r := Dial(t, target.addr)
			r.Send(c.send)
			if got := r.ExpectClosed(); got != c.want {
				t.Errorf("%s: %q -> %q, want %q", target.name, c.send, got, c.want)
			}
		}
		// At the limits themselves the request is accepted.
		r := Dial(t, target.addr)
		pw16k := strings.Repeat("p", 16384)
		r.Send(respCmd("AUTH", pw16k) + respCmd("DEL", "1", "2", "3", "4", "5", "6", "7", "8", "9"))
		want := "-WRONGPASS invalid username-password pair or user is disabled.\r\n-NOAUTH Authentication required.\r\n"
		if got := r.ReadReply() + r.ReadReply(); got != want {
			t.Errorf("%s at the limits: %q, want %q", target.name, got, want)
		}
	}
}

// waitClients polls CLIENT LIST until only n connections are left, so a
// test knows the server has seen its other connections close.
func waitClients(t *testing.T, c *RawConn, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v := decodeOne(t, c.Do("CLIENT", "LIST"))
		s, _ := v.(string)
		if got := strings.Count(s, "\n"); got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("connections still open on the server:\n%s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBadInputHalfSentThenClose: requests cut off by the client closing
// the connection run nothing and leave the server serving.
func TestBadInputHalfSentThenClose(t *testing.T) {
	srv := StartServer(t)
	big := respCmd("SET", "half:big", strings.Repeat("z", 1<<20))
	partials := []string{
		"*3\r\n$3\r\nSET\r\n$6\r\nhalf:a\r\n$5\r\nval",
		"*3\r\n$3\r\nSET\r\n$6\r\nhalf:b\r\n$5\r\nvalue", // payload complete, CRLF missing
		"*3\r\n$3\r\nSET\r\n$6\r\nhalf:c\r\n",
		"*3\r\n$3\r\nSET\r\n$6\r\nhalf:d",
		"*3\r\n$3\r\nSE",
		"*3\r",
		"SET half:e value", // inline without its newline
		big[:len(big)-2],
		big[:len(big)/2],
		"*2147483647\r\n$3\r\nSET\r\n$6\r\nhalf:f\r\n$1\r\nv\r\n", // a huge count that never fills
	}
	ctl := Dial(t, srv.Addr)
	for _, p := range partials {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte(p)); err != nil {
			t.Fatal(err)
		}
		// Give the server the bytes before the close, so it parses them.
		time.Sleep(20 * time.Millisecond)
		c.Close()
	}
	waitClients(t, ctl, 1)
	if got := ctl.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after half-sent requests: %q", got)
	}
	for _, k := range []string{"half:a", "half:b", "half:c", "half:d", "half:e", "half:f", "half:big"} {
		if got := ctl.Do("EXISTS", k); got != ":0\r\n" {
			t.Errorf("EXISTS %s = %q: a half-sent request was executed", k, got)
		}
	}
	if got := ctl.Do("DBSIZE"); got != ":0\r\n" {
		t.Errorf("DBSIZE = %q", got)
	}
}

// TestBadInputBinaryJunk: non-text bytes are unknown commands, as in Redis,
// and the connection stays usable.
func TestBadInputBinaryJunk(t *testing.T) {
	neo := StartServer(t)
	ref := StartRedis(t)
	junk := "\x80\x81\xfe\xff\x01\x7f junk \x90\r\n" + respCmd("\xff\xfe", "\x00\x01") + "$4\r\nPING\r\n"
	for _, target := range []struct{ name, addr string }{{"neokv", neo.Addr}, {"redis", ref.Addr}} {
		r := Dial(t, target.addr)
		r.Send(junk)
		got := r.ReadReply() + r.ReadReply() + r.ReadReply() + r.ReadReply()
		want := "-ERR unknown command '\x80\x81\xfe\xff\x01\x7f', with args beginning with: 'junk' '\x90' \r\n" +
			"-ERR unknown command '\xff\xfe', with args beginning with: '' \r\n" + // Redis prints up to the NUL
			"-ERR unknown command '$4', with args beginning with: \r\n" +
			"+PONG\r\n"
		if target.name == "neokv" {
			// NeoKV is binary safe in error texts; Redis's %s stops at the NUL.
			want = strings.Replace(want, "''", "'\x00\x01'", 1)
		}
		if got != want {
			t.Errorf("%s: %q, want %q", target.name, got, want)
		}
		if got := r.Do("PING"); got != "+PONG\r\n" {
			t.Errorf("%s: PING after junk: %q", target.name, got)
		}
	}
}

// TestBadInputFuzzJunk throws seeded random byte strings built from
// protocol punctuation, digits and non-letters at the server. No letter
// means no command can be named, so every reply must be an error, a
// protocol error must be the last thing before a close, nothing may be
// written and the server must stay up.
func TestBadInputFuzzJunk(t *testing.T) {
	srv := StartServer(t)
	ctl := Dial(t, srv.Addr)
	if got := ctl.Do("SET", "fuzz:canary", "alive"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	alphabet := []byte("*$-+:0123456789\r\n\r\n \"'\\\x00\x01\x1b\x7f\x80\xc3\xff")
	rng := rand.New(rand.NewSource(1))
	var unknown, protoErrs int
	for i := 0; i < 400; i++ {
		n := 1 + rng.Intn(120)
		buf := make([]byte, n)
		for j := range buf {
			buf[j] = alphabet[rng.Intn(len(alphabet))]
		}
		if rng.Intn(3) == 0 { // often start like a multibulk request
			buf = append([]byte(fmt.Sprintf("*%d\r\n$%d\r\n", rng.Intn(4)+1, rng.Intn(6))), buf...)
		}
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatalf("case %d: dial: %v", i, err)
		}
		if _, err := c.Write(buf); err != nil {
			t.Fatalf("case %d: write: %v", i, err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var out bytes.Buffer
		_, err = out.ReadFrom(c)
		c.Close()
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("case %d %q: server kept the half-closed connection open", i, buf)
		}
		rest := out.String()
		var last string
		for rest != "" {
			nl := strings.Index(rest, "\r\n")
			if nl < 0 || rest[0] != '-' {
				t.Fatalf("case %d %q: reply is not an error line: %q", i, buf, out.String())
			}
			last, rest = rest[:nl], rest[nl+2:]
			if strings.HasPrefix(last, "-ERR Protocol error") && rest != "" {
				t.Fatalf("case %d %q: replies after a protocol error: %q", i, buf, out.String())
			}
			switch {
			case strings.HasPrefix(last, "-ERR Protocol error"):
				protoErrs++
			case strings.HasPrefix(last, "-ERR unknown command"):
				unknown++
			default:
				t.Fatalf("case %d %q: unexpected error %q", i, buf, last)
			}
		}
	}
	t.Logf("junk got %d protocol errors and %d unknown-command errors", protoErrs, unknown)
	if protoErrs == 0 || unknown == 0 {
		t.Errorf("the junk did not reach both the protocol errors and the command table")
	}
	if got := ctl.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING after junk: %q", got)
	}
	if got := ctl.Do("DBSIZE"); got != ":1\r\n" {
		t.Errorf("DBSIZE after junk = %q, want :1", got)
	}
	if got := ctl.Do("GET", "fuzz:canary"); got != "$5\r\nalive\r\n" {
		t.Errorf("canary = %q", got)
	}
}

// TestProtocolTinyPieces sends requests one byte per write.
func TestProtocolTinyPieces(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	payload := respCmd("SET", "tiny", "hello world") + "GET tiny\r\n" + respCmd("INCR", "tiny:n") + "PING\r\n" +
		respCmd("SET", "tiny:bin", "a\r\nb\x00c")
	for i := 0; i < len(payload); i++ {
		r.Send(payload[i : i+1])
		time.Sleep(time.Millisecond) // separate segments, so separate reads
	}
	want := []string{"+OK\r\n", "$11\r\nhello world\r\n", ":1\r\n", "+PONG\r\n", "+OK\r\n"}
	for i, w := range want {
		if got := r.ReadReply(); got != w {
			t.Fatalf("reply %d: %q, want %q", i, got, w)
		}
	}
	if got := r.Do("GET", "tiny:bin"); got != "$6\r\na\r\nb\x00c\r\n" {
		t.Fatalf("binary value: %q", got)
	}
}

// TestProtocolLargeValueInPieces: a 20 MB value arrives in many writes of
// odd sizes and comes back intact.
func TestProtocolLargeValueInPieces(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	const size = 20 << 20
	val := make([]byte, size)
	rng := rand.New(rand.NewSource(7))
	rng.Read(val)
	payload := respCmd("SET", "big", string(val))
	// Header and trailing CRLF byte by byte, the body in odd-sized chunks.
	hdr := strings.Index(payload, "\r\n$20971520\r\n") + len("\r\n$20971520\r\n")
	for i := 0; i < hdr; i++ {
		r.Send(payload[i : i+1])
	}
	for pos := hdr; pos < len(payload)-2; {
		n := min(65521+rng.Intn(100000), len(payload)-2-pos)
		r.Send(payload[pos : pos+n])
		pos += n
	}
	r.Send("\r")
	time.Sleep(5 * time.Millisecond)
	r.Send("\n")
	if got := r.ReadReply(); got != "+OK\r\n" {
		t.Fatalf("SET 20MB: %q", got)
	}
	if got := r.Do("STRLEN", "big"); got != ":20971520\r\n" {
		t.Fatalf("STRLEN: %q", got)
	}
	got := r.Do("GET", "big")
	if want := "$20971520\r\n" + string(val) + "\r\n"; got != want {
		t.Fatalf("GET big: %d bytes back, differs from what was set (prefix %q)", len(got), got[:min(len(got), 40)])
	}
}

// TestProtocolPipeline10k: 10,000 commands in one write get 10,000 replies
// in request order; alternating INCR and GET makes any reordering visible.
func TestProtocolPipeline10k(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	var b strings.Builder
	for i := 0; i < 10000; i++ {
		switch i % 4 {
		case 0:
			b.WriteString(respCmd("INCR", "pipe:n"))
		case 1:
			b.WriteString(respCmd("GET", "pipe:n"))
		case 2:
			b.WriteString(respCmd("SET", "pipe:k"+strconv.Itoa(i%97), strconv.Itoa(i)))
		case 3:
			b.WriteString("ECHO " + strconv.Itoa(i) + "\r\n")
		}
	}
	payload := b.String()
	sent := make(chan error, 1)
	go func() {
		_, err := r.c.Write([]byte(payload))
		sent <- err
	}()
	for i := 0; i < 10000; i++ {
		var want string
		n := strconv.Itoa(i/4 + 1)
		switch i % 4 {
		case 0:
			want = ":" + n + "\r\n"
		case 1:
			want = "$" + strconv.Itoa(len(n)) + "\r\n" + n + "\r\n"
		case 2:
			want = "+OK\r\n"
		case 3:
			s := strconv.Itoa(i)
			want = "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n"
		}
		if got := r.ReadReply(); got != want {
			t.Fatalf("reply %d: %q, want %q", i, got, want)
		}
	}
	if err := <-sent; err != nil {
		t.Fatal(err)
	}
	if got := r.Do("DBSIZE"); got != ":98\r\n" {
		t.Fatalf("DBSIZE = %q, want 98", got)
	}
}
