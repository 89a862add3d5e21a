// Package synonym is a Swedish synonym table for query expansion, keyed by
// the analyzer's terms, so that a question worded differently from its
// source ("medgivande" for "samtycke", "dispens" for "undantag") can still
// meet it.
//
// The embedded table (synonyms.txt, made by gen_synonyms.go) comes from
// Synlex / Folkets synonymlexikon by Viggo Kann, as Debian's mythes-sv ships
// it; its licence and the notice of our modifications are in
// COPYRIGHT.synlex next to it. It is colloquial and noisy ("acceptera" →
// "ja", "okej"), so a table only proposes: the search engine keeps the
// synonyms the index actually contains, caps them per term and weights them
// below the question's own words.
//
// Keys and values are stems as analyze.Stem makes them: a headword's stem
// maps to the stems of its synonyms, so every inflected form of a query word
// finds it ("medgivandet", "medgivanden" → "medgiv" → "samtyck", ...).
// Headwords with the same stem are merged.
package synonym

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/imy/imyrag/retrieval/analyze"
)

//go:embed synonyms.txt
var synonymsTxt string

// MinRunes is the shortest synonym kept: shorter ones are interjections and
// abbreviations ("ja", "ok"), which match everything or nothing.
const MinRunes = 3

// Table maps a term (a stem) to the stems of its synonyms, most supported
// first. The zero Table is empty. Safe for concurrent use once built.
type Table struct {
	m     map[string][]string
	words map[string]string // a synonym's stem → the word it was first read as
}

var (
	defaultOnce sync.Once
	defaultT    *Table
)

// Default returns the embedded Swedish table, parsed on first use (tens of
// milliseconds: every word is stemmed).
func Default() *Table {
	defaultOnce.Do(func() {
		t, err := Parse(synonymsTxt)
		if err != nil {
			panic(fmt.Sprintf("embedded synonyms.txt: %v", err)) // a build defect, caught by the tests
		}
		defaultT = t
	})
	return defaultT
}

// Parse reads a table in the format of synonyms.txt: one line per headword,
// "headword|synonym|synonym|...", lowercase words; empty lines and lines
// starting with '#' are skipped. Stopwords, synonyms shorter than MinRunes
// and synonyms with the headword's stem are dropped. Headwords that share a
// stem are merged, their synonyms ordered by how many of the headwords list
// them, then by first mention.
func Parse(text string) (*Table, error) {
	type cand struct {
		stem  string
		votes int
	}
	acc := map[string][]cand{}
	stems := map[string]string{} // a word recurs in many lines; stem it once
	words := map[string]string{}
	stem := func(w string) string {
		s, ok := stems[w]
		if !ok {
			s = analyze.Stem(w)
			stems[w] = s
			if _, ok := words[s]; !ok {
				words[s] = w
			}
		}
		return s
	}
	no := 0
	for line := range strings.Lines(text) {
		no++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "|")
		if len(fields) < 2 || fields[0] == "" {
			return nil, fmt.Errorf("line %d: want headword|synonym|..., got %q", no, line)
		}
		head := fields[0]
		if analyze.IsStopword(head) {
			continue
		}
		key := stem(head)
		cs := acc[key]
		seen := map[string]bool{}
	syns:
		for _, w := range fields[1:] {
			if w == "" || utf8.RuneCountInString(w) < MinRunes || analyze.IsStopword(w) || strings.ContainsAny(w, " \t") {
				continue
			}
			s := stem(w)
			if s == key || seen[s] {
				continue
			}
			seen[s] = true
			for i := range cs {
				if cs[i].stem == s {
					cs[i].votes++
					continue syns
				}
			}
			cs = append(cs, cand{stem: s, votes: 1})
		}
		acc[key] = cs
	}
	t := &Table{m: make(map[string][]string, len(acc)), words: map[string]string{}}
	for k, cs := range acc {
		if len(cs) == 0 {
			continue
		}
		// Stable insertion sort by votes: lists are short.
		for i := 1; i < len(cs); i++ {
			for j := i; j > 0 && cs[j].votes > cs[j-1].votes; j-- {
				cs[j], cs[j-1] = cs[j-1], cs[j]
			}
		}
		out := make([]string, len(cs))
		for i, c := range cs {
			out[i] = c.stem
			t.words[c.stem] = words[c.stem]
		}
		t.m[k] = out
	}
	return t, nil
}

// Lookup returns the stems of term's synonyms, most supported first; nil
// when the table has none. term is an analyzer term (a stem). The slice is
// shared: do not modify it.
func (t *Table) Lookup(term string) []string {
	if t == nil {
		return nil
	}
	return t.m[term]
}

// Word returns a word of the table whose stem is stem, for showing a
// synonym to people ("undantag" rather than its stem); stem itself when
// the table has none.
func (t *Table) Word(stem string) string {
	if t != nil {
		if w, ok := t.words[stem]; ok {
			return w
		}
	}
	return stem
}

// Len is the number of terms with synonyms.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.m)
}
