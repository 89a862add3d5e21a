package normalize

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/imy/imyrag"
)

// line is one source line after cleaning.
type line struct {
	text  string // without bookmarks, trimmed
	lead  int    // spaces that led the line in the source
	blank bool
	drop  bool // a page number, running header or footer, or footnote area line
	toc   bool // a Word table-of-contents bookmark stood on the line: a heading
}

// segment is a run of lines from one page: a PDF page, or for unpaginated
// text the stretch between two page-break remnants (see splitSegments).
type segment struct {
	page  int
	lines []line
	// notes are the footnotes and link lines found at the foot of the
	// segment, to be placed after the block that is open at its end.
	notes []*group
}

// splitSegments cleans the pages and cuts them into segments of lines.
//
// A text that was extracted from a PDF but reaches us as one unpaginated page
// (Number 0) still shows where its pages began: pdftotext-style extraction
// starts each page's first line with a single space. Such a line, and a form
// feed, start a new segment. The segments' page number stays 0.
func splitSegments(pages []imyrag.Page) []*segment {
	var segs []*segment
	for _, p := range pages {
		text := cleanText(p.Text)
		for _, part := range strings.Split(text, "\f") {
			seg := &segment{page: p.Number}
			pendingToc := false
			for _, raw := range strings.Split(part, "\n") {
				l := makeLine(raw)
				if l.blank && l.toc {
					// a bookmark alone on its line marks the next one
					pendingToc = true
					l.toc = false
				} else if pendingToc && !l.blank {
					l.toc = true
					pendingToc = false
				}
				if p.Number == 0 && l.lead == 1 && !l.blank && hasText(seg.lines) {
					segs = append(segs, seg)
					seg = &segment{page: p.Number}
				}
				seg.lines = append(seg.lines, l)
			}
			segs = append(segs, seg)
		}
	}
	return segs
}

func hasText(lines []line) bool {
	for _, l := range lines {
		if !l.blank {
			return true
		}
	}
	return false
}

func makeLine(raw string) line {
	var l line
	for l.lead < len(raw) && raw[l.lead] == ' ' {
		l.lead++
	}
	if strings.Contains(raw, "[bookmark") {
		for _, m := range bookmarkRe.FindAllStringSubmatch(raw, -1) {
			if strings.HasPrefix(strings.TrimSpace(m[1]), "_Toc") {
				l.toc = true
			}
		}
		raw = bookmarkRe.ReplaceAllString(raw, "")
	}
	if strings.Contains(raw, "[footnoteRef") {
		raw = footnoteRefRe.ReplaceAllString(raw, "[$1]")
	}
	l.text = strings.TrimSpace(raw)
	l.blank = l.text == ""
	return l
}

var (
	// Lines that are only a page number: "12", "Sida 3 av 10", "3 (12)",
	// "3/12", "- 4 -".
	pageNumberRe = regexp.MustCompile(`^(?:\d{1,4}|(?i:sida|sid\.|s\.|page|p\.) ?\d{1,4}(?: ?(?i:av|of|/) ?\d{1,4})?|\d{1,4} ?\( ?\d{1,4} ?\)|\d{1,4} ?(?:/|(?i:av|of)) ?\d{1,4}|[-–—] ?\d{1,4} ?[-–—])$`)
	// "Sida 3 av 10" is unmistakable anywhere on a page.
	explicitPageRe = regexp.MustCompile(`^(?i:sida|page) \d{1,4}(?: (?i:av|of) \d{1,4})?$`)
	// Web page boilerplate.
	skipLinkRe = regexp.MustCompile(`^(?i:hoppa (?:direkt )?till (?:huvud)?innehåll(?:et)?(?: på sidan)?|gå till (?:huvud)?innehåll(?:et)?|skip to (?:main )?content)$`)
)

// zone returns the indexes of the first and last two non-blank lines that
// are still in the segment: where page numbers, headers and footers sit.
func (s *segment) zone() []int {
	var idx []int
	for i := range s.lines {
		if !s.lines[i].blank && !s.lines[i].drop {
			idx = append(idx, i)
		}
	}
	if len(idx) <= 4 {
		return idx
	}
	return []int{idx[0], idx[1], idx[len(idx)-2], idx[len(idx)-1]}
}

// dropPageNumbers marks lines that are only a page number: in the top or
// bottom two lines of a segment, or anywhere when they stand alone between
// blank lines or are spelled out ("Sida 3 av 10").
func dropPageNumbers(segs []*segment) {
	for _, s := range segs {
		for _, i := range s.zone() {
			if pageNumberRe.MatchString(s.lines[i].text) {
				s.lines[i].drop = true
			}
		}
		for i := range s.lines {
			l := &s.lines[i]
			if l.blank || l.drop || !pageNumberRe.MatchString(l.text) {
				continue
			}
			alone := (i == 0 || s.lines[i-1].blank) && (i == len(s.lines)-1 || s.lines[i+1].blank)
			if alone || explicitPageRe.MatchString(l.text) {
				l.drop = true
			}
		}
	}
}

// furnitureKey is how header and footer lines are compared across pages:
// lower case, digits as "#", so that "DI-2021-5817 3 (12)" matches on every
// page.
func furnitureKey(s string) string {
	var b strings.Builder
	digit := false
	for _, r := range strings.ToLower(collapseSpace(s)) {
		if unicode.IsDigit(r) {
			if !digit {
				b.WriteByte('#')
			}
			digit = true
			continue
		}
		digit = false
		b.WriteRune(r)
	}
	return b.String()
}

func letterCount(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// dropFurniture removes running headers and footers, lines that recur among
// the top or bottom two lines of at least three segments and of 40% of them,
// and web boilerplate such as "Hoppa till innehåll". It returns each removed
// text once, in first-seen order.
func dropFurniture(segs []*segment) []string {
	var furniture []string
	seen := map[string]bool{}
	if len(segs) >= 3 {
		count := map[string]int{}
		for _, s := range segs {
			inSeg := map[string]bool{}
			for _, i := range s.zone() {
				k := furnitureKey(s.lines[i].text)
				if !inSeg[k] && letterCount(k) >= 3 {
					inSeg[k] = true
					count[k]++
				}
			}
		}
		need := max(3, (len(segs)*4+9)/10)
		for _, s := range segs {
			for _, i := range s.zone() {
				l := &s.lines[i]
				k := furnitureKey(l.text)
				if count[k] < need {
					continue
				}
				l.drop = true
				if !seen[k] {
					seen[k] = true
					furniture = append(furniture, collapseSpace(l.text))
				}
			}
		}
	}
	for _, s := range segs {
		for i := range s.lines {
			l := &s.lines[i]
			if l.blank || l.drop || len(l.text) > 60 || !skipLinkRe.MatchString(l.text) {
				continue
			}
			l.drop = true
			if k := furnitureKey(l.text); !seen[k] {
				seen[k] = true
				furniture = append(furniture, collapseSpace(l.text))
			}
		}
	}
	return furniture
}
