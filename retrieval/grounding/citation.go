package grounding

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Citation grammar. The rules are documented on the package; this file is
// the one place that implements them.

const (
	// maxRange is the longest range a citation may span ("[1–20]"); a
	// longer or reversed one is malformed.
	maxRange = 20
	// maxNumberDigits bounds a citation number: a bracketed number with
	// more digits is a year or an identifier ("[2019] UKSC 1"), not a
	// citation.
	maxNumberDigits = 3
	// maxMarkerBytes bounds the text between a bracket and its closer.
	maxMarkerBytes = 64
)

// marker is one citation marker found in a text: a well-formed citation
// (ok, with the numbers it cites) or a malformed but recognisable one.
type marker struct {
	start, end int // byte offsets: text[start:end] is the marker
	nums       []int
	ok         bool
}

// sourceWords may open a bracketed citation: "[källa 2]", "[Sources 1, 3]".
var sourceWords = []string{"källorna", "källor", "källa", "sources", "source"}

// placeholders are bracket contents a model writes for a citation it did not
// fill in.
var placeholders = map[string]bool{"n": true, "x": true, "#": true, "nr": true}

// legalUnits are the words after which "(1)" is a paragraph number of the
// provision just named ("artikel 6 (1)", "punkt (2)"), not a citation.
var legalUnits = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`artikel artikeln artiklarna artiklar art art. article articles punkt punkten
		punkterna p p. stycket stycke styckena st st. led leden ledet kap kap. kapitlet kapitel chapter § §§
		skäl skälet skälen recital recitals paragraph para para. paragraf paragrafen section sec. bilaga bilagan
		annex avsnitt avsnittet point mom mom. moment momentet nr nr. no. fråga frågan question alternativ`) {
		legalUnits[w] = true
	}
}

// findMarkers returns the citation markers of text in order, leaving out
// everything inside quotations (see quotedRanges).
func findMarkers(text string) []marker {
	quotes := quotedRanges(text)
	var out []marker
	q := 0
	for i := 0; i < len(text); {
		for q < len(quotes) && quotes[q][1] <= i {
			q++
		}
		if q < len(quotes) && quotes[q][0] <= i {
			i = quotes[q][1]
			continue
		}
		c := text[i]
		var m marker
		var found bool
		switch {
		case c == '[':
			m, found = bracketMarker(text, i)
		case c == '(':
			m, found = parenMarker(text, i)
		case c >= utf8.RuneSelf:
			m, found = wideMarker(text, i)
		}
		if found && (q >= len(quotes) || m.end <= quotes[q][0]) {
			out = append(out, m)
			i = m.end
			continue
		}
		if c < utf8.RuneSelf {
			i++
		} else {
			_, w := utf8.DecodeRuneInString(text[i:])
			i += w
		}
	}
	return out
}

// closing returns the index of close after open at text[i], on the same
// line and within maxMarkerBytes, or -1. Another opener in between also
// means none.
func closing(text string, i int, open, close byte) int {
	for j := i + 1; j < len(text) && j-i <= maxMarkerBytes; j++ {
		switch text[j] {
		case close:
			return j
		case open, '\n':
			return -1
		}
	}
	return -1
}

// bracketMarker parses a marker that opens with '[' at text[i].
func bracketMarker(text string, i int) (marker, bool) {
	j := closing(text, i, '[', ']')
	if j < 0 {
		return unclosedMarker(text, i)
	}
	nums, kind := classify(text[i+1 : j])
	switch kind {
	case citation:
		return marker{start: i, end: j + 1, nums: nums, ok: true}, true
	case malformed:
		return marker{start: i, end: j + 1}, true
	}
	return marker{}, false
}

// unclosedMarker recognises "[1" or "[1, 2" that is never closed: at the end
// of the text or a line, or right before a sentence terminator, as when a
// stream is cut off.
func unclosedMarker(text string, i int) (marker, bool) {
	k := i + 1
	for k < len(text) && k-i < maxMarkerBytes && text[k] == ' ' {
		k++
	}
	k = skipSourceWord(text, k)
	n := 0
	for k < len(text) && k-i < maxMarkerBytes &&
		(isDigit(text[k]) || text[k] == ',' || text[k] == ' ' || text[k] == '-' || text[k] == ';') {
		if isDigit(text[k]) {
			n++
		}
		k++
	}
	if n == 0 {
		return marker{}, false
	}
	end := strings.TrimRight(text[i:k], " ,;-")
	e := i + len(end)
	if !isDigit(text[e-1]) {
		return marker{}, false
	}
	rest := text[k:]
	if rest == "" || rest[0] == '\n' || rest[0] == '\r' ||
		(strings.ContainsRune(".!?", rune(rest[0])) && (len(rest) == 1 || isSpace(rest[1]))) {
		return marker{start: i, end: e}, true
	}
	if strings.TrimSpace(rest) == "" {
		return marker{start: i, end: e}, true
	}
	return marker{}, false
}

// skipSourceWord skips "källa " or "source: " at text[k:], returning where
// the numbers would start (k when there is no such word).
func skipSourceWord(text string, k int) int {
	for _, w := range sourceWords {
		if len(text)-k >= len(w) && strings.EqualFold(text[k:k+len(w)], w) {
			e := k + len(w)
			if e < len(text) && text[e] == ':' {
				e++
			}
			if e < len(text) && text[e] == ' ' {
				for e < len(text) && text[e] == ' ' {
					e++
				}
				return e
			}
		}
	}
	return k
}

type markerKind int

const (
	notMarker markerKind = iota
	citation
	malformed
)

// classify says whether the contents of square brackets are a citation (and
// which numbers it cites), a malformed citation, or not a citation at all.
func classify(content string) ([]int, markerKind) {
	s := strings.TrimSpace(content)
	if s == "" {
		return nil, malformed // "[]"
	}
	low := strings.ToLower(s)
	if strings.HasPrefix(low, "^") {
		// A Markdown footnote: "[^1]", "[^källa]".
		if r, _ := utf8.DecodeRuneInString(low[1:]); isAlnum(r) {
			return nil, malformed
		}
		return nil, notMarker
	}
	if placeholders[low] {
		return nil, malformed // "[n]", "[x]"
	}
	if rest, ok := cutSourceWord(low); ok {
		if nums, ok := parseList(rest); ok {
			return rangeChecked(nums)
		}
		return nil, malformed // "[källa]", "[Källa: AI-strategin]", "[källa n]"
	}
	if !isDigit(s[0]) {
		return nil, notMarker // "[sic]", "[…]", "[EU]"
	}
	if nums, ok := parseList(s); ok {
		return rangeChecked(nums)
	}
	// Starts with a number but is not a list. A number glued to ':', '/',
	// '.' or a letter, or one of four digits or more, is legal text:
	// "[2007:975]", "[6.1]", "[2a]", "[2019] UKSC 1".
	d := 0
	for d < len(s) && isDigit(s[d]) {
		d++
	}
	if d > maxNumberDigits || d == len(s) {
		return nil, notMarker
	}
	switch next := s[d]; {
	case next == ',' || next == ';' || next == '-':
		return nil, malformed // "[1,]", "[1-]", "[1, s. 5]"
	case next == ' ':
		after := strings.TrimLeft(s[d:], " ")
		if after != "" && (isDigit(after[0]) || after[0] == ',' || after[0] == ';') {
			return nil, malformed // "[1 2]"
		}
	case strings.HasPrefix(s[d:], "–") || strings.HasPrefix(s[d:], "—"):
		return nil, malformed // "[1–]"
	}
	return nil, notMarker
}

// rangeChecked turns the parsed list into a classification: a list with a
// reversed or too long range is malformed.
func rangeChecked(nums []int) ([]int, markerKind) {
	if nums == nil {
		return nil, malformed
	}
	return nums, citation
}

// cutSourceWord removes a leading "källa"/"source" word (and a colon) from
// low, reporting whether there was one.
func cutSourceWord(low string) (string, bool) {
	for _, w := range sourceWords {
		if rest, ok := strings.CutPrefix(low, w); ok {
			if rest == "" {
				return "", true
			}
			r, _ := utf8.DecodeRuneInString(rest)
			if unicode.IsLetter(r) {
				return "", false // "källans", "sourced": some other word
			}
			rest = strings.TrimPrefix(rest, ":")
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

// parseList parses "1", "1, 3", "1;3", "1–3", "1-3, 5", "2 och 3", "2 and
// 3". ok is false when s is not such a list. A list with a reversed range or
// one longer than maxRange parses (ok) but returns nil numbers.
func parseList(s string) (nums []int, ok bool) {
	bad := false
	rest := strings.TrimSpace(s)
	if rest == "" {
		return nil, false
	}
	for {
		a, r, ok := parseNumber(rest)
		if !ok {
			return nil, false
		}
		rest = strings.TrimLeft(r, " ")
		b := a
		if dash, ok := cutDash(rest); ok {
			b, r, ok = parseNumber(strings.TrimLeft(dash, " "))
			if !ok {
				return nil, false
			}
			rest = strings.TrimLeft(r, " ")
		}
		if b < a || b-a+1 > maxRange {
			bad = true
		} else {
			for n := a; n <= b; n++ {
				nums = append(nums, n)
			}
		}
		if rest == "" {
			break
		}
		sep, ok := cutSeparator(rest)
		if !ok {
			return nil, false
		}
		rest = strings.TrimLeft(sep, " ")
	}
	if bad {
		return nil, true
	}
	return nums, true
}

func parseNumber(s string) (int, string, bool) {
	d := 0
	n := 0
	for d < len(s) && isDigit(s[d]) {
		n = n*10 + int(s[d]-'0')
		d++
		if d > maxNumberDigits {
			return 0, s, false
		}
	}
	if d == 0 {
		return 0, s, false
	}
	return n, s[d:], true
}

func cutDash(s string) (string, bool) {
	for _, d := range []string{"-", "–", "—", "‒"} {
		if rest, ok := strings.CutPrefix(s, d); ok {
			return rest, true
		}
	}
	return s, false
}

func cutSeparator(s string) (string, bool) {
	for _, sep := range []string{",", ";", "och ", "and ", "& "} {
		if rest, ok := strings.CutPrefix(s, sep); ok {
			return rest, true
		}
	}
	return s, false
}

// parenMarker recognises a citation written in parentheses: "(källa 2)"
// anywhere, and "(1)" or "(1, 3)" only right before the end of a sentence
// and not after a provision ("artikel 6 (1)") or glued to one ("6(1)").
func parenMarker(text string, i int) (marker, bool) {
	j := closing(text, i, '(', ')')
	if j < 0 {
		return marker{}, false
	}
	s := strings.TrimSpace(text[i+1 : j])
	if s == "" {
		return marker{}, false
	}
	if rest, ok := cutSourceWord(strings.ToLower(s)); ok {
		if _, ok := parseList(rest); ok || placeholders[rest] {
			return marker{start: i, end: j + 1}, true
		}
		return marker{}, false
	}
	if _, ok := parseList(s); !ok {
		return marker{}, false
	}
	if i == 0 || (text[i-1] != ' ' && text[i-1] != '\t') {
		return marker{}, false // "6(1)", or "(1)" opening a line: a list item
	}
	prev := previousWord(text, i)
	if prev == "" || legalUnits[prev] {
		return marker{}, false
	}
	if last, _ := utf8.DecodeLastRuneInString(prev); unicode.IsDigit(last) || last == ')' || last == '§' {
		return marker{}, false // "6 (1)", "5 § (2)"
	}
	if !atSentenceEnd(text, j+1) {
		return marker{}, false
	}
	return marker{start: i, end: j + 1}, true
}

// previousWord returns the lowercased word before the whitespace that ends
// at text[i], trimmed of commas; "" at the start of a line.
func previousWord(text string, i int) string {
	k := i
	for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t') {
		k--
	}
	if k == 0 || text[k-1] == '\n' {
		return ""
	}
	e := k
	for k > 0 {
		r, w := utf8.DecodeLastRuneInString(text[:k])
		if unicode.IsSpace(r) {
			break
		}
		k -= w
	}
	return strings.TrimRight(strings.ToLower(text[k:e]), ",;")
}

// atSentenceEnd reports whether only closing quotes or brackets, a sentence
// terminator and then white space or the end of the line follow text[j].
func atSentenceEnd(text string, j int) bool {
	for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
		j++
	}
	for j < len(text) {
		r, w := utf8.DecodeRuneInString(text[j:])
		if !strings.ContainsRune("\"'”’»)]", r) {
			break
		}
		j += w
	}
	if j == len(text) || text[j] == '\n' || text[j] == '\r' {
		return true
	}
	r, w := utf8.DecodeRuneInString(text[j:])
	if !strings.ContainsRune(".!?…", r) {
		return false
	}
	j += w
	for j < len(text) && strings.ContainsRune(".!?", rune(text[j])) {
		j++
	}
	return j == len(text) || isSpace(text[j])
}

// wideBrackets are bracket pairs that never occur in Swedish legal text but
// that some models cite with: "【1】", "【3†source】", "［1］".
var wideBrackets = [][2]string{{"【", "】"}, {"［", "］"}, {"〖", "〗"}, {"〔", "〕"}}

// wideMarker recognises a citation in wide brackets at text[i]: always
// malformed.
func wideMarker(text string, i int) (marker, bool) {
	for _, b := range wideBrackets {
		if !strings.HasPrefix(text[i:], b[0]) {
			continue
		}
		rest := text[i+len(b[0]):]
		rest = rest[:min(len(rest), maxMarkerBytes+len(b[1]))]
		e := strings.Index(rest, b[1])
		if e < 0 || e > maxMarkerBytes || strings.ContainsRune(rest[:e], '\n') {
			return marker{}, false
		}
		return marker{start: i, end: i + len(b[0]) + e + len(b[1])}, true
	}
	return marker{}, false
}

// quotePairs maps each opening quotation mark to the marks that close it.
// Swedish typography closes with the same mark it opens with (”…” and
// »…»), English with the other one (“…”).
var quotePairs = map[rune]string{
	'"': `"`,
	'”': "”",
	'“': "”“", // English “…”; also German-style “…“
	'„': "“”",
	'»': "»«",
	'«': "»",
}

// quotedRanges returns the byte ranges [open, close] of the quotations of
// text, closing marks included. A quotation must close in the same
// paragraph; an opening mark without its closer quotes nothing.
func quotedRanges(text string) [][2]int {
	var out [][2]int
	// noCloser[closers] is where a search for closers last gave up: an
	// opener before it has no closer either. It keeps the scan linear.
	noCloser := map[string]int{}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		closers, ok := quotePairs[r]
		if !ok || i < noCloser[closers] {
			i += w
			continue
		}
		end := -1
		j := i + w
		for j < len(text) {
			r2, w2 := utf8.DecodeRuneInString(text[j:])
			if r2 == '\n' && paragraphBreak(text, j) {
				break
			}
			if strings.ContainsRune(closers, r2) {
				end = j + w2
				break
			}
			j += w2
		}
		if end < 0 {
			noCloser[closers] = j
			i += w
			continue
		}
		out = append(out, [2]int{i, end})
		i = end
	}
	return out
}

// paragraphBreak reports whether the newline at text[j] is followed by a
// blank line.
func paragraphBreak(text string, j int) bool {
	for k := j + 1; k < len(text); k++ {
		switch text[k] {
		case '\n':
			return true
		case ' ', '\t', '\r':
			continue
		}
		return false
	}
	return true
}

// StripCitations returns text without its citation markers: the
// well-formed ones and the malformed ones this package recognises, each with
// the spaces right before it ("gäller [1]." → "gäller."). Markers inside
// quotations are quoted text and stay, and so does every other bracket
// ("[sic]", "[…]", "artikel 6(1)").
func StripCitations(text string) string {
	ms := findMarkers(text)
	if len(ms) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range ms {
		s := m.start
		for s > last && (text[s-1] == ' ' || text[s-1] == '\t') {
			s--
		}
		b.WriteString(text[last:s])
		last = m.end
		if s == 0 || text[s-1] == '\n' {
			// A marker opening the text or a line takes the spaces after it.
			for last < len(text) && (text[last] == ' ' || text[last] == '\t') {
				last++
			}
		} else if s < m.start && last < len(text) && isAlnumByte(text[last]) {
			b.WriteByte(' ') // "A [1]B" → "A B", never "AB"
		}
	}
	b.WriteString(text[last:])
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isAlnumByte(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
