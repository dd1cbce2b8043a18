package tests

import (
	"strings"
	"testing"
)

// aclDiffScripts: NeoKV's one user, "default", as Redis's ACL commands
// report it (no password: nopass; see TestACLWithPassword for the other).
var aclDiffScripts = []diffScript{
	{"acl-default-user", `
ACL WHOAMI
ACL USERS
ACL LIST
ACL GETUSER default
ACL GETUSER nobody
ACL CAT
?ACL CAT hyperloglog
ACL CAT nosuch
ACL LOG
ACL LOG RESET
ACL LOG 5
ACL LOG x
ACL GENPASS 0
ACL GENPASS 4097
?ACL GENPASS 8
ACL DRYRUN default get k
ACL DRYRUN default nosuch k
ACL DRYRUN nobody get k
ACL LOAD
ACL SAVE
ACL DELUSER default
ACL DELUSER nobody
ACL FOO
ACL
ACL WHOAMI x
ACL GETUSER
ACL HELP
`},
	{"acl-resp3", `
@resp3
ACL GETUSER default
ACL GETUSER nobody
ACL USERS
`},
}

func TestDiffACL(t *testing.T) { runDiffScripts(t, aclDiffScripts, false) }

// TestACLWithPassword: with --requirepass the default user shows the
// password's SHA-256 as Redis does, ACL GENPASS gives as many hex digits as
// bits/4, ACL CAT lists the commands of a category, and ACL SETUSER is
// refused (NeoKV has no other users).
func TestACLWithPassword(t *testing.T) {
	r := Dial(t, StartServer(t, "--requirepass", "pw").Addr)
	if got := r.Do("AUTH", "pw"); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	const sha = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4" // sha256("pw")
	if got, want := r.Do("ACL", "LIST"), "*1\r\n$93\r\nuser default on #"+sha+" ~* &* +@all\r\n"; got != want {
		t.Fatalf("ACL LIST: %q, want %q", got, want)
	}
	if got := r.Do("ACL", "GETUSER", "default"); !strings.HasPrefix(got, "*12\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*1\r\n$64\r\n"+sha+"\r\n") {
		t.Fatalf("ACL GETUSER default: %q", got)
	}
	for bits, digits := range map[string]int{"1": 1, "8": 2, "9": 3, "256": 64} {
		got := r.Do("ACL", "GENPASS", bits)
		if !strings.HasPrefix(got, "$") || len(strings.TrimSpace(got[strings.Index(got, "\n")+1:])) != digits {
			t.Fatalf("ACL GENPASS %s: %q, want %d hex digits", bits, got, digits)
		}
	}
	cat := r.Do("ACL", "CAT", "string")
	for _, cmd := range []string{"get", "set", "incr", "append"} {
		if !strings.Contains(cat, "\r\n"+cmd+"\r\n") {
			t.Fatalf("ACL CAT string lacks %s: %q", cmd, cat)
		}
	}
	if strings.Contains(cat, "\r\nhset\r\n") {
		t.Fatalf("ACL CAT string lists hset: %q", cat)
	}
	if got := r.Do("ACL", "SETUSER", "bob", "on"); !strings.HasPrefix(got, "-ERR NeoKV has one user") {
		t.Fatalf("ACL SETUSER: %q", got)
	}
}
