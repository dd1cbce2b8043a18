package netio

import (
	"strings"

	"github.com/neokv/neokv/engine"
)

// scriptSubArity is Redis 7's arity of each SCRIPT subcommand.
var scriptSubArity = map[string]int{"debug": 3, "exists": -3, "flush": -2, "kill": 2, "load": 3, "help": 2}

var scriptHelp = []string{
	"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DEBUG (YES|SYNC|NO)",
	"    Set the debug mode for subsequent scripts executed.",
	"EXISTS <sha1> [<sha1> ...]",
	"    Return information about the existence of the scripts in the script cache.",
	"FLUSH [ASYNC|SYNC]",
	"    Flush the Lua scripts cache. Very dangerous on replicas.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the scripts cache.",
	"    * SYNC: Synchronously flush the scripts cache.",
	"KILL",
	"    Kill the currently executing Lua script.",
	"LOAD <script>",
	"    Load a script into the scripts cache without executing it.",
	"HELP",
	"    Prints this help.",
}

// cmdScript answers SCRIPT from this node's script cache (engine.DB), which
// is not replicated or persisted, as in Redis: EVALSHA resolves against it
// before the script enters the log (see dispatch).
func (s *Server) cmdScript(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "script", scriptSubArity, argv) {
		return
	}
	switch strings.ToLower(string(argv[1])) {
	case "load":
		sha, err := s.db.ScriptLoad(argv[2])
		if err != nil {
			w.Error(err.Error())
			return
		}
		w.BulkString(sha)
	case "exists":
		w.Array(len(argv) - 2)
		for _, sha := range argv[2:] {
			if _, ok := s.db.ScriptBody(sha); ok {
				w.Int(1)
			} else {
				w.Int(0)
			}
		}
	case "flush":
		if len(argv) > 3 || len(argv) == 3 && !strings.EqualFold(string(argv[2]), "sync") && !strings.EqualFold(string(argv[2]), "async") {
			w.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
			return
		}
		s.db.ScriptFlush()
		w.OK()
	case "kill":
		// A script runs inside one apply batch and ends by itself (it has
		// an instruction limit); none is ever seen running from here.
		w.Error("NOTBUSY No scripts in execution right now.")
	case "debug":
		w.Error("ERR NeoKV does not support the Lua debugger")
	case "help":
		w.Array(len(scriptHelp))
		for _, l := range scriptHelp {
			w.Simple(l)
		}
	}
}

// prepareScript readies EVAL and EVALSHA (and their _RO forms) before they
// are routed: EVALSHA becomes EVAL with the body from this node's cache, so
// that the log carries the script and no replica needs a cache; EVAL's
// script is cached as it reaches the node, so SCRIPT EXISTS and EVALSHA
// right behind it see it. It returns the command to run, or nil when it
// answered. Inside MULTI nothing is answered here: EXEC answers a bad
// script or an unknown SHA in its place, as Redis does.
func (s *Server) prepareScript(cl *client, cmd *command, argv [][]byte) *command {
	bySHA := strings.HasPrefix(cmd.name, "evalsha")
	if _, errMsg := engine.ScriptNumKeys(argv); errMsg != "" {
		// Redis checks numkeys first; EVAL's own execution answers it.
		if bySHA && !cl.multi {
			cl.immediate().Error(errMsg)
			return nil
		}
		return cmd
	}
	if !bySHA {
		if _, err := s.db.ScriptLoad(argv[1]); err != nil && !cl.multi {
			cl.immediate().Error(err.Error())
			return nil
		}
		return cmd
	}
	body, ok := s.db.ScriptBody(argv[1])
	if !ok {
		if cl.multi {
			return cmd // applied as evalsha, which answers NOSCRIPT
		}
		cl.immediate().Error(engine.ErrNoScript)
		return nil
	}
	argv[1] = body
	return s.cmds[strings.Replace(cmd.name, "evalsha", "eval", 1)]
}
