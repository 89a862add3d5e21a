package retrieval

import (
	"github.com/imy/imyrag/retrieval/lexical"
)

// Expansion is a synonym added to a query: Term (a stem, as the index
// holds it; Word is a word with that stem, for people) stands in for From,
// a term of the question (FromWord: the question's word as written), with
// Weight (a share of From's weight). IDF is Term's inverse document
// frequency in the index.
type Expansion struct {
	Term     string  `json:"term"`
	Word     string  `json:"word"`
	From     string  `json:"from"`
	FromWord string  `json:"from_word"`
	Weight   float64 `json:"weight"`
	IDF      float64 `json:"idf"`
}

// expand returns the synonym terms to add to the query terms: for each word
// term (words[i], the question's word, is "" for identifiers, numbers and
// compound parts, which have none; stopwords never reach here), the first
// opts.MaxSynonyms of its candidates (wordCandidates) that the index holds
// (indexed reports it), weighted opts.SynonymWeight times the term's weight.
// A synonym of two query terms is added once, with the higher weight, and
// is listed as expanding the first. The order follows the query's, then
// the table's.
func expand(terms []lexical.QueryTerm, words []string, opts Options, indexed func(string) bool) ([]lexical.QueryTerm, []Expansion) {
	var out []lexical.QueryTerm
	var exp []Expansion
	at := map[string]int{} // expansion term → index in out
	for i, cands := range wordCandidates(terms, words, opts) {
		t, n := terms[i], 0
		for _, s := range cands {
			if n == opts.MaxSynonyms {
				break
			}
			if !indexed(s) {
				continue
			}
			n++
			w := opts.SynonymWeight * t.Weight
			if j, ok := at[s]; ok {
				out[j].Weight = max(out[j].Weight, w)
				exp[j].Weight = out[j].Weight
				continue
			}
			at[s] = len(out)
			out = append(out, lexical.QueryTerm{Term: s, Weight: w})
			exp = append(exp, Expansion{Term: s, Word: opts.Synonyms.Word(s), From: t.Term, FromWord: words[i], Weight: w})
		}
	}
	return out, exp
}

// candidatesPerWord bounds the synonyms of one word that are looked up in
// the index: the table's most supported first, several times the cap since
// many are not in the index. It keeps the work per query small for a store
// that counts remotely (Qdrant), and both stores use the same candidates.
const candidatesPerWord = 12

// wordCandidates returns, aligned with terms, each word term's candidate
// synonyms: the first candidatesPerWord of its table entry that are not
// query terms themselves; nil for the other terms, and nil when expansion
// is off.
func wordCandidates(terms []lexical.QueryTerm, words []string, opts Options) [][]string {
	if opts.SynonymWeight <= 0 || opts.Synonyms == nil || opts.MaxSynonyms <= 0 {
		return nil
	}
	in := make(map[string]bool, len(terms))
	for _, t := range terms {
		in[t.Term] = true
	}
	out := make([][]string, len(terms))
	for i, t := range terms {
		if words[i] == "" {
			continue
		}
		for _, s := range opts.Synonyms.Lookup(t.Term) {
			if len(out[i]) == candidatesPerWord {
				break
			}
			if !in[s] {
				out[i] = append(out[i], s)
			}
		}
	}
	return out
}

// candidates is every word's candidates, each once.
func candidates(terms []lexical.QueryTerm, words []string, opts Options) []string {
	seen := map[string]bool{}
	var out []string
	for _, cs := range wordCandidates(terms, words, opts) {
		for _, s := range cs {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
