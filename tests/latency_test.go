package tests

import (
	"context"
	"fmt"
	"testing"
)

// LATENCY's errors, its disabled state and HELP are Redis's, byte for byte.
func TestLatencyRepliesAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"LATENCY"}, {"LATENCY", "FOO"}, {"LATENCY", "HELP"}, {"LATENCY", "LATEST"}, {"LATENCY", "LATEST", "x"},
		{"LATENCY", "HISTORY"}, {"LATENCY", "HISTORY", "command"}, {"LATENCY", "HISTORY", "command", "x"},
		{"LATENCY", "RESET"}, {"LATENCY", "RESET", "command"}, {"LATENCY", "DOCTOR"}, {"LATENCY", "GRAPH", "command"},
		{"LATENCY", "GRAPH"}, {"CONFIG", "GET", "latency-monitor-threshold"},
		{"CONFIG", "SET", "latency-monitor-threshold", "x"}, {"CONFIG", "SET", "latency-monitor-threshold", "-1"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
}

// With latency-monitor-threshold set, a command slower than it is a
// "command" event in LATEST and HISTORY until RESET.
func TestLatencyRecordsSlowCommands(t *testing.T) {
	srv := StartServer(t)
	c := srv.Client(t, 2)
	ctx := context.Background()
	pairs := make([]any, 0, 2000)
	for i := 0; i < 30000; i++ {
		pairs = append(pairs, fmt.Sprintf("key:%06d", i), "v")
		if len(pairs) == cap(pairs) {
			if err := c.MSet(ctx, pairs...).Err(); err != nil {
				t.Fatal(err)
			}
			pairs = pairs[:0]
		}
	}
	if err := c.ConfigSet(ctx, "latency-monitor-threshold", "1").Err(); err != nil {
		t.Fatal(err)
	}
	// KEYS over 30k keys takes far more than a millisecond.
	if n := len(c.Keys(ctx, "*").Val()); n != 30000 {
		t.Fatalf("KEYS returned %d keys", n)
	}
	latest, err := c.Do(ctx, "latency", "latest").Slice()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range latest {
		e := ev.([]any)
		if e[0] == "command" {
			found = true
			if e[2].(int64) < 1 || e[3].(int64) < e[2].(int64) {
				t.Fatalf("command event %v: latest below the threshold or above the max", e)
			}
		}
	}
	if !found {
		t.Fatalf("LATENCY LATEST without the command event: %v", latest)
	}
	if h := c.Do(ctx, "latency", "history", "command").Val().([]any); len(h) == 0 {
		t.Fatal("LATENCY HISTORY command: no samples")
	}
	if err := c.Do(ctx, "latency", "graph", "command").Err(); err != nil {
		t.Fatalf("LATENCY GRAPH command: %v", err)
	}
	if n := c.Do(ctx, "latency", "reset", "command").Val(); n != int64(1) {
		t.Fatalf("LATENCY RESET command: %v", n)
	}
	if h := c.Do(ctx, "latency", "history", "command").Val().([]any); len(h) != 0 {
		t.Fatalf("LATENCY HISTORY command after RESET: %v", h)
	}
}
