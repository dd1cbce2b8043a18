package netio

import (
	"fmt"
	"io"
)

// WriteMetrics writes the server's counters and latency histograms in the
// Prometheus text format (served on /metrics of the --pprof address).
func (s *Server) WriteMetrics(w io.Writer) {
	st := &s.store.Stats
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	counter("neokv_commands_total", "Commands received from clients.", s.totalCommands.Load())
	counter("neokv_connections_total", "Client connections accepted.", s.totalConns.Load())
	counter("neokv_raft_rounds_total", "Round-loop iterations.", st.Rounds.Load())
	counter("neokv_raft_proposals_total", "Raft entries proposed (one per Region per round).", st.Proposals.Load())
	counter("neokv_raft_proposed_commands_total", "Commands carried by proposed entries.", st.ProposedCommands.Load())
	counter("neokv_log_fsyncs_total", "fdatasync calls of the Raft log.", st.Fsyncs.Load())
	counter("neokv_log_persisted_entries_total", "Raft entries written to the log.", st.PersistedEntries.Load())
	counter("neokv_log_persisted_bytes_total", "Bytes written to the Raft log.", st.PersistedBytes.Load())
	counter("neokv_apply_batches_total", "Apply batches (one Pebble batch each).", st.ApplyBatches.Load())
	counter("neokv_applied_entries_total", "Raft entries applied.", st.AppliedEntries.Load())
	counter("neokv_applied_commands_total", "Commands applied.", st.AppliedCommands.Load())
	counter("neokv_command_panics_total", "Commands whose execution panicked on apply (a bug; answered with an error).", st.CommandPanics.Load())
	counter("neokv_replied_at_commit_total", "Plain SETs answered when their entry committed, before it applied.", st.RepliedAtCommit.Load())
	counter("neokv_reads_local_total", "Reads served at once by the front end (valid lease, caught up; or a single replica).", st.ReadsLocal.Load())
	counter("neokv_reads_lease_wait_total", "Reads served under the lease after waiting for the apply to reach the commit index.", st.ReadsLeaseWait.Load())
	counter("neokv_reads_read_index_total", "Reads served after a ReadIndex quorum round (no lease, or a follower read).", st.ReadsReadIndex.Load())
	if f := st.Fsyncs.Load(); f > 0 {
		gauge("neokv_commands_per_fsync", "Proposed commands per log fsync since start.", float64(st.ProposedCommands.Load())/float64(f))
		gauge("neokv_entries_per_fsync", "Raft entries per log fsync since start.", float64(st.PersistedEntries.Load())/float64(f))
	}
	if p := st.Proposals.Load(); p > 0 {
		gauge("neokv_commands_per_entry", "Commands per Raft entry since start.", float64(st.ProposedCommands.Load())/float64(p))
	}
	if b := st.ApplyBatches.Load(); b > 0 {
		gauge("neokv_commands_per_apply_batch", "Commands per apply batch since start.", float64(st.AppliedCommands.Load())/float64(b))
	}
	rc := s.db.RowCacheStats()
	counter("neokv_row_cache_hits_total", "Row cache lookups answered from memory.", rc.Hits)
	counter("neokv_row_cache_misses_total", "Row cache lookups that went to Pebble.", rc.Misses)
	gauge("neokv_row_cache_bytes", "Bytes held by the row cache.", float64(rc.Bytes))
	if t := s.store.Transport(); t != nil {
		counter("neokv_transport_frames_total", "Frames queued to peer stores (one per destination per round).", t.FramesSent.Load())
		counter("neokv_transport_messages_total", "Raft messages sent to peer stores.", t.MessagesSent.Load())
		counter("neokv_transport_writes_total", "Socket writes to peer stores.", t.Writes.Load())
		counter("neokv_transport_bytes_total", "Bytes written to peer stores.", t.BytesSent.Load())
		counter("neokv_transport_frames_dropped_total", "Frames dropped (peer down or queue full).", t.FramesDropped.Load())
		if wr := t.Writes.Load(); wr > 0 {
			gauge("neokv_transport_messages_per_write", "Raft messages per socket write since start.", float64(t.MessagesSent.Load())/float64(wr))
		}
	}
	st.FsyncLatency.WritePrometheus(w, "neokv_log_fsync_seconds", "Raft log write+fdatasync latency.")
	st.RoundLatency.WritePrometheus(w, "neokv_raft_round_seconds", "Round-loop iteration time.")
	st.ProposeToCommit.WritePrometheus(w, "neokv_propose_to_commit_seconds", "From proposal to the start of its apply.")
	st.CommitToApply.WritePrometheus(w, "neokv_commit_to_apply_seconds", "From the start of an apply batch to its replies being released.")
	st.ApplyBatchLatency.WritePrometheus(w, "neokv_apply_batch_seconds", "Time to apply and commit one batch.")
	s.requestLatency.WritePrometheus(w, "neokv_request_seconds", "End to end, for requests that went through Raft or forwarding: dispatch to reply ready.")
}
