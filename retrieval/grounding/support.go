package grounding

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imy/imyrag/retrieval/analyze"
)

// Lexical support.
//
// A sentence's informative terms are its analyzed terms (stems, compound
// parts, identifiers and numbers whole) minus Swedish and English stopwords,
// one per distinct token. Each has a weight that stands in for IDF, which a
// single answer cannot estimate:
//
//   - numbers and identifiers ("2018:218", "DI-2021-5817", "6.1"): numWeight;
//   - names: acronyms and capitalised words ("GDPR", "Vinnova"; see
//     isName): nameWeight;
//   - words that any answer uses to frame or join claims ("enligt",
//     "gäller", "framgår", "sammanfattningsvis"): genericWeight;
//   - other words by the length of their stem, from 0.8 for three letters
//     or fewer, 0.17 more a letter, to 2 for eleven letters or more: longer
//     words are rarer and carry more meaning.
//
// A term found among the passages' terms counts fully. A word that is not
// may still count in part: a compound by the share of its parts that are
// found ("personuppgiftsbehandling" against "behandling av personuppgifter")
// times partCredit, and a long word that shares a long prefix with a passage
// term ("utvecklas" and "utveckling") prefixCredit. A number written with
// other separators counts when its digit groups occur in a row in a passage
// ("DI-2021-5817" against "dnr 2021-5817"); "6(1)" is read as "6.1" and
// thousands separators are ignored ("1 000" = "1000"). Names must be found
// whole. Any term counts when a passage has another name of the same thing
// (see aliases: "IMY" for "Integritetsskyddsmyndigheten").
//
// The support is the found share of the weights, multiplied by
// missingNumberFactor for every number or identifier and by
// missingNameFactor for every name that no passage has: a sentence that
// gets a date, a case number, an amount or an authority wrong is not
// supported however many of its words the passage shares. IMY's own names
// are ordinary words (see selfNames).
const (
	numWeight           = 3.0
	nameWeight          = 2.0
	genericWeight       = 0.3
	partCredit          = 0.8
	prefixCredit        = 0.6
	minPrefixRunes      = 6
	missingNumberFactor = 0.4
	missingNameFactor   = 0.5
)

type termKind uint8

const (
	wordTerm termKind = iota
	nameTerm
	numberTerm
)

// sterm is one informative term of a sentence.
type sterm struct {
	kind   termKind
	key    string   // stem, or the number or identifier as written (lowercased)
	parts  []string // compound parts, for words
	digits []string // digit groups, for numbers and identifiers
	weight float64
}

// sentenceTerms is a sentence analyzed for scoring.
type sentenceTerms struct {
	terms []sterm
	lang  string // "sv", "en" or "" when unclear
	a     *analyze.Analyzer
}

// passageIndex is a passage analyzed for scoring.
type passageIndex struct {
	terms  map[string]bool
	byLen  []string // terms of minPrefixRunes runes or more, for prefix matches
	digits []string // digit groups of the numbers and identifiers, in order
	lang   string
}

var (
	// englishStopwords are dropped like the Swedish ones, so that an
	// English sentence is scored on its content words. A few are Swedish
	// words too ("is", "be", "not"), too rare in IMY's texts to matter.
	englishStopwords = set(`the a an and or of to in on at by with from as into onto about than then so if is be for not
		it its this that these those there their they them he she his her we our you your i me my
		are was were been being am has have had do does did doing
		can could should would may might must shall will which who whom whose what when where why how
		any all each other some such only own same also very just
		no nor but because while until over again further once here both few more most
		according`)
	// genericWords frame a claim or join sentences in any answer; their
	// stems weigh little.
	genericWords = `enligt gäller gälla gällande finns finnas framgår framgå anger ange ska skall bör
		måste får även också dessutom exempelvis exempel annat olika viktigt viktig sätt del
		genom flera många mer ny nya göra gör behöver innebär innebära därför samt både
		alltså särskilt fall används använda använder tar visar visa säger nämner beskriver
		skriver anser menar kräver krävs betonar lyfter fram vidare kommer
		sammanfattningsvis följande nedan ovan kort sagt slutsats nämligen ja nej
		states state stated says say mentions mention describes describe notes note include includes
		including example important various way part need needs use used make made
		summary summarize following below above short conclusion namely yes`
	genericStems = map[string]bool{}

	// selfNames name IMY, the author of most sources, whose passages say
	// "vi" where an answer says "IMY". They count as ordinary words: a
	// passage without them is not evidence of a wrong attribution.
	selfNames = map[string]bool{"imy": true, analyze.Stem("integritetsskyddsmyndigheten"): true}
	// aliases are names of the same body or act; a name counts as found
	// when a passage has another name of its group.
	aliases = [][]string{
		{"IMY", "Integritetsskyddsmyndigheten", "Datainspektionen"},
		{"GDPR", "dataskyddsförordningen", "DSF"},
		{"EU", "unionen"},
	}
)

func init() {
	for _, w := range strings.Fields(genericWords) {
		genericStems[analyze.Stem(w)] = true
	}
}

// wordWeight weighs a word stem by its length.
func wordWeight(stem string) float64 {
	if genericStems[stem] {
		return genericWeight
	}
	n := utf8.RuneCountInString(stem)
	return min(2, max(0.8, 0.8+float64(n-3)*0.17))
}

// normalizeNumbers joins thousands groups ("1 000 000" → "1000000") and
// writes a paragraph number in parentheses after a number with a period
// ("6(1)" → "6.1"), so that both ways of writing a number give the same
// token.
func normalizeNumbers(s string) string {
	if !strings.ContainsAny(s, " \u00a0\u202f(") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		if s[i] == '(' && i > 0 && isDigit(s[i-1]) {
			d := i + 1
			for d < len(s) && d-i <= 3 && isDigit(s[d]) {
				d++
			}
			if d > i+1 && d < len(s) && s[d] == ')' {
				b.WriteByte('.')
				b.WriteString(s[i+1 : d])
				i = d + 1
				continue
			}
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if (r == ' ' || r == '\u00a0' || r == '\u202f') && i > 0 && isDigit(s[i-1]) &&
			i+w+3 <= len(s) && isDigit(s[i+w]) && isDigit(s[i+w+1]) && isDigit(s[i+w+2]) &&
			(i+w+3 == len(s) || !isDigit(s[i+w+3])) && thousandsGroupBefore(s, i) {
			i += w
			continue
		}
		b.WriteString(s[i : i+w])
		i += w
	}
	return b.String()
}

// thousandsGroupBefore reports whether the digits ending at s[i] are a
// number of one to three digits or a group of three after a separator.
func thousandsGroupBefore(s string, i int) bool {
	d := i
	for d > 0 && isDigit(s[d-1]) {
		d--
	}
	n := i - d
	if n == 0 || n > 3 {
		return false
	}
	return d == 0 || !(s[d-1] == '.' || s[d-1] == ',' || s[d-1] == ':' || s[d-1] == '/' || s[d-1] == '-')
}

// digitGroups returns the runs of digits in s.
func digitGroups(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// newSentenceTerms analyzes a sentence (citation markers already removed).
func newSentenceTerms(text string, a *analyze.Analyzer) *sentenceTerms {
	text = normalizeNumbers(stripBullet(text))
	st := &sentenceTerms{a: a}
	seen := map[string]int{}
	sv, en := 0, 0
	toks := a.Tokens(text)
	for i, tk := range toks {
		var t sterm
		switch tk.Kind {
		case analyze.Number, analyze.Identifier:
			t = sterm{kind: numberTerm, key: tk.Text, digits: digitGroups(tk.Text), weight: numWeight}
		default:
			if analyze.IsStopword(tk.Text) {
				sv++
				continue
			}
			if englishStopwords[tk.Text] {
				en++
				continue
			}
			terms := a.Terms(tk.Text)
			if len(terms) == 0 {
				continue
			}
			t = sterm{kind: wordTerm, key: terms[0], parts: terms[1:], weight: wordWeight(terms[0])}
			if isName(text, toks, i, a) && !selfNames[t.key] {
				t.kind, t.weight = nameTerm, nameWeight
			}
		}
		if j, ok := seen[t.key]; ok {
			if t.weight > st.terms[j].weight {
				st.terms[j] = t
			}
			continue
		}
		seen[t.key] = len(st.terms)
		st.terms = append(st.terms, t)
	}
	st.lang = language(sv, en)
	return st
}

// language guesses the language from counts of Swedish and English
// function words.
func language(sv, en int) string {
	switch {
	case en >= 2 && 2*en > 3*sv:
		return "en"
	case sv >= 2 && 2*sv > 3*en:
		return "sv"
	}
	return ""
}

// isName reports whether toks[i], a word, is a name: an acronym, or a
// capitalised word. A capitalised word where any word may be (see opens) is
// a name only when the lexicon does not know it or its stem and cannot
// split it ("Vinnova", "Sverige"; not "Teknik", "Innovationsaktörerna").
func isName(text string, toks []analyze.Token, i int, a *analyze.Analyzer) bool {
	w := text[toks[i].Start:toks[i].End]
	if isAcronym(w) {
		return true
	}
	if !firstLetterUpper(w) {
		return false
	}
	if !opens(text, toks, i) {
		return true
	}
	lex := a.Lexicon()
	if lex == nil {
		return false
	}
	low := toks[i].Text
	return !lex.Contains(low) && !lex.Contains(analyze.Stem(low)) && len(lex.Split(low)) == 0
}

// opens reports whether toks[i] opens the text, a line or a sentence, or
// follows a colon, a dash, a bullet or a quotation mark: a place where any
// word may be capitalised.
func opens(text string, toks []analyze.Token, i int) bool {
	return i == 0 || strings.ContainsAny(text[toks[i-1].End:toks[i].Start], ".:!?•–\n\"”„“«»")
}

// isAcronym reports a word of two or more letters written in capitals:
// "IMY", "GDPR", "EU".
func isAcronym(w string) bool {
	n := 0
	for _, r := range w {
		if unicode.IsLetter(r) {
			if !unicode.IsUpper(r) {
				return false
			}
			n++
		}
	}
	return n >= 2
}

// newPassageIndex analyzes a passage.
func newPassageIndex(text string, a *analyze.Analyzer) *passageIndex {
	text = normalizeNumbers(text)
	p := &passageIndex{terms: map[string]bool{}}
	sv, en := 0, 0
	for _, tk := range a.Tokens(text) {
		switch tk.Kind {
		case analyze.Number, analyze.Identifier:
			p.digits = append(p.digits, digitGroups(tk.Text)...)
		default:
			if analyze.IsStopword(tk.Text) {
				sv++
			} else if englishStopwords[tk.Text] {
				en++
			}
		}
	}
	for _, t := range a.Terms(text) {
		if !p.terms[t] {
			p.terms[t] = true
			if utf8.RuneCountInString(t) >= minPrefixRunes {
				p.byLen = append(p.byLen, t)
			}
		}
	}
	p.lang = language(sv, en)
	return p
}

// Support scores how well passages support sentence lexically, in [0, 1]:
// the weighted share of the sentence's informative analyzed terms found in
// the passages, lowered sharply for every number, identifier or name that
// no passage has (see the weights above). Citation markers in the sentence
// are ignored. A sentence without informative terms has support 0.
// Deterministic; adding a passage never lowers the score.
func Support(sentence string, passages []string, a *analyze.Analyzer) float64 {
	if a == nil {
		a = analyze.Default()
	}
	idx := make([]*passageIndex, len(passages))
	for i, p := range passages {
		idx[i] = newPassageIndex(p, a)
	}
	return newSentenceTerms(StripCitations(sentence), a).support(idx)
}

// support scores the sentence against the union of the passages.
func (st *sentenceTerms) support(idx []*passageIndex) float64 {
	var total, found float64
	penalty := 1.0
	for _, t := range st.terms {
		c := st.credit(t, idx)
		total += t.weight
		found += t.weight * c
		if c == 0 {
			switch t.kind {
			case numberTerm:
				penalty *= missingNumberFactor
			case nameTerm:
				penalty *= missingNameFactor
			}
		}
	}
	if total == 0 {
		return 0
	}
	return min(1, found/total*penalty)
}

// credit is how much of term t the passages have, in [0, 1].
func (st *sentenceTerms) credit(t sterm, idx []*passageIndex) float64 {
	has := func(term string) bool {
		for _, p := range idx {
			if p.terms[term] {
				return true
			}
		}
		return false
	}
	if has(t.key) {
		return 1
	}
	for _, group := range aliases {
		if !slices.ContainsFunc(group, func(n string) bool { return st.stem(n) == t.key }) {
			continue
		}
		for _, n := range group {
			if has(st.stem(n)) {
				return 1
			}
		}
	}
	switch t.kind {
	case numberTerm:
		for _, p := range idx {
			if p.hasDigitRun(t.digits) {
				return 1
			}
		}
		return 0
	case nameTerm:
		return 0
	}
	best := 0.0
	if len(t.parts) > 0 {
		n := 0
		for _, part := range t.parts {
			if has(part) {
				n++
			}
		}
		best = partCredit * float64(n) / float64(len(t.parts))
	}
	if best < prefixCredit && utf8.RuneCountInString(t.key) >= minPrefixRunes {
		for _, p := range idx {
			if p.hasPrefixMatch(t.key) {
				best = prefixCredit
				break
			}
		}
	}
	return best
}

// stem returns the first analyzed term of a word.
func (st *sentenceTerms) stem(word string) string {
	if terms := st.a.Terms(word); len(terms) > 0 {
		return terms[0]
	}
	return ""
}

// hasDigitRun reports whether the digit groups want, two or more, occur in
// a row among the passage's numbers, across token boundaries ("6.1" in
// "6(1)"). A single group must match as a term.
func (p *passageIndex) hasDigitRun(want []string) bool {
	if len(want) < 2 {
		return false
	}
	flat := p.digits
	for i := 0; i+len(want) <= len(flat); i++ {
		ok := true
		for j, w := range want {
			if flat[i+j] != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// hasPrefixMatch reports a passage term that shares with stem a prefix of at
// least minPrefixRunes runes and 80% of the shorter of the two.
func (p *passageIndex) hasPrefixMatch(stem string) bool {
	for _, t := range p.byLen {
		n := commonPrefixRunes(stem, t)
		if n >= minPrefixRunes && 5*n >= 4*min(utf8.RuneCountInString(stem), utf8.RuneCountInString(t)) {
			return true
		}
	}
	return false
}

func commonPrefixRunes(a, b string) int {
	n := 0
	for a != "" && b != "" {
		ra, wa := utf8.DecodeRuneInString(a)
		rb, wb := utf8.DecodeRuneInString(b)
		if ra != rb {
			break
		}
		n++
		a, b = a[wa:], b[wb:]
	}
	return n
}
