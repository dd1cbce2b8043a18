package batching

import (
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// sendSnapshot streams a Region snapshot to a follower.
// TODO(cluster): stream the Region's slot range from a Pebble snapshot.
func (s *Store) sendSnapshot(r *Region, m raftpb.Message) {
	r.rn.ReportSnapshot(m.To, raft.SnapshotFailure)
}
