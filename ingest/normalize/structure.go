package normalize

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// hkind is the evidence a heading rests on.
type hkind int

const (
	hNone  hkind = iota
	hMD          // a Markdown "#" line
	hNum         // a numbered title: "2.1. Syfte"
	hTitle       // a short title line
	hToc         // a line with a Word table-of-contents bookmark
)

// item is a group on its way to becoming a block.
type item struct {
	g     *group
	kind  BlockKind
	h     hkind
	text  string
	depth int   // numbered: how many parts the number has
	num   []int // numbered: the number's parts
	level int
}

func (it *item) content() bool { return it.kind != Footnote && it.g.kind != gLink }

// structure turns groups into blocks: it decides which are headings, gives
// headings their levels and every block its heading path.
func structure(groups []*group, md bool) []Block {
	items := make([]*item, 0, len(groups))
	for _, g := range groups {
		it := &item{g: g, text: collapseSpace(g.text)}
		if it.text == "" {
			continue
		}
		switch g.kind {
		case gMD:
			it.kind, it.h, it.level = Heading, hMD, g.mdLevel
		case gFnDef:
			it.kind = Footnote
			it.text = strings.TrimSpace(strings.TrimSuffix(it.text, "]"))
		case gFootnote:
			it.kind = Footnote
		case gList:
			it.kind = ListItem
		case gToc:
			it.kind = Paragraph
			if n := utf8.RuneCountInString(it.text); n <= 200 && letterCount(it.text) >= 2 && !strings.HasSuffix(it.text, ".") {
				it.kind, it.h = Heading, hToc
			}
		case gNum:
			it.kind = ListItem
			it.num, it.depth = parseNumber(it.text)
		default:
			it.kind = Paragraph
		}
		items = append(items, it)
	}
	next := func(i int) *item {
		for j := i + 1; j < len(items); j++ {
			if items[j].content() {
				return items[j]
			}
		}
		return nil
	}
	prev := func(i int) *item {
		for j := i - 1; j >= 0; j-- {
			if items[j].content() {
				return items[j]
			}
		}
		return nil
	}

	// Numbered lines: headings unless they read like list items.
	for i, it := range items {
		if it.g.kind != gNum || md || it.depth == 0 {
			continue
		}
		n, p := next(i), prev(i)
		if n == nil || sibling(p, it) && p.kind == ListItem || sibling(it, n) {
			continue
		}
		rest := numberRest(it.text)
		limit := 150
		if !strings.Contains(it.text[:len(it.text)-len(rest)], ".") {
			limit = 80 // "1 Inledning"
			if n.kind != Paragraph && n.kind != ListItem {
				continue
			}
		}
		if numberedTitle(rest, limit) {
			it.kind, it.h = Heading, hNum
		}
	}

	// Title lines, last to first so that a title followed by a title knows
	// whether that one is a heading.
	if !md {
		firstContent := -1
		for i, it := range items {
			if it.content() {
				firstContent = i
				break
			}
		}
		for i := len(items) - 1; i >= 0; i-- {
			it := items[i]
			if it.g.kind != gPara || !titleish(it.text, it.g.segStart) {
				continue
			}
			n := next(i)
			if n == nil || n.g.seg != it.g.seg {
				continue
			}
			switch {
			case n.kind == Heading:
				if it.g.segStart || i == firstContent {
					it.kind, it.h = Heading, hTitle
				}
			case n.kind == ListItem || n.kind == Paragraph && (i == firstContent || bodyLike(n.text)):
				it.kind, it.h = Heading, hTitle
			}
		}
	}

	// Levels and heading paths.
	lv := &leveler{}
	for _, it := range items {
		if it.h == hToc {
			lv.hasToc = true
			break
		}
	}
	blocks := make([]Block, 0, len(items))
	var path []string
	for i, it := range items {
		if it.kind == Heading {
			n := next(i)
			stacked := (it.h == hTitle || it.h == hToc) && n != nil && n.kind == Heading && n.g.seg == it.g.seg
			it.level = lv.level(it, stacked)
			lv.push(it)
			path = lv.path()
		}
		b := Block{Kind: it.kind, Text: it.text, PageStart: it.g.pageStart, PageEnd: it.g.pageEnd, HeadingPath: path}
		if it.kind == Heading {
			b.Level = it.level
		}
		if !norm.NFC.IsNormalString(b.Text) {
			b.Text = norm.NFC.String(b.Text)
		}
		blocks = append(blocks, b)
	}
	return blocks
}

// bodyLike reports whether a paragraph reads like running text that a title
// could head, rather than a label or a fragment: it ends a sentence or is long.
func bodyLike(s string) bool {
	return endsSentence(s) || utf8.RuneCountInString(s) >= 80
}

// parseNumber reads the leading number of a numbered line: "2.1.3. X" gives
// [2 1 3] and depth 3. Lettered items ("a) ") give depth 0.
func parseNumber(s string) ([]int, int) {
	m := numberedRe.FindStringSubmatch(s)
	if m == nil {
		m = bareNumberedRe.FindStringSubmatch(s)
		if m == nil {
			return nil, 0
		}
	}
	var num []int
	for _, p := range strings.Split(m[1], ".") {
		n, _ := strconv.Atoi(p)
		num = append(num, n)
	}
	return num, len(num)
}

// numberRest returns a numbered line without its number.
func numberRest(s string) string {
	if m := numberedRe.FindStringSubmatch(s); m != nil {
		return m[3]
	}
	if m := bareNumberedRe.FindStringSubmatch(s); m != nil {
		return m[2]
	}
	return s
}

// sibling reports whether b's number directly follows a's in the same list:
// 3 after 2, or 2.4 after 2.3.
func sibling(a, b *item) bool {
	if a == nil || b == nil || a.g.kind != gNum || b.g.kind != gNum || a.depth != b.depth || a.depth == 0 {
		return false
	}
	for k := 0; k < a.depth-1; k++ {
		if a.num[k] != b.num[k] {
			return false
		}
	}
	return b.num[a.depth-1] == a.num[a.depth-1]+1
}

// numberedTitle reports whether the text after a section number reads like a
// title: capitalised, at most limit runes, one phrase without a final period,
// comma, colon or semicolon.
func numberedTitle(rest string, limit int) bool {
	if utf8.RuneCountInString(rest) > limit {
		return false
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if !unicode.IsUpper(r) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(rest)
	if strings.ContainsRune(".,;:", last) {
		return false
	}
	return !hasSentenceBreak(rest)
}

// hasSentenceBreak reports whether s holds two sentences: ". ", "? " or "! "
// before a capital, not after an abbreviation.
func hasSentenceBreak(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		c := s[i]
		if (c != '.' && c != '?' && c != '!') || s[i+1] != ' ' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(s[i+2:])
		if !unicode.IsUpper(r) {
			continue
		}
		if c == '.' && endsAbbreviation(s[:i+1]) {
			continue
		}
		return true
	}
	return false
}

// titleish reports whether a paragraph's text could be a title: 3 to 100
// runes and at most 14 words, starting with a capital, with no final period,
// comma, colon, semicolon or dash (a final ? or ! only on a slide or page's
// first line), one sentence, not "Label: value", not a link, not ending in a
// function word ("och", "av" …), in Swedish sentence case (not "Lena
// Lindgren Schelin" or a menu "Innovationshubben Sandlådan Projekt"), with a
// word of four letters or more and a lower-case letter.
func titleish(s string, segStart bool) bool {
	n := utf8.RuneCountInString(s)
	if n < 3 || n > 100 {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(s)
	switch last {
	case '.', ',', ';', ':', '-', '–', '—':
		return false
	case '?', '!':
		if !segStart {
			return false
		}
	}
	if i := strings.Index(s, ": "); i >= 0 {
		if r, _ := utf8.DecodeRuneInString(s[i+2:]); !unicode.IsUpper(r) {
			return false
		}
	}
	if hasSentenceBreak(s) || endsFunctionWord(s) {
		return false
	}
	words := strings.Fields(s)
	if len(words) > 14 {
		return false
	}
	caps, lowers, longest := 0, 0, 0
	lower := false
	for _, w := range words {
		if strings.Contains(w, "://") || strings.Contains(w, "@") || strings.Contains(w, "/") && strings.Contains(w, ".") {
			return false
		}
		w = strings.Trim(w, ".,;:!?()\"'”“[]")
		if w == "" {
			continue
		}
		letters, uppers, digits := 0, 0, 0
		for _, r := range w {
			switch {
			case unicode.IsUpper(r):
				uppers++
				letters++
			case unicode.IsLetter(r):
				letters++
				if unicode.IsLower(r) {
					lower = true
				}
			case unicode.IsDigit(r):
				digits++
			}
		}
		longest = max(longest, letters)
		fr, _ := utf8.DecodeRuneInString(w)
		switch {
		case uppers >= 2 || digits > 0:
			// an acronym or code: "AI-strategi", "IMY:s", "WS1"
		case unicode.IsUpper(fr):
			caps++
		case unicode.IsLower(fr):
			lowers++
		}
	}
	return lower && longest >= 4 && !(caps >= 2 && lowers == 0)
}

// frontMatter are unnumbered headings that end when the numbered sections
// begin, instead of holding them.
var frontMatter = map[string]bool{"sammanfattning": true, "sammandrag": true, "innehåll": true,
	"innehållsförteckning": true, "förord": true, "summary": true, "abstract": true, "contents": true,
	"table of contents": true, "executive summary": true}

// backMatter reports whether a heading opens an annex or the like, which is a
// top-level section whatever came before.
func backMatter(s string) bool {
	l := strings.ToLower(s)
	for _, p := range []string{"bilaga", "bilagor", "appendix", "annex", "referenser", "källor", "källförteckning", "litteraturförteckning", "ordlista"} {
		if l == p || strings.HasPrefix(l, p+" ") {
			return true
		}
	}
	return false
}

// leveler gives headings their levels; see the package documentation.
type leveler struct {
	numActive bool // inside a run of numbered headings
	base      int  // numbered headings are at base + depth
	group     int  // level of unnumbered headings below a stacked parent
	lastToc   int  // level of the last bookmarked heading
	hasToc    bool // the document has bookmarked headings
	stack     []frame
}

type frame struct {
	level    int
	text     string
	numbered bool
}

func (lv *leveler) innermost(numbered bool) *frame {
	for i := len(lv.stack) - 1; i >= 0; i-- {
		if lv.stack[i].numbered == numbered {
			return &lv.stack[i]
		}
	}
	return nil
}

func (lv *leveler) level(it *item, stacked bool) int {
	switch it.h {
	case hMD:
		return it.level
	case hNum:
		if !lv.numActive {
			lv.numActive, lv.base = true, 0
			if f := lv.innermost(false); f != nil && !frontMatter[strings.ToLower(f.text)] {
				lv.base = f.level
			}
		}
		return lv.base + it.depth
	}
	back := backMatter(it.text)
	if lv.numActive {
		if lv.base == 0 && !back && !stacked {
			if f := lv.innermost(true); f != nil {
				return lv.toc(it, f.level+1)
			}
		}
		lv.numActive = false
		if lv.base > 0 && !back && !stacked {
			return lv.toc(it, lv.base)
		}
	}
	switch {
	case stacked || back:
		lv.group = 2
		return lv.toc(it, 1)
	case lv.hasToc && it.h != hToc && lv.lastToc > 0:
		return lv.lastToc + 1
	default:
		return lv.toc(it, max(lv.group, 1))
	}
}

func (lv *leveler) toc(it *item, level int) int {
	if it.h == hToc {
		lv.lastToc = level
	}
	return level
}

func (lv *leveler) push(it *item) {
	for len(lv.stack) > 0 && lv.stack[len(lv.stack)-1].level >= it.level {
		lv.stack = lv.stack[:len(lv.stack)-1]
	}
	lv.stack = append(lv.stack, frame{level: it.level, text: it.text, numbered: it.h == hNum})
}

// path returns the texts of the open headings, outermost first, in a new
// slice.
func (lv *leveler) path() []string {
	p := make([]string, len(lv.stack))
	for i, f := range lv.stack {
		p[i] = f.text
	}
	return p
}
