package batching

import "io"

// receiveSnapshot accepts a snapshot stream from a peer.
// TODO(cluster): stage the data and step MsgSnap.
func (s *Store) receiveSnapshot(from uint64, r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}

// handleRPC answers a peer's request (meta, admin).
func (s *Store) handleRPC(from uint64, req []byte) []byte {
	if h := s.rpcHandler.Load(); h != nil {
		return (*h)(from, req)
	}
	return nil
}

// SetRPCHandler installs the handler of requests from peer stores.
func (s *Store) SetRPCHandler(h func(from uint64, req []byte) []byte) { s.rpcHandler.Store(&h) }
