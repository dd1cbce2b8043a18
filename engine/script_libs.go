package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	lua "github.com/yuin/gopher-lua"
)

// The libraries Redis gives scripts besides Lua's own: cjson and bit (the
// ones scripts commonly use; struct and cmsgpack are not provided).

// openCJSON makes the cjson table: encode, decode and the null sentinel.
func (vm *luaVM) openCJSON(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	null := L.NewUserData()
	vm.jsonNull = null
	t.RawSetString("null", null)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
		}
		var b bytes.Buffer
		if err := vm.encodeJSON(&b, L.Get(1), 0); err != "" {
			L.RaiseError("Cannot serialise %s", err)
		}
		vm.charge(L, b.Len())
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		if dec.More() {
			L.RaiseError("Expected the end but found invalid token")
		}
		L.Push(vm.jsonToLua(L, v))
		return 1
	}))
	return t
}

// encodeJSON writes v as Redis's cjson does: numbers with %.14g, '/'
// escaped, a table with only the keys 1..n as an array, any other table as
// an object (its keys in the table's order), an empty table as {}.
func (vm *luaVM) encodeJSON(b *bytes.Buffer, v lua.LValue, depth int) string {
	if depth > 1000 {
		return "table: excessive nesting"
	}
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		b.WriteString(strconv.FormatBool(bool(v)))
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "number: must not be NaN or Inf"
		}
		b.WriteString(formatG14(f))
	case lua.LString:
		writeJSONString(b, string(v))
	case *lua.LUserData:
		if v != vm.jsonNull {
			return "userdata: type not supported"
		}
		b.WriteString("null")
	case *lua.LTable:
		n, keys, isArray := jsonArrayLen(v)
		if isArray && n > 10 && n > 2*keys {
			return "table: excessively sparse array"
		}
		if isArray && n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if err := vm.encodeJSON(b, v.RawGetInt(i), depth+1); err != "" {
					return err
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var failed string
		v.ForEach(func(k, val lua.LValue) {
			if failed != "" {
				return
			}
			var key string
			switch k := k.(type) {
			case lua.LString:
				key = string(k)
			case lua.LNumber:
				key = formatG14(float64(k))
			default:
				failed = "table key must be a number or string"
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeJSONString(b, key)
			b.WriteByte(':')
			failed = vm.encodeJSON(b, val, depth+1)
		})
		if failed != "" {
			return failed
		}
		b.WriteByte('}')
	default:
		return v.Type().String() + ": type not supported"
	}
	return ""
}

// jsonArrayLen: whether every key of a table is a positive integer (an
// array, its holes written as null), its largest key and how many keys.
func jsonArrayLen(t *lua.LTable) (n, keys int, isArray bool) {
	isArray = true
	t.ForEach(func(k, _ lua.LValue) {
		keys++
		num, ok := k.(lua.LNumber)
		if !ok || float64(num) != math.Floor(float64(num)) || num < 1 {
			isArray = false
			return
		}
		if int(num) > n {
			n = int(num)
		}
	})
	return n, keys, isArray
}

// formatG14 is C's %.14g, which cjson formats numbers with.
func formatG14(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e14 {
		return strconv.FormatInt(int64(f), 10)
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	// C trims trailing zeros of %g; Go's 'g' with a precision keeps them.
	if i := bytes.IndexAny([]byte(s), "e"); i >= 0 {
		mant, exp := s[:i], s[i:]
		if bytes.IndexByte([]byte(mant), '.') >= 0 {
			mant = string(bytes.TrimRight(bytes.TrimRight([]byte(mant), "0"), "."))
		}
		// C writes at least two exponent digits: 1e+20, 1e-05.
		sign, digits := exp[1:2], exp[2:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		return mant + "e" + sign + digits
	}
	if bytes.IndexByte([]byte(s), '.') >= 0 {
		s = string(bytes.TrimRight(bytes.TrimRight([]byte(s), "0"), "."))
	}
	return s
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// jsonToLua converts a decoded JSON value: null is cjson.null, numbers are
// Lua numbers, objects are tables (their keys inserted in sorted order, so
// that pairs() walks them the same way on every replica).
func (vm *luaVM) jsonToLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return vm.jsonNull
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, vm.jsonToLua(L, e))
		}
		return t
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t := L.CreateTable(0, len(v))
		for _, k := range keys {
			t.RawSetString(k, vm.jsonToLua(L, v[k]))
		}
		return t
	}
	return lua.LNil
}

// openBit makes Lua BitOp's bit table (32-bit operations, as Redis's).
func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	arg := func(L *lua.LState, i int) uint32 { return uint32(int64(L.CheckNumber(i))) }
	ret := func(L *lua.LState, v uint32) int { L.Push(lua.LNumber(int32(v))); return 1 }
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, arg(L, i))
			}
			return ret(L, v)
		}
	}
	t.RawSetString("tobit", L.NewFunction(func(L *lua.LState) int { return ret(L, arg(L, 1)) }))
	t.RawSetString("bnot", L.NewFunction(func(L *lua.LState) int { return ret(L, ^arg(L, 1)) }))
	t.RawSetString("band", L.NewFunction(fold(func(a, b uint32) uint32 { return a & b })))
	t.RawSetString("bor", L.NewFunction(fold(func(a, b uint32) uint32 { return a | b })))
	t.RawSetString("bxor", L.NewFunction(fold(func(a, b uint32) uint32 { return a ^ b })))
	shift := func(op func(v uint32, n uint) uint32) lua.LGFunction {
		return func(L *lua.LState) int { return ret(L, op(arg(L, 1), uint(arg(L, 2)&31))) }
	}
	t.RawSetString("lshift", L.NewFunction(shift(func(v uint32, n uint) uint32 { return v << n })))
	t.RawSetString("rshift", L.NewFunction(shift(func(v uint32, n uint) uint32 { return v >> n })))
	t.RawSetString("arshift", L.NewFunction(shift(func(v uint32, n uint) uint32 { return uint32(int32(v) >> n) })))
	t.RawSetString("rol", L.NewFunction(shift(func(v uint32, n uint) uint32 { return v<<n | v>>(32-n) })))
	t.RawSetString("ror", L.NewFunction(shift(func(v uint32, n uint) uint32 { return v>>n | v<<(32-n) })))
	t.RawSetString("bswap", L.NewFunction(func(L *lua.LState) int {
		v := arg(L, 1)
		return ret(L, v>>24|v>>8&0xff00|v<<8&0xff0000|v<<24)
	}))
	t.RawSetString("tohex", L.NewFunction(func(L *lua.LState) int {
		v, n := arg(L, 1), 8
		if L.GetTop() >= 2 {
			n = L.CheckInt(2)
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n, digits = -n, "0123456789ABCDEF"
		}
		if n > 8 {
			n = 8
		}
		out := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			out[i] = digits[v&15]
			v >>= 4
		}
		L.Push(lua.LString(out))
		return 1
	}))
	return t
}
