package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/meta"
	"github.com/neokv/neokv/netio"
)

type serverFlags struct {
	addr         string
	dir          string
	regions      int
	requirepass  string
	notifyEvents string
	pprof        string
	logLevel     string
	eventLoops   int
	maxClients   int
	cacheMB      int
	memtableMB   int
	applyWorkers int
	nodeID       uint64
	raftAddr     string
	initial      string
	redirect     bool
	tickMS       int
	electTicks   int
	logGCCount   uint64
	logMaxLag    uint64
	unsafeReads  bool
	applyDelay   time.Duration
}

// defaultRegions is how many Regions a new store splits the slots into
// when --regions is not given. A cluster spreads its Regions' leaders over
// its stores, so it wants several. A single node gains nothing from more
// than one (it runs one apply loop, and its SET/GET throughput measured the
// same or better with one: bench/RESULTS.md), while every multi-key command
// Redis runs on any keys (RENAME, LMOVE, SMOVE, the *STORE commands,
// MULTI/EXEC) would answer -CROSSSLOT for keys in different Regions, 15
// times in 16 with 16 Regions. One Region makes the default server take
// them all, as a standalone redis-server does.
func defaultRegions(cluster bool) int {
	if cluster {
		return 16
	}
	return 1
}

// storeIdent is what a store remembers about itself across restarts.
type storeIdent struct {
	StoreID uint64 `json:"store_id"`
	NodeID  string `json:"node_id"`
}

func runServer(args []string) error {
	var f serverFlags
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:6379", "address to serve the Redis protocol on")
	fs.StringVar(&f.dir, "dir", "./data", "data directory")
	fs.IntVar(&f.regions, "regions", 0, "number of Regions the 16384 slots are split into, used when the store is first created (0: 16 in a cluster, 1 on a single node)")
	fs.StringVar(&f.requirepass, "requirepass", "", "password clients must AUTH with (empty: none)")
	fs.StringVar(&f.notifyEvents, "notify-keyspace-events", "", "keyspace notification classes, as Redis's setting (e.g. KEA; CONFIG SET changes them at run time)")
	fs.StringVar(&f.pprof, "pprof", "", "HTTP address serving /debug/pprof (empty: off)")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&f.eventLoops, "event-loops", 0, "network event loops (0: one per CPU)")
	fs.IntVar(&f.maxClients, "maxclients", 10000, "maximum number of client connections")
	fs.IntVar(&f.cacheMB, "cache-mb", 256, "Pebble block cache in MiB")
	fs.IntVar(&f.memtableMB, "memtable-mb", 64, "Pebble memtable size in MiB")
	fs.IntVar(&f.applyWorkers, "apply-workers", 0, "apply loops of a cluster member (0: one per CPU, at most 4; a single node runs one)")
	fs.Uint64Var(&f.nodeID, "node-id", 0, "cluster member id (1, 2, 3, ...); 0: single node")
	fs.StringVar(&f.raftAddr, "raft-addr", "", "address for store-to-store (Raft) traffic, cluster mode")
	fs.StringVar(&f.initial, "initial-cluster", "", "cluster members as id=raft-address,... (e.g. 1=127.0.0.1:17001,2=127.0.0.1:17002,3=127.0.0.1:17003)")
	fs.IntVar(&f.tickMS, "raft-tick-ms", 100, "Raft tick in milliseconds")
	fs.IntVar(&f.electTicks, "raft-election-ticks", 10, "election timeout in ticks")
	fs.Uint64Var(&f.logGCCount, "raft-log-gc-count", 256, "compact a Region's in-memory log once this many applied entries are behind it")
	fs.Uint64Var(&f.logMaxLag, "raft-log-max-lag", 50000, "a follower further behind than this many entries is caught up by snapshot")
	fs.DurationVar(&f.applyDelay, "test-apply-delay", 0, "TESTING ONLY: hold every apply batch this long (widens the window between an entry's commit and its apply)")
	fs.BoolVar(&f.unsafeReads, "unsafe-stale-reads", false, "TESTING ONLY: serve reads from local state without lease or ReadIndex (breaks linearizability; lets the linearizability test prove it can fail)")
	fs.BoolVar(&f.redirect, "cluster-redirect", false, "answer commands for Regions led elsewhere with -MOVED (strict Redis Cluster) instead of forwarding them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if f.tickMS <= 0 || f.electTicks < 2 {
		return fmt.Errorf("--raft-tick-ms must be positive and --raft-election-ticks at least 2")
	}
	log := newLogger(f.logLevel)
	slog.SetDefault(log)
	start := time.Now()

	if err := os.MkdirAll(f.dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	db, err := engine.Open(filepath.Join(f.dir, "pebble"), engine.Options{CacheSize: int64(f.cacheMB) << 20, MemTableSize: uint64(f.memtableMB) << 20, Logger: log})
	if err != nil {
		return err
	}
	members, err := parseInitialCluster(f.initial)
	if err != nil {
		_ = db.Close()
		return err
	}
	cluster := len(members) > 0
	if cluster && (f.nodeID == 0 || members[f.nodeID] == "") {
		_ = db.Close()
		return fmt.Errorf("--node-id must name a member of --initial-cluster")
	}
	if cluster && f.raftAddr == "" {
		f.raftAddr = members[f.nodeID]
	}
	if f.regions <= 0 {
		f.regions = defaultRegions(cluster)
	}
	storeID := uint64(1)
	if cluster {
		storeID = f.nodeID
	}
	ident, err := loadIdent(db, storeID)
	if err != nil {
		_ = db.Close()
		return err
	}
	var transport *batching.Transport
	var stores []uint64
	fatal := make(chan error, 1)
	onFatal := func(err error) {
		select {
		case fatal <- err:
		default:
		}
	}
	if cluster {
		idents := newPeerIdentities(db, storeID, ident.NodeID, log, onFatal)
		transport, err = batching.NewTransport(batching.TransportConfig{
			StoreID:    storeID,
			Self:       batching.PeerInfo{ClientAddr: f.addr, NodeID: ident.NodeID},
			ListenAddr: f.raftAddr,
			Peers:      members,
			Logger:     log,
			KnownAs:    idents.knownAs,
			CheckPeer:  idents.check,
		})
		if err != nil {
			_ = db.Close()
			return err
		}
		for id := range members {
			stores = append(stores, id)
		}
		sort.Slice(stores, func(i, j int) bool { return stores[i] < stores[j] })
	}
	metaState := meta.NewState()
	// The front end, created after the store, wants to hear which keys each
	// apply batch changed (to wake blocked clients).
	var onApplied atomic.Pointer[func([][]byte)]
	applyWorkers := f.applyWorkers
	if !cluster && applyWorkers != 1 {
		// A single node splits MSET, DEL and the like over Regions into one
		// round; one apply loop applies the parts in one batch, so readers
		// see all of them or none. Apply loops of their own would publish
		// the parts apart (measured: one loop is as fast here).
		if applyWorkers > 1 {
			log.Warn("a single node runs one apply loop; --apply-workers ignored", "apply-workers", applyWorkers)
		}
		applyWorkers = 1
	}
	store, err := batching.Open(batching.Config{
		StoreID:       ident.StoreID,
		DB:            db,
		LogDir:        filepath.Join(f.dir, "raftlog"),
		ApplyWorkers:  applyWorkers,
		Transport:     transport,
		InitialStores: stores,
		SystemRegions: []batching.SystemRegion{{ID: meta.RegionID, SM: metaState}},
		OnApplied: func(keys [][]byte) {
			if h := onApplied.Load(); h != nil {
				(*h)(keys)
			}
		},
		TickInterval:  time.Duration(f.tickMS) * time.Millisecond,
		ElectionTicks: f.electTicks,
		LogGCCount:    f.logGCCount,
		LogMaxLag:     f.logMaxLag,
		ApplyDelay:    f.applyDelay,
		Commands:      engine.Commands(),
		Logger:        log,
		OnFatal:       onFatal,
	}, f.regions)
	if err != nil {
		_ = db.Close()
		return err
	}
	store.Start()
	metaSvc := meta.NewService(store, metaState, meta.StoreInfo{ID: storeID, NodeID: ident.NodeID, ClientAddr: f.addr, RaftAddr: f.raftAddr}, log)
	metaSvc.Start()
	shutdown := make(chan struct{}, 1)
	srv, err := netio.New(netio.Config{
		OnShutdown: func() {
			select {
			case shutdown <- struct{}{}:
			default:
			}
		},
		Meta:                 metaSvc,
		Addr:                 f.addr,
		Password:             f.requirepass,
		NodeID:               ident.NodeID,
		NotifyKeyspaceEvents: f.notifyEvents,
		Version:              version,
		EventLoops:           f.eventLoops,
		Logger:               log,
		Store:                store,
		DataDir:              f.dir,
		MaxClients:           f.maxClients,
		Cluster:              cluster,
		Redirect:             f.redirect,
		UnsafeStaleReads:     f.unsafeReads,
	})
	if err == nil {
		h := srv.KeysChanged
		onApplied.Store(&h)
		err = srv.Start()
	}
	if err != nil {
		metaSvc.Stop()
		_ = store.Stop(time.Second)
		_ = db.Close()
		return err
	}
	var pprofSrv *http.Server
	if f.pprof != "" {
		// Sample contention too, so `make profile` can explain waiting.
		runtime.SetMutexProfileFraction(100)
		runtime.SetBlockProfileRate(100000)
		if pprofSrv, err = startPprof(f.pprof, log, srv.WriteMetrics); err != nil {
			log.Error("pprof", "err", err)
		}
	}
	log.Info("neokv ready", "addr", f.addr, "dir", f.dir, "regions", len(store.Regions()), "node_id", ident.NodeID,
		"startup", time.Since(start).Round(time.Millisecond), "go", runtime.Version())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	var exitErr error
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	case <-shutdown:
		log.Info("shutting down", "reason", "SHUTDOWN command")
	case err := <-fatal:
		exitErr = err
	}
	// A second SIGINT/SIGTERM ends the process at once, as an operator
	// expects when a shutdown hangs; the Raft log on disk holds every
	// acknowledged write, so the next start loses nothing.
	signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Stop(ctx); err != nil {
		log.Warn("stop server", "err", err)
	}
	if pprofSrv != nil {
		_ = pprofSrv.Shutdown(ctx)
	}
	metaSvc.Stop()
	if err := store.Stop(3 * time.Second); err != nil && exitErr == nil {
		exitErr = err
	}
	if err := closeWithin(db.Close, storageCloseTimeout); err != nil {
		log.Error("close storage", "err", err)
		if exitErr == nil {
			exitErr = err
		}
	}
	log.Info("stopped")
	return exitErr
}

// storageCloseTimeout bounds Pebble's close at shutdown. Close waits for
// running flushes and compactions; on a disk that stopped answering it
// would wait forever.
const storageCloseTimeout = 30 * time.Second

// closeWithin runs closeFn and gives up waiting after timeout; the process
// is about to exit, which ends the abandoned close.
func closeWithin(closeFn func() error, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- closeFn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("not closed within %v; exiting without it (the Raft log holds every acknowledged write)", timeout)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// loadIdent reads the store identity, creating it on first start. A data
// directory belongs to one store: starting it as another is refused.
func loadIdent(db *engine.DB, storeID uint64) (storeIdent, error) {
	var id storeIdent
	raw, err := db.Ident()
	if err != nil {
		return id, err
	}
	if raw != nil {
		if err := json.Unmarshal(raw, &id); err != nil {
			return id, fmt.Errorf("store identity: %w", err)
		}
		if id.StoreID != storeID {
			return id, fmt.Errorf("data directory belongs to store %d, not %d", id.StoreID, storeID)
		}
		return id, nil
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return id, err
	}
	id = storeIdent{StoreID: storeID, NodeID: hex.EncodeToString(b[:])}
	raw, _ = json.Marshal(id)
	return id, db.SetIdent(raw)
}

func startPprof(addr string, log *slog.Logger, metrics func(io.Writer)) (*http.Server, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		metrics(w)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	for _, name := range []string{"heap", "allocs", "mutex", "block", "goroutine", "threadcreate"} {
		mux.Handle("/debug/pprof/"+name, pprof.Handler(name))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server", "err", err)
		}
	}()
	return srv, nil
}

// parseInitialCluster parses "1=host:port,2=host:port".
func parseInitialCluster(s string) (map[uint64]string, error) {
	out := map[uint64]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		idStr, addr, ok := strings.Cut(strings.TrimSpace(part), "=")
		id, err := strconv.ParseUint(idStr, 10, 64)
		if !ok || err != nil || id == 0 || id > 65535 || addr == "" {
			return nil, fmt.Errorf("--initial-cluster: bad member %q (want id=host:port, id 1..65535)", part)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("--initial-cluster: member %d listed twice", id)
		}
		out[id] = addr
	}
	return out, nil
}
