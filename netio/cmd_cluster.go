package netio

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/neokv/neokv/batching"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Node is a NeoKV server as cluster clients see it.
type Node struct {
	ID      string // 40 hex characters
	Host    string
	Port    int
	StoreID uint64
}

// Addr is host:port.
func (n Node) Addr() string { return n.Host + ":" + strconv.Itoa(n.Port) }

// Topology tells the front end about the other nodes of the cluster.
type Topology interface {
	Self() Node
	NodeForStore(storeID uint64) (Node, bool)
	// ClientAddrOf is NodeForStore(storeID).Addr() without building the
	// Node: routing asks it for every forwarded command.
	ClientAddrOf(storeID uint64) (string, bool)
	Nodes() []Node
}

// singleNode is the topology of the embedded single-node server.
type singleNode struct{ self Node }

func (t *singleNode) Self() Node { return t.self }
func (t *singleNode) NodeForStore(id uint64) (Node, bool) {
	if id == t.self.StoreID {
		return t.self, true
	}
	return Node{}, false
}
func (t *singleNode) ClientAddrOf(id uint64) (string, bool) {
	if id == t.self.StoreID {
		return t.self.Addr(), true
	}
	return "", false
}
func (t *singleNode) Nodes() []Node { return []Node{t.self} }

// clusterTopology learns the other nodes from the store transport's hellos.
type clusterTopology struct{ t *batching.Transport }

func nodeOf(pi batching.PeerInfo) Node {
	host, portStr, _ := net.SplitHostPort(pi.ClientAddr)
	port, _ := strconv.Atoi(portStr)
	return Node{ID: pi.NodeID, Host: host, Port: port, StoreID: pi.StoreID}
}

func (c *clusterTopology) Self() Node { return nodeOf(c.t.Self()) }
func (c *clusterTopology) NodeForStore(id uint64) (Node, bool) {
	pi, ok := c.t.PeerInfo(id)
	if !ok || pi.ClientAddr == "" {
		return Node{}, false
	}
	return nodeOf(pi), true
}
func (c *clusterTopology) ClientAddrOf(id uint64) (string, bool) {
	pi, ok := c.t.PeerInfo(id)
	return pi.ClientAddr, ok && pi.ClientAddr != ""
}
func (c *clusterTopology) Nodes() []Node {
	var out []Node
	for _, pi := range c.t.KnownPeers() {
		if pi.ClientAddr != "" {
			out = append(out, nodeOf(pi))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StoreID < out[j].StoreID })
	return out
}

// shard is a run of contiguous slots with the same master and replicas.
type shard struct {
	start, end uint16
	master     Node
	replicas   []Node
}

// shards groups the Regions into Redis Cluster shards: leader = master,
// followers = replicas; neighbouring Regions with the same nodes merge.
func (s *Server) shards() []shard {
	var out []shard
	for _, r := range s.store.Regions() {
		d := r.Desc()
		master, ok := s.topo.NodeForStore(r.LeaderStore())
		if !ok {
			master = s.topo.Self()
			if len(d.Peers) > 1 {
				continue // no known leader: the slots are not served right now
			}
		}
		var reps []Node
		for _, p := range d.Peers {
			// Like Redis, which leaves failed replicas out of CLUSTER
			// SLOTS: clients reading from replicas must not pick a dead one.
			if p.StoreID == master.StoreID || !s.storeUp(p.StoreID) {
				continue
			}
			if n, ok := s.topo.NodeForStore(p.StoreID); ok {
				reps = append(reps, n)
			}
		}
		if n := len(out); n > 0 && out[n-1].end+1 == d.StartSlot && out[n-1].master.ID == master.ID && sameNodes(out[n-1].replicas, reps) {
			out[n-1].end = d.EndSlot
			continue
		}
		out = append(out, shard{start: d.StartSlot, end: d.EndSlot, master: master, replicas: reps})
	}
	return out
}

// storeUp reports whether this node is connected to the store's node (its
// own store is always up).
func (s *Server) storeUp(id uint64) bool {
	t := s.store.Transport()
	return t == nil || t.PeerUp(id)
}

func sameNodes(a, b []Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

func writeNodeEntry(w *resp.Writer, n Node) {
	w.Array(4)
	w.BulkString(n.Host)
	w.Int(int64(n.Port))
	w.BulkString(n.ID)
	w.Map(0)
}

// clusterSubArity is Redis 7's arity of each CLUSTER subcommand NeoKV has.
var clusterSubArity = map[string]int{
	"keyslot": 3, "myid": 2, "slots": 2, "shards": 2, "nodes": 2, "info": 2,
	"countkeysinslot": 3, "getkeysinslot": 4, "help": 2,
}

func (s *Server) cmdCluster(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "cluster", clusterSubArity, argv) {
		return
	}
	sub := strings.ToLower(string(argv[1]))
	switch sub {
	case "keyslot":
		w.Int(int64(slots.Of(argv[2])))
	case "myid":
		w.BulkString(s.topo.Self().ID)
	case "slots":
		sh := s.shards()
		w.Array(len(sh))
		for _, x := range sh {
			w.Array(3 + len(x.replicas))
			w.Int(int64(x.start))
			w.Int(int64(x.end))
			writeNodeEntry(w, x.master)
			for _, r := range x.replicas {
				writeNodeEntry(w, r)
			}
		}
	case "shards":
		s.clusterShards(w)
	case "nodes":
		w.Verbatim(s.clusterNodes())
	case "info":
		sh := s.shards()
		assigned := 0
		for _, x := range sh {
			assigned += int(x.end) - int(x.start) + 1
		}
		state := "ok"
		if assigned < slots.Count {
			state = "fail"
		}
		nodes := len(s.topo.Nodes())
		w.Verbatim(fmt.Sprintf("cluster_state:%s\r\ncluster_slots_assigned:%d\r\ncluster_slots_ok:%d\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:%d\r\ncluster_known_nodes:%d\r\ncluster_size:%d\r\ncluster_current_epoch:1\r\ncluster_my_epoch:1\r\ncluster_stats_messages_sent:0\r\ncluster_stats_messages_received:0\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n",
			state, assigned, assigned, slots.Count-assigned, nodes, nodes))
	case "countkeysinslot":
		sl, ok := resp.ParseInt(argv[2])
		if !ok {
			w.Error(engine.ErrNotInteger)
			return
		}
		if sl < 0 || sl >= slots.Count {
			w.Error("ERR Invalid slot")
			return
		}
		w.Int(s.db.KeysInSlots(uint16(sl), uint16(sl)))
	case "getkeysinslot":
		// Redis parses both integers before range-checking either.
		sl, ok := resp.ParseInt(argv[2])
		n, ok2 := resp.ParseInt(argv[3])
		if !ok || !ok2 {
			w.Error(engine.ErrNotInteger)
			return
		}
		if sl < 0 || sl >= slots.Count || n < 0 {
			w.Error("ERR Invalid slot or number of keys")
			return
		}
		var keys [][]byte
		_, err := s.db.ScanSlots(uint16(sl), uint16(sl), int(n), engine.ScanOptions{Now: cl.now}, func(k []byte) {
			if int64(len(keys)) < n {
				keys = append(keys, append([]byte(nil), k...))
			}
		})
		if err != nil {
			w.Error("ERR " + err.Error())
			return
		}
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	case "help":
		w.Array(1)
		w.Simple("CLUSTER KEYSLOT|MYID|SLOTS|SHARDS|NODES|INFO|COUNTKEYSINSLOT|GETKEYSINSLOT")
	}
}

func (s *Server) clusterShards(w *resp.Writer) {
	// Redis groups shards by master node; a node's shard lists all its ranges.
	type group struct {
		master   Node
		ranges   []uint16
		replicas []Node
	}
	var groups []*group
	byID := map[string]*group{}
	for _, x := range s.shards() {
		g := byID[x.master.ID]
		if g == nil {
			g = &group{master: x.master, replicas: x.replicas}
			byID[x.master.ID] = g
			groups = append(groups, g)
		}
		g.ranges = append(g.ranges, x.start, x.end)
	}
	w.Array(len(groups))
	for _, g := range groups {
		w.Map(2)
		w.BulkString("slots")
		w.Array(len(g.ranges))
		for _, r := range g.ranges {
			w.Int(int64(r))
		}
		w.BulkString("nodes")
		w.Array(1 + len(g.replicas))
		writeShardNode(w, g.master, "master")
		for _, r := range g.replicas {
			writeShardNode(w, r, "replica")
		}
	}
}

func writeShardNode(w *resp.Writer, n Node, role string) {
	w.Map(7)
	w.BulkString("id")
	w.BulkString(n.ID)
	w.BulkString("port")
	w.Int(int64(n.Port))
	w.BulkString("ip")
	w.BulkString(n.Host)
	w.BulkString("endpoint")
	w.BulkString(n.Host)
	w.BulkString("role")
	w.BulkString(role)
	w.BulkString("replication-offset")
	w.Int(0)
	w.BulkString("health")
	w.BulkString("online")
}

func (s *Server) clusterNodes() string {
	self := s.topo.Self()
	ranges := map[string][]string{}
	masterOf := map[string]string{}
	firstMaster := "-"
	for _, x := range s.shards() {
		if firstMaster == "-" {
			firstMaster = x.master.ID
		}
		r := strconv.Itoa(int(x.start))
		if x.end != x.start {
			r += "-" + strconv.Itoa(int(x.end))
		}
		ranges[x.master.ID] = append(ranges[x.master.ID], r)
		for _, rep := range x.replicas {
			if _, ok := masterOf[rep.ID]; !ok {
				masterOf[rep.ID] = x.master.ID
			}
		}
	}
	var b strings.Builder
	for _, n := range s.topo.Nodes() {
		flags := ""
		if n.ID == self.ID {
			flags = "myself,"
		}
		master := "-"
		if _, isMaster := ranges[n.ID]; isMaster {
			flags += "master"
		} else if m, ok := masterOf[n.ID]; ok {
			flags += "slave"
			master = m
		} else if !s.storeUp(n.StoreID) && firstMaster != "-" {
			// A failed replica (left out of the shards' replicas).
			flags += "slave"
			master = firstMaster
		} else {
			flags += "master"
		}
		link := "connected"
		if !s.storeUp(n.StoreID) {
			flags += ",fail"
			link = "disconnected"
		}
		fmt.Fprintf(&b, "%s %s:%d@%d %s %s 0 0 1 %s", n.ID, n.Host, n.Port, n.Port+10000, flags, master, link)
		for _, r := range ranges[n.ID] {
			b.WriteString(" " + r)
		}
		b.WriteString("\n")
	}
	return b.String()
}
