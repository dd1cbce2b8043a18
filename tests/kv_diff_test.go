package tests

import (
	"bufio"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The differential test runs scripts of commands against NeoKV and the
// reference redis-server and compares every raw reply byte for byte.
//
// Script syntax, one command per line:
//
//	SET k v            compare the reply exactly
//	? TTL k            compare only the reply's type byte (time-dependent)
//	! KEYS *           compare after sorting the top-level array's elements
//	~ XPENDING k g - + 9   compare with the stream times masked (maskStreamTimes)
//	# ...              comment
//	@resp3             (first line) both connections switch to RESP3 first
//
// Arguments are separated by spaces; an argument starting with '"' is a Go
// quoted string, so "" is the empty argument and "a\x00b" holds a NUL.
// Keys shared by a multi-key command that needs one Region carry a hash
// tag ({t}); MGET/MSET/DEL/EXISTS/TOUCH/UNLINK deliberately use untagged
// keys so NeoKV's server-side split and merge is compared too.

type diffScript struct {
	name   string
	script string
}

type diffLine struct {
	lineNo int
	mode   byte // 0 exact, '?' type only, '!' sorted array
	args   []string
}

func parseDiffScript(t *testing.T, name, script string) (resp3 bool, lines []diffLine) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(script))
	sc.Buffer(nil, 1<<24) // scripts carry values far over the default 64 KiB line limit
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if line == "@resp3" {
			resp3 = true
			continue
		}
		l := diffLine{lineNo: n}
		if line[0] == '?' || line[0] == '!' || line[0] == '~' {
			l.mode = line[0]
			line = strings.TrimSpace(line[1:])
		}
		for line != "" {
			if line[0] == '"' {
				q, err := strconv.QuotedPrefix(line)
				if err != nil {
					t.Fatalf("%s:%d: bad quoted argument in %q: %v", name, n, line, err)
				}
				s, _ := strconv.Unquote(q)
				l.args = append(l.args, s)
				line = strings.TrimLeft(line[len(q):], " ")
				continue
			}
			i := strings.IndexByte(line, ' ')
			if i < 0 {
				i = len(line)
			}
			l.args = append(l.args, line[:i])
			line = strings.TrimLeft(line[i:], " ")
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: reading script: %v", name, err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s: empty script", name)
	}
	return resp3, lines
}

// sortedArrayReply sorts the elements of a flat array reply (KEYS), or of
// the key array of a SCAN reply (cursor, keys).
func sortedArrayReply(t *testing.T, raw string) string {
	t.Helper()
	if strings.HasPrefix(raw, "*2\r\n$") {
		r := bufio.NewReader(strings.NewReader(raw[4:]))
		var cursor strings.Builder
		if err := readReply(r, &cursor); err != nil {
			t.Fatalf("malformed SCAN reply %q: %v", raw, err)
		}
		rest := raw[4+cursor.Len():]
		if strings.HasPrefix(rest, "*") {
			return raw[:4] + cursor.String() + sortedArrayReply(t, rest)
		}
	}
	if raw == "" || raw[0] != '*' {
		return raw
	}
	r := bufio.NewReader(strings.NewReader(raw))
	head, _ := r.ReadString('\n')
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil || n < 0 {
		return raw
	}
	elems := make([]string, 0, n)
	for i := 0; i < n; i++ {
		var b strings.Builder
		if err := readReply(r, &b); err != nil {
			t.Fatalf("malformed array reply %q: %v", raw, err)
		}
		elems = append(elems, b.String())
	}
	sort.Strings(elems)
	return head + strings.Join(elems, "")
}

// Clock-dependent integers of stream replies: the idle time of an
// XPENDING entry [id, consumer, idle, count] (and of XINFO STREAM FULL's
// group pending [id, consumer, delivery time, count]), a consumer's
// pending [id, delivery time, count], and XINFO's idle and seen-time.
var streamTimeMasks = []*regexp.Regexp{
	regexp.MustCompile(`(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n`),
	regexp.MustCompile(`(\*3\r\n\$\d+\r\n\d+-\d+\r\n):\d+\r\n`),
	regexp.MustCompile(`(\$4\r\nidle\r\n):\d+\r\n`),
	regexp.MustCompile(`(\$9\r\nseen-time\r\n):\d+\r\n`),
}

func maskStreamTimes(raw string) string {
	for _, re := range streamTimeMasks {
		raw = re.ReplaceAllString(raw, "${1}:TIME\r\n")
	}
	return raw
}

// encodeCommand renders args as a RESP array.
func encodeCommand(args []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// runDiffScripts runs each script on fresh connections to both servers. With
// pipelined set, a script's commands are all written at once before any
// reply is read, so NeoKV must keep replies in order and make every command
// see the writes queued before it on the same connection.
func runDiffScripts(t *testing.T, scripts []diffScript, pipelined bool) {
	neo := StartServer(t)
	logOnFailure(t, neo)
	runDiffScriptsOn(t, neo.Addr, StartRedis(t), scripts, pipelined)
}

// runDiffScriptsOn is runDiffScripts against a NeoKV server at neoAddr
// (a cluster node, say) and a reference server already started.
func runDiffScriptsOn(t *testing.T, neoAddr string, ref *RedisServer, scripts []diffScript, pipelined bool) {
	for _, sc := range scripts {
		sc := sc
		t.Run(sc.name, func(t *testing.T) {
			resp3, lines := parseDiffScript(t, sc.name, sc.script)
			a, b := Dial(t, neoAddr), Dial(t, ref.Addr)
			for _, c := range []*RawConn{a, b} {
				if got := c.Do("FLUSHALL"); got != "+OK\r\n" {
					t.Fatalf("FLUSHALL: %q", got)
				}
				if resp3 {
					if got := c.Do("HELLO", "3"); !strings.HasPrefix(got, "%") {
						t.Fatalf("HELLO 3: %q", got)
					}
				}
			}
			var got, want []string
			if pipelined {
				var all strings.Builder
				for _, l := range lines {
					all.WriteString(encodeCommand(l.args))
				}
				for _, c := range []*RawConn{a, b} {
					c.Send(all.String())
				}
				for range lines {
					got, want = append(got, a.ReadReply()), append(want, b.ReadReply())
				}
			} else {
				for _, l := range lines {
					got, want = append(got, a.Do(l.args...)), append(want, b.Do(l.args...))
				}
			}
			for i, l := range lines {
				got, want := got[i], want[i]
				switch l.mode {
				case '?':
					got, want = got[:1], want[:1]
				case '!':
					got, want = sortedArrayReply(t, got), sortedArrayReply(t, want)
				case '~':
					got, want = maskStreamTimes(got), maskStreamTimes(want)
				}
				if got != want {
					t.Errorf("line %d: %s\n  neokv: %q\n  redis: %q", l.lineNo, fmtArgs(l.args), got, want)
				}
			}
		})
	}
}

func fmtArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

func TestDiffStrings(t *testing.T) { runDiffScripts(t, stringDiffScripts, false) }
func TestDiffKeys(t *testing.T)    { runDiffScripts(t, keyDiffScripts, false) }

// TestDiffBigValues compares commands whose requests exceed one 64 KiB
// network read, so the server must assemble a request from several reads.
func TestDiffBigValues(t *testing.T) {
	runDiffScripts(t, bigValueScripts, false)
	runDiffScripts(t, bigValueScripts, true)
}

// TestDiffRESP3 runs every script again over RESP3 (nulls, maps).
func TestDiffRESP3(t *testing.T) {
	var all []diffScript
	for _, list := range [][]diffScript{stringDiffScripts, keyDiffScripts} {
		for _, s := range list {
			all = append(all, diffScript{name: s.name, script: "@resp3\n" + s.script})
		}
	}
	runDiffScripts(t, all, false)
}

// TestDiffPipelined runs every script again with all of its commands sent
// in one write, so KEYS, SCAN, DBSIZE and RANDOMKEY must also see the
// writes queued before them (see TestPipelinedKeyspaceReadsSeeWrites).
func TestDiffPipelined(t *testing.T) {
	runDiffScripts(t, append(append([]diffScript{}, stringDiffScripts...), keyDiffScripts...), true)
}
