package lexical

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// tinyChunk is one chunk of the hand-computed index.
type tinyChunk struct{ body, head map[string]int }

// tiny is a four-chunk index small enough to score by hand:
//
//	chunk  body            head
//	0      a:1 b:1         b:1
//	1      a:2             -
//	2      b:3 c:1         a:1 c:1
//	3      b:1 c:1         -
//
// N = 4. Body lengths 2, 2, 4, 2 (avg 2.5); body df a=2, b=3, c=2, so
// idf(a) = idf(c) = ln(1 + 2.5/2.5) = ln 2 and idf(b) = ln(1 + 1.5/3.5) =
// ln(10/7). Head lengths 1, 0, 2, 0 (avg 0.75); head df 1 for a, b and c, so
// their head idf is ln(1 + 3.5/1.5) = ln(10/3).
var tiny = []tinyChunk{
	{body: map[string]int{"a": 1, "b": 1}, head: map[string]int{"b": 1}},
	{body: map[string]int{"a": 2}},
	{body: map[string]int{"b": 3, "c": 1}, head: map[string]int{"a": 1, "c": 1}},
	{body: map[string]int{"b": 1, "c": 1}},
}

func buildTiny() *Index {
	b := NewBuilder()
	for _, c := range tiny {
		b.Add(c.body, c.head)
	}
	return b.Build()
}

// Hand-computed BM25 values with k1 = 1.2, b = 0.75: the term part is
// tf·(k1+1) / (tf + k1·(1 − b + b·len/avg)).
var (
	ln2    = math.Log(2)
	ln10_7 = math.Log(10.0 / 7)
	ln10_3 = math.Log(10.0 / 3)

	aIn0 = ln2 * 2.2 / (1 + 1.2*(0.25+0.75*2/2.5))    // tf 1, len 2
	aIn1 = ln2 * 4.4 / (2 + 1.2*(0.25+0.75*2/2.5))    // tf 2, len 2
	bIn0 = ln10_7 * 2.2 / (1 + 1.2*(0.25+0.75*2/2.5)) // tf 1, len 2
	bIn2 = ln10_7 * 6.6 / (3 + 1.2*(0.25+0.75*4/2.5)) // tf 3, len 4
	bIn3 = bIn0                                       // tf 1, len 2: ties with chunk 0
	cIn2 = ln2 * 2.2 / (1 + 1.2*(0.25+0.75*4/2.5))    // tf 1, len 4
	cIn3 = ln2 * 2.2 / (1 + 1.2*(0.25+0.75*2/2.5))    // tf 1, len 2
	// head field of chunk 2 for a (tf 1, head len 2, head avg 0.75).
	aHead2 = ln10_3 * 2.2 / (1 + 1.2*(0.25+0.75*2/0.75))
	bHead0 = ln10_3 * 2.2 / (1 + 1.2*(0.25+0.75*1/0.75))
	// k1 = 2, b = 0.5.
	aIn0k2 = ln2 * 3 / (1 + 2*(0.5+0.5*2/2.5))
	aIn1k2 = ln2 * 6 / (2 + 2*(0.5+0.5*2/2.5))
)

// approx compares scores computed in float32 with float64 expectations.
var approx = cmpopts.EquateApprox(1e-6, 1e-9)

func TestIDF(t *testing.T) {
	ix := buildTiny()
	tests := []struct {
		term    string
		df      int
		wantIDF float64
	}{
		{"a", 2, ln2},
		{"b", 3, ln10_7},
		{"c", 2, ln2},
		{"unknown", 0, math.Log(1 + 4.5/0.5)},
	}
	if ix.Len() != 4 {
		t.Fatalf("Len() = %d, want 4", ix.Len())
	}
	for _, tt := range tests {
		t.Run(tt.term, func(t *testing.T) {
			if got := ix.DocFreq(tt.term); got != tt.df {
				t.Errorf("DocFreq(%q) = %d, want %d", tt.term, got, tt.df)
			}
			if got := ix.IDF(tt.term); math.Abs(got-tt.wantIDF) > 1e-12 {
				t.Errorf("IDF(%q) = %v, want %v", tt.term, got, tt.wantIDF)
			}
		})
	}
}

func q(terms ...string) []QueryTerm {
	out := make([]QueryTerm, len(terms))
	for i, t := range terms {
		out[i] = QueryTerm{Term: t, Weight: 1}
	}
	return out
}

func TestSearchBM25(t *testing.T) {
	ix := buildTiny()
	tests := []struct {
		name  string
		terms []QueryTerm
		k     int
		p     Params
		want  []Scored
	}{
		{
			name: "one term, higher tf first", terms: q("a"), k: 10,
			want: []Scored{{1, aIn1}, {0, aIn0}},
		},
		{
			name: "ties broken by chunk number", terms: q("b"), k: 10,
			want: []Scored{{2, bIn2}, {0, bIn0}, {3, bIn3}},
		},
		{
			name: "scores of terms add up", terms: q("a", "c"), k: 10,
			want: []Scored{{1, aIn1}, {0, aIn0}, {3, cIn3}, {2, cIn2}},
		},
		{
			name: "query term weight scales the score", terms: []QueryTerm{{Term: "a", Weight: 3}}, k: 10,
			want: []Scored{{1, 3 * aIn1}, {0, 3 * aIn0}},
		},
		{
			name: "weights are per term", terms: []QueryTerm{{Term: "a", Weight: 0.5}, {Term: "c", Weight: 2}}, k: 10,
			want: []Scored{{3, 2 * cIn3}, {2, 2 * cIn2}, {1, 0.5 * aIn1}, {0, 0.5 * aIn0}},
		},
		{
			name: "head field adds its weighted score", terms: q("a"), k: 10, p: Params{HeadWeight: 0.5},
			want: []Scored{{1, aIn1}, {0, aIn0}, {2, 0.5 * aHead2}},
		},
		{
			name: "head field weight 2", terms: q("b"), k: 10, p: Params{HeadWeight: 2},
			want: []Scored{{0, bIn0 + 2*bHead0}, {2, bIn2}, {3, bIn3}},
		},
		{
			name: "head field ignored at weight 0", terms: q("a"), k: 10, p: Params{HeadWeight: 0},
			want: []Scored{{1, aIn1}, {0, aIn0}},
		},
		{
			name: "custom k1 and b", terms: q("a"), k: 10, p: Params{K1: 2, B: 0.5},
			want: []Scored{{1, aIn1k2}, {0, aIn0k2}},
		},
		{
			name: "zero k1 and b mean the defaults", terms: q("a"), k: 10, p: Params{K1: 0, B: 0},
			want: []Scored{{1, aIn1}, {0, aIn0}},
		},
		{
			name: "top k keeps the best", terms: q("b"), k: 2,
			want: []Scored{{2, bIn2}, {0, bIn0}},
		},
		{
			name: "k = 1", terms: q("a", "c"), k: 1,
			want: []Scored{{1, aIn1}},
		},
		{
			name: "k larger than the matches", terms: q("c"), k: 1000,
			want: []Scored{{3, cIn3}, {2, cIn2}},
		},
		{
			name: "Allow filters chunks", terms: q("b"), k: 10, p: Params{Allow: func(c int) bool { return c != 2 }},
			want: []Scored{{0, bIn0}, {3, bIn3}},
		},
		{
			name: "Allow filters before top k", terms: q("b"), k: 1, p: Params{Allow: func(c int) bool { return c == 3 }},
			want: []Scored{{3, bIn3}},
		},
		{
			name: "Allow rejecting everything", terms: q("a", "b", "c"), k: 10, p: Params{Allow: func(int) bool { return false }},
			want: nil,
		},
		{
			name: "unknown term alone", terms: q("zzz"), k: 10,
			want: nil,
		},
		{
			name: "unknown term is ignored", terms: q("zzz", "a"), k: 10,
			want: []Scored{{1, aIn1}, {0, aIn0}},
		},
		{
			name: "repeated query term counts twice", terms: q("a", "a"), k: 10,
			want: []Scored{{1, 2 * aIn1}, {0, 2 * aIn0}},
		},
		{
			name: "negative total score is dropped", terms: []QueryTerm{{Term: "a", Weight: 1}, {Term: "b", Weight: -10}}, k: 10,
			want: []Scored{{1, aIn1}},
		},
		{
			name: "zero weight scores nothing", terms: []QueryTerm{{Term: "a", Weight: 0}}, k: 10,
			want: nil,
		},
		{name: "k = 0", terms: q("a"), k: 0, want: nil},
		{name: "negative k", terms: q("a"), k: -1, want: nil},
		{name: "no terms", terms: nil, k: 10, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ix.Search(tt.terms, tt.k, tt.p)
			if diff := cmp.Diff(tt.want, got, approx, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Search mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSearchTieBreakAcrossTerms checks the tie-break when equal scores
// arrive out of chunk order: chunks 3–5 are touched (by x) before 0–2 (by
// y), all with the same score, so the heap must replace later chunks by
// earlier ones.
func TestSearchTieBreakAcrossTerms(t *testing.T) {
	b := NewBuilder()
	for i := range 6 {
		term := "y"
		if i >= 3 {
			term = "x"
		}
		b.Add(map[string]int{term: 1}, nil)
	}
	ix := b.Build()
	for k := 1; k <= 7; k++ {
		got := ix.Search(q("x", "y"), k, Params{})
		var chunks []int
		for _, s := range got {
			chunks = append(chunks, s.Chunk)
			if s.Score != got[0].Score {
				t.Fatalf("k=%d: scores differ, the test's premise is broken: %v", k, got)
			}
		}
		want := []int{0, 1, 2, 3, 4, 5}[:min(k, 6)]
		if diff := cmp.Diff(want, chunks); diff != "" {
			t.Errorf("k=%d: chunks (-want +got):\n%s", k, diff)
		}
	}
}

func TestEmptyIndex(t *testing.T) {
	ix := NewBuilder().Build()
	if ix.Len() != 0 {
		t.Errorf("Len() = %d, want 0", ix.Len())
	}
	if got := ix.Search(q("a"), 10, Params{HeadWeight: 1}); len(got) != 0 {
		t.Errorf("Search on an empty index = %v, want none", got)
	}
	if got := ix.DocFreq("a"); got != 0 {
		t.Errorf("DocFreq = %d, want 0", got)
	}
}

// TestChunksWithoutTerms: empty chunks count in N and in the average length
// but never match.
func TestChunksWithoutTerms(t *testing.T) {
	b := NewBuilder()
	b.Add(nil, nil)
	b.Add(map[string]int{"a": 1}, nil)
	b.Add(map[string]int{}, map[string]int{})
	ix := b.Build()
	// N = 3, df = 1, avg len = 1/3, chunk len 1.
	want := []Scored{{1, math.Log(1+2.5/1.5) * 2.2 / (1 + 1.2*(0.25+0.75*3))}}
	if diff := cmp.Diff(want, ix.Search(q("a"), 10, Params{HeadWeight: 1}), approx); diff != "" {
		t.Errorf("Search (-want +got):\n%s", diff)
	}
}

// TestStreamingBuilderMatchesAdd: NewChunk + AddTerm builds the same index
// as Add.
func TestStreamingBuilderMatchesAdd(t *testing.T) {
	stream := NewBuilder()
	for i, c := range tiny {
		if n := stream.NewChunk(); n != i {
			t.Fatalf("NewChunk() = %d, want %d", n, i)
		}
		for term, f := range c.body {
			stream.AddTerm(0, term, f)
		}
		for term, f := range c.head {
			stream.AddTerm(1, term, f)
		}
	}
	a, s := buildTiny(), stream.Build()
	for _, terms := range [][]QueryTerm{q("a"), q("b"), q("c"), q("a", "b", "c")} {
		for _, hw := range []float64{0, 0.5} {
			want := a.Search(terms, 10, Params{HeadWeight: hw})
			got := s.Search(terms, 10, Params{HeadWeight: hw})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("terms %v head %v (-Add +stream):\n%s", terms, hw, diff)
			}
		}
	}
}

// TestSearchLeavesNoState: a search must reset the pooled accumulator, or
// the next search would inherit its scores.
func TestSearchLeavesNoState(t *testing.T) {
	ix := buildTiny()
	want := buildTiny().Search(q("c"), 10, Params{})
	for range 3 {
		ix.Search(q("a", "b", "c"), 1, Params{HeadWeight: 1}) // most results discarded by k
		ix.Search(q("b"), 10, Params{Allow: func(c int) bool { return c == 0 }})
		if diff := cmp.Diff(want, ix.Search(q("c"), 10, Params{})); diff != "" {
			t.Fatalf("search after others (-want +got):\n%s", diff)
		}
	}
}

func TestAddReturnsChunkNumbers(t *testing.T) {
	b := NewBuilder()
	for i := range 3 {
		if got := b.Add(map[string]int{"a": 1}, nil); got != i {
			t.Errorf("Add #%d returned %d", i, got)
		}
	}
}

// TestTermFrequencyClamp: a frequency beyond uint16 is clamped in the
// posting, which must not wrap around to a small or zero tf.
func TestTermFrequencyClamp(t *testing.T) {
	b := NewBuilder()
	b.Add(map[string]int{"a": 1 << 16}, nil) // would wrap to tf 0
	b.Add(map[string]int{"a": 1, "b": 1<<16 - 1}, nil)
	b.Add(map[string]int{"c": 1}, nil)
	got := b.Build().Search(q("a"), 10, Params{})
	if len(got) != 2 || got[0].Chunk != 0 {
		t.Errorf("Search(a) = %v, want chunk 0 (tf 65536) first", got)
	}
}
