package netio

import "testing"

// TestWaitsOnEarlierWritesOutCompletedReplies: a command told to wait for
// its connection's earlier ones is retried only when one of them
// completes. If every earlier reply is complete already (a WATCH read
// served locally, QUEUED replies behind it), none will complete again:
// they must be written out and the command run now, or the connection
// hangs.
func TestWaitsOnEarlierWritesOutCompletedReplies(t *testing.T) {
	cl := &client{srv: &Server{}}
	for _, r := range []string{"OK", "QUEUED"} {
		sl := cl.newSlot()
		sl.w.Simple(r)
		sl.done.Store(true)
	}
	if cl.waitsOnEarlier() {
		t.Fatal("waits although every earlier reply is complete")
	}
	if got := string(cl.out.B); got != "+OK\r\n+QUEUED\r\n" {
		t.Fatalf("written out: %q", got)
	}
	cl.out.B = cl.out.B[:0]
	pending := cl.newSlot()
	later := cl.newSlot()
	later.w.OK()
	later.done.Store(true)
	if !cl.waitsOnEarlier() {
		t.Fatal("does not wait for a pending earlier command")
	}
	if len(cl.out.B) != 0 {
		t.Fatalf("a reply overtook the pending one: %q", cl.out.B)
	}
	pending.w.Simple("QUEUED")
	pending.done.Store(true)
	if cl.waitsOnEarlier() || string(cl.out.B) != "+QUEUED\r\n+OK\r\n" {
		t.Fatalf("after completion: waits %v, written %q", cl.waitsOnEarlier(), cl.out.B)
	}
}
