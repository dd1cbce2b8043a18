package netio

import (
	"testing"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// A command split across Regions answers TRYAGAIN (which clients retry by
// themselves) only if no part can have run; a write with one part failed
// and another run or uncertain is answered as partly applied.
func TestGatherErrors(t *testing.T) {
	const tryAgain = "-TRYAGAIN the Region moved before the command ran; retry\r\n"
	const uncertain = "-ERR the link to the Region's leader broke after the command was sent: it may or may not have been applied\r\n"
	cases := []struct {
		name  string
		write bool
		merge engine.Merge
		parts []string
		want  string
	}{
		{"write, all parts ran", true, engine.MergeSum, []string{":1\r\n", ":2\r\n"}, ":3\r\n"},
		{"write, no part ran", true, engine.MergeSum, []string{tryAgain, tryAgain}, tryAgain},
		{"write, one part ran", true, engine.MergeSum, []string{tryAgain, ":1\r\n"}, "-" + errPartlyApplied + "\r\n"},
		{"write, one part uncertain", true, engine.MergeAllOK, []string{tryAgain, uncertain}, "-" + errPartlyApplied + "\r\n"},
		{"write, one part ran, the other uncertain", true, engine.MergeAllOK, []string{"+OK\r\n", uncertain}, "-" + errPartlyApplied + "\r\n"},
		{"read, one part failed", false, engine.MergeSum, []string{tryAgain, ":1\r\n"}, tryAgain},
	}
	for _, c := range cases {
		g := &gather{merge: c.merge, write: c.write}
		for _, p := range c.parts {
			gp := &gatherPart{g: g}
			gp.w.Raw([]byte(p))
			g.parts = append(g.parts, gp)
		}
		var w resp.Writer
		g.reply(&w)
		if string(w.B) != c.want {
			t.Errorf("%s: %q, want %q", c.name, w.B, c.want)
		}
	}
}
