package grounding

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/imy/imyrag/ingest/sentence"
	"github.com/imy/imyrag/retrieval/analyze"
)

// segment splits text into sentence spans that together cover every
// non-space byte of text exactly once. Headings and the lines of a list of
// sources get their role; other spans have none yet.
//
// Citation markers are blanked out before the text goes through the
// sentence splitter, so that "gäller.[1][2] Nästa" and "gäller.【1】 Nästa"
// break where the period is; a marker that then lies between two sentences
// is attached to the one before it (see attach).
func segment(text string, markers []marker) []Span {
	masked := []byte(text)
	for _, m := range markers {
		for i := m.start; i < m.end; i++ {
			masked[i] = ' '
		}
	}
	var spans []Span
	block := -1 // start of the current run of ordinary lines, -1 if none
	flush := func(end int) {
		if block < 0 {
			return
		}
		for _, sp := range sentence.Split(string(masked[block:end])) {
			spans = append(spans, Span{Start: block + sp.Start, End: block + sp.End})
		}
		block = -1
	}
	references := false
	for start := 0; start < len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		line := text[start:end]
		trimmed := strings.TrimSpace(line)
		lead := strings.Index(line, trimmed)
		switch {
		case trimmed == "":
		case isReferencesHeading(trimmed):
			flush(start)
			references = true
			spans = append(spans, Span{Start: start + lead, End: start + lead + len(trimmed), Role: RoleHeading})
		case references:
			spans = append(spans, Span{Start: start + lead, End: start + lead + len(trimmed), Role: RoleReferences})
		case isHeading(trimmed):
			flush(start)
			spans = append(spans, Span{Start: start + lead, End: start + lead + len(trimmed), Role: RoleHeading})
		default:
			if block < 0 {
				block = start
			}
		}
		start = end + 1
	}
	flush(len(text))
	return attach(spans, markers)
}

// attach makes every marker part of a span: a marker between two spans
// belongs to the one before it, unless that is a heading or a line of
// references; a marker before the first span belongs to the first.
func attach(spans []Span, markers []marker) []Span {
	if len(spans) == 0 {
		if len(markers) == 0 {
			return nil
		}
		return []Span{{Start: markers[0].start, End: markers[len(markers)-1].end}}
	}
	for _, m := range markers {
		// The first span that ends after the marker starts.
		k := sort.Search(len(spans), func(i int) bool { return spans[i].End > m.start })
		if k < len(spans) && spans[k].Start <= m.start {
			continue // inside
		}
		switch {
		case k > 0 && (spans[k-1].Role == "" || k == len(spans)):
			spans[k-1].End = max(spans[k-1].End, m.end)
		default:
			spans[k].Start = min(spans[k].Start, m.start)
		}
	}
	return spans
}

// isHeading reports a Markdown heading ("## Svar") or a short line that is
// entirely bold and does not end a sentence ("**Sammanfattning**").
func isHeading(line string) bool {
	if n := len(line) - len(strings.TrimLeft(line, "#")); n >= 1 && n <= 6 {
		return len(line) == n || line[n] == ' '
	}
	// A bold line is a heading unless it is a whole sentence.
	if s, ok := strings.CutPrefix(line, "**"); ok && len(s) > 2 {
		s, ok = strings.CutSuffix(strings.TrimSuffix(s, ":"), "**")
		return ok && s != "" && !strings.Contains(s, "**") && !strings.ContainsAny(s[len(s)-1:], ".!?") &&
			len(strings.Fields(s)) <= maxHeadingWords
	}
	return false
}

// maxHeadingWords bounds a bold line taken for a heading.
const maxHeadingWords = 10

// referenceHeadings open a list of sources at the end of an answer.
var referenceHeadings = map[string]bool{
	"källor": true, "källa": true, "källförteckning": true, "källhänvisningar": true, "referenser": true,
	"sources": true, "references": true, "citerade källor": true, "använda källor": true,
}

func isReferencesHeading(line string) bool {
	s := strings.ToLower(strings.Trim(line, "#*_: \t"))
	return referenceHeadings[s]
}

// roleOf decides the role of a sentence that is neither a heading nor a
// line of references.
func roleOf(text string, hasMarker bool, a *analyze.Analyzer) Role {
	if hasMarker {
		return RoleClaim
	}
	body := stripBullet(text)
	if isAbstention(body) {
		return RoleAbstention
	}
	if isConnective(body, a) {
		return RoleConnective
	}
	return RoleClaim
}

// stripBullet removes a list bullet or number ("- ", "* ", "• ", "1. ",
// "2) ") and Markdown emphasis at the start of s.
func stripBullet(s string) string {
	s = strings.TrimSpace(s)
	for _, b := range []string{"- ", "* ", "+ ", "• ", "◦ ", "▪ ", "– ", "— "} {
		if rest, ok := strings.CutPrefix(s, b); ok {
			return strings.TrimSpace(rest)
		}
	}
	d := 0
	for d < len(s) && d < 3 && isDigit(s[d]) {
		d++
	}
	if d > 0 && d+1 < len(s) && (s[d] == '.' || s[d] == ')') && s[d+1] == ' ' {
		return strings.TrimSpace(s[d+2:])
	}
	return s
}

var (
	abstainSubjects = set(`källa källan källor källorna underlaget materialet dokumenten texterna utdragen
		source sources documents context material passages excerpts`)
	abstainNegations = set(`inte inget ingen ingenting icke ej saknas saknar not no nothing don't doesn't cannot can't
		couldn't didn't neither none`)
	abstainVerbs = set(`säger nämner tar behandlar innehåller innehålla besvarar besvara svarar svara ger anger
		beskriver framgår finns saknas saknar omfattar berör uppger redogör hittar hitta stöd
		say says mention mentions contain contains address addresses cover covers discuss discusses provide
		provides answer answers state states specify specifies include includes find found information`)
	abstainWriters  = []string{"jag hittar", "jag kan inte", "jag har inte", "i cannot", "i can't", "i could not", "i couldn't", "i found no", "i did not find", "i don't"}
	contrastWords   = set(`men dock däremot emellertid fast but however although though whereas`)
	maxAbstainWords = 20
)

func set(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// words returns the lowercased words of s, split at anything that is not a
// letter, digit or apostrophe.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’'
	})
}

// isAbstention reports a sentence that only says the sources do not answer.
func isAbstention(s string) bool {
	ws := words(strings.ReplaceAll(s, "’", "'"))
	if len(ws) == 0 || len(ws) > maxAbstainWords {
		return false
	}
	subject, negation, verb := false, false, false
	for _, w := range ws {
		switch {
		case contrastWords[w]:
			return false
		case abstainSubjects[w]:
			subject = true
		}
		negation = negation || abstainNegations[w]
		verb = verb || abstainVerbs[w]
	}
	low := strings.ToLower(s)
	for _, p := range abstainWriters {
		if strings.HasPrefix(low, p) {
			subject = true
		}
	}
	return subject && negation && verb
}

// isConnective reports text that says nothing to check: no number,
// identifier or name, and no informative term besides the words that frame
// or join claims (see genericWords), or a short lead-in that ends in a
// colon.
func isConnective(s string, a *analyze.Analyzer) bool {
	st := newSentenceTerms(s, a)
	for _, t := range st.terms {
		if t.kind != wordTerm {
			return false
		}
	}
	s = strings.TrimRight(strings.TrimSpace(s), "*_")
	if strings.HasSuffix(s, ":") && len(strings.Fields(s)) <= 8 {
		return true
	}
	for _, t := range st.terms {
		if t.weight > genericWeight {
			return false
		}
	}
	return true
}

// firstLetterUpper reports whether s starts with an upper-case letter.
func firstLetterUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}
