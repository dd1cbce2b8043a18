package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
)

// TestPeerIdentities: a peer is pinned to the node id it first shows; a
// different one is refused; this store stops only when a peer it never
// heard from knows it by another node id (its own directory was
// replaced), never because a known peer, or a stray process claiming a
// known peer's store id, says so.
func TestPeerIdentities(t *testing.T) {
	db, err := engine.Open(t.TempDir(), engine.Options{CacheSize: 1 << 20, MemTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var fatal error
	p := newPeerIdentities(db, 1, "self", slog.New(slog.NewTextHandler(io.Discard, nil)), func(err error) { fatal = err })
	peer := func(store uint64, node string) batching.PeerInfo {
		return batching.PeerInfo{StoreID: store, NodeID: node}
	}
	if err := p.check(peer(2, "two"), ""); err != nil {
		t.Fatalf("first contact refused: %v", err)
	}
	if err := p.check(peer(2, "two"), "self"); err != nil {
		t.Fatalf("the same peer, knowing this store, refused: %v", err)
	}
	if p.knownAs(2) != "two" {
		t.Fatalf("store 2 pinned as %q", p.knownAs(2))
	}
	if err := p.check(peer(2, "other"), ""); err == nil || !strings.Contains(err.Error(), "wiped or replaced") {
		t.Fatalf("a replaced peer accepted: %v", err)
	}
	if err := p.check(peer(2, "two"), "stranger"); err == nil || fatal != nil {
		t.Fatalf("a known peer calling this store someone else: err %v, stopped %v", err, fatal)
	}
	// The pin survives a restart of this store.
	p = newPeerIdentities(db, 1, "self", slog.New(slog.NewTextHandler(io.Discard, nil)), func(err error) { fatal = err })
	if p.knownAs(2) != "two" {
		t.Fatalf("store 2 pinned as %q after a restart", p.knownAs(2))
	}
	if err := p.check(peer(3, "three"), "stranger"); err == nil || fatal == nil || !strings.Contains(fatal.Error(), "was wiped or replaced") {
		t.Fatalf("an unknown peer that knows this store by another id: err %v, stopped %v", err, fatal)
	}
}
