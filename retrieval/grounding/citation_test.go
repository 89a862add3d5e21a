package grounding

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sent is what a grammar test expects of one sentence.
type sent struct {
	Cites []int
	Flags []string
}

// passagesFor returns n passages that each hold the whole answer, so that
// every cited sentence is fully supported and only citation flags remain.
func passagesFor(answer string, n int) []Passage {
	ps := make([]Passage, n)
	for i := range ps {
		ps[i] = Passage{N: i + 1, Text: StripCitations(answer)}
	}
	return ps
}

func TestCitationGrammar(t *testing.T) {
	malformed := func(m string) []string { return []string{flagMalformed(m)} }
	tests := []struct {
		name   string
		answer string
		want   []sent
	}{
		// Accepted forms.
		{"canonical", "Samtycke krävs för behandlingen [1].", []sent{{Cites: []int{1}}}},
		{"two adjacent", "Samtycke krävs för behandlingen [1][3].", []sent{{Cites: []int{1, 3}}}},
		{"two with space", "Samtycke krävs för behandlingen [3] [1].", []sent{{Cites: []int{1, 3}}}},
		{"comma list", "Samtycke krävs för behandlingen [1, 3].", []sent{{Cites: []int{1, 3}}}},
		{"comma list tight", "Samtycke krävs för behandlingen [1,3].", []sent{{Cites: []int{1, 3}}}},
		{"semicolon list", "Samtycke krävs för behandlingen [1; 3].", []sent{{Cites: []int{1, 3}}}},
		{"en dash range", "Samtycke krävs för behandlingen [1–3].", []sent{{Cites: []int{1, 2, 3}}}},
		{"hyphen range", "Samtycke krävs för behandlingen [2-4].", []sent{{Cites: []int{2, 3, 4}}}},
		{"list with range", "Samtycke krävs för behandlingen [1, 3–5].", []sent{{Cites: []int{1, 3, 4, 5}}}},
		{"källa", "Samtycke krävs för behandlingen [källa 2].", []sent{{Cites: []int{2}}}},
		{"Källa capitalised", "Samtycke krävs för behandlingen [Källa 2].", []sent{{Cites: []int{2}}}},
		{"källorna och", "Samtycke krävs för behandlingen [Källorna 2 och 3].", []sent{{Cites: []int{2, 3}}}},
		{"source", "Consent is required for the processing [source 2].", []sent{{Cites: []int{2}}}},
		{"glued before period", "Samtycke krävs för behandlingen[1].", []sent{{Cites: []int{1}}}},
		{"markdown link label", "Samtycke krävs för behandlingen [1](#kalla-1).", []sent{{Cites: []int{1}}}},
		{"double brackets", "Samtycke krävs för behandlingen [[1]].", []sent{{Cites: []int{1}}}},
		{"duplicates once", "Samtycke krävs [1] för behandlingen [1].", []sent{{Cites: []int{1}}}},

		// Sources that do not exist (5 passages).
		{"out of range", "Samtycke krävs för behandlingen [9].", []sent{{Cites: []int{}, Flags: []string{"källa [9] finns inte"}}}},
		{"zero", "Samtycke krävs för behandlingen [0].", []sent{{Cites: []int{}, Flags: []string{"källa [0] finns inte"}}}},
		{"range past the end", "Samtycke krävs för behandlingen [4–7].",
			[]sent{{Cites: []int{4, 5}, Flags: []string{"källa [6] finns inte", "källa [7] finns inte"}}}},
		{"valid and invalid", "Samtycke krävs för behandlingen [2][9].", []sent{{Cites: []int{2}, Flags: []string{"källa [9] finns inte"}}}},

		// Malformed but recognisable.
		{"footnote caret", "Samtycke krävs för behandlingen [^1].", []sent{{Cites: []int{}, Flags: malformed("[^1]")}}},
		{"lenticular", "Samtycke krävs för behandlingen 【1】.", []sent{{Cites: []int{}, Flags: malformed("【1】")}}},
		{"lenticular source", "Samtycke krävs för behandlingen【3†source】.", []sent{{Cites: []int{}, Flags: malformed("【3†source】")}}},
		{"fullwidth", "Samtycke krävs för behandlingen ［2］.", []sent{{Cites: []int{}, Flags: malformed("［2］")}}},
		{"unclosed at end", "Samtycke krävs för behandlingen [1", []sent{{Cites: []int{}, Flags: malformed("[1")}}},
		{"unclosed list at end", "Samtycke krävs för behandlingen [1, 2", []sent{{Cites: []int{}, Flags: malformed("[1, 2")}}},
		{"unclosed before period", "Samtycke krävs för behandlingen [1. Nästa mening [2].",
			[]sent{{Cites: []int{}, Flags: malformed("[1")}, {Cites: []int{2}}}},
		{"placeholder n", "Samtycke krävs för behandlingen [n].", []sent{{Cites: []int{}, Flags: malformed("[n]")}}},
		{"placeholder x", "Samtycke krävs för behandlingen [X].", []sent{{Cites: []int{}, Flags: malformed("[X]")}}},
		{"empty brackets", "Samtycke krävs för behandlingen [].", []sent{{Cites: []int{}, Flags: malformed("[]")}}},
		{"källa without number", "Samtycke krävs för behandlingen [källa].", []sent{{Cites: []int{}, Flags: malformed("[källa]")}}},
		{"källa with title", "Samtycke krävs för behandlingen [Källa: AI-strategin].",
			[]sent{{Cites: []int{}, Flags: malformed("[Källa: AI-strategin]")}}},
		{"page reference", "Samtycke krävs för behandlingen [1, s. 5].", []sent{{Cites: []int{}, Flags: malformed("[1, s. 5]")}}},
		{"reversed range", "Samtycke krävs för behandlingen [3–1].", []sent{{Cites: []int{}, Flags: malformed("[3–1]")}}},
		{"range over 20", "Samtycke krävs för behandlingen [1-50].", []sent{{Cites: []int{}, Flags: malformed("[1-50]")}}},
		{"trailing comma", "Samtycke krävs för behandlingen [1,].", []sent{{Cites: []int{}, Flags: malformed("[1,]")}}},
		{"paren at sentence end", "Samtycke krävs för behandlingen (1).", []sent{{Cites: []int{}, Flags: malformed("(1)")}}},
		{"paren list at end of text", "Samtycke krävs för behandlingen (1, 2)", []sent{{Cites: []int{}, Flags: malformed("(1, 2)")}}},
		{"paren källa anywhere", "Samtycke (källa 2) krävs för behandlingen.", []sent{{Cites: []int{}, Flags: malformed("(källa 2)")}}},
		{"malformed beside valid", "Samtycke krävs för behandlingen [1][^2].", []sent{{Cites: []int{1}, Flags: malformed("[^2]")}}},

		// Legal text that is not a citation.
		{"article 6.1 e", "Behandlingen stöds av artikel 6.1 e GDPR [2].", []sent{{Cites: []int{2}}}},
		{"article 6(1)", "Behandlingen stöds av artikel 6(1) [2].", []sent{{Cites: []int{2}}}},
		{"article 6(1) at end", "Behandlingen stöds av artikel 6(1).", []sent{{Cites: []int{}, Flags: []string{FlagNoCitation}}}},
		{"article 6 (1) at end", "Behandlingen stöds av artikel 6 (1).", []sent{{Cites: []int{}, Flags: []string{FlagNoCitation}}}},
		{"punkt (2) at end", "Behandlingen stöds av artikel 9 punkt (2).", []sent{{Cites: []int{}, Flags: []string{FlagNoCitation}}}},
		{"section (2) at end", "Det framgår av 3 kap. 5 § (2).", []sent{{Cites: []int{}, Flags: []string{FlagNoCitation}}}},
		{"paren mid sentence", "Ett krav (1) gäller alltid behandlingen [1].", []sent{{Cites: []int{1}}}},
		{"paren list item", "(1) Den personuppgiftsansvarige ska dokumentera behandlingen [1].", []sent{{Cites: []int{1}}}},
		{"sic", "Myndigheten skrev ”personuppgifer” [sic] i beslutet [1].", []sent{{Cites: []int{1}}}},
		{"ellipsis", "Behandlingen […] är laglig enligt beslutet [1].", []sent{{Cites: []int{1}}}},
		{"dots ellipsis", "Behandlingen [...] är laglig enligt beslutet [1].", []sent{{Cites: []int{1}}}},
		{"sfs in brackets", "Förordningen [2007:975] med instruktion gäller [1].", []sent{{Cites: []int{1}}}},
		{"year in brackets", "Domen [2019] UKSC 1 gäller inte här [1].", []sent{{Cites: []int{1}}}},
		{"bracketed word", "Förordningen (EU) 2016/679 [GDPR] gäller [1].", []sent{{Cites: []int{1}}}},
		{"footnote inside quote", "IMY skriver att ”behandlingen är laglig[3]” i beslutet [1].", []sent{{Cites: []int{1}}}},
		{"missing source inside quote", "IMY skriver att \"behandlingen är laglig [9]\" i beslutet [1].", []sent{{Cites: []int{1}}}},
		{"unclosed quote does not hide", "IMY skriver att ”behandlingen är laglig [2].", []sent{{Cites: []int{2}}}},

		// Which sentence a citation belongs to.
		{"after the final period", "Samtycke krävs för behandlingen. [2]", []sent{{Cites: []int{2}}}},
		{"start of next sentence", "Samtycke krävs för behandlingen. [2] Beslutet gäller företaget [1].",
			[]sent{{Cites: []int{2}}, {Cites: []int{1}}}},
		{"glued after period", "Samtycke krävs för behandlingen.[1][2] Beslutet gäller företaget [3].",
			[]sent{{Cites: []int{1, 2}}, {Cites: []int{3}}}},
		{"own line", "Samtycke krävs för behandlingen.\n\n[2]\n\nBeslutet gäller företaget [1].",
			[]sent{{Cites: []int{2}}, {Cites: []int{1}}}},
		{"before the first sentence", "[2] Samtycke krävs för behandlingen.", []sent{{Cites: []int{2}}}},
		{"after a heading", "## Svar\n[2] Samtycke krävs för behandlingen.", []sent{{Cites: []int{}}, {Cites: []int{2}}}},
		{"lenticular after period", "Samtycke krävs för behandlingen.【1】 Beslutet gäller företaget [3].",
			[]sent{{Cites: []int{}, Flags: malformed("【1】")}, {Cites: []int{3}}}},
		{"no citation", "Samtycke krävs för behandlingen. Beslutet gäller företaget [3].",
			[]sent{{Cites: []int{}, Flags: []string{FlagNoCitation}}, {Cites: []int{3}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.answer, passagesFor(tt.answer, 5), nil, Options{})
			var got []sent
			for _, s := range r.Sentences {
				got = append(got, sent{Cites: s.Citations, Flags: s.Flags})
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Check(%q) mismatch (-want +got):\n%s\nsentences: %q", tt.answer, diff, texts(r))
			}
		})
	}
}

func texts(r Report) []string {
	var out []string
	for _, s := range r.Sentences {
		out = append(out, s.Text)
	}
	return out
}

func TestStripCitations(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Samtycke krävs [1].", "Samtycke krävs."},
		{"Samtycke krävs.[1][2] Nästa [3, 4].", "Samtycke krävs. Nästa."},
		{"Krav [källa 2] gäller.", "Krav gäller."},
		{"Krav [1]gäller.", "Krav gäller."},
		{"[1] Krav gäller.", "Krav gäller."},
		{"Krav gäller 【1】.", "Krav gäller."},
		{"Krav gäller (1).", "Krav gäller."},
		{"Artikel 6(1) [sic] […] [2007:975].", "Artikel 6(1) [sic] […] [2007:975]."},
		{"Han skrev ”laglig[3]” [1].", "Han skrev ”laglig[3]”."},
		{"Inga markörer.", "Inga markörer."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := StripCitations(tt.in); got != tt.want {
			t.Errorf("StripCitations(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
