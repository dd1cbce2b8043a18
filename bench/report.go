package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Percentiles reported for every command.
var reportPercentiles = []float64{50, 90, 99, 99.9, 99.99}

func ms(us int64) float64 { return float64(us) / 1000 }

func writeText(w io.Writer, cfg *Config, r *Result) {
	mode := "closed loop"
	if cfg.Rate > 0 {
		mode = fmt.Sprintf("open loop at %.0f req/s (latency from the scheduled send time)", cfg.Rate)
	}
	if cfg.Cluster {
		mode += ", cluster routing"
	}
	fmt.Fprintf(w, "====== %s ======\n", strings.ToUpper(r.Name))
	fmt.Fprintf(w, "  %d requests in %.2f s: %.0f requests per second\n", r.Requests, r.Elapsed.Seconds(), r.Throughput())
	vs := fmt.Sprintf("%d", cfg.ValueMin)
	if cfg.ValueMax != cfg.ValueMin {
		vs = fmt.Sprintf("%d-%d", cfg.ValueMin, cfg.ValueMax)
	}
	fmt.Fprintf(w, "  %d connections, pipeline %d, %s bytes values, %d keys (%s), %s\n", cfg.Conns, cfg.Pipeline, vs, cfg.KeySpace, cfg.KeyDist, mode)
	if r.Errors > 0 {
		fmt.Fprintf(w, "  errors: %d (first: %s)\n", r.Errors, r.FirstError)
	} else {
		fmt.Fprintf(w, "  errors: 0\n")
	}
	if r.Redirects > 0 {
		fmt.Fprintf(w, "  redirects followed: %d\n", r.Redirects)
	}
	fmt.Fprintf(w, "  %-12s %10s %9s %9s %9s %9s %9s %9s %9s\n", "latency(ms)", "count", "avg", "p50", "p90", "p99", "p99.9", "p99.99", "max")
	for _, name := range r.Order {
		h := r.Hists[name]
		fmt.Fprintf(w, "  %-12s %10d %9.3f", name, h.TotalCount(), h.Mean()/1000)
		for _, p := range reportPercentiles {
			fmt.Fprintf(w, " %9.3f", ms(h.ValueAtPercentile(p)))
		}
		fmt.Fprintf(w, " %9.3f\n", ms(h.Max()))
	}
}

// jsonResult is the --json summary of one test.
type jsonResult struct {
	Test       string                 `json:"test"`
	Requests   int64                  `json:"requests"`
	Seconds    float64                `json:"seconds"`
	OpsPerSec  float64                `json:"ops_per_sec"`
	Errors     int64                  `json:"errors"`
	FirstError string                 `json:"first_error,omitempty"`
	Redirects  int64                  `json:"redirects"`
	Commands   map[string]jsonLatency `json:"commands"`
}

type jsonLatency struct {
	Count  int64   `json:"count"`
	AvgUs  float64 `json:"avg_us"`
	P50Us  int64   `json:"p50_us"`
	P90Us  int64   `json:"p90_us"`
	P99Us  int64   `json:"p99_us"`
	P999Us int64   `json:"p99_9_us"`
	P9999  int64   `json:"p99_99_us"`
	MaxUs  int64   `json:"max_us"`
}

func writeOutputs(cfg *Config, results []*Result) error {
	if cfg.JSONFile != "" {
		var out struct {
			Config  map[string]any `json:"config"`
			Results []jsonResult   `json:"results"`
		}
		out.Config = map[string]any{
			"host": cfg.Host, "port": cfg.Port, "connections": cfg.Conns, "pipeline": cfg.Pipeline,
			"requests": cfg.Requests, "duration_s": cfg.Duration.Seconds(), "warmup_s": cfg.Warmup.Seconds(),
			"keyspace": cfg.KeySpace, "key_distribution": cfg.KeyDist, "value_min": cfg.ValueMin, "value_max": cfg.ValueMax,
			"tests": cfg.Tests, "ratio": cfg.Ratio, "cluster": cfg.Cluster, "rate": cfg.Rate,
		}
		for _, r := range results {
			jr := jsonResult{Test: r.Name, Requests: r.Requests, Seconds: r.Elapsed.Seconds(), OpsPerSec: r.Throughput(),
				Errors: r.Errors, FirstError: r.FirstError, Redirects: r.Redirects, Commands: map[string]jsonLatency{}}
			for name, h := range r.Hists {
				jr.Commands[name] = jsonLatency{Count: h.TotalCount(), AvgUs: h.Mean(), P50Us: h.ValueAtPercentile(50),
					P90Us: h.ValueAtPercentile(90), P99Us: h.ValueAtPercentile(99), P999Us: h.ValueAtPercentile(99.9),
					P9999: h.ValueAtPercentile(99.99), MaxUs: h.Max()}
			}
			out.Results = append(out.Results, jr)
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.JSONFile, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.JSONFile, err)
		}
	}
	if cfg.HgrmFile != "" {
		f, err := os.Create(cfg.HgrmFile)
		if err != nil {
			return err
		}
		for _, r := range results {
			for _, name := range r.Order {
				fmt.Fprintf(f, "# %s / %s (values in milliseconds)\n", r.Name, name)
				if _, err := r.Hists[name].PercentilesPrint(f, 5, 1000); err != nil {
					f.Close()
					return err
				}
				fmt.Fprintln(f)
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if cfg.PlotFile != "" {
		if err := os.WriteFile(cfg.PlotFile, []byte(plotSVG(cfg, results)), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", cfg.PlotFile, err)
		}
	}
	return nil
}

// plotSVG draws latency by percentile, HdrHistogram style: the x axis is
// 1/(1-p) on a log scale so the tail (99%, 99.9%, ...) gets room.
func plotSVG(cfg *Config, results []*Result) string {
	const (
		width, height = 900, 520
		left, right   = 80, 200
		top, bottom   = 50, 60
		maxNines      = 5.0 // up to 99.999%
	)
	type series struct {
		name string
		pts  [][2]float64 // nines, ms
	}
	var all []series
	maxMs := 0.0
	for _, r := range results {
		for _, name := range r.Order {
			h := r.Hists[name]
			if h.TotalCount() == 0 {
				continue
			}
			label := name
			if r.Name != name {
				label = r.Name + " / " + name
			}
			s := series{name: label}
			for k := 0; k <= int(maxNines*20); k++ {
				nines := float64(k) / 20
				p := 100 * (1 - math.Pow(10, -nines))
				v := ms(h.ValueAtPercentile(p))
				s.pts = append(s.pts, [2]float64{nines, v})
				maxMs = math.Max(maxMs, v)
			}
			all = append(all, s)
		}
	}
	if maxMs <= 0 {
		maxMs = 1
	}
	yMax := niceCeil(maxMs * 1.05)
	pw, ph := float64(width-left-right), float64(height-top-bottom)
	x := func(n float64) float64 { return float64(left) + n/maxNines*pw }
	y := func(v float64) float64 { return float64(top) + ph - v/yMax*ph }
	colors := []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := fmt.Sprintf("Latency by percentile: %d conns, pipeline %d", cfg.Conns, cfg.Pipeline)
	if cfg.Rate > 0 {
		title += fmt.Sprintf(", open loop %.0f req/s", cfg.Rate)
	}
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16">%s</text>`+"\n", left, title)
	for i := 0; i <= 5; i++ {
		v := yMax * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, width-right, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, y(v)+4, trimFloat(v))
	}
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"}
	for i, l := range labels {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ddd"/>`+"\n", x(float64(i)), x(float64(i)), top, height-bottom)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(float64(i)), height-bottom+18, l)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">percentile</text>`+"\n", float64(left)+pw/2, height-16)
	fmt.Fprintf(&b, `<text x="20" y="%.1f" transform="rotate(-90 20 %.1f)" text-anchor="middle">latency (ms)</text>`+"\n", float64(top)+ph/2, float64(top)+ph/2)
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	for i, s := range all {
		col := colors[i%len(colors)]
		var pts []string
		for _, p := range s.pts {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p[0]), y(p[1])))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", col, strings.Join(pts, " "))
		ly := top + 10 + 20*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", width-right+12, width-right+32, ly, ly, col)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", width-right+38, ly+4, escapeXML(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func niceCeil(v float64) float64 {
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= v {
			return m * exp
		}
	}
	return 10 * exp
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.3f", v)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

func escapeXML(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}
