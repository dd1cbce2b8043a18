package engine

// GlobMatch is Redis's stringmatchlen: '*', '?', '[...]' with ranges and
// '^' negation, and '\' escapes; case-sensitive. Like Redis, an empty string
// matches no pattern but the empty one.
func GlobMatch(pattern, s []byte) bool {
	skipLonger := false
	return globMatch(pattern, s, &skipLonger, 0)
}

func globMatch(p, s []byte, skipLonger *bool, depth int) bool {
	if depth > 1000 {
		return false // Redis caps recursion the same way
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globMatch(p[1:], s, skipLonger, depth+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// No suffix of s matches the rest of the pattern, so longer
			// prefixes matched by an outer '*' cannot help either.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if len(p) >= 2 && p[0] == '\\' {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if len(p) == 0 {
					p = []byte{']'} // unterminated class ends with the pattern
					break
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					// Redis compares ranges as (signed) C chars, so bytes
					// from 0x80 sort below 0x00: "[a-\xff]" is [-1, 'a'].
					lo, hi, ch := int8(p[0]), int8(p[2]), int8(s[0])
					if lo > hi {
						lo, hi = hi, lo
					}
					if ch >= lo && ch <= hi {
						match = true
					}
					p = p[2:]
				} else if p[0] == s[0] {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		default:
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
