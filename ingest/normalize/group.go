package normalize

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imy/imyrag/ingest/sentence"
)

// gkind is what a group of lines was opened as.
type gkind int

const (
	gPara     gkind = iota
	gList           // a bullet item
	gNum            // a numbered line: a numbered heading or list item
	gMD             // a Markdown heading
	gToc            // a line with a table-of-contents bookmark
	gFnDef          // a Word footnote "[2:  text]"
	gFootnote       // a footnote from the foot of a page
	gLink           // a bare link line from the foot of a page
)

// group is a run of source lines joined into one block's text.
type group struct {
	kind      gkind
	text      string
	lines     int // source lines joined
	last      string
	pageStart int
	pageEnd   int
	seg       int
	segStart  bool // opened on the first line of its segment
	mdLevel   int
	closed    bool // takes no more lines
}

type sep int

const (
	sepNone  sep = iota // the next line follows directly
	sepSoft             // one blank line comes between, in double-spaced text
	sepBlank            // blank lines come between
	sepPage             // a page boundary comes between
)

var (
	mdHeadingRe = regexp.MustCompile(`^(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	fnDefRe     = regexp.MustCompile(`^\[(\d{1,4}):\s*(.*)$`)
	// "1. Bakgrund", "2.1 Syfte", "2.1.3. Rundabordssamtal"; the number has a
	// period somewhere.
	numberedRe = regexp.MustCompile(`^(\d{1,2}(?:\.\d{1,2}){0,5})(\.?) +(\S.*)$`)
	// "1 Inledning": no period; opens a block only if it looks like a title.
	bareNumberedRe = regexp.MustCompile(`^(\d{1,2}) +(\p{Lu}.*)$`)
	// "a) ", "3) "
	letteredRe = regexp.MustCompile(`^(?:\d{1,2}|[a-zA-Z])\) +\S`)
)

// bulletOf returns the normalized marker of a bullet line: "•" for first-level
// markers, "◦" for the ones Word uses for nested lists.
func bulletOf(s string) (string, bool) {
	r, w := utf8.DecodeRuneInString(s)
	var m string
	switch r {
	case '•', '●', '·', '\uF0B7', '\uF076', '\uF0D8', '➢', '►', '✓', '✔':
		m = "•"
	case '▪', '◦', '○', '■', '□', '‣', '\uF0A7', '\uF06E', '⁃':
		m = "◦"
	case '-', '–', '—', '*', '−':
		m = "•"
		if len(s) <= w || s[w] != ' ' {
			return "", false
		}
		return m, true
	default:
		return "", false
	}
	return m, true
}

func isWeakBullet(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == '-' || r == '–' || r == '—' || r == '*' || r == '−'
}

// grouper joins the lines of all segments into groups.
type grouper struct {
	hyph    map[string]bool
	width   int  // typical width of a wrapped line, in runes
	wrapped bool // the text is hard-wrapped at about width
	double  bool // the text is double-spaced: one blank line is no break
	md      bool // the text has Markdown headings: take structure from them only
	out     []*group
	cur     *group
	pending []*group // footnotes waiting for the open block to close
}

func (g *grouper) close() {
	if g.cur != nil {
		g.out = append(g.out, g.cur)
		g.cur = nil
	}
	g.out = append(g.out, g.pending...)
	g.pending = g.pending[:0]
}

func (g *grouper) run(segs []*segment) []*group {
	first := true
	for si, s := range segs {
		gap := sepPage
		if first {
			gap = sepNone
		}
		segStart := true
		blanks := 0
		for _, l := range s.lines {
			if l.drop {
				continue
			}
			if l.blank {
				blanks++
				continue
			}
			if gap == sepNone && blanks > 0 && !first {
				gap = sepBlank
				if blanks == 1 && g.double {
					gap = sepSoft
				}
			}
			g.add(l, s.page, si, gap, segStart)
			first, segStart, gap, blanks = false, false, sepNone, 0
		}
		if len(s.notes) > 0 {
			if g.cur == nil {
				g.out = append(g.out, s.notes...)
			} else {
				g.pending = append(g.pending, s.notes...)
			}
		}
	}
	g.close()
	return g.out
}

func (g *grouper) add(l line, page, seg int, gap sep, segStart bool) {
	text := l.text
	k, lvl, rest := g.classify(l, gap)
	if g.cur != nil && g.continues(g.cur, l, gap, k != gPara) {
		g.cur.text = joinText(g.cur.text, text, g.hyph)
		g.cur.last = text
		g.cur.lines++
		g.cur.pageEnd = page
		if g.cur.kind == gFnDef && strings.HasSuffix(text, "]") {
			g.cur.closed = true
		}
		return
	}
	g.close()
	ng := &group{kind: gPara, text: text, last: text, lines: 1, pageStart: page, pageEnd: page, seg: seg, segStart: segStart}
	switch k {
	case gMD:
		ng.kind, ng.mdLevel, ng.text, ng.closed = gMD, lvl, rest, true
	case gFnDef:
		ng.kind, ng.text = gFnDef, rest
		if strings.HasSuffix(ng.text, "]") {
			ng.closed = true
		}
	case gList:
		ng.kind, ng.text = gList, rest
	default:
		ng.kind = k
	}
	g.cur = ng
}

// classify says what kind of block a line opens, given what separates it
// from the line before. For Markdown headings it returns the level and text,
// for bullets the text with a normalized marker, for footnotes "[N] text…".
func (g *grouper) classify(l line, gap sep) (gkind, int, string) {
	s := l.text
	if m := mdHeadingRe.FindStringSubmatch(s); m != nil && g.md {
		return gMD, len(m[1]), m[2]
	}
	if m := fnDefRe.FindStringSubmatch(s); m != nil {
		return gFnDef, 0, "[" + m[1] + "] " + m[2]
	}
	if m, ok := bulletOf(s); ok {
		_, w := utf8.DecodeRuneInString(s)
		if !isWeakBullet(s) || gap > sepNone || g.cur == nil || g.cur.kind == gList || endsSentence(g.cur.last) || strings.HasSuffix(g.cur.last, ":") {
			return gList, 0, m + " " + strings.TrimSpace(s[w:])
		}
	}
	if l.toc && !g.md {
		return gToc, 0, ""
	}
	if numberedRe.MatchString(s) || letteredRe.MatchString(s) {
		if m := numberedRe.FindStringSubmatch(s); m == nil || m[2] == "." || strings.Contains(m[1], ".") {
			return gNum, 0, ""
		}
	}
	if m := bareNumberedRe.FindStringSubmatch(s); m != nil && !g.md && (gap != sepNone || g.cur == nil || endsSentence(g.cur.last)) {
		if rest := m[2]; utf8.RuneCountInString(rest) <= 80 && !endsSentence(rest) && !strings.HasSuffix(rest, ",") && !strings.Contains(rest, ". ") {
			return gNum, 0, ""
		}
	}
	return gPara, 0, ""
}

// continues decides whether line l continues the open group cur: the heart
// of joining hard-wrapped lines. opens says whether l opens a block of its
// own (a bullet, a numbered line …). See the package documentation.
func (g *grouper) continues(cur *group, l line, gap sep, opens bool) bool {
	if cur.closed {
		return false
	}
	if cur.kind == gFnDef {
		return true
	}
	if cur.kind == gList && (cur.text == "•" || cur.text == "◦") {
		return true // a marker alone on its line
	}
	if opens {
		return false
	}
	p, next := cur.last, l.text
	if endsWordHyphen(p) || strings.HasSuffix(p, string(softHyphen)) {
		return true
	}
	if strings.HasSuffix(p, ",") || strings.HasSuffix(p, " -") || strings.HasSuffix(p, " –") || endsFunctionWord(p) {
		return true
	}
	term := endsSentence(p)
	r, _ := utf8.DecodeRuneInString(next)
	switch {
	case unicode.IsLower(r):
		if gap > sepSoft && isURLLine(next) {
			return false
		}
		return gap <= sepSoft || !term || endsAbbreviation(p)
	case r == '(' || r == ')' || r == ',' || r == ';':
		return !term
	}
	if !term && openParen(cur.text) {
		return true
	}
	if cur.kind == gNum || cur.kind == gToc {
		return false // headings continue only on lower case
	}
	long := func(f float64) bool {
		return float64(utf8.RuneCountInString(p)+1+firstWordLen(next)) > f*float64(g.width)
	}
	if gap > sepSoft {
		return false
	}
	// A short line without final punctuation is a title, not the end of
	// the paragraph.
	if !endsSentence(next) && float64(utf8.RuneCountInString(next)) < 0.7*float64(g.width) {
		return false
	}
	if !term {
		// A wrap before a capitalised word: the line is nearly full.
		return g.wrapped && long(0.8)
	}
	if strings.HasSuffix(p, ":") {
		return false
	}
	// A sentence ended at the line end: it is a wrap and not a paragraph
	// break when the next word would not have fitted on the line.
	return g.wrapped && long(0.85)
}

// doubleSpaced reports whether the text puts a blank line after nearly
// every line, as some PDF extractions do: then one blank line is no
// paragraph break. The tell is a blank line between a line and its
// lower-case continuation, which a text whose paragraphs are separated by
// blank lines (like Normalize's own output) does not have.
func doubleSpaced(segs []*segment) bool {
	one, cont := 0, 0
	for _, s := range segs {
		blanks, seen := 0, false
		for _, l := range s.lines {
			if l.drop {
				continue
			}
			if l.blank {
				blanks++
				continue
			}
			if seen && blanks == 1 {
				one++
				if r, _ := utf8.DecodeRuneInString(l.text); unicode.IsLower(r) {
					cont++
				}
			}
			seen, blanks = true, 0
		}
	}
	return cont >= 5 && cont*5 >= one
}

func firstWordLen(s string) int {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		s = s[:i]
	}
	return utf8.RuneCountInString(s)
}

func openParen(s string) bool {
	return strings.Count(s, "(") > strings.Count(s, ")")
}

// endsWordHyphen reports whether s ends with a hyphen glued to a letter or
// digit: "integritets-", "EU-".
func endsWordHyphen(s string) bool {
	if !strings.HasSuffix(s, "-") {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:len(s)-1])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// closers may follow a sentence's final punctuation.
const closers = "\"'”’»)]"

// endsSentence reports whether s ends a sentence: with . ! ? … : or ;,
// possibly followed by closing quotes, brackets or a footnote number, and
// not with an abbreviation that cannot end one ("t.ex.").
func endsSentence(s string) bool {
	s = strings.TrimRight(s, " ")
	// a footnote number glued after the period: "regeringen.1", "[1]"
	t := strings.TrimRight(s, "0123456789[]")
	if t != s && strings.HasSuffix(t, ".") && len(s)-len(t) <= 5 {
		s = t
	}
	s = strings.TrimRight(s, closers)
	r, _ := utf8.DecodeLastRuneInString(s)
	switch r {
	case '!', '?', '…', ':', ';':
		return true
	case '.':
		w := lastField(s)
		if sentence.IsAbbreviation(w) && !finalAbbrev[strings.ToLower(w)] {
			return false
		}
		return true
	}
	return false
}

// finalAbbrev are abbreviations that often end a sentence.
var finalAbbrev = map[string]bool{"m.m.": true, "etc.": true, "osv.": true, "o.s.v.": true, "m.fl.": true, "mfl.": true, "e.d.": true, "o.d.": true}

func endsAbbreviation(s string) bool {
	return sentence.IsAbbreviation(strings.TrimLeft(lastField(s), "("))
}

func lastField(s string) string {
	s = strings.TrimRight(s, " ")
	if i := strings.LastIndexByte(s, ' '); i >= 0 {
		return s[i+1:]
	}
	return s
}

// functionWords cannot end a Swedish sentence or title: a line that ends
// with one continues on the next.
var functionWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`och eller samt men att av för i med till om på som den det de en ett
		från vid under mellan inom hos mot genom efter utan än när där vilket vilka vilken vår våra vårt
		sin sina sitt deras dess hans hennes ur åt över kring enligt avseende gällande både antingen varken
		ska skall kan får måste bör vill har är var blir the of and to in for a an on by with`) {
		functionWords[w] = true
	}
}

func endsFunctionWord(s string) bool {
	return functionWords[lastField(s)]
}

// suspended are words after which a line-end hyphen is a suspended compound:
// "hälso- och sjukvård".
var suspended = []string{"och", "eller", "samt", "respektive", "resp.", "till", "som", "men"}

// joinText appends the next line to a block's text, undoing line-end
// hyphenation:
//
//   - "integritets-" + "skydd" → "integritetsskydd";
//   - "hälso-" + "och sjukvård" → "hälso- och sjukvård" (a suspended
//     compound, also before "eller", "samt", "respektive", "till" or ",");
//   - "EU-" + "kommissionen", "Covid-" + "19", URLs, and words the document
//     also writes with a hyphen elsewhere ("case-" + "baserad") keep the
//     hyphen and join without a space;
//   - a soft hyphen at the line end is dropped and the lines joined.
func joinText(prev, next string, hyph map[string]bool) string {
	if strings.HasSuffix(prev, string(softHyphen)) {
		return strings.TrimSuffix(prev, string(softHyphen)) + next
	}
	if endsWordHyphen(prev) {
		word := lastField(prev)
		nw := next
		if i := strings.IndexByte(nw, ' '); i >= 0 {
			nw = nw[:i]
		}
		switch {
		case strings.HasPrefix(next, ",") || slices.Contains(suspended, strings.ToLower(nw)):
			return prev + " " + next
		case isURLish(word):
			return prev + next
		}
		stem := strings.TrimSuffix(word, "-")
		lr, _ := utf8.DecodeLastRuneInString(stem)
		fr, _ := utf8.DecodeRuneInString(next)
		if unicode.IsUpper(lr) || unicode.IsDigit(lr) || unicode.IsUpper(fr) || unicode.IsDigit(fr) {
			return prev + next
		}
		if hyph != nil && hyph[strings.ToLower(strings.TrimLeft(word, "(\"'”“")+strings.TrimRight(nw, ".,;:!?)\"'”"))] {
			return prev + next
		}
		return prev[:len(prev)-1] + next
	}
	if strings.HasSuffix(prev, "/") && isURLish(lastField(prev)) {
		return prev + next
	}
	return prev + " " + next
}

func isURLish(w string) bool {
	return strings.Contains(w, "://") || strings.HasPrefix(strings.ToLower(w), "www.") || strings.Contains(w, "@") ||
		strings.Count(w, "/") >= 2
}

// hyphenatedWords collects the words the text writes with an inner hyphen,
// lower case: "case-baserad", "data-set".
func hyphenatedWords(segs []*segment) map[string]bool {
	m := map[string]bool{}
	for _, s := range segs {
		for _, l := range s.lines {
			if !strings.Contains(l.text, "-") {
				continue
			}
			for _, w := range strings.Fields(l.text) {
				w = strings.Trim(w, ".,;:!?()\"'”“")
				i := strings.Index(w, "-")
				if i <= 0 || i == len(w)-1 {
					continue
				}
				m[strings.ToLower(w)] = true
			}
		}
	}
	return m
}

// lineWidth estimates how wide the text's wrapped lines are: the 90th
// percentile of the rune length of its lines of 20 runes or more. A text
// whose lines are much longer than any page (over 160 runes) is not
// hard-wrapped: each line is a paragraph.
func lineWidth(segs []*segment) (int, bool) {
	var ls []int
	for _, s := range segs {
		for _, l := range s.lines {
			if l.drop || l.blank {
				continue
			}
			if n := utf8.RuneCountInString(l.text); n >= 20 {
				ls = append(ls, n)
			}
		}
	}
	if len(ls) < 5 {
		return 0, false
	}
	slices.Sort(ls)
	w := ls[len(ls)*9/10]
	return w, w <= 160
}
