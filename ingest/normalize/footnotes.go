package normalize

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	// A footnote at the foot of a PDF page: "3 Ert diarienummer N2021/01266".
	footStartRe = regexp.MustCompile(`^(\d{1,3}) +(\S.*)$`)
	// A rule above the footnotes.
	footRuleRe = regexp.MustCompile(`^[_\-–—]{3,}$`)
)

func isURLLine(s string) bool {
	if strings.ContainsAny(s, " \t") {
		return false
	}
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "www.")
}

// footnoter finds the footnotes at the foot of each segment and marks their
// references in the body text above them.
type footnoter struct {
	last int             // number of the last footnote found
	hyph map[string]bool // hyphenated words of the document
}

// footArea is the footnote area of a segment: the footnotes and the link
// lines after them.
type footArea struct {
	start int // index of the first footnote line
	notes []footnote
	links []string
}

type footnote struct {
	n    int
	text string
}

// extract looks for a footnote area at the foot of s: after a blank line or
// a rule, a line "N text" where N follows the last footnote number (or is 1,
// for numbering that restarts on each page; any N will do when the body
// above holds a reference to one of the area's footnotes), then only further footnotes
// numbered N+1, N+2 …, their continuation lines, blank lines and bare link
// lines (after a blank line only footnote starts and links may follow), and
// no more lines than the body above it has, give or take. The area's lines
// are dropped from the body and turned into Footnote blocks "[N] text" and,
// for links that no footnote already holds, paragraphs; the body's
// references to the footnotes are marked "[N]".
func (f *footnoter) extract(s *segment) {
	body := 0
	for i := range s.lines {
		l := s.lines[i]
		if l.drop || l.blank {
			continue
		}
		m := footStartRe.FindStringSubmatch(l.text)
		if m != nil && body > 0 && f.afterBreak(s, i) {
			n, _ := strconv.Atoi(m[1])
			inSequence := n == f.last+1 || n == 1 || (f.last > 0 && n > f.last && n <= f.last+3)
			if a, ok := f.tryArea(s, i, n, m[2]); ok && a.size(s) <= body*3/2+2 && (inSequence || hasRef(s, a)) {
				f.accept(s, a)
				return
			}
		}
		body++
	}
}

// afterBreak reports whether the line before s.lines[i] is blank, a rule,
// or nothing.
func (f *footnoter) afterBreak(s *segment, i int) bool {
	for j := i - 1; j >= 0; j-- {
		l := s.lines[j]
		if l.drop {
			continue
		}
		return l.blank || footRuleRe.MatchString(l.text)
	}
	return true
}

func (a *footArea) size(s *segment) int {
	n := 0
	for _, l := range s.lines[a.start:] {
		if !l.blank && !l.drop {
			n++
		}
	}
	return n
}

func (f *footnoter) tryArea(s *segment, start, n int, text string) (*footArea, bool) {
	a := &footArea{start: start, notes: []footnote{{n, text}}}
	afterBlank := false
	for _, l := range s.lines[start+1:] {
		if l.drop {
			continue
		}
		if l.blank {
			afterBlank = true
			continue
		}
		cur := &a.notes[len(a.notes)-1]
		if m := footStartRe.FindStringSubmatch(l.text); m != nil {
			if k, _ := strconv.Atoi(m[1]); k == cur.n+1 {
				a.notes = append(a.notes, footnote{k, m[2]})
				afterBlank = false
				continue
			}
		}
		if isURLLine(l.text) && (afterBlank || len(a.links) > 0) {
			a.links = append(a.links, l.text)
			continue
		}
		if afterBlank || len(a.links) > 0 || startsBlock(l.text) {
			return nil, false
		}
		cur.text = joinText(cur.text, l.text, f.hyph)
	}
	return a, true
}

// startsBlock reports whether s opens a list item or a numbered heading,
// which a footnote's continuation line does not.
func startsBlock(s string) bool {
	if _, ok := bulletOf(s); ok {
		return true
	}
	return numberedRe.MatchString(s)
}

func (f *footnoter) accept(s *segment, a *footArea) {
	for i := a.start; i < len(s.lines); i++ {
		s.lines[i].drop = true
	}
	var held []string
	for _, fn := range a.notes {
		text := collapseSpace(fn.text)
		s.notes = append(s.notes, &group{kind: gFootnote, text: "[" + strconv.Itoa(fn.n) + "] " + text,
			pageStart: s.page, pageEnd: s.page})
		held = append(held, strings.ReplaceAll(text, " ", ""))
		f.last = fn.n
	}
outer:
	for _, link := range a.links {
		for _, h := range held {
			if strings.Contains(h, link) {
				continue outer
			}
		}
		held = append(held, link)
		s.notes = append(s.notes, &group{kind: gLink, text: link, pageStart: s.page, pageEnd: s.page})
	}
	f.markRefs(s, a)
}

// hasRef reports whether the body of s refers to one of a's footnotes.
func hasRef(s *segment, a *footArea) bool {
	for _, fn := range a.notes {
		num := strconv.Itoa(fn.n)
		for _, l := range s.lines[:a.start] {
			if !l.drop && !l.blank && findRef(l.text, num, 0) >= 0 {
				return true
			}
		}
	}
	return false
}

// markRefs marks, in the body of s, the reference to each footnote of a: the
// first occurrence, after the previous reference, of the footnote's number
// glued to the text in one of the shapes extraction leaves. In the first
// three shapes the number follows sentence-final punctuation, in the fourth
// it is glued to a word:
//
//	"till regeringen.1 Enligt"   → "till regeringen.[1] Enligt"
//	"för åren 2022 - 2025.15"    → "för åren 2022 - 2025.[15]" (after a year)
//	"processer. 3  Enligt"       → "processer. [3]  Enligt" (before a capital)
//	"innovationscenter7. Vi", "(CNIL)8 och" → "innovationscenter[7]. Vi", "(CNIL)[8] och"
//
// Numbers inside identifiers ("2018:218", "N2021/01266", "WS1") never match.
func (f *footnoter) markRefs(s *segment, a *footArea) {
	li, pos := 0, 0
	for _, fn := range a.notes {
		num := strconv.Itoa(fn.n)
		for i := li; i < a.start; i++ {
			l := &s.lines[i]
			if l.drop || l.blank {
				continue
			}
			from := 0
			if i == li {
				from = pos
			}
			if at := findRef(l.text, num, from); at >= 0 {
				l.text = l.text[:at] + "[" + num + "]" + l.text[at+len(num):]
				li, pos = i, at+len(num)+2
				break
			}
		}
	}
}

// findRef returns the byte index of the footnote reference num in s at or
// after from, or -1.
func findRef(s, num string, from int) int {
	for from <= len(s) {
		k := strings.Index(s[from:], num)
		if k < 0 {
			return -1
		}
		at := from + k
		from = at + 1
		end := at + len(num)
		if at > 0 && isDigitByte(s[at-1]) || end < len(s) && isDigitByte(s[end]) {
			continue
		}
		before, after := s[:at], s[end:]
		afterSpace := after == "" || after[0] == ' '
		switch {
		case strings.HasSuffix(before, ".") && afterSpace:
			w := strings.TrimSuffix(before, ".")
			r, _ := utf8.DecodeLastRuneInString(w)
			if unicode.IsLetter(r) || r == ')' || r == '”' || r == '"' || isYearEnd(w) {
				return at
			}
		case strings.HasSuffix(before, ". ") && strings.HasPrefix(after, " "):
			w := strings.TrimSuffix(before, ". ")
			r, _ := utf8.DecodeLastRuneInString(w)
			nr, _ := utf8.DecodeRuneInString(strings.TrimLeft(after, " "))
			if unicode.IsLetter(r) && unicode.IsUpper(nr) {
				return at
			}
		case afterSpace || strings.IndexByte(".,;:", after[0]) >= 0 && (len(after) == 1 || after[1] == ' '):
			if strings.HasSuffix(before, ")") || endsLowerWord(before, 3) {
				return at
			}
		}
	}
	return -1
}

func isDigitByte(c byte) bool { return c >= '0' && c <= '9' }

// isYearEnd reports whether s ends with a year 19xx or 20xx standing alone.
func isYearEnd(s string) bool {
	if len(s) < 4 {
		return false
	}
	y := s[len(s)-4:]
	if !(strings.HasPrefix(y, "19") || strings.HasPrefix(y, "20")) || !isDigitByte(y[2]) || !isDigitByte(y[3]) {
		return false
	}
	return len(s) == 4 || s[len(s)-5] == ' '
}

// endsLowerWord reports whether s ends with at least n lower-case letters.
func endsLowerWord(s string, n int) bool {
	for i := 0; i < n; i++ {
		r, w := utf8.DecodeLastRuneInString(s)
		if !unicode.IsLower(r) {
			return false
		}
		s = s[:len(s)-w]
	}
	return true
}
