package resp

import (
	"bytes"
	"strings"
	"testing"
)

func parseAll(t *testing.T, in string) ([]string, error) {
	t.Helper()
	p := NewParser(DefaultLimits())
	buf := []byte(in)
	var out []string
	for len(buf) > 0 {
		args, n, err := p.Parse(buf, false)
		if err != nil {
			return out, err
		}
		if n == 0 {
			out = append(out, "<incomplete>")
			return out, nil
		}
		var parts []string
		for _, a := range args {
			parts = append(parts, string(a))
		}
		out = append(out, strings.Join(parts, "|"))
		buf = buf[n:]
	}
	return out, nil
}

func TestParseMultibulkAndInline(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", []string{"SET|k|hello"}},
		{"*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n", []string{"PING", "ECHO|"}},
		{"*0\r\n", []string{""}},
		{"*-1\r\n", []string{""}},
		{"PING\r\n", []string{"PING"}},
		{"set a b\n", []string{"set|a|b"}},
		{"  set   a  \"b c\"\r\n", []string{"set|a|b c"}},
		{"echo \"\\x41\\n\"\r\n", []string{"echo|A\n"}},
		{"echo 'it\\'s'\r\n", []string{"echo|it's"}},
		{"\r\n", []string{""}},
		{"*2\r\n$3\r\nGET\r\n$1\r\n", []string{"<incomplete>"}},
		{"*2\r\n$3\r\nGET\r\n$1\r\nk", []string{"<incomplete>"}},
		{"*2\r", []string{"<incomplete>"}},
		{"GET k", []string{"<incomplete>"}},
	}
	for _, c := range cases {
		got, err := parseAll(t, c.in)
		if err != nil {
			t.Errorf("%q: unexpected error %v", c.in, err)
			continue
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%q: got %q want %q", c.in, got, c.want)
		}
	}
}

func TestParseProtocolErrors(t *testing.T) {
	big := strings.Repeat("x", InlineMaxSize+1)
	cases := []struct{ in, want string }{
		{"*abc\r\n", "Protocol error: invalid multibulk length"},
		{"*3000000000\r\n", "Protocol error: invalid multibulk length"},
		{"*1\r\n+OK\r\n", "Protocol error: expected '$', got '+'"},
		{"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"},
		{"*1\r\n$01\r\n", "Protocol error: invalid bulk length"},
		{"echo \"abc\r\n", "Protocol error: unbalanced quotes in request"},
		{"echo \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
		{big, "Protocol error: too big inline request"},
		{"*" + big, "Protocol error: too big mbulk count string"},
		{"*1\r\n$" + big, "Protocol error: too big bulk count string"},
	}
	for _, c := range cases {
		_, err := parseAll(t, c.in)
		pe, ok := err.(*ProtocolError)
		if !ok || pe.Msg != c.want {
			t.Errorf("%.40q: got %v want %q", c.in, err, c.want)
		}
	}
}

func TestParseUnauthenticatedLimits(t *testing.T) {
	p := NewParser(DefaultLimits())
	if _, _, err := p.Parse([]byte("*11\r\n"), true); err == nil || err.Error() != "Protocol error: unauthenticated multibulk length" {
		t.Fatalf("got %v", err)
	}
	if _, _, err := p.Parse([]byte("*1\r\n$16385\r\n"), true); err == nil || err.Error() != "Protocol error: unauthenticated bulk length" {
		t.Fatalf("got %v", err)
	}
}

func TestParseIntMatchesString2ll(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if v, ok := ParseInt([]byte(s)); !ok || v != want {
			t.Errorf("%q: got %d %v", s, v, ok)
		}
	}
	for _, s := range []string{"", "-", "01", "+1", " 1", "1 ", "9223372036854775808", "-9223372036854775809", "1a", "-0"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("%q: accepted", s)
		}
	}
}

func TestWriterRESP2AndRESP3(t *testing.T) {
	w := &Writer{}
	w.Null()
	w.NullArray()
	w.Map(1)
	w.Double(1.5)
	w.Bool(true)
	if got, want := string(w.B), "$-1\r\n*-1\r\n*2\r\n$3\r\n1.5\r\n:1\r\n"; got != want {
		t.Fatalf("RESP2: got %q want %q", got, want)
	}
	w = &Writer{RESP3: true}
	w.Null()
	w.Map(1)
	w.Double(1.5)
	w.Bool(false)
	w.Error("ERR a\r\nb")
	if got, want := string(w.B), "_\r\n%1\r\n,1.5\r\n#f\r\n-ERR a  b\r\n"; got != want {
		t.Fatalf("RESP3: got %q want %q", got, want)
	}
}

func TestAppendDoubleLikePrintfG17(t *testing.T) {
	cases := map[float64]string{
		1: "1", 1.5: "1.5", 0.1: "0.10000000000000001", 1e20: "1e+20", 1e-5: "1.0000000000000001e-05",
		-2.5: "-2.5", 123456789: "123456789", 1e16: "10000000000000000", 1e17: "1e+17",
	}
	for f, want := range cases {
		if got := string(AppendDouble(nil, f)); got != want {
			t.Errorf("%v: got %q want %q", f, got, want)
		}
	}
}

func TestReplyLen(t *testing.T) {
	in := "*3\r\n$3\r\nabc\r\n:1\r\n%1\r\n+a\r\n_\r\n"
	n, err := ReplyLen([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("got %d %v want %d", n, err, len(in))
	}
	n, err = ReplyLen([]byte(in[:len(in)-3]))
	if err != nil || n != 0 {
		t.Fatalf("partial: got %d %v", n, err)
	}
	elems, ok := ArrayElems([]byte("*2\r\n$1\r\na\r\n$-1\r\n"), nil)
	if !ok || len(elems) != 2 || !bytes.Equal(elems[1], []byte("$-1\r\n")) {
		t.Fatalf("ArrayElems: %q %v", elems, ok)
	}
}

// FuzzParse feeds arbitrary bytes to the parser: it must never panic, never
// claim more bytes than it was given, and a request it accepts must parse
// the same way when it arrives in two pieces.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n", "PING\r\n", "set a \"b\\x41\"\r\n",
		"*1\r\n$-1\r\n", "*-5\r\n", "'a\\'b' c\n", "*2\r\n$3\r\nGET\r\n$100\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewParser(Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 1 << 20})
		args, n, err := p.Parse(data, false)
		if n < 0 || n > len(data) {
			t.Fatalf("consumed %d of %d", n, len(data))
		}
		if err != nil || n == 0 {
			return
		}
		whole := make([]string, len(args))
		for i, a := range args {
			whole[i] = string(a)
		}
		for cut := 0; cut < n; cut++ {
			_, m, err := NewParser(Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 1 << 20}).Parse(data[:cut], false)
			if err == nil && m > 0 && m != n && data[0] == '*' {
				t.Fatalf("prefix of %d bytes parsed as %d-byte request, whole is %d", cut, m, n)
			}
		}
		again, m, err := NewParser(Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: 1 << 20}).Parse(append([]byte(nil), data[:n]...), false)
		if err != nil || m != n || len(again) != len(whole) {
			t.Fatalf("reparse differs: %d %v", m, err)
		}
		for i := range again {
			if string(again[i]) != whole[i] {
				t.Fatalf("arg %d differs", i)
			}
		}
	})
}

func TestSetLimitsAppliesToNextParse(t *testing.T) {
	p := NewParser(DefaultLimits())
	req := []byte("*2\r\n$4\r\nECHO\r\n$2000000\r\n")
	if _, n, err := p.Parse(req, false); err != nil || n != 0 {
		t.Fatalf("under the default limit: n=%d err=%v, want incomplete", n, err)
	}
	p.SetLimits(Limits{MaxBulkLen: 1 << 20, MaxMultibulkLen: DefaultMaxMultibulkLen})
	if _, _, err := p.Parse(req, false); err == nil || err.Error() != "Protocol error: invalid bulk length" {
		t.Fatalf("over the lowered limit: %v", err)
	}
}

// FuzzReplyLen feeds arbitrary bytes to ReplyLen, which frames the replies
// a forwarding node reads from another node: it must never panic, and a
// reply it finds must be found alone, at the same length, in the bytes
// up to its end, while no shorter prefix of it is taken for a whole reply.
func FuzzReplyLen(f *testing.F) {
	for _, s := range []string{
		"+OK\r\n", "$5\r\nhello\r\n", "$-1\r\n", "*2\r\n$1\r\na\r\n:7\r\n", "%1\r\n+k\r\n+v\r\n",
		">2\r\n+a\r\n_\r\n", "=8\r\ntxt:abcd\r\n", "*-1\r\n", "*3\r\n*1\r\n*1\r\n", "|1\r\n+a\r\n+b\r\n+c\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ReplyLen(data)
		if n < 0 || n > len(data) {
			t.Fatalf("length %d of %d bytes", n, len(data))
		}
		if err != nil || n == 0 {
			return
		}
		if m, err := ReplyLen(data[:n]); m != n || err != nil {
			t.Fatalf("the reply alone: %d %v, want %d", m, err, n)
		}
		for cut := 0; cut < n; cut++ {
			if m, err := ReplyLen(data[:cut]); err == nil && m != 0 {
				t.Fatalf("a %d-byte prefix of a %d-byte reply taken as a %d-byte reply", cut, n, m)
			}
		}
	})
}
