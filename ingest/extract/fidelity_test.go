package extract

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/imy/imyrag"
)

var pageNumberLine = regexp.MustCompile(`^(Sida \d+ av \d+|\d+ \(\d+\)|\d+)$`)

// withoutFurniture joins the pages' text without page numbers ("Sida 2 av
// 8") and running headers and footers: lines among the first or last two
// of a page that recur on at least half of the pages. The expected texts
// hold only the body text; removing furniture is the normalizer's job.
func withoutFurniture(pages []imyrag.Page) string {
	edge := func(lines []string, i int) bool { return i < 2 || i >= len(lines)-2 }
	seen := map[string]int{}
	for _, p := range pages {
		lines := strings.Split(p.Text, "\n")
		once := map[string]bool{}
		for i, l := range lines {
			if edge(lines, i) && !once[l] {
				once[l] = true
				seen[l]++
			}
		}
	}
	var out []string
	for _, p := range pages {
		lines := strings.Split(p.Text, "\n")
		for i, l := range lines {
			l = strings.TrimSpace(l)
			if pageNumberLine.MatchString(l) || len(pages) > 1 && edge(lines, i) && seen[l] >= 2 && 2*seen[l] >= len(pages) {
				continue
			}
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// wordF1 is the F1 score of the multiset of whitespace-separated words.
func wordF1(want, got string) float64 {
	w, g := strings.Fields(want), strings.Fields(got)
	if len(w) == 0 || len(g) == 0 {
		return 0
	}
	count := map[string]int{}
	for _, x := range w {
		count[x]++
	}
	match := 0
	for _, x := range g {
		if count[x] > 0 {
			count[x]--
			match++
		}
	}
	p, r := float64(match)/float64(len(g)), float64(match)/float64(len(w))
	if match == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// bareWords returns the words of s without surrounding punctuation.
func bareWords(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range bareWords(s) {
		set[w] = true
	}
	return set
}

// checkSwedishWords checks that the expected words with å, ä or ö come back intact.
func checkSwedishWords(t *testing.T, want, got string) {
	t.Helper()
	have := wordSet(got)
	var missing []string
	total := 0
	for w := range wordSet(want) {
		if !strings.ContainsAny(w, "åäöÅÄÖ") {
			continue
		}
		total++
		if !have[w] {
			missing = append(missing, w)
		}
	}
	// Words split at a line-end hyphen ("it-\nsäkerhet") may be missing; nothing else.
	if total == 0 || len(missing)*100 > total {
		t.Errorf("%d of %d words with å/ä/ö missing: %q", len(missing), total, missing)
	}
}

// gluedWords returns words of got that are two words of want run together.
func gluedWords(want, got string) []string {
	vocab := wordSet(want)
	var glued []string
	for w := range wordSet(got) {
		if vocab[w] {
			continue
		}
		r := []rune(w)
		for i := 2; i <= len(r)-2; i++ {
			if vocab[string(r[:i])] && vocab[string(r[i:])] {
				glued = append(glued, w)
				break
			}
		}
	}
	return glued
}

// checkPageOrder checks that the pages' text comes in the expected order:
// a phrase unique to each page is found later in the expected text than
// the previous page's.
func checkPageOrder(t *testing.T, res Result, want string) {
	t.Helper()
	flat := strings.Join(strings.Fields(want), " ")
	last := -1
	for _, p := range res.Pages {
		words := strings.Fields(p.Text)
		pos := -1
		for i := 0; i+6 <= len(words) && pos < 0; i++ {
			phrase := strings.Join(words[i:i+6], " ")
			if strings.Count(flat, phrase) == 1 {
				pos = strings.Index(flat, phrase)
			}
		}
		if pos < 0 {
			continue // nothing unique on the page
		}
		if pos <= last {
			t.Errorf("page %d is out of order", p.Number)
		}
		last = pos
	}
}
