package netio

import (
	"strings"

	"github.com/neokv/neokv/resp"
)

// slowlogSubArity is Redis 7's arity of each SLOWLOG subcommand.
var slowlogSubArity = map[string]int{"get": -2, "len": 2, "reset": 2, "help": 2}

var slowlogHelp = []string{
	"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"GET [<count>]",
	"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
	"    Entries are made of:",
	"    id, timestamp, time in microseconds, arguments array, client IP and port,",
	"    client name",
	"LEN",
	"    Return the length of the slowlog.",
	"RESET",
	"    Reset the slowlog.",
	"HELP",
	"    Prints this help.",
}

// cmdSlowlog answers SLOWLOG from the engine's log (engine.SlowLog: the
// commands' own execution time, as Redis measures it).
func (s *Server) cmdSlowlog(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "slowlog", slowlogSubArity, argv) {
		return
	}
	log := s.db.Slow
	switch strings.ToLower(string(argv[1])) {
	case "get":
		count := int64(10)
		if len(argv) > 3 {
			w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(clip(argv[1], 128)) + "'. Try SLOWLOG HELP.")
			return
		}
		if len(argv) == 3 {
			n, ok := resp.ParseInt(argv[2])
			if !ok || n < -1 {
				w.Error("ERR count should be greater than or equal to -1")
				return
			}
			count = n
		}
		entries := log.Newest(int(count))
		w.Array(len(entries))
		for _, e := range entries {
			w.Array(6)
			w.Int(e.ID)
			w.Int(e.Unix)
			w.Int(e.Micros)
			w.Array(len(e.Argv))
			for _, a := range e.Argv {
				w.Bulk(a)
			}
			w.BulkString("") // the engine does not know the client
			w.BulkString("")
		}
	case "len":
		w.Int(int64(log.Len()))
	case "reset":
		log.Reset()
		w.OK()
	case "help":
		writeHelp(w, slowlogHelp)
	}
}
