package analyze

import "sync"

// Version names the analysis rules (tokenizer, stopwords, stemmer, word list
// and compound splitting). Indexes record it with every document; bump it
// whenever a change would give a text different terms, so that ingest
// re-analyzes everything.
const Version = "sv-1"

var (
	defaultOnce sync.Once
	defaultA    *Analyzer
)

// Default returns the process-wide analyzer with the Swedish lexicon: the
// one ingest and search share, so that documents and queries meet on the
// same terms.
func Default() *Analyzer {
	defaultOnce.Do(func() { defaultA = New(Options{Lexicon: NewSwedishLexicon()}) })
	return defaultA
}
