package netio

import (
	"crypto/subtle"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

func (s *Server) serverCommands() []*command {
	r, w, f := engine.FlagReadOnly, engine.FlagWrite, engine.FlagFast
	srv := func(name string, arity int, flags engine.Flags, cmdFlags []string, group string, h func(*client, [][]byte)) *command {
		return &command{name: name, arity: arity, flags: flags, cmdFlags: cmdFlags, group: group, handler: h}
	}
	conn := []string{"@connection", "@fast"}
	cmds := []*command{
		srv("ping", -1, f, []string{"fast"}, "connection", s.cmdPing),
		srv("echo", 2, f, []string{"fast"}, "connection", s.cmdEcho),
		srv("hello", -1, f, []string{"noscript", "loading", "stale", "fast", "no_auth"}, "connection", s.cmdHello),
		srv("auth", -2, f, []string{"noscript", "loading", "stale", "fast", "no_auth"}, "connection", s.cmdAuth),
		srv("select", 2, f, []string{"loading", "stale", "fast"}, "connection", s.cmdSelect),
		srv("quit", -1, f, []string{"noscript", "loading", "stale", "fast", "no_auth"}, "connection", s.cmdQuit),
		srv("asking", 1, f, []string{"fast"}, "cluster", s.cmdAsking),
		srv("role", 1, f, []string{"noscript", "loading", "stale", "fast"}, "server", s.cmdRole),
		srv("move", 3, w|f, []string{"write", "fast"}, "generic", s.cmdMove),
		srv("swapdb", 3, w, []string{"write", "fast"}, "server", s.cmdSwapDB),
		srv("monitor", 1, 0, []string{"admin", "noscript", "loading", "stale"}, "server", s.cmdMonitor),
		srv("reset", 1, f, []string{"noscript", "loading", "stale", "fast", "no_auth"}, "connection", s.cmdReset),
		srv("client", -2, 0, []string{"noscript", "loading", "stale"}, "connection", s.cmdClient),
		srv("readonly", 1, f, []string{"loading", "stale", "fast"}, "cluster", s.cmdReadonly),
		srv("readwrite", 1, f, []string{"loading", "stale", "fast"}, "cluster", s.cmdReadwrite),
		srv("command", -1, 0, []string{"loading", "stale"}, "server", s.cmdCommand),
		srv("config", -2, 0, []string{"admin", "noscript", "loading", "stale"}, "server", s.cmdConfig),
		srv("info", -1, 0, []string{"loading", "stale"}, "server", s.cmdInfo),
		srv("slowlog", -2, 0, []string{"admin", "loading", "stale"}, "server", s.cmdSlowlog),
		srv("script", -2, 0, []string{"noscript"}, "scripting", s.cmdScript),
		srv("acl", -2, 0, []string{"admin", "noscript", "loading", "stale"}, "server", s.cmdACL),
		srv("function", -2, 0, []string{"noscript"}, "scripting", s.cmdFunction),
		srv("latency", -2, 0, []string{"admin", "noscript", "loading", "stale"}, "server", s.cmdLatency),
		srv("dbsize", 1, r|f, []string{"readonly", "fast"}, "server", s.cmdDBSize),
		srv("flushdb", -1, w, []string{"write"}, "server", s.cmdFlush),
		srv("flushall", -1, w, []string{"write"}, "server", s.cmdFlush),
		srv("time", 1, f, []string{"loading", "stale", "fast"}, "server", s.cmdTime),
		srv("lastsave", 1, f, []string{"loading", "stale", "fast"}, "server", s.cmdLastSave),
		srv("save", 1, 0, []string{"admin", "noscript"}, "server", s.cmdSave),
		srv("bgsave", -1, 0, []string{"admin", "noscript"}, "server", s.cmdBgSave),
		srv("shutdown", -1, 0, []string{"admin", "noscript", "loading", "stale", "no_multi", "allow_busy"}, "server", s.cmdShutdown),
		srv("wait", 3, 0, []string{"noscript"}, "generic", s.cmdWait),
		srv("keys", 2, r, []string{"readonly"}, "generic", s.cmdKeys),
		srv("scan", -2, r, []string{"readonly"}, "generic", s.cmdScan),
		srv("randomkey", 1, r, []string{"readonly"}, "generic", s.cmdRandomKey),
		srv("cluster", -2, 0, []string{}, "cluster", s.cmdCluster),
		srv("neokv", -2, 0, []string{"admin"}, "server", s.cmdNeokv),
	}
	for _, c := range cmds {
		switch c.name {
		case "dbsize", "keys", "scan", "randomkey", "cluster", "wait":
			c.barrier = true
		}
		for _, fl := range c.cmdFlags {
			if fl == "no_auth" {
				c.noAuth = true
			}
		}
		if c.group == "connection" {
			c.acl = conn
		}
		if c.name == "move" {
			c.first, c.last, c.step = 1, 1, 1
		}
	}
	return cmds
}

func (s *Server) cmdPing(cl *client, argv [][]byte) {
	if !cl.resp3 && cl.subscribed() {
		pingSubscribed(cl.immediate(), argv)
		return
	}
	writePing(cl.immediate(), argv)
}

func writePing(w *resp.Writer, argv [][]byte) {
	switch len(argv) {
	case 1:
		w.Simple("PONG")
	case 2:
		w.Bulk(argv[1])
	default:
		w.Error("ERR wrong number of arguments for 'ping' command")
	}
}

func (s *Server) cmdEcho(cl *client, argv [][]byte) { cl.immediate().Bulk(argv[1]) }

func (s *Server) checkPassword(user, pass []byte) bool {
	s.conf.mu.RLock()
	want := s.conf.password
	s.conf.mu.RUnlock()
	if user != nil && string(user) != "default" {
		return false
	}
	return subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

// authenticate checks a user name (nil: the default user) and password.
// Without requirepass the default user is "nopass" in Redis's ACL terms,
// so any password logs it in; other users do not exist.
func (s *Server) authenticate(user, pass []byte) bool {
	s.conf.mu.RLock()
	hasPass := s.conf.password != ""
	s.conf.mu.RUnlock()
	if !hasPass {
		return user == nil || string(user) == "default"
	}
	return s.checkPassword(user, pass)
}

func (s *Server) cmdAuth(cl *client, argv [][]byte) {
	w := cl.immediate()
	if len(argv) > 3 {
		w.Error(engine.ErrSyntax)
		return
	}
	s.conf.mu.RLock()
	hasPass := s.conf.password != ""
	s.conf.mu.RUnlock()
	if !hasPass && len(argv) == 2 {
		w.Error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	var user []byte
	pass := argv[1]
	if len(argv) == 3 {
		user, pass = argv[1], argv[2]
	}
	if !s.authenticate(user, pass) {
		w.Error("WRONGPASS invalid username-password pair or user is disabled.")
		return
	}
	cl.authed = true
	w.OK()
}

func (s *Server) cmdHello(cl *client, argv [][]byte) {
	proto := 0
	if len(argv) >= 2 {
		v, ok := resp.ParseInt(argv[1])
		if !ok {
			cl.immediate().Error("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			cl.immediate().Error("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var setName []byte
	hasName := false
	for j := 2; j < len(argv); j++ {
		more := len(argv) - 1 - j
		switch {
		case strings.EqualFold(string(argv[j]), "auth") && more >= 2:
			if !s.authenticate(argv[j+1], argv[j+2]) {
				cl.immediate().Error("WRONGPASS invalid username-password pair or user is disabled.")
				return
			}
			cl.authed = true
			j += 2
		case strings.EqualFold(string(argv[j]), "setname") && more >= 1:
			setName, hasName = argv[j+1], true
			j++
		default:
			cl.immediate().Error("ERR Syntax error in HELLO option '" + string(argv[j]) + "'")
			return
		}
	}
	if s.authRequired(cl) {
		cl.immediate().Error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if hasName {
		if !validClientName(setName) {
			cl.immediate().Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		cl.setName(string(setName))
	}
	if proto != 0 {
		cl.resp3 = proto == 3
		cl.setPushProtocol()
	}
	w := cl.immediate()
	w.RESP3 = cl.resp3
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(RedisVersion)
	w.BulkString("proto")
	if cl.resp3 {
		w.Int(3)
	} else {
		w.Int(2)
	}
	w.BulkString("id")
	w.Int(int64(cl.id))
	w.BulkString("mode")
	w.BulkString(s.mode())
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

func (s *Server) mode() string {
	if _, ok := s.topo.(*singleNode); ok {
		return "standalone"
	}
	return "cluster"
}

func validClientName(b []byte) bool {
	for _, c := range b {
		if c < '!' || c > '~' {
			return false
		}
	}
	return true
}

func (s *Server) cmdSelect(cl *client, argv [][]byte) { writeSelect(cl.immediate(), argv) }

// ASKING: NeoKV never answers -ASK (a Region moves whole, by Raft), so
// there is nothing to allow; cluster clients may still send it.
func (s *Server) cmdAsking(cl *client, _ [][]byte) {
	if !s.cfg.Cluster {
		cl.immediate().Error("ERR This instance has cluster support disabled")
		return
	}
	cl.immediate().OK()
}

// ROLE: every node answers as a master without replicas of its own;
// replication is per Region (CLUSTER SHARDS shows it).
func (s *Server) cmdRole(cl *client, _ [][]byte) {
	w := cl.immediate()
	w.Array(3)
	w.BulkString("master")
	w.Int(0)
	w.Array(0)
}

// MOVE and SWAPDB with NeoKV's single database: the checks Redis makes,
// then the answer for a database that does not exist.
func (s *Server) cmdMove(cl *client, argv [][]byte) {
	w := cl.immediate()
	db, ok := resp.ParseInt(argv[2])
	switch {
	case !ok:
		w.Error(engine.ErrNotInteger)
	case db == 0:
		w.Error("ERR source and destination objects are the same")
	default:
		w.Error(engine.ErrDBIndex)
	}
}

func (s *Server) cmdSwapDB(cl *client, argv [][]byte) {
	w := cl.immediate()
	a, ok1 := resp.ParseInt(argv[1])
	b, ok2 := resp.ParseInt(argv[2])
	switch {
	case !ok1:
		w.Error("ERR invalid first DB index")
	case !ok2:
		w.Error("ERR invalid second DB index")
	case a != 0 || b != 0:
		w.Error(engine.ErrDBIndex)
	default:
		w.OK()
	}
}

// writeSelect answers SELECT: there is only database 0, so selecting it
// changes nothing.
func writeSelect(w *resp.Writer, argv [][]byte) {
	db, ok := resp.ParseInt(argv[1])
	if !ok {
		w.Error(engine.ErrNotInteger)
		return
	}
	if db != 0 {
		w.Error(engine.ErrDBIndex)
		return
	}
	w.OK()
}

func (s *Server) cmdQuit(cl *client, _ [][]byte) {
	cl.immediate().OK()
	cl.closing = true
}

func (s *Server) cmdReset(cl *client, _ [][]byte) {
	if cl.monitoring.Load() {
		cl.immediate().Error("ERR can only reset normal client connections")
		return
	}
	cl.resetTxn()
	s.dropSubscriptions(cl)
	s.disableTracking(cl)
	cl.replyOff = false // CLIENT REPLY ON (a SKIP before RESET silences RESET's reply)
	cl.resp3 = false
	cl.setPushProtocol()
	cl.setName("")
	cl.readonly = false
	s.conf.mu.RLock()
	cl.authed = s.conf.password == ""
	s.conf.mu.RUnlock()
	w := cl.immediate()
	w.RESP3 = false
	w.Simple("RESET")
}

func (s *Server) cmdReadonly(cl *client, _ [][]byte) {
	cl.readonly = true
	cl.immediate().OK()
}

func (s *Server) cmdReadwrite(cl *client, _ [][]byte) {
	cl.readonly = false
	cl.immediate().OK()
}

// clientSubArity is Redis 7's arity of each CLIENT subcommand NeoKV has.
var clientSubArity = map[string]int{
	"id": 2, "getname": 2, "setname": 3, "setinfo": 4, "info": 2, "list": -2, "kill": -3,
	"no-evict": 3, "no-touch": 3, "reply": 3, "help": 2, "unblock": -3, "pause": -3, "unpause": 2,
	"tracking": -3, "caching": 3, "getredir": 2, "trackinginfo": 2,
}

// writeHelp answers a container command's HELP: its lines as statuses.
func writeHelp(w *resp.Writer, lines []string) {
	w.Array(len(lines))
	for _, l := range lines {
		w.Simple(l)
	}
}

// subcommandOK applies Redis 7's subcommand checks: an unknown subcommand
// and a wrong argument count get the errors Redis gives for its
// subcommand table ("container|sub" names the subcommand).
func subcommandOK(w *resp.Writer, container string, arities map[string]int, argv [][]byte) bool {
	sub := strings.ToLower(string(argv[1]))
	arity, ok := arities[sub]
	if !ok {
		w.Error("ERR unknown subcommand '" + string(clip(argv[1], 128)) + "'. Try " + strings.ToUpper(container) + " HELP.")
		return false
	}
	if (arity > 0 && len(argv) != arity) || len(argv) < -arity {
		w.Error("ERR wrong number of arguments for '" + container + "|" + sub + "' command")
		return false
	}
	return true
}

func (s *Server) cmdClient(cl *client, argv [][]byte) {
	sub := strings.ToLower(string(argv[1]))
	w := cl.immediate()
	if !subcommandOK(w, "client", clientSubArity, argv) {
		return
	}
	switch {
	case sub == "id" && len(argv) == 2:
		w.Int(int64(cl.id))
	case sub == "getname" && len(argv) == 2:
		if name := cl.getName(); name == "" {
			w.Null()
		} else {
			w.BulkString(name)
		}
	case sub == "setname" && len(argv) == 3:
		if !validClientName(argv[2]) {
			w.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		cl.setName(string(argv[2]))
		w.OK()
	case sub == "setinfo" && len(argv) == 4:
		// Redis 7.2 checks the option first and names it as typed.
		attr := strings.ToLower(string(argv[2]))
		if attr != "lib-name" && attr != "lib-ver" {
			w.Error("ERR Unrecognized option '" + string(argv[2]) + "'")
			return
		}
		if !validClientName(argv[3]) {
			w.Error("ERR " + string(argv[2]) + " cannot contain spaces, newlines or special characters.")
			return
		}
		cl.infoMu.Lock()
		if attr == "lib-name" {
			cl.libName = string(argv[3])
		} else {
			cl.libVer = string(argv[3])
		}
		cl.infoMu.Unlock()
		w.OK()
	case sub == "info" && len(argv) == 2:
		w.Verbatim(s.clientLine(cl, cl, "client|info") + "\n")
	case sub == "list":
		s.clientList(cl, argv, w)
	case sub == "kill":
		s.clientKill(cl, argv, w)
	case sub == "unblock":
		s.clientUnblock(argv, w)
	case sub == "pause":
		s.clientPauseCmd(argv, w)
	case sub == "unpause":
		s.unpauseClients()
		w.OK()
	case sub == "tracking":
		s.cmdClientTracking(cl, argv, w)
	case sub == "caching":
		s.cmdClientCaching(cl, argv, w)
	case sub == "getredir":
		s.cmdClientGetRedir(cl, w)
	case sub == "trackinginfo":
		s.cmdClientTrackingInfo(cl, w)
	case (sub == "no-evict" || sub == "no-touch") && len(argv) == 3:
		v := strings.ToLower(string(argv[2]))
		if v != "on" && v != "off" {
			w.Error(engine.ErrSyntax)
			return
		}
		w.OK()
	case sub == "reply" && len(argv) == 3:
		switch strings.ToLower(string(argv[2])) {
		case "on":
			cl.replyOff, cl.skipArmed, cl.replyCmd = false, false, true
			w.OK()
		case "off":
			cl.replyOff, cl.replyCmd = true, true
		case "skip":
			if !cl.replyOff {
				cl.skipArmed, cl.replyCmd = true, true
			}
		default:
			w.Error(engine.ErrSyntax)
		}
	case sub == "help":
		lines := []string{
			"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"CACHING (YES|NO)", "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
			"GETREDIR", "    Return the client ID we are redirecting to when tracking is enabled.",
			"GETNAME", "    Return the name of the current connection.",
			"ID", "    Return the ID of the current connection.",
			"INFO", "    Return information about the current client connection.",
			"KILL <ip:port>", "    Kill connection made from <ip:port>.",
			"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
			"    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
			"    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
			"    * USER <username>", "      Kill connections authenticated by <username>.",
			"    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
			"LIST [options ...]", "    Return information about client connections. Options:",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
			"UNPAUSE", "    Stop the current client pause, resuming traffic.",
			"PAUSE <timeout> [WRITE|ALL]", "    Suspend all, or just write, clients for <timeout> milliseconds.",
			"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection.",
			"SETNAME <name>", "    Assign the name <name> to the current connection.",
			// SETINFO is Redis 7.2's; its lines are 7.2's.
			"SETINFO <option> <value>", "    Set client meta attr (LIB-NAME, LIB-VER).",
			"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client.",
			"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
			"         [OPTIN] [OPTOUT] [NOLOOP]", "    Control server assisted client side caching.",
			"TRACKINGINFO", "    Report tracking status for the current connection.",
			"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
			"HELP", "    Prints this help.",
		}
		writeHelp(w, lines)
	default: // not reached: subcommandOK knows every subcommand above
		w.Error("ERR unknown subcommand '" + string(argv[1]) + "'. Try CLIENT HELP.")
	}
}

// clientLine renders one CLIENT LIST line as Redis 7 does; selfCmd is
// the cmd= field of the connection asking (client|list or client|info).
func (s *Server) clientLine(cl, self *client, selfCmd string) string {
	now := time.Now()
	cmd := "NULL"
	if c := cl.lastCmd.Load(); c != nil {
		cmd = c.name
	}
	if cl == self {
		cmd = selfCmd
	}
	proto := 2
	if cl == self && cl.resp3 {
		proto = 3
	}
	flags := "N"
	if cl == self && cl.readonly {
		flags = "r"
	}
	subs, psubs, ssubs := cl.ps.counts[subChannel].Load(), cl.ps.counts[subPattern].Load(), cl.ps.counts[subShard].Load()
	if subs+psubs+ssubs > 0 {
		flags = "P"
	}
	if cl.monitoring.Load() {
		flags = "O"
	}
	redir := int64(-1)
	s.track.mu.Lock()
	if st := cl.track; st.on {
		redir = int64(st.redirect)
		if flags == "N" {
			flags = ""
		}
		flags += "t"
		if st.redirBroken {
			flags += "R"
		}
		if st.bcast {
			flags += "B"
		}
	}
	s.track.mu.Unlock()
	cl.infoMu.Lock()
	name, libName, libVer := cl.name, cl.libName, cl.libVer
	cl.infoMu.Unlock()
	idle := now.Sub(time.Unix(0, cl.lastIO.Load()))
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=%d name=%s age=%d idle=%d flags=%s db=0 sub=%d psub=%d ssub=%d multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=%s user=default redir=%d resp=%d lib-name=%s lib-ver=%s",
		cl.id, cl.addr, cl.laddr, cl.fd, name, int(now.Sub(cl.created).Seconds()), int(idle.Seconds()),
		flags, subs, psubs, ssubs, cmd, redir, proto, libName, libVer)
}

func (s *Server) snapshotClients() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (s *Server) clientList(cl *client, argv [][]byte, w *resp.Writer) {
	var ids map[uint64]bool
	for j := 2; j < len(argv); j++ {
		switch strings.ToLower(string(argv[j])) {
		case "type":
			if j+1 >= len(argv) {
				w.Error(engine.ErrSyntax)
				return
			}
			t := strings.ToLower(string(argv[j+1]))
			if t != "normal" && t != "master" && t != "replica" && t != "slave" && t != "pubsub" {
				w.Error("ERR Unknown client type '" + string(argv[j+1]) + "'")
				return
			}
			if t != "normal" {
				w.Verbatim("")
				return
			}
			j++
		case "id":
			if j+1 >= len(argv) {
				w.Error(engine.ErrSyntax)
				return
			}
			ids = map[uint64]bool{}
			for j++; j < len(argv); j++ {
				// Like Redis, any integer is accepted; 0 or a negative
				// id simply matches no connection.
				id, ok := resp.ParseInt(argv[j])
				if !ok {
					w.Error("ERR Invalid client ID")
					return
				}
				if id > 0 {
					ids[uint64(id)] = true
				}
			}
		default:
			w.Error(engine.ErrSyntax)
			return
		}
	}
	var b strings.Builder
	for _, c := range s.snapshotClients() {
		if ids != nil && !ids[c.id] {
			continue
		}
		b.WriteString(s.clientLine(c, cl, "client|list"))
		b.WriteByte('\n')
	}
	w.Verbatim(b.String())
}

func (s *Server) clientKill(cl *client, argv [][]byte, w *resp.Writer) {
	if len(argv) == 3 {
		// Old form: CLIENT KILL ip:port
		for _, c := range s.snapshotClients() {
			if c.addr == string(argv[2]) {
				w.OK()
				if c == cl {
					// Killing oneself: reply first, then close, as Redis.
					cl.closing = true
				} else {
					s.kill(c)
				}
				return
			}
		}
		w.Error("ERR No such client")
		return
	}
	if len(argv)%2 != 0 {
		w.Error(engine.ErrSyntax)
		return
	}
	var id uint64
	var addr, laddr string
	skipMe, matchNone := true, false
	for j := 2; j < len(argv); j += 2 {
		v := string(argv[j+1])
		switch strings.ToLower(string(argv[j])) {
		case "id":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n == 0 {
				w.Error("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = v
		case "laddr":
			laddr = v
		case "skipme":
			switch strings.ToLower(v) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				w.Error(engine.ErrSyntax)
				return
			}
		case "type":
			// Every NeoKV connection is a normal client.
			switch strings.ToLower(v) {
			case "normal":
			case "master", "replica", "slave", "pubsub":
				matchNone = true
			default:
				w.Error("ERR Unknown client type '" + v + "'")
				return
			}
		case "user":
			if v != "default" {
				w.Error("ERR No such user '" + v + "'")
				return
			}
		default:
			w.Error(engine.ErrSyntax)
			return
		}
	}
	killed := 0
	for _, c := range s.snapshotClients() {
		if matchNone || (id != 0 && c.id != id) || (addr != "" && c.addr != addr) || (laddr != "" && c.laddr != laddr) {
			continue
		}
		if c == cl && skipMe {
			continue
		}
		if c == cl {
			cl.closing = true
		} else {
			s.kill(c)
		}
		killed++
	}
	w.Int(int64(killed))
}

func (s *Server) kill(c *client) {
	c.killed.Store(true)
	_ = c.conn.Close()
}
