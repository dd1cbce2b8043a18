package netio

import (
	"strconv"
	"sync"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// instantSamples is how many 100 ms samples the instantaneous rates
// average over, as Redis's STATS_METRIC_SAMPLES (16, at hz 10).
const instantSamples = 16

// instantRates samples the command and network counters every 100 ms (on
// gnet's ticker) for INFO's instantaneous_ops_per_sec and
// instantaneous_input/output_kbps.
type instantRates struct {
	mu      sync.Mutex
	samples [instantSamples]rateSample
	n, next int
}

type rateSample struct {
	at                time.Time
	commands, in, out uint64
}

// OnTick implements gnet.EventHandler: one sample per tick.
func (s *Server) OnTick() (time.Duration, gnet.Action) {
	r := &s.rates
	r.mu.Lock()
	r.samples[r.next] = rateSample{at: time.Now(), commands: s.totalCommands.Load(), in: s.netIn.Load(), out: s.netOut.Load()}
	r.next = (r.next + 1) % instantSamples
	r.n = min(r.n+1, instantSamples)
	r.mu.Unlock()
	return 100 * time.Millisecond, gnet.None
}

// instantLines are INFO stats' instantaneous rates over the last samples
// (oldest to newest); zero until two samples exist.
func (s *Server) instantLines() (ops, inKbps, outKbps string) {
	r := &s.rates
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n < 2 {
		return "0", "0.00", "0.00"
	}
	newest := r.samples[(r.next+instantSamples-1)%instantSamples]
	oldest := r.samples[(r.next+instantSamples-r.n)%instantSamples]
	secs := newest.at.Sub(oldest.at).Seconds()
	if secs <= 0 {
		return "0", "0.00", "0.00"
	}
	// A CONFIG RESETSTAT between samples makes a counter go back: no rate.
	rate := func(a, b uint64) float64 {
		if b < a {
			return 0
		}
		return float64(b-a) / secs
	}
	return strconv.FormatInt(int64(rate(oldest.commands, newest.commands)), 10),
		strconv.FormatFloat(rate(oldest.in, newest.in)/1024, 'f', 2, 64),
		strconv.FormatFloat(rate(oldest.out, newest.out)/1024, 'f', 2, 64)
}
