package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/neokv/neokv/resp"
)

// Redis 7 Functions: FUNCTION LOAD keeps a Lua library on this node; FCALL
// calls one of its functions.
//
// The registry is the node's own, as in Redis Cluster, where a library is
// loaded on every node: it is kept in functions.json beside the Pebble
// directory (written atomically, fsynced), not in the Raft log. FCALL is
// turned by the front end into neokv.fcall with the library's code, so
// the log carries the code and every replica runs the same function
// whatever its registry holds: the library's code runs first (registering
// its functions into the run's interpreter), then the function is called.

// Library is one loaded function library.
type Library struct {
	Name      string         `json:"name"`
	Code      string         `json:"code"`
	Functions []FunctionInfo `json:"functions"`
	// code is Code as bytes, made once: every FCALL carries it into the
	// log (CodeBytes). Never changed.
	code []byte
}

// CodeBytes is the library's code, shared: read it, never change it.
func (l *Library) CodeBytes() []byte { return l.code }

// FunctionInfo is one function of a library.
type FunctionInfo struct {
	Name string `json:"name"`
	// Description is nil when the library gave none (Redis lists null;
	// an empty one is listed as such).
	Description *string  `json:"description,omitempty"`
	Flags       []string `json:"flags"`
}

// NoWrites reports whether the function declared the no-writes flag.
func (f FunctionInfo) NoWrites() bool {
	for _, fl := range f.Flags {
		if fl == "no-writes" {
			return true
		}
	}
	return false
}

type registeredFunction struct {
	info     FunctionInfo
	callback *lua.LFunction
}

// functionRegistry is the node's libraries, persisted in path.
type functionRegistry struct {
	mu   sync.Mutex
	path string
	libs map[string]*Library
	fns  map[string]*Library // function name -> its library
}

func openFunctionRegistry(path string) (*functionRegistry, error) {
	r := &functionRegistry{path: path, libs: map[string]*Library{}, fns: map[string]*Library{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read function libraries: %w", err)
	}
	var libs []*Library
	if err := json.Unmarshal(b, &libs); err != nil {
		return nil, fmt.Errorf("function libraries in %s: %w", path, err)
	}
	for _, l := range libs {
		r.add(l)
	}
	return r, nil
}

func (r *functionRegistry) add(l *Library) {
	if l.code == nil {
		l.code = []byte(l.Code)
	}
	r.libs[l.Name] = l
	for _, f := range l.Functions {
		r.fns[strings.ToLower(f.Name)] = l
	}
}

func (r *functionRegistry) remove(name string) {
	if l := r.libs[name]; l != nil {
		for _, f := range l.Functions {
			delete(r.fns, strings.ToLower(f.Name))
		}
		delete(r.libs, name)
	}
}

// save writes the libraries to a new file, fsyncs it and renames it over
// the old one, so a crash leaves one version or the other.
func (r *functionRegistry) save() error {
	libs := r.sorted()
	b, err := json.Marshal(libs)
	if err != nil {
		return err
	}
	tmp := r.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("save function libraries: %w", err)
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, r.path)
	}
	if err == nil {
		if d, derr := os.Open(filepath.Dir(r.path)); derr == nil {
			err = d.Sync()
			_ = d.Close()
		}
	}
	if err != nil {
		return fmt.Errorf("save function libraries: %w", err)
	}
	return nil
}

func (r *functionRegistry) sorted() []*Library {
	out := make([]*Library, 0, len(r.libs))
	for _, l := range r.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// libraryName reads the "#!lua name=<name>" first line of a library.
func libraryName(code []byte) (string, error) {
	if !strings.HasPrefix(string(code), "#!") {
		return "", errors.New("ERR Missing library metadata")
	}
	line, _, found := strings.Cut(string(code[2:]), "\n")
	if !found {
		return "", errors.New("ERR Invalid library metadata")
	}
	parts := strings.Split(line, " ")
	if !strings.EqualFold(parts[0], "lua") {
		return "", errors.New("ERR Engine '" + parts[0] + "' not found")
	}
	name, named := "", false
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", errors.New("ERR Invalid metadata value given: " + p)
		}
		if named {
			return "", errors.New("ERR Invalid metadata value, name argument was given multiple times")
		}
		name, named = v, true
	}
	if !named {
		return "", errors.New("ERR Library name was not given")
	}
	if !validFunctionName(name) {
		return "", errors.New("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	return name, nil
}

func validFunctionName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// loadLibrary runs a library's code in vm (started for the run) and
// returns the functions it registered.
func (vm *luaVM) loadLibrary(sc *scriptCache, code []byte) ([]registeredFunction, error) {
	// Only FUNCTION LOAD's checked code reaches here from clients, but a
	// log entry is input too: a replica must answer, not panic, whatever
	// bytes it holds.
	if _, err := libraryName(code); err != nil {
		return nil, err
	}
	// The "#!lua" line is metadata, not Lua: it becomes a comment, so that
	// line numbers stay the code's.
	src := append([]byte("--"), code[2:]...)
	proto, err := sc.compileLibrary(ScriptSHA(code), src)
	if err != nil {
		return nil, errors.New(strings.Replace(compileError(err, 1+strings.Count(string(code), "\n")),
			"ERR Error compiling script (new function): user_script:", "ERR Error compiling function: user_function:", 1))
	}
	fn := vm.L.NewFunctionFromProto(proto)
	fn.Env = vm.env
	vm.loading = true
	_, err = vm.pcall(fn)
	vm.loading = false
	if err != nil {
		return nil, errors.New("ERR Error registering functions: " + vm.errorMessage(err))
	}
	if len(vm.registered) == 0 {
		return nil, errors.New("ERR No functions registered")
	}
	return vm.registered, nil
}

// functionFlags are the flags a function may declare, in the order Redis
// lists them.
var functionFlags = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// registerFunction is redis.register_function, while a library loads: as
// (name, callback) or as a table of named arguments.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	fail := func(msg string) int {
		L.Error(lua.LString(msg), 0)
		return 0
	}
	if !vm.loading {
		return fail("redis.register_function can only be called on FUNCTION LOAD command")
	}
	var info FunctionInfo
	var callback *lua.LFunction
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var bad string
		var flags map[string]bool
		hasCallback := false
		t.ForEach(func(k, v lua.LValue) {
			if bad != "" {
				return
			}
			switch lua.LVAsString(k) {
			case "function_name":
				name, ok := v.(lua.LString)
				if !ok {
					bad = "function_name argument given to redis.register_function must be a string"
				}
				info.Name = string(name)
			case "callback":
				hasCallback = true
				if callback, ok = v.(*lua.LFunction); !ok {
					bad = "callback argument given to redis.register_function must be a function"
				}
			case "description":
				d, ok := v.(lua.LString)
				if !ok {
					bad = "description argument given to redis.register_function must be a string"
				}
				desc := string(d)
				info.Description = &desc
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					bad = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				flags = map[string]bool{}
				ft.ForEach(func(_, f lua.LValue) {
					name, ok := f.(lua.LString)
					known := false
					for _, fl := range functionFlags {
						known = known || ok && string(name) == fl
					}
					if !known {
						bad = "unknown flag given"
						return
					}
					flags[string(name)] = true
				})
			default:
				bad = "unknown argument given to redis.register_function"
			}
		})
		switch {
		case bad != "":
			return fail(bad)
		case info.Name == "":
			return fail("redis.register_function must get a function name argument")
		case !hasCallback:
			return fail("redis.register_function must get a callback argument")
		}
		for _, fl := range functionFlags {
			if flags[fl] {
				info.Flags = append(info.Flags, fl)
			}
		}
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			return fail("first argument to redis.register_function must be a string")
		}
		if callback, ok = L.Get(2).(*lua.LFunction); !ok {
			return fail("second argument to redis.register_function must be a function")
		}
		info.Name = string(name)
	default:
		return fail("wrong number of arguments to redis.register_function")
	}
	if !validFunctionName(info.Name) {
		return fail("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long")
	}
	for _, r := range vm.registered {
		if strings.EqualFold(r.info.Name, info.Name) {
			return fail("Function already exists in the library")
		}
	}
	if info.Flags == nil {
		info.Flags = []string{}
	}
	vm.registered = append(vm.registered, registeredFunction{info: info, callback: callback})
	return 0
}

// FunctionLoad is FUNCTION LOAD [REPLACE]: it checks the library by
// loading it, then keeps it. It returns the library's name.
func (db *DB) FunctionLoad(code []byte, replace bool) (string, error) {
	name, err := libraryName(code)
	if err != nil {
		return "", err
	}
	vm := db.scripts.takeLuaVM()
	defer vm.release(db.scripts)
	vm.start(nil, name, "user_function", false)
	fns, err := vm.loadLibrary(db.scripts, code)
	if err != nil {
		return "", err
	}
	lib := &Library{Name: name, Code: string(code)}
	for _, f := range fns {
		lib.Functions = append(lib.Functions, f.info)
	}
	r := db.functions
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.libs[name]
	if old != nil && !replace {
		return "", errors.New("ERR Library '" + name + "' already exists")
	}
	for _, f := range lib.Functions {
		if owner := r.fns[strings.ToLower(f.Name)]; owner != nil && owner.Name != name {
			return "", errors.New("ERR Function " + f.Name + " already exists")
		}
	}
	r.remove(name)
	r.add(lib)
	if err := r.save(); err != nil {
		r.remove(name)
		if old != nil {
			r.add(old)
		}
		return "", err
	}
	return name, nil
}

// FunctionDelete is FUNCTION DELETE.
func (db *DB) FunctionDelete(name string) error {
	r := db.functions
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.libs[name]
	if old == nil {
		return errors.New("ERR Library not found")
	}
	r.remove(name)
	if err := r.save(); err != nil {
		r.add(old)
		return err
	}
	return nil
}

// FunctionFlush is FUNCTION FLUSH.
func (db *DB) FunctionFlush() error {
	r := db.functions
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.libs
	r.libs, r.fns = map[string]*Library{}, map[string]*Library{}
	if err := r.save(); err != nil {
		for _, l := range old {
			r.add(l)
		}
		return err
	}
	return nil
}

// Libraries returns the loaded libraries ordered by name.
func (db *DB) Libraries() []Library {
	r := db.functions
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Library
	for _, l := range r.sorted() {
		out = append(out, *l)
	}
	return out
}

// LookupFunction finds a function and its library.
func (db *DB) LookupFunction(name []byte) (Library, FunctionInfo, bool) {
	r := db.functions
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.fns[strings.ToLower(string(name))]
	if l == nil {
		return Library{}, FunctionInfo{}, false
	}
	for _, f := range l.Functions {
		if strings.EqualFold(f.Name, string(name)) {
			return *l, f, true
		}
	}
	return Library{}, FunctionInfo{}, false
}

// ErrFunctionNotFound answers FCALL of a function no library registered.
const ErrFunctionNotFound = "ERR Function not found"

// ErrFunctionWrites answers FCALL_RO of a function without no-writes.
const ErrFunctionWrites = "ERR Can not execute a script with write flag using *_ro command."

func functionCommands() []*Command {
	keysAt := func(pos int) func(argv [][]byte) []int {
		return func(argv [][]byte) []int {
			if len(argv) <= pos {
				return nil
			}
			n, ok := resp.ParseInt(argv[pos])
			if !ok || n < 0 || int(n) > len(argv)-pos-1 {
				return nil
			}
			out := make([]int, n)
			for i := range out {
				out[i] = pos + 1 + i
			}
			return out
		}
	}
	return []*Command{
		// The front end turns FCALL into neokv.fcall (below) with the code
		// of the function's library; these are here for their metadata,
		// and answer inside MULTI when the function was not found.
		{Name: "fcall", Arity: -3, Flags: FlagWrite | FlagSameSlotKeys | FlagScript, KeysFunc: keysAt(2), Group: "scripting", Since: "7.0.0",
			Summary: "Invokes a function.", ACL: []string{"@slow", "@scripting"}, Exec: execFCallUnresolved},
		{Name: "fcall_ro", Arity: -3, Flags: FlagReadOnly | FlagSameSlotKeys | FlagScript, KeysFunc: keysAt(2), Group: "scripting", Since: "7.0.0",
			Summary: "Invokes a read-only function.", ACL: []string{"@slow", "@scripting"}, Exec: execFCallUnresolved},
		// neokv.fcall code name numkeys key... arg...: what runs.
		{Name: "neokv.fcall", Arity: -4, Flags: FlagWrite | FlagSameSlotKeys | FlagScript, KeysFunc: keysAt(3), Group: "scripting",
			Summary: "NeoKV internal: FCALL with its library's code", ACL: []string{"@slow", "@scripting"}, Exec: execFCall},
		{Name: "neokv.fcall_ro", Arity: -4, Flags: FlagReadOnly | FlagSameSlotKeys | FlagScript, KeysFunc: keysAt(3), Group: "scripting",
			Summary: "NeoKV internal: FCALL_RO with its library's code", ACL: []string{"@slow", "@scripting"}, Exec: execFCall},
	}
}

func execFCallUnresolved(c *Ctx, _ [][]byte) { c.W.Error(ErrFunctionNotFound) }

// FCallNumKeys checks FCALL's numkeys (argv: name function numkeys ...):
// as EVAL's, but a numkeys that is not a number is Redis's "Bad number of
// keys provided".
func FCallNumKeys(argv [][]byte) (int, string) {
	n, errMsg := ScriptNumKeys(argv)
	if errMsg == ErrNotInteger {
		errMsg = "ERR Bad number of keys provided"
	}
	return n, errMsg
}

// execFCall runs neokv.fcall(_ro) code name numkeys key... arg....
func execFCall(c *Ctx, argv [][]byte) {
	code, name := argv[1], string(argv[2])
	n, errMsg := FCallNumKeys(argv[1:])
	if errMsg != "" {
		c.W.Error(errMsg)
		return
	}
	vm := c.db.scripts.takeLuaVM()
	defer vm.release(c.db.scripts)
	vm.start(c, name, "user_function", false)
	fns, err := vm.loadLibrary(c.db.scripts, code)
	if err != nil {
		c.W.Error(err.Error())
		return
	}
	var fn *registeredFunction
	for i := range fns {
		if strings.EqualFold(fns[i].info.Name, name) {
			fn = &fns[i]
		}
	}
	if fn == nil {
		c.W.Error(ErrFunctionNotFound)
		return
	}
	readOnly := c.name == "neokv.fcall_ro"
	if readOnly && !fn.info.NoWrites() {
		c.W.Error(ErrFunctionWrites)
		return
	}
	vm.ro = readOnly || fn.info.NoWrites()
	// Functions take keys and args as parameters; KEYS and ARGV are
	// scripts' globals only.
	vm.globals.RawSetString("KEYS", lua.LNil)
	vm.globals.RawSetString("ARGV", lua.LNil)
	ret, err := vm.pcall(fn.callback, vm.stringTable(argv[4:4+n]), vm.stringTable(argv[4+n:]))
	vm.reply(c, ret, err)
}
