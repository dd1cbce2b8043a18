package netio

import (
	"bufio"
	"net"
	"testing"
	"time"

	"github.com/neokv/neokv/resp"
)

// A forwarded command sent to the leader before the link broke may have
// run there. A write must then fail as uncertain, never TRYAGAIN, which
// clients retry by themselves (an INCR would apply twice); a read may be
// answered TRYAGAIN.
func TestForwardLinkBreakAfterSend(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// A leader that reads the forwarding hello and two commands (five
	// lines each in RESP), then drops the link without answering.
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for lines := 0; lines < 3*5; lines++ {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
		}
	}()
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
