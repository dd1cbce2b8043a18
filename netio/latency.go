package netio

import (
	"strconv"
	"strings"
	"time"
)

// latencySubArity is Redis 7's arity of each LATENCY subcommand.
var latencySubArity = map[string]int{"latest": 2, "history": 3, "reset": -2, "doctor": 2, "graph": 3, "histogram": -2, "help": 2}

var latencyHelp = []string{
	"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return a human readable latency analysis report.",
	"GRAPH <event>",
	"    Return an ASCII latency graph for the <event> class.",
	"HISTORY <event>",
	"    Return time-latency samples for the <event> class.",
	"LATEST",
	"    Return the latest latency samples for all events.",
	"RESET [<event> ...]",
	"    Reset latency data of one or more <event> classes.",
	"    (default: reset all data for all event classes)",
	"HISTOGRAM [COMMAND ...]",
	"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
	"    If no commands are specified then all histograms are replied.",
	"HELP",
	"    Prints this help.",
}

const latencyDisabled = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"

// cmdLatency answers LATENCY from the engine's monitor (engine.LatencyMonitor:
// "command", "raft-log-fsync" and "apply-batch" events). HISTOGRAM answers
// from commandStats, and GRAPH lists the samples as text rather than
// drawing Redis's chart.
func (s *Server) cmdLatency(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "latency", latencySubArity, argv) {
		return
	}
	mon := s.db.Latency
	switch strings.ToLower(string(argv[1])) {
	case "latest":
		latest := mon.Latest()
		w.Array(len(latest))
		for _, l := range latest {
			w.Array(4)
			w.BulkString(l.Event)
			w.Int(l.Latest.Unix)
			w.Int(l.Latest.Millis)
			w.Int(l.Max)
		}
	case "history":
		samples := mon.History(string(argv[2]))
		w.Array(len(samples))
		for _, sm := range samples {
			w.Array(2)
			w.Int(sm.Unix)
			w.Int(sm.Millis)
		}
	case "reset":
		events := make([]string, 0, len(argv)-2)
		for _, a := range argv[2:] {
			events = append(events, string(a))
		}
		w.Int(int64(mon.Reset(events...)))
	case "graph":
		event := string(argv[2])
		samples := mon.History(event)
		if len(samples) == 0 {
			w.Error("ERR No samples available for event '" + event + "'")
			return
		}
		var b strings.Builder
		b.WriteString(event + " - samples (time, milliseconds):\n")
		for _, sm := range samples {
			b.WriteString(time.Unix(sm.Unix, 0).UTC().Format(time.DateTime) + " " + strconv.FormatInt(sm.Millis, 10) + "\n")
		}
		w.BulkString(b.String())
	case "doctor":
		s.conf.mu.RLock()
		threshold := s.conf.extra["latency-monitor-threshold"]
		s.conf.mu.RUnlock()
		if threshold == "" || threshold == "0" {
			w.BulkString(latencyDisabled)
			return
		}
		latest := mon.Latest()
		if len(latest) == 0 {
			w.BulkString("No latency spikes were observed above the threshold of " + threshold + " ms.\n")
			return
		}
		var b strings.Builder
		for _, l := range latest {
			b.WriteString(l.Event + ": latest " + strconv.FormatInt(l.Latest.Millis, 10) + " ms, all-time high " + strconv.FormatInt(l.Max, 10) + " ms.\n")
		}
		w.BulkString(b.String())
	case "histogram":
		s.writeLatencyHistograms(w, argv[2:])
	case "help":
		writeHelp(w, latencyHelp)
	}
}
