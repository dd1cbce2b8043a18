package tests

import (
	"context"
	"testing"
)

func TestSetGetSurvivesRestart(t *testing.T) {
	srv := StartServer(t)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		c := srv.Client(t, proto)
		if err := c.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
			t.Fatalf("RESP%d get: %q %v", proto, v, err)
		}
	}
	srv.Stop()
	srv.Restart()
	c := srv.Client(t, 2)
	if v, err := c.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("after restart: %q %v", v, err)
	}
}

func TestRawProtocolReplies(t *testing.T) {
	srv := StartServer(t)
	r := Dial(t, srv.Addr)
	cases := [][2]string{
		{"PING", "+PONG\r\n"},
		{"GET nokey", "$-1\r\n"},
		{"SET k v", "+OK\r\n"},
		{"GET k", "$1\r\nv\r\n"},
		{"INCR k", "-ERR value is not an integer or out of range\r\n"},
		{"NOSUCH a b", "-ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' \r\n"},
		{"GET", "-ERR wrong number of arguments for 'get' command\r\n"},
	}
	for _, c := range cases {
		r.Send(c[0] + "\r\n")
		if got := r.ReadReply(); got != c[1] {
			t.Errorf("%s: got %q want %q", c[0], got, c[1])
		}
	}
}
