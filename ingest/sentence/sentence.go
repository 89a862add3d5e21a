// Package sentence splits Swedish text into sentences without breaking at
// abbreviations or inside legal identifiers.
//
// A sentence ends after ".", "?", "!", "…" or "..." (with any closing quotes,
// brackets and a footnote marker such as "[3]" that follow) when the next
// non-space character starts a new sentence: an uppercase letter, a digit, an
// opening quote or a bullet. A blank line, or a newline before a bullet or a
// numbered list item, always ends a sentence. A period never ends a sentence
// after a known abbreviation ("t.ex.", "bl.a.", "kap." …, see IsAbbreviation),
// after a single-letter initial ("A. Svensson"), after a section or list
// number that opens the sentence ("2.1. Syfte", "1. Projektets idé") or after
// an ordinal ("den 1. "); periods inside identifiers ("2018:218",
// "DI-2021-5817", "6.1 e", "1.1.2025", "3.5") are never followed by a space
// and so never end one.
package sentence

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a sentence's byte range in the text it was split from, with
// surrounding whitespace excluded: text[Start:End] is the sentence.
type Span struct {
	Start int
	End   int
}

// Split returns the sentences of s in order. Every byte of s that is not part
// of a white-space rune (unicode.IsSpace) lies in exactly one span; spans are
// ordered and do not overlap.
func Split(s string) []Span {
	var out []Span
	start := -1  // start of the current sentence, -1 between sentences
	lastEnd := 0 // end of the last non-space rune of the current sentence
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			if start >= 0 && r == '\n' && newlineBreaks(s, i+w) {
				out = append(out, Span{start, lastEnd})
				start = -1
			}
			i += w
			continue
		}
		if start < 0 {
			start = i
		}
		lastEnd = i + w
		if !isTerminator(r) {
			i += w
			continue
		}
		end := sentenceEnd(s, start, i)
		if end < 0 {
			i += w
			continue
		}
		out = append(out, Span{start, end})
		start = -1
		i = end
	}
	if start >= 0 {
		out = append(out, Span{start, lastEnd})
	}
	return out
}

// Sentences returns the text of each span Split finds.
func Sentences(s string) []string {
	spans := Split(s)
	if len(spans) == 0 {
		return nil
	}
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = s[sp.Start:sp.End]
	}
	return out
}

func isTerminator(r rune) bool { return r == '.' || r == '?' || r == '!' || r == '…' }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', ')', ']', '›':
		return true
	}
	return false
}

// sentenceEnd reports where the sentence that started at start ends if the
// terminator at i ends it, or -1 if it does not.
func sentenceEnd(s string, start, i int) int {
	j := i
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		if !isTerminator(r) {
			break
		}
		j += w
	}
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		if !isCloser(r) {
			break
		}
		j += w
	}
	// A footnote marker, glued or after one space: "regeringen.[1]".
	if k := footnoteMarkerEnd(s, j); k > j {
		j = k
	}
	if j == len(s) {
		return j
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	if !unicode.IsSpace(r) {
		return -1
	}
	k := j
	for k < len(s) {
		r, w := utf8.DecodeRuneInString(s[k:])
		if !unicode.IsSpace(r) {
			break
		}
		k += w
	}
	if k == len(s) {
		return j
	}
	next, _ := utf8.DecodeRuneInString(s[k:])
	if !startsSentence(next) {
		return -1
	}
	if s[i] != '.' {
		return j // ? ! … end sentences regardless of the word before
	}
	if i+1 < len(s) && s[i+1] == '.' {
		return j // an ellipsis written "..."
	}
	if noBreakAfterPeriod(s, start, i, s[k:]) {
		return -1
	}
	return j
}

// footnoteMarkerEnd returns the end of a footnote marker "[12]" (optionally
// after one space) that starts at j and is followed by space or the end of s,
// or j when there is none.
func footnoteMarkerEnd(s string, j int) int {
	k := j
	if k < len(s) && s[k] == ' ' {
		k++
	}
	if k >= len(s) || s[k] != '[' {
		return j
	}
	d := k + 1
	for d < len(s) && d-k <= 3 && s[d] >= '0' && s[d] <= '9' {
		d++
	}
	if d == k+1 || d >= len(s) || s[d] != ']' {
		return j
	}
	d++
	if d < len(s) {
		r, _ := utf8.DecodeRuneInString(s[d:])
		if !unicode.IsSpace(r) {
			return j
		}
	}
	return d
}

func startsSentence(r rune) bool {
	if unicode.IsUpper(r) || unicode.IsDigit(r) || unicode.IsTitle(r) {
		return true
	}
	switch r {
	case '"', '\'', '“', '”', '„', '«', '»', '‘', '’', '•', '◦', '▪', '–', '—', '-', '[':
		return true
	}
	return false
}

// newlineBreaks reports whether a newline followed by s[j:] ends a sentence:
// when a blank line follows, or a bullet or a numbered list item.
func newlineBreaks(s string, j int) bool {
	for j < len(s) {
		r, w := utf8.DecodeRuneInString(s[j:])
		if r == '\n' {
			return true
		}
		if !unicode.IsSpace(r) {
			break
		}
		j += w
	}
	if j >= len(s) {
		return false
	}
	r, w := utf8.DecodeRuneInString(s[j:])
	switch r {
	case '•', '◦', '▪', '‣', '●', '○', '■', '□', '·':
		return true
	case '-', '–', '—', '*':
		return j+w < len(s) && s[j+w] == ' '
	}
	// "2. ", "12) "
	d := j
	for d < len(s) && d-j < 3 && s[d] >= '0' && s[d] <= '9' {
		d++
	}
	return d > j && d+1 < len(s) && (s[d] == '.' || s[d] == ')') && s[d+1] == ' '
}

// noBreakAfterPeriod reports whether the period at s[i] belongs to the word
// before it (an abbreviation, an initial, a section number) rather than ending
// the sentence that began at start. rest is the text from the next word on.
func noBreakAfterPeriod(s string, start, i int, rest string) bool {
	ws := i
	for ws > start {
		r, w := utf8.DecodeLastRuneInString(s[:ws])
		if unicode.IsSpace(r) {
			break
		}
		ws -= w
	}
	word := strings.TrimLeft(s[ws:i], "([{\"'“”‘’«»")
	if word == "" {
		return false
	}
	lw := strings.ToLower(word) + "."
	if a, ok := abbrevs[lw]; ok {
		if !a.final {
			return true
		}
		// "m.m." or "etc." may end a sentence: it does when an ordinary
		// capitalised word follows, not before an acronym or a number.
		return !ordinaryCapitalised(rest)
	}
	if shortDotted(lw) {
		return true
	}
	r, n := utf8.DecodeRuneInString(word)
	if n == len(word) {
		if unicode.IsUpper(r) {
			return true // an initial: "A. Svensson"
		}
		if unicode.IsLower(r) {
			// "s. 12", "p. 3": a one-letter abbreviation before a number.
			nr, _ := utf8.DecodeRuneInString(rest)
			return unicode.IsDigit(nr)
		}
	}
	if isNumber(word) {
		if ws == start {
			return true // a section or list number opening the sentence: "2.1. Syfte"
		}
		prev := strings.ToLower(lastWord(s[start:ws]))
		if prev == "den" || prev == "det" || prev == "§" {
			return true // an ordinal: "den 1. "
		}
		if len(word) <= 2 && strings.HasSuffix(strings.TrimRight(s[start:ws], " \t\n"), ",") {
			return true // an item number in a run-in list: "samhällsnytta, 2. Det"
		}
	}
	return false
}

func ordinaryCapitalised(rest string) bool {
	r, w := utf8.DecodeRuneInString(rest)
	if !unicode.IsUpper(r) {
		return false
	}
	r2, _ := utf8.DecodeRuneInString(rest[w:])
	return unicode.IsLower(r2)
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// isNumber reports whether w is digits with inner dots: "2", "2.1", "2.1.3".
func isNumber(w string) bool {
	if w == "" || w[0] < '0' || w[0] > '9' {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

// shortDotted reports whether w (lower case, ending in ".") is built from
// one- or two-letter parts each ending in a period, such as "m.a.o." or
// "e.d.": the shape of a Swedish abbreviation and not of a domain name.
func shortDotted(w string) bool {
	parts := strings.Split(strings.TrimSuffix(w, "."), ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		n := utf8.RuneCountInString(p)
		if n == 0 || n > 2 {
			return false
		}
		for _, r := range p {
			if !unicode.IsLetter(r) {
				return false
			}
		}
	}
	return true
}

type abbrev struct{ final bool }

// abbrevs are lower-case abbreviations with their final period. final marks
// those that often end a sentence ("… m.m.").
var abbrevs = map[string]abbrev{}

func init() {
	for _, a := range strings.Fields(`
		t.ex. bl.a. s.k. dvs. d.v.s. enl. art. kap. nr. jfr. t.o.m. fr.o.m. p.g.a. pga.
		ca. st. resp. f.d. prop. skr. dir. sfs. mom. ff. ang. avd. dnr. ex. fig. inkl.
		exkl. kl. m.a.o. m.h.a. mha. o.dyl. obs. t.f. tf. t.v. u.a. ev. fr. ibid. jur.
		dr. prof. uppl. vol. f. ds. sou. forts. tab. anm. jämf. e.g. i.e. a.a. s.a.s.
		gm. pkt. proc. vs. p.s.
	`) {
		abbrevs[a] = abbrev{}
	}
	for _, a := range strings.Fields(`m.m. etc. osv. o.s.v. m.fl. mfl. e.d. o.d. o.likn.`) {
		abbrevs[a] = abbrev{final: true}
	}
}

// IsAbbreviation reports whether word (with its final period, any case) is a
// known Swedish abbreviation, such as "t.ex.", "Bl.a." or "kap.".
func IsAbbreviation(word string) bool {
	w := strings.ToLower(word)
	if _, ok := abbrevs[w]; ok {
		return true
	}
	return strings.HasSuffix(w, ".") && shortDotted(w)
}
