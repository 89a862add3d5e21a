package normalize

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/imy/imyrag"
	"golang.org/x/text/unicode/norm"
)

// letters counts the letters of s by base letter (NFD), so that composing
// "a" and a combining diaeresis into "ä" when lines are joined counts the
// same.
func letters(s string, into map[rune]int) {
	for _, r := range norm.NFD.String(s) {
		if unicode.IsLetter(r) {
			into[r]++
		}
	}
}

// checkLetters checks that Normalize neither loses nor invents text: every
// letter of the input, except those of the artefacts it removes on purpose
// (Word bookmarks and footnote reference tags, page-number lines, web
// boilerplate, running headers and footers, which Furniture keeps once, and
// bare link lines, which may be dropped as duplicates of a footnote), is in
// the output, and the output has no letter the cleaned input lacks.
func checkLetters(t testing.TB, pages []imyrag.Page, d Document) {
	t.Helper()
	keys := map[string]bool{}
	for _, f := range d.Furniture {
		keys[furnitureKey(f)] = true
	}
	kept, all := map[rune]int{}, map[rune]int{}
	for _, p := range pages {
		for _, raw := range strings.Split(strings.ReplaceAll(cleanText(p.Text), "\f", "\n"), "\n") {
			letters(raw, all)
			l := bookmarkRe.ReplaceAllString(raw, "")
			l = footnoteRefRe.ReplaceAllString(l, "[$1]")
			l = strings.TrimSpace(l)
			if pageNumberRe.MatchString(l) || skipLinkRe.MatchString(l) || isURLLine(l) || keys[furnitureKey(l)] {
				continue
			}
			letters(l, kept)
		}
	}
	out := map[rune]int{}
	letters(d.Text, out)
	for _, f := range d.Furniture {
		letters(f, out)
	}
	for r, n := range kept {
		if out[r] < n {
			t.Fatalf("letter %q: %d in the input, %d in the output", r, n, out[r])
		}
	}
	for r, n := range out {
		if all[r] < n {
			t.Fatalf("letter %q: %d in the output, only %d in the input", r, n, all[r])
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, id := range corpusIDs {
		b, err := os.ReadFile(filepath.Join(corpusDir, id+".txt"))
		if err != nil {
			f.Fatal(err)
		}
		s := string(b)
		// Seed with short slices of the corpus, cut at line starts: the
		// fuzzer minimizes every new input and long ones take it minutes.
		for k := range 4 {
			cut := k * len(s) / 4
			if i := strings.IndexByte(s[cut:], '\n'); i >= 0 {
				part := s[cut+i+1:]
				f.Add(part[:min(len(part), 700)], k%2 == 1)
			}
		}
	}
	f.Add("Text med fotnot[footnoteRef:3] i sig.\n[3:  Se prop. 2017/18:105\noch SFS 2018:218.]\n", false)
	f.Add("Rubrik\n\fIntegritetsskyddsmyndigheten  DI-2021-5817\nEn mening.\n3 (12)\n\fIntegritetsskyddsmyndigheten  DI-2021-5817\nOch en till.\n4 (12)\n\fIntegritetsskyddsmyndigheten  DI-2021-5817\nSista.\n5 (12)", true)
	f.Add("# Rubrik\n\n• punkt a\u0308\n- punkt två\n\n## Under\n\u00ADx-\n\u0308y", false)
	f.Fuzz(func(t *testing.T, s string, paged bool) {
		var pages []imyrag.Page
		if paged {
			// form feeds separate PDF pages
			for i, p := range strings.Split(s, "\f") {
				pages = append(pages, imyrag.Page{Number: i + 1, Text: p})
			}
		} else {
			pages = []imyrag.Page{{Number: 0, Text: s}}
		}
		d := Normalize(pages)
		checkInvariants(t, d, paged)
		checkLetters(t, pages, d)
		// Heading paths hold headings seen before.
		seen := map[string]bool{}
		for _, b := range d.Blocks {
			if b.Kind == Heading {
				seen[b.Text] = true
			}
			for _, h := range b.HeadingPath {
				if !seen[h] {
					t.Fatalf("block %q: heading %q in its path was never a heading", b.Text, h)
				}
			}
		}
	})
}

func BenchmarkNormalize(b *testing.B) {
	var docs []string
	size := 0
	for _, id := range corpusIDs {
		s := readCorpus(b, id)
		docs = append(docs, s)
		size += len(s)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range docs {
			Normalize([]imyrag.Page{{Number: 0, Text: s}})
		}
	}
}
