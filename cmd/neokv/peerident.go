package main

import (
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
)

// peerIdentities pins every peer store to the node id it had when this
// store first heard from it (a node id is drawn once per data directory).
// A member restarted with an empty or replaced directory draws a new one
// and would otherwise rejoin under its old store id: Raft would count it
// for log entries it no longer holds (its leaders' heartbeats then crash
// it: "tocommit out of range"), and before that it could vote for a
// candidate missing acknowledged writes. So such a member is refused by
// the others, and, told by their hellos what it used to be, stops with an
// error that says why. Replacing a member is not supported yet.
type peerIdentities struct {
	db     *engine.DB
	self   string
	selfID uint64
	log    *slog.Logger
	fatal  func(error)

	mu     sync.Mutex
	known  map[uint64]string
	warned map[uint64]time.Time
}

func newPeerIdentities(db *engine.DB, selfID uint64, self string, log *slog.Logger, fatal func(error)) *peerIdentities {
	return &peerIdentities{db: db, self: self, selfID: selfID, log: log, fatal: fatal,
		known: map[uint64]string{}, warned: map[uint64]time.Time{}}
}

// knownAs returns the node id on record for store ("" if none).
func (p *peerIdentities) knownAs(store uint64) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lookupLocked(store)
}

func (p *peerIdentities) lookupLocked(store uint64) string {
	if id, ok := p.known[store]; ok {
		return id
	}
	id, err := p.db.PeerNodeID(store)
	if err != nil {
		p.log.Warn("read peer identity", "store", store, "err", err)
		return ""
	}
	if id != "" {
		p.known[store] = id
	}
	return id
}

// check vets a peer's hello (batching.TransportConfig.CheckPeer).
func (p *peerIdentities) check(peer batching.PeerInfo, knownAs string) error {
	if knownAs != "" && knownAs != p.self {
		err := fmt.Errorf("store %d knows this store (%d) as node %s, but this data directory is node %s: "+
			"it was wiped or replaced since this member last ran. A member cannot rejoin without its data "+
			"(the others would count it for Raft log entries it no longer holds); restore its directory",
			peer.StoreID, p.selfID, knownAs, p.self)
		p.fatal(err)
		return err
	}
	if peer.NodeID == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch known := p.lookupLocked(peer.StoreID); known {
	case "":
		if err := p.db.SetPeerNodeID(peer.StoreID, peer.NodeID); err != nil {
			return fmt.Errorf("record identity of store %d: %w", peer.StoreID, err)
		}
		p.known[peer.StoreID] = peer.NodeID
		return nil
	case peer.NodeID:
		return nil
	default:
		err := fmt.Errorf("refusing store %d: it presents node id %s, but it was node %s: its data directory was wiped or replaced",
			peer.StoreID, peer.NodeID, known)
		if time.Since(p.warned[peer.StoreID]) > 10*time.Second {
			p.warned[peer.StoreID] = time.Now()
			p.log.Error(err.Error())
		}
		return err
	}
}
