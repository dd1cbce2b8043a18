package tests

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// SLOWLOG's errors, empty replies and HELP are Redis's, byte for byte.
func TestSlowlogRepliesAsRedis(t *testing.T) {
	neo, ref := Dial(t, StartServer(t).Addr), Dial(t, StartRedis(t).Addr)
	for _, args := range [][]string{
		{"SLOWLOG"}, {"SLOWLOG", "FOO"}, {"SLOWLOG", "HELP"}, {"SLOWLOG", "help", "x"},
		{"SLOWLOG", "GET", "-2"}, {"SLOWLOG", "GET", "x"}, {"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "LEN", "x"}, {"SLOWLOG", "RESET", "x"}, {"SLOWLOG", "RESET"},
		{"CONFIG", "SET", "slowlog-max-len", "-1"}, {"CONFIG", "SET", "slowlog-log-slower-than", "x"},
		{"CONFIG", "SET", "slowlog-log-slower-than", "-1"}, {"SLOWLOG", "RESET"}, {"SLOWLOG", "GET"},
		{"SLOWLOG", "LEN"}, {"CONFIG", "GET", "slowlog-log-slower-than"},
	} {
		sameAsRedis(t, neo, ref, args...)
	}
}

// With slowlog-log-slower-than 0 every command NeoKV times is logged
// (not the fast ones, such as GET: see engine.SlowLog), newest first, with
// its arguments trimmed as Redis trims them; -1 logs nothing and
// slowlog-max-len bounds the log.
func TestSlowlogRecordsCommands(t *testing.T) {
	srv := StartServer(t)
	c := srv.Client(t, 2)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	must(c.SlowLogReset(ctx).Err())
	must(c.Set(ctx, "k", strings.Repeat("v", 200), 0).Err())
	args := []any{"mset"}
	for i := 0; i < 20; i++ {
		args = append(args, "{t}k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	must(c.Do(ctx, args...).Err())
	must(c.Get(ctx, "k").Err())
	must(c.Keys(ctx, "*").Err())
	logs, err := c.SlowLogGet(ctx, -1).Result()
	must(err)
	var names []string
	for _, l := range logs {
		names = append(names, strings.ToLower(l.Args[0]))
	}
	if got := strings.Join(names, " "); got != "keys mset set" {
		t.Fatalf("logged commands, newest first: %q", got)
	}
	for i := 1; i < len(logs); i++ {
		if logs[i].ID >= logs[i-1].ID {
			t.Fatalf("ids not newest first: %d then %d", logs[i-1].ID, logs[i].ID)
		}
	}
	set, mset := logs[2], logs[1]
	if want := strings.Repeat("v", 128) + "... (72 more bytes)"; len(set.Args) != 3 || set.Args[2] != want {
		t.Fatalf("SET entry args %q, want the value cut at 128 bytes", set.Args)
	}
	if len(mset.Args) != 32 || mset.Args[31] != "... (10 more arguments)" || mset.Args[30] != "v14" {
		t.Fatalf("MSET entry: %d args, last two %q", len(mset.Args), mset.Args[len(mset.Args)-2:])
	}
	must(c.ConfigSet(ctx, "slowlog-max-len", "2").Err())
	if n := c.SlowLogLen(ctx).Val(); n != 2 {
		t.Fatalf("SLOWLOG LEN after slowlog-max-len 2: %d", n)
	}
	must(c.ConfigSet(ctx, "slowlog-log-slower-than", "-1").Err())
	must(c.SlowLogReset(ctx).Err())
	must(c.Set(ctx, "k", "v", 0).Err())
	if n := c.SlowLogLen(ctx).Val(); n != 0 {
		t.Fatalf("SLOWLOG LEN with the log off: %d", n)
	}
}
