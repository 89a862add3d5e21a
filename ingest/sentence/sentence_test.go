package sentence

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain sentences (delredovisning)",
			"Startupbolag är företag i ett tidigt skede av sin verksamhet. De är ofta små bolag som utvecklas snabbt. Startupbolag ingår ofta i sammanhang där de levererar produkter.",
			[]string{"Startupbolag är företag i ett tidigt skede av sin verksamhet.", "De är ofta små bolag som utvecklas snabbt.", "Startupbolag ingår ofta i sammanhang där de levererar produkter."}},
		{"question and exclamation (sandlåda)",
			"Vad gör vi i sandlådan? Workshops varannan vecka. Sker någon personuppgiftsbehandling?! Dataskyddsmyndigheten ska då involveras i sandlådeprojektet",
			[]string{"Vad gör vi i sandlådan?", "Workshops varannan vecka.", "Sker någon personuppgiftsbehandling?!", "Dataskyddsmyndigheten ska då involveras i sandlådeprojektet"}},
		{"question inside a sentence before a parenthesis (skr)",
			"Integritetskommittén lämnade i delbetänkandet Hur står det till med den personliga integriteten? (SOU 2016:41) om att det borde införas en ordning. Kommittén var enig i den delen.",
			[]string{"Integritetskommittén lämnade i delbetänkandet Hur står det till med den personliga integriteten? (SOU 2016:41) om att det borde införas en ordning.", "Kommittén var enig i den delen."}},
		{"bl.a. and m.m. before a capital (sandlåda, ai-strategi)",
			"Pilotprojekt i Sverige som drivs av bl.a. eSAM och IMY. Information om tidsplan, intresseanmälan m.m. finns på imy.se/sandlada. Det ger bl.a. IMY bättre kunskap.",
			[]string{"Pilotprojekt i Sverige som drivs av bl.a. eSAM och IMY.", "Information om tidsplan, intresseanmälan m.m. finns på imy.se/sandlada.", "Det ger bl.a. IMY bättre kunskap."}},
		{"m.m. and etc. end a sentence before an ordinary word",
			"Vi behandlar namn, adresser m.m. Detta kräver en rättslig grund. Det gäller bilder, ljud etc. Nästa steg är en konsekvensbedömning.",
			[]string{"Vi behandlar namn, adresser m.m.", "Detta kräver en rättslig grund.", "Det gäller bilder, ljud etc.", "Nästa steg är en konsekvensbedömning."}},
		{"abbreviations never end a sentence",
			"Se t.ex. Datainspektionen. Vi gör s.k. konsekvensbedömningar, dvs. DPIA. Det gäller d.v.s. alla enl. GDPR. Se art. 6 och kap. 3 i lagen, jfr. SOU 2016:41. Från t.o.m. 2021 och fr.o.m. Maj gäller p.g.a. EU-rätten o.s.v. Lagen ändrades ca. 2018. Se st. 2 resp. Bilaga 1. En f.d. generaldirektör, enl. prop. 2017/18:105 och skr. 2021/22:1. Se dir. 2021:110 och nr. 4. Det gäller Nordea m.fl. IMY och Vinnova mfl. DIGG. Texten är klar.",
			[]string{"Se t.ex. Datainspektionen.", "Vi gör s.k. konsekvensbedömningar, dvs. DPIA.", "Det gäller d.v.s. alla enl. GDPR.", "Se art. 6 och kap. 3 i lagen, jfr. SOU 2016:41.", "Från t.o.m. 2021 och fr.o.m. Maj gäller p.g.a. EU-rätten o.s.v.", "Lagen ändrades ca. 2018.", "Se st. 2 resp. Bilaga 1.", "En f.d. generaldirektör, enl. prop. 2017/18:105 och skr. 2021/22:1.", "Se dir. 2021:110 och nr. 4.", "Det gäller Nordea m.fl. IMY och Vinnova mfl. DIGG.", "Texten är klar."}},
		{"abbreviations in any case",
			"T.ex. IMY ger vägledning. Bl.a. Vinnova deltar. Enl. Kap. 2 gäller detta. Det är klart.",
			[]string{"T.ex. IMY ger vägledning.", "Bl.a. Vinnova deltar.", "Enl. Kap. 2 gäller detta.", "Det är klart."}},
		{"initials",
			"Rapporten skrevs av A. Svensson och L. L. Schelin. De arbetar på IMY.",
			[]string{"Rapporten skrevs av A. Svensson och L. L. Schelin.", "De arbetar på IMY."}},
		{"identifiers and numbers",
			"Enligt SFS 2018:218 och DI-2021-5817 gäller art. 6.1 e. Ärendet N2021/01266 beslutades 1.1.2025 och gällde 3.5 procent. Avsnitt 2.1.3 beskriver detta. Nästa mening.",
			[]string{"Enligt SFS 2018:218 och DI-2021-5817 gäller art. 6.1 e.", "Ärendet N2021/01266 beslutades 1.1.2025 och gällde 3.5 procent.", "Avsnitt 2.1.3 beskriver detta.", "Nästa mening."}},
		{"a sentence may end with an identifier or a number",
			"Beslutet har diarienummer DI-2021-5817. Under 2021 har 1 493 tkr förbrukats. IMY fick under 2021 engångsvisa medel.",
			[]string{"Beslutet har diarienummer DI-2021-5817.", "Under 2021 har 1 493 tkr förbrukats.", "IMY fick under 2021 engångsvisa medel."}},
		{"section and list numbers open a sentence",
			"2.1. Kartläggning av innovationsaktörernas behov\n\n1. Projektets idé innebär samhällsnytta, 2. Det är värdefullt för många.",
			[]string{"2.1. Kartläggning av innovationsaktörernas behov", "1. Projektets idé innebär samhällsnytta, 2. Det är värdefullt för många."}},
		{"ordinal after den",
			"Beslutet fattades den 1. Maj trädde det i kraft. Sedan hände inget mer.",
			[]string{"Beslutet fattades den 1. Maj trädde det i kraft.", "Sedan hände inget mer."}},
		{"closing quotes and parentheses",
			"exempelvis så kallade ”regulatoriska sandlådor.” Det räcker dock inte. Se rapporten (IMY rapport 2021:1.) Den finns på imy.se. Han sa \"ja.\" Sedan gick han.",
			[]string{"exempelvis så kallade ”regulatoriska sandlådor.”", "Det räcker dock inte.", "Se rapporten (IMY rapport 2021:1.)", "Den finns på imy.se.", "Han sa \"ja.\"", "Sedan gick han."}},
		{"footnote markers stay with their sentence",
			"IMY lämnade sin första rapport till regeringen.[1] Enligt vår instruktion ska en redovisning lämnas. Det gäller processer. [3] Enligt uppdraget ska IMY genomföra insatser. Se innovationscenter[7]. Vi har även hämtat in lärdomar.",
			[]string{"IMY lämnade sin första rapport till regeringen.[1]", "Enligt vår instruktion ska en redovisning lämnas.", "Det gäller processer. [3]", "Enligt uppdraget ska IMY genomföra insatser.", "Se innovationscenter[7].", "Vi har även hämtat in lärdomar."}},
		{"opening quote and digit start a sentence",
			"Hur rapporterar jag frånvaro? ”Hur många semesterdagar har jag rätt till?” är en vanlig fråga. 86 procent anser att företag ska vara bundna.",
			[]string{"Hur rapporterar jag frånvaro?", "”Hur många semesterdagar har jag rätt till?” är en vanlig fråga.", "86 procent anser att företag ska vara bundna."}},
		{"ellipsis",
			"• … därefter skriver IMY en rapport för att vägledningen ska nå fler! Det tar tid... Sedan publiceras den… Slutet",
			[]string{"• … därefter skriver IMY en rapport för att vägledningen ska nå fler!", "Det tar tid...", "Sedan publiceras den…", "Slutet"}},
		{"domain names are not abbreviations",
			"Ta del av projektens slutsatser på imy.se. Anmälan öppnas under våren.",
			[]string{"Ta del av projektens slutsatser på imy.se.", "Anmälan öppnas under våren."}},
		{"lower case after a period does not start a sentence",
			"Det gäller ca. tio procent. Se bilaga 2. och så vidare.",
			[]string{"Det gäller ca. tio procent.", "Se bilaga 2. och så vidare."}},
		{"blocks separated by blank lines",
			"Sammanfattning\n\n• Vilka är Innovationshubben?\n\nEnheten inrättades officiellt den 1 januari 2025\n  \n  Slutet.",
			[]string{"Sammanfattning", "• Vilka är Innovationshubben?", "Enheten inrättades officiellt den 1 januari 2025", "Slutet."}},
		{"a newline before a bullet or numbered item",
			"Delredovisningen ska innehålla en redogörelse för\n• vilka åtgärder som genomförts,\n• gjorda erfarenheter samt\n2. planering för det fortsatta arbetet",
			[]string{"Delredovisningen ska innehålla en redogörelse för", "• vilka åtgärder som genomförts,", "• gjorda erfarenheter samt", "2. planering för det fortsatta arbetet"}},
		{"a single newline inside a sentence is a space",
			"Integritetsskyddsmyndigheten (IMY) bedömer att användning\nav AI-teknik kan bidra. Denna strategi syftar\ntill att redogöra för behoven.",
			[]string{"Integritetsskyddsmyndigheten (IMY) bedömer att användning\nav AI-teknik kan bidra.", "Denna strategi syftar\ntill att redogöra för behoven."}},
		{"surrounding space is excluded", "  \n Hej. \t Då. \n ", []string{"Hej.", "Då."}},
		{"empty", "", nil},
		{"only space", " \n\t\u00A0 ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sentences(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Sentences (-want +got):\n%s", diff)
			}
			checkSpans(t, tt.in, Split(tt.in))
		})
	}
}

func TestIsAbbreviation(t *testing.T) {
	for _, w := range []string{"t.ex.", "T.ex.", "bl.a.", "BL.A.", "s.k.", "m.m.", "dvs.", "d.v.s.", "enl.", "art.", "Art.", "kap.", "nr.", "jfr.", "t.o.m.", "fr.o.m.", "p.g.a.", "o.s.v.", "ca.", "st.", "resp.", "m.fl.", "mfl.", "f.d.", "osv.", "prop.", "skr.", "dir.", "etc.", "m.a.o."} {
		if !IsAbbreviation(w) {
			t.Errorf("IsAbbreviation(%q) = false", w)
		}
	}
	for _, w := range []string{"IMY.", "imy.se.", "bil.", "punkt.", "2021.", "år.", "t.ex", "DI-2021-5817."} {
		if IsAbbreviation(w) {
			t.Errorf("IsAbbreviation(%q) = true", w)
		}
	}
}

// checkSpans checks Split's contract: spans ordered, not overlapping, on
// rune boundaries, trimmed, and covering every non-space byte exactly once.
func checkSpans(t testing.TB, s string, spans []Span) {
	t.Helper()
	covered := make([]int, len(s))
	boundary := make([]bool, len(s)+1) // where decoding s rune by rune stops
	for i := 0; i < len(s); {
		boundary[i] = true
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	boundary[len(s)] = true
	prevEnd := 0
	for i, sp := range spans {
		if sp.Start < prevEnd || sp.End <= sp.Start || sp.End > len(s) {
			t.Fatalf("span %d %v out of order or empty (previous end %d, len %d)", i, sp, prevEnd, len(s))
		}
		prevEnd = sp.End
		r, _ := utf8.DecodeRuneInString(s[sp.Start:])
		l, _ := utf8.DecodeLastRuneInString(s[:sp.End])
		if unicode.IsSpace(r) || unicode.IsSpace(l) {
			t.Fatalf("span %d %q has surrounding space", i, s[sp.Start:sp.End])
		}
		if !boundary[sp.Start] || !boundary[sp.End] {
			t.Fatalf("span %d %v not on rune boundaries", i, sp)
		}
		for j := sp.Start; j < sp.End; j++ {
			covered[j]++
		}
	}
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		for j := i; j < i+w; j++ {
			if unicode.IsSpace(r) {
				if covered[j] > 1 {
					t.Fatalf("space byte %d covered %d times", j, covered[j])
				}
			} else if covered[j] != 1 {
				t.Fatalf("byte %d (%q) covered %d times", j, r, covered[j])
			}
		}
		i += w
	}
}

func TestSplitCorpus(t *testing.T) {
	files, err := filepath.Glob("../../corpus/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		checkSpans(t, s, Split(s))
		// As one line, so that blank lines do not end sentences.
		s = strings.Join(strings.Fields(s), " ")
		spans := Split(s)
		checkSpans(t, s, spans)
		for _, sp := range spans {
			sent := s[sp.Start:sp.End]
			for _, bad := range []string{"t.ex.", "bl.a.", "m.m."} {
				if strings.HasSuffix(sent, bad) && sp.End < len(s) {
					r, _ := utf8.DecodeRuneInString(strings.TrimSpace(s[sp.End:]))
					if !unicode.IsUpper(r) {
						t.Errorf("%s: sentence ends at abbreviation: %q", filepath.Base(f), sent)
					}
				}
			}
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		"Se t.ex. Datainspektionen. Vi gör s.k. konsekvensbedömningar.",
		"Enligt SFS 2018:218 och DI-2021-5817 gäller art. 6.1 e. Nästa.",
		"regeringen.[1] Enligt ”citat.” (parentes.) Slut",
		"2.1. Rubrik\n\n• punkt\n2. punkt… Mer... Ja?! Nej",
		"A. Svensson\u00A0och\u2028B.\tC. \xff\xfe. Ö",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkSpans(t, s, Split(s))
	})
}

func BenchmarkSplit(b *testing.B) {
	files, _ := filepath.Glob("../../corpus/*.txt")
	var all strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		all.Write(data)
	}
	s := all.String()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Split(s)
	}
}
