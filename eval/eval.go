// Package eval scores retrieval and answers against evaluation sets: items
// with a question, the documents and verbatim evidence quotes that answer it,
// or the mark that the corpus does not answer it.
package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Item is one evaluation question.
type Item struct {
	ID              string   `json:"id"`
	Question        string   `json:"question"`
	Answerable      bool     `json:"answerable"`
	ExpectedDocs    []string `json:"expected_docs"`
	Evidence        []string `json:"evidence"`
	ReferenceAnswer string   `json:"reference_answer"`
	Kind            string   `json:"kind"`
	// Line is the item's line in its file (1-based), for error messages.
	Line int `json:"-"`
}

// Problem is one item (or line) of an evaluation set that cannot be used.
type Problem struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

func (p Problem) Error() string {
	if p.ID != "" {
		return fmt.Sprintf("line %d (%s): %s", p.Line, p.ID, p.Reason)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Reason)
}

// Load reads a JSONL evaluation set and validates every item: known fields
// only, an ID, a question, unique IDs, and for answerable items expected
// documents and evidence. Errors name the line; every problem is reported,
// joined.
func Load(r io.Reader) ([]Item, error) {
	items, problems, err := LoadAll(r)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		errs := make([]error, len(problems))
		for i, p := range problems {
			errs[i] = p
		}
		return nil, errors.Join(errs...)
	}
	return items, nil
}

// LoadAll reads a JSONL evaluation set like Load, but returns the valid
// items together with a Problem for every line that is not one, so that a
// harness can run the rest and report the bad lines. The error is for
// reading r only.
func LoadAll(r io.Reader) ([]Item, []Problem, error) {
	var (
		items    []Item
		problems []Problem
	)
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var it Item
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&it); err != nil {
			problems = append(problems, Problem{Line: line, Reason: err.Error()})
			continue
		}
		it.Line = line
		if reason := checkItem(it, seen); reason != "" {
			problems = append(problems, Problem{Line: line, ID: it.ID, Reason: reason})
			continue
		}
		seen[it.ID] = line
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return items, problems, nil
}

// checkItem returns why an item cannot be used, or "".
func checkItem(it Item, seen map[string]int) string {
	switch {
	case it.ID == "":
		return "missing id"
	case strings.TrimSpace(it.Question) == "":
		return "empty question"
	case seen[it.ID] > 0:
		return fmt.Sprintf("duplicate id %s (first on line %d)", it.ID, seen[it.ID])
	case it.Answerable && (len(it.ExpectedDocs) == 0 || len(it.Evidence) == 0):
		return "answerable item without expected_docs or evidence"
	case !it.Answerable && len(it.Evidence) > 0:
		return "unanswerable item with evidence"
	}
	for _, q := range it.Evidence {
		if len(Words(q)) == 0 {
			return fmt.Sprintf("evidence %q has no words", q)
		}
	}
	return ""
}

// DocText returns the normalized text of a document, with ok false when
// the index has no document with that ID.
type DocText func(ctx context.Context, id string) (text string, ok bool, err error)

// Validate checks items against the indexed documents: every expected
// document exists, and every evidence quote occurs (by the matching rules,
// see Hits) in the text of one of the item's expected documents. It returns
// the items that pass and a Problem, with the item's line, for each that
// does not. The error is a failure to read the index.
func Validate(ctx context.Context, items []Item, docs DocText) ([]Item, []Problem, error) {
	texts := map[string][]string{} // doc ID → its words; nil when unknown
	known := map[string]bool{}
	words := func(id string) ([]string, bool, error) {
		if w, ok := texts[id]; ok {
			return w, known[id], nil
		}
		t, ok, err := docs(ctx, id)
		if err != nil {
			return nil, false, fmt.Errorf("validate: document %s: %w", id, err)
		}
		texts[id], known[id] = Words(t), ok
		return texts[id], ok, nil
	}
	var (
		good     []Item
		problems []Problem
	)
items:
	for _, it := range items {
		var unknown []string
		for _, d := range it.ExpectedDocs {
			_, ok, err := words(d)
			if err != nil {
				return nil, nil, err
			}
			if !ok {
				unknown = append(unknown, d)
			}
		}
		if len(unknown) > 0 {
			problems = append(problems, Problem{Line: it.Line, ID: it.ID,
				Reason: fmt.Sprintf("unknown document ID in expected_docs: %s", strings.Join(unknown, ", "))})
			continue
		}
		for _, q := range it.Evidence {
			qw := Words(q)
			found := false
			for _, d := range it.ExpectedDocs {
				w, _, _ := words(d)
				if Hits(w, qw) {
					found = true
					break
				}
			}
			if !found {
				problems = append(problems, Problem{Line: it.Line, ID: it.ID,
					Reason: fmt.Sprintf("evidence %q not found in the text of %s", clip(q, 60), strings.Join(it.ExpectedDocs, ", "))})
				continue items
			}
		}
		good = append(good, it)
	}
	return good, problems, nil
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}

// Words is the matching form of a text: lowercased words of letters and
// digits only, bullets and punctuation dropped.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Hits reports whether a chunk's text contains an evidence quote: the
// quote's word sequence occurs contiguously in the chunk's.
func Hits(chunkWords, quoteWords []string) bool {
	if len(quoteWords) == 0 {
		return false
	}
outer:
	for i := 0; i+len(quoteWords) <= len(chunkWords); i++ {
		for j, w := range quoteWords {
			if chunkWords[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}
