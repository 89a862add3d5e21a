package retrieval

import (
	"context"
	"fmt"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/lexical"
	"github.com/imy/imyrag/retrieval/store"
)

// Why a search found nothing (Result.Reason), in Swedish: staff read them,
// on the chat page too. Every store gives the same ones.
const (
	ReasonNoTerms         = "frågan innehåller inga sökbara ord (bara småord eller skiljetecken)"
	ReasonNoDocument      = "inget dokument stämmer med filtren"
	ReasonNoMatch         = "ingen passage innehåller frågans ord"
	ReasonNoMatchFiltered = "ingen passage inom filtren innehåller frågans ord"
)

// Searcher is what every search backend offers: the embedded Engine and
// the Qdrant store's engine (retrieval/store/qdrant). Both validate a
// Query the same way (Prepare), analyze it the same way (QueryTerms) and
// fuse their legs by reciprocal rank with the same k and weights, so that
// they rank alike.
type Searcher interface {
	// Search runs a query. A bad query returns an error wrapping
	// ErrBadQuery; a query that can match nothing returns no hits and a
	// Reason; a leg that cannot run is skipped with a note.
	Search(ctx context.Context, q Query) (*Result, error)
	// Embedding returns the model and dimension of the index's vectors and
	// how many chunks carry one.
	Embedding(ctx context.Context) (store.EmbeddingSpec, int, error)
}

var _ Searcher = (*Engine)(nil)

// Prepared is a validated query with its defaults applied and its filter
// normalized, for a backend other than Engine.
type Prepared struct {
	Query
	// Fusion has its defaults applied (K 60, weights 1 and 1).
	Fusion Fusion
	// Refs are the identifiers and legal references named in the text.
	Refs imyrag.Metadata
	// Phrases are the quoted phrases of the text.
	Phrases []string
	// Candidates is how many hits each leg fetches before fusion and the
	// per-document cap.
	Candidates int
}

// Prepare validates q as Engine.Search does and fills in its defaults:
// Limit 10, PerDoc 3, the fusion defaults and a normalized filter. Errors
// wrap ErrBadQuery.
func Prepare(q Query) (Prepared, error) {
	if err := checkText(q.Text); err != nil {
		return Prepared{}, err
	}
	f, err := normalizeFilter(q.Filter)
	if err != nil {
		return Prepared{}, err
	}
	q.Filter = f
	switch {
	case q.Limit <= 0:
		q.Limit = 10
	case q.Limit > 100:
		return Prepared{}, badQuery("limit %d is over 100", q.Limit)
	}
	if q.PerDoc == 0 {
		q.PerDoc = 3
	}
	if q.Neighbours < 0 || q.Neighbours > 5 {
		return Prepared{}, badQuery("neighbours %d: want 0–5", q.Neighbours)
	}
	if err := q.Fusion.check(); err != nil {
		return Prepared{}, err
	}
	return Prepared{Query: q, Fusion: q.Fusion.withDefaults(), Refs: legal.Extract(q.Text), Phrases: phrases(q.Text),
		Candidates: 10*q.Limit + 50}, nil
}

// DateSpan turns a document date ("2025", "2023-03", "2023-03-28") into
// the first and last day it may mean; empty strings for no or a malformed
// date. A date filter keeps a document whose span overlaps the bounds.
func DateSpan(d string) (lo, hi string) { return dateSpan(d) }

// QueryTerms analyzes query text as Engine does with the default options:
// unique terms in order, identifiers (diarienummer, SFS numbers, article
// numbers) weighted DefaultOptions.IdentBoost, a repeated word 0.25 more.
func QueryTerms(a *analyze.Analyzer, text string, refs imyrag.Metadata) []lexical.QueryTerm {
	e := Engine{analyzer: a, opts: DefaultOptions}
	return e.queryTerms(text, refs)
}

// ExpandQuery is QueryTerms with the synonyms Engine adds under opts
// (its SynonymWeight, MaxSynonyms and Synonyms; the defaults where zero):
// the candidates are asked for in one call to df, which returns each
// one's document frequency in the index (0: absent), so that a store
// that counts remotely can count them all at once. It returns the terms
// (the question's, then the synonyms) and the expansions.
func ExpandQuery(ctx context.Context, a *analyze.Analyzer, text string, refs imyrag.Metadata, opts Options,
	df func(ctx context.Context, terms []string) ([]uint64, error)) ([]lexical.QueryTerm, []Expansion, error) {
	opts = opts.withDefaults()
	e := Engine{analyzer: a, opts: opts}
	terms, words := e.analyzeQuery(text, refs)
	cands := candidates(terms, words, opts)
	if len(cands) == 0 {
		return terms, nil, nil
	}
	n, err := df(ctx, cands)
	if err != nil {
		return nil, nil, err
	}
	if len(n) != len(cands) {
		return nil, nil, fmt.Errorf("expand query: %d counts for %d synonyms", len(n), len(cands))
	}
	counts := make(map[string]uint64, len(cands))
	for i, c := range cands {
		counts[c] = n[i]
	}
	extra, exp := expand(terms, words, opts, func(t string) bool { return counts[t] > 0 })
	return append(terms, extra...), exp, nil
}
