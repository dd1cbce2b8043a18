package batching

import (
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// waiter is a Completion that signals a channel per tag.
type waiter struct {
	mu   sync.Mutex
	done map[uint64]chan struct{}
}

func newWaiter() *waiter { return &waiter{done: map[uint64]chan struct{}{}} }

func (w *waiter) ch(tag uint64) chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.done[tag]
	if c == nil {
		c = make(chan struct{})
		w.done[tag] = c
	}
	return c
}

func (w *waiter) Complete(tag uint64) { close(w.ch(tag)) }

func openStore(t *testing.T, dir string, regions int) (*Store, *engine.DB) {
	t.Helper()
	db, err := engine.Open(filepath.Join(dir, "kv"), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(Config{StoreID: 1, DB: db, Commands: engine.Commands(), LogGCCount: 8, LogDir: filepath.Join(dir, "log"),
		LogSegmentSize: 4 << 10, CheckpointInterval: 50 * time.Millisecond}, regions)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	return s, db
}

// do submits one command and waits for its reply.
func do(t *testing.T, s *Store, args ...string) string {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	w := newWaiter()
	var out resp.Writer
	b := NewBatch()
	b.Add(s.Route(slots.Of(argv[1])), engine.KindClient, argv, &out, w, 1)
	s.Submit(b)
	select {
	case <-w.ch(1):
	case <-time.After(10 * time.Second):
		t.Fatalf("%v: no reply", args)
	}
	return string(out.B)
}

func TestStoreAppliesAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	s, db := openStore(t, dir, 4)
	if got := do(t, s, "set", "a", "1"); got != "+OK\r\n" {
		t.Fatalf("set: %q", got)
	}
	for i := 0; i < 50; i++ { // enough entries to truncate the log several times
		if got := do(t, s, "incr", "n"); got != fmt.Sprintf(":%d\r\n", i+1) {
			t.Fatalf("incr %d: %q", i, got)
		}
	}
	s.Stop(time.Second)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s, db = openStore(t, dir, 4)
	defer func() { s.Stop(time.Second); _ = db.Close() }()
	if got := do(t, s, "get", "n"); got != "$2\r\n50\r\n" {
		t.Fatalf("after restart: %q", got)
	}
	if got := do(t, s, "incr", "n"); got != ":51\r\n" {
		t.Fatalf("incr after restart: %q", got)
	}
	if n := len(s.Regions()); n != 4 {
		t.Fatalf("regions after restart: %d", n)
	}
}

// TestConcurrentSubmitters checks that many goroutines handing off batches
// at once each get exactly their own replies, in order, and that rounds
// batch many commands per fsync.
func TestConcurrentSubmitters(t *testing.T) {
	s, db := openStore(t, t.TempDir(), 16)
	defer func() { s.Stop(time.Second); _ = db.Close() }()
	const clients, perClient, pipeline = 8, 40, 5
	var wg sync.WaitGroup
	var failures atomic.Int64
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			key := []byte(fmt.Sprintf("counter-%d", c))
			for i := 0; i < perClient; i += pipeline {
				w := newWaiter()
				outs := make([]resp.Writer, pipeline)
				b := NewBatch()
				for j := 0; j < pipeline; j++ {
					b.Add(s.Route(slots.Of(key)), engine.KindClient, [][]byte{[]byte("incr"), key}, &outs[j], w, uint64(j))
				}
				s.Submit(b)
				for j := 0; j < pipeline; j++ {
					<-w.ch(uint64(j))
					if want := fmt.Sprintf(":%d\r\n", i+j+1); string(outs[j].B) != want {
						failures.Add(1)
					}
				}
			}
		}(c)
	}
	wg.Wait()
	if f := failures.Load(); f > 0 {
		t.Fatalf("%d replies out of order or wrong", f)
	}
	if s.Stats.ProposedCommands.Load() < clients*perClient {
		t.Fatalf("proposed %d commands, want >= %d", s.Stats.ProposedCommands.Load(), clients*perClient)
	}
	if fs, cmds := s.Stats.Fsyncs.Load(), s.Stats.ProposedCommands.Load(); fs >= cmds {
		t.Fatalf("no batching: %d fsyncs for %d commands", fs, cmds)
	}
}

func TestSubmitAfterStopFails(t *testing.T) {
	s, db := openStore(t, t.TempDir(), 2)
	s.Stop(time.Second)
	defer db.Close()
	w := newWaiter()
	var out resp.Writer
	b := NewBatch()
	b.Add(s.Route(0), engine.KindClient, [][]byte{[]byte("set"), []byte("k"), []byte("v")}, &out, w, 7)
	s.Submit(b)
	<-w.ch(7)
	if string(out.B) != "-"+ErrShuttingDown+"\r\n" {
		t.Fatalf("got %q", out.B)
	}
}

func TestActiveExpiryDeletesThroughRaft(t *testing.T) {
	s, db := openStore(t, t.TempDir(), 2)
	defer func() { s.Stop(time.Second); _ = db.Close() }()
	for i := 0; i < 20; i++ {
		if got := do(t, s, "set", fmt.Sprintf("tmp%d", i), "v", "px", "1"); got != "+OK\r\n" {
			t.Fatalf("set: %q", got)
		}
	}
	do(t, s, "set", "keep", "v")
	deadline := time.Now().Add(10 * time.Second)
	for db.KeysInSlots(0, slots.Count-1) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("expired keys still stored: %d keys", db.KeysInSlots(0, slots.Count-1))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestOnPlacedFiresOnceTheStoreIsDoneWithABatch: a front end routing
// requests again waits for OnPlaced before sending the next ones, so it
// must fire exactly once per batch, after the batch's command is in the
// log (running store) or failed (stopped store).
func TestOnPlacedFiresOnceTheStoreIsDoneWithABatch(t *testing.T) {
	s, db := openStore(t, t.TempDir(), 2)
	defer db.Close()
	submit := func() (placed chan uint64, fired *atomic.Int32, out *resp.Writer, w *waiter) {
		placed, fired, out, w = make(chan uint64, 2), &atomic.Int32{}, &resp.Writer{}, newWaiter()
		b := NewBatch()
		b.Add(s.Route(0), engine.KindClient, [][]byte{[]byte("set"), []byte("k"), []byte("v")}, out, w, 1)
		b.OnPlaced(func() {
			fired.Add(1)
			placed <- s.Stats.ProposedCommands.Load()
		})
		s.Submit(b)
		return placed, fired, out, w
	}
	before := s.Stats.ProposedCommands.Load()
	placed, fired, out, w := submit()
	select {
	case proposed := <-placed:
		if proposed != before+1 {
			t.Fatalf("placed fired with %d commands proposed, want %d: before the SET entered the log", proposed, before+1)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnPlaced never fired for a running store")
	}
	<-w.ch(1)
	if string(out.B) != "+OK\r\n" {
		t.Fatalf("SET: %q", out.B)
	}
	if n := fired.Load(); n != 1 {
		t.Fatalf("OnPlaced fired %d times", n)
	}

	s.Stop(time.Second)
	placed, fired, out, w = submit()
	select {
	case <-placed:
	case <-time.After(10 * time.Second):
		t.Fatal("OnPlaced never fired for a stopped store")
	}
	<-w.ch(1)
	if string(out.B) != "-"+ErrShuttingDown+"\r\n" || fired.Load() != 1 {
		t.Fatalf("after Stop: %q, fired %d times", out.B, fired.Load())
	}
}
