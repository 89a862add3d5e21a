package prompts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// verdicts maps the judge's answer words, in either language and lower
// case, to whether they mean "supported".
var verdicts = map[string]bool{"ja": true, "yes": true, "nej": false, "no": false}

// ParseJudgement reads a judge reply and reports whether it says the
// passages support the sentence (supported) and whether it could be read at
// all (ok).
//
// The reply must start with the verdict word: JA, NEJ, YES or NO in any case
// and either language, after optional whitespace, quotes or markup such as
// "**". The word may be followed by punctuation and a short explanation
// ("Nej, källan nämner inte …"). Anything else is ok == false: an empty
// reply, another first word ("Kanske", "Jag", "Svar:"), a word glued to
// something other than punctuation or space ("JA/NEJ", "Nope"), or a reply
// whose next words contradict the verdict ("JA eller NEJ", "Yes, no").
func ParseJudgement(reply string) (supported bool, ok bool) {
	s := strings.TrimLeftFunc(reply, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	word, rest := leadingWord(s)
	v, known := verdicts[strings.ToLower(word)]
	if !known {
		return false, false
	}
	if rest != "" {
		r, _ := utf8.DecodeRuneInString(rest)
		if !unicode.IsSpace(r) && !strings.ContainsRune(`.,!:;)-–—"'’”»*_`+"`", r) {
			return false, false
		}
	}
	// The next two words must not be the opposite verdict.
	for range 2 {
		rest = strings.TrimLeftFunc(rest, func(r rune) bool { return !unicode.IsLetter(r) })
		var next string
		next, rest = leadingWord(rest)
		if w, isVerdict := verdicts[strings.ToLower(next)]; isVerdict && w != v {
			return false, false
		}
	}
	return v, true
}

// leadingWord splits s into its leading run of letters and the rest.
func leadingWord(s string) (word, rest string) {
	end := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		return s, ""
	}
	return s[:end], s[end:]
}
