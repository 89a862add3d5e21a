package analyze

//go:generate go run gen_wordlist.go -in /usr/share/dict/swedish -out wordlist.txt

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"
)

//go:embed domain.txt
var domainTxt string

// Compound splitting limits.
const (
	minCompoundRunes = 8   // shorter words are never split
	maxCompoundRunes = 40  // longer ones are junk and never split
	splitBudget      = 600 // most candidate parts tried per word: bounds the work on junk
	minPartRunes     = 3   // a part has at least this many letters
	maxParts         = 4   // a split has at most this many parts
	maxSplitDepth    = 2   // how deep parts are split again
	splitCacheSize   = 1 << 16
)

// Lexicon is the set of words that compound parts must come from. Words are
// of two sorts:
//
//   - dictionary words (LoadWordList, and the embedded Swedish list of
//     NewSwedishLexicon) are parts, and are also taken as lexicalized: a word
//     that is itself in the dictionary is never split, so "förordning" stays
//     whole although "för" and "ordning" are words;
//   - added words (AddWords: the indexed corpus's vocabulary, domain terms)
//     are parts only, so that "integritetsskydd" can be the head of
//     "integritetsskyddsmyndigheten" and still be split into "integritet" +
//     "skydd" itself.
//
// Adding words changes how later text is split, so index and query must see
// the same lexicon: build it before indexing, or re-analyze after adding.
// A Lexicon is safe for concurrent use.
type Lexicon struct {
	base *wordSet // shared, immutable: the embedded list; may be nil

	mu    sync.RWMutex
	words map[string]bool // true: lexicalized (dictionary) word
	gen   atomic.Uint64   // bumped on every change; invalidates caches
	cache *termCache      // Split results
}

type wordSet struct {
	m map[string]struct{}
}

// NewLexicon returns an empty lexicon.
func NewLexicon() *Lexicon {
	return &Lexicon{words: make(map[string]bool), cache: newTermCache(splitCacheSize)}
}

// NewSwedishLexicon returns a lexicon of the embedded Swedish word list
// (generated from Debian's wswedish list, about 117,000 word forms, loaded
// once per process and shared) plus a few IMY domain terms as parts. Add the
// corpus's words with AddWords.
func NewSwedishLexicon() *Lexicon {
	l := NewLexicon()
	l.base = embeddedWords()
	for line := range strings.Lines(domainTxt) {
		if w := strings.TrimSpace(line); w != "" && !strings.HasPrefix(w, "#") {
			l.words[w] = false
		}
	}
	return l
}

var (
	embeddedOnce sync.Once
	embedded     *wordSet
)

// embeddedWords parses the embedded word list once. The words are substrings
// of the embedded string: loading copies nothing.
func embeddedWords() *wordSet {
	embeddedOnce.Do(func() {
		ws := &wordSet{m: make(map[string]struct{}, 120_000)}
		for line := range strings.Lines(wordlistTxt) {
			w := strings.TrimSuffix(line, "\n")
			if w != "" && w[0] != '#' {
				ws.m[w] = struct{}{}
			}
		}
		embedded = ws
	})
	return embedded
}

// Len returns the number of distinct words in the lexicon (dictionary and
// added; a word in both counts twice).
func (l *Lexicon) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := len(l.words)
	if l.base != nil {
		n += len(l.base.m)
	}
	return n
}

// AddWords adds words that compounds may be made of (not lexicalized: see
// Lexicon). Each word is lowercased; its stem is added too, so that the
// corpus form "integritetsskyddet" lets "integritetsskydd" be a part. Words
// with anything but letters, or shorter than three letters, are ignored.
func (l *Lexicon) AddWords(words ...string) {
	type pair struct{ w, stem string }
	add := make([]pair, 0, len(words))
	for _, w := range words {
		w = strings.ToLower(strings.TrimSpace(w))
		if !lettersOnly(w) || utf8.RuneCountInString(w) < minPartRunes {
			continue
		}
		add = append(add, pair{w, Stem(w)})
	}
	if len(add) == 0 {
		return
	}
	l.mu.Lock()
	changed := false
	for _, p := range add {
		for _, w := range []string{p.w, p.stem} {
			if utf8.RuneCountInString(w) < minPartRunes || l.hasLocked(w) {
				continue
			}
			l.words[w] = false
			changed = true
		}
	}
	l.mu.Unlock()
	if changed {
		l.changed()
	}
}

// LoadWordList adds the dictionary words of r, one a line, in UTF-8 or
// ISO-8859-1 (detected: Debian's /usr/share/dict/swedish is ISO-8859-1).
// Entries that start with an upper-case letter (proper nouns), contain
// anything but letters, or are empty or start with '#' are skipped.
func (l *Lexicon) LoadWordList(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read word list: %w", err)
	}
	if !utf8.Valid(raw) {
		out := make([]byte, 0, len(raw)+len(raw)/8)
		for _, c := range raw {
			out = utf8.AppendRune(out, rune(c))
		}
		raw = out
	}
	var words []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w == "" || w[0] == '#' {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(w); unicode.IsUpper(r) || !lettersOnly(w) {
			continue
		}
		words = append(words, strings.ToLower(w))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read word list: %w", err)
	}
	l.mu.Lock()
	for _, w := range words {
		l.words[w] = true
	}
	l.mu.Unlock()
	l.changed()
	return nil
}

func (l *Lexicon) changed() {
	l.gen.Add(1)
	l.cache.reset()
}

func lettersOnly(w string) bool {
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// hasLocked reports whether w is a word; l.mu must be held.
func (l *Lexicon) hasLocked(w string) bool {
	if l.base != nil {
		if _, ok := l.base.m[w]; ok {
			return true
		}
	}
	_, ok := l.words[w]
	return ok
}

// lookup reports whether b is a word and whether it is lexicalized; l.mu
// must be held. It does not allocate.
func (l *Lexicon) lookup(b []byte) (found, lexicalized bool) {
	if l.base != nil {
		if _, ok := l.base.m[string(b)]; ok {
			return true, true
		}
	}
	lex, ok := l.words[string(b)]
	return ok, lex
}

// Contains reports whether word (lowercase) is in the lexicon.
func (l *Lexicon) Contains(word string) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.hasLocked(word)
}

// Split returns the stems of the parts of a compound word, or nil when word
// is not a compound the lexicon can explain. word is lowercased first.
//
// The result lists the parts ("personuppgiftsbehandlingen" →
// "personuppgift", "behandling"), then the parts of parts that are
// compounds themselves ("integritetsskyddsmyndigheten" → "integritetsskyd",
// "mynd", "integritet", "skydd": Snowball stems). The split chosen has the
// fewest parts, then the fewest unusual joints, then the longest first part.
// Parts have at least three letters, and at most one has exactly three. A
// part before the last may end in a linking -s- or have its final vowel
// changed or dropped (sandlåde- from sandlåda, flick- from flicka); the last
// part carries the inflection. Words of fewer than 8 or more than 40
// letters, dictionary words, and words whose splitting takes too long (junk)
// are not split. Results are memoized; the returned slice must not be
// modified.
func (l *Lexicon) Split(word string) []string {
	if l == nil {
		return nil
	}
	return l.split(strings.ToLower(word))
}

// split memoizes computeSplit. Recursion (parts of parts) ends because every
// part before the last is shorter than the word by at least two letters.
func (l *Lexicon) split(word string) []string {
	gen := l.gen.Load()
	key := []byte(word)
	if terms, ok := l.cache.get(key, gen); ok {
		return terms
	}
	terms := l.computeSplit(word)
	l.cache.put(key, terms, gen)
	return terms
}

// A part of a compound: w[start:end], whose lemma is w[start:lemmaEnd]+suffix.
type part struct {
	start, end int
	lemmaEnd   int
	suffix     string
}

func (p part) lemma(w string) string {
	if p.suffix == "" {
		return w[p.start:p.lemmaEnd]
	}
	return w[p.start:p.lemmaEnd] + p.suffix
}

func (l *Lexicon) computeSplit(w string) []string {
	parts := l.decompose(w)
	if len(parts) < 2 {
		return nil
	}
	terms := make([]string, 0, 2*len(parts))
	lemmas := make([]string, len(parts))
	for i, p := range parts {
		lemmas[i] = p.lemma(w)
		terms = appendUnique(terms, Stem(lemmas[i]))
	}
	for _, lemma := range lemmas[:len(lemmas)-1] {
		for _, t := range l.split(lemma) {
			terms = appendUnique(terms, t)
		}
	}
	return terms
}

func appendUnique(ss []string, s string) []string {
	for _, x := range ss {
		if x == s {
			return ss
		}
	}
	return append(ss, s)
}

// headBlock lists words that never start or continue a compound as a head:
// verb particles and prefixes that make lexicalized derivations ("förslag",
// "uppgift", "tillstånd", "överföring"), besides the stopwords.
var headBlock = map[string]bool{
	"för": true, "före": true, "upp": true, "till": true, "över": true, "under": true,
	"mot": true, "fram": true, "bort": true, "genom": true, "efter": true, "med": true,
	"vid": true, "åter": true, "sam": true, "miss": true, "bi": true, "in": true, "ut": true,
	"av": true, "an": true, "be": true, "om": true, "på": true, "ur": true, "hem": true,
	"ner": true, "ned": true, "isär": true, "emot": true, "ihop": true, "iväg": true,
	"uppe": true, "ute": true, "inne": true, "ave": true, "ande": true, "ende": true, "isa": true,
}

// tailBlock lists endings that look like words but are inflection or
// derivation suffixes when they end a word ("myndig|heter", "gäll|ande").
var tailBlock = map[string]bool{
	"ens": true, "ets": true, "ers": true, "ars": true, "ors": true, "ern": true, "erna": true,
	"arna": true, "orna": true, "ernas": true, "arnas": true, "ornas": true, "ande": true,
	"anden": true, "andet": true, "andes": true, "ende": true, "lig": true, "liga": true,
	"ligt": true, "ligen": true, "else": true, "isk": true, "iska": true, "iskt": true,
	"are": true, "aren": true, "ares": true, "ast": true, "aste": true, "ade": true,
	"ades": true, "ats": true, "ing": true, "inga": true, "inget": true, "ingen": true,
	"ning": true, "ningen": true, "ningar": true, "skap": true, "dom": true, "domen": true,
	"tion": true, "ism": true, "ist": true, "ister": true, "ering": true, "erade": true,
	"ena": true, "ene": true, "ter": true, "tet": true, "het": true, "eras": true, "ale": true,
}

func blockedPart(w string) bool {
	if _, ok := stopwords[w]; ok {
		return true
	}
	return false
}

func blockedTail(w string) bool {
	return tailBlock[w] || strings.HasPrefix(w, "het") || strings.HasPrefix(w, "ring") || blockedPart(w)
}

func blockedHead(w string) bool {
	return headBlock[w] || blockedPart(w)
}

// head reports whether h can be a non-final part of a compound, and how its
// lemma is formed: h[:end]+suffix. variant reports a head that is less
// likely than another reading: a changed vowel, a linking -s- after a word
// that does not usually take one (fels|ökning rather than fel|sökning), or
// no -s- after one that does (information|skälla rather than
// informations|källa). l.mu must be held. buf is scratch space.
func (l *Lexicon) head(h string, buf *[]byte) (end int, suffix string, variant, ok bool) {
	end, suffix, ok = l.headLemma(h, buf)
	if !ok {
		return 0, "", false, false
	}
	switch {
	case suffix != "" && end == len(h)-1: // arbets- (arbete)
		variant = false
	case suffix != "" || end < len(h)-1:
		variant = true // a vowel changed or dropped
	case end == len(h)-1: // linking -s-
		variant = !l.takesLinkingS(h[:end])
	default:
		variant = l.takesLinkingS(h)
	}
	return end, suffix, variant, true
}

// takesLinkingS reports whether a compound head like w is normally followed
// by a linking -s-: words ending in -tion, -het, -ing and the like
// (informations-, myndighets-, behandlings-), and heads that are compounds
// themselves (dataskydds-, integritetsskydds-), taken to be the long words
// the dictionary does not list. l.mu must be held.
func (l *Lexicon) takesLinkingS(w string) bool {
	if utf8.RuneCountInString(w) >= minCompoundRunes {
		if _, lex := l.lookup([]byte(w)); !lex {
			return true
		}
	}
	for _, suf := range [...]string{"tion", "het", "ing", "else", "nad", "skap", "dom", "tet", "ion"} {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

func (l *Lexicon) headLemma(h string, buf *[]byte) (end int, suffix string, ok bool) {
	if len(h) < minPartRunes || utf8.RuneCountInString(h) < minPartRunes || blockedHead(h) {
		return 0, "", false
	}
	try := func(stem, add string) bool {
		if utf8.RuneCountInString(stem)+utf8.RuneCountInString(add) < minPartRunes {
			return false
		}
		b := append(append((*buf)[:0], stem...), add...)
		*buf = b
		found, _ := l.lookup(b)
		return found && !blockedHead(string(b))
	}
	last := h[len(h)-1]
	body := h[:len(h)-1]
	// A final s is taken as a linking -s- when what precedes it is a word
	// (the dictionary lists genitives too: "säkerhets" is the head
	// "säkerhet").
	if last == 's' && body != "" && body[len(body)-1] != 's' {
		if try(body, "") {
			return len(body), "", true
		}
		if try(body, "e") { // arbets- (arbete)
			return len(body), "e", true
		}
	}
	if try(h, "") {
		return len(h), "", true
	}
	switch last {
	case 'e', 'o', 'u': // sandlåde- (sandlåda), kvinno- (kvinna), gatu- (gata)
		if try(body, "a") {
			return len(body), "a", true
		}
	}
	if utf8.RuneCountInString(h) >= 4 && !isVowel(last) {
		// dropped final vowel: flick- (flicka), pojk- (pojke)
		if try(h, "a") {
			return len(h), "a", true
		}
		if try(h, "e") {
			return len(h), "e", true
		}
	}
	return 0, "", false
}

// lexicalized reports whether w, or w less a genitive s, or its stem, is a
// dictionary word: such words are never split. l.mu must be held.
func (l *Lexicon) lexicalized(w string) bool {
	if _, lex := l.lookup([]byte(w)); lex {
		return true
	}
	if n := len(w); n > 1 && w[n-1] == 's' {
		if _, lex := l.lookup([]byte(w[:n-1])); lex {
			return true
		}
	}
	_, lex := l.lookup([]byte(Stem(w)))
	return lex
}

// tail reports whether t can end a compound: a word as written, or one
// whose stem is a word (AddWords adds stems, so "skålen" ends a compound
// once "skål" is known). l.mu must be held.
func (l *Lexicon) tail(t string) bool {
	if found, _ := l.lookup([]byte(t)); found {
		return true
	}
	st := Stem(t)
	if st == t || utf8.RuneCountInString(st) < minPartRunes || blockedTail(st) {
		return false
	}
	found, _ := l.lookup([]byte(st))
	return found
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return c >= 0x80 // å, ä, ö (their last UTF-8 byte) and the like
}

// decompose finds the best split of w into lexicon parts: fewest parts, then
// the longest first part. It returns nil when w is no compound.
func (l *Lexicon) decompose(w string) []part {
	n := utf8.RuneCountInString(w)
	if n < minCompoundRunes || n > maxCompoundRunes || !lettersOnly(w) {
		return nil
	}
	// pos[k] is the byte offset of rune k; pos[n] == len(w).
	var posArr [maxCompoundRunes + 1]int
	pos := posArr[:0]
	for i := range w {
		pos = append(pos, i)
	}
	pos = append(pos, len(w))

	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.lexicalized(w) {
		return nil
	}

	// A split is better with fewer parts, then with fewer heads that needed
	// a linking -s- or a changed vowel (fel|sökning, not fels|ökning), then
	// with a longer first part (sjukhus|vård, not sjuk|husvård).
	type state struct {
		ok       bool
		count    int
		variants int
		short    int // parts of minPartRunes runes
		first    int // runes in the first part
		prev     int
		lemmaEnd int
		suffix   string
	}
	better := func(a, b state) bool { // a better than b
		if !b.ok {
			return true
		}
		if a.count != b.count {
			return a.count < b.count
		}
		if a.variants != b.variants {
			return a.variants < b.variants
		}
		return a.first > b.first
	}
	var bestArr [maxCompoundRunes + 1]state
	best := bestArr[:n+1]
	best[0] = state{ok: true}
	var buf []byte
	budget := splitBudget
	for i := minPartRunes; i <= n-minPartRunes; i++ {
		for j := 0; j+minPartRunes <= i; j++ {
			bj := best[j]
			if !bj.ok || bj.count >= maxParts-1 {
				continue
			}
			if budget--; budget < 0 {
				return nil // junk such as OCR noise: many short "words", no sense
			}
			end, suffix, variant, ok := l.head(w[pos[j]:pos[i]], &buf)
			if !ok {
				continue
			}
			cand := state{ok: true, count: bj.count + 1, variants: bj.variants, short: bj.short, first: bj.first,
				prev: j, lemmaEnd: pos[j] + end, suffix: suffix}
			if variant {
				cand.variants++
			}
			if i-j == minPartRunes {
				cand.short++
			}
			if j == 0 {
				cand.first = i
			}
			if better(cand, best[i]) {
				best[i] = cand
			}
		}
	}
	// The last part: a word as written (it carries the inflection).
	bestI := -1
	var final state
	for i := minPartRunes; i <= n-minPartRunes; i++ {
		bi := best[i]
		if !bi.ok {
			continue
		}
		cand := bi
		cand.count++
		if n-i == minPartRunes {
			cand.short++
		}
		if cand.short > 1 || (bestI >= 0 && !better(cand, final)) {
			// Two three-letter parts are more often chance than a
			// compound (and|ers|son, per|man|tas).
			continue
		}
		t := w[pos[i]:]
		if blockedTail(t) {
			continue
		}
		if budget--; budget < 0 {
			return nil
		}
		if !l.tail(t) {
			continue
		}
		bestI, final = i, cand
	}
	if bestI < 0 {
		return nil
	}
	parts := make([]part, final.count)
	parts[final.count-1] = part{start: pos[bestI], end: len(w), lemmaEnd: len(w)}
	for k, i := final.count-2, bestI; k >= 0; k-- {
		st := best[i]
		parts[k] = part{start: pos[st.prev], end: pos[i], lemmaEnd: st.lemmaEnd, suffix: st.suffix}
		i = st.prev
	}
	return parts
}
