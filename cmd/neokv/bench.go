package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/neokv/neokv/bench"
)

func runBench(args []string) error {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&cfg.Host, "h", cfg.Host, "server host")
	fs.IntVar(&cfg.Port, "p", cfg.Port, "server port")
	fs.StringVar(&cfg.Password, "a", "", "password (AUTH)")
	fs.IntVar(&cfg.Conns, "c", cfg.Conns, "connections")
	fs.IntVar(&cfg.Pipeline, "P", cfg.Pipeline, "pipeline depth (requests in flight per connection)")
	fs.Int64Var(&cfg.Requests, "n", cfg.Requests, "requests per test (ignored when --duration is set)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "run each test for this long instead of -n requests (e.g. 10s)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "load applied before measuring starts")
	fs.Int64Var(&cfg.KeySpace, "r", cfg.KeySpace, "key space size: keys key:000000000000 .. r-1")
	fs.StringVar(&cfg.KeyDist, "dist", cfg.KeyDist, "key distribution: uniform, zipf or seq")
	fs.StringVar(&cfg.KeyPrefix, "key-prefix", cfg.KeyPrefix, "key prefix; a hash tag such as {a} puts every key in one slot")
	size := fs.String("d", "3", "value size in bytes, or a range MIN-MAX")
	tests := fs.String("t", "set,get", "comma-separated tests: "+strings.Join(knownTestNames(), ","))
	ratio := fs.String("ratio", "", "run the -t commands mixed in one test with these weights, e.g. 1:10")
	fs.BoolVar(&cfg.Cluster, "cluster", false, "cluster mode: route by CLUSTER SLOTS, follow MOVED/ASK")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: total requests per second, latency measured from the scheduled send time")
	fs.BoolVar(&cfg.Quiet, "q", false, "no progress lines")
	fs.StringVar(&cfg.HgrmFile, "hgrm", "", "write the HdrHistogram percentile distribution to this file")
	fs.StringVar(&cfg.JSONFile, "json", "", "write a machine-readable summary to this file")
	fs.StringVar(&cfg.PlotFile, "plot", "", "write an SVG latency-by-percentile plot to this file")
	fs.Int64Var(&cfg.Seed, "seed", 1, "random seed")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the load generator itself to this file")
	threads := fs.Int("threads", 0, "OS threads running the connections (0: one per CPU); 1 behaves like redis-benchmark's single event loop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.ValueMin, cfg.ValueMax, err = bench.ParseValueSize(*size); err != nil {
		return err
	}
	cfg.Tests = strings.Split(strings.ToLower(*tests), ",")
	if *ratio != "" {
		if cfg.Ratio, err = bench.ParseRatio(*ratio); err != nil {
			return err
		}
	}
	if cfg.Duration > 0 {
		cfg.Requests = 0
	}
	if *threads < 0 {
		return fmt.Errorf("--threads must be at least 0")
	}
	if *threads > 0 {
		// Connections are goroutines; the threads that run them are the
		// runtime's Ps.
		runtime.GOMAXPROCS(*threads)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	results, err := bench.Run(ctx, cfg, os.Stdout, os.Stderr)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Errors > 0 {
			return fmt.Errorf("%s: %d requests failed", r.Name, r.Errors)
		}
	}
	return nil
}

func knownTestNames() []string { return bench.KnownTests() }
