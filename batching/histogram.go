package batching

import (
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"
)

// Histogram is a lock-free latency histogram with exponential buckets
// (factor 2 from 8 µs to ~8.6 s), cheap enough for the hot path: one
// atomic add per observation into a bucket, plus sum and count.
type Histogram struct {
	buckets [21]atomic.Uint64
	count   atomic.Uint64
	sumNs   atomic.Uint64
}

const histBase = 8 * time.Microsecond

func histBound(i int) time.Duration { return histBase << i }

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	if d > histBase {
		i = int(math.Ceil(math.Log2(float64(d) / float64(histBase))))
		if i >= len(h.buckets) {
			i = len(h.buckets) - 1
		}
	}
	h.buckets[i].Add(1)
	h.count.Add(1)
	h.sumNs.Add(uint64(d))
}

// WritePrometheus writes the histogram in the Prometheus text format.
func (h *Histogram) WritePrometheus(w io.Writer, name, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	var cum uint64
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		fmt.Fprintf(w, "%s_bucket{le=\"%g\"} %d\n", name, histBound(i).Seconds(), cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n", name, h.count.Load())
	fmt.Fprintf(w, "%s_sum %g\n%s_count %d\n", name, float64(h.sumNs.Load())/1e9, name, h.count.Load())
}

// Quantile estimates the q-quantile (upper bucket bound), for INFO.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.count.Load()
	if n == 0 {
		return 0
	}
	target := uint64(math.Ceil(q * float64(n)))
	var cum uint64
	for i := range h.buckets {
		cum += h.buckets[i].Load()
		if cum >= target {
			return histBound(i)
		}
	}
	return histBound(len(h.buckets) - 1)
}
