// Package prompts renders the prompts imyrag sends to the local language
// model: the answer prompt (system rules, numbered sources, question), the
// follow-up rewrite prompt and the citation judge prompt, in Swedish (the
// default) or English.
//
// The wording lives in versioned text/template files under templates/,
// embedded in the binary and parsed once. Every word the model reads is in
// those files, down to the document kind labels and the fixed phrases that
// NotInSources and Abstain return; the Go code only prepares the data and
// neutralizes untrusted text. Version names the prompt set and is recorded
// with every generated answer: change a template and Version must change
// too (a test enforces it, see README.md).
//
// Untrusted text (source passages, titles, questions, earlier turns) is
// printed verbatim inside blocks delimited by tag lines such as
// <källa nr="1"> … </källa>. The only change made to it is that a "<" which
// starts something tag-shaped becomes "&lt;" and a "[" which starts a
// control-token look-alike such as [INST] becomes "&#91;", so that no text
// can close its own block, open a fake one, or inject a chat-template
// control token. Single-line fields (title, kind, date, diarienummer,
// headings) have their whitespace, line breaks included, collapsed to single
// spaces.
package prompts

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"strings"
	"text/template"
)

// Version identifies the prompt set: the date of the change and a counter
// for that day. Bump it whenever a template changes, or anything else that
// changes a rendered prompt; answers record it.
const Version = "2026-11-23.1"

// Lang is the language a prompt is rendered in.
type Lang string

// The supported languages. The zero value "" means Swedish.
const (
	Swedish Lang = "sv"
	English Lang = "en"
)

// Errors that callers can branch on with errors.Is.
var (
	// ErrEmptyQuestion: the question (or the follow-up) is empty or blank.
	ErrEmptyQuestion = errors.New("prompts: empty question")
	// ErrEmptySentence: the sentence to judge is empty or blank.
	ErrEmptySentence = errors.New("prompts: empty sentence")
	// ErrNoSources: there is no source to answer from or judge against.
	ErrNoSources = errors.New("prompts: no sources")
	// ErrSourceNumber: a source number is not positive, or two sources
	// share a number.
	ErrSourceNumber = errors.New("prompts: source numbers must be positive and unique")
	// ErrLang: the language is neither Swedish nor English.
	ErrLang = errors.New("prompts: unknown language")
	// ErrRole: a conversation turn has a role other than "user" or
	// "assistant".
	ErrRole = errors.New("prompts: unknown role")
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// tmpl holds every template, named by file ("answer_system.sv.tmpl") or by
// its define ("kind.sv"). Parsed once; a parse error is a build defect that
// the tests catch.
var tmpl = template.Must(template.New("prompts").
	Option("missingkey=error").
	Funcs(template.FuncMap{"join": strings.Join}).
	ParseFS(templateFS, "templates/*.tmpl"))

// phrases caches the fixed texts defined in templates/phrases.*.tmpl.
var phrases = func() map[string]string {
	m := map[string]string{}
	for _, l := range []Lang{Swedish, English} {
		for _, name := range []string{"not_in_sources", "abstain"} {
			var b bytes.Buffer
			if err := tmpl.ExecuteTemplate(&b, name+"."+string(l), nil); err != nil {
				panic(fmt.Sprintf("prompts: phrase %s.%s: %v", name, l, err))
			}
			m[name+"."+string(l)] = b.String()
		}
	}
	return m
}()

// normLang maps "" to Swedish and rejects anything that is not sv or en.
func normLang(l Lang) (Lang, error) {
	switch l {
	case "", Swedish:
		return Swedish, nil
	case English:
		return English, nil
	}
	return "", fmt.Errorf("%w: %q", ErrLang, string(l))
}

// phraseLang is normLang for the functions that cannot fail: anything
// unknown falls back to Swedish.
func phraseLang(l Lang) Lang {
	if l == English {
		return English
	}
	return Swedish
}

// Abstain returns the fixed abstention text, used without calling the
// model when retrieval finds no adequate support: "Jag hittar inget stöd
// för det i källorna." (sv) or "I find no support for that in the
// sources." (en). An unknown language gets the Swedish text.
func Abstain(lang Lang) string { return phrases["abstain."+string(phraseLang(lang))] }

// NotInSources returns the sentence the answer prompt tells the model to
// write when the sources do not answer the question ("Källorna säger inget
// om det." / "The sources do not say."), the same text the system prompt
// quotes, so that callers can detect it in an answer. An unknown language
// gets the Swedish text.
func NotInSources(lang Lang) string { return phrases["not_in_sources."+string(phraseLang(lang))] }

// render executes the template "name.lang.tmpl".
func render(name string, lang Lang, data any) (string, error) {
	var b strings.Builder
	if err := tmpl.ExecuteTemplate(&b, name+"."+string(lang)+".tmpl", data); err != nil {
		return "", fmt.Errorf("prompts: render %s.%s: %w", name, lang, err)
	}
	return b.String(), nil
}
