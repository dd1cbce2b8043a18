package bench

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// slotMap is the routing table read from CLUSTER SLOTS.
type slotMap struct {
	mu       sync.RWMutex
	owner    [slots.Count]string
	seed     string
	password string
	loading  bool
}

func loadSlots(seed, password string) (*slotMap, error) {
	m := &slotMap{seed: seed, password: password}
	if err := m.refresh(seed); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *slotMap) addrFor(slot uint16) string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if a := m.owner[slot]; a != "" {
		return a
	}
	return m.seed
}

func (m *slotMap) set(slot uint16, addr string) {
	m.mu.Lock()
	m.owner[slot] = addr
	m.mu.Unlock()
}

// refresh reloads the table from addr.
func (m *slotMap) refresh(addr string) error {
	c, err := dial(addr, m.password)
	if err != nil {
		return err
	}
	defer c.close()
	c.out = appendCommand(c.out[:0], [][]byte{[]byte("CLUSTER"), []byte("SLOTS")})
	if err := c.flush(); err != nil {
		return err
	}
	raw, err := c.readRaw()
	if err != nil {
		return fmt.Errorf("CLUSTER SLOTS: %w", err)
	}
	if len(raw) > 0 && raw[0] == '-' {
		return fmt.Errorf("CLUSTER SLOTS: %s", raw[1:len(raw)-2])
	}
	ranges, ok := resp.ArrayElems(raw, nil)
	if !ok {
		return fmt.Errorf("CLUSTER SLOTS: unexpected reply %q", raw)
	}
	var owner [slots.Count]string
	for _, r := range ranges {
		f, ok := resp.ArrayElems(r, nil)
		if !ok || len(f) < 3 {
			return fmt.Errorf("CLUSTER SLOTS: bad range %q", r)
		}
		lo, ok1 := resp.IntValue(f[0])
		hi, ok2 := resp.IntValue(f[1])
		node, ok3 := resp.ArrayElems(f[2], nil)
		if !ok1 || !ok2 || !ok3 || len(node) < 2 || lo < 0 || hi >= slots.Count {
			return fmt.Errorf("CLUSTER SLOTS: bad range %q", r)
		}
		host := bulkString(node[0])
		port, _ := resp.IntValue(node[1])
		a := host + ":" + strconv.FormatInt(port, 10)
		for s := lo; s <= hi; s++ {
			owner[s] = a
		}
	}
	m.mu.Lock()
	m.owner = owner
	m.mu.Unlock()
	return nil
}

// refreshLater reloads the table in the background after a MOVED, once at a time.
func (m *slotMap) refreshLater() {
	m.mu.Lock()
	if m.loading {
		m.mu.Unlock()
		return
	}
	m.loading = true
	m.mu.Unlock()
	go func() {
		defer func() { m.mu.Lock(); m.loading = false; m.mu.Unlock() }()
		time.Sleep(50 * time.Millisecond)
		_ = m.refresh(m.seed)
	}()
}

func bulkString(b []byte) string {
	if len(b) < 4 || b[0] != '$' {
		return ""
	}
	for i := 1; i < len(b); i++ {
		if b[i] == '\n' {
			return string(b[i+1 : len(b)-2])
		}
	}
	return ""
}

// runCluster routes every request by its key's slot to that slot's node;
// a pipeline spans nodes, replies are read back per node in order.
func (w *worker) runCluster() error {
	cfg := w.sh.cfg
	conns := map[string]*conn{}
	defer func() {
		for _, c := range conns {
			c.close()
		}
	}()
	get := func(addr string) (*conn, error) {
		if c := conns[addr]; c != nil {
			return c, nil
		}
		c, err := dial(addr, cfg.Password)
		if err != nil {
			return nil, err
		}
		conns[addr] = c
		return c, nil
	}
	type pending struct {
		c    *conn
		pick int
		req  []byte
	}
	reqs := make([]pending, cfg.Pipeline)
	var order []*conn
	for {
		n := w.sh.take(cfg.Pipeline)
		if n == 0 {
			return nil
		}
		order = order[:0]
		for i := 0; i < n; i++ {
			p := w.sh.pick(w.rng)
			req, key := w.enc.request(nil, &w.sh.templates[p])
			addr := w.sh.slots.seed
			if key != nil {
				addr = w.sh.slots.addrFor(slots.Of(key))
			}
			c, err := get(addr)
			if err != nil {
				return err
			}
			c.out = append(c.out, req...)
			reqs[i] = pending{c: c, pick: p, req: req}
		}
		start := time.Now()
		for _, c := range conns {
			if len(c.out) > 0 {
				if err := c.flush(); err != nil {
					return fmt.Errorf("write %s: %w", c.addr, err)
				}
			}
		}
		replies := make([]reply, n)
		for i := 0; i < n; i++ {
			rep, err := reqs[i].c.readReply()
			if err != nil {
				return fmt.Errorf("read %s: %w", reqs[i].c.addr, err)
			}
			replies[i] = rep
		}
		// Redirected requests are re-sent once every pipelined reply has
		// been read, so no connection has replies outstanding meanwhile.
		for i := 0; i < n; i++ {
			rep := replies[i]
			for hops := 0; rep.err != "" && hops < 5; hops++ {
				ask, slot, addr, ok := redirect(rep.err)
				if !ok {
					break
				}
				w.sh.redirects.Add(1)
				if !ask {
					w.sh.slots.set(uint16(slot), addr)
					w.sh.slots.refreshLater()
				}
				var err error
				if rep, err = w.resend(get, addr, ask, reqs[i].req); err != nil {
					return err
				}
			}
			now := time.Now()
			w.sh.record(w.hists[reqs[i].pick], now.Sub(start), rep.err, now)
		}
	}
}

// resend sends one request to addr (after ASKING for an ASK redirect) and
// waits for its reply. Earlier replies on that connection were already read.
func (w *worker) resend(get func(string) (*conn, error), addr string, ask bool, req []byte) (reply, error) {
	c, err := get(addr)
	if err != nil {
		return reply{}, err
	}
	if ask {
		c.out = appendCommand(c.out, [][]byte{[]byte("ASKING")})
	}
	c.out = append(c.out, req...)
	if err := c.flush(); err != nil {
		return reply{}, err
	}
	if ask {
		if _, err := c.readReply(); err != nil {
			return reply{}, err
		}
	}
	return c.readReply()
}
