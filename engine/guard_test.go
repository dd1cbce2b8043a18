package engine

import (
	"strings"
	"testing"

	"github.com/neokv/neokv/resp"
)

// A command that panics (a bug some input reached) answers an error on
// apply and on the read path instead of ending the process; the entry's
// other commands still apply, and OnPanic hears of it.
func TestCommandPanicIsAnErrorReply(t *testing.T) {
	db := openTestDB(t)
	cmds := Commands()
	cmds["boom"] = &Command{Name: "boom", Arity: 2, Flags: FlagWrite, FirstKey: 1, LastKey: 1, Step: 1,
		Exec: func(c *Ctx, argv [][]byte) {
			c.W.Array(3) // a partial reply that must not reach the client
			var s []int
			_ = s[len(argv)]
		}}
	cmds["readboom"] = &Command{Name: "readboom", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1,
		Exec: func(c *Ctx, argv [][]byte) { panic("read bug") }}
	a := db.NewApplier(cmds)
	var panicked []string
	a.OnPanic = func(cmd string, p any, stack []byte) { panicked = append(panicked, cmd) }
	var w1, w2, w3 resp.Writer
	if err := a.ApplyEntry(entry(1, []string{"set", "k", "1"}, []string{"boom", "k"}, []string{"incr", "k"}), sink{&w1, &w2, &w3}); err != nil {
		t.Fatal(err)
	}
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	want := "-" + errInternalPanic("boom") + "\r\n"
	if string(w1.B) != "+OK\r\n" || string(w2.B) != want || string(w3.B) != ":2\r\n" {
		t.Fatalf("replies %q %q %q", w1.B, w2.B, w3.B)
	}
	if len(panicked) != 1 || panicked[0] != "boom" {
		t.Fatalf("OnPanic calls: %v", panicked)
	}
	rd := db.NewReader()
	var w resp.Writer
	err := rd.Exec(cmds["readboom"], [][]byte{[]byte("readboom"), []byte("k")}, 1, &w)
	if string(w.B) != "-"+errInternalPanic("readboom")+"\r\n" || err == nil || !strings.Contains(err.Error(), "read bug") {
		t.Fatalf("read path: %q %v", w.B, err)
	}
	w.Reset()
	if err := rd.Exec(cmds["get"], [][]byte{[]byte("get"), []byte("k")}, 1, &w); err != nil || string(w.B) != "$1\r\n2\r\n" {
		t.Fatalf("GET after a read panic: %q %v", w.B, err)
	}
}
