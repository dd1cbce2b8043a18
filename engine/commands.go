package engine

// Flags describe how a command must be routed and executed.
type Flags uint32

// Command flags.
const (
	// FlagWrite: the command may modify data; it goes through Raft.
	FlagWrite Flags = 1 << iota
	// FlagReadOnly: the command only reads data.
	FlagReadOnly
	// FlagFast: O(1) or O(log n).
	FlagFast
	// FlagDenyOOM: may grow memory use.
	FlagDenyOOM
	// FlagMultiKey: keys may span Regions; the server splits the command per
	// Region and merges the replies (see Merge).
	FlagMultiKey
	// FlagSameSlotKeys: every key must be in one Region, else -CROSSSLOT.
	FlagSameSlotKeys
	// FlagRandom: the reply may differ between calls (RANDOMKEY).
	FlagRandom
	// FlagKeylessReads: called without a key (HELP, a subcommand missing
	// its arguments), the write command only reads: it answers from its
	// arguments (XGROUP HELP).
	FlagKeylessReads
	// FlagScript: runs a Lua script or function. Called without keys it
	// runs in the Region of ScriptKeySlot.
	FlagScript
)

// Merge says how the per-Region replies of a FlagMultiKey command combine.
type Merge uint8

// Ways to merge the replies of a command split across Regions.
const (
	MergeNone     Merge = iota
	MergeSum            // integer replies are added (DEL, EXISTS, TOUCH, UNLINK)
	MergeArray          // array replies are reassembled in key order (MGET)
	MergeAllOK          // every part must reply +OK (MSET)
	MergeKeyPairs       // like MergeAllOK, keys come in key/value pairs (MSET)
)

// Command is one data command: its Redis metadata and its execution.
type Command struct {
	Name     string // lowercase
	Arity    int    // Redis convention: n exact, -n at least n
	Flags    Flags
	FirstKey int
	LastKey  int // -1: the last argument
	Step     int
	Merge    Merge
	Group    string // COMMAND DOCS group
	Since    string
	Summary  string
	ACL      []string
	Exec     func(c *Ctx, argv [][]byte)
	// KeysFunc, if set, gives the key positions of commands whose keys
	// follow a count (ZUNION numkeys k1 k2 ..., LMPOP, ZINTERCARD), which
	// FirstKey/LastKey/Step cannot express. KeysOf uses it; Keys, which
	// sees only argc, falls back to FirstKey..LastKey (the first key).
	KeysFunc func(argv [][]byte) []int
}

// Keys returns the positions of argv that are keys.
func (cmd *Command) Keys(argc int, fn func(i int)) {
	if cmd.FirstKey == 0 {
		return
	}
	last := cmd.LastKey
	if last < 0 {
		last = argc + last
	}
	if last >= argc {
		last = argc - 1
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	for i := cmd.FirstKey; i <= last; i += step {
		fn(i)
	}
}

// KeysOf calls fn with the positions of argv that are keys: KeysFunc's
// answer if the command has one, else Keys's.
func (cmd *Command) KeysOf(argv [][]byte, fn func(i int)) {
	if cmd.KeysFunc == nil {
		cmd.Keys(len(argv), fn)
		return
	}
	for _, i := range cmd.KeysFunc(argv) {
		if i > 0 && i < len(argv) {
			fn(i)
		}
	}
}

// Commands returns the data command table keyed by lowercase name.
func Commands() map[string]*Command {
	t := map[string]*Command{}
	add := func(cmds ...*Command) {
		for _, c := range cmds {
			t[c.Name] = c
		}
	}
	add(stringCommands()...)
	add(bitmapCommands()...)
	add(hyperLogLogCommands()...)
	add(keyCommands()...)
	add(txnCommands()...)
	add(scriptCommands()...)
	add(functionCommands()...)
	for _, c := range BlockingCommands() {
		// Applied as their non-blocking attempt; the front end blocks.
		add(c)
	}
	add(hashCommands()...)
	add(setCommands()...)
	add(objectCommands()...)
	add(memoryCommands()...)
	add(listCommands()...)
	add(zsetCommands()...)
	add(geoCommands()...)
	add(dumpCommands()...)
	add(sortCommands()...)
	add(streamCommands()...)
	add(streamGroupCommands()...)
	return t
}

// Internal commands are proposed by the server itself (active expiry, flush)
// and never accepted from clients: they travel with a distinct kind in the
// entry encoding.
func internalCommands() map[string]func(c *Ctx, argv [][]byte) {
	return map[string]func(c *Ctx, argv [][]byte){
		"expiredel":  execExpireDel,
		"flushslots": execFlushSlots,
		"checksum":   execChecksum,
	}
}

// containerSub checks a container command's subcommand and its arity
// (Redis's subcommand table) and answers HELP with help; ok false:
// replied.
func (c *Ctx) containerSub(argv [][]byte, container string, arities map[string]int, help []string) (string, bool) {
	sub := string(lower(argv[1]))
	arity, known := arities[sub]
	if !known {
		s := argv[1]
		if len(s) > 128 {
			s = s[:128]
		}
		c.W.Error("ERR unknown subcommand '" + string(s) + "'. Try " + container + " HELP.")
		return "", false
	}
	if (arity > 0 && len(argv) != arity) || len(argv) < -arity {
		c.W.Error("ERR wrong number of arguments for '" + string(lower([]byte(container))) + "|" + sub + "' command")
		return "", false
	}
	if sub == "help" {
		c.W.Array(len(help))
		for _, l := range help {
			c.W.Simple(l)
		}
		return "", false
	}
	return sub, true
}
