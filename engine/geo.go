package engine

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// Geo commands over sorted sets, after Redis 7.0's geo.c, geohash.c and
// geohash_helper.c: a member's score is its 52-bit interleaved geohash, so
// GEOADD is ZADD and a search walks the score ranges of the geohash box
// around the centre and its eight neighbours, in Redis's order, keeping
// what lies inside the shape. Replies use Redis's number formats (17
// decimals, trailing zeros cut, for coordinates; 4 for distances).

const (
	geoStepMax    = 26
	geoLatMin     = -85.05112878
	geoLatMax     = 85.05112878
	geoLongMin    = -180.0
	geoLongMax    = 180.0
	mercatorMax   = 20037726.37
	earthRadiusM  = 6372797.560856
	errGeoMember  = "ERR could not decode requested zset member"
	errGeoUnit    = "ERR unsupported unit provided. please use M, KM, FT, MI"
	geoBase32     = "0123456789bcdefghjkmnpqrstuvwxyz"
	geoShapeRound = 0
	geoShapeBox   = 1
)

func geoCommands() []*Command {
	w, r, d := FlagWrite, FlagReadOnly, FlagDenyOOM
	g := func(name string, arity int, flags Flags, since, summary string, acl []string, exec func(*Ctx, [][]byte)) *Command {
		return &Command{Name: name, Arity: arity, Flags: flags, FirstKey: 1, LastKey: 1, Step: 1, Group: "geo",
			Since: since, Summary: summary, ACL: acl, Exec: exec}
	}
	rs := []string{"@read", "@geo", "@slow"}
	ws := []string{"@write", "@geo", "@slow"}
	storeKeys := func(argv [][]byte) []int {
		keys := []int{1}
		for i := 2; i+1 < len(argv); i++ {
			if eqFold(argv[i], "store") || eqFold(argv[i], "storedist") {
				keys = append(keys, i+1)
			}
		}
		return keys
	}
	georadius := g("georadius", -6, w|d|FlagSameSlotKeys, "3.2.0", "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", ws,
		func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 1, geoByCoords) })
	georadius.KeysFunc = storeKeys
	byMember := g("georadiusbymember", -5, w|d|FlagSameSlotKeys, "3.2.0", "Queries a geospatial index for members within a distance from a member, optionally stores the result.", ws,
		func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 1, geoByMember) })
	byMember.KeysFunc = storeKeys
	store := g("geosearchstore", -8, w|d|FlagSameSlotKeys, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", ws,
		func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 2, geoSearchCmd|geoSearchStore) })
	store.LastKey = 2
	return []*Command{
		g("geoadd", -5, w|d, "3.2.0", "Adds one or more members to a geospatial index. The key is created if it doesn't exist.", []string{"@write", "@geo", "@slow"}, execGeoAdd),
		g("geopos", -2, r, "3.2.0", "Returns the longitude and latitude of members from a geospatial index.", rs, execGeoPos),
		g("geodist", -4, r, "3.2.0", "Returns the distance between two members of a geospatial index.", rs, execGeoDist),
		g("geohash", -2, r, "3.2.0", "Returns members from a geospatial index as geohash strings.", rs, execGeoHash),
		georadius, byMember,
		g("georadius_ro", -6, r, "3.2.10", "Returns members from a geospatial index that are within a distance from a coordinate.", rs,
			func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 1, geoByCoords|geoNoStore) }),
		g("georadiusbymember_ro", -5, r, "3.2.10", "Returns members from a geospatial index that are within a distance from a member.", rs,
			func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 1, geoByMember|geoNoStore) }),
		g("geosearch", -7, r, "6.2.0", "Queries a geospatial index for members inside an area of a box or a circle.", rs,
			func(c *Ctx, argv [][]byte) { geoSearch(c, argv, 1, geoSearchCmd) }),
		store,
	}
}

// interleave64 spreads x over the even bits and y over the odd ones.
func interleave64(xlo, ylo uint32) uint64 {
	b := [5]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	s := [5]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<s[i]) & b[i]
		y = (y | y<<s[i]) & b[i]
	}
	return x | y<<1
}

// deinterleave64 undoes interleave64: x in the low 32 bits, y in the high.
func deinterleave64(v uint64) uint64 {
	b := [6]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	s := [6]uint{0, 1, 2, 4, 8, 16}
	x, y := v, v>>1
	x &= b[0]
	y &= b[0]
	for i := 1; i < 6; i++ {
		x = (x | x>>s[i]) & b[i]
		y = (y | y>>s[i]) & b[i]
	}
	return x | y<<32
}

type geoRange struct{ min, max float64 }

type geoHash struct {
	bits uint64
	step uint
}

type geoArea struct {
	hash     geoHash
	lon, lat geoRange
}

var (
	geoLongRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange  = geoRange{geoLatMin, geoLatMax}
)

// geohashEncode is Redis's geohashEncode; false outside the ranges.
func geohashEncode(lonR, latR geoRange, lon, lat float64, step uint) (geoHash, bool) {
	if lon > 180 || lon < -180 || lat > geoLatMax || lat < geoLatMin {
		return geoHash{}, false
	}
	if lat < latR.min || lat > latR.max || lon < lonR.min || lon > lonR.max {
		return geoHash{}, false
	}
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	latOff *= float64(uint64(1) << step)
	lonOff *= float64(uint64(1) << step)
	return geoHash{bits: interleave64(uint32(latOff), uint32(lonOff)), step: step}, true
}

func geohashDecode(lonR, latR geoRange, h geoHash) geoArea {
	sep := deinterleave64(h.bits)
	latScale, lonScale := latR.max-latR.min, lonR.max-lonR.min
	ilat, ilon := uint32(sep), uint32(sep>>32)
	div := float64(uint64(1) << h.step)
	return geoArea{
		hash: h,
		lat: geoRange{latR.min + (float64(ilat)*1.0/div)*latScale,
			latR.min + ((float64(ilat)+1)*1.0/div)*latScale},
		lon: geoRange{lonR.min + (float64(ilon)*1.0/div)*lonScale,
			lonR.min + ((float64(ilon)+1)*1.0/div)*lonScale},
	}
}

// geoDecodeScore turns a member's score back into its longitude and
// latitude (the centre of its 52-bit box).
func geoDecodeScore(score float64) (lon, lat float64) {
	a := geohashDecode(geoLongRange, geoLatRange, geoHash{bits: uint64(score), step: geoStepMax})
	lon = (a.lon.min + a.lon.max) / 2
	lon = math.Min(math.Max(lon, geoLongMin), geoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = math.Min(math.Max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

func geoAlign52(h geoHash) uint64 { return h.bits << (52 - h.step*2) }

// geoMoveX and geoMoveY step a hash one box east/west or north/south
// (Redis's geohash_move_x/_y): add or subtract one in the interleaved
// bits of one coordinate, keeping the other's.
func geoMoveX(h *geoHash, d int) { geoMove(h, d, 0xaaaaaaaaaaaaaaaa, 0x5555555555555555) }
func geoMoveY(h *geoHash, d int) { geoMove(h, d, 0x5555555555555555, 0xaaaaaaaaaaaaaaaa) }

func geoMove(h *geoHash, d int, moving, other uint64) {
	if d == 0 {
		return
	}
	x := h.bits & moving
	y := h.bits & other
	zz := other >> (64 - h.step*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= moving >> (64 - h.step*2)
	h.bits = x | y
}

func degRad(d float64) float64 { return d * (math.Pi / 180.0) }
func radDeg(r float64) float64 { return r / (math.Pi / 180.0) }

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadiusM * math.Abs(degRad(lat2)-degRad(lat1))
}

// geoDistance is Redis's haversine (geohashGetDistance).
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := degRad(lon1), degRad(lon2)
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r, lat2r := degRad(lat1), degRad(lat2)
	u := math.Sin((lat2r - lat1r) / 2)
	a := u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v
	return 2.0 * earthRadiusM * math.Asin(math.Sqrt(a))
}

// geoShape is a search area: a circle (radius) or a box (width, height),
// in the unit conversion says, around lon/lat.
type geoShape struct {
	kind                  int
	lon, lat              float64
	conversion            float64
	radius, width, height float64
}

// within reports whether a point is in the shape and its distance.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if s.kind == geoShapeRound {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= s.radius*s.conversion
	}
	w, h := s.width*s.conversion, s.height*s.conversion
	if geoLatDistance(lat, s.lat) > h/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > w/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

func geoEstimateSteps(rangeM, lat float64) uint {
	if rangeM == 0 {
		return 26
	}
	step := 1
	for rangeM < mercatorMax {
		rangeM *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	step = max(1, min(26, step))
	return uint(step)
}

// geoBoxes is Redis's geohashCalculateAreasByShapeWGS84: the centre box
// and its neighbours (north, south, east, west, north-east, north-west,
// south-east, south-west; zero where not needed), in that order.
func geoBoxes(s *geoShape) [9]geoHash {
	height := s.conversion * s.height / 2
	width := s.conversion * s.width / 2
	if s.kind == geoShapeRound {
		height, width = s.conversion*s.radius, s.conversion*s.radius
	}
	latDelta := radDeg(height / earthRadiusM)
	lonDeltaTop := radDeg(width / earthRadiusM / math.Cos(degRad(s.lat+latDelta)))
	lonDeltaBottom := radDeg(width / earthRadiusM / math.Cos(degRad(s.lat-latDelta)))
	minLon, maxLon := s.lon-lonDeltaTop, s.lon+lonDeltaTop
	if s.lat < 0 {
		minLon, maxLon = s.lon-lonDeltaBottom, s.lon+lonDeltaBottom
	}
	minLat, maxLat := s.lat-latDelta, s.lat+latDelta
	radiusM := s.radius
	if s.kind == geoShapeBox {
		radiusM = math.Sqrt((s.width/2)*(s.width/2) + (s.height/2)*(s.height/2))
	}
	radiusM *= s.conversion
	steps := geoEstimateSteps(radiusM, s.lat)
	var hash geoHash
	var n [8]geoHash // north, south, east, west, ne, nw, se, sw
	var area geoArea
	compute := func() {
		hash, _ = geohashEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
		moves := [8][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
		for i, mv := range moves {
			n[i] = hash
			geoMoveX(&n[i], mv[0])
			geoMoveY(&n[i], mv[1])
		}
		area = geohashDecode(geoLongRange, geoLatRange, hash)
	}
	compute()
	north := geohashDecode(geoLongRange, geoLatRange, n[0])
	south := geohashDecode(geoLongRange, geoLatRange, n[1])
	east := geohashDecode(geoLongRange, geoLatRange, n[2])
	west := geohashDecode(geoLongRange, geoLatRange, n[3])
	decrease := north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon
	if steps > 1 && decrease {
		steps--
		compute()
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			n[1], n[7], n[6] = geoHash{}, geoHash{}, geoHash{} // south, south-west, south-east
		}
		if area.lat.max > maxLat {
			n[0], n[4], n[5] = geoHash{}, geoHash{}, geoHash{} // north, north-east, north-west
		}
		if area.lon.min < minLon {
			n[3], n[7], n[5] = geoHash{}, geoHash{}, geoHash{} // west, south-west, north-west
		}
		if area.lon.max > maxLon {
			n[2], n[6], n[4] = geoHash{}, geoHash{}, geoHash{} // east, south-east, north-east
		}
	}
	return [9]geoHash{hash, n[0], n[1], n[2], n[3], n[4], n[5], n[6], n[7]}
}

// geoPoint is a search result.
type geoPoint struct {
	member   []byte
	score    float64
	dist     float64
	lon, lat float64
}

// geoFormatCoord is addReplyHumanLongDouble's text: 17 decimals, trailing
// zeros (and a trailing point) cut.
func geoFormatCoord(f float64) []byte {
	b := strconv.AppendFloat(nil, f, 'f', 17, 64)
	if i := strings.IndexByte(string(b), '.'); i >= 0 {
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
		if b[len(b)-1] == '.' {
			b = b[:len(b)-1]
		}
	}
	if string(b) == "-0" {
		b = []byte("0")
	}
	return b
}

func (c *Ctx) writeCoord(f float64) {
	b := geoFormatCoord(f)
	if c.W.RESP3 {
		c.W.B = append(append(append(c.W.B, ','), b...), '\r', '\n')
		return
	}
	c.W.Bulk(b)
}

func (c *Ctx) writeDistance(d float64) { c.W.Bulk(strconv.AppendFloat(nil, d, 'f', 4, 64)) }

// geoParseLonLat is extractLongLatOrReply.
func (c *Ctx) geoParseLonLat(lonB, latB []byte) (lon, lat float64, ok bool) {
	if lon, ok = lzParseDouble(lonB); !ok {
		c.W.Error(ErrNotFloat)
		return 0, 0, false
	}
	if lat, ok = lzParseDouble(latB); !ok {
		c.W.Error(ErrNotFloat)
		return 0, 0, false
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		c.W.Error("ERR invalid longitude,latitude pair " + cFormatF(lon) + "," + cFormatF(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// cFormatF is C's "%f".
func cFormatF(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

func (c *Ctx) geoParseUnit(u []byte) (float64, bool) {
	switch strings.ToLower(string(u)) {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "mi":
		return 1609.34, true
	}
	c.W.Error(errGeoUnit)
	return 0, false
}

func execGeoAdd(c *Ctx, argv [][]byte) {
	longIdx := 2
	var nx, xx bool
	for ; longIdx < len(argv); longIdx++ {
		switch {
		case eqFold(argv[longIdx], "nx"):
			nx = true
		case eqFold(argv[longIdx], "xx"):
			xx = true
		case eqFold(argv[longIdx], "ch"):
		default:
			goto parsed
		}
	}
parsed:
	if (len(argv)-longIdx)%3 != 0 || (xx && nx) {
		c.W.Error(ErrSyntax)
		return
	}
	zargv := append([][]byte{[]byte("zadd")}, argv[1:longIdx]...)
	for i := longIdx; i < len(argv); i += 3 {
		lon, lat, ok := c.geoParseLonLat(argv[i], argv[i+1])
		if !ok {
			return
		}
		h, _ := geohashEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
		zargv = append(zargv, strconv.AppendUint(nil, geoAlign52(h), 10), argv[i+2])
	}
	execZAdd(c, zargv)
}

// geoScore is a member's score, if it has one.
type geoScore struct {
	score float64
	found bool
}

// geoScores reads the scores of members of the sorted set at key (found
// false for a member or key that is absent); ok false: an error was
// replied.
func (c *Ctx) geoScores(key []byte, members [][]byte) ([]geoScore, bool) {
	recs, v, done, ok := c.lzZOpen([][]byte{key})
	if !ok {
		return nil, false
	}
	defer done()
	out := make([]geoScore, len(members))
	if !recs[0].live {
		return out, true
	}
	z := lzZsetOf(&recs[0])
	for i, m := range members {
		out[i].score, out[i].found = z.score(v, m)
	}
	return out, true
}

func execGeoPos(c *Ctx, argv [][]byte) {
	out, ok := c.geoScores(argv[1], argv[2:])
	if !ok {
		return
	}
	c.W.Array(len(out))
	for _, r := range out {
		if !r.found {
			c.W.NullArray()
			continue
		}
		lon, lat := geoDecodeScore(r.score)
		c.W.Array(2)
		c.writeCoord(lon)
		c.writeCoord(lat)
	}
}

func execGeoDist(c *Ctx, argv [][]byte) {
	conv := 1.0
	switch {
	case len(argv) == 5:
		var ok bool
		if conv, ok = c.geoParseUnit(argv[4]); !ok {
			return
		}
	case len(argv) > 5:
		c.W.Error(ErrSyntax)
		return
	}
	out, ok := c.geoScores(argv[1], argv[2:4])
	if !ok {
		return
	}
	if !out[0].found || !out[1].found {
		c.W.Null()
		return
	}
	lon1, lat1 := geoDecodeScore(out[0].score)
	lon2, lat2 := geoDecodeScore(out[1].score)
	c.writeDistance(geoDistance(lon1, lat1, lon2, lat2) / conv)
}

func execGeoHash(c *Ctx, argv [][]byte) {
	out, ok := c.geoScores(argv[1], argv[2:])
	if !ok {
		return
	}
	c.W.Array(len(out))
	for _, r := range out {
		if !r.found {
			c.W.Null()
			continue
		}
		lon, lat := geoDecodeScore(r.score)
		h, _ := geohashEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, 26)
		var buf [11]byte
		for i := 0; i < 11; i++ {
			idx := 0
			if i < 10 {
				idx = int(h.bits>>(52-uint((i+1)*5))) & 0x1f
			}
			buf[i] = geoBase32[idx]
		}
		c.W.Bulk(buf[:])
	}
}

// Search flags (Redis's RADIUS_* and GEOSEARCH*).
const (
	geoByCoords = 1 << iota
	geoByMember
	geoNoStore
	geoSearchCmd
	geoSearchStore
)

// geoSearch is Redis's georadiusGeneric for GEORADIUS, GEORADIUSBYMEMBER,
// their _RO forms, GEOSEARCH and GEOSEARCHSTORE; srcIdx is the source
// key's position.
func geoSearch(c *Ctx, argv [][]byte, srcIdx int, flags int) {
	recs, v, done, ok := c.lzZOpen([][]byte{argv[srcIdx]})
	if !ok {
		return
	}
	defer done()
	var z *lzZset
	if recs[0].live {
		z = lzZsetOf(&recs[0])
	}
	memberPos := func(m []byte) (lon, lat float64, ok bool) {
		s, found := z.score(v, m)
		if !found {
			c.W.Error(errGeoMember)
			return 0, 0, false
		}
		lon, lat = geoDecodeScore(s)
		return lon, lat, true
	}
	parseRadius := func(rb, ub []byte, s *geoShape) bool {
		r, ok := lzParseDouble(rb)
		if !ok {
			c.W.Error("ERR need numeric radius")
			return false
		}
		if r < 0 {
			c.W.Error("ERR radius cannot be negative")
			return false
		}
		s.radius = r
		s.conversion, ok = c.geoParseUnit(ub)
		return ok
	}
	var shape geoShape
	var storeKey []byte
	storeDist := false
	base := 0
	switch {
	case flags&geoByCoords != 0:
		base = 6
		var ok bool
		if shape.lon, shape.lat, ok = c.geoParseLonLat(argv[2], argv[3]); !ok {
			return
		}
		if !parseRadius(argv[4], argv[5], &shape) {
			return
		}
	case flags&geoByMember != 0 && z == nil:
		base = 5
	case flags&geoByMember != 0:
		base = 5
		var ok bool
		if shape.lon, shape.lat, ok = memberPos(argv[2]); !ok {
			return
		}
		if !parseRadius(argv[3], argv[4], &shape) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = argv[1]
		}
	}
	var withDist, withHash, withCoord, fromMember, fromLoc, byRadius, byBox, any bool
	sortDir := 0 // 1 asc, -1 desc
	var count int64
	rest := argv[base:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		more := len(rest) - i - 1
		search := flags&geoSearchCmd != 0
		canStore := flags&geoNoStore == 0 && !search
		switch {
		case eqFold(arg, "withdist"):
			withDist = true
		case eqFold(arg, "withhash"):
			withHash = true
		case eqFold(arg, "withcoord"):
			withCoord = true
		case eqFold(arg, "any"):
			any = true
		case eqFold(arg, "asc"):
			sortDir = 1
		case eqFold(arg, "desc"):
			sortDir = -1
		case eqFold(arg, "count") && more >= 1:
			n, ok := c.parseInt(rest[i+1])
			if !ok {
				return
			}
			if n <= 0 {
				c.W.Error("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case eqFold(arg, "store") && more >= 1 && canStore:
			storeKey, storeDist = rest[i+1], false
			i++
		case eqFold(arg, "storedist") && more >= 1 && canStore:
			storeKey, storeDist = rest[i+1], true
			i++
		case eqFold(arg, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case eqFold(arg, "frommember") && more >= 1 && search && !fromLoc:
			if z != nil {
				var ok bool
				if shape.lon, shape.lat, ok = memberPos(rest[i+1]); !ok {
					return
				}
			}
			fromMember = true
			i++
		case eqFold(arg, "fromlonlat") && more >= 2 && search && !fromMember:
			var ok bool
			if shape.lon, shape.lat, ok = c.geoParseLonLat(rest[i+1], rest[i+2]); !ok {
				return
			}
			fromLoc = true
			i += 2
		case eqFold(arg, "byradius") && more >= 2 && search && !byBox:
			if !parseRadius(rest[i+1], rest[i+2], &shape) {
				return
			}
			shape.kind = geoShapeRound
			byRadius = true
			i += 2
		case eqFold(arg, "bybox") && more >= 3 && search && !byRadius:
			w, ok1 := lzParseDouble(rest[i+1])
			if !ok1 {
				c.W.Error("ERR need numeric width")
				return
			}
			h, ok2 := lzParseDouble(rest[i+2])
			if !ok2 {
				c.W.Error("ERR need numeric height")
				return
			}
			if h < 0 || w < 0 {
				c.W.Error("ERR height or width cannot be negative")
				return
			}
			shape.width, shape.height = w, h
			var ok bool
			if shape.conversion, ok = c.geoParseUnit(rest[i+3]); !ok {
				return
			}
			shape.kind = geoShapeBox
			byBox = true
			i += 3
		default:
			c.W.Error(ErrSyntax)
			return
		}
	}
	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.W.Error("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if flags&geoSearchCmd != 0 && !fromMember && !fromLoc {
		c.W.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(argv[0]))
		return
	}
	if flags&geoSearchCmd != 0 && !byRadius && !byBox {
		c.W.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(argv[0]))
		return
	}
	if any && count == 0 {
		c.W.Error("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			d, ok := c.lookup(storeKey)
			if !ok {
				return
			}
			c.deleteKey(&d)
			d.release()
			c.W.Int(0)
		} else {
			c.W.Array(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	limit := int64(0)
	if any {
		limit = count
	}
	var found []geoPoint
	boxes := geoBoxes(&shape)
	last := 0
	for i, b := range boxes {
		if b.bits == 0 && b.step == 0 {
			continue
		}
		if last != 0 && b == boxes[last] {
			continue // a huge radius makes neighbours repeat
		}
		if len(found) > 0 && limit > 0 && int64(len(found)) >= limit {
			break
		}
		min := float64(geoAlign52(b))
		next := b
		next.bits++
		rg := lzScoreRange{min: min, max: float64(geoAlign52(next)), maxex: true}
		lzZWalk(v, z, &rg, nil, false, 0, -1, func(e lzZEntry) bool {
			lon, lat := geoDecodeScore(e.score)
			if d, in := shape.within(lon, lat); in {
				found = append(found, geoPoint{member: copyBytes(e.member), score: e.score, dist: d, lon: lon, lat: lat})
			}
			return !(limit > 0 && int64(len(found)) >= limit)
		})
		last = i
	}
	if len(found) == 0 && storeKey == nil {
		c.W.Array(0)
		return
	}
	switch sortDir {
	case 1:
		sort.SliceStable(found, func(i, j int) bool { return found[i].dist < found[j].dist })
	case -1:
		sort.SliceStable(found, func(i, j int) bool { return found[i].dist > found[j].dist })
	}
	if count > 0 && int64(len(found)) > count {
		found = found[:count]
	}
	if storeKey != nil {
		entries := make([]lzZEntry, len(found))
		for i, p := range found {
			s := p.score
			if storeDist {
				s = p.dist / shape.conversion
			}
			entries[i] = lzZEntry{member: p.member, score: s}
		}
		event := "georadiusstore"
		if flags&geoSearchCmd != 0 {
			event = "geosearchstore"
		}
		c.lzZStore(storeKey, entries, event)
		return
	}
	opts := 0
	for _, on := range []bool{withDist, withHash, withCoord} {
		if on {
			opts++
		}
	}
	c.W.Array(len(found))
	for _, p := range found {
		if opts > 0 {
			c.W.Array(opts + 1)
		}
		c.W.Bulk(p.member)
		if withDist {
			c.writeDistance(p.dist / shape.conversion)
		}
		if withHash {
			c.W.Int(int64(p.score))
		}
		if withCoord {
			c.W.Array(2)
			c.writeCoord(p.lon)
			c.writeCoord(p.lat)
		}
	}
}
