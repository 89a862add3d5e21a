package grounding

import (
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Passages for the tests: two Swedish, one English.
var testPassages = []Passage{
	{N: 1, Text: "Personuppgifter får behandlas om den registrerade har lämnat sitt samtycke till behandlingen, " +
		"enligt artikel 6.1 a i dataskyddsförordningen. Samtycket ska vara frivilligt, specifikt, informerat och otvetydigt."},
	{N: 2, Text: "IMY beslutade den 3 maj 2023 att Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor " +
		"(DI-2021-5817). Företaget hade behandlat känsliga personuppgifter utan rättslig grund."},
	{N: 3, Text: "The controller shall be able to demonstrate that the data subject has consented to the processing " +
		"of his or her personal data. Consent shall be freely given, specific, informed and unambiguous."},
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		want   []string
	}{
		{"empty", "", []string{ProblemEmpty}},
		{"white space", " \n\t ", []string{ProblemEmpty}},
		{"only citations", "[1][2]", []string{ProblemEmpty}},
		{"no citations", "Samtycke krävs. Företaget fick betala en sanktionsavgift.", []string{ProblemNoCitations}},
		{"only missing sources", "Samtycke krävs [7]. Företaget fick betala en sanktionsavgift [8].", []string{ProblemNoValidCitations}},
		{"only malformed", "Samtycke krävs [^1].", []string{ProblemNoValidCitations}},
		{"one cited sentence is enough", "Samtycke krävs för behandlingen [1]. Det gäller alla företag.", nil},
		{"abstention alone", "Källorna säger inget om det.", nil},
		{"english abstention alone", "The sources do not say.", nil},
		{"heading and abstention", "## Svar\n\nJag hittar inget stöd för det i källorna.", nil},
		{"references do not count as citations", "Samtycke krävs.\n\nKällor:\n[1] Dataskyddsförordningen", []string{ProblemNoCitations}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.answer, testPassages, nil, Options{})
			if diff := cmp.Diff(tt.want, r.Problems, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Check(%q).Problems (-want +got):\n%s", tt.answer, diff)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		want   []Role
	}{
		{"markdown heading", "## Samtycke\nSamtycke krävs för behandlingen [1].", []Role{RoleHeading, RoleClaim}},
		{"bold heading", "**Sammanfattning**\nSamtycke krävs för behandlingen [1].", []Role{RoleHeading, RoleClaim}},
		{"bold sentence is a claim", "**Samtycke krävs för behandlingen.**", []Role{RoleClaim}},
		{"references", "Samtycke krävs [1].\n\n**Källor:**\n[1] Dataskyddsförordningen\n[2] IMY:s beslut",
			[]Role{RoleClaim, RoleHeading, RoleReferences, RoleReferences}},
		{"english references", "Consent is required [3].\n\nSources:\n- [3] GDPR", []Role{RoleClaim, RoleHeading, RoleReferences}},
		{"abstention", "Källorna säger inget om det.", []Role{RoleAbstention}},
		{"abstention framgår", "Det framgår inte av källorna hur länge uppgifterna får sparas.", []Role{RoleAbstention}},
		{"abstention jag hittar", "Jag hittar inget stöd för det i källorna.", []Role{RoleAbstention}},
		{"english abstention", "The sources do not say.", []Role{RoleAbstention}},
		{"english abstention contractions", "The provided sources don't mention fines.", []Role{RoleAbstention}},
		{"contrast makes a claim", "Källorna säger inget om böter, men IMY kan besluta om sanktionsavgift.", []Role{RoleClaim}},
		{"negated claim about sources", "Personuppgifter får inte behandlas utan rättslig grund enligt källorna.", []Role{RoleClaim}},
		{"connective no", "Nej.", []Role{RoleConnective}},
		{"connective lead-in", "Det finns tre krav:\n- Samtycke [1].\n- Rättslig grund [1].", []Role{RoleConnective, RoleClaim, RoleClaim}},
		{"connective one term", "Sammanfattningsvis gäller följande.", []Role{RoleConnective}},
		{"short claim with a name", "GDPR gäller inte.", []Role{RoleClaim}},
		{"short claim with a number", "Avgiften var 5000 kronor.", []Role{RoleClaim}},
		{"short claim", "Böter kan utgå.", []Role{RoleClaim}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(tt.answer, testPassages, nil, Options{})
			var got []Role
			for i, sp := range r.Spans {
				got = append(got, sp.Role)
				s := r.Sentences[i]
				if sp.Role != RoleClaim && containsString(s.Flags, FlagNoCitation) {
					t.Errorf("%s sentence %q flagged %q", sp.Role, s.Text, FlagNoCitation)
				}
				if sp.Role != RoleClaim && s.Supported {
					t.Errorf("%s sentence %q is Supported", sp.Role, s.Text)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%q) roles (-want +got):\n%s\nsentences: %q", tt.answer, diff, texts(r))
			}
		})
	}
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// checkCovers checks that the report's sentences are the answer's text, in
// order, with only white space between them and around them.
func checkCovers(t *testing.T, answer string, r Report) {
	t.Helper()
	if len(r.Sentences) != len(r.Spans) {
		t.Fatalf("%d sentences, %d spans", len(r.Sentences), len(r.Spans))
	}
	last := 0
	for i, sp := range r.Spans {
		if sp.Start < last || sp.End < sp.Start || sp.End > len(answer) {
			t.Fatalf("span %d [%d, %d) out of order (previous end %d, len %d)", i, sp.Start, sp.End, last, len(answer))
		}
		if gap := answer[last:sp.Start]; strings.TrimFunc(gap, unicode.IsSpace) != "" {
			t.Errorf("text between sentences dropped: %q", gap)
		}
		if got := answer[sp.Start:sp.End]; got != r.Sentences[i].Text {
			t.Errorf("sentence %d text %q, answer[%d:%d] = %q", i, r.Sentences[i].Text, sp.Start, sp.End, got)
		}
		if strings.TrimSpace(r.Sentences[i].Text) == "" {
			t.Errorf("sentence %d is empty", i)
		}
		last = sp.End
	}
	if rest := answer[last:]; strings.TrimFunc(rest, unicode.IsSpace) != "" {
		t.Errorf("text after the last sentence dropped: %q", rest)
	}
	if join(r) != noSpace(answer) {
		t.Errorf("joined sentences %q, answer %q (spaces removed)", join(r), noSpace(answer))
	}
}

func join(r Report) string {
	var b strings.Builder
	for _, s := range r.Sentences {
		b.WriteString(noSpace(s.Text))
	}
	return b.String()
}

func noSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func TestTextPreserved(t *testing.T) {
	answers := []string{
		"Samtycke krävs för behandlingen [1]. IMY beslutade den 3 maj 2023 om en sanktionsavgift [2].",
		"Samtycke krävs, t.ex. vid marknadsföring, enligt art. 6.1 a [1]. Se bl.a. 3 kap. 5 § [2].",
		"Samtycke krävs.[1][2] Nästa mening. [1]\n\n- Punkt ett [1]\n* Punkt två [2]\n1. Punkt tre [^2]\n\nKällorna säger inget om böter.",
		"## Svar\nIMY beslutade om en sanktionsavgift [2]. Enligt artikel 6(1) gäller samtycke (1).\n\nKällor:\n[1] GDPR\n[2] Beslut",
		"[1]",
		"[1] [2]\n\n[3]",
		"  \n [2] Samtycke krävs.   [1]  \n\n ",
		"IMY skriver ”Behandlingen är laglig. Den får fortsätta [3].” [1] Det gäller.",
		"Samtycke krävs 【1】. Slut [1, 2",
		"Text utan punkt\nsom fortsätter\n\n\n- och en lista\n- med två punkter",
		"Första raden\r\nandra raden [1].\r\n",
		"Nej.\u00a0Det gäller inte [1].",
		"Ogiltig utf-8 \xff\xfe [1]. Nästa [2\xff",
	}
	for _, answer := range answers {
		r := Check(answer, testPassages, nil, Options{})
		checkCovers(t, answer, r)
	}
}

func TestEnglish(t *testing.T) {
	answer := "Consent must be freely given, specific, informed and unambiguous [3]. " +
		"The controller shall be able to demonstrate that consent was given [3]. " +
		"The controller must appoint a data protection officer [3]. " +
		"The sources do not say how long the data may be kept.\n\n" +
		"Consent is required for marketing under the Swedish rules [source 1]."
	r := Check(answer, testPassages, nil, Options{})
	checkCovers(t, answer, r)
	if len(r.Sentences) != 5 {
		t.Fatalf("got %d sentences, want 5: %q", len(r.Sentences), texts(r))
	}
	s := r.Sentences
	if !s[0].Supported || !s[1].Supported {
		t.Errorf("English sentences taken from the English passage not supported: %.2f, %.2f", s[0].Support, s[1].Support)
	}
	if s[2].Supported {
		t.Errorf("English claim absent from the passage supported (%.2f): %q", s[2].Support, s[2].Text)
	}
	if r.Spans[3].Role != RoleAbstention || len(s[3].Flags) != 0 {
		t.Errorf("English abstention: role %s, flags %q", r.Spans[3].Role, s[3].Flags)
	}
	if !containsString(s[4].Flags, FlagLanguage) {
		t.Errorf("English sentence citing a Swedish passage: flags %q, want %q", s[4].Flags, FlagLanguage)
	}
	if diff := cmp.Diff([]int{1, 3}, r.Cited); diff != "" {
		t.Errorf("Cited (-want +got):\n%s", diff)
	}
}

func TestSupportFlags(t *testing.T) {
	answer := "Samtycke ska vara frivilligt, specifikt, informerat och otvetydigt [1]. " +
		"IMY beslutade den 4 maj 2024 att Företaget AB ska betala 2 000 000 kronor [2]. " +
		"Samtycke ska vara frivilligt och otvetydigt enligt beslutet [2]."
	r := Check(answer, testPassages, nil, Options{})
	s := r.Sentences
	if len(s) != 3 {
		t.Fatalf("got %d sentences: %q", len(s), texts(r))
	}
	if !s[0].Supported || s[0].Support < 0.99 || len(s[0].Flags) != 0 {
		t.Errorf("verbatim sentence: supported %v, support %.2f, flags %q", s[0].Supported, s[0].Support, s[0].Flags)
	}
	if s[1].Supported {
		t.Errorf("wrong date and amount supported: %.2f", s[1].Support)
	}
	want := flagUnsupported(s[1].Support)
	if !strings.HasPrefix(want, FlagUnsupported+" (stöd 0.") || !containsString(s[1].Flags, want) {
		t.Errorf("flags %q, want %q", s[1].Flags, want)
	}
	if s[2].Supported {
		t.Errorf("sentence citing the wrong source supported: %.2f", s[2].Support)
	}
	// The same sentence citing the right source is supported.
	r = Check("Samtycke ska vara frivilligt och otvetydigt enligt beslutet [1].", testPassages, nil, Options{})
	if !r.Sentences[0].Supported {
		t.Errorf("right source: support %.2f", r.Sentences[0].Support)
	}
	// MinSupport moves the line.
	strict := Check(answer, testPassages, nil, Options{MinSupport: 1.01})
	if strict.Sentences[0].Supported {
		t.Errorf("MinSupport 1.01 still supports %.2f", strict.Sentences[0].Support)
	}
	if got := Check(answer, testPassages, nil, Options{MinSupport: 0.01}).Unsupported(); len(got) != 0 {
		t.Errorf("MinSupport 0.01: unsupported %v", got)
	}
	if got := r.Unsupported(); len(got) != 0 {
		t.Errorf("Unsupported() = %v", got)
	}
}

func TestFlagUnsupportedRoundsDown(t *testing.T) {
	for _, tt := range []struct {
		score float64
		want  string
	}{
		{0.23, "stöds inte av den citerade källan (stöd 0.23)"},
		{0.5999, "stöds inte av den citerade källan (stöd 0.59)"},
		{0, "stöds inte av den citerade källan (stöd 0.00)"},
	} {
		if got := flagUnsupported(tt.score); got != tt.want {
			t.Errorf("flagUnsupported(%v) = %q, want %q", tt.score, got, tt.want)
		}
	}
}

func TestDuplicatePassageNumbers(t *testing.T) {
	ps := []Passage{{N: 1, Text: "Samtycke krävs."}, {N: 1, Text: "Sanktionsavgiften var hög."}, {N: 0, Text: "Ignoreras."}}
	r := Check("Samtycke krävs och sanktionsavgiften var hög [1]. Ignoreras [0].", ps, nil, Options{})
	if !r.Sentences[0].Supported {
		t.Errorf("both passages numbered 1 should count: support %.2f", r.Sentences[0].Support)
	}
	if !containsString(r.Sentences[1].Flags, "källa [0] finns inte") {
		t.Errorf("flags %q", r.Sentences[1].Flags)
	}
}

func TestDeterministic(t *testing.T) {
	answer := "Samtycke krävs [1]. IMY beslutade om en sanktionsavgift [2][9]. Källorna säger inget om det."
	first := Check(answer, testPassages, nil, Options{})
	for range 5 {
		if diff := cmp.Diff(first, Check(answer, testPassages, nil, Options{})); diff != "" {
			t.Fatalf("second run differs:\n%s", diff)
		}
	}
}
