package netio

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/meta"
	"github.com/neokv/neokv/resp"
)

// Config configures the front end.
type Config struct {
	Addr     string // host:port to listen on
	Password string // requirepass; empty disables AUTH
	// NotifyKeyspaceEvents is notify-keyspace-events at start (CONFIG SET
	// changes it at run time).
	NotifyKeyspaceEvents string
	NodeID               string // 40 hex characters, CLUSTER MYID
	Version              string // NeoKV's own version, for INFO
	EventLoops           int    // 0: one per CPU
	Logger               *slog.Logger
	Store                *batching.Store
	Topology             Topology // nil: this node alone owns every slot
	DataDir              string
	// Redis limits, with Redis's defaults when zero.
	MaxBulkLen       int64
	MaxMultibulkLen  int64
	QueryBufferLimit int
	MaxClients       int
	// Cluster: the store has peers; Redirect answers commands for Regions
	// led elsewhere with -MOVED instead of forwarding them.
	Cluster  bool
	Redirect bool
	// Meta is the node's MetaServer member (cluster views for NEOKV META).
	Meta *meta.Service
	// UnsafeStaleReads (testing only) reads local state on any replica
	// without lease or ReadIndex: the deliberately broken build the
	// linearizability test must catch.
	UnsafeStaleReads bool
	// OnShutdown asks the process to stop (SHUTDOWN); it must not block.
	// Nil: SHUTDOWN is refused.
	OnShutdown func()
}

// RedisVersion is the Redis version NeoKV answers to in HELLO and INFO.
const RedisVersion = "7.2.4"

// Server is the RESP server.
type Server struct {
	gnet.BuiltinEventEngine
	cfg   Config
	log   *slog.Logger
	store *batching.Store
	db    *engine.DB
	cmds  map[string]*command
	// internalCmds are the neokv.* commands one node sends another
	// (FCALL with its library's code, WATCH's digest): accepted only on
	// forwarding links and listed nowhere, so an ordinary client
	// connection cannot run library code that was never loaded. (A
	// connection that declares itself a forwarding link can; that
	// declaration is as trusted as the password, as every inter-node
	// command.)
	internalCmds map[string]*command
	stats        *commandStats
	pause        clientPause
	rates        instantRates
	topo         Topology
	started      time.Time
	host         string
	port         int

	eng     gnet.Engine
	booted  chan struct{}
	stopped chan error

	mu      sync.Mutex
	clients map[uint64]*client
	nextID  atomic.Uint64

	fwd         *forwarder
	pubsub      *pubsub
	monitors    monitors
	rerouting   rerouter
	conf        runtimeConfig
	confGen     atomic.Uint64 // bumped by CONFIG SET
	passwordSet atomic.Bool

	requestLatency batching.Histogram
	blockedReg     blockRegistry
	blockingCmds   map[string]bool

	totalConns    atomic.Uint64
	rejectedConns atomic.Uint64
	totalCommands atomic.Uint64
	netIn, netOut atomic.Uint64

	// events publishes keyspace notifications (notify.go); track is the
	// client-side caching table (tracking.go).
	events keyspaceEvents
	track  tracking
}

// runtimeConfig holds what CONFIG SET may change while running.
type runtimeConfig struct {
	mu               sync.RWMutex
	password         string
	maxBulkLen       int64
	maxMultibulkLen  int64
	queryBufferLimit int
	maxClients       int
	timeout          int
	extra            map[string]string // accepted for compatibility, no effect
}

// New creates a server; Start runs it.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBulkLen == 0 {
		cfg.MaxBulkLen = resp.DefaultMaxBulkLen
	}
	if cfg.MaxMultibulkLen == 0 {
		cfg.MaxMultibulkLen = resp.DefaultMaxMultibulkLen
	}
	if cfg.QueryBufferLimit == 0 {
		cfg.QueryBufferLimit = resp.DefaultQueryBufferLimit
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10000
	}
	if cfg.EventLoops == 0 {
		cfg.EventLoops = runtime.NumCPU()
	}
	host, portStr, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("listen port %q: %w", portStr, err)
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "netio"),
		store:   cfg.Store,
		db:      cfg.Store.DB(),
		started: time.Now(),
		host:    host,
		port:    port,
		booted:  make(chan struct{}),
		stopped: make(chan error, 1),
		clients: map[uint64]*client{},
	}
	s.topo = cfg.Topology
	if s.topo == nil && cfg.Cluster {
		s.topo = &clusterTopology{t: cfg.Store.Transport()}
	}
	if s.topo == nil {
		s.topo = &singleNode{self: Node{ID: cfg.NodeID, Host: host, Port: port, StoreID: cfg.Store.StoreID()}}
	}
	s.conf = runtimeConfig{
		password:         cfg.Password,
		maxBulkLen:       cfg.MaxBulkLen,
		maxMultibulkLen:  cfg.MaxMultibulkLen,
		queryBufferLimit: cfg.QueryBufferLimit,
		maxClients:       cfg.MaxClients,
		extra:            map[string]string{},
	}
	s.passwordSet.Store(cfg.Password != "")
	s.fwd = newForwarder()
	s.fwd.password = func() string {
		s.conf.mu.RLock()
		defer s.conf.mu.RUnlock()
		return s.conf.password
	}
	s.pubsub = newPubsub()
	s.events.s = s
	flags, ok := engine.ParseNotifyFlags(cfg.NotifyKeyspaceEvents)
	if !ok {
		return nil, fmt.Errorf("notify-keyspace-events %q: invalid event class character (use 'Ag$lshzxeKEtmdn')", cfg.NotifyKeyspaceEvents)
	}
	s.events.flags.Store(int64(flags))
	s.db.SetKeyspaceNotifier(&s.events)
	s.fwd.reroute = s.reroute
	s.rerouting.regions = map[*batching.Region]*rerouteQueue{}
	s.fwd.readOnly = func(argv [][]byte) bool {
		cmd := s.lookup(argv[0])
		if cmd == nil {
			cmd = s.lookupInternal(argv[0])
		}
		return cmd != nil && cmd.flags&engine.FlagReadOnly != 0 && cmd.flags&engine.FlagWrite == 0
	}
	s.cmds, s.internalCmds = s.commandTable()
	s.stats = newCommandStats(len(s.cmds) + len(s.internalCmds))
	return s, nil
}

// Start listens and serves in the background; it returns once the listener
// is up, or with the error that prevented it.
func (s *Server) Start() error {
	if s.cfg.Cluster {
		s.store.SetReroute(s.rerouteFromStore)
	}
	go func() {
		err := gnet.Run(s, "tcp://"+s.cfg.Addr,
			gnet.WithMulticore(true),
			gnet.WithNumEventLoop(s.cfg.EventLoops),
			gnet.WithTCPNoDelay(gnet.TCPNoDelay),
			gnet.WithReadBufferCap(64<<10),
			gnet.WithReuseAddr(true),
			gnet.WithLogger(quietGnetLogger{s.log}),
			gnet.WithLogLevel(logging.ErrorLevel),
			gnet.WithTicker(true),
		)
		s.stopped <- err
	}()
	select {
	case <-s.booted:
		return nil
	case err := <-s.stopped:
		if err == nil {
			err = errors.New("server stopped before it started")
		}
		return fmt.Errorf("listen on %s: %w", s.cfg.Addr, err)
	}
}

// Stop closes the listener and every connection.
func (s *Server) Stop(ctx context.Context) error {
	err := s.eng.Stop(ctx)
	s.fwd.close()
	s.stopPause()
	select {
	case <-s.stopped:
	case <-ctx.Done():
	}
	return err
}

// OnBoot implements gnet.EventHandler.
func (s *Server) OnBoot(eng gnet.Engine) gnet.Action {
	s.eng = eng
	close(s.booted)
	return gnet.None
}

// OnOpen implements gnet.EventHandler.
func (s *Server) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	s.conf.mu.RLock()
	maxClients := s.conf.maxClients
	limits := resp.Limits{MaxBulkLen: s.conf.maxBulkLen, MaxMultibulkLen: s.conf.maxMultibulkLen}
	s.conf.mu.RUnlock()
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	if n >= maxClients {
		s.rejectedConns.Add(1)
		return []byte("-ERR max number of clients reached\r\n"), gnet.Close
	}
	shard := s.stats.shardFor(c)
	cl := &client{
		srv:     s,
		conn:    c,
		id:      s.nextID.Add(1),
		parser:  resp.NewParser(limits),
		confGen: s.confGen.Load(),
		// As in Redis, a connection opened while no password is set stays
		// authenticated if one is set later.
		authed:  !s.passwordSet.Load(),
		reader:  s.db.NewCountingReader(&shard.keyspace),
		created: time.Now(),
		fd:      c.Fd(),
		stats:   shard,
	}
	cl.lastIO.Store(time.Now().UnixNano())
	if a := c.RemoteAddr(); a != nil {
		cl.addr = a.String()
	}
	if a := c.LocalAddr(); a != nil {
		cl.laddr = a.String()
	}
	c.SetContext(cl)
	s.mu.Lock()
	s.clients[cl.id] = cl
	s.mu.Unlock()
	s.totalConns.Add(1)
	return nil, gnet.None
}

// OnClose implements gnet.EventHandler.
func (s *Server) OnClose(c gnet.Conn, _ error) gnet.Action {
	if cl, ok := c.Context().(*client); ok {
		s.mu.Lock()
		delete(s.clients, cl.id)
		s.mu.Unlock()
		cl.gone.Store(true)
		cl.dropBlocked()
		s.dropSubscriptions(cl)
		s.dropMonitor(cl)
		s.disableTracking(cl)
		if cl.batch != nil {
			s.store.Submit(cl.batch)
			cl.batch = nil
		}
	}
	return gnet.None
}

// OnTraffic implements gnet.EventHandler: new bytes arrived, or a Wake
// announced completed replies.
func (s *Server) OnTraffic(c gnet.Conn) (action gnet.Action) {
	cl := c.Context().(*client)
	// A panic here is a NeoKV bug some input reached (engine commands
	// have their own guard; this covers the front end's handlers): it
	// closes this connection, whose state may be half updated, instead
	// of ending the node and every other client's connection with it.
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("connection handler panicked; closing the connection", "id", cl.id, "addr", cl.addr,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			action = gnet.Close
		}
	}()
	cl.woken.Store(false)
	if cl.killed.Load() {
		return gnet.Close
	}
	cl.drain()
	// Invalidations queued before these commands were read go out before
	// their replies: a tracking client hears of a write acknowledged to
	// someone else before the reply to its next command, as in Redis.
	// (Messages go after them, as a command sent before a PUBLISH is
	// answered before its message.)
	if cl.ps.urgentPending.Load() && !cl.takePushes(c, true) {
		return gnet.Close
	}
	if in := c.InboundBuffered(); in > 0 {
		cl.lastIO.Store(time.Now().UnixNano())
		if cl.closing {
			_, _ = c.Discard(-1)
		} else if in > s.queryBufferLimit() {
			s.log.Warn("closing client that reached max query buffer length", "id", cl.id, "addr", cl.addr, "qbuf", in)
			return gnet.Close
		} else if in >= cl.need {
			s.process(cl, c)
		}
	}
	if cl.batch != nil {
		s.store.Submit(cl.batch)
		cl.batch = nil
	}
	cl.drain()
	if cl.ps.pending.Load() && !cl.takePushes(c, false) {
		return gnet.Close
	}
	if len(cl.out.B) > 0 {
		s.netOut.Add(uint64(len(cl.out.B)))
		_, _ = c.Write(cl.out.B)
		if cap(cl.out.B) > 1<<20 {
			cl.out.B = nil
		} else {
			cl.out.B = cl.out.B[:0]
		}
	}
	cl.reader.FlushCounts()
	if cl.closing && len(cl.queue) == 0 {
		return gnet.Close
	}
	return gnet.None
}

// process parses and dispatches every complete request in the inbound buffer.
func (s *Server) process(cl *client, c gnet.Conn) {
	buf, err := c.Peek(-1)
	if err != nil {
		return
	}
	s.netIn.Add(uint64(len(buf)))
	cl.tmark = time.Now()
	cl.now = cl.tmark.UnixMilli()
	cl.routeEpoch = s.store.RouteEpoch()
	if g := s.confGen.Load(); g != cl.confGen {
		cl.confGen = g
		s.conf.mu.RLock()
		cl.parser.SetLimits(resp.Limits{MaxBulkLen: s.conf.maxBulkLen, MaxMultibulkLen: s.conf.maxMultibulkLen})
		s.conf.mu.RUnlock()
	}
	pos := 0
	for pos < len(buf) && !cl.closing {
		args, n, err := cl.parser.Parse(buf[pos:], s.authRequired(cl))
		if err != nil {
			var pe *resp.ProtocolError
			msg := err.Error()
			if errors.As(err, &pe) {
				msg = "ERR " + pe.Msg
			}
			cl.immediate().Error(msg)
			s.stats.countError([]byte("-" + msg))
			cl.closing = true
			pos = len(buf)
			break
		}
		if n == 0 {
			cl.need = cl.parser.Need()
			break
		}
		cl.need = 0
		if len(args) == 0 {
			pos += n
			continue
		}
		if !s.dispatch(cl, args) {
			// The command waits for this connection's earlier commands:
			// leave it in the buffer; the completion's wake-up retries.
			break
		}
		pos += n
	}
	if pos > 0 { // gnet's Discard(0) would drop the whole buffer
		_, _ = c.Discard(pos)
	}
}

func (s *Server) authRequired(cl *client) bool {
	return !cl.authed && s.passwordSet.Load()
}

func (s *Server) queryBufferLimit() int {
	s.conf.mu.RLock()
	defer s.conf.mu.RUnlock()
	return s.conf.queryBufferLimit
}

// batchFor returns the connection's hand-off batch for this wake-up.
func (cl *client) batchFor() *batching.Batch {
	if cl.batch == nil {
		cl.batch = batching.NewBatch()
	}
	return cl.batch
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.cfg.Addr }

type quietGnetLogger struct{ l *slog.Logger }

func (q quietGnetLogger) Debugf(string, ...any) {}
func (q quietGnetLogger) Infof(string, ...any)  {}
func (q quietGnetLogger) Warnf(format string, args ...any) {
	q.l.Warn(fmt.Sprintf(format, args...), "component", "gnet")
}
func (q quietGnetLogger) Errorf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...), "component", "gnet")
}
func (q quietGnetLogger) Fatalf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...), "component", "gnet")
}
