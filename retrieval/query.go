// Package retrieval finds the passages that answer a question: query
// analysis (terms, identifiers, quoted phrases, filters), a lexical leg (BM25
// over the Swedish analyzer's terms), an optional dense leg, reciprocal-rank
// fusion, per-document diversity and neighbour context.
package retrieval

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/legal"
)

// MaxQueryRunes is the longest query accepted.
const MaxQueryRunes = 2000

// Errors for bad queries; each wraps ErrBadQuery so callers can map them to
// a usage error or HTTP 400.
var (
	ErrBadQuery = errors.New("bad query")
)

func badQuery(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadQuery, fmt.Sprintf(format, args...))
}

// Filter restricts a search. Empty fields do not restrict.
type Filter struct {
	Kinds []imyrag.Kind `json:"kinds,omitempty"`
	// From and To bound the document date, inclusive, as YYYY-MM-DD (a
	// year or year-month also works). A document without a date is
	// excluded by a date bound.
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	DocIDs []string `json:"doc_ids,omitempty"`
	// Diarienummer and LegalRefs match chunks that mention them; values are
	// normalized first ("di-2021-5817", "2018:218", "art 6.1 e GDPR").
	Diarienummer []string `json:"diarienummer,omitempty"`
	LegalRefs    []string `json:"legal_refs,omitempty"`
}

// Empty reports whether f restricts nothing.
func (f Filter) Empty() bool {
	return len(f.Kinds) == 0 && f.From == "" && f.To == "" && len(f.DocIDs) == 0 &&
		len(f.Diarienummer) == 0 && len(f.LegalRefs) == 0
}

// normalizeFilter checks a filter and puts its values in canonical form.
func normalizeFilter(f Filter) (Filter, error) {
	for _, k := range f.Kinds {
		if !imyrag.ValidKind(k) {
			return f, badQuery("unknown document kind %q (known: %s)", k, kindList())
		}
	}
	var err error
	if f.From, err = normDate(f.From, false); err != nil {
		return f, err
	}
	if f.To, err = normDate(f.To, true); err != nil {
		return f, err
	}
	if f.From != "" && f.To != "" && f.From > f.To {
		return f, badQuery("date range is reversed: from %s is after to %s", f.From, f.To)
	}
	dnr := make([]string, 0, len(f.Diarienummer))
	for _, d := range f.Diarienummer {
		m := legal.Extract(d)
		if len(m.Diarienummer) != 1 {
			return f, badQuery("%q is not a diarienummer (like DI-2021-5817 or IMY-2023-1234)", d)
		}
		dnr = append(dnr, m.Diarienummer[0])
	}
	f.Diarienummer = dnr
	refs := make([]string, 0, len(f.LegalRefs))
	for _, r := range f.LegalRefs {
		n, ok := legal.Normalize(r)
		if !ok {
			return f, badQuery("%q is not a legal reference this index knows (like \"artikel 6.1 e GDPR\", \"SFS 2018:218\", \"SOU 2016:41\")", r)
		}
		refs = append(refs, n)
	}
	f.LegalRefs = refs
	return f, nil
}

func kindList() string {
	s := make([]string, len(imyrag.Kinds))
	for i, k := range imyrag.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// normDate accepts YYYY, YYYY-MM or YYYY-MM-DD and returns a full date: the
// first day of the period for a lower bound, the last for an upper one.
func normDate(s string, upper bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		if upper {
			switch layout {
			case "2006-01":
				t = t.AddDate(0, 1, -1)
			case "2006":
				t = t.AddDate(1, 0, -1)
			}
		}
		return t.Format("2006-01-02"), nil
	}
	return "", badQuery("date %q: want YYYY-MM-DD, YYYY-MM or YYYY", s)
}

// checkText validates a query's text.
func checkText(q string) error {
	if !utf8.ValidString(q) {
		return badQuery("the query is not valid UTF-8")
	}
	if strings.TrimSpace(q) == "" {
		return badQuery("the query is empty")
	}
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return badQuery("the query is %d characters long; the limit is %d", n, MaxQueryRunes)
	}
	return nil
}

// phrases returns the quoted phrases of a query ("..." or “...”).
func phrases(q string) []string {
	var out []string
	q = strings.NewReplacer("“", `"`, "”", `"`, "„", `"`, "«", `"`, "»", `"`).Replace(q)
	for {
		i := strings.IndexByte(q, '"')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(q[i+1:], '"')
		if j < 0 {
			return out
		}
		if p := strings.TrimSpace(q[i+1 : i+1+j]); p != "" {
			out = append(out, p)
		}
		q = q[i+1+j+1:]
	}
}
