package legal

import (
	"unicode"
	"unicode/utf8"
)

// Small, allocation-free helpers over the text. Offsets are byte offsets;
// every helper is safe at the ends of the text and on invalid UTF-8.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// letterBefore reports whether the rune that ends at i is a letter.
func letterBefore(s string, i int) bool {
	if i <= 0 || i > len(s) {
		return false
	}
	if c := s[i-1]; c < utf8.RuneSelf {
		return isASCIILetter(c)
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r)
}

// alnumBefore reports whether the rune that ends at i is a letter or digit.
func alnumBefore(s string, i int) bool {
	return i > 0 && i <= len(s) && isDigit(s[i-1]) || letterBefore(s, i)
}

// letterAt reports whether a letter starts at i.
func letterAt(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	if c := s[i]; c < utf8.RuneSelf {
		return isASCIILetter(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// alnumAt reports whether a letter or digit starts at i.
func alnumAt(s string, i int) bool {
	return i >= 0 && i < len(s) && isDigit(s[i]) || letterAt(s, i)
}

// spaceAt returns the width of the white space rune at i, or 0. No-break and
// thin spaces count: PDF text is full of them.
func spaceAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return 1
	case 0xC2:
		if i+1 < len(s) && s[i+1] == 0xA0 { // U+00A0
			return 2
		}
	case 0xE2:
		if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xAF || s[i+2] == 0x89 || s[i+2] == 0x8A) { // U+202F, U+2009, U+200A
			return 3
		}
	}
	return 0
}

// spaceBefore returns the width of the white space rune that ends at i, or 0.
func spaceBefore(s string, i int) int {
	if i <= 0 || i > len(s) {
		return 0
	}
	switch c := s[i-1]; c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return 1
	case 0xA0:
		if i >= 2 && s[i-2] == 0xC2 {
			return 2
		}
	case 0xAF, 0x89, 0x8A:
		if i >= 3 && s[i-3] == 0xE2 && s[i-2] == 0x80 {
			return 3
		}
	}
	return 0
}

// skipSpace returns the offset after any white space at i.
func skipSpace(s string, i int) int {
	for {
		n := spaceAt(s, i)
		if n == 0 {
			return i
		}
		i += n
	}
}

// skipSpaceBack returns the offset before any white space that ends at i.
func skipSpaceBack(s string, i int) int {
	for {
		n := spaceBefore(s, i)
		if n == 0 {
			return i
		}
		i -= n
	}
}

// dashAt returns the width of a hyphen or dash at i ('-', U+2010 hyphen,
// U+2011 non-breaking hyphen, U+2012 figure dash, U+2013 en dash), or 0.
func dashAt(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if s[i] == '-' {
		return 1
	}
	if s[i] == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2] >= 0x90 && s[i+2] <= 0x93 {
		return 3
	}
	return 0
}

// hyphenBefore returns the width of a hyphen ('-', U+2010, U+2011) that ends
// at i, or 0. Dashes do not count: they separate, they do not join.
func hyphenBefore(s string, i int) int {
	if i <= 0 || i > len(s) {
		return 0
	}
	if s[i-1] == '-' {
		return 1
	}
	if i >= 3 && s[i-3] == 0xE2 && s[i-2] == 0x80 && (s[i-1] == 0x90 || s[i-1] == 0x91) {
		return 3
	}
	return 0
}

// digitsAt returns the end of the run of ASCII digits at i.
func digitsAt(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// atoi parses a short run of ASCII digits (at most 9).
func atoi(d string) int {
	n := 0
	for i := 0; i < len(d) && i < 9; i++ {
		n = n*10 + int(d[i]-'0')
	}
	return n
}

// matchFwd matches kw at s[i:], case-insensitively, and returns the offset
// after it. In kw, ' ' matches one or more white space runes and '~' zero or
// more; other runes match themselves or their upper case. If kw ends in a
// letter, the match must not be followed by one.
func matchFwd(s string, i int, kw string) (int, bool) {
	for k := 0; k < len(kw); {
		switch kw[k] {
		case ' ':
			j := skipSpace(s, i)
			if j == i {
				return 0, false
			}
			i = j
			k++
			continue
		case '~':
			i = skipSpace(s, i)
			k++
			continue
		}
		kr, kn := utf8.DecodeRuneInString(kw[k:])
		if i >= len(s) {
			return 0, false
		}
		r, n := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(s[i:])
		}
		if r != kr && unicode.ToLower(r) != kr {
			return 0, false
		}
		i += n
		k += kn
	}
	if last := kw[len(kw)-1]; (isASCIILetter(last) || last >= utf8.RuneSelf) && letterAt(s, i) {
		return 0, false
	}
	return i, true
}

// matchBack matches kw so that it ends at i, like matchFwd, and returns
// where it starts. If kw starts with a letter, the match must not be
// preceded by one, unless kw starts with '*' (which is not matched: it
// allows a compound before, as in "dataskydds|lagen (").
func matchBack(s string, i int, kw string) (int, bool) {
	boundary := true
	if kw != "" && kw[0] == '*' {
		boundary = false
		kw = kw[1:]
	}
	if kw == "" {
		return 0, false
	}
	for k := len(kw); k > 0; {
		switch kw[k-1] {
		case ' ':
			j := skipSpaceBack(s, i)
			if j == i {
				return 0, false
			}
			i = j
			k--
			continue
		case '~':
			i = skipSpaceBack(s, i)
			k--
			continue
		}
		kr, kn := utf8.DecodeLastRuneInString(kw[:k])
		if i <= 0 {
			return 0, false
		}
		r, n := rune(s[i-1]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeLastRuneInString(s[:i])
		}
		if r != kr && unicode.ToLower(r) != kr {
			return 0, false
		}
		i -= n
		k -= kn
	}
	if first := kw[0]; boundary && (isASCIILetter(first) || first >= utf8.RuneSelf) && letterBefore(s, i) {
		return 0, false
	}
	return i, true
}

// matchBackAny tries each keyword in turn and returns the first that
// matches.
func matchBackAny(s string, i int, kws []string) (kw string, start int, ok bool) {
	for _, kw := range kws {
		if st, ok := matchBack(s, i, kw); ok {
			return kw, st, true
		}
	}
	return "", 0, false
}

// lettersBefore returns the start of the run of letters that ends at i, at
// most max runes long, and whether the run is that whole word (preceded by
// no letter or digit).
func lettersBefore(s string, i, max int) (int, bool) {
	j, n := i, 0
	for n < max && letterBefore(s, j) {
		_, w := utf8.DecodeLastRuneInString(s[:j])
		j -= w
		n++
	}
	return j, n > 0 && !alnumBefore(s, j)
}
