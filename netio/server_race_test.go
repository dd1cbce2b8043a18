package netio_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/netio"
)

// startInProcess runs engine + batching + netio of one single-node store in
// this test process, so the race detector (make test runs this package with
// -race) sees the event loops, the round loop and the apply workers at once.
func startInProcess(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	db, err := engine.Open(dir+"/pebble", engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var srvRef atomic.Pointer[netio.Server]
	store, err := batching.Open(batching.Config{
		StoreID:  1,
		DB:       db,
		LogDir:   dir + "/raftlog",
		Commands: engine.Commands(),
		OnApplied: func(keys [][]byte) {
			if s := srvRef.Load(); s != nil {
				s.KeysChanged(keys)
			}
		},
		OnFatal: func(err error) { t.Errorf("store fatal: %v", err) },
	}, 8)
	if err != nil {
		t.Fatal(err)
	}
	store.Start()
	var srv *netio.Server
	var addr string
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr = l.Addr().String()
		_ = l.Close()
		srv, err = netio.New(netio.Config{Addr: addr, Store: store, NodeID: "0123456789abcdef0123456789abcdef01234567", DataDir: dir, EventLoops: 2})
		if err != nil {
			t.Fatal(err)
		}
		srvRef.Store(srv)
		if err = srv.Start(); err == nil {
			break
		}
		if attempt == 5 {
			t.Fatalf("start server: %v", err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
		store.Stop(3 * time.Second)
		_ = db.Close()
	})
	return addr
}

// TestConcurrentClientsInProcess drives every concurrent mechanism of the
// front end at once — pipelines, cross-Region scatter/gather, MULTI/EXEC,
// blocking pops woken by other connections, RESP3, CLIENT KILL — and checks
// the results, under the race detector.
func TestConcurrentClientsInProcess(t *testing.T) {
	addr := startInProcess(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const workers, rounds = 6, 60
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	fail := func(format string, args ...any) {
		select {
		case errs <- fmt.Errorf(format, args...):
		default:
		}
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2 + w%2, PoolSize: 2})
			defer c.Close()
			for i := 0; i < rounds; i++ {
				// A pipeline touching several Regions, read back in order.
				pipe := c.Pipeline()
				for k := 0; k < 8; k++ {
					pipe.Set(ctx, fmt.Sprintf("w%d:k%d", w, k), i, 0)
				}
				get := pipe.Get(ctx, fmt.Sprintf("w%d:k%d", w, i%8))
				mget := pipe.MGet(ctx, fmt.Sprintf("w%d:k0", w), fmt.Sprintf("w%d:k5", w), "missing")
				incr := pipe.Incr(ctx, "shared:counter")
				if _, err := pipe.Exec(ctx); err != nil {
					fail("worker %d pipeline: %v", w, err)
					return
				}
				if get.Val() != strconv.Itoa(i) {
					fail("worker %d: GET after SET in the same pipeline = %q, want %d", w, get.Val(), i)
				}
				if v := mget.Val(); len(v) != 3 || v[0] != strconv.Itoa(i) || v[1] != strconv.Itoa(i) || v[2] != nil {
					fail("worker %d: MGET = %v", w, v)
				}
				if incr.Val() < 1 {
					fail("worker %d: INCR = %d", w, incr.Val())
				}
				// A transaction on one hash-tagged Region.
				tx, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.HIncrBy(ctx, fmt.Sprintf("{w%d}h", w), "n", 1)
					p.LPush(ctx, fmt.Sprintf("{w%d}l", w), i)
					return nil
				})
				if err != nil || tx[0].(*redis.IntCmd).Val() != int64(i+1) {
					fail("worker %d MULTI/EXEC: %v %v", w, err, tx)
				}
			}
		}(w)
	}
	// Blocking pops woken by pushes from another connection.
	const pushes = 40
	popped := make(chan string, pushes)
	for b := 0; b < 2; b++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr})
			defer c.Close()
			for i := 0; i < pushes/2; i++ {
				v, err := c.BLPop(ctx, 20*time.Second, "queue").Result()
				if err != nil {
					fail("BLPOP: %v", err)
					return
				}
				popped <- v[1]
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		for i := 0; i < pushes; i++ {
			if err := c.RPush(ctx, "queue", i).Err(); err != nil {
				fail("RPUSH: %v", err)
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	// Connections killed while others run.
	wg.Add(1)
	go func() {
		defer wg.Done()
		admin := redis.NewClient(&redis.Options{Addr: addr})
		defer admin.Close()
		for i := 0; i < 10; i++ {
			victim := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, MaxRetries: -1})
			id, err := victim.ClientID(ctx).Result()
			if err != nil {
				fail("CLIENT ID: %v", err)
				victim.Close()
				return
			}
			if n, err := admin.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Result(); err != nil || n != 1 {
				fail("CLIENT KILL ID %d: %d %v", id, n, err)
			}
			victim.Close()
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	close(popped)
	seen := map[string]bool{}
	for v := range popped {
		if seen[v] {
			t.Errorf("element %s popped twice", v)
		}
		seen[v] = true
	}
	if len(seen) != pushes {
		t.Errorf("%d distinct elements popped, want %d", len(seen), pushes)
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if n, err := c.Get(ctx, "shared:counter").Int(); err != nil || n != workers*rounds {
		t.Errorf("shared counter = %d %v, want %d", n, err, workers*rounds)
	}
	for w := 0; w < workers; w++ {
		if n, err := c.LLen(ctx, fmt.Sprintf("{w%d}l", w)).Result(); err != nil || n != rounds {
			t.Errorf("list of worker %d has %d elements %v, want %d", w, n, err, rounds)
		}
	}
}
