package batching

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Frame kinds on a store-to-store connection.
const (
	frameRaft     byte = 1 // a batch of Raft messages of many Regions
	frameHello    byte = 2 // first frame of a connection: who is calling
	frameSnapshot byte = 3 // a snapshot stream (own connection)
	frameRPC      byte = 4 // a request to the receiving node (meta, admin)
	frameRPCReply byte = 5
)

// maxFrame bounds one frame; snapshot data travels in chunks below it.
const maxFrame = 256 << 20

// PeerInfo is what a store tells its peers about itself when it connects.
type PeerInfo struct {
	StoreID    uint64
	ClientAddr string // where clients reach it (RESP)
	NodeID     string // its 40-character Redis Cluster node id
}

// TransportConfig configures the store-to-store transport.
type TransportConfig struct {
	StoreID    uint64
	Self       PeerInfo
	ListenAddr string
	Peers      map[uint64]string // store id -> raft address
	Logger     *slog.Logger
	// QueueFrames bounds the frames waiting for one peer; beyond it frames
	// are dropped (Raft retransmits), so a dead peer costs bounded memory.
	QueueFrames int
	// KnownAs, if set, gives the node id this store has on record for a
	// peer store; the hello to that peer carries it, so a peer whose data
	// directory was replaced learns that it is not what the cluster knows.
	KnownAs func(store uint64) string
	// CheckPeer, if set, vets every incoming connection's hello before any
	// of its frames is read: what the peer says it is, and what it says
	// this store is known as ("" if it has no record). An error closes
	// the connection.
	CheckPeer func(peer PeerInfo, knownAs string) error
}

// Transport moves Raft messages between stores: one outbound connection
// per peer, fed by a bounded queue; every round's messages for one peer are
// one frame, written with one write. Snapshots stream on connections of
// their own so they never hold up heartbeats.
type Transport struct {
	cfg   TransportConfig
	log   *slog.Logger
	ln    net.Listener
	peers map[uint64]*peer

	handler atomic.Pointer[transportHandler]
	stop    chan struct{}
	wg      sync.WaitGroup

	connsMu sync.Mutex
	conns   map[net.Conn]struct{}

	infoMu sync.RWMutex
	info   map[uint64]PeerInfo

	// blocked stores: traffic to and from them is dropped (a testing
	// hook to partition a node without network namespaces).
	blocked atomic.Pointer[map[uint64]bool]

	// lastHeard: unix ns of the last frame from each peer (keepalives
	// included), for store liveness.
	heardMu   sync.Mutex
	lastHeard map[uint64]int64

	// freeFrames recycles the buffers of Raft frames once their peer's
	// writer copied them out (bounded; small frames only).
	freeFrames chan []byte

	FramesSent    atomic.Uint64
	MessagesSent  atomic.Uint64
	BytesSent     atomic.Uint64
	FramesDropped atomic.Uint64
	Writes        atomic.Uint64
}

// transportHandler is what the receiving side calls.
type transportHandler struct {
	raft     func(from uint64, msgs []RegionMessage)
	snapshot func(from uint64, r io.Reader) error
	rpc      func(from uint64, req []byte) []byte
}

// RegionMessage is a Raft message addressed to a Region.
type RegionMessage struct {
	Region uint64
	Msg    raftpb.Message
}

type peer struct {
	t      *Transport
	id     uint64
	addr   string
	queue  chan []byte
	mu     sync.Mutex
	rpcSeq uint64
	rpcs   map[uint64]chan []byte
	up     atomic.Bool
}

// NewTransport listens on cfg.ListenAddr.
func NewTransport(cfg TransportConfig) (*Transport, error) {
	if cfg.QueueFrames == 0 {
		cfg.QueueFrames = 4096
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("raft listen on %s: %w", cfg.ListenAddr, err)
	}
	// Before t copies cfg: Self() must carry the store id (it once did
	// not, and a node took its own entry in KnownPeers for another's).
	cfg.Self.StoreID = cfg.StoreID
	t := &Transport{cfg: cfg, log: cfg.Logger.With("component", "transport"), ln: ln, peers: map[uint64]*peer{}, stop: make(chan struct{}), conns: map[net.Conn]struct{}{},
		info: map[uint64]PeerInfo{}, lastHeard: map[uint64]int64{}, freeFrames: make(chan []byte, 64)}
	t.info[cfg.StoreID] = cfg.Self
	for id, addr := range cfg.Peers {
		if id == cfg.StoreID {
			continue
		}
		t.peers[id] = &peer{t: t, id: id, addr: addr, queue: make(chan []byte, cfg.QueueFrames), rpcs: map[uint64]chan []byte{}}
	}
	return t, nil
}

// Start accepts connections and dials peers. h receives incoming traffic.
func (t *Transport) start(h *transportHandler) {
	t.handler.Store(h)
	t.wg.Add(1)
	go func() { defer t.wg.Done(); t.acceptLoop() }()
	for _, p := range t.peers {
		t.wg.Add(1)
		go func(p *peer) { defer t.wg.Done(); p.sendLoop() }(p)
	}
}

// Close stops every goroutine of the transport.
func (t *Transport) Close() {
	select {
	case <-t.stop:
		return
	default:
	}
	close(t.stop)
	_ = t.ln.Close()
	t.connsMu.Lock()
	for c := range t.conns {
		_ = c.Close()
	}
	t.connsMu.Unlock()
	t.wg.Wait()
}

func (t *Transport) track(c net.Conn) bool {
	t.connsMu.Lock()
	defer t.connsMu.Unlock()
	select {
	case <-t.stop:
		return false
	default:
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c net.Conn) {
	t.connsMu.Lock()
	delete(t.conns, c)
	t.connsMu.Unlock()
	_ = c.Close()
}

// PeerUp reports whether the connection to store id is established.
func (t *Transport) PeerUp(id uint64) bool {
	if id == t.cfg.StoreID {
		return true
	}
	p := t.peers[id]
	return p != nil && p.up.Load()
}

// Peers lists the peer store ids.
func (t *Transport) Peers() []uint64 {
	out := make([]uint64, 0, len(t.peers))
	for id := range t.peers {
		out = append(out, id)
	}
	return out
}

// appendRaftFrame encodes msgs as one frame.
func appendRaftFrame(dst []byte, from uint64, msgs []RegionMessage) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, frameRaft)
	dst = binary.BigEndian.AppendUint64(dst, from)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(msgs)))
	for i := range msgs {
		m := &msgs[i].Msg
		dst = binary.BigEndian.AppendUint64(dst, msgs[i].Region)
		sz := m.Size()
		dst = binary.BigEndian.AppendUint32(dst, uint32(sz))
		n := len(dst)
		dst = append(dst, make([]byte, sz)...)
		if _, err := m.MarshalTo(dst[n:]); err != nil {
			return dst[:start], fmt.Errorf("marshal raft message: %w", err)
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst, nil
}

// Keepalive sends every peer an empty frame so it knows this store is
// alive even when all Regions are quiesced.
func (t *Transport) Keepalive() {
	for id, p := range t.peers {
		if t.isBlocked(id) {
			continue
		}
		frame, _ := appendRaftFrame(nil, t.cfg.StoreID, nil)
		select {
		case p.queue <- frame:
		default:
		}
	}
}

// PeerAlive reports whether store id sent anything recently.
func (t *Transport) PeerAlive(id uint64) bool {
	if t.isBlocked(id) {
		return false
	}
	t.heardMu.Lock()
	last := t.lastHeard[id]
	t.heardMu.Unlock()
	return time.Since(time.Unix(0, last)) < 2*time.Second
}

// Send queues one frame of msgs for store `to`. It never blocks: when the
// peer's queue is full the frame is dropped and Raft will retransmit.
func (t *Transport) Send(to uint64, msgs []RegionMessage) {
	p := t.peers[to]
	if p == nil || len(msgs) == 0 || t.isBlocked(to) {
		return
	}
	var buf []byte
	select {
	case buf = <-t.freeFrames:
	default:
	}
	frame, err := appendRaftFrame(buf, t.cfg.StoreID, msgs)
	if err != nil {
		t.log.Error("encode raft frame", "err", err)
		return
	}
	select {
	case p.queue <- frame:
		t.FramesSent.Add(1)
		t.MessagesSent.Add(uint64(len(msgs)))
	default:
		t.FramesDropped.Add(1)
	}
}

// recycle takes back a frame the writer is done with.
func (t *Transport) recycle(frame []byte) {
	if cap(frame) > 64<<10 {
		return // rare; not worth holding on to
	}
	select {
	case t.freeFrames <- frame[:0]:
	default:
	}
}

func (p *peer) sendLoop() {
	backoff := 50 * time.Millisecond
	for {
		select {
		case <-p.t.stop:
			return
		default:
		}
		c, err := net.DialTimeout("tcp", p.addr, time.Second)
		if err != nil {
			p.drainFor(backoff)
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		if !p.t.track(c) {
			_ = c.Close()
			return
		}
		backoff = 50 * time.Millisecond
		p.up.Store(true)
		err = p.serve(c)
		p.up.Store(false)
		p.t.untrack(c)
		p.failRPCs()
		if err != nil && !errors.Is(err, net.ErrClosed) {
			p.t.log.Debug("peer connection lost", "peer", p.id, "err", err)
		}
	}
}

// drainFor waits for d while discarding queued frames: messages for a peer
// that is down are worthless by the time it is back.
func (p *peer) drainFor(d time.Duration) {
	tm := time.NewTimer(d)
	defer tm.Stop()
	for {
		select {
		case <-p.t.stop:
			return
		case <-tm.C:
			return
		case <-p.queue:
			p.t.FramesDropped.Add(1)
		}
	}
}

// serve writes queued frames to c, coalescing whatever is queued into one
// write, and reads RPC replies coming back on the same connection.
func (p *peer) serve(c net.Conn) error {
	hello := p.t.appendHello([]byte{0, 0, 0, 0, frameHello}, p.id)
	binary.BigEndian.PutUint32(hello, uint32(len(hello)-4))
	if _, err := c.Write(hello); err != nil {
		return err
	}
	readErr := make(chan error, 1)
	go func() { readErr <- p.readReplies(c) }()
	w := bufio.NewWriterSize(c, 256<<10)
	for {
		select {
		case <-p.t.stop:
			return nil
		case err := <-readErr:
			return err
		case f := <-p.queue:
			if _, err := w.Write(f); err != nil {
				return err
			}
			p.t.recycle(f)
		more:
			for w.Buffered() < 1<<20 {
				select {
				case f := <-p.queue:
					if _, err := w.Write(f); err != nil {
						return err
					}
					p.t.recycle(f)
				default:
					break more
				}
			}
			p.t.BytesSent.Add(uint64(w.Buffered()))
			p.t.Writes.Add(1)
			_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
}

func (p *peer) readReplies(c net.Conn) error {
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		kind, body, err := readFrame(r)
		if err != nil {
			return err
		}
		if kind != frameRPCReply || len(body) < 8 {
			continue
		}
		id := binary.BigEndian.Uint64(body)
		p.mu.Lock()
		ch := p.rpcs[id]
		delete(p.rpcs, id)
		p.mu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), body[8:]...)
		}
	}
}

func (p *peer) failRPCs() {
	p.mu.Lock()
	for id, ch := range p.rpcs {
		close(ch)
		delete(p.rpcs, id)
	}
	p.mu.Unlock()
}

// Call sends an RPC to store `to` and waits for its reply.
func (t *Transport) Call(ctx context.Context, to uint64, req []byte) ([]byte, error) {
	p := t.peers[to]
	if p == nil {
		return nil, fmt.Errorf("no peer %d", to)
	}
	if !p.up.Load() {
		return nil, fmt.Errorf("store %d unreachable", to)
	}
	ch := make(chan []byte, 1)
	p.mu.Lock()
	p.rpcSeq++
	id := p.rpcSeq
	p.rpcs[id] = ch
	p.mu.Unlock()
	frame := []byte{0, 0, 0, 0, frameRPC}
	frame = binary.BigEndian.AppendUint64(frame, id)
	frame = append(frame, req...)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	select {
	case p.queue <- frame:
	default:
		p.mu.Lock()
		delete(p.rpcs, id)
		p.mu.Unlock()
		return nil, fmt.Errorf("store %d: send queue full", to)
	}
	select {
	case rep, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("store %d: connection lost", to)
		}
		return rep, nil
	case <-ctx.Done():
		p.mu.Lock()
		delete(p.rpcs, id)
		p.mu.Unlock()
		return nil, ctx.Err()
	}
}

func readFrame(r *bufio.Reader) (byte, []byte, error) {
	return readFrameInto(r, nil)
}

// readFrameInto reads a frame into buf's storage (grown if it is too
// small): a connection reading frame after frame reuses one buffer.
func readFrameInto(r *bufio.Reader, buf []byte) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < 1 || n > maxFrame {
		return 0, nil, fmt.Errorf("bad frame length %d", n)
	}
	if cap(buf) < int(n-1) {
		buf = make([]byte, n-1)
	}
	body := buf[:n-1]
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return hdr[4], body, nil
}

func (t *Transport) acceptLoop() {
	for {
		c, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.stop:
				return
			default:
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !t.track(c) {
			_ = c.Close()
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			defer t.untrack(c)
			if err := t.serveIncoming(c); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				t.log.Debug("incoming connection", "remote", c.RemoteAddr(), "err", err)
			}
		}()
	}
}

func (t *Transport) serveIncoming(c net.Conn) error {
	r := bufio.NewReaderSize(c, 256<<10)
	kind, body, err := readFrame(r)
	if err != nil {
		return err
	}
	if kind == frameSnapshot {
		if len(body) < 8 {
			return errors.New("short snapshot header")
		}
		from := binary.BigEndian.Uint64(body)
		if err := t.vetHello(from, body[8:]); err != nil {
			_, _ = c.Write([]byte{0})
			return err
		}
		h := t.handler.Load()
		err := h.snapshot(from, r)
		ack := []byte{1}
		if err != nil {
			ack = []byte{0}
			t.log.Warn("receive snapshot", "from", from, "err", err)
		}
		_, _ = c.Write(ack)
		return err
	}
	if kind != frameHello || len(body) < 8 {
		return errors.New("connection did not start with hello")
	}
	from := binary.BigEndian.Uint64(body)
	if err := t.vetHello(from, body[8:]); err != nil {
		return err
	}
	var wmu sync.Mutex
	// Both are reused frame after frame: what is decoded copies the bytes
	// it keeps, and the handler copies the messages it keeps.
	var frame []byte
	var msgs []RegionMessage
	for {
		kind, body, err := readFrameInto(r, frame)
		if err != nil {
			return err
		}
		frame = body
		if cap(frame) > 1<<20 {
			frame = nil // a rare big frame's buffer is not kept for good
		}
		h := t.handler.Load()
		if !t.isBlocked(from) {
			t.heardMu.Lock()
			t.lastHeard[from] = time.Now().UnixNano()
			t.heardMu.Unlock()
		}
		switch kind {
		case frameRaft:
			msgs, err = decodeRaftFrame(msgs, body)
			if err != nil {
				return err
			}
			if !t.isBlocked(from) {
				h.raft(from, msgs)
			}
			clear(msgs) // what they point to is the handler's now
			msgs = msgs[:0]
		case frameRPC:
			if len(body) < 8 {
				return errors.New("short rpc")
			}
			id := binary.BigEndian.Uint64(body)
			req := append([]byte(nil), body[8:]...)
			go func() {
				rep := h.rpc(from, req)
				out := []byte{0, 0, 0, 0, frameRPCReply}
				out = binary.BigEndian.AppendUint64(out, id)
				out = append(out, rep...)
				binary.BigEndian.PutUint32(out, uint32(len(out)-4))
				wmu.Lock()
				_, _ = c.Write(out)
				wmu.Unlock()
			}()
		}
	}
}

func decodeRaftFrame(msgs []RegionMessage, body []byte) ([]RegionMessage, error) {
	if len(body) < 12 {
		return nil, errors.New("short raft frame")
	}
	n := binary.BigEndian.Uint32(body[8:])
	p := body[12:]
	for i := uint32(0); i < n; i++ {
		if len(p) < 12 {
			return nil, errors.New("truncated raft frame")
		}
		region := binary.BigEndian.Uint64(p)
		sz := binary.BigEndian.Uint32(p[8:])
		p = p[12:]
		if uint32(len(p)) < sz {
			return nil, errors.New("truncated raft message")
		}
		var m raftpb.Message
		if err := m.Unmarshal(p[:sz]); err != nil {
			return nil, fmt.Errorf("decode raft message: %w", err)
		}
		p = p[sz:]
		msgs = append(msgs, RegionMessage{Region: region, Msg: m})
	}
	return msgs, nil
}

// SendSnapshot opens a connection of its own to store `to` and streams a
// snapshot written by write; it returns when the receiver acknowledged it.
func (t *Transport) SendSnapshot(ctx context.Context, to uint64, write func(w io.Writer) error) error {
	p := t.peers[to]
	if p == nil {
		return fmt.Errorf("no peer %d", to)
	}
	d := net.Dialer{Timeout: time.Second}
	c, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return err
	}
	if !t.track(c) {
		_ = c.Close()
		return net.ErrClosed
	}
	defer t.untrack(c)
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	w := bufio.NewWriterSize(c, 1<<20)
	// The header is a hello: the receiver vets it as it vets a Raft
	// connection's before it reads a byte of the snapshot.
	hdr := t.appendHello([]byte{0, 0, 0, 0, frameSnapshot}, to)
	binary.BigEndian.PutUint32(hdr, uint32(len(hdr)-4))
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	if err := write(w); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	var ack [1]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return fmt.Errorf("snapshot ack: %w", err)
	}
	if ack[0] != 1 {
		return errors.New("receiver rejected the snapshot")
	}
	return nil
}

func appendString(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(s)))
	return append(dst, s...)
}

func readString(b []byte) (string, []byte, bool) {
	if len(b) < 2 {
		return "", nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return "", nil, false
	}
	return string(b[2 : 2+n]), b[2+n:], true
}

// appendHello appends what a connection to store `to` starts with: this
// store's id, client address and node id, and the node id it has on
// record for `to`.
func (t *Transport) appendHello(b []byte, to uint64) []byte {
	b = binary.BigEndian.AppendUint64(b, t.cfg.StoreID)
	b = appendString(b, t.cfg.Self.ClientAddr)
	b = appendString(b, t.cfg.Self.NodeID)
	knownAs := ""
	if t.cfg.KnownAs != nil {
		knownAs = t.cfg.KnownAs(to)
	}
	return appendString(b, knownAs)
}

// vetHello checks and records the hello (after its store id) of a
// connection from store `from`; an error refuses the connection.
func (t *Transport) vetHello(from uint64, rest []byte) error {
	info, knownAs, ok := parseHello(rest)
	if !ok {
		if t.cfg.CheckPeer != nil || len(rest) > 0 {
			return errors.New("malformed hello")
		}
		return nil // an older store's snapshot header: the id alone
	}
	info.StoreID = from
	if t.cfg.CheckPeer != nil {
		if err := t.cfg.CheckPeer(info, knownAs); err != nil {
			return err
		}
	}
	t.setPeerInfo(info)
	return nil
}

// parseHello reads a hello after the store id: the peer's client address
// and node id, then the node id it knows this store as (absent in hellos
// of stores older than that field: "").
func parseHello(b []byte) (pi PeerInfo, knownAs string, ok bool) {
	if pi.ClientAddr, b, ok = readString(b); !ok {
		return pi, "", false
	}
	if pi.NodeID, b, ok = readString(b); !ok {
		return pi, "", false
	}
	if len(b) > 0 {
		if knownAs, _, ok = readString(b); !ok {
			return pi, "", false
		}
	}
	return pi, knownAs, true
}

func (t *Transport) setPeerInfo(pi PeerInfo) {
	t.infoMu.Lock()
	t.info[pi.StoreID] = pi
	t.infoMu.Unlock()
}

// PeerInfo returns what store id said about itself, once it connected.
func (t *Transport) PeerInfo(id uint64) (PeerInfo, bool) {
	t.infoMu.RLock()
	defer t.infoMu.RUnlock()
	pi, ok := t.info[id]
	return pi, ok
}

// KnownPeers returns every store heard from, this one included.
func (t *Transport) KnownPeers() []PeerInfo {
	t.infoMu.RLock()
	defer t.infoMu.RUnlock()
	out := make([]PeerInfo, 0, len(t.info))
	for _, pi := range t.info {
		out = append(out, pi)
	}
	return out
}

// Self is this store's own PeerInfo.
func (t *Transport) Self() PeerInfo { return t.cfg.Self }

// Block drops all Raft traffic to and from the given stores until Heal.
// It exists for fault-injection tests (a partition without namespaces).
func (t *Transport) Block(stores []uint64) {
	m := map[uint64]bool{}
	for _, s := range stores {
		m[s] = true
	}
	t.blocked.Store(&m)
}

// Heal undoes Block.
func (t *Transport) Heal() { t.blocked.Store(nil) }

func (t *Transport) isBlocked(id uint64) bool {
	m := t.blocked.Load()
	return m != nil && (*m)[id]
}
