package retrieval_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/imy/imyrag/ingest/ingesttest"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store/local"
)

// The bundled corpus's documents.
const (
	delred  = "imy-2022-delredovisning-innovationssystemet"      // rapport, 2022-03-31
	slutred = "imy-2023-slutredovisning-innovationssystemet"     // webbsida, 2023-03-28, DI-2021-5817
	aiStrat = "imy-2025-ai-strategi"                             // strategi, 2025
	hubben  = "imy-2025-innovationshubben-regulatorisk-sandlada" // presentation, 2025
	skr     = "skr-2022-integritet-och-ny-teknik"                // skrivelse, 2022-03-24, SOU 2016:41, SFS 2007:975
)

// shared is the bundled corpus, ingested once for the read-only tests of
// this package; tests that write make their own store in t.TempDir().
var shared ingesttest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Close()
	retrieval.CloseBenchStores()
	os.Exit(code)
}

// corpusStore returns the shared store holding the bundled corpus. It must
// not be written to.
func corpusStore(t *testing.T) *local.Store { return shared.Store(t) }

func corpusEngine(t *testing.T) *retrieval.Engine {
	t.Helper()
	return retrieval.NewEngine(corpusStore(t), analyze.Default(), retrieval.Options{})
}

// emptyStore opens a new store in t.TempDir().
func emptyStore(t *testing.T) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ingestTexts ingests plain-text documents (ID → text) with the real
// pipeline.
func ingestTexts(t *testing.T, s *local.Store, docs map[string]string) {
	t.Helper()
	ctx := context.Background()
	p, err := ingest.New(ctx, s, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var srcs []ingest.Source
	for _, id := range slices.Sorted(maps.Keys(docs)) {
		srcs = append(srcs, ingest.Source{Name: "test:" + id, ID: id, Data: []byte(docs[id])})
	}
	res, err := p.Run(ctx, srcs)
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("ingest: %+v, %v", res, err)
	}
}

func search(t *testing.T, e *retrieval.Engine, q retrieval.Query) *retrieval.Result {
	t.Helper()
	res, err := e.Search(context.Background(), q)
	if err != nil {
		t.Fatalf("Search(%q): %v", q.Text, err)
	}
	checkResult(t, res)
	return res
}

// checkResult checks what every successful Result promises.
func checkResult(t *testing.T, res *retrieval.Result) {
	t.Helper()
	if res == nil {
		t.Fatal("nil Result without an error")
	}
	if res.Hits == nil {
		t.Error("Hits is nil; want an empty slice so that JSON says []")
	}
	if len(res.Hits) == 0 && res.Reason == "" {
		t.Error("no hits and no Reason")
	}
	if len(res.Hits) > 0 && res.Reason != "" {
		t.Errorf("hits and a Reason %q", res.Reason)
	}
	if len(res.Terms) != len(res.IDF) {
		t.Errorf("%d terms but %d IDF values", len(res.Terms), len(res.IDF))
	}
	for i, h := range res.Hits {
		if h.Rank != i+1 {
			t.Errorf("hit %d has rank %d", i, h.Rank)
		}
		if i > 0 && h.Score > res.Hits[i-1].Score {
			t.Errorf("hit %d scores %v, more than hit %d (%v)", i, h.Score, i-1, res.Hits[i-1].Score)
		}
		if h.Chunk.DocID != h.Document.ID {
			t.Errorf("hit %d: chunk of %s attributed to document %s", i, h.Chunk.DocID, h.Document.ID)
		}
		if h.Chunk.ID == "" || h.Chunk.Text == "" {
			t.Errorf("hit %d: chunk not loaded: %+v", i, h.Chunk)
		}
		if (h.Lexical > 0) != (h.LexicalRank > 0) || (h.LexicalRank <= 0 && h.DenseRank <= 0) {
			t.Errorf("hit %d: lexical score %v rank %d, dense rank %d", i, h.Lexical, h.LexicalRank, h.DenseRank)
		}
		if h.DenseRank > 0 && !slices.Contains(res.Legs, "dense") || h.LexicalRank > 0 && !slices.Contains(res.Legs, "lexical") {
			t.Errorf("hit %d: ranked by a leg that did not run (%v)", i, res.Legs)
		}
	}
}

func docsOf(hits []retrieval.Hit) []string {
	var out []string
	for _, h := range hits {
		if !slices.Contains(out, h.Document.ID) {
			out = append(out, h.Document.ID)
		}
	}
	slices.Sort(out)
	return out
}

// squash lowercases text and collapses its white space, so that a phrase
// broken over lines still matches.
func squash(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

func TestSearchFilters(t *testing.T) {
	e := corpusEngine(t)
	all := []string{delred, slutred, aiStrat, hubben, skr}
	tests := []struct {
		name   string
		filter retrieval.Filter
		want   []string // documents of the hits; nil: no hits
		// inChunk, when set, must occur in every hit's text.
		inChunk string
	}{
		{name: "no filter", want: all},
		{name: "one kind", filter: retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindStrategi}}, want: []string{aiStrat}},
		{name: "two kinds", filter: retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindRapport, imyrag.KindSkrivelse}}, want: []string{delred, skr}},
		{name: "kind nobody has", filter: retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindBeslut}}},
		{name: "from a year", filter: retrieval.Filter{From: "2023"}, want: []string{slutred, aiStrat, hubben}},
		{name: "to a year", filter: retrieval.Filter{To: "2022"}, want: []string{delred, skr}},
		{name: "from a day", filter: retrieval.Filter{From: "2022-03-25"}, want: []string{delred, slutred, aiStrat, hubben}},
		{name: "to a day is inclusive", filter: retrieval.Filter{To: "2022-03-24"}, want: []string{skr}},
		{name: "day range", filter: retrieval.Filter{From: "2022-03-25", To: "2022-03-31"}, want: []string{delred}},
		{name: "month range", filter: retrieval.Filter{From: "2022-03", To: "2022-03"}, want: []string{delred, skr}},
		{name: "year-only documents overlap a month", filter: retrieval.Filter{From: "2025-06", To: "2025-06"}, want: []string{aiStrat, hubben}},
		{name: "year-only documents overlap a later lower bound", filter: retrieval.Filter{From: "2025-12-31"}, want: []string{aiStrat, hubben}},
		{name: "year-only documents after an upper bound", filter: retrieval.Filter{To: "2024-12-31"}, want: []string{delred, slutred, skr}},
		{name: "dates nobody has", filter: retrieval.Filter{From: "2026"}},
		{name: "spaces around dates", filter: retrieval.Filter{From: " 2023 ", To: "2023-12 "}, want: []string{slutred}},
		{name: "document IDs", filter: retrieval.Filter{DocIDs: []string{slutred, hubben}}, want: []string{slutred, hubben}},
		{name: "document ID and kind that exclude each other", filter: retrieval.Filter{DocIDs: []string{delred}, Kinds: []imyrag.Kind{imyrag.KindSkrivelse}}},
		{name: "diarienummer normalized", filter: retrieval.Filter{Diarienummer: []string{"di-2021-5817"}}, want: []string{slutred}, inChunk: "DI-2021-5817"},
		{name: "diarienummer canonical", filter: retrieval.Filter{Diarienummer: []string{"DI-2021-5817"}}, want: []string{slutred}, inChunk: "DI-2021-5817"},
		{name: "SOU reference", filter: retrieval.Filter{LegalRefs: []string{"SOU 2016:41"}}, want: []string{skr}, inChunk: "SOU 2016:41"},
		{name: "bare SFS number", filter: retrieval.Filter{LegalRefs: []string{"2007:975"}}, want: []string{skr}, inChunk: "2007:975"},
		{name: "reference and kind", filter: retrieval.Filter{LegalRefs: []string{"SOU 2016:41"}, Kinds: []imyrag.Kind{imyrag.KindSkrivelse}}, want: []string{skr}, inChunk: "SOU 2016:41"},
		{name: "reference and other kind", filter: retrieval.Filter{LegalRefs: []string{"SOU 2016:41"}, Kinds: []imyrag.Kind{imyrag.KindRapport}}},
		{name: "diarienummer and reference in different chunks", filter: retrieval.Filter{Diarienummer: []string{"DI-2021-5817"}, LegalRefs: []string{"SOU 2016:41"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: "integritet", Filter: tt.filter, Limit: 100, PerDoc: -1})
			if diff := cmp.Diff(tt.want, docsOf(res.Hits)); diff != "" {
				t.Errorf("documents of the hits (-want +got):\n%s", diff)
			}
			if tt.want == nil && !strings.Contains(res.Reason, "filtren") {
				t.Errorf("Reason = %q, want one that blames the filters", res.Reason)
			}
			for _, h := range res.Hits {
				if tt.inChunk != "" && !strings.Contains(h.Chunk.Text, tt.inChunk) {
					t.Errorf("hit %s does not mention %s", h.Chunk.ID, tt.inChunk)
				}
			}
		})
	}
}

// TestSearchFilterWithoutMatches: a filter that admits documents but none
// with the query's words says so.
func TestSearchFilterWithoutMatches(t *testing.T) {
	res := search(t, corpusEngine(t), retrieval.Query{Text: "workshop", Filter: retrieval.Filter{DocIDs: []string{slutred}}})
	if len(res.Hits) != 0 {
		t.Fatalf("want no hits, got %d (is %q really absent from %s?)", len(res.Hits), "workshop", slutred)
	}
	if res.Reason != retrieval.ReasonNoMatchFiltered {
		t.Errorf("Reason = %q, want it to mention the filters", res.Reason)
	}
	// Unfiltered, the word is there.
	if res := search(t, corpusEngine(t), retrieval.Query{Text: "workshop"}); len(res.Hits) == 0 {
		t.Errorf("unfiltered search for workshop found nothing")
	}
}

func TestSearchBadInput(t *testing.T) {
	e := corpusEngine(t)
	long := strings.Repeat("integritet ", 910) // 10,010 characters
	tests := []struct {
		name string
		q    retrieval.Query
		// wantErr is a fragment of the error, which must wrap ErrBadQuery;
		// empty: the search succeeds.
		wantErr string
		// wantReason is a fragment of Reason when there must be no hits.
		wantReason string
	}{
		{name: "empty", q: retrieval.Query{Text: ""}, wantErr: "empty"},
		{name: "spaces", q: retrieval.Query{Text: "   \t\n  "}, wantErr: "empty"},
		{name: "unicode spaces", q: retrieval.Query{Text: "\u00a0\u2003\u3000"}, wantErr: "empty"},
		{name: "10,000 characters", q: retrieval.Query{Text: strings.Repeat("a", 10000)}, wantErr: "limit is 2000"},
		{name: "10,000 characters of words", q: retrieval.Query{Text: long}, wantErr: "limit is 2000"},
		{name: "one rune over the limit", q: retrieval.Query{Text: strings.Repeat("å", retrieval.MaxQueryRunes+1)}, wantErr: "limit"},
		{name: "at the limit", q: retrieval.Query{Text: strings.Repeat("ö ", retrieval.MaxQueryRunes/2)}},
		{name: "only stopwords", q: retrieval.Query{Text: "och att det som är"}, wantReason: "småord"},
		{name: "only punctuation", q: retrieval.Query{Text: "?!.,;:()[]{}…–"}, wantReason: "skiljetecken"},
		{name: "a quote", q: retrieval.Query{Text: `"`}, wantReason: "sökbara ord"},
		{name: "empty phrase", q: retrieval.Query{Text: `""`}, wantReason: "sökbara ord"},
		{name: "star", q: retrieval.Query{Text: "*"}, wantReason: "sökbara ord"},
		{name: "minus", q: retrieval.Query{Text: "-"}, wantReason: "sökbara ord"},
		{name: "colon", q: retrieval.Query{Text: ":"}, wantReason: "sökbara ord"},
		{name: "prefix star", q: retrieval.Query{Text: "integritet*"}},
		{name: "NEAR alone", q: retrieval.Query{Text: "NEAR"}, wantReason: "ingen passage"},
		{name: "NEAR operator", q: retrieval.Query{Text: "integritet NEAR/3 teknik"}},
		{name: "NEAR function", q: retrieval.Query{Text: `NEAR("ny teknik" integritet, 5)`}},
		{name: "negation", q: retrieval.Query{Text: "-integritet -teknik"}},
		{name: "column filter", q: retrieval.Query{Text: "title:integritet text:teknik"}},
		{name: "boolean syntax", q: retrieval.Query{Text: `integritet AND (teknik OR "ny teknik") NOT *`}},
		{name: "unterminated phrase", q: retrieval.Query{Text: `"ny teknik`}},
		{name: "SQL", q: retrieval.Query{Text: `'; DROP TABLE chunks; --`}},
		{name: "NUL byte", q: retrieval.Query{Text: "integritet\x00teknik"}},
		{name: "control characters", q: retrieval.Query{Text: "\x01\x02\x7f"}, wantReason: "sökbara ord"},
		{name: "zero-width space only", q: retrieval.Query{Text: "\u200b\u200b"}, wantReason: "sökbara ord"},
		{name: "invalid UTF-8", q: retrieval.Query{Text: "\xff\xfe"}, wantErr: "UTF-8"},
		{name: "invalid UTF-8 inside words", q: retrieval.Query{Text: "integritet \xc3 teknik"}, wantErr: "UTF-8"},
		{name: "unknown kind", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{Kinds: []imyrag.Kind{"dom"}}}, wantErr: `unknown document kind "dom"`},
		{name: "empty kind", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{Kinds: []imyrag.Kind{""}}}, wantErr: "unknown document kind"},
		{name: "kind in capitals", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{Kinds: []imyrag.Kind{"Beslut"}}}, wantErr: "unknown document kind"},
		{name: "month 13", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{From: "2023-13-01"}}, wantErr: "YYYY-MM-DD"},
		{name: "February 30", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{To: "2023-02-30"}}, wantErr: "YYYY-MM-DD"},
		{name: "Swedish date order", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{From: "31/12/2023"}}, wantErr: "YYYY-MM-DD"},
		{name: "words for a date", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{To: "igår"}}, wantErr: "YYYY-MM-DD"},
		{name: "two-digit year", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{From: "23"}}, wantErr: "YYYY-MM-DD"},
		{name: "reversed days", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{From: "2023-03-02", To: "2023-03-01"}}, wantErr: "reversed"},
		{name: "reversed years", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{From: "2023", To: "2022"}}, wantErr: "reversed"},
		{name: "unknown document", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{DocIDs: []string{"no-such-doc"}}}, wantErr: `"no-such-doc"`},
		{name: "one unknown document of two", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{DocIDs: []string{skr, "no-such-doc"}}}, wantErr: `"no-such-doc"`},
		{name: "not a diarienummer", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{Diarienummer: []string{"hej"}}}, wantErr: "not a diarienummer"},
		{name: "two diarienummer in one value", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{Diarienummer: []string{"DI-2021-5817 DI-2021-5818"}}}, wantErr: "not a diarienummer"},
		{name: "not a legal reference", q: retrieval.Query{Text: "integritet", Filter: retrieval.Filter{LegalRefs: []string{"hej"}}}, wantErr: "not a legal reference"},
		{name: "limit over 100", q: retrieval.Query{Text: "integritet", Limit: 101}, wantErr: "limit 101"},
		{name: "negative limit means the default", q: retrieval.Query{Text: "integritet", Limit: -5}},
		{name: "neighbours over 5", q: retrieval.Query{Text: "integritet", Neighbours: 6}, wantErr: "neighbours"},
		{name: "negative neighbours", q: retrieval.Query{Text: "integritet", Neighbours: -1}, wantErr: "neighbours"},
		{name: "words no chunk has", q: retrieval.Query{Text: "pizza Neapel"}, wantReason: "ingen passage innehåller"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Search(context.Background(), tt.q)
			if tt.wantErr != "" {
				if !errors.Is(err, retrieval.ErrBadQuery) {
					t.Fatalf("err = %v, want one wrapping ErrBadQuery", err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("err = %q, want it to say %q", err, tt.wantErr)
				}
				if res != nil {
					t.Errorf("a Result with the error: %+v", res)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want none", err)
			}
			checkResult(t, res)
			if tt.wantReason != "" {
				if len(res.Hits) != 0 {
					t.Errorf("%d hits, want none", len(res.Hits))
				}
				if !strings.Contains(res.Reason, tt.wantReason) {
					t.Errorf("Reason = %q, want it to say %q", res.Reason, tt.wantReason)
				}
			}
		})
	}
}

func TestSearchLimitAndPerDoc(t *testing.T) {
	e := corpusEngine(t)
	// How many chunks of each document match, from an uncapped search.
	all := search(t, e, retrieval.Query{Text: "integritet", Limit: 100, PerDoc: -1})
	matching := map[string]int{}
	for _, h := range all.Hits {
		matching[h.Document.ID]++
	}
	if len(matching) != 5 || len(all.Hits) <= 10 {
		t.Fatalf("premise: the word should match many chunks of all five documents; got %v", matching)
	}
	// expect is the number of hits a cap and a limit leave.
	expect := func(limit, perDoc int) int {
		n := 0
		for _, c := range matching {
			n += min(c, perDoc)
		}
		return min(n, limit)
	}
	most := func(hits []retrieval.Hit) int {
		n := map[string]int{}
		m := 0
		for _, h := range hits {
			n[h.Document.ID]++
			m = max(m, n[h.Document.ID])
		}
		return m
	}
	tests := []struct {
		name          string
		limit, perDoc int
		wantHits      int
		wantMost      int
	}{
		{name: "default limit and per-document cap", wantHits: expect(10, 3), wantMost: 3},
		{name: "negative limit means the default", limit: -3, wantHits: expect(10, 3), wantMost: 3},
		{name: "per document 1", limit: 10, perDoc: 1, wantHits: 5, wantMost: 1},
		{name: "per document 2", limit: 10, perDoc: 2, wantHits: expect(10, 2), wantMost: 2},
		{name: "per document 2, limit 100", limit: 100, perDoc: 2, wantHits: expect(100, 2), wantMost: 2},
		{name: "limit 1", limit: 1, perDoc: -1, wantHits: 1, wantMost: 1},
		{name: "limit 100 uncapped", limit: 100, perDoc: -1, wantHits: len(all.Hits), wantMost: slices.Max(slices.Collect(maps.Values(matching)))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: "integritet", Limit: tt.limit, PerDoc: tt.perDoc})
			if len(res.Hits) != tt.wantHits {
				t.Errorf("%d hits, want %d", len(res.Hits), tt.wantHits)
			}
			if got := most(res.Hits); got != tt.wantMost {
				t.Errorf("at most %d hits from one document, want %d", got, tt.wantMost)
			}
		})
	}
	if m := slices.Max(slices.Collect(maps.Values(matching))); m <= 3 {
		t.Errorf("premise: one document should have more than 3 matching chunks; most is %d", m)
	}
	// The cap skips, it does not reorder: the capped hits are the uncapped
	// list with the surplus of each document removed.
	capped := search(t, e, retrieval.Query{Text: "integritet", Limit: 100, PerDoc: 2})
	var want []string
	seen := map[string]int{}
	for _, h := range all.Hits {
		if seen[h.Document.ID] < 2 {
			seen[h.Document.ID]++
			want = append(want, h.Chunk.ID)
		}
	}
	if diff := cmp.Diff(want, hitIDs(capped)); diff != "" {
		t.Errorf("PerDoc 2 is not the uncapped list thinned (-want +got):\n%s", diff)
	}
}

func TestSearchNeighbours(t *testing.T) {
	ctx := context.Background()
	s := corpusStore(t)
	e := corpusEngine(t)
	chunks, err := s.Chunks(ctx, skr)
	if err != nil {
		t.Fatal(err)
	}
	last := len(chunks) - 1
	for _, n := range []int{0, 1, 2, 5} {
		// Every chunk of the document that mentions the word, first and
		// last ones included, so that the edges are exercised.
		res := search(t, e, retrieval.Query{Text: "regeringen", Filter: retrieval.Filter{DocIDs: []string{skr}}, Limit: 100, PerDoc: -1, Neighbours: n})
		ords := map[int]bool{}
		for _, h := range res.Hits {
			ords[h.Chunk.Ordinal] = true
			var want []string
			for o := max(0, h.Chunk.Ordinal-n); o <= min(last, h.Chunk.Ordinal+n); o++ {
				if o != h.Chunk.Ordinal {
					want = append(want, chunks[o].ID)
				}
			}
			var got []string
			for _, nb := range h.Neighbours {
				got = append(got, nb.ID)
				if nb.DocID != h.Chunk.DocID {
					t.Errorf("neighbour %s of %s is from %s", nb.ID, h.Chunk.ID, nb.DocID)
				}
				if nb.Text == "" {
					t.Errorf("neighbour %s has no text", nb.ID)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("n=%d, hit ordinal %d: neighbours (-want +got):\n%s", n, h.Chunk.Ordinal, diff)
			}
		}
		if n == 1 && (!ords[0] || !ords[last]) {
			t.Errorf("the test wants hits at ordinals 0 and %d to check the edges; got %v", last, ords)
		}
	}
}

// TestSearchNeighboursStayInDocument: a hit on the last chunk of one
// document must not get the first chunk of the next document as a
// neighbour, nor the other way round.
func TestSearchNeighboursStayInDocument(t *testing.T) {
	e := corpusEngine(t)
	res := search(t, e, retrieval.Query{Text: "integritet", Limit: 100, PerDoc: -1, Neighbours: 5})
	for _, h := range res.Hits {
		prev := -1
		for _, nb := range h.Neighbours {
			if nb.DocID != h.Chunk.DocID {
				t.Errorf("hit %s/%d has neighbour from %s", h.Chunk.DocID, h.Chunk.Ordinal, nb.DocID)
			}
			if nb.Ordinal <= prev || nb.Ordinal == h.Chunk.Ordinal {
				t.Errorf("hit %s/%d: neighbours out of order or include the hit", h.Chunk.DocID, h.Chunk.Ordinal)
			}
			prev = nb.Ordinal
		}
	}
}

func TestSearchIdentifier(t *testing.T) {
	e := corpusEngine(t)
	tests := []struct {
		query   string
		wantDoc string
		inChunk string
	}{
		{"DI-2021-5817", slutred, "DI-2021-5817"},
		{"di-2021-5817", slutred, "DI-2021-5817"},
		{"Vad gäller ärende DI-2021-5817?", slutred, "DI-2021-5817"},
		{"SOU 2016:41", skr, "SOU 2016:41"},
		{"förordningen 2007:975", skr, "2007:975"},
		{"N2021/01266", "", "N2021/01266"}, // in two documents
		{"I2021/01639", skr, "I2021/01639"},
		// The identifier outweighs two ordinary words that another chunk
		// has (IdentBoost, RefBoost).
		{"sandlådan innovationshubben N2021/01266", "", "N2021/01266"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: tt.query})
			if len(res.Hits) == 0 {
				t.Fatalf("no hits (%s)", res.Reason)
			}
			top := res.Hits[0]
			if (tt.wantDoc != "" && top.Document.ID != tt.wantDoc) || !strings.Contains(top.Chunk.Text, tt.inChunk) {
				t.Errorf("top hit %s/%d, want a chunk of %s that contains %s", top.Document.ID, top.Chunk.Ordinal, tt.wantDoc, tt.inChunk)
			}
		})
	}
}

func TestSearchPhraseBoost(t *testing.T) {
	e := corpusEngine(t)
	const phrase = "rättsliga problem"
	// Unquoted, the words rank a chunk without the phrase first: the
	// premise of the test.
	plain := search(t, e, retrieval.Query{Text: phrase})
	if len(plain.Hits) == 0 || strings.Contains(squash(plain.Hits[0].Chunk.Text), phrase) {
		t.Fatalf("premise: the unquoted top hit should lack the exact phrase; got %+v", plain.Hits[:min(1, len(plain.Hits))])
	}
	if len(plain.Phrases) != 0 {
		t.Errorf("unquoted query has phrases %q", plain.Phrases)
	}
	for _, query := range []string{`"rättsliga problem"`, `“rättsliga problem”`, `„rättsliga problem“`, `«rättsliga problem»`, `vilka "rättsliga problem" finns`} {
		t.Run(query, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: query})
			if diff := cmp.Diff([]string{phrase}, res.Phrases); diff != "" {
				t.Errorf("Phrases (-want +got):\n%s", diff)
			}
			if len(res.Hits) == 0 || !strings.Contains(squash(res.Hits[0].Chunk.Text), phrase) {
				t.Errorf("top hit lacks the phrase %q", phrase)
			}
		})
	}
}

// TestSearchPhraseAlwaysFirst: for phrases taken from the corpus, the top
// hit of the quoted query contains the phrase word for word (modulo case,
// white space and stopwords, which analysis drops).
func TestSearchPhraseAlwaysFirst(t *testing.T) {
	e := corpusEngine(t)
	a := analyze.Default()
	for _, phrase := range []string{"regulatorisk sandlåda", "mer vägledning", "kraftfull teknik", "rör integritet", "personlig integritet", "ny teknik", "artificiell intelligens"} {
		t.Run(phrase, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: `"` + phrase + `"`})
			if len(res.Hits) == 0 {
				t.Fatalf("no hits")
			}
			want := a.Terms(phrase)
			got := a.Terms(res.Hits[0].Chunk.Text)
			found := false
			for i := 0; i+len(want) <= len(got); i++ {
				if slices.Equal(got[i:i+len(want)], want) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("top hit %s lacks the phrase's terms %v in sequence", res.Hits[0].Chunk.ID, want)
			}
		})
	}
}

// TestSearchCompound: the analyzer splits compounds, so a compound query
// finds the same idea written out, and the other way round.
func TestSearchCompound(t *testing.T) {
	e := corpusEngine(t)
	res := search(t, e, retrieval.Query{Text: "personuppgiftsbehandling", Limit: 100, PerDoc: -1})
	if diff := cmp.Diff([]string{"personuppgiftsbehandling", "personuppgift", "behandling"}, res.Terms); diff != "" {
		t.Errorf("Terms (-want +got):\n%s", diff)
	}
	if !anyHit(res.Hits, func(text string) bool {
		return strings.Contains(text, "behandling av personuppgifter") && !strings.Contains(text, "personuppgiftsbehandling")
	}) {
		t.Error(`"personuppgiftsbehandling" finds no chunk that only says "behandling av personuppgifter"`)
	}
	// And the compound ranks first, over chunks with the parts only.
	if !strings.Contains(squash(res.Hits[0].Chunk.Text), "personuppgiftsbehandling") {
		t.Errorf("top hit for the compound lacks it: %s", res.Hits[0].Chunk.ID)
	}

	res = search(t, e, retrieval.Query{Text: "behandling av personuppgifter", Limit: 100, PerDoc: -1})
	if !anyHit(res.Hits, func(text string) bool {
		return strings.Contains(text, "personuppgiftsbehandling") && !strings.Contains(text, "behandling av personuppgifter")
	}) {
		t.Error(`"behandling av personuppgifter" finds no chunk that only says "personuppgiftsbehandling"`)
	}
}

func anyHit(hits []retrieval.Hit, pred func(string) bool) bool {
	for _, h := range hits {
		if pred(squash(h.Chunk.Text)) {
			return true
		}
	}
	return false
}

func TestSearchResult(t *testing.T) {
	ctx := context.Background()
	e := corpusEngine(t)
	docs, err := corpusStore(t).Documents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]retrieval.DocRef{}
	for _, d := range docs {
		byID[d.ID] = retrieval.DocRef{ID: d.ID, Title: d.Title, Kind: d.Kind, Date: d.Date}
	}
	res := search(t, e, retrieval.Query{Text: "regulatorisk sandlåda sandlåda pizza", Limit: 20})
	if diff := cmp.Diff([]string{"regulatorisk", "sandlåd", "pizz"}, res.Terms); diff != "" {
		t.Errorf("Terms: a repeated word once, stems (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"lexical"}, res.Legs); diff != "" {
		t.Errorf("Legs (-want +got):\n%s", diff)
	}
	// The term no chunk holds has the highest IDF.
	if res.IDF[2] <= res.IDF[0] || res.IDF[2] <= res.IDF[1] {
		t.Errorf("IDF %v: the unknown term should be highest", res.IDF)
	}
	for _, h := range res.Hits {
		if diff := cmp.Diff(byID[h.Chunk.DocID], h.Document); diff != "" {
			t.Errorf("hit %s: Document (-store +hit):\n%s", h.Chunk.ID, diff)
		}
		// Lexical leg alone: the fused score is 1/(60 + lexical rank).
		if want := 1 / (60 + float64(h.LexicalRank)); h.Score != want {
			t.Errorf("hit %s: score %v, want 1/(60+%d) = %v", h.Chunk.ID, h.Score, h.LexicalRank, want)
		}
		if h.DenseRank != 0 {
			t.Errorf("hit %s has a dense rank without a dense leg", h.Chunk.ID)
		}
	}
	// Fusion settings reach the scores.
	res = search(t, e, retrieval.Query{Text: "regulatorisk sandlåda", Limit: 5, Fusion: retrieval.Fusion{K: 2, LexicalWeight: 3}})
	for _, h := range res.Hits {
		if want := 3 / (2 + float64(h.LexicalRank)); h.Score != want {
			t.Errorf("hit %s: score %v, want 3/(2+%d)", h.Chunk.ID, h.Score, h.LexicalRank)
		}
	}
	// JSON shape.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"hits", "terms", "idf", "legs", "took_ns"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b[:min(len(b), 200)])
		}
	}
	if _, ok := m["reason"]; ok {
		t.Errorf("JSON has a reason with hits")
	}
	empty, err := json.Marshal(search(t, e, retrieval.Query{Text: "pizza"}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(empty), `"hits":[]`) || !strings.Contains(string(empty), `"reason":`) {
		t.Errorf("JSON of an empty result: %s", empty)
	}
}

// TestSearchDeterministic: the same query twice, and from a second engine
// over the same store, gives the same hits in the same order.
func TestSearchDeterministic(t *testing.T) {
	e1, e2 := corpusEngine(t), corpusEngine(t)
	for _, q := range []string{"integritet", "ny teknik", `"regulatorisk sandlåda" AI`, "DI-2021-5817 slutredovisning"} {
		a := hitIDs(search(t, e1, retrieval.Query{Text: q, Limit: 50, PerDoc: -1}))
		b := hitIDs(search(t, e1, retrieval.Query{Text: q, Limit: 50, PerDoc: -1}))
		c := hitIDs(search(t, e2, retrieval.Query{Text: q, Limit: 50, PerDoc: -1}))
		if diff := cmp.Diff(a, b); diff != "" {
			t.Errorf("%q twice (-first +second):\n%s", q, diff)
		}
		if diff := cmp.Diff(a, c); diff != "" {
			t.Errorf("%q on two engines (-first +second):\n%s", q, diff)
		}
	}
}

func hitIDs(res *retrieval.Result) []string {
	out := []string{}
	for _, h := range res.Hits {
		out = append(out, h.Chunk.ID)
	}
	return out
}

func TestEmptyIndex(t *testing.T) {
	e := retrieval.NewEngine(emptyStore(t), analyze.Default(), retrieval.Options{})
	if err := e.Warm(context.Background()); err != nil {
		t.Fatalf("Warm: %v", err)
	}
	res := search(t, e, retrieval.Query{Text: "integritet"})
	if len(res.Hits) != 0 {
		t.Errorf("hits in an empty index: %+v", res.Hits)
	}
	_, err := e.Search(context.Background(), retrieval.Query{Text: "integritet", Filter: retrieval.Filter{DocIDs: []string{skr}}})
	if !errors.Is(err, retrieval.ErrBadQuery) {
		t.Errorf("unknown document in an empty index: err = %v, want ErrBadQuery", err)
	}
}

// TestIndexRefresh: the engine sees documents added, replaced and deleted
// after it loaded its index (the store's generation changes).
func TestIndexRefresh(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	a := analyze.Default()
	// The test's words must not share compound parts, or replaced text
	// would still match through them.
	for _, w := range []string{"giraffer", "pelikaner", "kameler"} {
		if got := a.Terms(w); len(got) != 1 {
			t.Fatalf("premise: %q should analyze to one term, got %q", w, got)
		}
	}
	ingestTexts(t, s, map[string]string{
		"park-2019": "Giraffer i parken\n\nDen 3 maj 2019 fick myndigheten besök av giraffer.\n",
	})
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	res := search(t, e, retrieval.Query{Text: "giraffer"})
	if diff := cmp.Diff([]string{"park-2019"}, docsOf(res.Hits)); diff != "" {
		t.Fatalf("before (-want +got):\n%s", diff)
	}
	if res.Hits[0].Document.Date != "2019-05-03" {
		t.Fatalf("premise: the first document should be dated 2019-05-03, got %q", res.Hits[0].Document.Date)
	}

	// A new document, without any date.
	ingestTexts(t, s, map[string]string{
		"utan-datum": "Giraffer och pelikaner\n\nGiraffer och pelikaner trivs tillsammans i parken.\n",
	})
	res = search(t, e, retrieval.Query{Text: "giraffer pelikaner"})
	if diff := cmp.Diff([]string{"park-2019", "utan-datum"}, docsOf(res.Hits)); diff != "" {
		t.Errorf("after adding a document (-want +got):\n%s", diff)
	}
	if res.Hits[0].Document.ID != "utan-datum" || res.Hits[0].Document.Date != "" {
		t.Errorf("the new, undated document (both words) should rank first: %+v", res.Hits[0].Document)
	}
	// A date bound excludes the undated document; without one it is there.
	for _, f := range []retrieval.Filter{{From: "2000"}, {To: "2099"}, {From: "2019-05-03", To: "2019-05-03"}, {From: "2019-05"}} {
		res = search(t, e, retrieval.Query{Text: "giraffer", Filter: f})
		if diff := cmp.Diff([]string{"park-2019"}, docsOf(res.Hits)); diff != "" {
			t.Errorf("filter %+v (-want +got):\n%s", f, diff)
		}
	}
	res = search(t, e, retrieval.Query{Text: "giraffer", Filter: retrieval.Filter{From: "2019-05-04"}})
	if len(res.Hits) != 0 {
		t.Errorf("From after the only dated document: %v", docsOf(res.Hits))
	}

	// Replacing a document: the old text is gone, the new one found.
	ingestTexts(t, s, map[string]string{
		"park-2019": "Kameler i parken\n\nDen 3 maj 2019 fick myndigheten besök av kameler.\n",
	})
	res = search(t, e, retrieval.Query{Text: "kameler"})
	if diff := cmp.Diff([]string{"park-2019"}, docsOf(res.Hits)); diff != "" {
		t.Errorf("after replacing (-want +got):\n%s", diff)
	}
	res = search(t, e, retrieval.Query{Text: "giraffer"})
	if diff := cmp.Diff([]string{"utan-datum"}, docsOf(res.Hits)); diff != "" {
		t.Errorf("old text still found after replacing (-want +got):\n%s", diff)
	}

	// Deleting.
	if err := s.DeleteDocument(ctx, "utan-datum"); err != nil {
		t.Fatal(err)
	}
	res = search(t, e, retrieval.Query{Text: "giraffer"})
	if len(res.Hits) != 0 {
		t.Errorf("deleted document still found: %v", docsOf(res.Hits))
	}
	if _, err := e.Search(ctx, retrieval.Query{Text: "giraffer", Filter: retrieval.Filter{DocIDs: []string{"utan-datum"}}}); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Errorf("filter on a deleted document: err = %v, want ErrBadQuery", err)
	}
}

// TestConcurrentSearch runs searches from several goroutines on one engine
// (run with -race) and checks each against the serial answer.
func TestConcurrentSearch(t *testing.T) {
	e := corpusEngine(t)
	queries := []retrieval.Query{
		{Text: "integritet"},
		{Text: `"regulatorisk sandlåda"`, Neighbours: 1},
		{Text: "DI-2021-5817"},
		{Text: "ny teknik", Filter: retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindSkrivelse}}},
		{Text: "och"},
		{Text: "AI", Limit: 30, PerDoc: -1},
	}
	want := make([][]string, len(queries))
	for i, q := range queries {
		want[i] = hitIDs(search(t, e, q))
	}
	// A fresh engine, so that the first searches race to build the index.
	e = corpusEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(queries)*5)
	for g := range 8 {
		wg.Go(func() {
			for r := range 5 {
				i := (g + r) % len(queries)
				res, err := e.Search(context.Background(), queries[i])
				if err != nil {
					errs <- err
					continue
				}
				if diff := cmp.Diff(want[i], hitIDs(res)); diff != "" {
					errs <- errors.New(queries[i].Text + ": " + diff)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestConcurrentSearchWhileIngesting searches while documents are being
// added; it checks for races, errors and that the last document is seen.
func TestConcurrentSearchWhileIngesting(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	ingestTexts(t, s, map[string]string{"fisk-0": "Fiskar\n\nFiskar simmar i sjön nummer noll.\n"})
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := e.Search(ctx, retrieval.Query{Text: "fiskar sjön", Neighbours: 1}); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	names := []string{"ett", "två", "tre", "fyra", "fem"}
	for i, n := range names {
		ingestTexts(t, s, map[string]string{"fisk-" + string(rune('a'+i)): "Fiskar\n\nFiskar simmar i sjön nummer " + n + ".\n"})
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res := search(t, e, retrieval.Query{Text: "fiskar", Limit: 20})
	if len(res.Hits) != 1+len(names) {
		t.Errorf("%d hits after ingesting %d documents: %v", len(res.Hits), 1+len(names), docsOf(res.Hits))
	}
}

func TestCanceledContext(t *testing.T) {
	e := retrieval.NewEngine(corpusStore(t), analyze.Default(), retrieval.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Search(ctx, retrieval.Query{Text: "integritet"}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	// The engine still works afterwards.
	if res := search(t, e, retrieval.Query{Text: "integritet"}); len(res.Hits) == 0 {
		t.Error("no hits after a canceled search")
	}
}
