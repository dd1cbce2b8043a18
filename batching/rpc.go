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
	s.mu.Lock()
	n := len(s.inMsgs)
	for i := range msgs {
		if r := s.byID[msgs[i].Region]; r != nil {
			s.inMsgs = append(s.inMsgs, regionMsg{region: r, m: msgs[i].Msg})
		}
	}
	added := len(s.inMsgs) > n
	s.mu.Unlock()
	if added {
		s.notify()
	}
}
