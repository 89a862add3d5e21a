package retrieval_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
)

// The tests in this file pin bugs found while writing the engine's tests,
// now fixed.

// writeBetween wraps the store and, once armed, runs a write while the
// engine is loading its search data, right after the documents were read
// and before the chunks are: what a concurrent ingest does at the wrong
// moment.
type writeBetween struct {
	*local.Store
	mu    sync.Mutex
	write func()
}

func (w *writeBetween) LoadSearchData(ctx context.Context, v local.SearchVisitor) (int64, error) {
	inner := v
	inner.Document = func(d store.DocumentInfo) {
		v.Document(d)
		w.mu.Lock()
		write := w.write
		w.write = nil
		w.mu.Unlock()
		if write != nil {
			write()
		}
	}
	return w.Store.LoadSearchData(ctx, inner)
}

// TestSnapshotConsistentWithConcurrentIngest: the engine once read the
// documents and the chunks in two separate statements, so a document added
// in between had chunks but no document and was attributed to document 0.
// The search data is now read in one transaction: a document committed
// during the load is not in this snapshot at all, and the next search,
// seeing a new generation, picks it up.
func TestSnapshotConsistentWithConcurrentIngest(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	ingestTexts(t, s, map[string]string{"b-rapport": "Rapport om giraffer\n\nGiraffer i parken.\n"})
	w := &writeBetween{Store: s}
	w.write = func() {
		p, err := ingest.New(ctx, s, ingest.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		defer p.Close()
		if _, err := p.Run(ctx, []ingest.Source{{Name: "test:a-ny", ID: "a-ny", Data: []byte("Pelikaner\n\nPelikaner i parken.\n")}}); err != nil {
			t.Error(err)
		}
	}
	e := retrieval.NewEngine(w, analyze.Default(), retrieval.Options{})
	res, err := e.Search(ctx, retrieval.Query{Text: "pelikaner"})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Document.ID != h.Chunk.DocID {
			t.Errorf("chunk of %s returned as part of document %s (%s)", h.Chunk.DocID, h.Document.ID, h.Document.Title)
		}
	}
	if w.write != nil {
		t.Fatal("the write between the reads never ran")
	}
	res, err = e.Search(ctx, retrieval.Query{Text: "pelikaner"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Document.ID != "a-ny" || res.Hits[0].Chunk.DocID != "a-ny" {
		t.Errorf("after the concurrent ingest: hits %+v, want a-ny first", res.Hits)
	}
}

// TestNegativeFusionWeightRejected: Query.Fusion comes from the API's JSON;
// a negative weight once reversed the ranking (the worst BM25 matches
// first). It is a bad query now.
func TestNegativeFusionWeightRejected(t *testing.T) {
	e := corpusEngine(t)
	for _, fz := range []retrieval.Fusion{{LexicalWeight: -1, DenseWeight: 1}, {LexicalWeight: 1, DenseWeight: -1}, {K: 60, LexicalWeight: -0.5}} {
		res, err := e.Search(context.Background(), retrieval.Query{Text: "integritet", Fusion: fz})
		if errors.Is(err, retrieval.ErrBadQuery) {
			continue
		}
		if err != nil {
			t.Fatalf("%+v: %v", fz, err)
		}
		if len(res.Hits) > 0 && res.Hits[0].LexicalRank != 1 {
			t.Errorf("fusion %+v: first hit has lexical rank %d, want 1 (or ErrBadQuery)", fz, res.Hits[0].LexicalRank)
		}
	}
}

// TestPartialOptionsKeepDefaults: NewEngine once applied DefaultOptions only
// when Options was entirely zero, so Options{HeadWeight: 1} left IdentBoost
// 0 and identifier queries found nothing. Each zero field now takes its own
// default.
func TestPartialOptionsKeepDefaults(t *testing.T) {
	e := retrieval.NewEngine(corpusStore(t), analyze.Default(), retrieval.Options{HeadWeight: 1})
	res := search(t, e, retrieval.Query{Text: "DI-2021-5817"})
	if len(res.Hits) == 0 || res.Hits[0].Document.ID != slutred {
		t.Errorf("Options{HeadWeight: 1}: %q finds %v (%s), want %s first", "DI-2021-5817", docsOf(res.Hits), res.Reason, slutred)
	}
}

// TestLooseIdentifierSpelling: "DI 2021-5817" (a space for the hyphen) once
// found nothing, since the analyzer keeps "di-2021-5817" whole in documents
// but splits the loose spelling. The query now carries the canonical form.
func TestLooseIdentifierSpelling(t *testing.T) {
	e := corpusEngine(t)
	for _, q := range []string{"DI 2021-5817", "dnr di-2021-5817"} {
		res := search(t, e, retrieval.Query{Text: q})
		if len(res.Hits) == 0 || res.Hits[0].Document.ID != slutred {
			t.Errorf("%q finds %v, want %s first", q, docsOf(res.Hits), slutred)
		}
	}
}

// TestProximityRerank: with proximity re-ranking on, of two chunks with the
// same words, the one where the query's terms meet in one sentence ranks
// first; with it off (the default) BM25 alone ranks the other one first,
// which the same documents show when ProximityWeight is -1.
func TestProximityRerank(t *testing.T) {
	s := emptyStore(t)
	ingestTexts(t, s, map[string]string{
		"a-spridd": "Om kameror\n\nKameror används i skolan. Det regnade i går. Vi talade om tillsyn. Tillsynen gällde något annat.\n",
		"b-samlad": "Om tillsyn\n\nTillsyn av kameror i skolan är viktig. Det regnade i går. Vi talade om annat. Något annat gällde.\n",
	})
	on := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{ProximityWeight: 2})
	res := search(t, on, retrieval.Query{Text: "tillsyn kameror skolan"})
	if len(res.Hits) != 2 || res.Hits[0].Document.ID != "b-samlad" {
		t.Errorf("with proximity: %v, want b-samlad first", docsOf(res.Hits))
	}
	if res.Hits[0].Lexical <= res.Hits[1].Lexical {
		t.Errorf("with proximity the first hit's score %.3f is not above the second's %.3f", res.Hits[0].Lexical, res.Hits[1].Lexical)
	}
}
