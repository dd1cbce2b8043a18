package netio

import (
	"strings"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// functionSubArity is Redis 7's arity of each FUNCTION subcommand.
var functionSubArity = map[string]int{
	"load": -3, "delete": 3, "flush": -2, "list": -2, "stats": 2, "kill": 2, "dump": 2, "restore": -3, "help": 2,
}

var functionHelp = []string{
	"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"LOAD [REPLACE] <FUNCTION CODE>",
	"    Create a new library with the given library name and code.",
	"DELETE <LIBRARY NAME>",
	"    Delete the given library.",
	"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
	"    Return general information on all the libraries:",
	"    * Library name",
	"    * The engine used to run the Library",
	"    * Library description",
	"    * Functions list",
	"    * Library code (if WITHCODE is given)",
	"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
	"STATS",
	"    Return information about the current function running:",
	"    * Function name",
	"    * Command used to run the function",
	"    * Duration in MS that the function is running",
	"    If no function is running, return nil",
	"    In addition, returns a list of available engines.",
	"KILL",
	"    Kill the current running function.",
	"FLUSH [ASYNC|SYNC]",
	"    Delete all the libraries.",
	"    When called without the optional mode argument, the behavior is determined by the",
	"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
	"    * ASYNC: Asynchronously flush the libraries.",
	"    * SYNC: Synchronously flush the libraries.",
	"DUMP",
	"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
	"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
	"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
	"    control how to handle existing libraries (default APPEND):",
	"    * FLUSH: delete all existing libraries.",
	"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
	"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
	"      libraries with the new libraries (notice that even on this option there is a chance of failure",
	"      in case of functions name collision with another library).",
	"HELP",
	"    Prints this help.",
}

// cmdFunction answers FUNCTION from this node's library registry
// (engine.DB.FunctionLoad and the rest): as in Redis Cluster, a library is
// loaded on every node that should run it.
func (s *Server) cmdFunction(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "function", functionSubArity, argv) {
		return
	}
	switch strings.ToLower(string(argv[1])) {
	case "load":
		replace := false
		code := argv[2]
		if len(argv) == 4 {
			if !strings.EqualFold(string(argv[2]), "replace") {
				w.Error("ERR Unknown option given: " + string(argv[2]))
				return
			}
			replace, code = true, argv[3]
		} else if len(argv) > 4 {
			w.Error("ERR Unknown option given: " + string(argv[3]))
			return
		}
		name, err := s.db.FunctionLoad(code, replace)
		if err != nil {
			w.Error(err.Error())
			return
		}
		w.BulkString(name)
	case "delete":
		if err := s.db.FunctionDelete(string(argv[2])); err != nil {
			w.Error(err.Error())
			return
		}
		w.OK()
	case "flush":
		if len(argv) > 3 {
			w.Error("ERR unknown subcommand or wrong number of arguments for '" + string(argv[1]) + "'. Try FUNCTION HELP.")
			return
		}
		if len(argv) == 3 && !strings.EqualFold(string(argv[2]), "sync") && !strings.EqualFold(string(argv[2]), "async") {
			w.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
			return
		}
		if err := s.db.FunctionFlush(); err != nil {
			w.Error("ERR " + err.Error())
			return
		}
		w.OK()
	case "list":
		s.functionList(w, argv)
	case "stats":
		libs := s.db.Libraries()
		fns := 0
		for _, l := range libs {
			fns += len(l.Functions)
		}
		w.Map(2)
		w.BulkString("running_script")
		w.Null()
		w.BulkString("engines")
		w.Map(1)
		w.BulkString("LUA")
		w.Map(2)
		w.BulkString("libraries_count")
		w.Int(int64(len(libs)))
		w.BulkString("functions_count")
		w.Int(int64(fns))
	case "kill":
		w.Error("NOTBUSY No scripts in execution right now.")
	case "dump", "restore":
		w.Error("ERR NeoKV does not support FUNCTION DUMP and RESTORE: load each library with FUNCTION LOAD")
	case "help":
		writeHelp(w, functionHelp)
	}
}

// functionList is FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
func (s *Server) functionList(w *resp.Writer, argv [][]byte) {
	var pattern []byte
	withCode := false
	for i := 2; i < len(argv); i++ {
		switch opt := strings.ToLower(string(argv[i])); {
		case opt == "withcode" && !withCode:
			withCode = true
		case opt == "libraryname" && pattern == nil:
			if i+1 >= len(argv) {
				w.Error("ERR library name argument was not given")
				return
			}
			pattern = []byte(strings.ToLower(string(argv[i+1])))
			i++
		default:
			w.Error("ERR Unknown argument " + string(argv[i]))
			return
		}
	}
	var libs []engine.Library
	for _, l := range s.db.Libraries() {
		if pattern == nil || engine.GlobMatch(pattern, []byte(strings.ToLower(l.Name))) {
			libs = append(libs, l)
		}
	}
	w.Array(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		w.Map(n)
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.Functions))
		for _, f := range l.Functions {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.Description == nil {
				w.Null()
			} else {
				w.BulkString(*f.Description)
			}
			w.BulkString("flags")
			w.Set(len(f.Flags))
			for _, fl := range f.Flags {
				w.Simple(fl)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.Code)
		}
	}
}
