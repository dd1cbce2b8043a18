package batching

// handleRPC answers a peer's request (meta, admin).
func (s *Store) handleRPC(from uint64, req []byte) []byte {
	if h := s.rpcHandler.Load(); h != nil {
		return (*h)(from, req)
	}
	return nil
}

// SetRPCHandler installs the handler of requests from peer stores.
func (s *Store) SetRPCHandler(h func(from uint64, req []byte) []byte) { s.rpcHandler.Store(&h) }

// receive delivers messages from a peer store to their Regions.
func (s *Store) receive(from uint64, msgs []RegionMessage) {
	out := make([]regionMsg, 0, len(msgs))
	for _, m := range msgs {
		r := s.byID[m.Region]
		if r == nil {
			continue
		}
		out = append(out, regionMsg{region: r, m: m.Msg})
	}
	s.deliver(out)
}
