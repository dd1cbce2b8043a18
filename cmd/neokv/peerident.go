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
	id, _ := p.lookupLocked(store)
	return id
}

func (p *peerIdentities) lookupLocked(store uint64) (string, error) {
	if id, ok := p.known[store]; ok {
		return id, nil
	}
	id, err := p.db.PeerNodeID(store)
	if err != nil {
		return "", fmt.Errorf("read the identity of store %d: %w", store, err)
	}
	if id != "" {
		p.known[store] = id
	}
	return id, nil
}

// check vets a peer's hello (batching.TransportConfig.CheckPeer). This
// store stops only on evidence of its own: a peer it has never heard
// from knows it under another node id, so this directory is not the one
// that peer talked to. Anything else that does not match is refused and
// logged: a peer whose own directory was replaced, or a stray process
// (another cluster's member on a reused port) that must not stop a
// healthy member.
func (p *peerIdentities) check(peer batching.PeerInfo, knownAs string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	known, err := p.lookupLocked(peer.StoreID)
	if err != nil {
		return err
	}
	if knownAs != "" && knownAs != p.self {
		err := fmt.Errorf("store %d knows this store (%d) as node %s, but this data directory is node %s", peer.StoreID, p.selfID, knownAs, p.self)
		if known == "" {
			err = fmt.Errorf("%w: it was wiped or replaced since this member last ran. A member cannot rejoin without its data "+
				"(the others would count it for Raft log entries it no longer holds); restore its directory", err)
			p.fatal(err)
			return err
		}
		p.warn(peer.StoreID, "refusing store %d: %v", peer.StoreID, err)
		return err
	}
	if peer.NodeID == "" {
		return nil
	}
	switch known {
	case "":
		if err := p.db.SetPeerNodeID(peer.StoreID, peer.NodeID); err != nil {
			return fmt.Errorf("record identity of store %d: %w", peer.StoreID, err)
		}
		p.known[peer.StoreID] = peer.NodeID
		return nil
	case peer.NodeID:
		return nil
	default:
		err := fmt.Errorf("it presents node id %s, but it was node %s: its data directory was wiped or replaced", peer.NodeID, known)
		p.warn(peer.StoreID, "refusing store %d: %v", peer.StoreID, err)
		return err
	}
}

// warn logs a refusal, at most every 10 s per peer (it retries its
// connection every few seconds).
func (p *peerIdentities) warn(store uint64, format string, args ...any) {
	if time.Since(p.warned[store]) > 10*time.Second {
		p.warned[store] = time.Now()
		p.log.Error(fmt.Sprintf(format, args...))
	}
}
