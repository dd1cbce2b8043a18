package engine

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"

	"github.com/cockroachdb/pebble/v2"

	"github.com/neokv/neokv/resp"
)

// Transactions (MULTI/EXEC/WATCH) within one Region.
//
// The front end queues a transaction's commands and proposes them as one
// internal "exec" command of one Raft entry, so they apply atomically and
// in order on every replica:
//
//	exec nwatch (key digest)*nwatch cmd*
//
// where each cmd is one command in the entry's per-command encoding. WATCH
// records a digest of each watched key (neokv.digest, a read that follows
// the normal read path, so it sees every acknowledged write); EXEC aborts,
// replying a null array, if any digest differs at apply time. The digest
// covers the key's liveness, metadata and every sub-key, so any change to
// the key — including by expiry — aborts the transaction.

func txnCommands() []*Command {
	return []*Command{
		{Name: "neokv.digest", Arity: 2, Flags: FlagReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: "transactions",
			Summary: "NeoKV internal: digest of a key's value, for WATCH", ACL: []string{"@read", "@transaction"}, Exec: execDigest},
	}
}

func execDigest(c *Ctx, argv [][]byte) {
	d, ok := c.digest(argv[1])
	if !ok {
		return
	}
	c.W.Bulk(d)
}

// digest hashes everything a key holds, as of the Ctx's reader and clock.
func (c *Ctx) digest(key []byte) ([]byte, bool) {
	r, ok := c.lookup(key)
	if !ok {
		return nil, false
	}
	defer r.release()
	h := fnv.New128a()
	if !r.live {
		return h.Sum([]byte{0}), true
	}
	c.metaBuf = r.m.appendEncoded(c.metaBuf[:0])
	_, _ = h.Write(c.metaBuf)
	if r.m.typ != TypeString {
		start := appendSubPrefix(nil, r.slot, r.key, r.m.version)
		it, err := c.r.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: prefixEndKey(start)})
		if err != nil {
			c.fail(fmt.Errorf("digest %q: %w", key, err))
			return nil, false
		}
		var n [4]byte
		for it.First(); it.Valid(); it.Next() {
			binary.BigEndian.PutUint32(n[:], uint32(len(it.Key())))
			_, _ = h.Write(n[:])
			_, _ = h.Write(it.Key()[len(start):])
			_, _ = h.Write(it.Value())
		}
		if err := it.Close(); err != nil {
			c.fail(fmt.Errorf("digest %q: %w", key, err))
			return nil, false
		}
	}
	return h.Sum([]byte{1}), true
}

// applyExec runs a transaction (see above) with reply into c.W.
func (a *Applier) applyExec(argv [][]byte) error {
	c := &a.ctx
	w := c.W
	if len(argv) < 2 {
		w.Error(ErrSyntax)
		return nil
	}
	nw, ok := resp.ParseInt(argv[1])
	if !ok || nw < 0 || int(2+2*nw) > len(argv) {
		w.Error(ErrSyntax)
		return nil
	}
	cmds := argv[2+2*nw:]
	for i := 0; i < int(nw); i++ {
		key, want := argv[2+2*i], argv[3+2*i]
		got, ok := c.digest(key)
		if !ok {
			return c.err
		}
		if string(got) != string(want) {
			w.NullArray()
			return nil
		}
	}
	w.Array(len(cmds))
	for _, enc := range cmds {
		err := EachCommandIn(enc, func(kind byte, sub [][]byte) error {
			if len(sub) == 0 {
				w.Error("ERR empty command")
				return nil
			}
			cmd := a.cmds[string(sub[0])]
			if kind != KindClient || cmd == nil {
				w.Error("ERR unknown command '" + string(sub[0]) + "'")
				return nil
			}
			c.name = cmd.Name
			cmd.Exec(c, sub)
			return c.err
		})
		if err != nil {
			return err
		}
	}
	return nil
}
