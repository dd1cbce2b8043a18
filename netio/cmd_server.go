package netio

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/neokv/neokv/batching"
	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

func (s *Server) sortedCommands() []*command {
	out := make([]*command, 0, len(s.cmds))
	for _, c := range s.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func writeCommandInfo(w *resp.Writer, c *command) {
	w.Array(10)
	w.BulkString(c.name)
	w.Int(int64(c.arity))
	w.Set(len(c.cmdFlags))
	for _, f := range c.cmdFlags {
		w.Simple(f)
	}
	w.Int(int64(c.first))
	w.Int(int64(c.last))
	w.Int(int64(c.step))
	w.Set(len(c.acl))
	for _, a := range c.acl {
		w.Simple(a)
	}
	w.Array(0) // tips
	if c.first > 0 {
		// One key specification in Redis 7's "range" form, enough for
		// clients that find keys through key specs.
		w.Array(1)
		w.Map(3)
		w.BulkString("flags")
		if c.flags&engine.FlagWrite != 0 {
			w.Set(1)
			w.Simple("RW")
		} else {
			w.Set(1)
			w.Simple("RO")
		}
		w.BulkString("begin_search")
		w.Map(2)
		w.BulkString("type")
		w.BulkString("index")
		w.BulkString("spec")
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(c.first))
		w.BulkString("find_keys")
		w.Map(2)
		w.BulkString("type")
		w.BulkString("range")
		w.BulkString("spec")
		w.Map(3)
		w.BulkString("lastkey")
		last := c.last
		if last > 0 {
			last -= c.first
		}
		w.Int(int64(last))
		w.BulkString("keystep")
		w.Int(int64(c.step))
		w.BulkString("limit")
		w.Int(0)
	} else {
		w.Array(0)
	}
	w.Array(0) // subcommands
}

// commandSubArity is Redis 7's arity of each COMMAND subcommand.
var commandSubArity = map[string]int{"count": 2, "list": -2, "info": -2, "docs": -2, "getkeys": -4, "help": 2}

func (s *Server) cmdCommand(cl *client, argv [][]byte) {
	w := cl.immediate()
	if len(argv) == 1 {
		cmds := s.sortedCommands()
		w.Array(len(cmds))
		for _, c := range cmds {
			writeCommandInfo(w, c)
		}
		return
	}
	if !subcommandOK(w, "command", commandSubArity, argv) {
		return
	}
	switch strings.ToLower(string(argv[1])) {
	case "count":
		w.Int(int64(len(s.cmds)))
	case "list":
		keep, ok := commandListFilter(argv)
		if !ok {
			w.Error(engine.ErrSyntax)
			return
		}
		var names []string
		for _, c := range s.sortedCommands() {
			if keep(c) {
				names = append(names, c.name)
			}
		}
		w.Array(len(names))
		for _, n := range names {
			w.BulkString(n)
		}
	case "info":
		if len(argv) == 2 {
			cmds := s.sortedCommands()
			w.Array(len(cmds))
			for _, c := range cmds {
				writeCommandInfo(w, c)
			}
			return
		}
		w.Array(len(argv) - 2)
		for _, name := range argv[2:] {
			if c := s.lookup(name); c != nil {
				writeCommandInfo(w, c)
			} else {
				w.Null() // Redis's addReplyNull: $-1 in RESP2, not *-1
			}
		}
	case "docs":
		var cmds []*command
		if len(argv) == 2 {
			cmds = s.sortedCommands()
		} else {
			for _, name := range argv[2:] {
				if c := s.lookup(name); c != nil {
					cmds = append(cmds, c)
				}
			}
		}
		w.Map(len(cmds))
		for _, c := range cmds {
			w.BulkString(c.name)
			w.Map(3)
			w.BulkString("summary")
			w.BulkString(commandSummary(c))
			w.BulkString("since")
			w.BulkString("1.0.0")
			w.BulkString("group")
			w.BulkString(c.group)
		}
	case "getkeys":
		// Redis's order of checks: command, has keys at all, arity.
		c := s.lookup(argv[2])
		if c == nil {
			w.Error("ERR Invalid command specified")
			return
		}
		if c.data == nil {
			w.Error("ERR The command has no key arguments")
			return
		}
		args := argv[2:]
		if (c.arity > 0 && len(args) != c.arity) || len(args) < -c.arity {
			w.Error("ERR Invalid number of arguments specified for command")
			return
		}
		var keys [][]byte
		c.data.KeysOf(args, func(i int) { keys = append(keys, args[i]) })
		w.Array(len(keys))
		for _, k := range keys {
			w.Bulk(k)
		}
	case "help":
		writeHelp(w, []string{
			"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"(no subcommand)", "    Return details about all Redis commands.",
			"COUNT", "    Return the total number of commands in this Redis server.",
			"LIST", "    Return a list of all commands in this Redis server.",
			"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"GETKEYS <full-command>", "    Return the keys from a full Redis command.",
			"GETKEYSANDFLAGS <full-command>", "    Return the keys and the access flags from a full Redis command.",
			"HELP", "    Prints this help.",
		})
	}
}

// commandListFilter parses COMMAND LIST's optional
// FILTERBY MODULE <name> | ACLCAT <category> | PATTERN <glob>.
func commandListFilter(argv [][]byte) (func(*command) bool, bool) {
	if len(argv) == 2 {
		return func(*command) bool { return true }, true
	}
	if len(argv) != 5 || !strings.EqualFold(string(argv[2]), "filterby") {
		return nil, false
	}
	val := argv[4]
	switch strings.ToLower(string(argv[3])) {
	case "module":
		return func(*command) bool { return false }, true // NeoKV has no modules
	case "aclcat":
		cat := "@" + strings.ToLower(string(val))
		return func(c *command) bool {
			for _, a := range c.acl {
				if a == cat {
					return true
				}
			}
			return false
		}, true
	case "pattern":
		pat := []byte(strings.ToLower(string(val)))
		return func(c *command) bool { return engine.GlobMatch(pat, c.nameB) }, true
	}
	return nil, false
}

func commandSummary(c *command) string {
	if c.data != nil && c.data.Summary != "" {
		return c.data.Summary
	}
	return strings.ToUpper(c.name) + " (" + c.group + ")"
}

// configParams lists what CONFIG GET knows; get returns the current value.
func (s *Server) configParams() map[string]func() string {
	s.conf.mu.RLock()
	defer s.conf.mu.RUnlock()
	clusterEnabled := "no"
	if s.mode() == "cluster" {
		clusterEnabled = "yes"
	}
	vals := map[string]string{
		"bind":                      s.host,
		"port":                      strconv.Itoa(s.port),
		"requirepass":               s.conf.password,
		"proto-max-bulk-len":        strconv.FormatInt(s.conf.maxBulkLen, 10),
		"client-query-buffer-limit": strconv.Itoa(s.conf.queryBufferLimit),
		"maxclients":                strconv.Itoa(s.conf.maxClients),
		"timeout":                   strconv.Itoa(s.conf.timeout),
		"databases":                 "1",
		"maxmemory":                 "0",
		"maxmemory-policy":          "noeviction",
		"save":                      "",
		"appendonly":                "yes",
		"appendfsync":               "always",
		"dir":                       s.cfg.DataDir,
		"dbfilename":                "dump.rdb",
		"cluster-enabled":           clusterEnabled,
		"hz":                        "10",
		"tcp-keepalive":             "300",
		"io-threads":                strconv.Itoa(s.cfg.EventLoops),
		"daemonize":                 "no",
		"protected-mode":            "no",
		"lua-time-limit":            "5000",
		"busy-reply-threshold":      "5000",
		"slowlog-log-slower-than":   "10000",
		"slowlog-max-len":           "128",
		"latency-tracking":          "no",
		"latency-monitor-threshold": "0",
		"notify-keyspace-events":    engine.FormatNotifyFlags(s.events.NotifyFlags()),
	}
	for k, v := range s.conf.extra {
		vals[k] = v
	}
	out := map[string]func() string{}
	for k, v := range vals {
		v := v
		out[k] = func() string { return v }
	}
	return out
}

// configSubArity is Redis 7's arity of each CONFIG subcommand.
var configSubArity = map[string]int{"get": -3, "set": -4, "resetstat": 2, "rewrite": 2, "help": 2}

func (s *Server) cmdConfig(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "config", configSubArity, argv) {
		return
	}
	switch strings.ToLower(string(argv[1])) {
	case "get":
		// As in Redis: a name without glob characters is looked up
		// directly and echoed as typed; a pattern matches case-insensitively
		// and replies with the canonical names. No name is reported twice.
		params := s.configParams()
		type match struct{ reply, name string }
		var out []match
		seen := map[string]bool{}
		for _, pat := range argv[2:] {
			lower := strings.ToLower(string(pat))
			if !strings.ContainsAny(lower, "[*?") {
				if _, ok := params[lower]; ok && !seen[lower] {
					seen[lower] = true
					out = append(out, match{string(pat), lower})
				}
				continue
			}
			var names []string
			for name := range params {
				if !seen[name] && engine.GlobMatch([]byte(lower), []byte(name)) {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			for _, n := range names {
				seen[n] = true
				out = append(out, match{n, n})
			}
		}
		w.Map(len(out))
		for _, m := range out {
			w.BulkString(m.reply)
			w.BulkString(params[m.name]())
		}
	case "set":
		if len(argv)%2 != 0 {
			w.Error(engine.ErrSyntax) // Redis: a name without a value
			return
		}
		for j := 2; j < len(argv); j += 2 {
			name := strings.ToLower(string(argv[j]))
			if msg := s.configSet(name, string(argv[j+1])); msg != "" {
				w.Error(msg)
				return
			}
			if name == "requirepass" {
				// As in Redis, setting a password does not log out the
				// connection that set it: it got here authenticated.
				cl.authed = true
			}
		}
		w.OK()
	case "resetstat":
		s.totalCommands.Store(0)
		s.totalConns.Store(0)
		s.rejectedConns.Store(0)
		s.stats.reset()
		s.db.KeyspaceHits().Reset()
		w.OK()
	case "rewrite":
		w.Error("ERR The server is running without a config file")
	case "help":
		writeHelp(w, []string{
			"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
			"RESETSTAT", "    Reset statistics reported by the INFO command.",
			"REWRITE", "    Rewrite the configuration file.",
			"HELP", "    Prints this help.",
		})
	}
}

// configSet applies one CONFIG SET pair; it returns an error text or "".
func (s *Server) configSet(name, value string) string {
	bad := func(why string) string {
		return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + why
	}
	intVal := func() (int64, string) {
		v, err := parseMemory(value)
		if err != nil {
			return 0, bad("argument couldn't be parsed into an integer")
		}
		return v, ""
	}
	s.conf.mu.Lock()
	defer s.conf.mu.Unlock()
	// Open connections pick up new limits before their next parse.
	defer s.confGen.Add(1)
	switch name {
	case "requirepass":
		s.conf.password = value
		s.passwordSet.Store(value != "")
	case "proto-max-bulk-len":
		v, msg := intVal()
		if msg != "" {
			return msg
		}
		if v < 1024*1024 {
			return bad("argument must be between 1048576 and 9223372036854775807 inclusive")
		}
		s.conf.maxBulkLen = v
	case "client-query-buffer-limit":
		v, msg := intVal()
		if msg != "" {
			return msg
		}
		if v < 1024*1024 || v > math.MaxInt32 {
			return bad("argument must be between 1048576 and 2147483647 inclusive")
		}
		s.conf.queryBufferLimit = int(v)
	case "maxclients":
		v, msg := intVal()
		if msg != "" {
			return msg
		}
		if v < 1 || v > math.MaxUint32 {
			return bad("argument must be between 1 and 4294967295 inclusive") // Redis's UINT range
		}
		s.conf.maxClients = int(v)
	case "timeout":
		v, msg := intVal()
		if msg != "" {
			return msg
		}
		if v < 0 || v > math.MaxInt32 {
			return bad("argument must be between 0 and 2147483647 inclusive")
		}
		s.conf.timeout = int(v)
	case "slowlog-log-slower-than", "latency-monitor-threshold", "slowlog-max-len":
		// Plain integers (Redis's INTEGER_CONFIG: no memory units).
		v, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return bad("argument couldn't be parsed into an integer")
		}
		switch {
		case name == "slowlog-log-slower-than":
			s.db.Slow.SetThreshold(v)
		case v < 0:
			return bad("argument must be between 0 and 9223372036854775807 inclusive")
		case name == "latency-monitor-threshold":
			s.db.Latency.SetThreshold(v)
		default:
			s.db.Slow.SetMaxLen(int(min(v, math.MaxInt32)))
		}
		s.conf.extra[name] = value
	case "notify-keyspace-events":
		flags, ok := engine.ParseNotifyFlags(value)
		if !ok {
			return bad("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
		s.events.flags.Store(int64(flags))
	case "save", "appendonly", "appendfsync", "maxmemory", "maxmemory-policy", "hz",
		"latency-tracking", "lua-time-limit", "busy-reply-threshold", "tcp-keepalive":
		// Accepted so tools that tune Redis start cleanly; NeoKV is always
		// durable and has no eviction, so these change nothing.
		s.conf.extra[name] = value
	default:
		return "ERR Unknown option or number of arguments for CONFIG SET - '" + name + "'"
	}
	return ""
}

// parseMemory parses Redis memory units (1k, 1kb, 1m, 1mb, 1g, 1gb).
func parseMemory(v string) (int64, error) {
	l := strings.ToLower(v)
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"kb", 1024}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000000}, {"g", 1000000000}} {
		if strings.HasSuffix(l, u.suf) {
			mult = u.m
			l = strings.TrimSuffix(l, u.suf)
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil {
		return 0, err
	}
	return n * mult, nil
}

func (s *Server) cmdDBSize(cl *client, argv [][]byte) {
	s.keyspaceRead(cl, argv, func(w *resp.Writer, _ [][]byte) {
		w.Int(s.db.KeysInSlots(0, slots.Count-1))
	})
}

func (s *Server) cmdFlush(cl *client, argv [][]byte) {
	if len(argv) > 2 || (len(argv) == 2 && !strings.EqualFold(string(argv[1]), "async") && !strings.EqualFold(string(argv[1]), "sync")) {
		cl.immediate().Error(engine.ErrSyntax)
		return
	}
	s.broadcast(cl, func(r *batching.Region) [][]byte {
		d := r.Desc()
		return [][]byte{[]byte("flushslots"), []byte(itoa(int64(d.StartSlot))), []byte(itoa(int64(d.EndSlot)))}
	})
}

func (s *Server) cmdTime(cl *client, _ [][]byte) { writeTime(cl.immediate(), time.Now()) }

func writeTime(w *resp.Writer, now time.Time) {
	w.Array(2)
	w.BulkInt(now.Unix())
	w.BulkInt(int64(now.Nanosecond() / 1000))
}

// LASTSAVE: every acknowledged write is on disk, so the last save is now.
func (s *Server) cmdLastSave(cl *client, _ [][]byte) { cl.immediate().Int(time.Now().Unix()) }

func (s *Server) cmdSave(cl *client, _ [][]byte) { cl.immediate().OK() }

// cmdShutdown stops this node as Redis's SHUTDOWN does: every
// acknowledged write is already on disk, so SAVE, NOSAVE, NOW and FORCE
// change nothing; the connection closes without a reply and the process
// exits cleanly. ABORT has nothing to abort: the stop starts at once.
func (s *Server) cmdShutdown(cl *client, argv [][]byte) {
	var save, nosave, abort, other bool
	for _, a := range argv[1:] {
		switch strings.ToLower(string(a)) {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "now", "force":
			other = true
		case "abort":
			abort = true
		default:
			cl.immediate().Error(engine.ErrSyntax)
			return
		}
	}
	switch {
	case save && nosave, abort && (save || nosave || other):
		cl.immediate().Error(engine.ErrSyntax)
		return
	case abort:
		cl.immediate().Error("ERR No shutdown in progress.")
		return
	case s.cfg.OnShutdown == nil:
		cl.immediate().Error("ERR SHUTDOWN is not available in this server")
		return
	}
	s.log.Warn("SHUTDOWN requested by a client", "id", cl.id, "addr", cl.addr)
	s.cfg.OnShutdown()
	cl.closing = true
}

func (s *Server) cmdBgSave(cl *client, _ [][]byte) {
	cl.immediate().Simple("Background saving started")
}

func (s *Server) cmdWait(cl *client, argv [][]byte) {
	w := cl.immediate()
	if _, ok := resp.ParseInt(argv[1]); !ok {
		w.Error(engine.ErrNotInteger)
		return
	}
	t, ok := timeoutMillis(w, argv[2])
	if !ok {
		return
	}
	want, _ := resp.ParseInt(argv[1])
	r := cl.lastWriteRegion
	if r == nil || len(r.Desc().Peers) < 2 {
		// No write yet, or a single-node store: no replica to wait for.
		w.Int(0)
		return
	}
	if addr, ok := s.remoteLeader(cl, r); ok {
		// Only the leader tracks its followers: ask it about the Region.
		sl := cl.newSlot()
		s.fwd.forward(addr, [][]byte{[]byte("neokv"), []byte("waitregion"), []byte(itoa(int64(r.ID()))), argv[1], argv[2]}, &sl.w, sl)
		return
	}
	s.waitReplicas(cl, r, want, t)
}

// waitReplicas answers WAIT for Region r led here.
func (s *Server) waitReplicas(cl *client, r *batching.Region, want, t int64) {
	// WAIT is a barrier: the connection's writes are applied, so every
	// replica that reached the Region's applied index holds them.
	index := r.Applied()
	deadline := time.Now().Add(time.Duration(t) * time.Millisecond)
	if want <= 0 {
		deadline = time.Now()
	}
	if t == 0 {
		deadline = time.Now().Add(time.Hour)
	}
	sl := cl.newSlot()
	go func() {
		n := 0
		for {
			n = s.store.ReplicasAt(r, index)
			if int64(n) >= want || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		sl.w.Int(int64(n))
		sl.Complete(0)
	}()
}

func (s *Server) cmdKeys(cl *client, argv [][]byte) { s.keyspaceRead(cl, argv, s.keysTo) }

func (s *Server) keysTo(w *resp.Writer, argv [][]byte) {
	var keys [][]byte
	match := argv[1]
	if string(match) == "*" {
		match = nil
	}
	_, err := s.db.ScanSlots(0, slots.Count-1, math.MaxInt, engine.ScanOptions{Match: match, Now: time.Now().UnixMilli()}, func(k []byte) {
		keys = append(keys, append([]byte(nil), k...))
	})
	if err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	w.Array(len(keys))
	for _, k := range keys {
		w.Bulk(k)
	}
}

func (s *Server) cmdScan(cl *client, argv [][]byte) { s.keyspaceRead(cl, argv, s.scanTo) }

func (s *Server) scanTo(w *resp.Writer, argv [][]byte) {
	cursor, err := strconv.ParseUint(string(argv[1]), 10, 64)
	if err != nil {
		w.Error("ERR invalid cursor")
		return
	}
	count := 10
	var o engine.ScanOptions
	for j := 2; j < len(argv); j += 2 {
		if j+1 >= len(argv) {
			w.Error(engine.ErrSyntax)
			return
		}
		switch strings.ToLower(string(argv[j])) {
		case "match":
			o.Match = argv[j+1]
			if string(o.Match) == "*" {
				o.Match = nil
			}
		case "count":
			n, ok := resp.ParseInt(argv[j+1])
			if !ok {
				w.Error(engine.ErrNotInteger)
				return
			}
			if n < 1 {
				w.Error(engine.ErrSyntax)
				return
			}
			count = int(min(n, math.MaxInt32))
		case "type":
			t, ok := engine.TypeByName(argv[j+1])
			if !ok {
				// Redis 7 filters by the unknown type, which matches nothing.
				t = engine.Type(255)
			}
			o.Type = t
		default:
			w.Error(engine.ErrSyntax)
			return
		}
	}
	var keys [][]byte
	next := uint16(0)
	if cursor < slots.Count {
		o.Now = time.Now().UnixMilli()
		if o.Type == engine.Type(255) {
			next, err = s.db.ScanSlots(uint16(cursor), slots.Count-1, count, engine.ScanOptions{Match: []byte{}, Now: o.Now}, func([]byte) {})
		} else {
			next, err = s.db.ScanSlots(uint16(cursor), slots.Count-1, count, o, func(k []byte) {
				keys = append(keys, append([]byte(nil), k...))
			})
		}
		if err != nil {
			w.Error("ERR " + err.Error())
			return
		}
	}
	w.Array(2)
	w.BulkString(strconv.FormatUint(uint64(next), 10))
	w.Array(len(keys))
	for _, k := range keys {
		w.Bulk(k)
	}
}

func (s *Server) cmdRandomKey(cl *client, argv [][]byte) { s.keyspaceRead(cl, argv, s.randomKeyTo) }

func (s *Server) randomKeyTo(w *resp.Writer, _ [][]byte) {
	k, err := s.db.RandomKey(0, slots.Count-1, time.Now().UnixMilli())
	if err != nil {
		w.Error("ERR " + err.Error())
		return
	}
	if k == nil {
		w.Null()
		return
	}
	w.Bulk(k)
}

func (s *Server) cmdInfo(cl *client, argv [][]byte) {
	want := map[string]bool{}
	for _, a := range argv[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := len(want) == 0 || want["all"] || want["everything"] || want["default"]
	// As in Redis, the default sections leave out the per-command ones.
	full := want["all"] || want["everything"]
	var b strings.Builder
	section := func(name string, lines ...string) {
		if !all && !want[strings.ToLower(name)] {
			return
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + name + "\r\n")
		for _, l := range lines {
			b.WriteString(l)
			b.WriteString("\r\n")
		}
	}
	now := time.Now()
	up := now.Sub(s.started)
	s.mu.Lock()
	nclients := len(s.clients)
	s.mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	section("Server",
		"redis_version:"+RedisVersion,
		"neokv_version:"+s.cfg.Version,
		"redis_mode:"+s.mode(),
		"os:"+runtime.GOOS+" "+runtime.GOARCH,
		"arch_bits:64",
		"multiplexing_api:epoll",
		"go_version:"+runtime.Version(),
		"process_id:"+strconv.Itoa(os.Getpid()),
		"run_id:"+s.cfg.NodeID,
		"tcp_port:"+strconv.Itoa(s.port),
		"server_time_usec:"+strconv.FormatInt(now.UnixMicro(), 10),
		"uptime_in_seconds:"+strconv.FormatInt(int64(up.Seconds()), 10),
		"uptime_in_days:"+strconv.FormatInt(int64(up.Hours()/24), 10),
		"hz:10",
		"io_threads_active:"+strconv.Itoa(s.cfg.EventLoops),
	)
	section("Clients",
		"connected_clients:"+strconv.Itoa(nclients),
		"maxclients:"+strconv.Itoa(s.cfg.MaxClients),
		"blocked_clients:"+strconv.FormatInt(max(s.blockedReg.n.Load(), 0), 10),
		"tracking_clients:"+s.trackingClients(),
	)
	section("Memory",
		"used_memory:"+strconv.FormatUint(ms.HeapAlloc, 10),
		"used_memory_human:"+human(ms.HeapAlloc),
		"used_memory_rss:"+strconv.FormatUint(ms.Sys, 10),
		"maxmemory:0",
		"maxmemory_policy:noeviction",
		"mem_allocator:go",
	)
	section("Persistence",
		"loading:0",
		"rdb_changes_since_last_save:0",
		"rdb_bgsave_in_progress:0",
		"rdb_last_save_time:"+strconv.FormatInt(now.Unix(), 10),
		"aof_enabled:1",
		"aof_rewrite_in_progress:0",
	)
	cl.reader.FlushCounts() // this connection's reads before INFO count
	ops, inKbps, outKbps := s.instantLines()
	hits, misses := s.db.KeyspaceHits().Load()
	loopHits, loopMisses := s.stats.keyspaceHits()
	hits, misses = hits+loopHits, misses+loopMisses
	tkeys, titems, tprefixes := s.trackingTotals()
	section("Stats",
		"total_connections_received:"+strconv.FormatUint(s.totalConns.Load(), 10),
		"total_commands_processed:"+strconv.FormatUint(s.totalCommands.Load(), 10),
		"instantaneous_ops_per_sec:"+ops,
		"total_net_input_bytes:"+strconv.FormatUint(s.netIn.Load(), 10),
		"total_net_output_bytes:"+strconv.FormatUint(s.netOut.Load(), 10),
		"instantaneous_input_kbps:"+inKbps,
		"instantaneous_output_kbps:"+outKbps,
		"rejected_connections:"+strconv.FormatUint(s.rejectedConns.Load(), 10),
		"expired_keys:"+strconv.FormatUint(s.db.ExpiredCount(), 10),
		"evicted_keys:0",
		"keyspace_hits:"+strconv.FormatUint(hits, 10),
		"keyspace_misses:"+strconv.FormatUint(misses, 10),
		"tracking_total_keys:"+strconv.Itoa(tkeys),
		"tracking_total_items:"+strconv.FormatInt(titems, 10),
		"tracking_total_prefixes:"+strconv.Itoa(tprefixes),
		"total_error_replies:"+strconv.FormatUint(s.stats.errTotal.Load(), 10),
	)
	section("Replication", s.replicationLines()...)
	section("CPU", cpuLines()...)
	clusterEnabled := "0"
	if s.mode() == "cluster" {
		clusterEnabled = "1"
	}
	if full || want["commandstats"] {
		section("Commandstats", s.commandLines()...)
	}
	if all || want["errorstats"] {
		section("Errorstats", s.errorLines()...)
	}
	if full || want["latencystats"] {
		section("Latencystats", s.latencyLines()...)
	}
	section("Cluster", "cluster_enabled:"+clusterEnabled)
	section("Keyspace", s.keyspaceLine()...)
	section("NeoKV", append(s.neokvLines(), s.regionLines()...)...)
	cl.immediate().Verbatim(b.String())
}

func (s *Server) keyspaceLine() []string {
	n := s.db.KeysInSlots(0, slots.Count-1)
	if n == 0 {
		return nil
	}
	// avg_ttl is Redis's running estimate from the keys its active expiry
	// samples; 0 is what Redis shows until it has one, and NeoKV keeps none.
	return []string{fmt.Sprintf("db0:keys=%d,expires=%d,avg_ttl=0", n, s.db.ExpiresInSlots(0, slots.Count-1))}
}

func (s *Server) neokvLines() []string {
	st := &s.store.Stats
	rounds := st.Rounds.Load()
	fsyncs := st.Fsyncs.Load()
	entries := st.PersistedEntries.Load()
	cmds := st.ProposedCommands.Load()
	props := st.Proposals.Load()
	ratio := func(a, b uint64) string {
		if b == 0 {
			return "0"
		}
		return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64)
	}
	leaders := 0
	for _, r := range s.store.Regions() {
		if r.IsLeader() {
			leaders++
		}
	}
	avgSync := "0"
	if fsyncs > 0 {
		avgSync = strconv.FormatFloat(float64(st.FsyncNanos.Load())/float64(fsyncs)/1000, 'f', 1, 64)
	}
	rc := s.db.RowCacheStats()
	pm := s.db.Metrics()
	return []string{
		"store_id:" + strconv.FormatUint(s.store.StoreID(), 10),
		"regions:" + strconv.Itoa(len(s.store.Regions())),
		"region_leaders:" + strconv.Itoa(leaders),
		"raft_rounds:" + strconv.FormatUint(rounds, 10),
		"raft_proposals:" + strconv.FormatUint(props, 10),
		"raft_proposed_commands:" + strconv.FormatUint(cmds, 10),
		"fsyncs:" + strconv.FormatUint(fsyncs, 10),
		"fsync_avg_usec:" + avgSync,
		"persisted_entries:" + strconv.FormatUint(entries, 10),
		"persisted_bytes:" + strconv.FormatUint(st.PersistedBytes.Load(), 10),
		"entries_per_fsync:" + ratio(entries, fsyncs),
		"commands_per_fsync:" + ratio(cmds, fsyncs),
		"commands_per_entry:" + ratio(cmds, props),
		"apply_batches:" + strconv.FormatUint(st.ApplyBatches.Load(), 10),
		"applied_entries:" + strconv.FormatUint(st.AppliedEntries.Load(), 10),
		"applied_commands:" + strconv.FormatUint(st.AppliedCommands.Load(), 10),
		"commands_per_apply_batch:" + ratio(st.AppliedCommands.Load(), st.ApplyBatches.Load()),
		"replied_at_commit:" + strconv.FormatUint(st.RepliedAtCommit.Load(), 10),
		"command_panics:" + strconv.FormatUint(st.CommandPanics.Load(), 10),
		"reads_local:" + strconv.FormatUint(st.ReadsLocal.Load(), 10),
		"reads_lease_wait:" + strconv.FormatUint(st.ReadsLeaseWait.Load(), 10),
		"reads_read_index:" + strconv.FormatUint(st.ReadsReadIndex.Load(), 10),
		"round_avg_usec:" + ratio(st.RoundNanos.Load()/1000, rounds),
		"apply_batch_avg_usec:" + ratio(st.ApplyNanos.Load()/1000, st.ApplyBatches.Load()),
		"propose_to_apply_avg_usec:" + ratio(st.ProposeToApplyNanos.Load()/1000, st.ProposeToApplyCount.Load()),
		"propose_to_apply_start_avg_usec:" + ratio(st.ProposeToApplyStartNanos.Load()/1000, st.ProposeToApplyCount.Load()),
		"row_cache_hits:" + strconv.FormatUint(rc.Hits, 10),
		"row_cache_misses:" + strconv.FormatUint(rc.Misses, 10),
		"row_cache_entries:" + strconv.FormatInt(rc.Entries, 10),
		"row_cache_bytes:" + strconv.FormatInt(rc.Bytes, 10),
		"key_filter_bytes:" + strconv.FormatInt(s.db.KeyFilterBytes(), 10),
		"key_filter_rebuilds:" + strconv.FormatInt(s.db.KeyFilterRebuilds(), 10),
		// Pebble's own state: what a write's memtable insert and a
		// read that misses the row cache cost depends on.
		"pebble_memtable_bytes:" + strconv.FormatUint(pm.MemTable.Size, 10),
		"pebble_memtables:" + strconv.FormatInt(pm.MemTable.Count, 10),
		"pebble_flushes:" + strconv.FormatInt(pm.Flush.Count, 10),
		"pebble_compactions:" + strconv.FormatInt(pm.Compact.Count, 10),
		"pebble_l0_tables:" + strconv.FormatInt(pm.Levels[0].TablesCount, 10),
		"pebble_read_amp:" + strconv.Itoa(pm.ReadAmp()),
	}
}

// replicationLines describe the node as Redis replication would: a
// master of the Regions it leads, a replica of the others.
func (s *Server) replicationLines() []string {
	leads, follows := 0, 0
	for _, r := range s.store.Regions() {
		if r.IsLeader() {
			leads++
		} else {
			follows++
		}
	}
	role := "master"
	if leads == 0 && follows > 0 {
		role = "slave"
	}
	replicas := 0
	if n := len(s.store.Regions()); n > 0 {
		replicas = len(s.store.Regions()[0].Desc().Peers) - 1
	}
	return []string{"role:" + role, "connected_slaves:" + strconv.Itoa(replicas),
		"neokv_regions_led:" + strconv.Itoa(leads), "neokv_regions_followed:" + strconv.Itoa(follows)}
}

// regionLines give each Region's Raft position on this node.
func (s *Server) regionLines() []string {
	var out []string
	for _, r := range s.store.Regions() {
		st := r.Status()
		role := "follower"
		if st.Leader {
			role = "leader"
		}
		out = append(out, fmt.Sprintf("region%d:slots=%d-%d,role=%s,leader_store=%d,term=%d,commit=%d,applied=%d",
			st.ID, st.Desc.StartSlot, st.Desc.EndSlot, role, st.LeaderStore, st.Term, st.Commit, st.Applied))
	}
	return out
}

func human(n uint64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 2, 64) + "G"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 2, 64) + "M"
	case n >= 1<<10:
		return strconv.FormatFloat(float64(n)/(1<<10), 'f', 2, 64) + "K"
	}
	return strconv.FormatUint(n, 10) + "B"
}

func cpuLines() []string {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return nil
	}
	sec := func(t syscall.Timeval) string {
		return strconv.FormatFloat(float64(t.Sec)+float64(t.Usec)/1e6, 'f', 6, 64)
	}
	return []string{"used_cpu_sys:" + sec(ru.Stime), "used_cpu_user:" + sec(ru.Utime)}
}
