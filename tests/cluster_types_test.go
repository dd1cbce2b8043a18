package tests

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestClusterMixedTypesReplicasIdentical runs a mixed load of every type
// against a 3-node cluster, restarts one node in the middle, and checks
// that all replicas of every Region end up byte-identical (checksums taken
// at the same log position on every replica).
func TestClusterMixedTypesReplicasIdentical(t *testing.T) {
	c := StartCluster(t, 3)
	cc := c.ClusterClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cc.RPush(ctx, "dump-src", "a", "b", 3).Err(); err != nil {
		t.Fatal(err)
	}
	dumped, err := cc.Dump(ctx, "dump-src").Result()
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	ops := 0
	const kinds = 26
	okByKind := make([]int, kinds)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("%d", rng.Intn(40))
				var err error
				kind := rng.Intn(kinds)
				switch kind {
				case 0:
					err = cc.Set(ctx, "s:"+k, rng.Int(), 0).Err()
				case 1:
					err = cc.Incr(ctx, "n:"+k).Err()
				case 2:
					err = cc.HSet(ctx, "h:"+k, fmt.Sprint(rng.Intn(20)), rng.Int()).Err()
				case 3:
					err = cc.HDel(ctx, "h:"+k, fmt.Sprint(rng.Intn(20))).Err()
				case 4:
					err = cc.LPush(ctx, "l:"+k, rng.Int()).Err()
				case 5:
					err = cc.RPop(ctx, "l:"+k).Err()
				case 6:
					err = cc.SAdd(ctx, "t:"+k, rng.Intn(30)).Err()
				case 7:
					err = cc.SPop(ctx, "t:"+k).Err()
				case 8:
					err = cc.ZAdd(ctx, "z:"+k, redis.Z{Score: float64(rng.Intn(100)), Member: fmt.Sprint(rng.Intn(30))}).Err()
				case 9:
					err = cc.ZPopMin(ctx, "z:"+k).Err()
				case 10:
					err = cc.Expire(ctx, "s:"+k, time.Duration(1+rng.Intn(3))*time.Second).Err()
				case 11:
					err = cc.Del(ctx, "s:"+k).Err()
				// The commands added since: their apply must give every
				// replica the same bytes too.
				case 12:
					err = cc.SetBit(ctx, "b:"+k, int64(rng.Intn(200)), rng.Intn(2)).Err()
				case 13:
					err = cc.Do(ctx, "bitfield", "b:"+k, "overflow", "sat", "incrby", "i7", fmt.Sprint(rng.Intn(64)), rng.Intn(100)-50).Err()
				case 14:
					err = cc.PFAdd(ctx, "{p"+k+"}a", rng.Intn(5000), rng.Intn(5000)).Err()
				case 15:
					err = cc.PFMerge(ctx, "{p"+k+"}m", "{p"+k+"}a", "{p"+k+"}m").Err()
				case 16:
					err = cc.GeoAdd(ctx, "{g"+k+"}src", &redis.GeoLocation{Name: fmt.Sprint(rng.Intn(30)),
						Longitude: rng.Float64()*20 - 10, Latitude: rng.Float64()*20 - 10}).Err()
				case 17:
					err = cc.Do(ctx, "geosearchstore", "{g"+k+"}dst", "{g"+k+"}src", "fromlonlat", 0, 0, "byradius", 800, "km", "storedist").Err()
				case 18:
					err = cc.Do(ctx, "sort", "l:"+k, "limit", 0, 5, "alpha", "store", "l:"+k).Err()
				case 19:
					err = cc.Do(ctx, "restore", "r:"+k, 0, dumped, "replace").Err()
				case 20:
					err = cc.Do(ctx, "bitop", "xor", "{p"+k+"}x", "{p"+k+"}a", "{p"+k+"}m").Err()
				// Streams: auto IDs and delivery times come from the
				// entry's clock, which every replica must store alike.
				case 21:
					err = cc.XAdd(ctx, &redis.XAddArgs{Stream: "x:" + k, MaxLen: 50, Values: []any{"f", rng.Int()}}).Err()
				case 22:
					err = cc.XGroupCreateMkStream(ctx, "x:"+k, "g", "0").Err()
					if err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") {
						err = nil
					}
				case 23:
					err = cc.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: fmt.Sprint("c", rng.Intn(3)), Streams: []string{"x:" + k, ">"}, Count: 3, Block: -1}).Err()
					if err != nil && strings.HasPrefix(err.Error(), "NOGROUP") {
						err = nil
					}
				case 24:
					err = cc.Do(ctx, "xautoclaim", "x:"+k, "g", fmt.Sprint("c", rng.Intn(3)), 0, "0", "count", 2).Err()
					if err != nil && strings.HasPrefix(err.Error(), "NOGROUP") {
						err = nil
					}
				case 25:
					err = cc.Do(ctx, "xack", "x:"+k, "g", fmt.Sprint(rng.Intn(1<<20))).Err()
				}
				if err == nil || err == redis.Nil {
					mu.Lock()
					ops++
					okByKind[kind]++
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(3 * time.Second)
	c.Nodes[1].Kill()
	time.Sleep(2 * time.Second)
	c.Nodes[1].Restart()
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	if ops < 500 {
		t.Fatalf("only %d operations succeeded", ops)
	}
	for kind, n := range okByKind {
		if n == 0 {
			t.Fatalf("no operation of kind %d succeeded (per kind: %v)", kind, okByKind)
		}
	}
	t.Logf("%d operations", ops)
	c.WaitLeaders(20 * time.Second)
	// Retry the checksum command through the restart's leader changes.
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := c.Client(t, 0).Do(context.Background(), "neokv", "checksum", "mixed").Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("NEOKV CHECKSUM: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	c.WaitChecksumsAgree(t, "mixed", 16)
}
