package batching

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Frames of every size arrive whole and in order although the sender
// recycles frame buffers and the receiver reuses its frame and message
// buffers: what the handler kept of earlier frames must not change.
func TestTransportFramesSurviveBufferReuse(t *testing.T) {
	recv, err := NewTransport(TransportConfig{StoreID: 2, ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer recv.Close()
	var mu sync.Mutex
	var got []RegionMessage
	recv.start(&transportHandler{raft: func(from uint64, msgs []RegionMessage) {
		mu.Lock()
		got = append(got, msgs...)
		mu.Unlock()
	}})
	send, err := NewTransport(TransportConfig{StoreID: 1, ListenAddr: "127.0.0.1:0", Peers: map[uint64]string{2: recv.ln.Addr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	defer send.Close()
	send.start(&transportHandler{raft: func(uint64, []RegionMessage) {}})

	var want []RegionMessage
	for f := 0; f < 300; f++ {
		var frame []RegionMessage
		for i := 0; i <= f%17; i++ {
			size := (f*131 + i*977) % 3000
			if f%50 == 7 {
				size = 100 << 10 // beyond what is recycled
			}
			data := bytes.Repeat([]byte{byte('a' + (f+i)%26)}, size)
			frame = append(frame, RegionMessage{Region: uint64(f%5 + 1), Msg: raftpb.Message{
				Type: raftpb.MsgApp, To: 2, From: 1, Term: 3, Index: uint64(f*100 + i),
				Entries: []raftpb.Entry{{Term: 3, Index: uint64(f*100 + i + 1), Data: data}},
			}})
		}
		want = append(want, frame...)
		send.Send(2, frame)
		if f%40 == 0 {
			time.Sleep(time.Millisecond) // let some frames go out alone
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("received %d messages, sent %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Region != w.Region || g.Msg.Index != w.Msg.Index || len(g.Msg.Entries) != 1 ||
			!bytes.Equal(g.Msg.Entries[0].Data, w.Msg.Entries[0].Data) {
			t.Fatalf("message %d: got %s, want %s", i, describe(g), describe(w))
		}
	}
}

func describe(m RegionMessage) string {
	s := fmt.Sprintf("region %d index %d", m.Region, m.Msg.Index)
	for _, e := range m.Msg.Entries {
		s += fmt.Sprintf(" entry %d: %d bytes", e.Index, len(e.Data))
		if len(e.Data) > 0 {
			s += fmt.Sprintf(" of %q", e.Data[0])
		}
	}
	return s
}

// FuzzDecodeRaftFrame feeds arbitrary bytes to the decoder of a peer's
// Raft frames: it must never panic, and what it accepts must encode and
// decode again to the same messages.
func FuzzDecodeRaftFrame(f *testing.F) {
	seed, err := appendRaftFrame(nil, 1, []RegionMessage{
		{Region: 3, Msg: raftpb.Message{Type: raftpb.MsgApp, To: 2, From: 1, Term: 4, Index: 9, Commit: 8,
			Entries: []raftpb.Entry{{Term: 4, Index: 10, Data: []byte("set k v")}}}},
		{Region: 7, Msg: raftpb.Message{Type: raftpb.MsgHeartbeat, To: 2, From: 1, Term: 2, Context: []byte("neokv-quiesce")}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed[5:]) // the body, after the length and kind
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := decodeRaftFrame(nil, body)
		if err != nil {
			return
		}
		frame, err := appendRaftFrame(nil, 1, msgs)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := decodeRaftFrame(nil, frame[5:])
		if err != nil || len(again) != len(msgs) {
			t.Fatalf("decode of the re-encoded frame: %d messages, %v; want %d", len(again), err, len(msgs))
		}
		for i := range msgs {
			a, b := msgs[i], again[i]
			if a.Region != b.Region || a.Msg.Type != b.Msg.Type || a.Msg.Index != b.Msg.Index || len(a.Msg.Entries) != len(b.Msg.Entries) {
				t.Fatalf("message %d: %s vs %s", i, describe(a), describe(b))
			}
		}
	})
}
