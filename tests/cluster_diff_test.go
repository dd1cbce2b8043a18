package tests

import (
	"strings"
	"testing"
)

// TestDiffCluster runs the differential scripts of every type against a
// node of a 3-node cluster (which forwards commands for the Regions it does
// not lead) and compares with redis-server byte for byte. Scripts that
// depend on what a cluster refuses (MSET across Regions) are left out.
func TestDiffCluster(t *testing.T) {
	c := StartCluster(t, 3)
	ref := StartRedis(t)
	addr := c.Nodes[1].Addr
	var keys []diffScript
	for _, sc := range keyDiffScripts {
		if !strings.Contains(strings.ToLower(sc.script), "mset ") {
			keys = append(keys, sc)
		}
	}
	var strs []diffScript
	for _, sc := range stringDiffScripts {
		if !strings.Contains(strings.ToLower(sc.script), "mset ") {
			strs = append(strs, sc)
		}
	}
	t.Run("strings", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, strs, false) })
	t.Run("keys", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, keys, false) })
	t.Run("lists", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, listDiffScripts, false) })
	t.Run("zsets", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, zsetDiffScripts, false) })
	t.Run("hashes", func(t *testing.T) { hsRunDiffOn(t, addr, ref, hashDiffScripts) })
	t.Run("sets", func(t *testing.T) { hsRunDiffOn(t, addr, ref, setDiffScripts) })
	t.Run("hyperloglog", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, hllDiffScripts(), false) })
	t.Run("sort", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, sortDiffScripts, false) })
	t.Run("geo", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, append(geoDiffScripts, geoGridScript()), false) })
	t.Run("streams", func(t *testing.T) { runDiffScriptsOn(t, addr, ref, streamDiffScripts, false) })
}
