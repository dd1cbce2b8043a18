package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds: 1 µs to 60 s, 3 significant digits.
const (
	histMin = 1
	histMax = 60_000_000
	histSig = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histSig) }

// Result is one test's outcome.
type Result struct {
	Name       string
	Requests   int64
	Errors     int64
	FirstError string
	Redirects  int64
	Elapsed    time.Duration
	// Hists holds one histogram (µs) per command of the test.
	Hists map[string]*hdrhistogram.Histogram
	Order []string
}

// Throughput is requests per second.
func (r *Result) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Run executes every test of cfg and writes the report to out. Progress
// lines go to progress (nil: none).
func Run(ctx context.Context, cfg Config, out, progress io.Writer) ([]*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Quiet {
		progress = nil
	}
	var groups [][]template
	var names []string
	if len(cfg.Ratio) > 0 {
		var ts []template
		for _, t := range cfg.Tests {
			ts = append(ts, commandTemplates[t])
		}
		groups = append(groups, ts)
		names = append(names, strings.Join(cfg.Tests, "+"))
	} else {
		for _, t := range cfg.Tests {
			groups = append(groups, []template{commandTemplates[t]})
			names = append(names, t)
		}
	}
	var results []*Result
	for i, g := range groups {
		r, err := runTest(ctx, &cfg, names[i], g, progress)
		if err != nil {
			return results, err
		}
		results = append(results, r)
		writeText(out, &cfg, r)
		if ctx.Err() != nil {
			break
		}
	}
	if err := writeOutputs(&cfg, results); err != nil {
		return results, err
	}
	return results, nil
}

// shared is the state the workers of one test share.
type shared struct {
	cfg        *Config
	templates  []template
	weights    []int
	total      int
	remaining  atomic.Int64
	done       atomic.Int64
	errors     atomic.Int64
	redirects  atomic.Int64
	latSum     atomic.Int64
	firstErr   atomic.Pointer[string]
	measureAt  time.Time
	deadline   time.Time
	stop       atomic.Bool
	slots      *slotMap
	perConnHz  float64
	openStart  time.Time
	fatalMu    sync.Mutex
	fatalError error
}

func (s *shared) fail(err error) {
	s.fatalMu.Lock()
	if s.fatalError == nil {
		s.fatalError = err
	}
	s.fatalMu.Unlock()
	s.stop.Store(true)
}

func (s *shared) pick(rng *rand.Rand) int {
	if len(s.templates) == 1 {
		return 0
	}
	n := rng.IntN(s.total)
	for i, w := range s.weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(s.weights) - 1
}

// take reserves up to n requests of the budget; 0 means stop.
func (s *shared) take(n int) int {
	if s.stop.Load() {
		return 0
	}
	if s.cfg.Requests <= 0 {
		if time.Now().After(s.deadline) {
			s.stop.Store(true)
			return 0
		}
		return n
	}
	left := s.remaining.Add(-int64(n))
	if left >= 0 {
		return n
	}
	if got := int64(n) + left; got > 0 {
		return int(got)
	}
	return 0
}

func (s *shared) record(h *hdrhistogram.Histogram, lat time.Duration, errMsg string, now time.Time) {
	if now.Before(s.measureAt) {
		return
	}
	us := lat.Microseconds()
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax
	}
	_ = h.RecordValue(us)
	s.done.Add(1)
	s.latSum.Add(us)
	if errMsg != "" {
		if s.errors.Add(1) == 1 {
			m := errMsg
			s.firstErr.Store(&m)
		}
	}
}

func runTest(ctx context.Context, cfg *Config, name string, ts []template, progress io.Writer) (*Result, error) {
	sh := &shared{cfg: cfg, templates: ts}
	if len(cfg.Ratio) > 0 {
		sh.weights = cfg.Ratio
		for _, w := range cfg.Ratio {
			sh.total += w
		}
		if sh.total == 0 {
			return nil, errors.New("ratio weights are all zero")
		}
	}
	sh.remaining.Store(cfg.Requests)
	if cfg.Cluster {
		m, err := loadSlots(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), cfg.Password)
		if err != nil {
			return nil, err
		}
		sh.slots = m
	}
	// Warm-up requests do not count against -n.
	if cfg.Requests > 0 && cfg.Warmup > 0 {
		sh.remaining.Store(1 << 62)
	}
	start := time.Now()
	sh.measureAt = start.Add(cfg.Warmup)
	sh.deadline = sh.measureAt.Add(cfg.Duration)
	if cfg.Rate > 0 {
		sh.perConnHz = cfg.Rate / float64(cfg.Conns)
	}

	hists := make([][]*hdrhistogram.Histogram, cfg.Conns)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for i := 0; i < cfg.Conns; i++ {
		hs := make([]*hdrhistogram.Histogram, len(ts))
		for j := range hs {
			hs[j] = newHist()
		}
		hists[i] = hs
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := &worker{sh: sh, id: i, hists: hs, rng: rand.New(rand.NewPCG(uint64(cfg.Seed)+uint64(i)*7919, uint64(i)+1))}
			w.enc = newEncoder(cfg, w.rng, i)
			if err := w.run(ctx); err != nil && !sh.stop.Load() {
				sh.fail(err)
			}
		}(i)
	}
	if cfg.Requests > 0 && cfg.Warmup > 0 {
		go func() {
			select {
			case <-time.After(cfg.Warmup):
				sh.remaining.Store(cfg.Requests - sh.done.Load())
			case <-ctx.Done():
			}
		}()
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		reportProgress(sh, name, progress, stopProgress)
	}()
	go func() {
		<-ctx.Done()
		sh.stop.Store(true)
	}()
	wg.Wait()
	elapsed := time.Since(sh.measureAt)
	close(stopProgress)
	<-progressDone
	if sh.fatalError != nil {
		return nil, sh.fatalError
	}
	r := &Result{Name: name, Requests: sh.done.Load(), Errors: sh.errors.Load(), Redirects: sh.redirects.Load(), Elapsed: elapsed, Hists: map[string]*hdrhistogram.Histogram{}}
	if p := sh.firstErr.Load(); p != nil {
		r.FirstError = *p
	}
	for j, t := range ts {
		h := newHist()
		for i := range hists {
			h.Merge(hists[i][j])
		}
		r.Hists[t.name] = h
		r.Order = append(r.Order, t.name)
	}
	return r, nil
}

func reportProgress(sh *shared, name string, w io.Writer, stop chan struct{}) {
	if w == nil {
		<-stop
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	start := time.Now()
	var last int64
	for {
		select {
		case <-stop:
			fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", 100))
			return
		case now := <-t.C:
			done := sh.done.Load()
			avg := 0.0
			if done > 0 {
				avg = float64(sh.latSum.Load()) / float64(done) / 1000
			}
			overall := 0.0
			if el := now.Sub(sh.measureAt).Seconds(); el > 0 {
				overall = float64(done) / el
			}
			fmt.Fprintf(w, "%s [%3.0fs] %.0f req/s (overall %.0f), avg %.3f ms, errors %d\n",
				name, now.Sub(start).Seconds(), float64(done-last), overall, avg, sh.errors.Load())
			last = done
		}
	}
}

// worker drives one connection (one per node in cluster mode).
type worker struct {
	sh    *shared
	id    int
	hists []*hdrhistogram.Histogram
	rng   *rand.Rand
	enc   *encoder
}

func (w *worker) run(ctx context.Context) error {
	switch {
	case w.sh.cfg.Cluster:
		return w.runCluster()
	case w.sh.cfg.Rate > 0:
		return w.runOpen(ctx)
	default:
		return w.runClosed()
	}
}

// runClosed is redis-benchmark's model: write P requests, read P replies.
func (w *worker) runClosed() error {
	cfg := w.sh.cfg
	c, err := dial(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), cfg.Password)
	if err != nil {
		return err
	}
	defer c.close()
	picks := make([]int, cfg.Pipeline)
	for {
		n := w.sh.take(cfg.Pipeline)
		if n == 0 {
			return nil
		}
		for i := 0; i < n; i++ {
			picks[i] = w.sh.pick(w.rng)
			c.out, _ = w.enc.request(c.out, &w.sh.templates[picks[i]])
		}
		start := time.Now()
		if err := c.flush(); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		for i := 0; i < n; i++ {
			rep, err := c.readReply()
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			now := time.Now()
			w.sh.record(w.hists[picks[i]], now.Sub(start), rep.err, now)
		}
	}
}

// runOpen sends on a fixed schedule and measures from the scheduled time.
func (w *worker) runOpen(ctx context.Context) error {
	cfg := w.sh.cfg
	c, err := dial(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), cfg.Password)
	if err != nil {
		return err
	}
	defer c.close()
	type sent struct {
		at   time.Time
		pick int
	}
	inflight := make(chan sent, 100000)
	readErr := make(chan error, 1)
	go func() {
		for s := range inflight {
			rep, err := c.readReply()
			if err != nil {
				readErr <- err
				for range inflight {
				}
				return
			}
			now := time.Now()
			w.sh.record(w.hists[s.pick], now.Sub(s.at), rep.err, now)
		}
		readErr <- nil
	}()
	interval := time.Duration(float64(time.Second) / w.sh.perConnHz)
	// Stagger connections so they do not all send at the same instant.
	next := time.Now().Add(time.Duration(w.rng.Int64N(int64(interval) + 1)))
	var werr error
	for {
		if w.sh.take(1) == 0 || ctx.Err() != nil {
			break
		}
		if d := time.Until(next); d > 0 {
			time.Sleep(d)
		}
		p := w.sh.pick(w.rng)
		c.out, _ = w.enc.request(c.out, &w.sh.templates[p])
		inflight <- sent{at: next, pick: p}
		if werr = c.flush(); werr != nil {
			break
		}
		next = next.Add(interval)
	}
	close(inflight)
	if err := <-readErr; err != nil && werr == nil {
		return fmt.Errorf("read: %w", err)
	}
	return werr
}
