package engine

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/neokv/neokv/resp"
	"github.com/neokv/neokv/slots"
)

// Lua scripting: EVAL and EVAL_RO (EVALSHA and EVALSHA_RO are resolved to
// them by the front end, which keeps the script cache; see ScriptBody).
//
// A script is a command like any other: EVAL goes through the Raft log with
// its body, and every replica runs it in its apply loop against the same
// state, with the entry's clock, so it must give the same bytes everywhere:
//   - the interpreter is gopher-lua (Lua 5.1, as Redis's), with only the
//     base, table, string and math libraries (no os, io, package, load of
//     files), and math.random reseeded identically before every run;
//   - a script runs at most scriptInstructionLimit VM instructions, counted
//     by the interpreter, so a runaway loop ends at the same instruction on
//     every replica instead of stalling the apply loop (Redis lets it run
//     and offers SCRIPT KILL; a replicated state machine cannot wait);
//   - globals are read-only, as in Redis 7.
//
// Every key a writing script touches must be in the Region its entry is
// applied in (SetSlots); on the default single node that is every key. As
// in Redis, a script is not rolled back when it fails half way: the writes
// before the error stay (the same ones on every replica).

// scriptInstructionLimit bounds one script run: about 2.5 s of Lua on the
// benchmark machine.
const scriptInstructionLimit = 100_000_000

// maxCachedScripts bounds the script cache; the oldest scripts go first.
const maxCachedScripts = 10_000

// scriptCache holds scripts by SHA1: their bodies (EVALSHA, SCRIPT EXISTS)
// and their compiled form. It is node-local and not persisted, as Redis's.
type scriptCache struct {
	mu     sync.Mutex
	protos map[string]*lua.FunctionProto
	bodies map[string][]byte // never changed once stored: handed out as they are
	order  []string
	idle   []*luaVM // interpreters between runs
	// libraries: compiled function libraries by SHA1 of their code (not
	// listed by SCRIPT EXISTS, not flushed by SCRIPT FLUSH).
	libraries map[string]*lua.FunctionProto
}

// compileLibrary compiles a function library, caching a few hundred.
func (sc *scriptCache) compileLibrary(sha string, code []byte) (*lua.FunctionProto, error) {
	sc.mu.Lock()
	p := sc.libraries[sha]
	sc.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := compileLua("user_function", code)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.libraries == nil || len(sc.libraries) >= 512 {
		sc.libraries = map[string]*lua.FunctionProto{}
	}
	sc.libraries[sha] = p
	return p, nil
}

// compileLua compiles a chunk; source names it in error texts
// ("user_script:3: ...").
func compileLua(source string, code []byte) (*lua.FunctionProto, error) {
	chunk, err := parse.Parse(strings.NewReader(string(code)), source)
	if err != nil {
		return nil, err
	}
	return lua.Compile(chunk, source)
}

func newScriptCache() *scriptCache {
	return &scriptCache{protos: map[string]*lua.FunctionProto{}, bodies: map[string][]byte{}}
}

// ScriptSHA returns the lowercase hex SHA1 of a script body.
func ScriptSHA(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// compile returns the compiled script, compiling and caching it if needed.
func (sc *scriptCache) compile(sha string, body []byte) (*lua.FunctionProto, error) {
	sc.mu.Lock()
	p := sc.protos[sha]
	sc.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := compileLua("user_script", body)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if _, ok := sc.protos[sha]; !ok {
		if len(sc.order) >= maxCachedScripts {
			old := sc.order[0]
			sc.order = sc.order[1:]
			delete(sc.protos, old)
			delete(sc.bodies, old)
		}
		sc.order = append(sc.order, sha)
		sc.protos[sha] = p
		sc.bodies[sha] = append([]byte(nil), body...)
	}
	return p, nil
}

// ScriptLoad compiles body into the cache (SCRIPT LOAD) and returns its
// SHA1, or Redis's compile error.
func (db *DB) ScriptLoad(body []byte) (string, error) {
	sha := ScriptSHA(body)
	if _, err := db.scripts.compile(sha, body); err != nil {
		return "", errors.New(compileError(err, 1+strings.Count(string(body), "\n")))
	}
	return sha, nil
}

// ScriptBody returns the body of a cached script (EVALSHA); sha may be in
// either case. The bytes are the cache's own: read them, never change them.
func (db *DB) ScriptBody(sha []byte) ([]byte, bool) {
	sc := db.scripts
	sc.mu.Lock()
	defer sc.mu.Unlock()
	b, ok := sc.bodies[strings.ToLower(string(sha))]
	return b, ok
}

// ScriptFlush empties the script cache (SCRIPT FLUSH).
func (db *DB) ScriptFlush() {
	sc := db.scripts
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.protos, sc.bodies, sc.order = map[string]*lua.FunctionProto{}, map[string][]byte{}, nil
}

// compileError words a syntax error as Lua 5.1 (and so Redis) does for
// the common case, "user_script:LINE: unexpected symbol near 'TOKEN'";
// gopher-lua's parser does not say more than that a token was unexpected.
func compileError(err error, lastLine int) string {
	const prefix = "ERR Error compiling script (new function): user_script:"
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return prefix + strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if pe.Pos.Line == parse.EOF {
		return prefix + strconv.Itoa(lastLine) + ": unexpected symbol near '<eof>'"
	}
	return prefix + strconv.Itoa(pe.Pos.Line) + ": unexpected symbol near '" + pe.Token + "'"
}

func scriptCommands() []*Command {
	keys := func(argv [][]byte) []int {
		if len(argv) < 3 {
			return nil
		}
		n, ok := resp.ParseInt(argv[2])
		if !ok || n < 0 || int(n) > len(argv)-3 {
			return nil
		}
		pos := make([]int, n)
		for i := range pos {
			pos[i] = 3 + i
		}
		return pos
	}
	return []*Command{
		{Name: "eval", Arity: -3, Flags: FlagWrite | FlagSameSlotKeys | FlagScript, KeysFunc: keys, Group: "scripting", Since: "2.6.0",
			Summary: "Executes a server-side Lua script.", ACL: []string{"@slow", "@scripting"}, Exec: execEval},
		{Name: "eval_ro", Arity: -3, Flags: FlagReadOnly | FlagSameSlotKeys | FlagScript, KeysFunc: keys, Group: "scripting", Since: "7.0.0",
			Summary: "Executes a read-only server-side Lua script.", ACL: []string{"@slow", "@scripting"}, Exec: execEval},
		// The front end turns these into EVAL/EVAL_RO with the cached body
		// before they are routed; they are here for their metadata.
		{Name: "evalsha", Arity: -3, Flags: FlagWrite | FlagSameSlotKeys | FlagScript, KeysFunc: keys, Group: "scripting", Since: "2.6.0",
			Summary: "Executes a server-side Lua script by SHA1 digest.", ACL: []string{"@slow", "@scripting"}, Exec: execNoScript},
		{Name: "evalsha_ro", Arity: -3, Flags: FlagReadOnly | FlagSameSlotKeys | FlagScript, KeysFunc: keys, Group: "scripting", Since: "7.0.0",
			Summary: "Executes a read-only server-side Lua script by SHA1 digest.", ACL: []string{"@slow", "@scripting"}, Exec: execNoScript},
	}
}

// ScriptKeySlot is the slot a keyless script is routed by: scripts without
// keys run in the Region holding slot 0.
const ScriptKeySlot = 0

// luaVM is one interpreter, used by one script run at a time.
type luaVM struct {
	L *lua.LState
	c *Ctx
	// name and source name the run in error texts: the script's SHA1 and
	// "user_script", or the function's name and "user_function".
	name   string
	source string
	ro     bool
	// loading: a function library's code is running (FUNCTION LOAD, or an
	// FCALL registering its library's functions): register_function
	// works, redis.call does not.
	loading    bool
	registered []registeredFunction
	scratch    resp.Writer
	budget     instructionBudget
	rand       uint64
	globals    *lua.LTable
	// handler turns an error into Redis's {err=..., line=...} while the
	// failing frames are still on the stack.
	handler *lua.LFunction
	// callErr is the error the last failing redis.call raised.
	callErr string
	// env is what scripts see as their globals: a read-only view of
	// globals; protected holds every such view.
	env       *lua.LTable
	protected map[*lua.LTable]bool
	// objects numbers the tables and functions a run printed.
	objects map[lua.LValue]int
	// jsonNull is cjson.null.
	jsonNull *lua.LUserData
}

// objectName is what tostring gives a table, function, thread or userdata
// without a __tostring metamethod: "table: 0x00000001" for the first one
// the run printed, and so on (ok false for other values).
func (vm *luaVM) objectName(L *lua.LState, v lua.LValue) (string, bool) {
	switch v.Type() {
	case lua.LTTable, lua.LTFunction, lua.LTThread, lua.LTUserData:
	default:
		return "", false
	}
	if mt, ok := L.GetMetatable(v).(*lua.LTable); ok && mt.RawGetString("__tostring") != lua.LNil {
		return "", false
	}
	id, ok := vm.objects[v]
	if !ok {
		id = len(vm.objects) + 1
		vm.objects[v] = id
	}
	return v.Type().String() + ": 0x" + fmt.Sprintf("%08x", id), true
}

// readOnly returns a view that scripts cannot change: writes raise Redis's
// error, the metatable is hidden. Reads go to index: a table, or a
// function called as __index.
func (vm *luaVM) readOnly(L *lua.LState, index lua.LValue) *lua.LTable {
	view, mt := L.NewTable(), L.NewTable()
	mt.RawSetString("__index", index)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(view, mt)
	vm.protected[view] = true
	return view
}

// nonexistentGlobal raises Redis's error for reading an unset global.
func nonexistentGlobal(L *lua.LState) int {
	L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckString(2))
	return 0
}

// instructionBudget is a context whose Done channel closes after a fixed
// number of calls: gopher-lua calls Done once per VM instruction, so it
// counts instructions, the same on every replica.
type instructionBudget struct {
	left   int64
	closed chan struct{}
}

var _ context.Context = (*instructionBudget)(nil)

var errScriptBudget = errors.New("ERR script exceeded the limit of 100000000 Lua instructions (NeoKV stops runaway scripts the same way on every replica)")

func (b *instructionBudget) Deadline() (d time.Time, ok bool) { return }
func (b *instructionBudget) Value(any) any                    { return nil }
func (b *instructionBudget) Err() error {
	if b.left < 0 {
		return errScriptBudget
	}
	return nil
}
func (b *instructionBudget) Done() <-chan struct{} {
	b.left--
	if b.left < 0 {
		return b.closed
	}
	return nil
}

// maxIdleLuaVMs bounds the interpreters kept between runs. Each apply loop
// and each client running a read-only script takes one for the run only,
// so a node with thousands of clients does not keep thousands of them.
const maxIdleLuaVMs = 16

// takeLuaVM returns an idle interpreter, or a new one.
func (sc *scriptCache) takeLuaVM() *luaVM {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if n := len(sc.idle); n > 0 {
		vm := sc.idle[n-1]
		sc.idle = sc.idle[:n-1]
		return vm
	}
	return newLuaVM()
}

// putLuaVM keeps an interpreter for the next run. Nothing of a run stays
// in it (globals and libraries are read-only), so any run may take any.
func (sc *scriptCache) putLuaVM(vm *luaVM) {
	vm.c = nil
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if len(sc.idle) < maxIdleLuaVMs {
		sc.idle = append(sc.idle, vm)
		return
	}
	vm.L.Close()
}

func newLuaVM() *luaVM {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, RegistrySize: 1024, RegistryMaxSize: 1024 * 1024})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	vm := &luaVM{L: L, budget: instructionBudget{closed: make(chan struct{})}, objects: map[lua.LValue]int{}}
	close(vm.budget.closed)
	g := L.G.Global
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "require", "module", "getfenv", "setfenv", "newproxy", "_printregs"} {
		g.RawSetString(name, lua.LNil)
	}
	// Scripts written for Redis call these; they must not print to the
	// server's output or read the heap (which differs between replicas).
	g.RawSetString("print", L.NewFunction(func(L *lua.LState) int { return 0 }))
	g.RawSetString("collectgarbage", L.NewFunction(func(L *lua.LState) int { L.Push(lua.LNumber(0)); return 1 }))
	math := L.GetGlobal("math").(*lua.LTable)
	math.RawSetString("random", L.NewFunction(vm.random))
	math.RawSetString("randomseed", L.NewFunction(vm.randomseed))
	redis := L.NewTable()
	redis.RawSetString("call", L.NewFunction(func(L *lua.LState) int { return vm.call(L, true) }))
	redis.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int { return vm.call(L, false) }))
	redis.RawSetString("error_reply", L.NewFunction(func(L *lua.LState) int { return replyTable(L, "err") }))
	redis.RawSetString("status_reply", L.NewFunction(func(L *lua.LState) int { return replyTable(L, "ok") }))
	redis.RawSetString("sha1hex", L.NewFunction(func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Error(errorTable(L, "ERR wrong number of arguments"), 0)
			return 0
		}
		L.Push(lua.LString(ScriptSHA([]byte(s))))
		return 1
	}))
	noop := L.NewFunction(func(L *lua.LState) int { return 0 })
	yes := L.NewFunction(func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	redis.RawSetString("log", noop)
	redis.RawSetString("set_repl", noop)
	redis.RawSetString("replicate_commands", yes)
	redis.RawSetString("setresp", L.NewFunction(func(L *lua.LState) int {
		if L.CheckInt(1) != 2 {
			L.RaiseError("RESP version must be 2: NeoKV's scripts speak RESP2 to commands")
		}
		return 0
	}))
	for i, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		redis.RawSetString(name, lua.LNumber(i))
	}
	for i, name := range []string{"REPL_NONE", "REPL_AOF", "REPL_SLAVE", "REPL_REPLICA", "REPL_ALL"} {
		redis.RawSetString(name, lua.LNumber([]int{0, 1, 2, 2, 3}[i]))
	}
	g.RawSetString("redis", redis)
	g.RawSetString("cjson", vm.openCJSON(L))
	g.RawSetString("bit", openBit(L))
	// tostring and string.format of a table or function print its address
	// in Lua, which differs between replicas; here they print a number
	// counted per run, in the order the script asks.
	tostring := g.RawGetString("tostring").(*lua.LFunction)
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if name, ok := vm.objectName(L, L.CheckAny(1)); ok {
			L.Push(lua.LString(name))
			return 1
		}
		return tostring.GFunction(L)
	}))
	stringLib := g.RawGetString("string").(*lua.LTable)
	format := stringLib.RawGetString("format").(*lua.LFunction)
	stringLib.RawSetString("format", L.NewFunction(func(L *lua.LState) int {
		for i := 2; i <= L.GetTop(); i++ {
			if name, ok := vm.objectName(L, L.Get(i)); ok {
				L.Replace(i, lua.LString(name))
			}
		}
		n := format.GFunction(L)
		vm.charge(L, len(lua.LVAsString(L.Get(-1))))
		return n
	}))
	// Every string a script makes counts against its string budget
	// (concatenation counts itself, in the interpreter): rep is checked
	// before it allocates, the others once they did.
	rep := stringLib.RawGetString("rep").(*lua.LFunction)
	stringLib.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		if n := L.OptInt(2, 0); n > 0 {
			vm.charge(L, len(L.CheckString(1))*n)
		}
		return rep.GFunction(L)
	}))
	for _, name := range []string{"upper", "lower", "reverse", "gsub"} {
		orig := stringLib.RawGetString(name).(*lua.LFunction)
		stringLib.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			n := orig.GFunction(L)
			vm.charge(L, len(lua.LVAsString(L.Get(-n))))
			return n
		}))
	}
	// Nothing a script can reach may keep a change for the next script:
	// the interpreter is reused, and a replica that restarted would run the
	// next script on a fresh one. So globals and the libraries are read-only
	// proxies (as Redis 7's readonly tables), their metatables protected,
	// and rawset refuses them. KEYS and ARGV are set behind the proxy.
	vm.protected = map[*lua.LTable]bool{}
	for _, name := range []string{"string", "math", "table", "redis", "cjson", "bit"} {
		g.RawSetString(name, vm.readOnly(L, g.RawGetString(name)))
	}
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		mt.RawSetString("__metatable", lua.LFalse)
	}
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		t := L.CheckTable(1)
		if vm.protected[t] {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		t.RawSet(L.CheckAny(2), L.CheckAny(3))
		L.SetTop(1)
		return 1
	}))
	setmetatable := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && vm.protected[t] {
			L.Error(lua.LString("Attempt to modify a readonly table"), 0)
		}
		return setmetatable.GFunction(L)
	}))
	// While a function library loads, its code sees only a redis table
	// with register_function and log, as in Redis; its functions, which
	// keep this environment, see everything else when they are called.
	loadRedis := L.NewTable()
	loadRedis.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	loadRedis.RawSetString("log", noop)
	for i, name := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		loadRedis.RawSetString(name, lua.LNumber(i))
	}
	loadRedisView := vm.readOnly(L, L.NewFunction(func(L *lua.LState) int {
		if v := loadRedis.RawGet(L.Get(2)); v != lua.LNil {
			L.Push(v)
			return 1
		}
		return nonexistentGlobal(L)
	}))
	vm.env = vm.readOnly(L, L.NewFunction(func(L *lua.LState) int {
		key := L.Get(2)
		if vm.loading {
			if lua.LVAsString(key) == "redis" {
				L.Push(loadRedisView)
				return 1
			}
			return nonexistentGlobal(L)
		}
		if v := g.RawGet(key); v != lua.LNil {
			L.Push(v)
			return 1
		}
		return nonexistentGlobal(L)
	}))
	g.RawSetString("_G", vm.env)
	vm.globals = g
	vm.handler = L.NewFunction(vm.handleError)
	return vm
}

// replyTable is redis.error_reply and redis.status_reply.
func replyTable(L *lua.LState, field string) int {
	arg, ok := L.Get(1).(lua.LString)
	if L.GetTop() != 1 || !ok {
		L.Push(errorTable(L, "ERR wrong number or type of arguments"))
		return 1
	}
	t := L.NewTable()
	if field == "err" {
		t.RawSetString("err", lua.LString(errorWithCode(string(arg))))
	} else {
		t.RawSetString("ok", arg)
	}
	L.Push(t)
	return 1
}

// errorWithCode gives an error message a code as Redis's luaPushErrorBuff
// does: a leading '-' goes, and a message of one word gets "ERR ".
func errorWithCode(msg string) string {
	msg = strings.TrimPrefix(msg, "-")
	msg = strings.TrimRight(msg, "\r\n")
	if !strings.Contains(msg, " ") {
		return "ERR " + msg
	}
	return msg
}

func errorTable(L *lua.LState, msg string) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("err", lua.LString(msg))
	return t
}

// random is Lua's math.random over a generator reseeded before each run.
func (vm *luaVM) random(L *lua.LState) int {
	vm.rand = vm.rand*6364136223846793005 + 1442695040888963407
	f := float64(vm.rand>>11) / (1 << 53)
	switch L.GetTop() {
	case 0:
		L.Push(lua.LNumber(f))
	case 1:
		n := L.CheckInt(1)
		if n < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(lua.LNumber(int(f*float64(n)) + 1))
	default:
		lo, hi := L.CheckInt(1), L.CheckInt(2)
		if lo > hi {
			L.ArgError(2, "interval is empty")
		}
		L.Push(lua.LNumber(lo + int(f*float64(hi-lo+1))))
	}
	return 1
}

func (vm *luaVM) randomseed(L *lua.LState) int {
	vm.rand = uint64(L.CheckInt64(1))
	return 0
}

// ErrNoScript answers EVALSHA of a script not in the cache.
const ErrNoScript = "NOSCRIPT No matching script. Please use EVAL."

func execNoScript(c *Ctx, _ [][]byte) { c.W.Error(ErrNoScript) }

// ScriptNumKeys checks the numkeys argument of EVAL and its kin, argv
// being name script numkeys key... arg...; errMsg is Redis's error.
func ScriptNumKeys(argv [][]byte) (n int, errMsg string) {
	v, ok := resp.ParseInt(argv[2])
	switch {
	case !ok:
		return 0, ErrNotInteger
	case v < 0:
		return 0, "ERR Number of keys can't be negative"
	case v > int64(len(argv)-3):
		return 0, "ERR Number of keys can't be greater than number of args"
	}
	return int(v), ""
}

// execEval runs EVAL/EVAL_RO script numkeys key... arg....
func execEval(c *Ctx, argv [][]byte) {
	n, errMsg := ScriptNumKeys(argv)
	if errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	sha := ScriptSHA(argv[1])
	proto, err := c.db.scripts.compile(sha, argv[1])
	if err != nil {
		c.W.Error(compileError(err, 1+strings.Count(string(argv[1]), "\n")))
		return
	}
	vm := c.db.scripts.takeLuaVM()
	defer vm.release(c.db.scripts)
	vm.start(c, sha, "user_script", c.name == "eval_ro")
	keys, args := vm.stringTable(argv[3:3+n]), vm.stringTable(argv[3+n:])
	vm.globals.RawSetString("KEYS", keys)
	vm.globals.RawSetString("ARGV", args)
	fn := vm.L.NewFunctionFromProto(proto)
	fn.Env = vm.env
	ret, err := vm.pcall(fn)
	vm.reply(c, ret, err)
}

// start readies the interpreter for one run of c: the run's names, a fresh
// random seed and table numbering, full instruction and string budgets.
func (vm *luaVM) start(c *Ctx, name, source string, ro bool) {
	vm.c, vm.name, vm.source, vm.ro, vm.rand, vm.callErr = c, name, source, ro, 0, ""
	vm.loading, vm.registered = false, vm.registered[:0]
	clear(vm.objects)
	vm.budget.left = scriptInstructionLimit
	vm.L.StringBudgetOn, vm.L.StringBudget = true, scriptStringBudget
}

// scriptStringBudget bounds the bytes of strings one run may make
// (concatenations, the string library, replies of redis.call, arguments
// passed to it): Redis's largest string. The instruction limit alone does
// not bound memory: s = s .. s doubles a string in one instruction, and
// every replica would run out of memory again when replaying the entry.
const scriptStringBudget = 512 << 20

// charge counts n bytes a run made against its string budget.
func (vm *luaVM) charge(L *lua.LState, n int) {
	if int64(n) > L.StringBudget {
		L.StringBudget = 0
		L.RaiseError("%s", lua.ErrStringBudget)
	}
	L.StringBudget -= int64(n)
}

// release gives the interpreter back, or drops it if the run panicked (it
// may be left half way); the panic goes on.
func (vm *luaVM) release(sc *scriptCache) {
	if p := recover(); p != nil {
		vm.L.Close()
		panic(p)
	}
	sc.putLuaVM(vm)
}

// stringTable is a Lua array of the arguments (KEYS, ARGV).
func (vm *luaVM) stringTable(args [][]byte) *lua.LTable {
	t := vm.L.CreateTable(len(args), 0)
	for i, a := range args {
		t.RawSetInt(i+1, lua.LString(a))
	}
	return t
}

// pcall calls fn with args within the run's instruction budget.
func (vm *luaVM) pcall(fn lua.LValue, args ...lua.LValue) (lua.LValue, error) {
	L := vm.L
	L.SetContext(&vm.budget)
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, vm.handler)
	L.RemoveContext()
	var ret lua.LValue = lua.LNil
	if err == nil {
		ret = L.Get(-1)
	}
	L.SetTop(0)
	return ret, err
}

// reply answers a run's result or error on c's writer (nothing after a
// storage failure, which ends the apply).
func (vm *luaVM) reply(c *Ctx, ret lua.LValue, err error) {
	switch {
	case c.err != nil:
	case err != nil:
		c.W.Error(vm.errorText(err))
	default:
		luaToResp(c.W, ret, 0)
	}
}

// handleError is the error handler of a script run, as Redis's
// __redis__err__handler: a Lua error (a string) gets the ERR code, a table
// (a failed redis.call, error(redis.error_reply(...))) keeps its own, and
// the line of the innermost Lua frame is noted.
func (vm *luaVM) handleError(L *lua.LState) int {
	obj := L.Get(1)
	t, ok := obj.(*lua.LTable)
	switch {
	case ok:
	case vm.callErr != "" && obj.String() == vm.callErr:
		t = errorTable(L, vm.callErr)
	default:
		msg := obj.String()
		if name, ok := vm.objectName(L, obj); ok {
			msg = name
		}
		t = errorTable(L, "ERR "+msg)
	}
	for level := 1; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
			continue
		}
		t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
		break
	}
	L.Push(t)
	return 1
}

// errorText formats a failed run as Redis 7 does: the error, then the
// script and the line it failed on.
func (vm *luaVM) errorText(err error) string {
	msg, line := vm.errorParts(err)
	if line < 0 {
		return msg
	}
	return msg + " script: " + vm.name + ", on @" + vm.source + ":" + strconv.Itoa(line) + "."
}

// errorMessage is a failed run's error without where it happened.
func (vm *luaVM) errorMessage(err error) string {
	msg, _ := vm.errorParts(err)
	return msg
}

// errorParts splits what the error handler made of a failure: the message
// (with its error code) and the line (-1: unknown).
func (vm *luaVM) errorParts(err error) (string, int) {
	if vm.budget.left < 0 {
		return errScriptBudget.Error(), -1
	}
	var apiErr *lua.ApiError
	if !errors.As(err, &apiErr) {
		return "ERR " + err.Error(), -1
	}
	t, ok := apiErr.Object.(*lua.LTable)
	if !ok {
		return "ERR " + apiErr.Object.String(), -1
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	if msg == "" {
		msg = "ERR unknown error"
	}
	line, ok := t.RawGetString("line").(lua.LNumber)
	if !ok {
		return msg, -1
	}
	return msg, int(line)
}

// call is redis.call (raise: a command's error raises it) and redis.pcall
// (the error is returned as a table).
func (vm *luaVM) call(L *lua.LState, raise bool) int {
	c := vm.c
	fail := func(msg string) int {
		msg = errorWithCode(msg)
		if !raise {
			L.Push(errorTable(L, msg))
			return 1
		}
		// Redis raises the message itself (pcall(redis.call, ...) sees a
		// string); the error handler knows it needs no ERR code.
		vm.callErr = msg
		L.Error(lua.LString(msg), 0)
		return 0
	}
	if vm.loading || c == nil {
		// As Redis: while a library loads, redis has no call or pcall.
		if raise {
			L.RaiseError("Script attempted to access nonexistent global variable 'call'")
		}
		L.RaiseError("Script attempted to access nonexistent global variable 'pcall'")
	}
	top := L.GetTop()
	if top == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	argv := make([][]byte, top)
	for i := 1; i <= top; i++ {
		vm.charge(L, len(lua.LVAsString(L.Get(i))))
		switch v := L.Get(i).(type) {
		case lua.LString:
			argv[i-1] = []byte(v)
		case lua.LNumber:
			// As Lua 5.1's tostring (%.17g), which Redis's scripts use.
			argv[i-1] = strconv.AppendFloat(nil, float64(v), 'g', 17, 64)
		default:
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
	}
	name := strings.ToLower(string(argv[0]))
	if name == "ping" && len(argv) <= 2 {
		// Server commands scripts commonly call: PING and TIME.
		if len(argv) == 1 {
			t := L.NewTable()
			t.RawSetString("ok", lua.LString("PONG"))
			L.Push(t)
		} else {
			L.Push(lua.LString(argv[1]))
		}
		return 1
	}
	if name == "time" && len(argv) == 1 {
		// The entry's clock (the leader's, in milliseconds), the same on
		// every replica: rate limiters call TIME from scripts.
		t := L.CreateTable(2, 0)
		t.RawSetInt(1, lua.LString(strconv.FormatInt(c.now/1000, 10)))
		t.RawSetInt(2, lua.LString(strconv.FormatInt(c.now%1000*1000, 10)))
		L.Push(t)
		return 1
	}
	cmd := c.db.commandTable()[name]
	switch {
	case cmd != nil && cmd.Flags&FlagScript != 0,
		name == "script" || name == "function" || name == "multi" || name == "exec" || name == "watch":
		return fail("ERR This Redis command is not allowed from script")
	case cmd == nil:
		return fail("ERR Unknown Redis command called from script")
	case cmd.Arity > 0 && len(argv) != cmd.Arity, cmd.Arity < 0 && len(argv) < -cmd.Arity:
		return fail("ERR Wrong number of args calling Redis command from script")
	}
	if cmd.Flags&FlagWrite != 0 {
		keyed := false
		cmd.KeysOf(argv, func(int) { keyed = true })
		if vm.ro && (keyed || cmd.Flags&FlagKeylessReads == 0) {
			return fail("ERR Write commands are not allowed from read-only scripts.")
		}
		if c.b == nil && (keyed || cmd.Flags&FlagKeylessReads == 0) {
			return fail("ERR Write commands are not allowed from read-only scripts.")
		}
	}
	foreign := false
	cmd.KeysOf(argv, func(i int) {
		if s := slots.Of(argv[i]); s < c.slotLo || s > c.slotHi {
			foreign = true
		}
	})
	if foreign {
		return fail("ERR Script attempted to access a non local key in a cluster node")
	}
	argv[0] = []byte(cmd.Name)
	vm.scratch.Reset()
	vm.scratch.RESP3 = false
	if !vm.exec(cmd, argv) {
		// A storage failure: the apply stops; the script goes no further.
		L.RaiseError("storage failure")
		return 0
	}
	vm.charge(L, len(vm.scratch.B))
	v, _, errMsg := respToLua(L, vm.scratch.B)
	if errMsg != "" {
		return fail(errMsg)
	}
	L.Push(v)
	return 1
}

// exec runs one command of a script with its reply in the scratch
// writer; false means a storage failure (Ctx.err).
func (vm *luaVM) exec(cmd *Command, argv [][]byte) bool {
	c := vm.c
	saveW, saveName := c.W, c.name
	// Restored even if the command panics (the interpreter recovers it
	// into a script error).
	defer func() { c.W, c.name = saveW, saveName }()
	c.W, c.name = &vm.scratch, cmd.Name
	cmd.Exec(c, argv)
	return c.err == nil
}

// respToLua converts one RESP2 reply to a Lua value as Redis does: nulls
// are false, a status is {ok=...}; an error reply comes back as errMsg.
func respToLua(L *lua.LState, b []byte) (v lua.LValue, n int, errMsg string) {
	if len(b) < 3 {
		return lua.LFalse, len(b), ""
	}
	end := strings.Index(string(b), "\r\n")
	if end < 0 {
		return lua.LFalse, len(b), ""
	}
	line := string(b[1:end])
	n = end + 2
	switch b[0] {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, n, ""
	case '-':
		return lua.LNil, n, line
	case ':':
		i, _ := strconv.ParseInt(line, 10, 64)
		return lua.LNumber(i), n, ""
	case '$':
		l, _ := strconv.Atoi(line)
		if l < 0 {
			return lua.LFalse, n, ""
		}
		return lua.LString(b[n : n+l]), n + l + 2, ""
	case '*':
		cnt, _ := strconv.Atoi(line)
		if cnt < 0 {
			return lua.LFalse, n, ""
		}
		t := L.CreateTable(cnt, 0)
		for i := 1; i <= cnt; i++ {
			e, m, em := respToLua(L, b[n:])
			n += m
			if em != "" {
				// An error inside an array (EXEC's): a table {err=...}.
				et := L.NewTable()
				et.RawSetString("err", lua.LString(em))
				e = et
			}
			t.RawSetInt(i, e)
		}
		return t, n, ""
	}
	return lua.LFalse, len(b), ""
}

// luaToResp writes a script's result as Redis converts it: numbers are
// truncated to integers, true is 1, false and nil are null, a table with
// ok or err is a status or an error, any other table an array up to its
// first nil.
func luaToResp(w *resp.Writer, v lua.LValue, depth int) {
	switch v := v.(type) {
	case lua.LNumber:
		w.Int(int64(v))
	case lua.LString:
		w.Bulk([]byte(v))
	case lua.LBool:
		if v {
			w.Int(1)
		} else {
			w.Null()
		}
	case *lua.LTable:
		if e, ok := v.RawGetString("err").(lua.LString); ok {
			w.Error(string(e))
			return
		}
		if s, ok := v.RawGetString("ok").(lua.LString); ok {
			w.Simple(string(s))
			return
		}
		if depth > 100 {
			w.Error("ERR reached lua stack limit")
			return
		}
		n := 0
		for v.RawGetInt(n+1) != lua.LNil {
			n++
		}
		w.Array(n)
		for i := 1; i <= n; i++ {
			luaToResp(w, v.RawGetInt(i), depth+1)
		}
	default:
		w.Null()
	}
}
