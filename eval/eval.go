// Package eval scores retrieval and answers against evaluation sets: items
// with a question, the documents and verbatim evidence quotes that answer it,
// or the mark that the corpus does not answer it.
package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
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
}

// Load reads a JSONL evaluation set and validates every item: known fields
// only, an ID, a question, unique IDs, and for answerable items expected
// documents and evidence. Errors name the line.
func Load(r io.Reader) ([]Item, error) {
	var items []Item
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
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case it.ID == "":
			return nil, fmt.Errorf("line %d: missing id", line)
		case strings.TrimSpace(it.Question) == "":
			return nil, fmt.Errorf("line %d (%s): empty question", line, it.ID)
		case seen[it.ID] > 0:
			return nil, fmt.Errorf("line %d: duplicate id %s (first on line %d)", line, it.ID, seen[it.ID])
		case it.Answerable && (len(it.ExpectedDocs) == 0 || len(it.Evidence) == 0):
			return nil, fmt.Errorf("line %d (%s): answerable item without expected_docs or evidence", line, it.ID)
		}
		seen[it.ID] = line
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	return items, nil
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
