package prompts

import (
	"strings"
	"unicode"
)

// Detect guesses the language of a question. It returns English only when
// the text is clearly English, Swedish otherwise (the default):
//
//  1. any å, ä or ö (either case) makes it Swedish, so an English question
//     that uses a Swedish term ("kameraövervakning") is answered in
//     Swedish;
//  2. any Swedish function word ("och", "vad", "hur", "är", "kan", …, also
//     the forms typed without å, ä, ö: "ar", "pa", "nar") makes it Swedish;
//  3. otherwise it is English when it has at least two English marker
//     words: function words ("the", "what", "does", "is", "of", …), the
//     pronoun "I" after the first word, and a few English-only verbs
//     common in questions ("explain", "summarize", "use", "mean", …).
//
// Words that are common in both languages or in Swedish typed without
// diacritics ("i", "in", "for", "man", "under", "all", "over", "till", "be",
// "sin", "far") count for neither. Identifiers (DI-2021-5817), numbers,
// empty text and single English terms ("privacy by design") are Swedish.
func Detect(text string) Lang {
	if strings.ContainsAny(text, "åäöÅÄÖ") {
		return Swedish
	}
	english := 0
	for i, w := range words(text) {
		switch {
		case w == "i":
			// Lower-case "i" is the Swedish preposition.
			return Swedish
		case w == "I" && i > 0:
			// "I" after the first word is the English pronoun; as the
			// first word it may be the Swedish "I" (in) and counts for
			// neither.
			english++
			continue
		}
		w = strings.ToLower(w)
		if swedishWords[w] {
			return Swedish
		}
		if englishWords[w] {
			english++
		}
	}
	if english >= 2 {
		return English
	}
	return Swedish
}

// words splits text into words: runs of letters, with apostrophes inside a
// word kept ("doesn't").
func words(text string) []string {
	isPart := func(r rune) bool { return unicode.IsLetter(r) || r == '\'' || r == '’' }
	f := strings.FieldsFunc(text, func(r rune) bool { return !isPart(r) })
	out := f[:0]
	for _, w := range f {
		w = strings.ReplaceAll(strings.Trim(w, "'’"), "’", "'")
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// swedishWords are Swedish function words and common question words that
// are not English words, with the forms people type without å, ä, ö.
var swedishWords = set(`
	och att det den de dem detta denna dessa som en ett är ar på pa för med av om
	vad hur när nar var vem vems vilka vilken vilket varför varfor
	får kan ska skall måste maste bör bor kunna kommer finns gäller galler
	inte har hade hos vid eller enligt mot samt ur utan inom mellan efter
	från fran också ocksa så sa sig sitt sina sådan sådana något några någon
	jag du ni vi hon han oss er mig
	blir bli varit vara är sägs säger sager gör gor göra gora
	vilken vilka ska skulle menas innebär innebar
`)

// englishWords are English function words and request verbs that are not
// Swedish words.
var englishWords = set(`
	the a an is are was were been being what which who whom whose why how when where
	does do did doesn't don't didn't isn't aren't can can't could should would will
	shall must may might of to on at by with about from into onto and or not
	this that these those there their they them it its it's what's there's
	have has had if than then any according regarding whether between
	you your we our my me should
	without within through
	explain summarize summarise describe tell give compare
	use using used say says said mean means need needs required apply applies
`)
