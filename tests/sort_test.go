package tests

import "testing"

// SORT scripts for the differential runner. Keys share the hash tag {s}
// (NeoKV's patterns must name keys of the sorted key's slot); a set's own
// order is arbitrary in both, so unsorted set replies are compared sorted.
var sortDiffScripts = []diffScript{
	{"sort", `
RPUSH {s}l 3 1 2 10 -5 2.5 1e2
SORT {s}l
SORT {s}l DESC
SORT {s}l LIMIT 1 3
SORT {s}l LIMIT 5 100
SORT {s}l LIMIT -1 2
SORT {s}l LIMIT 0 -1
SORT {s}l LIMIT 100 1
SORT {s}l ALPHA
SORT {s}l ALPHA DESC LIMIT 0 3
SORT_RO {s}l DESC
RPUSH {s}words banana apple cherry 10 9
SORT {s}words
SORT {s}words ALPHA
SORT {s}words ALPHA DESC
SORT {s}l BY nosort
SORT {s}l BY nosort DESC
SORT {s}l BY nosort LIMIT 1 2
SORT {s}l BY nosort DESC LIMIT 1 2
SADD {s}set 5 3 9 1
SORT {s}set
SORT {s}set DESC LIMIT 1 2
! SORT {s}set BY nosort
SORT {s}set BY nosort STORE {s}out
LRANGE {s}out 0 -1
ZADD {s}z 3 c 1 a 2 b
SORT {s}z ALPHA
SORT {s}z BY nosort
SORT {s}z BY nosort DESC LIMIT 0 2
MSET {s}w_a 3 {s}w_b 1 {s}w_c 2 {s}n_a x {s}n_c z
SORT {s}z BY {s}w_*
SORT {s}z BY {s}w_* DESC GET # GET {s}n_*
SORT {s}z BY {s}w_* GET {s}n_* STORE {s}out2
LRANGE {s}out2 0 -1
HSET {s}h_a f 30 g zz
HSET {s}h_b f 10
HSET {s}h_c f 20 g aa
SORT {s}z BY {s}h_*->f GET {s}h_*->g GET #
SORT {s}z BY {s}h_*->g ALPHA GET #
SORT {s}z BY {s}missing_* GET {s}missing_*
SORT {s}z GET nostar
SORT {s}l STORE {s}sorted
LRANGE {s}sorted 0 -1
SORT {s}missing STORE {s}sorted
EXISTS {s}sorted
SORT {s}missing
SORT {s}words LIMIT 0 2 BY {s}w_*
SORT {s}words
RPUSH {s}bad 1 x 2
SORT {s}bad
SORT {s}bad ALPHA
SET {s}str x
SORT {s}str
SORT {s}l LIMIT 1
SORT {s}l LIMIT x 1
SORT {s}l BOGUS
SORT_RO {s}l STORE {s}x
SORT {s}l BY
`},
}

func TestDiffSort(t *testing.T) { runDiffScripts(t, sortDiffScripts, false) }

// A pattern that names another slot's key is refused (the sort runs
// inside the sorted key's Region).
func TestSortPatternOtherSlot(t *testing.T) {
	c := Dial(t, StartServer(t, multiRegion...).Addr)
	c.Do("RPUSH", "{s}l", "1", "2")
	for _, args := range [][]string{{"SORT", "{s}l", "BY", "w_*"}, {"SORT", "{s}l", "GET", "n_*"}} {
		if got := c.Do(args...); got != "-CROSSSLOT Keys in request don't hash to the same slot\r\n" {
			t.Errorf("%q: %q", args, got)
		}
	}
}
