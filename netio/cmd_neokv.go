package netio

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
)

// cmdNeokv is NeoKV's own command: cluster plumbing and the admin views
// `neokv ctl` prints.
//
//	NEOKV FORWARDED            this connection is another node's forwarding link
//	NEOKV INTERNAL cmd args... run an internal command (forwarding links only)
//	NEOKV REGIONS              one line per Region replica on this node
//	NEOKV STORES               one line per store this node knows
func (s *Server) cmdNeokv(cl *client, argv [][]byte) {
	sub := strings.ToLower(string(argv[1]))
	switch sub {
	case "forwarded":
		cl.forwarded = true
		cl.stats = nil // counted on the node the client sent them to
		cl.immediate().OK()
	case "internal":
		if !cl.forwarded || len(argv) < 3 {
			cl.immediate().Error("ERR NEOKV INTERNAL is for forwarding links")
			return
		}
		args := argv[2:]
		if len(args) < 3 {
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		lo, _ := parseUint16(args[1])
		r := s.store.Route(lo)
		if !r.IsLeader() {
			cl.immediate().Error("TRYAGAIN not the Region's leader")
			return
		}
		sl := cl.newSlot()
		cl.batchFor().Add(r, engine.KindInternal, args, &sl.w, sl, 0)
	case "checksum":
		// NEOKV CHECKSUM token: every Region computes a checksum of its
		// data at the same log position on all its replicas.
		if len(argv) != 3 {
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		token := append([]byte(nil), argv[2]...)
		s.broadcast(cl, func(r *batching.Region) [][]byte {
			d := r.Desc()
			return [][]byte{[]byte("checksum"), []byte(itoa(int64(d.StartSlot))), []byte(itoa(int64(d.EndSlot))), token}
		})
	case "checksums":
		// NEOKV CHECKSUMS: "lo-hi token sum keys" per Region, as computed here.
		sums := s.db.LastChecksums()
		sort.Slice(sums, func(i, j int) bool { return sums[i].Lo < sums[j].Lo })
		w := cl.immediate()
		w.Array(len(sums))
		for _, c := range sums {
			w.BulkString(fmt.Sprintf("%d-%d %s %016x %d", c.Lo, c.Hi, c.Token, c.Sum, c.Keys))
		}
	case "debug":
		// NEOKV DEBUG PARTITION store... | NEOKV DEBUG HEAL: drop Raft
		// traffic between this node and the given stores (fault tests).
		// NEOKV DEBUG TRANSFER region store: hand a Region led here to
		// its replica on store (what the MetaServer's balancer does).
		t := s.store.Transport()
		if t == nil || len(argv) < 3 {
			cl.immediate().Error("ERR NEOKV DEBUG PARTITION <store> ... | HEAL | TRANSFER <region> <store> (cluster only)")
			return
		}
		switch strings.ToLower(string(argv[2])) {
		case "transfer":
			if len(argv) != 5 {
				cl.immediate().Error(engine.ErrSyntax)
				return
			}
			region, err1 := strconv.ParseUint(string(argv[3]), 10, 64)
			store, err2 := strconv.ParseUint(string(argv[4]), 10, 64)
			if err1 != nil || err2 != nil {
				cl.immediate().Error(engine.ErrNotInteger)
				return
			}
			if err := s.store.TransferLeader(region, store); err != nil {
				cl.immediate().Error("ERR " + err.Error())
				return
			}
		case "partition":
			var ids []uint64
			for _, a := range argv[3:] {
				n, err := strconv.ParseUint(string(a), 10, 64)
				if err != nil {
					cl.immediate().Error(engine.ErrNotInteger)
					return
				}
				ids = append(ids, n)
			}
			t.Block(ids)
		case "heal":
			t.Heal()
		default:
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		cl.immediate().OK()
	case "meta":
		// NEOKV META: the MetaServer leader's view (JSON), for neokv ctl.
		if s.cfg.Meta == nil {
			cl.immediate().Error("ERR no MetaServer")
			return
		}
		// The MetaServer leader may be another node: answer from a
		// goroutine so the event loop never waits on the network.
		sl := cl.newSlot()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			v, err := s.cfg.Meta.Query(ctx)
			cancel()
			if err != nil {
				sl.w.Error("CLUSTERDOWN MetaServer unavailable: " + err.Error())
			} else {
				b, _ := json.Marshal(v)
				sl.w.Bulk(b)
			}
			sl.Complete(0)
		}()
	case "publish", "spublish":
		s.neokvPublish(cl, argv)
	case "exec":
		// NEOKV EXEC region nwatch (key digest)* cmd*: a transaction
		// forwarded by another node, proposed here by the Region's leader.
		if !cl.forwarded || len(argv) < 4 {
			cl.immediate().Error("ERR NEOKV EXEC is for forwarding links")
			return
		}
		id, err := strconv.ParseUint(string(argv[2]), 10, 64)
		var r *batching.Region
		for _, x := range s.store.Regions() {
			if x.ID() == id {
				r = x
			}
		}
		if err != nil || r == nil {
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		if !r.IsLeader() {
			cl.immediate().Error(batching.ErrTryAgain)
			return
		}
		args := append([][]byte{[]byte("exec")}, argv[3:]...)
		sl := cl.newSlot()
		cl.batchFor().Add(r, engine.KindInternal, args, &sl.w, sl, 0)
	case "waitregion":
		// NEOKV WAITREGION id numreplicas timeout: WAIT on the leader's node.
		if len(argv) != 5 {
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		id, err1 := strconv.ParseUint(string(argv[2]), 10, 64)
		want, err2 := strconv.ParseInt(string(argv[3]), 10, 64)
		t, err3 := strconv.ParseInt(string(argv[4]), 10, 64)
		var r *batching.Region
		for _, x := range s.store.Regions() {
			if x.ID() == id {
				r = x
			}
		}
		if err1 != nil || err2 != nil || err3 != nil || r == nil || t < 0 {
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
		s.waitReplicas(cl, r, want, t)
	case "regions":
		cl.immediate().Verbatim(s.regionsText())
	case "stores":
		cl.immediate().Verbatim(s.storesText())
	default:
		cl.immediate().Error("ERR unknown subcommand '" + string(argv[1]) + "'. Try NEOKV REGIONS|STORES.")
	}
}

func parseUint16(b []byte) (uint16, bool) {
	var n int
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return uint16(n), len(b) > 0
}

func (s *Server) regionsText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-13s %-9s %-7s %-8s %-10s %-10s %s\n", "region", "slots", "epoch", "role", "leader", "commit", "applied", "replicas")
	for _, r := range s.store.Regions() {
		st := r.Status()
		role := "follower"
		if st.Leader {
			role = "leader"
		}
		var reps []string
		for _, p := range st.Desc.Peers {
			reps = append(reps, fmt.Sprintf("%d", p.StoreID))
		}
		fmt.Fprintf(&b, "%-8d %-13s %-9s %-7s %-8d %-10d %-10d %s\n", st.ID,
			fmt.Sprintf("%d-%d", st.Desc.StartSlot, st.Desc.EndSlot), fmt.Sprintf("%d/%d", st.Desc.ConfVer, st.Desc.Version),
			role, st.LeaderStore, st.Commit, st.Applied, strings.Join(reps, ","))
	}
	return b.String()
}

func (s *Server) storesText() string {
	leaders := map[uint64]int{}
	replicas := map[uint64]int{}
	for _, r := range s.store.Regions() {
		if ls := r.LeaderStore(); ls != 0 {
			leaders[ls]++
		}
		for _, p := range r.Desc().Peers {
			replicas[p.StoreID]++
		}
	}
	nodes := s.topo.Nodes()
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].StoreID < nodes[j].StoreID })
	var b strings.Builder
	fmt.Fprintf(&b, "%-6s %-5s %-22s %-9s %-8s %s\n", "store", "state", "address", "regions", "leaders", "node-id")
	for _, n := range nodes {
		state := "up"
		if t := s.store.Transport(); t != nil && !t.PeerUp(n.StoreID) {
			state = "down"
		}
		fmt.Fprintf(&b, "%-6d %-5s %-22s %-9d %-8d %s\n", n.StoreID, state, n.Addr(), replicas[n.StoreID], leaders[n.StoreID], n.ID)
	}
	return b.String()
}
