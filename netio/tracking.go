package netio

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// Client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO)
// as Redis 7.0 has it. A tracking client's read commands remember their
// keys in the node's tracking table; when this node applies a write to
// one of them (the store's OnApplied hook, after the batch commits and
// before its replies are released) the client, or the client it
// redirects to, gets an "invalidate" message and the key is forgotten.
// BCAST clients get every written key under their prefixes instead. An
// apply batch that deletes a range (FLUSHALL, FLUSHDB) or a snapshot that
// replaces a Region's data sends a null invalidation ("drop everything")
// to every tracking client.
//
// Departures, all on the safe side (a client drops cache entries it could
// have kept, never keeps one it should drop):
//   - Keys are registered before the read runs, not after (reads here run
//     beside the apply loop, and a write applied between the read and a
//     later registration would otherwise be missed).
//   - Every node applies every write of the Regions it holds, so a
//     client's invalidations come from its own node's apply, which may be
//     a moment after the leader acknowledged the write to another client.
//   - NOLOOP is accepted but a client also hears of its own writes: the
//     apply loop does not know which connection a write came from.
//   - FLUSHALL in a cluster sends one null invalidation per Region.
//   - BCAST messages go out per apply batch rather than per event-loop
//     iteration.
//   - Changes to a stream's consumer groups (XGROUP SETID, XACK, ...)
//     invalidate the stream's key; Redis sends nothing for some of them.
//   - A script's declared keys are remembered, whether it reads them or
//     not (Redis remembers the keys it reads).

// trackingMaxKeys bounds the tracking table as Redis's
// tracking-table-max-keys default does: past it, remembering a key first
// invalidates an arbitrary other one.
const trackingMaxKeys = 1_000_000

// trackState is a connection's tracking mode. It changes under
// tracking.mu: on its own event loop (CLIENT TRACKING, which may read it
// without the lock, being the only writer of everything but
// redirBroken) and in apply (redirBroken). CLIENT CACHING's flag is the
// event loop's alone: client.trackCaching.
type trackState struct {
	on, bcast, optin, optout, noloop bool
	redirBroken                      bool
	redirect                         uint64
	prefixes                         []string
}

// tracking is the node's tracking table.
type tracking struct {
	clients atomic.Int64 // connections with tracking on
	mu      sync.Mutex
	keys    map[string]map[uint64]struct{} // key -> ids of clients that read it
	items   int64                          // client ids in keys, all keys together
	bcast   map[string]map[uint64]struct{} // prefix -> ids of BCAST clients
}

// trackingTotals is INFO's tracking_total_keys, _items and _prefixes.
func (s *Server) trackingTotals() (keys int, items int64, prefixes int) {
	t := &s.track
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys), t.items, len(t.bcast)
}

func (s *Server) clientByID(id uint64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

// cmdClientTracking is CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...]
// [BCAST] [OPTIN] [OPTOUT] [NOLOOP], with Redis's checks in its order.
func (s *Server) cmdClientTracking(cl *client, argv [][]byte, w *resp.Writer) {
	var redirect uint64
	var prefixes []string
	var bcast, optin, optout, noloop bool
	for j := 3; j < len(argv); j++ {
		more := j+1 < len(argv)
		switch opt := strings.ToLower(string(argv[j])); {
		case opt == "redirect" && more:
			j++
			if redirect != 0 {
				w.Error("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := resp.ParseInt(argv[j])
			if !ok {
				w.Error(engine.ErrNotInteger)
				return
			}
			if id <= 0 || s.clientByID(uint64(id)) == nil {
				w.Error("ERR The client ID you want redirect to does not exist")
				return
			}
			redirect = uint64(id)
		case opt == "bcast":
			bcast = true
		case opt == "optin":
			optin = true
		case opt == "optout":
			optout = true
		case opt == "noloop":
			noloop = true
		case opt == "prefix" && more:
			j++
			prefixes = append(prefixes, string(argv[j]))
		default:
			w.Error(engine.ErrSyntax)
			return
		}
	}
	t := &s.track
	switch strings.ToLower(string(argv[2])) {
	case "on":
		t.mu.Lock()
		cur := cl.track
		t.mu.Unlock()
		switch {
		case !bcast && len(prefixes) > 0:
			w.Error("ERR PREFIX option requires BCAST mode to be enabled")
			return
		case cur.on && cur.bcast != bcast:
			w.Error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		case bcast && (optin || optout):
			w.Error("ERR OPTIN and OPTOUT are not compatible with BCAST")
			return
		case optin && optout:
			w.Error("ERR You can't specify both OPTIN mode and OPTOUT mode")
			return
		case cur.on && ((optin && cur.optout) || (optout && cur.optin)):
			w.Error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
			return
		}
		if bcast {
			if msg := prefixCollision(cur.prefixes, prefixes); msg != "" {
				w.Error(msg)
				return
			}
		}
		t.mu.Lock()
		if !cur.on {
			t.clients.Add(1)
		}
		st := &cl.track
		st.on, st.redirBroken, st.redirect = true, false, redirect
		st.bcast, st.optin, st.optout, st.noloop = bcast, optin, optout, noloop
		if bcast && len(prefixes) == 0 && len(st.prefixes) == 0 {
			prefixes = []string{""} // every key
		}
		for _, p := range prefixes {
			if containsString(st.prefixes, p) {
				continue
			}
			st.prefixes = append(st.prefixes, p)
			if t.bcast == nil {
				t.bcast = map[string]map[uint64]struct{}{}
			}
			if t.bcast[p] == nil {
				t.bcast[p] = map[uint64]struct{}{}
			}
			t.bcast[p][cl.id] = struct{}{}
		}
		t.mu.Unlock()
		w.OK()
	case "off":
		s.disableTracking(cl)
		w.OK()
	default:
		w.Error(engine.ErrSyntax)
	}
}

// prefixCollision is Redis's check that no two BCAST prefixes of one
// client are prefixes of each other; it returns the error or "".
func prefixCollision(existing, added []string) string {
	for i, p := range added {
		for _, e := range existing {
			if p != e && (strings.HasPrefix(p, e) || strings.HasPrefix(e, p)) {
				return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + e + "'. Prefixes for a single client must not overlap."
			}
		}
		for _, q := range added[i+1:] {
			if strings.HasPrefix(p, q) || strings.HasPrefix(q, p) {
				return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

func containsString(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// disableTracking turns a client's tracking off (CLIENT TRACKING OFF, a
// closed connection). Its remembered keys are dropped lazily: apply skips
// ids of clients that no longer track.
func (s *Server) disableTracking(cl *client) {
	t := &s.track
	t.mu.Lock()
	defer t.mu.Unlock()
	st := &cl.track
	if !st.on {
		return
	}
	for _, p := range st.prefixes {
		if ids := t.bcast[p]; ids != nil {
			delete(ids, cl.id)
			if len(ids) == 0 {
				delete(t.bcast, p)
			}
		}
	}
	*st = trackState{}
	cl.trackCaching = false
	if t.clients.Add(-1) == 0 {
		t.keys, t.items = nil, 0 // nobody can be told any more
	}
}

// cmdClientCaching is CLIENT CACHING YES|NO.
func (s *Server) cmdClientCaching(cl *client, argv [][]byte, w *resp.Writer) {
	st := &cl.track
	if !st.on {
		w.Error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(argv[2])) {
	case "yes":
		if !st.optin {
			w.Error("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
	case "no":
		if !st.optout {
			w.Error("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
	default:
		w.Error(engine.ErrSyntax)
		return
	}
	cl.trackCaching = true
	w.OK()
}

func (s *Server) cmdClientGetRedir(cl *client, w *resp.Writer) {
	s.track.mu.Lock()
	st := cl.track
	s.track.mu.Unlock()
	switch {
	case !st.on:
		w.Int(-1)
	default:
		w.Int(int64(st.redirect))
	}
}

func (s *Server) cmdClientTrackingInfo(cl *client, w *resp.Writer) {
	s.track.mu.Lock()
	st := cl.track
	st.prefixes = append([]string(nil), st.prefixes...)
	s.track.mu.Unlock()
	var flags []string
	if !st.on {
		flags = append(flags, "off")
	} else {
		flags = append(flags, "on")
		for _, f := range []struct {
			set  bool
			name string
		}{{st.bcast, "bcast"}, {st.optin, "optin"}, {st.optout, "optout"}, {cl.trackCaching && st.optin, "caching-yes"},
			{cl.trackCaching && st.optout, "caching-no"}, {st.noloop, "noloop"}, {st.redirBroken, "broken_redirect"}} {
			if f.set {
				flags = append(flags, f.name)
			}
		}
	}
	w.Map(3)
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.BulkString(f)
	}
	w.BulkString("redirect")
	switch {
	case !st.on:
		w.Int(-1)
	default:
		w.Int(int64(st.redirect))
	}
	w.BulkString("prefixes")
	w.Array(len(st.prefixes))
	for _, p := range st.prefixes {
		w.BulkString(p)
	}
}

// trackRead remembers the keys of a read command of a tracking client
// (default mode; OPTIN only after CACHING YES, OPTOUT unless CACHING NO).
func (s *Server) trackRead(cl *client, d *engine.Command, argv [][]byte) {
	st := &cl.track
	if st.bcast || (st.optin && !cl.trackCaching) || (st.optout && cl.trackCaching) {
		return
	}
	t := &s.track
	var evicted []string
	t.mu.Lock()
	if t.keys == nil {
		t.keys = map[string]map[uint64]struct{}{}
	}
	d.KeysOf(argv, func(i int) {
		ids := t.keys[string(argv[i])]
		if ids == nil {
			if len(t.keys) >= trackingMaxKeys {
				for k := range t.keys {
					evicted = append(evicted, k)
					break
				}
			}
			ids = map[uint64]struct{}{}
			t.keys[string(argv[i])] = ids
		}
		if _, ok := ids[cl.id]; !ok {
			ids[cl.id] = struct{}{}
			t.items++
		}
	})
	t.mu.Unlock()
	if len(evicted) > 0 {
		keys := make([][]byte, len(evicted))
		for i, k := range evicted {
			keys[i] = []byte(k)
		}
		s.invalidate(keys)
	}
}

// trackCommandDone ends the effect of CLIENT CACHING after the command
// that followed it (or the transaction it began).
func (cl *client) trackCommandDone(name string) {
	if cl.trackCaching && !cl.multi && name != "client" {
		cl.trackCaching = false
	}
}

// invalidate is the apply side: keys were written (committed, not yet
// acknowledged). It tells every client that read one of them, and every
// BCAST client with a matching prefix.
func (s *Server) invalidate(keys [][]byte) {
	t := &s.track
	if t.clients.Load() == 0 {
		return
	}
	type note struct {
		id  uint64
		key []byte
	}
	var single []note
	var bcast map[uint64][][]byte
	var seen map[uint64]map[string]struct{} // BCAST keys already listed, per client
	t.mu.Lock()
	for _, k := range keys {
		if ids, ok := t.keys[string(k)]; ok {
			for id := range ids {
				single = append(single, note{id, k})
			}
			t.items -= int64(len(ids))
			delete(t.keys, string(k))
		}
		for p, ids := range t.bcast {
			if !strings.HasPrefix(string(k), p) {
				continue
			}
			if bcast == nil {
				bcast, seen = map[uint64][][]byte{}, map[uint64]map[string]struct{}{}
			}
			for id := range ids {
				if seen[id] == nil {
					seen[id] = map[string]struct{}{}
				}
				if _, dup := seen[id][string(k)]; !dup {
					seen[id][string(k)] = struct{}{}
					bcast[id] = append(bcast[id], k)
				}
			}
		}
	}
	t.mu.Unlock()
	for _, n := range single {
		if cl := s.clientByID(n.id); cl != nil {
			s.sendInvalidation(cl, [][]byte{n.key}, false, false)
		}
	}
	for id, ks := range bcast {
		if cl := s.clientByID(id); cl != nil {
			s.sendInvalidation(cl, ks, false, true)
		}
	}
}

// invalidateAll is a flush or a snapshot install: every tracking client
// drops its whole cache.
func (s *Server) invalidateAll() {
	t := &s.track
	if t.clients.Load() == 0 {
		return
	}
	t.mu.Lock()
	t.keys, t.items = nil, 0
	t.mu.Unlock()
	for _, cl := range s.snapshotClients() {
		s.sendInvalidation(cl, nil, true, false)
	}
}

// sendInvalidation is Redis's sendTrackingMessage: to the client, or to
// the client it redirects to (as a push in RESP3, as a message of
// __redis__:invalidate to a RESP2 subscriber); all: a null key list.
func (s *Server) sendInvalidation(cl *client, keys [][]byte, all, fromBcast bool) {
	s.track.mu.Lock()
	st := cl.track
	s.track.mu.Unlock()
	if !st.on || (st.bcast != fromBcast && !all) {
		return
	}
	target := cl
	redirected := false
	if st.redirect != 0 {
		target = s.clientByID(st.redirect)
		if target == nil {
			s.track.mu.Lock()
			cl.track.redirBroken = true
			s.track.mu.Unlock()
			if clientResp3(cl) {
				w := resp.Writer{RESP3: true}
				w.Push(2)
				w.BulkString("tracking-redir-broken")
				w.Int(int64(st.redirect))
				cl.pushUrgent(w.B)
			}
			return
		}
		redirected = true
	}
	resp3 := clientResp3(target)
	w := resp.Writer{RESP3: resp3}
	switch {
	case resp3:
		w.Push(2)
		w.BulkString("invalidate")
	case redirected && target.ps.counts[subChannel].Load()+target.ps.counts[subPattern].Load()+target.ps.counts[subShard].Load() > 0:
		w.Array(3)
		w.BulkString("message")
		w.BulkString("__redis__:invalidate")
	default:
		return // RESP2 has no way to tell this connection
	}
	if all {
		w.Null() // "_" in RESP3, and Redis's null bulk in RESP2
	} else {
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	}
	target.pushUrgent(w.B)
}

// clientResp3 reads a connection's protocol from another goroutine.
func clientResp3(cl *client) bool {
	cl.ps.mu.Lock()
	defer cl.ps.mu.Unlock()
	return cl.ps.resp3
}

// trackingClients is INFO's tracking_clients.
func (s *Server) trackingClients() string { return strconv.FormatInt(s.track.clients.Load(), 10) }

// DataReplaced is the DB's word that a range of keys was deleted or
// replaced (engine.KeyspaceNotifier).
func (k *keyspaceEvents) DataReplaced() { k.s.invalidateAll() }
