package netio

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/neokv/neokv/engine"
	"github.com/neokv/neokv/resp"
)

// ACL: NeoKV has one user, "default", with every permission and the
// password of --requirepass (or CONFIG SET requirepass), or none. The ACL
// commands report that user as Redis reports it, so that clients and tools
// that ask (ACL WHOAMI, ACL LIST, ACL CAT) work; creating users or changing
// permissions (ACL SETUSER) is refused with an error that says so.

// aclSubArity is Redis 7's arity of each ACL subcommand.
var aclSubArity = map[string]int{
	"cat": -2, "deluser": -3, "dryrun": -4, "genpass": -2, "getuser": 3, "list": 2, "load": 2,
	"log": -2, "save": 2, "setuser": -3, "users": 2, "whoami": 2, "help": 2,
}

// aclCategories are Redis 7.0's command categories, in its order.
var aclCategories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
	"geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
	"transaction", "scripting",
}

var aclHelp = []string{
	"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
	"HELP",
	"    Prints this help.",
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

func (s *Server) cmdACL(cl *client, argv [][]byte) {
	w := cl.immediate()
	if !subcommandOK(w, "acl", aclSubArity, argv) {
		return
	}
	s.conf.mu.RLock()
	password := s.conf.password
	s.conf.mu.RUnlock()
	passHash := ""
	if password != "" {
		sum := sha256.Sum256([]byte(password))
		passHash = hex.EncodeToString(sum[:])
	}
	switch strings.ToLower(string(argv[1])) {
	case "whoami":
		w.BulkString("default")
	case "users":
		w.Array(1)
		w.BulkString("default")
	case "list":
		pass := "nopass"
		if passHash != "" {
			pass = "#" + passHash
		}
		w.Array(1)
		w.BulkString("user default on " + pass + " ~* &* +@all")
	case "getuser":
		if string(argv[2]) != "default" {
			w.Null()
			return
		}
		writeDefaultUser(w, passHash)
	case "cat":
		s.aclCat(w, argv)
	case "log":
		if len(argv) == 2 {
			w.Array(0)
			return
		}
		if len(argv) > 3 {
			w.Error(engine.ErrSyntax)
			return
		}
		if strings.EqualFold(string(argv[2]), "reset") {
			w.OK()
			return
		}
		if _, ok := resp.ParseInt(argv[2]); !ok {
			w.Error(engine.ErrNotInteger)
			return
		}
		w.Array(0)
	case "genpass":
		bits := int64(256)
		if len(argv) == 3 {
			var ok bool
			if bits, ok = resp.ParseInt(argv[2]); !ok || bits <= 0 || bits > 4096 {
				w.Error("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
				return
			}
		} else if len(argv) > 3 {
			w.Error(engine.ErrSyntax)
			return
		}
		buf := make([]byte, (bits+7)/8)
		if _, err := rand.Read(buf); err != nil {
			w.Error("ERR generating a password: " + err.Error())
			return
		}
		w.BulkString(hex.EncodeToString(buf)[:(bits+3)/4])
	case "dryrun":
		if string(argv[2]) != "default" {
			w.Error("ERR User '" + string(argv[2]) + "' not found")
			return
		}
		if s.lookup(argv[3]) == nil {
			w.Error("ERR Command '" + string(argv[3]) + "' not found")
			return
		}
		w.OK() // the default user may run every command
	case "deluser":
		for _, u := range argv[2:] {
			if string(u) == "default" {
				w.Error("ERR The 'default' user cannot be removed")
				return
			}
		}
		w.Int(0)
	case "load", "save":
		w.Error(errNoACLFile)
	case "setuser":
		w.Error("ERR NeoKV has one user, 'default', whose password is set with --requirepass or CONFIG SET requirepass: ACL SETUSER is not supported")
	case "help":
		writeHelp(w, aclHelp)
	}
}

// writeDefaultUser is ACL GETUSER default.
func writeDefaultUser(w *resp.Writer, passHash string) {
	w.Map(6)
	w.BulkString("flags")
	if passHash == "" {
		w.Set(2)
		w.BulkString("on")
		w.BulkString("nopass")
	} else {
		w.Set(1)
		w.BulkString("on")
	}
	w.BulkString("passwords")
	if passHash == "" {
		w.Array(0)
	} else {
		w.Array(1)
		w.BulkString(passHash)
	}
	for _, kv := range [][2]string{{"commands", "+@all"}, {"keys", "~*"}, {"channels", "&*"}} {
		w.BulkString(kv[0])
		w.BulkString(kv[1])
	}
	w.BulkString("selectors")
	w.Array(0)
}

// aclCat lists the categories, or the commands of one.
func (s *Server) aclCat(w *resp.Writer, argv [][]byte) {
	if len(argv) == 2 {
		w.Array(len(aclCategories))
		for _, c := range aclCategories {
			w.BulkString(c)
		}
		return
	}
	if len(argv) > 3 {
		w.Error(engine.ErrSyntax)
		return
	}
	cat := strings.ToLower(string(argv[2]))
	known := false
	for _, c := range aclCategories {
		known = known || c == cat
	}
	if !known {
		w.Error("ERR Unknown category '" + string(argv[2]) + "'")
		return
	}
	var names []string
	for name, c := range s.cmds {
		for _, a := range c.acl {
			if a == "@"+cat {
				names = append(names, name)
				break
			}
		}
	}
	w.Array(len(names))
	for _, n := range names {
		w.BulkString(n)
	}
}

// serverACL gives a server command (whose table entry names no ACL
// categories) the categories Redis gives such commands: from its group and
// COMMAND flags.
func serverACL(c *command) []string {
	var acl []string
	has := func(flag string) bool {
		for _, f := range c.cmdFlags {
			if f == flag {
				return true
			}
		}
		return false
	}
	switch c.group {
	case "connection":
		acl = append(acl, "@connection")
	case "pubsub":
		acl = append(acl, "@pubsub")
	case "transactions":
		acl = append(acl, "@transaction")
	case "scripting":
		acl = append(acl, "@scripting")
	}
	if has("admin") {
		acl = append(acl, "@admin", "@dangerous")
	}
	if has("fast") {
		acl = append(acl, "@fast")
	} else {
		acl = append(acl, "@slow")
	}
	return acl
}
