package qdrant

import (
	"context"
	"slices"
	"testing"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
)

// The Qdrant engine adds the embedded engine's synonyms, filtered by the
// counts it makes for the IDF, in one round of counts, and sends them in
// the sparse query vector below the question's own words.
func TestAnalyzeQueryAddsSynonyms(t *testing.T) {
	df := map[string]uint64{"undantag": 3, "gdpr": 5, "få": 40}
	const total = 100
	calls := 0
	e := &Engine{a: analyze.Default(), count: func(_ context.Context, terms []string) ([]uint64, uint64, error) {
		calls++
		out := make([]uint64, len(terms))
		for i, term := range terms {
			out[i] = df[term]
		}
		return out, total, nil
	}}
	for _, tt := range []struct {
		question string
		synonym  string // "" for none
	}{
		{"Kan man få dispens från GDPR?", "undantag"},
		{"GDPR artikel 6.1 e", ""},
	} {
		calls = 0
		q, err := retrieval.Prepare(retrieval.Query{Text: tt.question})
		if err != nil {
			t.Fatal(err)
		}
		res := &retrieval.Result{}
		terms, err := e.analyzeQuery(context.Background(), q, res)
		if err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Errorf("%q: %d rounds of counts, want 1", tt.question, calls)
		}
		want := retrieval.QueryTerms(e.a, tt.question, q.Refs)
		if len(res.Terms) != len(want) || len(res.IDF) != len(want) {
			t.Errorf("%q: Terms %v, IDF %v; want the question's %d terms", tt.question, res.Terms, res.IDF, len(want))
		}
		if i := slices.Index(res.Terms, "gdpr"); i < 0 || res.IDF[i] != bm25IDF(total, 5) {
			t.Errorf("%q: gdpr's IDF not from the counts: %v %v", tt.question, res.Terms, res.IDF)
		}
		if tt.synonym == "" {
			if len(res.Expansions) != 0 || len(terms) != len(want) {
				t.Errorf("%q: expansions %+v, terms %v; want none", tt.question, res.Expansions, terms)
			}
			continue
		}
		if len(res.Expansions) != 1 || res.Expansions[0].Term != tt.synonym || res.Expansions[0].IDF != bm25IDF(total, df[tt.synonym]) {
			t.Fatalf("%q: expansions %+v, want %s with its IDF", tt.question, res.Expansions, tt.synonym)
		}
		last := terms[len(terms)-1]
		if last.Term != tt.synonym || last.Weight <= 0 || last.Weight >= 1 {
			t.Errorf("%q: query term %+v, want %s below the weight of a question word", tt.question, last, tt.synonym)
		}
		idx, _ := QueryVector(terms, q.Refs)
		if !slices.Contains(idx, TermID(tt.synonym)) {
			t.Errorf("%q: the sparse query vector lacks %s", tt.question, tt.synonym)
		}
	}
}
