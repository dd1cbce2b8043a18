package netio

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/neokv/neokv/resp"
)

// A forwarded command sent to the leader before the link broke may have
// run there. A write must then fail as uncertain, never TRYAGAIN, which
// clients retry by themselves (an INCR would apply twice); a read may be
// answered TRYAGAIN.
func TestForwardLinkBreakAfterSend(t *testing.T) {
	// A leader that reads the forwarding hello and two commands, then
	// drops the link without answering.
	ln := fakeLeader(t, 3, func(net.Conn) {})
	f := newForwarder()
	defer f.close()
	f.readOnly = func(argv [][]byte) bool { return string(argv[0]) == "get" }
	type result struct {
		w    resp.Writer
		done chan struct{}
	}
	send := func(argv ...string) *result {
		res := &result{done: make(chan struct{}, 1)}
		args := make([][]byte, len(argv))
		for i, a := range argv {
			args[i] = []byte(a)
		}
		f.forward(ln.Addr().String(), args, &res.w, chanDone(res.done))
		return res
	}
	incr := send("incr", "k")
	get := send("get", "k")
	for _, r := range []*result{incr, get} {
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			t.Fatal("no reply after the link broke")
		}
	}
	if got, want := string(incr.w.B), "-"+errForwardUncertain+"\r\n"; got != want {
		t.Fatalf("INCR sent before the link broke got %q, want %q", got, want)
	}
	if got, want := string(get.w.B), "-"+errForwardFailed+"\r\n"; got != want {
		t.Fatalf("GET sent before the link broke got %q, want %q", got, want)
	}
}

// Replies reach their requests byte for byte and in order however the
// leader's writes split them: many small replies in one write, a reply cut
// across writes, and a bulk string far beyond the link's read buffer (which grows, then shrinks back).
func TestForwardRepliesAcrossReads(t *testing.T) {
	big := make([]byte, 2<<20)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	replies := []string{"+OK\r\n", ":42\r\n", "$-1\r\n"}
	for i := 0; i < 2000; i++ {
		replies = append(replies, "$5\r\nv"+strconv.Itoa(10000 + i)[1:]+"\r\n")
	}
	replies = append(replies, "$"+strconv.Itoa(len(big))+"\r\n"+string(big)+"\r\n", "*2\r\n$1\r\na\r\n:7\r\n", "-ERR last\r\n")
	// The hello and one GET per reply, then every reply.
	ln := fakeLeader(t, 1+len(replies), func(conn net.Conn) {
		var all []byte
		all = append(all, "+OK\r\n"...) // the hello's reply
		for _, rep := range replies {
			all = append(all, rep...)
		}
		// Odd-sized writes cut replies anywhere.
		for len(all) > 0 {
			n := min(len(all), 7919)
			if _, err := conn.Write(all[:n]); err != nil {
				return
			}
			all = all[n:]
		}
	})
	f := newForwarder()
	defer f.close()
	type result struct {
		w    resp.Writer
		done chan struct{}
	}
	results := make([]*result, len(replies))
	for i := range replies {
		res := &result{done: make(chan struct{}, 1)}
		f.forward(ln.Addr().String(), [][]byte{[]byte("get"), []byte("k")}, &res.w, chanDone(res.done))
		results[i] = res
	}
	for i, res := range results {
		select {
		case <-res.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("reply %d never arrived", i)
		}
		if got := string(res.w.B); got != replies[i] {
			if len(got) > 64 {
				got = got[:64] + "..."
			}
			t.Fatalf("reply %d: got %q (%d bytes), want %d bytes starting %q", i, got, len(res.w.B), len(replies[i]), replies[i][:min(len(replies[i]), 64)])
		}
	}
}

// fakeLeader listens on 127.0.0.1 for one forwarding link, reads the
// hello and commands-1 more commands from it (each five RESP lines: a
// command and a key), then runs then on the link and closes it.
func fakeLeader(t *testing.T, commands int, then func(net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for lines := 0; lines < commands*5; lines++ {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
		then(conn)
	}()
	return ln
}
