package tests

import (
	"fmt"
	"strings"
	"testing"
)

// Geo scripts for the differential runner: scores are Redis's geohashes,
// positions and distances Redis's numbers, searches Redis's boxes in
// Redis's order. Keys share the hash tag {g} (STORE needs one Region).
var geoDiffScripts = []diffScript{
	{"geo-add-pos-dist-hash", `
GEOADD {g}Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
GEOADD {g}Sicily 13.361389 38.115556 "Palermo"
GEOADD {g}Sicily CH 13.361390 38.115556 "Palermo"
GEOADD {g}Sicily NX 1 1 "Palermo" 2 2 "Nowhere"
GEOADD {g}Sicily XX 3 3 "Other" 13.361389 38.115556 "Palermo"
GEOADD {g}Sicily XX NX 1 1 a
GEOADD {g}Sicily 1 1
GEOADD {g}Sicily 1 1 a 2
GEOADD {g}Sicily 200 100 bad
GEOADD {g}Sicily 180 85.05112879 bad
GEOADD {g}Sicily -180 -85.05112878 corner
GEOADD {g}Sicily x 1 bad
GEOADD {g}Sicily 1 y bad
GEOADD {g}Sicily inf 1 bad
ZRANGE {g}Sicily 0 -1 WITHSCORES
GEOPOS {g}Sicily Palermo Catania NonExisting corner Nowhere
GEOPOS {g}missing a b
GEOPOS {g}Sicily
GEODIST {g}Sicily Palermo Catania
GEODIST {g}Sicily Palermo Catania km
GEODIST {g}Sicily Palermo Catania MI
GEODIST {g}Sicily Palermo Catania ft
GEODIST {g}Sicily Palermo Catania parsec
GEODIST {g}Sicily Palermo Catania km extra
GEODIST {g}Sicily Palermo missing
GEODIST {g}missing a b
GEODIST {g}Sicily Palermo Palermo
GEOHASH {g}Sicily Palermo Catania missing corner
GEOHASH {g}missing a
SET {g}str x
GEOADD {g}str 1 1 a
GEOPOS {g}str a
GEODIST {g}str a b
GEOHASH {g}str a
GEOSEARCH {g}str FROMLONLAT 1 1 BYRADIUS 1 km
`},
	{"geo-search", `
GEOADD {g}Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
GEOADD {g}Sicily 12.758489 38.788135 "edge1" 17.241510 38.788135 "edge2"
GEORADIUS {g}Sicily 15 37 200 km WITHDIST
GEORADIUS {g}Sicily 15 37 200 km WITHCOORD
GEORADIUS {g}Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH
GEORADIUS {g}Sicily 15 37 200 km DESC
GEORADIUS {g}Sicily 15 37 200 km ASC COUNT 1
GEORADIUS {g}Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS {g}Sicily 15 37 400 km
GEORADIUS {g}Sicily 15 37 400 km ASC WITHDIST
GEORADIUS {g}Sicily 15 37 40000 km DESC WITHDIST
GEORADIUS {g}Sicily 15 37 0 km
GEORADIUS {g}Sicily 15 37 -1 km
GEORADIUS {g}Sicily 15 37 x km
GEORADIUS {g}Sicily 15 37 1 parsec
GEORADIUS {g}Sicily 15 37 200 km COUNT 0
GEORADIUS {g}Sicily 15 37 200 km COUNT x
GEORADIUS {g}Sicily 15 37 200 km ANY
GEORADIUS {g}Sicily 15 37 200 km BOGUS
GEORADIUS {g}Sicily 15 37 200 km STORE {g}dst WITHDIST
GEORADIUS {g}Sicily 15 37 200 km STORE {g}dst
ZRANGE {g}dst 0 -1 WITHSCORES
GEORADIUS {g}Sicily 15 37 200 km STOREDIST {g}dst2
# Distances come from Go's sin, cos and asin, which can differ from
# glibc's in the last bit: a stored distance may differ in its 17th digit
# (190.44242984775781 here, Redis 190.44242984775784), so only the order
# is compared; WITHDIST's 4 decimals match.
ZRANGE {g}dst2 0 -1
GEORADIUS {g}Sicily 15 37 1 m STORE {g}dst2
EXISTS {g}dst2
GEORADIUS {g}missing 15 37 200 km
GEORADIUS {g}missing 15 37 200 km STORE {g}dst
EXISTS {g}dst
GEORADIUS_RO {g}Sicily 15 37 200 km WITHDIST ASC
GEORADIUS_RO {g}Sicily 15 37 200 km STORE {g}dst
GEORADIUSBYMEMBER {g}Sicily Palermo 200 km WITHDIST ASC
GEORADIUSBYMEMBER {g}Sicily nobody 200 km
GEORADIUSBYMEMBER {g}missing nobody 200 km
GEORADIUSBYMEMBER_RO {g}Sicily Catania 300 km DESC WITHCOORD
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST
GEOSEARCH {g}Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHDIST
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYBOX 10 10 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km BYBOX 1 1 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
GEOSEARCH {g}Sicily BYRADIUS 200 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 ASC
GEOSEARCH {g}Sicily FROMMEMBER nobody BYRADIUS 1 km
GEOSEARCH {g}missing FROMMEMBER nobody BYRADIUS 1 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYBOX x 1 km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYBOX 1 x km
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE {g}d
GEOSEARCH {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2 ANY
GEOSEARCHSTORE {g}out {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE {g}out 0 -1 WITHSCORES
GEOSEARCHSTORE {g}out {g}Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 2 DESC
ZRANGE {g}out 0 -1 WITHSCORES
GEOSEARCHSTORE {g}out {g}Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE {g}out {g}missing FROMLONLAT 15 37 BYRADIUS 200 km
EXISTS {g}out
`},
	{"geo-resp3", `
@resp3
GEOADD {g}pts 2.349014 48.864716 Paris -0.118092 51.509865 London 13.404954 52.520008 Berlin
GEOPOS {g}pts Paris nobody
GEODIST {g}pts Paris London km
GEOSEARCH {g}pts FROMMEMBER Paris BYRADIUS 1000 km ASC WITHCOORD WITHDIST WITHHASH
GEORADIUS {g}pts 0 50 2000 km DESC
GEOSEARCH {g}pts FROMLONLAT 179.9 85 BYRADIUS 5000 km
GEOSEARCH {g}pts FROMLONLAT -179.9 -85 BYBOX 40000 40000 km ASC
GEOSEARCH {g}pts FROMLONLAT 0 0 BYRADIUS 20000 km ASC WITHDIST
`},
}

// geoGridScript puts points on a grid around a centre so that unsorted
// searches (and COUNT ... ANY, which stops early) return members from
// several geohash boxes: their order is the order Redis visits the boxes.
func geoGridScript() diffScript {
	var add strings.Builder
	add.WriteString("GEOADD {g}grid")
	for i := -10; i <= 10; i++ {
		for j := -10; j <= 10; j++ {
			fmt.Fprintf(&add, " %.4f %.4f p%d_%d", 15+float64(i)*0.01, 37+float64(j)*0.01, i, j)
		}
	}
	var b strings.Builder
	b.WriteString(add.String() + "\n")
	for _, r := range []string{"1", "3", "7", "15", "40"} {
		fmt.Fprintf(&b, "GEORADIUS {g}grid 15.01 37.02 %s km\n", r)
		fmt.Fprintf(&b, "GEOSEARCH {g}grid FROMLONLAT 14.97 36.99 BYBOX %s %s km\n", r, r)
		fmt.Fprintf(&b, "GEOSEARCH {g}grid FROMMEMBER p3_-4 BYRADIUS %s km COUNT 5 ANY\n", r)
		fmt.Fprintf(&b, "GEORADIUS {g}grid 15.01 37.02 %s km COUNT 4 DESC WITHDIST\n", r)
	}
	return diffScript{"geo-grid", b.String()}
}

func TestDiffGeo(t *testing.T) { runDiffScripts(t, append(geoDiffScripts, geoGridScript()), false) }
