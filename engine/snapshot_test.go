package engine

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// TestRegionSnapshotRoundTrip rebuilds a replica from a snapshot and
// compares every key family of the Region: metadata, sub-keys, expiry
// index; keys of other Regions and stale data of the target are handled.
func TestRegionSnapshotRoundTrip(t *testing.T) {
	src, dst := openTestDB(t), openTestDB(t)
	desc := RegionDesc{ID: 3, StartSlot: 0, EndSlot: 8191, ConfVer: 1, Version: 1, Peers: []Peer{{ID: 1, StoreID: 1}}}
	a := src.NewApplier(Commands())
	for i := 0; i < 300; i++ {
		applyOne(t, a, 1000, "set", fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i), "px", fmt.Sprint(100000+i))
	}
	applyOne(t, a, 1000, "set", "plain", "value")
	// A collection's sub-key, written directly (collection commands come later).
	sub := appendSubPrefix(nil, 1234, []byte("h"), 7)
	sub = append(sub, "field"...)
	if err := src.pdb.Set(sub, []byte("x"), pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	// The target holds stale data in the Region and data of another Region.
	b := dst.NewApplier(Commands())
	applyOne(t, b, 1000, "set", "stale-in-region", "x")
	for i := 0; i < 50; i++ {
		applyOne(t, b, 1000, "set", fmt.Sprintf("other{%d}", i), "keep")
	}

	snap := src.NewRegionSnapshot(desc, nil)
	var buf bytes.Buffer
	if err := snap.Stream(&buf); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	apply := ApplyState{Applied: 42, AppliedTerm: 7, TruncatedIndex: 42, TruncatedTerm: 7}
	// A damaged stream is refused.
	bad := append([]byte(nil), buf.Bytes()...)
	bad[len(bad)/2] ^= 0xff
	if _, err := dst.StageRegionSnapshot(bytes.NewReader(bad), filepath.Join(t.TempDir(), "bad.sst"), desc, apply); err == nil {
		t.Fatal("damaged snapshot accepted")
	}
	st, err := dst.StageRegionSnapshot(&buf, filepath.Join(t.TempDir(), "s.sst"), desc, apply)
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.IngestRegionSnapshot(st, desc); err != nil {
		t.Fatal(err)
	}
	inRegion := func(db *DB) string {
		lo, hi := DataSpan(desc.StartSlot, desc.EndSlot)
		it, _ := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
		defer it.Close()
		var out bytes.Buffer
		for it.First(); it.Valid(); it.Next() {
			fmt.Fprintf(&out, "%x=%x\n", it.Key(), it.Value())
		}
		return out.String()
	}
	if inRegion(src) != inRegion(dst) {
		t.Fatal("region data differs after install")
	}
	keys, err := dst.ExpiredKeys(1<<62, 10000, func(s uint16) bool { return s <= desc.EndSlot })
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.ExpiredKeys(1<<62, 10000, func(s uint16) bool { return s <= desc.EndSlot })
	if len(keys) != len(want) || len(want) == 0 {
		t.Fatalf("expiry index: %d entries, want %d", len(keys), len(want))
	}
	states, err := dst.LoadRegions()
	if err != nil || len(states) != 1 || states[0].Apply != apply || states[0].Desc.ID != 3 {
		t.Fatalf("raft state after install: %+v %v", states, err)
	}
	if n, m := dst.KeysInSlots(0, 8191), src.KeysInSlots(0, 8191); n != m {
		t.Fatalf("key count in region: %d want %d", n, m)
	}
	if n := dst.KeysInSlots(8192, 16383); n == 0 {
		t.Fatal("keys of another Region were lost")
	}
}
