package synonym

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag/retrieval/analyze"
)

func TestDefaultLoads(t *testing.T) {
	tb := Default()
	if n := tb.Len(); n < 10000 {
		t.Fatalf("embedded table has %d terms, want over 10,000", n)
	}
	// A few entries that any version of the thesaurus has.
	for _, tt := range []struct{ word, syn string }{
		{"dispens", "undantag"},
		{"samtycke", "medgivande"},
		{"avgöra", "besluta"},
	} {
		if !slices.Contains(tb.Lookup(analyze.Stem(tt.word)), analyze.Stem(tt.syn)) {
			t.Errorf("Lookup(Stem(%q)) = %v, want %q among them", tt.word, tb.Lookup(analyze.Stem(tt.word)), analyze.Stem(tt.syn))
		}
	}
}

func TestParseLookup(t *testing.T) {
	tb, err := Parse(`# a comment
samtycke|bifall|medgivande
samtycka|medgivande|godkänna
dispens|undantag|ok|och
och|samt
beslut|beslut|beslutet|fastställande
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, term string
		want       []string
	}{
		// Headwords with one stem are merged; the synonym both list
		// comes first.
		{"merged by stem", analyze.Stem("samtycke"), []string{"medgiv", "bifall", "godkän"}},
		// Any inflection of the headword reaches the entry through the
		// analyzer's stem.
		{"inflected form", analyze.Stem("samtycket"), []string{"medgiv", "bifall", "godkän"}},
		{"short and stopword synonyms dropped", analyze.Stem("dispens"), []string{"undantag"}},
		{"stopword headword skipped", "och", nil},
		{"same-stem synonyms dropped", analyze.Stem("beslut"), []string{"fastställ"}},
		{"unknown", "personuppgift", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tb.Lookup(tt.term)); diff != "" {
				t.Errorf("Lookup(%q) (-want +got):\n%s", tt.term, diff)
			}
		})
	}
	var nilTable *Table
	if nilTable.Lookup("x") != nil || nilTable.Len() != 0 {
		t.Error("nil table not empty")
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"ensam\n", "|utan\n"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("Parse(%q): no error", in)
		}
	}
}
