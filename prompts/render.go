package prompts

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Source is one numbered passage in the context block.
type Source struct {
	// N is the number the answer cites ("[1]"); positive and unique within
	// one prompt.
	N     int
	Title string
	// Kind is the Swedish kind value ("beslut", "vagledning", …; see
	// imyrag.Kinds). The prompt shows a readable label in the prompt's
	// language; an unknown kind is shown as given.
	Kind string
	// Date is "YYYY-MM-DD", "YYYY-MM", "YYYY" or "".
	Date         string
	Diarienummer []string
	// HeadingPath lists the headings in effect, outermost first.
	HeadingPath []string
	// PageStart and PageEnd are the 1-based page range; 0 when the source
	// has no pages. PageEnd 0 or equal to PageStart shows one page.
	PageStart, PageEnd int
	Text               string
}

// Turn is one earlier message in a conversation.
type Turn struct {
	Role    string // "user" or "assistant"
	Content string
}

// Limits on the conversation that Rewrite shows the model.
const (
	// MaxTurns is how many of the latest turns Rewrite keeps.
	MaxTurns = 6
	// MaxTurnRunes is how many runes of a turn's content Rewrite keeps;
	// longer content is cut there and "…" is appended.
	MaxTurnRunes = 1000
)

// sourceView is a Source as the templates see it: every string already
// neutralized, single-line fields collapsed, empty parts empty.
type sourceView struct {
	N                         int
	Title, Kind, Date         string
	Diarienummer, HeadingPath []string
	PageStart, PageEnd        int // PageEnd is 0 for a single page
	Text                      string
}

type turnView struct {
	Role    string // "user" or "assistant"
	Content string
}

// Answer returns the system prompt and the user message for answering
// question from sources.
//
// The system prompt tells the model to answer only from the numbered
// sources, to cite each sentence with [n] (several as [1][3]) and only with
// numbers that exist, to write NotInSources(lang) when the sources do not
// answer, to give no advice or opinion of its own, to quote identifiers
// exactly and to answer concisely in lang, in prose without headings.
//
// The user message is "Källor:" / "Sources:", then ContextBlock(lang,
// sources), then the question between <fråga> and </fråga> (<question> in
// English) and a closing reminder that lists the source numbers that may be
// cited. The reminder grows by a few tokens per source; everything else in
// the message is fixed.
//
// A blank question is ErrEmptyQuestion, no sources is ErrNoSources, a bad
// or repeated number is ErrSourceNumber, a language other than sv, en or ""
// (Swedish) is ErrLang.
func Answer(lang Lang, question string, sources []Source) (system, user string, err error) {
	lang, err = normLang(lang)
	if err != nil {
		return "", "", err
	}
	q := strings.TrimSpace(question)
	if q == "" {
		return "", "", ErrEmptyQuestion
	}
	views, err := sourceViews(sources)
	if err != nil {
		return "", "", err
	}
	if system, err = render("answer_system", lang, nil); err != nil {
		return "", "", err
	}
	user, err = render("answer_user", lang, struct {
		Question string
		Sources  []sourceView
	}{neutralize(q), views})
	if err != nil {
		return "", "", err
	}
	return system, user, nil
}

// ContextBlock renders only the sources part of the answer and judge
// prompts: one block per source, in the order given, each block
// <källa nr="n"> … </källa> (<source n="n"> in English) followed by a blank
// line. The block of several sources is exactly the concatenation of the
// blocks of each, so callers can count tokens per source.
//
// Errors are those of Answer.
func ContextBlock(lang Lang, sources []Source) (string, error) {
	lang, err := normLang(lang)
	if err != nil {
		return "", err
	}
	views, err := sourceViews(sources)
	if err != nil {
		return "", err
	}
	return render("context", lang, views)
}

// Rewrite returns the system prompt and user message that ask the model to
// turn a follow-up question into one standalone question, given the
// conversation so far. The model is told to output only the rewritten
// question, in the follow-up's language, keeping names, identifiers and
// dates, and to repeat the follow-up unchanged when it already stands on
// its own.
//
// Only the last MaxTurns turns of history are shown, and a turn's content
// longer than MaxTurnRunes runes keeps its first MaxTurnRunes runes and gets
// "…" appended. An empty history is allowed.
//
// A blank follow-up is ErrEmptyQuestion; a turn whose role is not "user" or
// "assistant" is ErrRole; an unknown language is ErrLang.
func Rewrite(lang Lang, history []Turn, followUp string) (system, user string, err error) {
	lang, err = normLang(lang)
	if err != nil {
		return "", "", err
	}
	q := strings.TrimSpace(followUp)
	if q == "" {
		return "", "", ErrEmptyQuestion
	}
	for i, t := range history {
		if t.Role != "user" && t.Role != "assistant" {
			return "", "", fmt.Errorf("%w: turn %d has role %q", ErrRole, i, t.Role)
		}
	}
	if len(history) > MaxTurns {
		history = history[len(history)-MaxTurns:]
	}
	turns := make([]turnView, len(history))
	for i, t := range history {
		turns[i] = turnView{Role: t.Role, Content: neutralize(cut(strings.TrimSpace(t.Content), MaxTurnRunes))}
	}
	if system, err = render("rewrite_system", lang, nil); err != nil {
		return "", "", err
	}
	user, err = render("rewrite_user", lang, struct {
		History  []turnView
		FollowUp string
	}{turns, neutralize(q)})
	if err != nil {
		return "", "", err
	}
	return system, user, nil
}

// Judge returns the system prompt and user message that ask the model
// whether passages support a sentence of an answer. The model must answer
// with exactly one word: "JA" or "NEJ" (Swedish), "YES" or "NO" (English);
// ParseJudgement reads the reply. The passages are rendered as in
// ContextBlock, the sentence between <mening> and </mening> (<sentence> in
// English); the model is told to ignore citation markers in the sentence.
//
// A blank sentence is ErrEmptySentence; the other errors are those of
// Answer.
func Judge(lang Lang, sentence string, passages []Source) (system, user string, err error) {
	lang, err = normLang(lang)
	if err != nil {
		return "", "", err
	}
	s := strings.TrimSpace(sentence)
	if s == "" {
		return "", "", ErrEmptySentence
	}
	views, err := sourceViews(passages)
	if err != nil {
		return "", "", err
	}
	if system, err = render("judge_system", lang, nil); err != nil {
		return "", "", err
	}
	user, err = render("judge_user", lang, struct {
		Sentence string
		Sources  []sourceView
	}{neutralize(s), views})
	if err != nil {
		return "", "", err
	}
	return system, user, nil
}

// sourceViews checks the numbers and prepares the sources for the
// templates.
func sourceViews(sources []Source) ([]sourceView, error) {
	if len(sources) == 0 {
		return nil, ErrNoSources
	}
	seen := make(map[int]bool, len(sources))
	views := make([]sourceView, len(sources))
	for i, s := range sources {
		if s.N <= 0 {
			return nil, fmt.Errorf("%w: source %d has number %d", ErrSourceNumber, i, s.N)
		}
		if seen[s.N] {
			return nil, fmt.Errorf("%w: number %d is used twice", ErrSourceNumber, s.N)
		}
		seen[s.N] = true
		v := sourceView{
			N:            s.N,
			Title:        field(s.Title),
			Kind:         strings.ToLower(field(s.Kind)),
			Date:         field(s.Date),
			Diarienummer: fields(s.Diarienummer),
			HeadingPath:  fields(s.HeadingPath),
			Text:         neutralize(strings.TrimSpace(s.Text)),
		}
		if s.PageStart > 0 {
			v.PageStart = s.PageStart
			if s.PageEnd > s.PageStart {
				v.PageEnd = s.PageEnd
			}
		}
		views[i] = v
	}
	return views, nil
}

// field prepares a single-line field: whitespace runs, line breaks
// included, become one space; then the text is neutralized.
func field(s string) string {
	return neutralize(strings.Join(strings.Fields(s), " "))
}

// fields prepares a list of single-line fields, dropping the empty ones.
func fields(list []string) []string {
	var out []string
	for _, s := range list {
		if f := field(s); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// cut keeps the first n runes of s and appends "…" when s is longer.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, count := 0, 0
	for i = range s {
		if count == n {
			break
		}
		count++
	}
	return strings.TrimRightFunc(s[:i], unicode.IsSpace) + "…"
}

// Escapes that neutralize writes. They are one-way: nothing unescapes a
// prompt, and an "&lt;" already in the text stays as it is.
const (
	escLT      = "&lt;"
	escBracket = "&#91;"
)

// neutralize returns s with the two kinds of markup that untrusted text
// could use against a prompt made inert, and nothing else changed:
//
//   - a "<" that starts something tag-shaped becomes "&lt;". Tag-shaped is
//     "<" directly followed by a letter (any script, any case), "/", "!",
//     "?" or "|", or by spaces and then "/". This covers the block
//     delimiters (</källa>, <source n="9">, </fråga>, in any case or
//     spacing) and chat-template tokens such as <|im_end|>, <s> and
//     <think>; "a < b" and "<5 %" are left alone.
//   - a "[" that starts a control-token look-alike becomes "&#91;": "["
//     followed by an optional "/", an upper-case ASCII letter, at least two
//     more upper-case letters, digits or underscores, and "]". This covers
//     Mistral's and Llama's [INST], [/INST], [SYSTEM_PROMPT], [TOOL_CALLS]…,
//     which Ollama would otherwise tokenize as control tokens. Citation
//     markers like [9] and ordinary brackets like [sic] are left alone.
func neutralize(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			if tagLike(s[i+1:]) {
				esc = escLT
			}
		case '[':
			if controlLike(s[i+1:]) {
				esc = escBracket
			}
		}
		if esc == "" {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// tagLike reports whether rest, the text after a "<", makes the "<" start
// something tag-shaped (see neutralize).
func tagLike(rest string) bool {
	r, _ := utf8.DecodeRuneInString(rest)
	switch {
	case unicode.IsLetter(r), r == '/', r == '!', r == '?', r == '|':
		return true
	case unicode.IsSpace(r):
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		return strings.HasPrefix(rest, "/")
	}
	return false
}

// controlLike reports whether rest, the text after a "[", makes the "["
// start a control-token look-alike (see neutralize).
func controlLike(rest string) bool {
	rest = strings.TrimPrefix(rest, "/")
	n := 0
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'A' && c <= 'Z':
		case n > 0 && (c >= '0' && c <= '9' || c == '_'):
		case c == ']':
			return n >= 3
		default:
			return false
		}
		n++
	}
	return false
}
