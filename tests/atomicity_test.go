package tests

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Multi-key writes are atomic to readers, as in Redis: while MSET and
// MULTI/EXEC write two keys in a loop, concurrent MGETs of the pair (plain
// commands, each its own round trip) always see both values from one write.
// The pairs sit in one Region and in two ({a} and {b} hash to slots 15495
// and 3300, in different Regions of the default layout).
func TestMultiKeyWritesAreAtomicToReaders(t *testing.T) {
	srv := StartServer(t, multiRegion...)
	cases := []struct {
		name   string
		k1, k2 string
		write  func(ctx context.Context, c *redis.Client, k1, k2, v string) error
	}{
		{"mset one region", "{a}x", "{a}y", msetPair},
		{"mset two regions", "{a}x", "{b}y", msetPair},
		{"multi/exec", "{a}tx", "{a}ty", func(ctx context.Context, c *redis.Client, k1, k2, v string) error {
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, k1, v, 0)
				p.Set(ctx, k2, v, 0)
				return nil
			})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkPairAtomic(t, srv, tc.k1, tc.k2, tc.write)
		})
	}
}

func msetPair(ctx context.Context, c *redis.Client, k1, k2, v string) error {
	return c.MSet(ctx, k1, v, k2, v).Err()
}

func checkPairAtomic(t *testing.T, srv *Server, k1, k2 string, write func(context.Context, *redis.Client, string, string, string) error) {
	ctx := context.Background()
	w := srv.Client(t, 2)
	if err := write(ctx, w, k1, k2, "0"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for r := 0; r < 2; r++ {
		c := srv.Client(t, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				vals, err := c.MGet(ctx, k1, k2).Result()
				if err != nil {
					errs <- fmt.Errorf("mget: %w", err)
					return
				}
				if vals[0] != vals[1] {
					errs <- fmt.Errorf("mget saw part of a write: %q %q", vals[0], vals[1])
					return
				}
			}
		}()
	}
	for i := 1; i <= 1500 && len(errs) == 0; i++ {
		if err := write(ctx, w, k1, k2, strconv.Itoa(i)); err != nil {
			errs <- fmt.Errorf("write %d: %w", i, err)
			break
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
