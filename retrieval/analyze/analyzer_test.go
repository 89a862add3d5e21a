package analyze

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

var swedishLex = sync.OnceValue(NewSwedishLexicon)

func newTestAnalyzer() *Analyzer { return New(Options{Lexicon: swedishLex()}) }

func TestTokens(t *testing.T) {
	type tok struct {
		Text string
		Kind TokenKind
	}
	tests := []struct {
		name string
		in   string
		want []tok
	}{
		{"diarienummer", "Slutrapport 28 mars 2023 DI-2021-5817", []tok{
			{"slutrapport", Word}, {"28", Number}, {"mars", Word}, {"2023", Number}, {"di-2021-5817", Identifier}}},
		{"sfs", "(1 § andra stycket förordningen [2007:975] med instruktion", []tok{
			{"1", Number}, {"andra", Word}, {"stycket", Word}, {"förordningen", Word}, {"2007:975", Identifier},
			{"med", Word}, {"instruktion", Word}}},
		{"gov ref", "innovationssystemet (N2021/01266). Ert diarienummer I2021/02739", []tok{
			{"innovationssystemet", Word}, {"n2021/01266", Identifier}, {"ert", Word}, {"diarienummer", Word},
			{"i2021/02739", Identifier}}},
		{"eu acts", "förordning (EU) 2016/679 och direktiv 95/46/EG; mål C-311/18.", []tok{
			{"förordning", Word}, {"eu", Word}, {"2016/679", Identifier}, {"och", Word}, {"direktiv", Word},
			{"95/46/eg", Identifier}, {"mål", Word}, {"c-311/18", Identifier}}},
		{"article", "artikel 6.1 e GDPR", []tok{{"artikel", Word}, {"6.1", Number}, {"e", Word}, {"gdpr", Word}}},
		{"riksmöte", "prop. 2017/18:105 och bet. 2017/18:KU23", []tok{
			{"prop", Word}, {"2017/18:105", Identifier}, {"och", Word}, {"bet", Word}, {"2017/18:ku23", Identifier}}},
		{"hyphenated words", "AI-förordningen, e-post och AI\u2011sandlådan", []tok{
			{"ai-förordningen", Word}, {"e-post", Word}, {"och", Word}, {"ai-sandlådan", Word}}},
		{"dangling hyphen", "integritets- och dataskyddsfrågor", []tok{
			{"integritets", Word}, {"och", Word}, {"dataskyddsfrågor", Word}}},
		{"genitive colon", "IMY:s och EU:s regler", []tok{{"imy", Word}, {"och", Word}, {"eu", Word}, {"regler", Word}}},
		{"numbers", "3.2. Stort behov; 1,5 miljoner; kl. 10.30", []tok{
			{"3.2", Number}, {"stort", Word}, {"behov", Word}, {"1,5", Number}, {"miljoner", Word}, {"kl", Word},
			{"10.30", Number}}},
		{"slash between words", "och/eller", []tok{{"och", Word}, {"eller", Word}}},
		{"url", "https://www.imy.se/globalassets/dokument", []tok{
			{"https", Word}, {"www", Word}, {"imy", Word}, {"se", Word}, {"globalassets", Word}, {"dokument", Word}}},
		{"url date path", "news/2021/04/how-the-ico", []tok{{"news", Word}, {"2021/04", Identifier}, {"how-the-ico", Word}}},
		{"slash after letters", "SFS/2018 TCP/IP", []tok{{"sfs", Word}, {"2018", Number}, {"tcp", Word}, {"ip", Word}}},
		{"soft hyphen", "person\u00aduppgifter", []tok{{"personuppgifter", Word}}},
		{"decomposed å", "A\u030angström", []tok{{"ångström", Word}}},
		{"upper case non-ASCII", "ÖVERKLAGANDE ÄR MÖJLIGT", []tok{{"överklagande", Word}, {"är", Word}, {"möjligt", Word}}},
		{"invalid utf-8", "abc\xffdef\xc3", []tok{{"abc", Word}, {"def", Word}}},
		{"punctuation only", "•  – … §§ ()", nil},
	}
	a := newTestAnalyzer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []tok
			for _, tk := range a.Tokens(tt.in) {
				got = append(got, tok{tk.Text, tk.Kind})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Tokens(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestTokenOffsets(t *testing.T) {
	in := "Enligt IMY:s beslut DI-2021-5817 (SFS 2018:218) gäller Överklagande."
	for _, tk := range newTestAnalyzer().Tokens(in) {
		if got := strings.ToLower(in[tk.Start:tk.End]); got != tk.Text {
			t.Errorf("token %q: text[%d:%d] = %q", tk.Text, tk.Start, tk.End, got)
		}
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"stopwords dropped, stems", "Behandling av personuppgifter och andra uppgifter",
			[]string{"behandling", "personuppgift", "andr", "uppgift"}},
		{"identifiers whole", "DI-2021-5817 enligt SFS 2018:218 och N2021/01266",
			[]string{"di-2021-5817", "enl", "sfs", "2018:218", "n2021/01266"}},
		{"numbers never dropped or stemmed", "i 6.1 e och 2023", []string{"6.1", "e", "2023"}},
		{"compound parts after the compound", "personuppgiftsbehandlingen",
			[]string{"personuppgiftsbehandling", "personuppgift", "behandling"}},
		{"hyphenated", "AI-förordningen", []string{"ai-förordning", "ai", "förordning"}},
		{"e-post", "e-posten", []string{"e-post", "post"}},
		{"definite endings", "beslutet besluten sandlådan området",
			[]string{"beslut", "beslut", "sandlåd", "områd"}},
		{"all stopwords", "och det att i en", []string{}},
	}
	a := newTestAnalyzer()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, a.Terms(tt.in)); diff != "" {
				t.Errorf("Terms(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSharedStems(t *testing.T) {
	a := newTestAnalyzer()
	groups := [][]string{
		{"personuppgift", "personuppgifter", "personuppgifterna", "personuppgifts"},
		{"beslut", "beslutet", "besluten", "beslutets"},
		{"myndighet", "myndigheten", "myndigheter", "myndigheterna"},
		{"område", "området", "områden", "områdena"},
		{"sandlåda", "sandlådan", "sandlådor"},
		{"samtycke", "samtycket"},
		{"integritet", "integriteten"},
		{"arbete", "arbetet", "arbeten"},
	}
	for _, g := range groups {
		want := a.Terms(g[0])
		for _, w := range g[1:] {
			if diff := cmp.Diff(want, a.Terms(w)); diff != "" {
				t.Errorf("Terms(%q) differs from Terms(%q) (-%s +%s):\n%s", w, g[0], g[0], w, diff)
			}
		}
	}
}

func TestCompoundMeetsPhrase(t *testing.T) {
	a := newTestAnalyzer()
	tests := []struct{ doc, query string }{
		{"personuppgiftsbehandling", "behandling av personuppgifter"},
		{"dataskyddsförordningen", "förordningen om dataskydd"},
		{"integritetsskyddsmyndigheten", "myndigheten för integritetsskydd"},
		{"innovationsaktörer", "aktörer inom innovation"},
	}
	for _, tt := range tests {
		doc := a.TermFreqs(tt.doc)
		shared := 0
		for t := range a.TermFreqs(tt.query) {
			if doc[t] > 0 {
				shared++
			}
		}
		if shared < 2 {
			t.Errorf("%q and %q share %d terms, want ≥ 2: %q vs %q", tt.doc, tt.query, shared, a.Terms(tt.doc), a.Terms(tt.query))
		}
	}
}

func TestSplit(t *testing.T) {
	lex := swedishLex()
	tests := []struct {
		word string
		want []string
	}{
		{"personuppgiftsbehandling", []string{"personuppgift", "behandling"}},
		{"personuppgiftsbehandlingen", []string{"personuppgift", "behandling"}},
		{"dataskyddsförordningen", []string{"dataskyd", "förordning", "dat", "skydd"}},
		{"integritetsskyddsmyndigheten", []string{"integritetsskyd", "mynd", "integritet", "skydd"}},
		{"innovationsaktörer", []string{"innovation", "aktör"}},
		{"teknikutvecklingsområden", []string{"teknikutveckling", "områd"}},
		{"sandlådeprojekt", []string{"sandlåd", "projek"}},
		{"informationssäkerhet", []string{"information", "säker"}},
		{"dataskyddslagen", []string{"dataskyd", "lag", "dat", "skydd"}},
		{"felsökning", []string{"fel", "sökning"}},
		{"informationskälla", []string{"information", "käll"}},
		{"rundabordssamtal", []string{"rund", "bord", "samtal"}},
		{"Tillsynsmyndigheten", []string{"tillsyn", "mynd"}},
		// Not compounds, or lexicalized ones that must stay whole.
		{"regeringen", nil},
		{"förordning", nil},
		{"förordningen", nil},
		{"information", nil},
		{"myndigheter", nil},
		{"handlingar", nil},
		{"uppgifter", nil},
		{"gällande", nil},
		{"digitalisering", nil},
		{"pseudonymisering", nil},
		{"andersson", nil},
		{"uppstarten", nil},
		{"data", nil},
		{"2018:218", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, lex.Split(tt.word)); diff != "" {
			t.Errorf("Split(%q) mismatch (-want +got):\n%s", tt.word, diff)
		}
	}
}

func TestNoLexicon(t *testing.T) {
	a := New(Options{})
	if diff := cmp.Diff([]string{"personuppgiftsbehandling"}, a.Terms("personuppgiftsbehandlingen")); diff != "" {
		t.Errorf("without a lexicon (-want +got):\n%s", diff)
	}
	var nilLex *Lexicon
	if got := nilLex.Split("personuppgiftsbehandling"); got != nil {
		t.Errorf("nil Lexicon Split = %q", got)
	}
}

func TestLexiconAddWordsAndLoad(t *testing.T) {
	lex := NewLexicon()
	if got := lex.Split("bilverkstadsdörren"); got != nil {
		t.Fatalf("empty lexicon split %q", got)
	}
	// ISO-8859-1, as Debian ships /usr/share/dict/swedish: "dörr" is
	// d 0xF6 r r. "Stockholm" is a proper noun and skipped.
	if err := lex.LoadWordList(strings.NewReader("bil\nverkstad\nd\xf6rr\nStockholm\n# comment\n")); err != nil {
		t.Fatal(err)
	}
	if !lex.Contains("dörr") || lex.Contains("stockholm") {
		t.Errorf("Contains(dörr) = %v, Contains(stockholm) = %v", lex.Contains("dörr"), lex.Contains("stockholm"))
	}
	a := New(Options{Lexicon: lex})
	if diff := cmp.Diff([]string{"bilverkstadsdörr", "bil", "verkst", "dörr"}, a.Terms("bilverkstadsdörren")); diff != "" {
		t.Errorf("before AddWords (-want +got):\n%s", diff)
	}
	// A word added from the corpus (and its stem) becomes a part, and the
	// caches forget what they knew.
	lex.AddWords("Bilverkstaden")
	if diff := cmp.Diff([]string{"bilverkstadsdörr", "bilverkst", "dörr", "bil", "verkst"}, a.Terms("bilverkstadsdörren")); diff != "" {
		t.Errorf("after AddWords (-want +got):\n%s", diff)
	}
	// A dictionary word is never split.
	if err := lex.LoadWordList(strings.NewReader("bilverkstadsdörr\n")); err != nil {
		t.Fatal(err)
	}
	if got := lex.Split("bilverkstadsdörren"); got != nil {
		t.Errorf("lexicalized word split into %q", got)
	}
}

func TestStopwords(t *testing.T) {
	a := newTestAnalyzer()
	for _, w := range []string{"och", "att", "Det", "för", "OCH"} {
		if !a.IsStopword(w) {
			t.Errorf("IsStopword(%q) = false", w)
		}
	}
	for _, w := range []string{"dataskydd", "2018:218", "e", "gdpr"} {
		if a.IsStopword(w) {
			t.Errorf("IsStopword(%q) = true", w)
		}
	}
	if n := len(stopwords); n != 114 {
		t.Errorf("%d stopwords, want the 114 of the Snowball list", n)
	}
}

func TestTermFreqsMatchesTerms(t *testing.T) {
	a := newTestAnalyzer()
	text := corpusText(t)
	want := map[string]int{}
	for _, term := range a.Terms(text) {
		want[term]++
	}
	if diff := cmp.Diff(want, a.TermFreqs(text)); diff != "" {
		t.Errorf("TermFreqs differs from counting Terms (-want +got):\n%s", diff)
	}
}

// TestConcurrent runs one Analyzer from many goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	text := corpusText(t)
	cs := chunks(text, 1500)
	want := make([]map[string]int, len(cs))
	serial := New(Options{Lexicon: swedishLex()})
	for i, c := range cs {
		want[i] = serial.TermFreqs(c)
	}
	a := New(Options{Lexicon: NewSwedishLexicon(), CacheSize: 512}) // small: exercises eviction
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for k := range cs {
				i := (k + g*7) % len(cs)
				if !cmp.Equal(want[i], a.TermFreqs(cs[i])) {
					t.Errorf("chunk %d: concurrent TermFreqs differs", i)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCorpusTermsValid(t *testing.T) {
	a := newTestAnalyzer()
	for _, term := range a.Terms(corpusText(t)) {
		if term == "" || !utf8.ValidString(term) || strings.ContainsAny(term, " \t\n") {
			t.Fatalf("bad term %q", term)
		}
	}
}

func FuzzTerms(f *testing.F) {
	for _, s := range []string{
		"personuppgiftsbehandling enligt artikel 6.1 e GDPR",
		"DI-2021-5817 N2021/01266 95/46/EG C-311/18 2017/18:KU23",
		"IMY:s AI-förordningen e-post integritets- och",
		"A\u030angström \u00ad\u2011 \xff\xfe 1,5 10.30",
		"sandlådeprojektet dataskyddsförordningens innovationsaktörernas",
	} {
		f.Add(s)
	}
	a := newTestAnalyzer()
	f.Fuzz(func(t *testing.T, s string) {
		terms := a.Terms(s)
		tf := a.TermFreqs(s)
		n := 0
		for _, term := range terms {
			if term == "" || !utf8.ValidString(term) {
				t.Fatalf("bad term %q from %q", term, s)
			}
		}
		for _, c := range tf {
			n += c
		}
		if n != len(terms) {
			t.Fatalf("TermFreqs counts %d terms, Terms returns %d", n, len(terms))
		}
		for _, tk := range a.Tokens(s) {
			if tk.Text == "" || !utf8.ValidString(tk.Text) || tk.Start < 0 || tk.End > len(s) || tk.Start >= tk.End {
				t.Fatalf("bad token %+v from %q", tk, s)
			}
		}
	})
}

func TestSwedishLexicon(t *testing.T) {
	lex := swedishLex()
	if n := lex.Len(); n < 100_000 {
		t.Errorf("Swedish lexicon has %d words, want > 100,000 (is wordlist.txt generated?)", n)
	}
	for _, w := range []string{"förordning", "myndigheten", "personuppgifter", "dataskydd"} {
		if !lex.Contains(w) {
			t.Errorf("Contains(%q) = false", w)
		}
	}
	// The embedded list is generated: sorted, lowercase, NFC, letters only.
	prev := ""
	for line := range strings.Lines(wordlistTxt) {
		w := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(w, "#") {
			continue
		}
		if w <= prev || w != strings.ToLower(w) || !lettersOnly(w) {
			t.Fatalf("wordlist.txt: %q after %q: not sorted, lowercase letters", w, prev)
		}
		prev = w
	}
}
