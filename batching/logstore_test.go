package batching

import (
	"os"
	"path/filepath"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
)

func ents(term uint64, from, to uint64) []raftpb.Entry {
	var out []raftpb.Entry
	for i := from; i <= to; i++ {
		out = append(out, raftpb.Entry{Index: i, Term: term, Data: []byte{byte(i)}})
	}
	return out
}

func TestLogStoreRecoversEntriesHardStatesAndConflicts(t *testing.T) {
	dir := t.TempDir()
	ls, logs, err := openLogStore(dir, 1<<10)
	if err != nil || len(logs) != 0 {
		t.Fatalf("open: %v %v", logs, err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ls.addEntries(1, ents(1, 6, 20)))
	must(ls.addHardState(1, raftpb.HardState{Term: 1, Vote: 7, Commit: 10}))
	must(ls.addEntries(2, ents(3, 6, 8)))
	must(ls.flush(true))
	must(ls.maybeRotate())
	// A new leader overwrites region 1's suffix from 15.
	must(ls.addEntries(1, ents(2, 15, 16)))
	must(ls.addHardState(1, raftpb.HardState{Term: 2, Vote: 9, Commit: 15}))
	must(ls.flush(true))
	must(ls.close())

	ls, logs, err = openLogStore(dir, 1<<10)
	must(err)
	l := logs[1]
	if len(l.entries) != 11 || l.entries[0].Index != 6 || l.entries[10].Index != 16 || l.entries[10].Term != 2 || l.entries[9].Term != 2 {
		t.Fatalf("region 1 entries: %+v", l.entries)
	}
	if l.hardState.Term != 2 || l.hardState.Vote != 9 || l.hardState.Commit != 15 {
		t.Fatalf("region 1 hard state: %+v", l.hardState)
	}
	if len(logs[2].entries) != 3 {
		t.Fatalf("region 2: %+v", logs[2].entries)
	}
	must(ls.close())
}

// openWithEntries opens a log store in dir holding region 1's entries
// 6..9, durable.
func openWithEntries(t *testing.T, dir string, maxSize int64) *logStore {
	t.Helper()
	ls, _, err := openLogStore(dir, maxSize)
	if err != nil {
		t.Fatal(err)
	}
	if err := ls.addEntries(1, ents(1, 6, 9)); err != nil {
		t.Fatal(err)
	}
	if err := ls.flush(true); err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestLogStoreCutsTornTail(t *testing.T) {
	dir := t.TempDir()
	ls := openWithEntries(t, dir, 1<<20)
	path := ls.cur.path
	if err := ls.close(); err != nil {
		t.Fatal(err)
	}
	// A crash in the middle of writing the next record leaves half of it.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{0, 0, 1, 0, 9, 9}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ls, logs, err := openLogStore(dir, 1<<20)
	if err != nil {
		t.Fatalf("torn tail not tolerated: %v", err)
	}
	defer ls.close()
	if n := len(logs[1].entries); n != 4 {
		t.Fatalf("entries after torn tail: %d", n)
	}
	// Corruption in a sealed segment is not silently dropped.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(segs) < 2 {
		t.Fatalf("segments: %v", segs)
	}
}

func TestLogStoreGCKeepsWhatIsNotDurable(t *testing.T) {
	dir := t.TempDir()
	ls, _, err := openLogStore(dir, 64)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 5; i++ {
		if err := ls.addEntries(1, ents(1, 6+i*10, 15+i*10)); err != nil {
			t.Fatal(err)
		}
		if err := ls.flush(true); err != nil {
			t.Fatal(err)
		}
		if err := ls.maybeRotate(); err != nil {
			t.Fatal(err)
		}
	}
	before := ls.segments()
	n, err := ls.gc(map[uint64]uint64{1: 25}) // entries up to 25 are durable in Pebble
	if err != nil || n != 2 {
		t.Fatalf("gc removed %d (of %d) %v", n, before, err)
	}
	if err := ls.close(); err != nil {
		t.Fatal(err)
	}
	_, logs, err := openLogStore(dir, 64)
	if err != nil {
		t.Fatal(err)
	}
	if e := logs[1].entries; e[0].Index != 26 || e[len(e)-1].Index != 55 {
		t.Fatalf("after gc: %d..%d", e[0].Index, e[len(e)-1].Index)
	}
}

// A segment is zero-filled ahead of its records; a crash leaves the zeroes
// behind. Recovery must read them as the end of the log, and the segment
// must stay readable once a newer one exists.
func TestLogStorePreallocatedTailAfterCrash(t *testing.T) {
	dir := t.TempDir()
	ls := openWithEntries(t, dir, 4*preallocChunk)
	st, err := os.Stat(ls.cur.path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() < preallocChunk || ls.curSize >= st.Size() {
		t.Fatalf("segment not preallocated: size %d, records %d", st.Size(), ls.curSize)
	}
	// Crash: the file is never sealed.
	ls.f.Close()
	for reopen := 0; reopen < 2; reopen++ {
		ls, logs, err := openLogStore(dir, 4*preallocChunk)
		if err != nil {
			t.Fatalf("reopen %d: %v", reopen, err)
		}
		if e := logs[1].entries; len(e) != 4 || e[3].Index != 9 {
			t.Fatalf("reopen %d: entries %+v", reopen, e)
		}
		if err := ls.addEntries(2, ents(1, 6, 6)); err != nil {
			t.Fatal(err)
		}
		if err := ls.flush(true); err != nil {
			t.Fatal(err)
		}
		if err := ls.close(); err != nil {
			t.Fatal(err)
		}
	}
	// A sealed segment holds exactly its records.
	segs, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range segs {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() >= preallocChunk {
			t.Fatalf("%s kept its zero-filled tail: %d bytes", p, st.Size())
		}
	}
	_, logs, err := openLogStore(dir, 4*preallocChunk)
	if err != nil {
		t.Fatal(err)
	}
	if len(logs[1].entries) != 4 || len(logs[2].entries) != 1 {
		t.Fatalf("final: region 1 %d entries, region 2 %d", len(logs[1].entries), len(logs[2].entries))
	}
}
