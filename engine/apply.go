package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// An entry is the unit a Region proposes: every command the Region received
// in one round, stamped with the proposer's identity and the leader's clock.
//
//	version(1) proposer(8) nonce(8) seq(8) now(8) count(4)
//	count × { kind(1) argc(uvarint) argc × { len(uvarint) bytes } }
const (
	entryVersion    = 1
	entryHeaderSize = 1 + 8 + 8 + 8 + 8 + 4

	// KindClient is a client command, looked up in the command table.
	KindClient byte = 0
	// KindInternal is a server-generated command (active expiry, flush).
	KindInternal byte = 1
)

// EntryHeader identifies an entry's proposal and carries its clock.
type EntryHeader struct {
	Proposer uint64 // store id of the proposing leader
	Nonce    uint64 // the proposer's boot nonce, so restarted stores never match old proposals
	Seq      uint64 // proposal sequence number on the proposer
	Now      int64  // leader's clock, Unix ms: the "now" every replica applies with
	Count    int    // number of commands
}

// EntryEncoder builds an entry in a reusable buffer.
type EntryEncoder struct {
	buf   []byte
	count uint32
}

// Begin starts a new entry.
func (e *EntryEncoder) Begin(h EntryHeader) {
	b := e.buf[:0]
	b = append(b, entryVersion)
	b = binary.BigEndian.AppendUint64(b, h.Proposer)
	b = binary.BigEndian.AppendUint64(b, h.Nonce)
	b = binary.BigEndian.AppendUint64(b, h.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(h.Now))
	b = append(b, 0, 0, 0, 0)
	e.buf = b
	e.count = 0
}

// Add appends one command.
func (e *EntryEncoder) Add(kind byte, argv [][]byte) {
	e.buf = append(e.buf, kind)
	e.buf = binary.AppendUvarint(e.buf, uint64(len(argv)))
	for _, a := range argv {
		e.buf = binary.AppendUvarint(e.buf, uint64(len(a)))
		e.buf = append(e.buf, a...)
	}
	e.count++
}

// AddEncoded appends one command already in the entry's command encoding
// (as produced by batching.Batch.Add).
func (e *EntryEncoder) AddEncoded(cmd []byte) {
	e.buf = append(e.buf, cmd...)
	e.count++
}

// Grow makes room for n more bytes.
func (e *EntryEncoder) Grow(n int) {
	if cap(e.buf)-len(e.buf) < n {
		nb := make([]byte, len(e.buf), len(e.buf)+n)
		copy(nb, e.buf)
		e.buf = nb
	}
}

// Detach returns the finished entry and forgets it, so the next Begin
// starts a new buffer (Raft keeps the proposed bytes).
func (e *EntryEncoder) Detach() []byte {
	b := e.Finish()
	e.buf = nil
	return b
}

// Finish returns the encoded entry; it is valid until the next Begin.
func (e *EntryEncoder) Finish() []byte {
	binary.BigEndian.PutUint32(e.buf[entryHeaderSize-4:], e.count)
	return e.buf
}

// Bytes returns the entry so far.
func (e *EntryEncoder) Bytes() []byte { return e.buf }

var errBadEntry = errors.New("engine: malformed entry")

// DecodeEntryHeader reads an entry's header.
func DecodeEntryHeader(data []byte) (EntryHeader, error) {
	if len(data) < entryHeaderSize || data[0] != entryVersion {
		return EntryHeader{}, errBadEntry
	}
	return EntryHeader{
		Proposer: binary.BigEndian.Uint64(data[1:]),
		Nonce:    binary.BigEndian.Uint64(data[9:]),
		Seq:      binary.BigEndian.Uint64(data[17:]),
		Now:      int64(binary.BigEndian.Uint64(data[25:])),
		Count:    int(binary.BigEndian.Uint32(data[33:])),
	}, nil
}

// EachCommand decodes the commands of an entry; argv aliases data and is
// valid only during fn.
func EachCommand(data []byte, fn func(i int, kind byte, argv [][]byte) error) error {
	_, err := eachCommand(data, nil, fn)
	return err
}

// eachCommand is EachCommand decoding into argv's array, which it returns
// (grown as needed) for the next entry: the apply loop decodes every
// command of every entry, and a fresh argv per entry was its most frequent
// allocation.
func eachCommand(data []byte, argv [][]byte, fn func(i int, kind byte, argv [][]byte) error) ([][]byte, error) {
	h, err := DecodeEntryHeader(data)
	if err != nil {
		return argv, err
	}
	p := data[entryHeaderSize:]
	for i := 0; i < h.Count; i++ {
		if len(p) < 1 {
			return argv, errBadEntry
		}
		kind := p[0]
		p = p[1:]
		argc, n := binary.Uvarint(p)
		if n <= 0 || argc > uint64(len(p)) {
			return argv, errBadEntry
		}
		p = p[n:]
		argv = argv[:0]
		for j := uint64(0); j < argc; j++ {
			l, n := binary.Uvarint(p)
			if n <= 0 || l > uint64(len(p)-n) {
				return argv, errBadEntry
			}
			argv = append(argv, p[n:n+int(l):n+int(l)])
			p = p[n+int(l):]
		}
		if err := fn(i, kind, argv); err != nil {
			return argv, err
		}
	}
	return argv, nil
}

// EachCommandIn decodes one command in the per-command encoding (as in an
// entry, or as handed off by batching.Batch.Add).
func EachCommandIn(cmd []byte, fn func(kind byte, argv [][]byte) error) error {
	if len(cmd) < 1 {
		return errBadEntry
	}
	kind := cmd[0]
	p := cmd[1:]
	argc, n := binary.Uvarint(p)
	if n <= 0 || argc > uint64(len(p)) {
		return errBadEntry
	}
	p = p[n:]
	argv := make([][]byte, 0, argc)
	for j := uint64(0); j < argc; j++ {
		l, n := binary.Uvarint(p)
		if n <= 0 || l > uint64(len(p)-n) {
			return errBadEntry
		}
		argv = append(argv, p[n:n+int(l):n+int(l)])
		p = p[n+int(l):]
	}
	return fn(kind, argv)
}

// ReplySink receives the replies of an entry's commands on the store that
// proposed it; followers apply with no sink.
type ReplySink interface {
	// ReplyWriter returns where command i's reply goes, or nil to drop it.
	ReplyWriter(i int) *resp.Writer
}

// Applier applies committed entries of many Regions into one Pebble batch.
// It is owned by the apply loop; it is not safe for concurrent use.
type Applier struct {
	db *DB
	// b is the batch being built: plain until a command reads through it,
	// then indexed (see indexBatch). plain and indexed are kept for reuse.
	b, plain, indexed *pebble.Batch
	cmds              map[string]*Command
	internal          map[string]func(*Ctx, [][]byte)
	deltas            slotDeltas
	ctx               Ctx
	scratch           resp.Writer
	// argv is reused to decode each entry's commands (see eachCommand).
	argv     [][]byte
	entries  int
	commands int
	// OnPanic, if set, hears of a command that panicked (see guarded).
	OnPanic func(cmd string, p any, stack []byte)
}

// NewApplier returns an applier executing commands from table cmds.
func (db *DB) NewApplier(cmds map[string]*Command) *Applier {
	a := &Applier{db: db, cmds: cmds, internal: internalCommands()}
	a.plain, a.indexed = db.pdb.NewBatch(), db.pdb.NewIndexedBatch()
	a.b = a.plain
	a.ctx = Ctx{db: db, r: batchReader{a}, b: a.b, deltas: &a.deltas, cache: db.rows, slotHi: slots.Count - 1}
	return a
}

// SetSlots limits the keys a script applied next may touch to the slots
// lo..hi: those of the Region whose entries are applied.
func (a *Applier) SetSlots(lo, hi uint16) { a.ctx.slotLo, a.ctx.slotHi = lo, hi }

// batchReader reads the apply batch (its writes over the database), which
// it indexes on the first read. Most batches are never read: a SET learns
// what it replaces from the row cache or the key filter, and indexing every
// write costs a skiplist insert (4 % of a store's CPU in cluster SET -P16
// profiles).
type batchReader struct{ a *Applier }

func (r batchReader) Get(key []byte) ([]byte, io.Closer, error) {
	return r.a.indexBatch().Get(key)
}

func (r batchReader) NewIter(o *pebble.IterOptions) (*pebble.Iterator, error) {
	return r.a.indexBatch().NewIter(o)
}

func (r batchReader) NewIterWithContext(ctx context.Context, o *pebble.IterOptions) (*pebble.Iterator, error) {
	return r.a.indexBatch().NewIterWithContext(ctx, o)
}

func (r batchReader) Close() error { return nil }

// indexBatch switches the batch being built to the indexed one (copying
// what the plain one holds) and returns it.
func (a *Applier) indexBatch() *pebble.Batch {
	if a.b == a.indexed {
		return a.b
	}
	if err := a.indexed.Apply(a.plain, nil); err != nil {
		// Apply fails only on a malformed batch, which Pebble built.
		panic(fmt.Sprintf("engine: index apply batch: %v", err))
	}
	a.plain.Reset()
	a.b, a.ctx.b = a.indexed, a.indexed
	return a.b
}

// ApplyEntry executes an entry's commands at the entry's clock. A storage
// error is returned and leaves the batch unusable: the caller must stop
// applying (replicas must not diverge), as TiKV panics on engine errors.
func (a *Applier) ApplyEntry(data []byte, sink ReplySink) error {
	err := a.applyEntry(data, sink)
	if err != nil {
		// The batch will not commit: stop holding up key filter rebuilds.
		a.releaseKeyWriters()
	}
	return err
}

func (a *Applier) applyEntry(data []byte, sink ReplySink) error {
	h, err := DecodeEntryHeader(data)
	if err != nil {
		return err
	}
	a.entries++
	a.ctx.now = h.Now
	a.ctx.notifyFlags = a.db.notifyFlags()
	argv, err := eachCommand(data, a.argv[:0], func(i int, kind byte, argv [][]byte) error {
		return a.applyCommand(sink, i, kind, argv)
	})
	clear(argv) // it aliases the entry, which Raft may release
	a.argv = argv[:0]
	return err
}

// applyCommand executes the entry's i-th command.
func (a *Applier) applyCommand(sink ReplySink, i int, kind byte, argv [][]byte) error {
	a.commands++
	var w *resp.Writer
	if sink != nil {
		w = sink.ReplyWriter(i)
	}
	if w == nil {
		a.scratch.Reset()
		w = &a.scratch
	}
	a.ctx.W = w
	if len(argv) == 0 {
		w.Error("ERR empty command")
		return nil
	}
	if kind == KindInternal && string(argv[0]) == "exec" {
		a.ctx.name = "exec"
		var err error
		a.guarded(argv, func(*Ctx, [][]byte) { err = a.applyExec(argv) })
		if err != nil {
			return err
		}
		return a.ctx.err
	}
	if kind == KindInternal {
		exec := a.internal[string(argv[0])]
		if exec == nil {
			return fmt.Errorf("unknown internal command %q: %w", argv[0], errBadEntry)
		}
		a.ctx.name = string(argv[0])
		a.guarded(argv, exec)
	} else {
		cmd := a.cmds[string(argv[0])]
		if cmd == nil {
			w.Error("ERR unknown command '" + string(argv[0]) + "'")
			return nil
		}
		a.ctx.name = cmd.Name
		if cmd.Flags&FlagFast != 0 {
			a.guarded(argv, cmd.Exec)
		} else {
			began := a.db.Slow.Start()
			a.guarded(argv, cmd.Exec)
			a.db.Slow.Done(began, argv)
		}
	}
	return a.ctx.err
}

// guarded runs one command of an entry. A panic — a NeoKV bug that some
// input reached — would otherwise end the process, and every replica
// again each time it replays the entry: here it becomes an error reply
// (and a call of OnPanic). The writes the command made before it panicked
// stay in the batch; every replica runs the same code on the same input
// and state, so they all panic at the same point and stay identical.
func (a *Applier) guarded(argv [][]byte, exec func(*Ctx, [][]byte)) {
	c := &a.ctx
	start := len(c.W.B)
	defer func() {
		if p := recover(); p != nil {
			c.W.B = c.W.B[:start]
			c.W.Error(errInternalPanic(c.name))
			if a.OnPanic != nil {
				a.OnPanic(c.name, p, debug.Stack())
			}
		}
	}()
	exec(c, argv)
}

func errInternalPanic(name string) string {
	return "ERR internal error in '" + name + "' (a NeoKV bug, logged by the server)"
}

// SetApplyState records a Region's apply state in the batch.
func (a *Applier) SetApplyState(region uint64, st ApplyState) error {
	return a.b.Set(raftKey(region, raftApplySuffix), st.marshal(), nil)
}

// PutRegion records a Region's descriptor and apply state in the batch.
func (a *Applier) PutRegion(d *RegionDesc, st ApplyState) error {
	if err := a.b.Set(raftKey(d.ID, raftDescSuffix), d.Marshal(), nil); err != nil {
		return err
	}
	return a.SetApplyState(d.ID, st)
}

// PutSystemState records a system Region's state in the batch.
func (a *Applier) PutSystemState(region uint64, state []byte) error {
	return a.b.Set(raftKey(region, raftSystemSuffix), state, nil)
}

// TruncateLog deletes a Region's log entries with index <= upTo.
func (a *Applier) TruncateLog(region, upTo uint64) error {
	return a.b.DeleteRange(appendRaftLogKey(nil, region, 0), appendRaftLogKey(nil, region, upTo+1), nil)
}

// Written returns the keys the batch changed so far, for waking clients
// blocked on them. They stay valid after Commit until the next command is
// applied, which reuses their buffer.
func (a *Applier) Written() [][]byte { return a.ctx.written }

// releaseKeyWriters ends the batch's hold on the key filter (see
// keyFilter.writers).
func (a *Applier) releaseKeyWriters() {
	if a.ctx.holdsKeyWriters {
		a.ctx.holdsKeyWriters = false
		a.db.keys.writers.RUnlock()
	}
}

// Stats returns the entries and commands applied since the last Commit.
func (a *Applier) Stats() (entries, commands int) { return a.entries, a.commands }

// Commit writes the batch without fsync (the Raft log is the durable
// record; the applied index commits atomically with the data) and publishes
// the key-count changes.
func (a *Applier) Commit() error {
	a.entries, a.commands = 0, 0
	// After the commit (or its failure): the batch's keys are in Pebble.
	defer a.releaseKeyWriters()
	if a.b.Empty() {
		a.deltas.discard()
		a.ctx.discardEvents()
		if pub := a.ctx.pub; pub != nil {
			// Only reads marked collections in flight: nothing to publish.
			pub.doneAt.Store(0)
			a.ctx.pub = nil
		}
		return nil
	}
	// The commit, the key counts and the cached records become visible
	// together (see DB.commitSeq).
	db, pub := a.db, a.ctx.pub
	db.gate.Lock()
	ranged := a.ctx.flushedRange
	if ranged {
		db.rangeInFlight.Store(true)
	}
	start := db.commitSeq.Add(1)
	if pub != nil {
		pub.doneAt.Store(start + 1)
	}
	err := a.b.Commit(pebble.NoSync)
	if err == nil {
		a.deltas.flush(db)
	} else if pub != nil {
		pub.doneAt.Store(math.MaxUint64)
	}
	db.commitSeq.Add(1)
	if ranged {
		db.rangeInFlight.Store(false)
	}
	db.gate.Unlock()
	a.ctx.pub, a.ctx.flushedRange = nil, false
	if err != nil {
		a.deltas.discard()
		a.ctx.discardEvents()
		return fmt.Errorf("commit apply batch: %w", err)
	}
	a.ctx.deliverEvents()
	if ranged {
		db.dataReplaced()
	}
	if a.ctx.cache != nil {
		a.ctx.cache.trim()
	}
	clear(a.ctx.written)
	a.ctx.written = a.ctx.written[:0]
	if cap(a.ctx.writtenBuf) > 1<<20 {
		a.ctx.writtenBuf = nil // one huge batch does not pin its keys' size
	} else {
		a.ctx.writtenBuf = a.ctx.writtenBuf[:0]
	}
	// Reset keeps the batch's buffer; a batch that grew huge is dropped
	// instead so one large write does not pin memory forever.
	if a.b.Len() > 64<<20 {
		_ = a.b.Close()
		if a.b == a.indexed {
			a.indexed = a.db.pdb.NewIndexedBatch()
		} else {
			a.plain = a.db.pdb.NewBatch()
		}
	} else {
		a.b.Reset()
	}
	a.b, a.ctx.b = a.plain, a.plain
	return nil
}

// Reader executes read commands against the live database at the local clock.
type Reader struct {
	db   *DB
	ctx  Ctx
	cmds map[string]*Command
	ks   *KeyspaceCounts // where this reader counts its lookups
	// pendHits and pendMisses are lookups not yet added to ks; flushEach:
	// add them after every command (NewReader).
	pendHits, pendMisses uint64
	flushEach            bool
}

// NewReader returns a reader that counts its lookups in the DB's own
// KeyspaceCounts.
func (db *DB) NewReader() *Reader {
	r := db.NewCountingReader(&db.keyspace)
	r.flushEach = true
	return r
}

// NewCountingReader returns a reader that counts its lookups in ks when
// its owner, which reads on one goroutine, calls FlushCounts.
func (db *DB) NewCountingReader(ks *KeyspaceCounts) *Reader {
	r := &Reader{db: db, ctx: Ctx{db: db, cache: db.rows, slotHi: slots.Count - 1}, ks: ks}
	r.ctx.r = usedReader{Reader: db.pdb, used: &r.ctx.pebbleUsed}
	return r
}

// usedReader notes that a read command went to Pebble.
type usedReader struct {
	pebble.Reader
	used *bool
}

func (u usedReader) Get(key []byte) ([]byte, io.Closer, error) {
	*u.used = true
	return u.Reader.Get(key)
}

func (u usedReader) NewIter(o *pebble.IterOptions) (*pebble.Iterator, error) {
	*u.used = true
	return u.Reader.NewIter(o)
}

func (u usedReader) NewIterWithContext(ctx context.Context, o *pebble.IterOptions) (*pebble.Iterator, error) {
	*u.used = true
	return u.Reader.NewIterWithContext(ctx, o)
}

// Exec runs a read-only command now, with reply into w.
func (r *Reader) Exec(cmd *Command, argv [][]byte, now int64, w *resp.Writer) error {
	r.ctx.now, r.ctx.W, r.ctx.name, r.ctx.err = now, w, cmd.Name, nil
	if cmd.Flags&FlagWrite != 0 {
		keyed := false
		cmd.KeysOf(argv, func(int) { keyed = true })
		if keyed || cmd.Flags&FlagKeylessReads == 0 {
			w.Error("ERR internal: write command on the read path")
			return nil
		}
	}
	// The whole command sees one state (see DB.commitSeq).
	db := r.db
	if cmd.Flags&FlagFast == 0 {
		defer db.Slow.Done(db.Slow.Start(), argv)
	}
	start := len(w.B)
	snap := db.commitSeq.Load()
	r.run(cmd, argv, snap)
	c := &r.ctx
	moved := db.commitSeq.Load() != snap
	inFlight := c.pebbleInFlight || (c.pebbleUsed && (c.cache == nil || db.rangeInFlight.Load()))
	if !(moved && (c.pebbleUsed || c.lookups > 1)) && !(inFlight && snap&1 == 1) {
		c.fillCache()
		r.countKeyspace()
		return c.err
	}
	// Read again with commits held off.
	w.B = w.B[:start]
	db.gate.RLock()
	r.run(cmd, argv, db.commitSeq.Load())
	c.fillCache()
	db.gate.RUnlock()
	r.countKeyspace()
	return c.err
}

// countKeyspace adds the last run's key lookups to the counts not yet
// published (published at once for a reader made by NewReader).
func (r *Reader) countKeyspace() {
	r.pendHits += r.ctx.hits
	r.pendMisses += r.ctx.misses
	if r.flushEach {
		r.FlushCounts()
	}
}

// FlushCounts publishes the key lookups counted since the last flush to
// the reader's KeyspaceCounts. The owner of a NewCountingReader calls it
// once per batch of reads (an event loop's wake-up), so that pipelined
// reads share one pair of atomic adds.
func (r *Reader) FlushCounts() {
	if r.pendHits > 0 {
		r.ks.hits.Add(r.pendHits)
		r.pendHits = 0
	}
	if r.pendMisses > 0 {
		r.ks.misses.Add(r.pendMisses)
		r.pendMisses = 0
	}
}

// ReadSettled runs read, which reads Pebble or the key counts directly
// (KEYS, SCAN, RANDOMKEY, DBSIZE) and replies into w, so that it sees a
// published state (see DB.commitSeq): if a commit was in flight meanwhile,
// its reply is dropped and it runs again with commits held off.
func (db *DB) ReadSettled(w *resp.Writer, read func()) {
	start := len(w.B)
	if snap := db.commitSeq.Load(); snap&1 == 0 {
		read()
		if db.commitSeq.Load() == snap {
			return
		}
		w.B = w.B[:start]
	}
	db.gate.RLock()
	defer db.gate.RUnlock()
	read()
}

func (r *Reader) run(cmd *Command, argv [][]byte, snap uint64) {
	c := &r.ctx
	c.err, c.snap, c.lookups, c.pebbleUsed, c.pebbleInFlight = nil, snap, 0, false, false
	c.hits, c.misses = 0, 0
	clear(c.fills)
	c.fills = c.fills[:0]
	// A panic (a NeoKV bug some input reached) answers an error and is
	// returned by Exec for the server to log, instead of ending it.
	start := len(c.W.B)
	defer func() {
		if p := recover(); p != nil {
			c.W.B = c.W.B[:start]
			c.W.Error(errInternalPanic(cmd.Name))
			clear(c.fills)
			c.fills = c.fills[:0]
			c.err = fmt.Errorf("command %s panicked: %v\n%s", cmd.Name, p, debug.Stack())
		}
	}()
	cmd.Exec(c, argv)
}
