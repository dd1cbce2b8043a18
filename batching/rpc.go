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
// It copies the messages: the transport reuses msgs for its next frame.
func (s *Store) receive(from uint64, msgs []RegionMessage) {
	s.handOffMsgs(func(in []regionMsg) []regionMsg {
		for i := range msgs {
			if r := s.byID[msgs[i].Region]; r != nil {
				in = append(in, regionMsg{region: r, m: msgs[i].Msg})
			}
		}
		return in
	})
}
