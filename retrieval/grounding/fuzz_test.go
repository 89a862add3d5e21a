package grounding

import (
	"strconv"
	"testing"

	"github.com/imy/imyrag/retrieval/analyze"
)

// FuzzCheck checks Check's invariants on any input: no panic, the sentences
// cover the answer, and every citation is of an existing source whose
// number the sentence writes (alone or as the bound of a range around it).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"Samtycke krävs för behandlingen [1]. IMY beslutade om en sanktionsavgift [2][9].",
		"Samtycke krävs.[1][2] Nästa. [1]\n\n- Punkt [1, 3–5]\n* Punkt [^2]\n1. Punkt 【1】\n\nKällorna säger inget.",
		"## Svar\nEnligt artikel 6(1) gäller samtycke (1).\n\nKällor:\n[1] GDPR\n[2] Beslut",
		"IMY skriver ”laglig[3]” [1] och [sic] […] [2007:975] [källa 2] (källa 3) [1–50] [3–1] [] [n] [1",
		"The sources do not say. Consent is required [source 2].",
		"[1]",
		"",
		"\xff[1\xfe] (1)\n\n[",
	} {
		f.Add(s, uint8(5))
	}
	a := analyze.Default()
	f.Fuzz(func(t *testing.T, answer string, n uint8) {
		passages := make([]Passage, int(n%8))
		for i := range passages {
			passages[i] = Passage{N: i + 1, Text: "Samtycke krävs för behandlingen enligt artikel 6.1 a. IMY beslutade 2023."}
		}
		r := Check(answer, passages, a, Options{})
		checkCovers(t, answer, r)
		last := 0
		for _, c := range r.Cited {
			if c <= last || c > len(passages) {
				t.Errorf("Cited %v: not ascending, or not a source", r.Cited)
			}
			last = c
		}
		for _, s := range r.Sentences {
			if s.Support < 0 || s.Support > 1 {
				t.Errorf("support %v out of [0, 1]", s.Support)
			}
			if s.Supported && len(s.Citations) == 0 {
				t.Errorf("%q supported without a citation", s.Text)
			}
			for _, c := range s.Citations {
				if c < 1 || c > len(passages) {
					t.Errorf("%q cites %d of %d sources", s.Text, c, len(passages))
				}
				if !writesNumber(s.Text, c) {
					t.Errorf("%q cites %d, which it does not write", s.Text, c)
				}
			}
			for _, fl := range s.Flags {
				if fl == "" {
					t.Errorf("%q has an empty flag", s.Text)
				}
			}
		}
	})
}

// writesNumber reports whether text has n as a run of digits, or two runs
// a and b with a < n < b (a range).
func writesNumber(text string, n int) bool {
	var runs []int
	for _, g := range digitGroups(text) {
		if len(g) > 3 {
			continue
		}
		v, _ := strconv.Atoi(g)
		if v == n {
			return true
		}
		runs = append(runs, v)
	}
	for i, a := range runs {
		for _, b := range runs[i+1:] {
			if a < n && n < b {
				return true
			}
		}
	}
	return false
}
