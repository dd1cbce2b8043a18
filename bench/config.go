package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config describes one benchmark run.
type Config struct {
	Host      string
	Port      int
	Password  string
	Conns     int           // client connections
	Pipeline  int           // requests in flight per connection
	Requests  int64         // total requests per test (0: use Duration)
	Duration  time.Duration // run length per test when Requests is 0
	Warmup    time.Duration // load before measuring starts
	KeySpace  int64         // keys are key:000000000000 .. key:<KeySpace-1>
	KeyDist   string        // uniform, zipf or seq
	ValueMin  int           // value size range in bytes (equal: fixed)
	ValueMax  int
	Tests     []string // commands, run one after another unless Ratio is set
	Ratio     []int    // weights: the Tests run mixed in one test, memtier style
	Cluster   bool     // route by CLUSTER SLOTS, follow MOVED/ASK
	Rate      float64  // open loop: total requests per second (0: closed loop)
	Quiet     bool     // no progress lines
	HgrmFile  string
	JSONFile  string
	PlotFile  string
	KeyPrefix string
	Seed      int64
}

// DefaultConfig matches redis-benchmark's defaults where they overlap.
func DefaultConfig() Config {
	return Config{
		Host: "127.0.0.1", Port: 6379, Conns: 50, Pipeline: 1, Requests: 100000,
		KeySpace: 1, KeyDist: "uniform", ValueMin: 3, ValueMax: 3,
		Tests: []string{"set", "get"}, KeyPrefix: "key:",
	}
}

// ParseValueSize parses "100" or "64-1024".
func ParseValueSize(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(a); err != nil || lo < 0 {
		return 0, 0, fmt.Errorf("value size %q: want N or MIN-MAX", s)
	}
	hi = lo
	if found {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo {
			return 0, 0, fmt.Errorf("value size %q: want N or MIN-MAX", s)
		}
	}
	return lo, hi, nil
}

// ParseRatio parses "1:10" into weights.
func ParseRatio(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ":") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("ratio %q: want weights like 1:10", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if c.Conns < 1 || c.Pipeline < 1 {
		return errors.New("connections and pipeline must be at least 1")
	}
	if c.Requests <= 0 && c.Duration <= 0 {
		return errors.New("give a request count (-n) or a duration (--duration)")
	}
	if c.KeySpace < 1 {
		c.KeySpace = 1
	}
	switch c.KeyDist {
	case "uniform", "zipf", "seq":
	default:
		return fmt.Errorf("key distribution %q: want uniform, zipf or seq", c.KeyDist)
	}
	for _, t := range c.Tests {
		if _, ok := commandTemplates[t]; !ok {
			return fmt.Errorf("unknown test %q (known: %s)", t, knownTests())
		}
	}
	if len(c.Ratio) > 0 && len(c.Ratio) != len(c.Tests) {
		return fmt.Errorf("ratio has %d weights for %d tests", len(c.Ratio), len(c.Tests))
	}
	return nil
}
