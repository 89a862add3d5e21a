package analyze

import (
	_ "embed"
	"strings"
	"unicode/utf8"

	"github.com/kljensen/snowball/swedish"
)

//go:embed stopwords.txt
var stopwordsTxt string

// stopwords is the Snowball Swedish stopword list.
var stopwords = func() map[string]struct{} {
	m := make(map[string]struct{}, 128)
	for line := range strings.Lines(stopwordsTxt) {
		w := strings.TrimSpace(line)
		if w != "" && !strings.HasPrefix(w, "#") {
			m[w] = struct{}{}
		}
	}
	return m
}()

// IsStopword reports whether word (any case) is on the Snowball Swedish
// stopword list. Identifiers and numbers never are.
func IsStopword(word string) bool {
	if _, ok := stopwords[word]; ok {
		return true
	}
	if lw := strings.ToLower(word); lw != word {
		_, ok := stopwords[lw]
		return ok
	}
	return false
}

// Stem returns the stem of a lowercase Swedish word. It is the one stemming
// function for documents, queries and compound parts.
//
// It is the Snowball Swedish stemmer with one step before it. Snowball
// leaves the definite endings -et, -an and -ena alone ("beslutet",
// "området", "sandlådan", "områdena"), so they would not meet "beslut",
// "område", "sandlåda". Before stemming, a word of five letters or more
// loses a final -et (also -ets; not -het or -itet, which Snowball handles),
// -an, or the -na of -ena. The price is a few conflations of words that end
// so as written (planet → plan, organ → org).
func Stem(word string) string {
	if len(word) <= 2 {
		return word
	}
	n := utf8.RuneCountInString(word)
	switch {
	case n >= 6 && strings.HasSuffix(word, "ets") && !strings.HasSuffix(word, "hets") && !strings.HasSuffix(word, "itets"):
		word = word[:len(word)-3]
	case n >= 5 && strings.HasSuffix(word, "et") && !strings.HasSuffix(word, "het") && !strings.HasSuffix(word, "itet"),
		n >= 5 && strings.HasSuffix(word, "an"),
		n >= 6 && strings.HasSuffix(word, "ena"):
		word = word[:len(word)-2]
	}
	return swedish.Stem(word, true)
}
