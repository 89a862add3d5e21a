package retrieval_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/synonym"
)

// The corpus and thesaurus of the synonym tests: three small documents,
// so that each case shows one rule of the expansion.
var (
	synonymDocs = map[string]string{
		"undantag": "Myndigheten kan inte bevilja undantag från förordningen. Ett beslut fattas av styrelsen.",
		"samtycke": "Den registrerade kan när som helst återkalla sitt samtycke. Tillstånd krävs inte.",
		"lag":      "Dataskyddslagen gäller. Enkäten besvarades av tusen personer i undersökningen.",
	}
	synonymText = `dispens|undantag|befrielse
medgivande|samtycke|tillstånd|bifall|tillåtelse
och|samt
2018:218|dataskyddslag
ansökan|undersökning
avgöra|beslut|bestämma|fastställa|döma
`
)

func synonymTable(t *testing.T) *synonym.Table {
	t.Helper()
	tb, err := synonym.Parse(synonymText)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// synonymEngine is an engine over synonymDocs with synonymText.
func synonymEngine(t *testing.T, weight float64, max int) *retrieval.Engine {
	t.Helper()
	s := emptyStore(t)
	ingestTexts(t, s, synonymDocs)
	return retrieval.NewEngine(s, analyze.Default(), retrieval.Options{SynonymWeight: weight, MaxSynonyms: max, Synonyms: synonymTable(t)})
}

func TestSearchSynonyms(t *testing.T) {
	for _, tt := range []struct {
		name   string
		weight float64
		max    int
		query  string
		want   []retrieval.Expansion // IDF ignored
	}{
		{"inflected form", 0.5, 3, "avgörs",
			[]retrieval.Expansion{{Term: "beslut", Word: "beslut", From: "avgör", FromWord: "avgörs", Weight: 0.5}}},
		{"inflected form, capped", 0.5, 1, "medgivanden",
			[]retrieval.Expansion{{Term: "samtyck", Word: "samtycke", From: "medgiv", FromWord: "medgivanden", Weight: 0.5}}},
		{"only synonyms the index holds, capped", 0.5, 1, "Medgivande",
			[]retrieval.Expansion{{Term: "samtyck", Word: "samtycke", From: "medgiv", FromWord: "medgivande", Weight: 0.5}}},
		{"cap of two", 0.5, 2, "medgivande",
			[]retrieval.Expansion{{Term: "samtyck", Word: "samtycke", From: "medgiv", FromWord: "medgivande", Weight: 0.5}, {Term: "tillstånd", Word: "tillstånd", From: "medgiv", FromWord: "medgivande", Weight: 0.5}}},
		{"default cap and weight", 0, 0, "medgivande",
			[]retrieval.Expansion{{Term: "samtyck", Word: "samtycke", From: "medgiv", FromWord: "medgivande", Weight: 0.6}, {Term: "tillstånd", Word: "tillstånd", From: "medgiv", FromWord: "medgivande", Weight: 0.6}}},
		{"a synonym already in the query is not added", 0.5, 3, "avgöra beslut", nil},
		{"stopwords are not expanded", 0.5, 3, "och", nil},
		{"identifiers are not expanded", 0.5, 3, "SFS 2018:218", nil},
		{"compound parts are not expanded", 0.5, 3, "dispensansökan", nil},
		{"off", -1, 3, "medgivande", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := synonymEngine(t, tt.weight, tt.max)
			res := search(t, e, retrieval.Query{Text: tt.query})
			var got []retrieval.Expansion
			for _, x := range res.Expansions {
				if x.IDF <= 0 {
					t.Errorf("expansion %+v: IDF not set", x)
				}
				x.IDF = 0
				got = append(got, x)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Search(%q).Expansions (-want +got):\n%s", tt.query, diff)
			}
			for _, term := range res.Terms {
				for _, x := range res.Expansions {
					if x.Term == term {
						t.Errorf("expansion %q is also a query term", term)
					}
				}
			}
		})
	}
}

func TestSearchSynonymRanking(t *testing.T) {
	e := synonymEngine(t, 0.5, 1)
	// Only the synonym is in the index: the expansion finds it.
	res := search(t, e, retrieval.Query{Text: "dispens"})
	if len(res.Hits) == 0 || res.Hits[0].Document.ID != "undantag" {
		t.Fatalf("dispens: hits %v, want undantag first", docsOf(res.Hits))
	}
	// The question's own word outranks a synonym of another of its words:
	// "undantag" is in the question and in one document, "samtycke" (the
	// synonym of "medgivande") in another, each in one chunk.
	res = search(t, e, retrieval.Query{Text: "medgivande undantag"})
	if len(res.Hits) != 2 || res.Hits[0].Document.ID != "undantag" || res.Hits[1].Document.ID != "samtycke" {
		t.Fatalf("hits %+v, want undantag then samtycke", res.Hits)
	}
	for _, x := range res.Expansions {
		if x.Weight >= 1 {
			t.Errorf("expansion %+v weighs as much as a question word", x)
		}
	}
}

// ExpandQuery, which the Qdrant store uses with remote counts, adds the
// same synonyms as the embedded engine when the counts are the index's.
func TestExpandQueryMatchesEngine(t *testing.T) {
	a := analyze.Default()
	df := map[string]uint64{}
	for _, text := range synonymDocs {
		seen := map[string]bool{}
		for _, term := range a.Terms(text) {
			if !seen[term] {
				seen[term] = true
				df[term]++
			}
		}
	}
	count := func(_ context.Context, terms []string) ([]uint64, error) {
		out := make([]uint64, len(terms))
		for i, term := range terms {
			out[i] = df[term]
		}
		return out, nil
	}
	e := synonymEngine(t, 0.5, 2)
	for _, q := range []string{"avgörs", "medgivande", "dispens från förordningen", "medgivande undantag", "och", "SFS 2018:218", "dispensansökan"} {
		want := search(t, e, retrieval.Query{Text: q})
		terms, exp, err := retrieval.ExpandQuery(context.Background(), a, q, legal.Extract(q),
			retrieval.Options{SynonymWeight: 0.5, MaxSynonyms: 2, Synonyms: synonymTable(t)}, count)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.Expansions {
			want.Expansions[i].IDF = 0
		}
		if diff := cmp.Diff(want.Expansions, exp); diff != "" {
			t.Errorf("ExpandQuery(%q) expansions (-engine +ExpandQuery):\n%s", q, diff)
		}
		if got := len(terms) - len(exp); got != len(want.Terms) {
			t.Errorf("ExpandQuery(%q): %d question terms, engine %d", q, got, len(want.Terms))
		}
	}
}
