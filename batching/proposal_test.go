package batching

import (
	"testing"

	"github.com/neokv/neokv/engine"
)

// A deposed leader's proposals stay pending until their fate is known:
// applied (take), decided against once an entry of a later term applied
// (takeDecided), or given up (takeInDoubt). The counters the round loop's
// timeout and the apply loop read follow every path.
func TestPendingProposalsInDoubt(t *testing.T) {
	tab := pendingTable{m: map[uint64]*proposal{}}
	a, b := &Region{id: 1}, &Region{id: 2}
	add := func(seq uint64, r *Region, term uint64) {
		tab.put(seq, &proposal{region: r, term: term})
	}
	add(1, a, 5)
	add(2, a, 5)
	add(3, a, 5)
	add(4, b, 5)
	check := func(when string, regionA, regionB, total int) {
		t.Helper()
		if int(a.inDoubt.Load()) != regionA || int(b.inDoubt.Load()) != regionB || int(tab.inDoubt.Load()) != total {
			t.Fatalf("%s: in doubt a=%d b=%d total=%d, want %d %d %d", when, a.inDoubt.Load(), b.inDoubt.Load(), tab.inDoubt.Load(), regionA, regionB, total)
		}
	}
	if n := tab.markInDoubt(a); n != 3 {
		t.Fatalf("marked %d of region a's 3 proposals", n)
	}
	check("after the step-down", 3, 0, 3)
	if n := tab.markInDoubt(a); n != 0 {
		t.Fatalf("a second step-down marked %d again", n)
	}
	// Applied under the next leader: answered with its outcome.
	if p := tab.take(1); p == nil || !p.inDoubt {
		t.Fatalf("take(1) = %+v", p)
	}
	check("after one applied", 2, 0, 2)
	// Entries of term 5 still applying decide nothing.
	if got := tab.takeDecided(a, 5); len(got) != 0 {
		t.Fatalf("decided %d proposals on an entry of their own term", len(got))
	}
	// A leader proposing again in term 7 adds proposals not in doubt.
	add(5, a, 7)
	if got := tab.takeDecided(a, 6); len(got) != 2 {
		t.Fatalf("an entry of term 6 decided %d proposals of term 5, want 2", len(got))
	}
	check("after term 6 applied", 0, 0, 0)
	if tab.len() != 2 {
		t.Fatalf("%d proposals left, want region a's of term 7 and region b's", tab.len())
	}
	if n := tab.markInDoubt(b); n != 1 {
		t.Fatalf("marked %d of region b's proposals", n)
	}
	if got := tab.takeInDoubt(b); len(got) != 1 || got[0].region != b {
		t.Fatalf("takeInDoubt(b) = %v", got)
	}
	check("after giving up on b", 0, 0, 0)
	if got := tab.drain(); len(got) != 1 || got[0].term != 7 {
		t.Fatalf("drain = %v", got)
	}
}

func TestIsPlainSet(t *testing.T) {
	b := NewBatch()
	defer b.release()
	enc := func(kind byte, args ...string) []byte {
		argv := make([][]byte, len(args))
		for i, a := range args {
			argv[i] = []byte(a)
		}
		return append([]byte(nil), b.Encode(kind, argv)...)
	}
	for _, tc := range []struct {
		cmd  []byte
		want bool
	}{
		{enc(engine.KindClient, "set", "k", "v"), true},
		{enc(engine.KindClient, "set", "", ""), true},
		{enc(engine.KindClient, "set", "k", "v", "ex", "10"), false},
		{enc(engine.KindClient, "set", "k", "v", "get"), false},
		{enc(engine.KindClient, "setnx", "k", "v"), false},
		{enc(engine.KindClient, "get", "k"), false},
		{enc(engine.KindClient, "sex", "k", "v"), false},
		{enc(engine.KindInternal, "set", "k", "v"), false},
		{enc(KindRead, "set", "k", "v"), false},
		{nil, false},
	} {
		if got := isPlainSet(tc.cmd); got != tc.want {
			t.Errorf("isPlainSet(%q) = %v, want %v", tc.cmd, got, tc.want)
		}
	}
}
