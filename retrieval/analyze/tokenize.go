package analyze

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// TokenKind says what sort of token a Token is.
type TokenKind uint8

// The token kinds.
const (
	// Word is a run of letters, possibly hyphenated ("ai-förordningen").
	Word TokenKind = iota + 1
	// Number is digits, possibly grouped by '.' or ',' ("2023", "6.1", "2,5").
	Number
	// Identifier is anything else with a digit in it, kept whole:
	// "di-2021-5817", "2018:218", "n2021/01266", "95/46/eg", "c-311/18".
	Identifier
)

func (k TokenKind) String() string {
	switch k {
	case Word:
		return "word"
	case Number:
		return "number"
	case Identifier:
		return "identifier"
	}
	return "unknown"
}

// Token is one token of a text.
type Token struct {
	// Text is the token lowercased and NFC-normalized, with soft hyphens
	// removed, Unicode hyphens turned into '-', and a genitive or
	// inflection suffix after a colon dropped ("IMY:s" → "imy").
	Text string
	// Start and End are byte offsets of the token in the analyzed text;
	// End excludes a dropped ":s"-style suffix.
	Start, End int
	Kind       TokenKind
}

// maxTokenBytes bounds one token; a longer run of letters is cut into tokens
// of at most this many bytes (it is junk: no Swedish word is that long).
const maxTokenBytes = 128

// scanner is the hand-written tokenizer. It walks the text once, lowercasing
// into buf as it goes, and never allocates per token.
type scanner struct {
	s    string
	i    int
	buf  []byte
	nfc  []byte
	text []byte // the current token's text: buf or nfc
	// flags of the current token
	start, end int
	hasDigit   bool
	hasLetter  bool
	hasJoin    bool // '-', ':' or '/' inside the token
	hasHyphen  bool
}

func newScanner(s string) *scanner {
	return &scanner{s: s, buf: make([]byte, 0, 64)}
}

// isWordRune reports whether r can be part of a token.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r))
	}
	return r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r))
}

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// alnumAt reports whether a word rune starts at s[i], and whether it is a
// digit.
func alnumAt(s string, i int) (alnum, digit bool) {
	if i >= len(s) {
		return false, false
	}
	c := s[i]
	if c < utf8.RuneSelf {
		return isASCIIAlnum(c), isASCIIDigit(c)
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	if !isWordRune(r) {
		return false, false
	}
	return true, unicode.IsDigit(r)
}

// lettersThenBoundary reports whether s[i:] starts with 1 to maxN letters
// followed by the end of the text or by a byte that continues no token
// ('-' counts as continuing). It returns the end of the letters.
func lettersThenBoundary(s string, i, maxN int) (int, bool) {
	n := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
				n++
				i++
				if n > maxN {
					return 0, false
				}
				continue
			}
			if isASCIIDigit(c) || c == '-' {
				return 0, false
			}
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if unicode.IsLetter(r) {
			n++
			i += size
			if n > maxN {
				return 0, false
			}
			continue
		}
		if isWordRune(r) || r == '\u2010' || r == '\u2011' {
			return 0, false
		}
		break
	}
	return i, n > 0
}

// next advances to the next token. The token's text is in sc.text until the
// next call.
func (sc *scanner) next() bool {
	s := sc.s
	i := sc.i
	// Skip to the start of a token.
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if isASCIIAlnum(c) {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if isWordRune(r) {
			break
		}
		i += size
	}
	if i >= len(s) {
		sc.i = i
		return false
	}

	buf := sc.buf[:0]
	sc.start = i
	sc.hasDigit, sc.hasLetter, sc.hasJoin, sc.hasHyphen = false, false, false, false
	high := false      // a rune >= U+0300 was written: NFC may change the token
	lastDigit := false // the last rune written was a digit
	end := i
loop:
	for i < len(s) && len(buf) < maxTokenBytes {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z':
				buf = append(buf, c)
				sc.hasLetter, lastDigit = true, false
				i++
				end = i
			case c >= 'A' && c <= 'Z':
				buf = append(buf, c+('a'-'A'))
				sc.hasLetter, lastDigit = true, false
				i++
				end = i
			case c >= '0' && c <= '9':
				buf = append(buf, c)
				sc.hasDigit, lastDigit = true, true
				i++
				end = i
			case c == '-':
				if ok, _ := alnumAt(s, i+1); !ok {
					break loop
				}
				buf = append(buf, '-')
				sc.hasJoin, sc.hasHyphen = true, true
				i++
			case c == '.' || c == ',':
				if _, d := alnumAt(s, i+1); !lastDigit || !d {
					break loop
				}
				buf = append(buf, c)
				i++
			case c == ':':
				if ok, _ := alnumAt(s, i+1); ok && lastDigit {
					buf = append(buf, ':')
					sc.hasJoin = true
					i++
					continue
				}
				if !lastDigit {
					// "IMY:s", "EU:s", "SOU:n": drop the suffix.
					if j, ok := lettersThenBoundary(s, i+1, 3); ok {
						i = j
					}
				}
				break loop
			case c == '/':
				// A slash joins only in identifiers: 2016/679, 95/46/EG.
				ok, d := alnumAt(s, i+1)
				if !ok || !sc.hasDigit {
					break loop
				}
				if !d {
					if _, short := lettersThenBoundary(s, i+1, 3); !short {
						break loop
					}
				}
				buf = append(buf, '/')
				sc.hasJoin = true
				i++
			default:
				break loop
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\u00ad': // soft hyphen: invisible, the word goes on
			if ok, _ := alnumAt(s, i+size); !ok {
				break loop
			}
			i += size
		case r == '\u2010' || r == '\u2011': // hyphen, non-breaking hyphen
			if ok, _ := alnumAt(s, i+size); !ok {
				break loop
			}
			buf = append(buf, '-')
			sc.hasJoin, sc.hasHyphen = true, true
			i += size
		case !isWordRune(r):
			break loop
		default:
			if unicode.IsDigit(r) {
				sc.hasDigit, lastDigit = true, true
			} else {
				sc.hasLetter, lastDigit = true, false
				r = unicode.ToLower(r)
			}
			if r >= 0x300 {
				high = true
			}
			buf = utf8.AppendRune(buf, r)
			i += size
			end = i
		}
	}
	// A token cut at maxTokenBytes or at a joiner that turned out not to
	// join ends at its last word rune.
	if n := len(buf); n > 0 && (buf[n-1] == '-' || buf[n-1] == '/' || buf[n-1] == ':' || buf[n-1] == '.' || buf[n-1] == ',') {
		buf = buf[:n-1]
	}
	if i < end {
		i = end
	}
	sc.i = i
	sc.end = end
	sc.buf = buf
	sc.text = buf
	if high && !norm.NFC.IsNormal(buf) {
		sc.nfc = norm.NFC.Append(sc.nfc[:0], buf...)
		sc.text = sc.nfc
	}
	return true
}

// kind classifies the current token.
func (sc *scanner) kind() TokenKind {
	switch {
	case !sc.hasDigit:
		return Word
	case !sc.hasLetter && !sc.hasJoin:
		return Number
	default:
		return Identifier
	}
}
