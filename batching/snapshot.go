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

// receive delivers messages from a peer store to their Regions.
func (s *Store) receive(from uint64, msgs []RegionMessage) {
	out := make([]regionMsg, 0, len(msgs))
	for _, m := range msgs {
		r := s.byID[m.Region]
		if r == nil {
			continue
		}
		out = append(out, regionMsg{region: r, m: m.Msg})
	}
	s.deliver(out)
}
