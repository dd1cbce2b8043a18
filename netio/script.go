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
		writeHelp(w, scriptHelp)
	}
}

// prepareScript readies EVAL, EVALSHA and FCALL (and their _RO forms)
// before they are routed: EVALSHA becomes EVAL with the body from this
// node's cache, and FCALL becomes neokv.fcall with the code of the
// function's library, so that the log carries the code and no replica
// needs a cache or a registry; EVAL's script is cached as it reaches the
// node, so SCRIPT EXISTS and EVALSHA right behind it see it. It returns the
// command to run and its arguments, or a nil command when it answered.
// Inside MULTI nothing is answered here: EXEC answers a bad script, an
// unknown SHA or function in its place, as Redis does.
func (s *Server) prepareScript(cl *client, cmd *command, argv [][]byte) (*command, [][]byte) {
	fail := func(msg string) (*command, [][]byte) {
		if cl.multi {
			return cmd, argv // applied as it is, which answers msg
		}
		cl.immediate().Error(msg)
		return nil, nil
	}
	_, numKeysErr := engine.ScriptNumKeys(argv)
	switch cmd.name {
	case "fcall", "fcall_ro":
		lib, fn, ok := s.db.LookupFunction(argv[1])
		if !ok {
			return fail(engine.ErrFunctionNotFound)
		}
		if _, errMsg := engine.FCallNumKeys(argv); errMsg != "" {
			return fail(errMsg)
		}
		if cmd.name == "fcall_ro" && !fn.NoWrites() && !cl.multi {
			cl.immediate().Error(engine.ErrFunctionWrites)
			return nil, nil
		}
		out := make([][]byte, 0, len(argv)+1)
		out = append(out, nil, lib.CodeBytes())
		out = append(out, argv[1:]...)
		next := s.internalCmds["neokv."+cmd.name]
		out[0] = next.nameB
		return next, out
	case "eval", "eval_ro":
		// A bad numkeys: EVAL's own execution answers it (Redis checks it
		// before compiling).
		if numKeysErr == "" {
			if _, err := s.db.ScriptLoad(argv[1]); err != nil {
				return fail(err.Error())
			}
		}
		return cmd, argv
	}
	// EVALSHA checks numkeys before it looks the script up.
	if numKeysErr != "" {
		if cl.multi {
			return cmd, argv
		}
		cl.immediate().Error(numKeysErr)
		return nil, nil
	}
	body, ok := s.db.ScriptBody(argv[1])
	if !ok {
		return fail(engine.ErrNoScript) // in MULTI applied as evalsha, which answers NOSCRIPT
	}
	argv[1] = body
	return s.cmds[strings.Replace(cmd.name, "evalsha", "eval", 1)], argv
}
