package engine

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// copyCollection copies every sub-key of src under dst's key with a fresh
// version, and writes dst's metadata. The version is derived from both keys'
// versions, so it is the same on every replica.
func (c *Ctx) copyCollection(src, dst *rec, at int64) bool {
	version := src.m.version + 1
	if dst.physical && dst.m.version >= version {
		version = dst.m.version + 1
	}
	from := appendSubPrefix(nil, src.slot, src.key, src.m.version)
	to := appendSubPrefix(nil, dst.slot, dst.key, version)
	it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: from, UpperBound: prefixEndKey(from)})
	if err != nil {
		c.fail(fmt.Errorf("copy %q: %w", src.key, err))
		return false
	}
	var k []byte
	for it.First(); it.Valid(); it.Next() {
		k = append(append(k[:0], to...), it.Key()[len(from):]...)
		c.setErr(c.b.Set(k, it.Value(), nil))
	}
	if err := it.Close(); err != nil {
		c.fail(fmt.Errorf("copy %q: %w", src.key, err))
		return false
	}
	m := src.m
	m.version = version
	m.expireAt = at
	c.putMeta(dst, &m)
	dst.m, dst.physical, dst.live = m, true, true
	return true
}
