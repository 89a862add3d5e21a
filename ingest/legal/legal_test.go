package legal

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/imy/imyrag"
)

func TestExtract(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want imyrag.Metadata
	}{
		// Sentences from the bundled corpus.
		{
			name: "skr: statute in brackets with section and stycke",
			in:   "(1 § andra stycket förordningen [2007:975] med instruktion för Integritetsskyddsmyndigheten)",
			want: imyrag.Metadata{LegalRefs: []string{"SFS 2007:975", "SFS 2007:975 1 §"}},
		},
		{
			name: "skr: SOU",
			in:   "i delbetänkandet Hur står det till med den personliga integriteten? (SOU 2016:41) om att",
			want: imyrag.Metadata{LegalRefs: []string{"SOU 2016:41"}},
		},
		{
			name: "skr: IMY report and date",
			in:   "överlämnade sin första redovisning till regeringen den 28 januari 2021, Integritetsskyddsrapport 2020 (IMY Rapport 2021:1), se bilagan.",
			want: imyrag.Metadata{Dates: []string{"2021-01-28"}, LegalRefs: []string{"IMY rapport 2021:1"}},
		},
		{
			name: "skr: GDPR footnote",
			in:   "[2:  Europaparlamentets och rådets förordning (EU) 2016/679 av den 27 april 2016 om skydd för fysiska personer med avseende på behandling av personuppgifter och om upphävande av direktiv 95/46/EG (allmän dataskyddsförordning).]",
			want: imyrag.Metadata{Dates: []string{"2016-04-27"}, LegalRefs: []string{"EU 2016/679", "dir. 95/46/EG"}},
		},
		{
			name: "skr: Government refs",
			in:   "kan öka (I2021/01639). [...] ett hållbart samhälle (I2021/02739). [...] innovationssystemet (N2021/01266).",
			want: imyrag.Metadata{GovRefs: []string{"I2021/01639", "I2021/02739", "N2021/01266"}},
		},
		{
			name: "skr: dir without a dot, Ds",
			in:   "att främja försöksverksamhet i kommuner och regioner (dir 2021:110). I Kommittéhandboken (Ds 2000:1) finns",
			want: imyrag.Metadata{LegalRefs: []string{"Ds 2000:1", "dir. 2021:110"}},
		},
		{
			name: "slutredovisning: date and diarienummer on their own lines",
			in:   "Slutrapport\n\n28 mars 2023\n\nDI-2021-5817\n\nPdf, 1 MB",
			want: imyrag.Metadata{Diarienummer: []string{"DI-2021-5817"}, Dates: []string{"2023-03-28"}},
		},
		{
			name: "delredovisning: footnotes",
			in:   "1 IMY rapport 2021:1, Integritetsskyddsrapport 2020 (imy.se) \n3 Ert diarienummer N2021/01266 \n4 Datainspektionen rapport 2019:2, Nationell integritetsrapport 2019",
			want: imyrag.Metadata{GovRefs: []string{"N2021/01266"}, LegalRefs: []string{"IMY rapport 2019:2", "IMY rapport 2021:1"}},
		},
		{
			name: "delredovisning: period",
			in:   "under perioden 1 april 2022 – 31 mars 2023.",
			want: imyrag.Metadata{Dates: []string{"2022-04-01", "2023-03-31"}},
		},
		{
			name: "sandlåda: AI Act by name",
			in:   "• Den regulatoriska sandlådan för AI enligt AI-förordningen",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2024/1689"}},
		},
		{
			name: "ai-strategi: OSL abbreviation",
			in:   "bör maskas i en allmän handling i enlighet med OSL:s bestämmelser.",
			want: imyrag.Metadata{LegalRefs: []string{"SFS 2009:400"}},
		},

		// Diarienummer.
		{
			name: "diarienummer variants",
			in:   "Dnr DI-2019-1234, dnr IMY-2022-55, di-2021-5817, DI 2020-0042 och IMY2023-1",
			want: imyrag.Metadata{Diarienummer: []string{"DI-2019-1234", "DI-2020-0042", "DI-2021-5817", "IMY-2022-55", "IMY-2023-1"}},
		},
		{
			name: "a date after IMY is no case number",
			in:   "IMY 2023-03-28",
			want: imyrag.Metadata{Dates: []string{"2023-03-28"}},
		},

		// Government refs.
		{
			name: "ministry codes",
			in:   "Ju2019/01234, Fi2020/00123, S2021/0123, ju2018/00001, Fö2022/00099 och Ju2019/01234/L6",
			want: imyrag.Metadata{GovRefs: []string{"Fi2020/00123", "Fö2022/00099", "Ju2018/00001", "Ju2019/01234", "S2021/0123"}},
		},

		// Dates.
		{
			name: "dates",
			in:   "den 1 januari 2025, 28 Mars 2023, 1 sept. 2022, 3 jan. 2024, 2023-03-28, 29 februari 2024, 1–3 maj 2023",
			want: imyrag.Metadata{Dates: []string{"2022-09-01", "2023-03-28", "2023-05-01", "2023-05-03", "2024-01-03", "2024-02-29", "2025-01-01"}},
		},
		{
			name: "invalid dates",
			in:   "31 februari 2023, 29 februari 2023, 31 april 2022, 0 mars 2023, 2023-13-01, 2023-02-30, 32 maj 2023, 28 mars 1850",
			want: imyrag.Metadata{},
		},
		{
			name: "no-break spaces",
			in:   "28\u00a0mars\u00a02023 och SFS\u00a02018:218",
			want: imyrag.Metadata{Dates: []string{"2023-03-28"}, LegalRefs: []string{"SFS 2018:218"}},
		},

		// GDPR and other EU articles.
		{
			name: "GDPR articles, act named after",
			in:   "artikel 6.1 e GDPR och artikel 9.2 g i dataskyddsförordningen",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "GDPR art. 6.1 e", "GDPR art. 9.2 g"}},
		},
		{
			name: "article forms",
			in:   "Enligt dataskyddsförordningen gäller art. 6.1 e, artikel 6 1 f, artikel 6(1)(c) och artikel 6.1b.",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "GDPR art. 6.1 b", "GDPR art. 6.1 c", "GDPR art. 6.1 e", "GDPR art. 6.1 f"}},
		},
		{
			name: "article lists and ranges",
			in:   "Dataskyddsförordningen: artiklarna 13 och 14, artiklarna 15–17, artikel 5.1 a–c och artikel 6.1 e och f.",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "GDPR art. 13", "GDPR art. 14", "GDPR art. 15", "GDPR art. 16",
				"GDPR art. 17", "GDPR art. 5.1 a", "GDPR art. 5.1 b", "GDPR art. 5.1 c", "GDPR art. 6.1 e", "GDPR art. 6.1 f"}},
		},
		{
			name: "the preposition i is no point",
			in:   "artikel 6.1 i dataskyddsförordningen",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "GDPR art. 6.1"}},
		},
		{
			name: "article with no act nearby is unattributed",
			in:   "Bestämmelsen finns i art. 6.1 e.",
			want: imyrag.Metadata{LegalRefs: []string{"art. 6.1 e"}},
		},
		{
			name: "article attributed to the nearer act",
			in:   "AI-förordningen ställer krav. Enligt artikel 57 ska varje medlemsstat inrätta en sandlåda. " + strings.Repeat("x", 150) + " GDPR",
			want: imyrag.Metadata{LegalRefs: []string{"AI Act art. 57", "EU 2016/679", "EU 2024/1689"}},
		},
		{
			name: "act far away is not used",
			in:   "GDPR " + strings.Repeat("x ", 150) + "artikel 8",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "art. 8"}},
		},
		{
			name: "other acts",
			in:   "artikel 57 i AI-förordningen, artikel 8 i Europakonventionen, artikel 5 i förordning (EU) 2022/868 och artikel 16 FEUF",
			want: imyrag.Metadata{LegalRefs: []string{"AI Act art. 57", "EKMR art. 8", "EU 2022/868", "EU 2022/868 art. 5", "EU 2024/1689", "FEUF art. 16"}},
		},
		{
			name: "act before the article",
			in:   "Europakonventionens artikel 8 och GDPR artikel 17",
			want: imyrag.Metadata{LegalRefs: []string{"EKMR art. 8", "EU 2016/679", "GDPR art. 17"}},
		},
		{
			name: "EU acts",
			in:   "förordning (EU) 2016/679, direktiv (EU) 2016/680, direktiv 95/46/EG, beslut 2010/87/EU, förordning (EG) nr 45/2001 och mål C-311/18 och T-604/18",
			want: imyrag.Metadata{LegalRefs: []string{"C-311/18", "EG 45/2001", "EU 2016/679", "T-604/18", "beslut 2010/87/EU", "dir. 95/46/EG", "dir. EU 2016/680"}},
		},

		// Swedish statutes.
		{
			name: "statutes by number",
			in:   "lag (2018:218) med kompletterande bestämmelser till EU:s dataskyddsförordning, SFS 2018:218 och förordning (2007:975)",
			want: imyrag.Metadata{LegalRefs: []string{"EU 2016/679", "SFS 2007:975", "SFS 2018:218"}},
		},
		{
			name: "sections",
			in:   "2 kap. 3 § lag (2018:218), 3 kap. 5 § dataskyddslagen, 26 kap. 1 § OSL, 3 a § förvaltningslagen och 5 § personuppgiftslagen (1998:204)",
			want: imyrag.Metadata{LegalRefs: []string{"SFS 1998:204", "SFS 1998:204 5 §", "SFS 2009:400", "SFS 2009:400 26 kap. 1 §",
				"SFS 2017:900", "SFS 2017:900 3 a §", "SFS 2018:218", "SFS 2018:218 2 kap. 3 §", "SFS 2018:218 3 kap. 5 §"}},
		},
		{
			name: "section lists, chapter only, qualifiers",
			in:   "4 och 5 §§ förvaltningslagen, 2 kap. dataskyddslagen, 2 kap. 1 § första stycket 3 tryckfrihetsförordningen och 21 kap. 7 § offentlighets- och sekretesslagen",
			want: imyrag.Metadata{LegalRefs: []string{"SFS 1949:105", "SFS 1949:105 2 kap. 1 §", "SFS 2009:400", "SFS 2009:400 21 kap. 7 §",
				"SFS 2017:900", "SFS 2017:900 4 §", "SFS 2017:900 5 §", "SFS 2018:218", "SFS 2018:218 2 kap."}},
		},
		{
			name: "named statutes",
			in:   "brottsdatalagen, kamerabevakningslagen, tryckfrihetsförordningen, förvaltningslagen, OSL och dataskyddslagens regler",
			want: imyrag.Metadata{LegalRefs: []string{"SFS 1949:105", "SFS 2009:400", "SFS 2017:900", "SFS 2018:1177", "SFS 2018:1200", "SFS 2018:218"}},
		},
		{
			name: "preparatory works",
			in:   "prop. 2017/18:105 s. 45, skr. 2021/22:1, skrivelse 2021/22:1, bet. 2017/18:KU23, rskr. 2017/18:224, kommittédirektiv 2021:110, Ds 2021:3",
			want: imyrag.Metadata{LegalRefs: []string{"Ds 2021:3", "bet. 2017/18:KU23", "dir. 2021:110", "prop. 2017/18:105", "rskr. 2017/18:224", "skr. 2021/22:1"}},
		},
		{
			name: "case law",
			in:   "HFD 2019 ref. 21, RÅ 2010 ref. 5 och NJA 2019 s. 123",
			want: imyrag.Metadata{LegalRefs: []string{"HFD 2019 ref. 21", "NJA 2019 s. 123", "RÅ 2010 ref. 5"}},
		},

		// Negative cases: numbers that are no references.
		{
			name: "numbers alone are nothing",
			in:   "Ring 08-657 61 00 eller 010-123 45 67. Se avsnitt 2.1 och 3.2.1. Året 2021. Punkt 6.1 e. Kl. 10.30. (2018:218) 2016/679 2017/18:105 sid 12",
			want: imyrag.Metadata{},
		},
		{
			name: "words that contain names",
			in:   "dataskyddslagstiftningen, förvaltningslagstiftning, sekretesslagen, GDPRX, urlen blogs/2021/04/x",
			want: imyrag.Metadata{},
		},
		{
			name: "section without a statute",
			in:   "enligt 2 kap. 3 § och 5 §",
			want: imyrag.Metadata{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Extract(tt.in)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Extract(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2018:218", "SFS 2018:218"},
		{"sfs 2018:218", "SFS 2018:218"},
		{"SFS2018:218", "SFS 2018:218"},
		{"lag (2018:218)", "SFS 2018:218"},
		{"dataskyddslagen", "SFS 2018:218"},
		{"2 kap. 3 § dataskyddslagen", "SFS 2018:218 2 kap. 3 §"},
		{"art 6.1e", "GDPR art. 6.1 e"},
		{"artikel 6.1 e", "GDPR art. 6.1 e"},
		{"art. 57 AI-förordningen", "AI Act art. 57"},
		{"GDPR", "EU 2016/679"},
		{"gdpr", "EU 2016/679"},
		{"2016/679", "EU 2016/679"},
		{"di 2021-5817", "DI-2021-5817"},
		{"n2021/01266", "N2021/01266"},
		{"28 mars 2023", "2023-03-28"},
		{"sou 2016:41", "SOU 2016:41"},
		{"prop 2017/18:105", "prop. 2017/18:105"},
		{"c-311/18", "C-311/18"},
		{"EKMR art. 8", "EKMR art. 8"},
		{"EU 2022/868 art. 5", "EU 2022/868 art. 5"},
		{"dir. 95/46/EG art. 25", "dir. 95/46/EG art. 25"},
		{"SFS 2009:400 26 kap. 1 §", "SFS 2009:400 26 kap. 1 §"},
		{" HFD 2019 ref. 21 ", "HFD 2019 ref. 21"},
		{"6.1 e", ""},
		{"hej", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := Normalize(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Normalize(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// TestNormalizeIdempotent checks that every canonical form Extract writes
// normalizes to itself, so filters typed as canonical forms match.
func TestNormalizeIdempotent(t *testing.T) {
	m := Extract(corpusText(t) + "\nartikel 6.1 e GDPR, artikel 57 i AI-förordningen, 2 kap. 3 § lag (2018:218), prop. 2017/18:105, " +
		"skr. 2021/22:1, bet. 2017/18:KU23, C-311/18, HFD 2019 ref. 21, direktiv (EU) 2016/680, beslut 2010/87/EU, " +
		"förordning (EG) nr 45/2001, artikel 8 i Europakonventionen, IMY-2023-1234, Ju2019/01234")
	for _, list := range [][]string{m.Diarienummer, m.GovRefs, m.Dates, m.LegalRefs} {
		for _, v := range list {
			if got, ok := Normalize(v); !ok || got != v {
				t.Errorf("Normalize(%q) = %q, %v", v, got, ok)
			}
		}
	}
}

func TestMerge(t *testing.T) {
	a := imyrag.Metadata{Diarienummer: []string{"DI-2021-5817"}, LegalRefs: []string{"SFS 2018:218", "EU 2016/679"}}
	b := imyrag.Metadata{Dates: []string{"2023-03-28"}, LegalRefs: []string{"EU 2016/679", "GDPR art. 6.1 e"}}
	want := imyrag.Metadata{
		Diarienummer: []string{"DI-2021-5817"},
		Dates:        []string{"2023-03-28"},
		LegalRefs:    []string{"EU 2016/679", "GDPR art. 6.1 e", "SFS 2018:218"},
	}
	if diff := cmp.Diff(want, Merge(a, b, imyrag.Metadata{})); diff != "" {
		t.Errorf("Merge mismatch (-want +got):\n%s", diff)
	}
	if !Merge().Empty() {
		t.Error("Merge() is not empty")
	}
}

func corpusFiles(t testing.TB) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../../corpus/*.txt")
	if err != nil || len(files) == 0 {
		t.Skip("no corpus at ../../corpus")
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".txt")] = string(data)
	}
	return out
}

func corpusText(t testing.TB) string {
	var b strings.Builder
	for _, text := range corpusFiles(t) {
		b.WriteString(text)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestCorpus checks that the identifiers and dates that the corpus README
// lists for each document are found in its whole text.
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	want := map[string]imyrag.Metadata{
		"imy-2022-delredovisning-innovationssystemet": {
			GovRefs:   []string{"N2021/01266"},
			Dates:     []string{"2022-03-31"},
			LegalRefs: []string{"IMY rapport 2021:1"},
		},
		"imy-2023-slutredovisning-innovationssystemet": {
			Diarienummer: []string{"DI-2021-5817"},
			Dates:        []string{"2023-03-28"},
		},
		"skr-2022-integritet-och-ny-teknik": {
			GovRefs:   []string{"I2021/01639", "I2021/02739"},
			Dates:     []string{"2022-03-24"},
			LegalRefs: []string{"SOU 2016:41", "SFS 2007:975", "IMY rapport 2021:1", "EU 2016/679"},
		},
		"imy-2025-innovationshubben-regulatorisk-sandlada": {
			Dates:     []string{"2025-01-01"},
			LegalRefs: []string{"EU 2024/1689"},
		},
	}
	for id, w := range want {
		text, ok := files[id]
		if !ok {
			t.Errorf("corpus file %s.txt missing", id)
			continue
		}
		got := Extract(text)
		for _, c := range []struct {
			field     string
			want, got []string
		}{
			{"Diarienummer", w.Diarienummer, got.Diarienummer},
			{"GovRefs", w.GovRefs, got.GovRefs},
			{"Dates", w.Dates, got.Dates},
			{"LegalRefs", w.LegalRefs, got.LegalRefs},
		} {
			for _, v := range c.want {
				if !slices.Contains(c.got, v) {
					t.Errorf("%s: %s lacks %q; got %q", id, c.field, v, c.got)
				}
			}
		}
	}
	// Nothing that is no reference: every value of the whole corpus is
	// listed here, so a new false positive fails the test.
	all := Extract(corpusText(t))
	wantAll := imyrag.Metadata{
		Diarienummer: []string{"DI-2021-5817"},
		GovRefs:      []string{"I2021/01639", "I2021/01825", "I2021/01826", "I2021/02737", "I2021/02739", "N2021/01266"},
		Dates: []string{"2016-04-27", "2021-01-28", "2021-06-01", "2021-06-17", "2021-08-15", "2022-01-28", "2022-03-24",
			"2022-03-31", "2022-04-01", "2022-06-01", "2022-09-30", "2023-03-28", "2023-03-31", "2023-12-14", "2025-01-01", "2026-08-02"},
		LegalRefs: []string{"Ds 2000:1", "EU 2016/679", "EU 2024/1689", "IMY rapport 2019:2", "IMY rapport 2021:1", "SFS 2007:975",
			"SFS 2007:975 1 §", "SFS 2009:400", "SOU 2016:41", "dir. 2021:110", "dir. 95/46/EG"},
	}
	if diff := cmp.Diff(wantAll, all); diff != "" {
		t.Errorf("Extract(whole corpus) mismatch (-want +got):\n%s", diff)
	}
}

func checkMetadata(t *testing.T, in string, m imyrag.Metadata) {
	t.Helper()
	for _, list := range [][]string{m.Diarienummer, m.GovRefs, m.Dates, m.LegalRefs} {
		if !slices.IsSorted(list) {
			t.Fatalf("Extract(%q): list not sorted: %q", in, list)
		}
		for i, v := range list {
			if v == "" || !utf8.ValidString(v) {
				t.Fatalf("Extract(%q): bad value %q", in, v)
			}
			if i > 0 && list[i-1] == v {
				t.Fatalf("Extract(%q): duplicate %q", in, v)
			}
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		"(1 § andra stycket förordningen [2007:975] med instruktion)",
		"artikel 6.1 e GDPR, artiklarna 13 och 14, artikel 5.1 a–c dataskyddsförordningen, art. 6(1)(e)",
		"2 kap. 3 § lag (2018:218), 3 och 4 §§ OSL, 5–7 §§ förvaltningslagen",
		"DI-2021-5817 N2021/01266 28 mars 2023 2023-03-28 1–3 maj 2023",
		"prop. 2017/18:105 skr. 2021/22:1 bet. 2017/18:KU23 C-311/18 HFD 2019 ref. 21",
		"förordning (EU) 2016/679 direktiv 95/46/EG (EG) nr 45/2001",
		"SFS 2018:218 2 kap. 3 §",
		"\xff\xfe 2018:\xc3 artikel 9\u2011 §§ 12–",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkMetadata(t, s, Extract(s))
		if v, ok := Normalize(s); ok && (v == "" || !utf8.ValidString(v)) {
			t.Fatalf("Normalize(%q) = %q", s, v)
		}
	})
}

func TestFirstDate(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Beslut\nDatum: 28 mars 2023\nDiarienummer: DI-2021-5817. Uppdraget gavs den 1 april 2021.", "2023-03-28"},
		{"Uppdraget ska redovisas senast 2022-03-31, efter mötet den 1 januari 2022.", "2022-03-31"},
		{"Inga datum här, bara SFS 2018:218.", ""},
	}
	for _, tt := range tests {
		if got := FirstDate(tt.text); got != tt.want {
			t.Errorf("FirstDate(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
