package normalize

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

const softHyphen = '\u00AD'

var (
	// Word bookmarks left by docx-to-text conversion: "[bookmark: _Toc99010619]".
	bookmarkRe = regexp.MustCompile(`\[bookmark: ?([^\]\n]*)\]`)
	// Word footnote references: "[footnoteRef:2]".
	footnoteRefRe = regexp.MustCompile(`\[footnoteRef: ?(\d{1,4})\]`)
)

// cleanText makes s valid UTF-8 in NFC, turns every line break into "\n"
// (form feeds, which separate pages, are kept), every other kind of space
// into " ", and drops invisible characters: zero-width spaces and joiners,
// byte-order marks, control characters and soft hyphens, except a soft
// hyphen at the end of a line, which marks a hyphenation point that joining
// the lines undoes.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if clean(s) {
		if !norm.NFC.IsNormalString(s) {
			s = norm.NFC.String(s)
		}
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w
		switch {
		case r == '\n' || r == '\f' || r == ' ':
			b.WriteRune(r)
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\u2028' || r == '\u2029' || r == '\v' || r == '\u0085':
			b.WriteByte('\n')
		case r == softHyphen:
			if atLineEnd(s[i:]) {
				b.WriteRune(r)
			}
		case r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF' || r == '\u180E':
			// invisible: drop
		case unicode.IsSpace(r) || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case unicode.IsControl(r):
			// other C0/C1 controls carry nothing: drop
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	if !norm.NFC.IsNormalString(out) {
		out = norm.NFC.String(out)
	}
	return out
}

// clean reports whether cleanText would leave s as it is, but for NFC.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < ' ' && c != '\n' && c != '\f' || c == 0x7f {
				return false
			}
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		i += w - 1
		if r == softHyphen || unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || unicode.IsControl(r) ||
			r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF' || r == '\u180E' {
			return false
		}
	}
	return true
}

// atLineEnd reports whether s starts with optional spaces and then a line
// break or the end of the text.
func atLineEnd(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t':
			continue
		case '\n', '\r', '\f':
			return true
		default:
			return false
		}
	}
	return true
}

// collapseSpace trims s and replaces each run of spaces with one space; it
// also drops any soft hyphen left over.
func collapseSpace(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") && !strings.ContainsAny(s, "\n\t\u00AD") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if r == softHyphen {
			continue
		}
		if r == ' ' || r == '\n' || r == '\t' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}
