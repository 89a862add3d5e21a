package qdrant

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"golang.org/x/sync/errgroup"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/lexical"
	"github.com/imy/imyrag/retrieval/store"
)

// Engine searches a Qdrant store with the Query API: a sparse query (our
// BM25 terms) and a dense query, each with the filter, in one batch, fused
// here by the embedded engine's reciprocal-rank fusion (k and the legs'
// weights of retrieval.Fusion; see fuse); lexical alone when the index or
// the query has no vector. It implements retrieval.Searcher. Compared with
// the embedded engine it lacks the quoted-phrase boost and approximates
// the exact-reference boost with sparse reference terms (sparse.go). It
// adds the same synonyms as the embedded engine (retrieval.ExpandQuery,
// with the default options): their document frequencies are counted in the
// same concurrent round of counts as the question's terms' IDF.
type Engine struct {
	s *Store
	a *analyze.Analyzer
	// count is counts; tests of the query analysis replace it.
	count func(ctx context.Context, terms []string) ([]uint64, uint64, error)
}

var _ retrieval.Searcher = (*Engine)(nil)

// NewEngine returns a searcher over s; a is the analyzer documents were
// indexed with (analyze.Default()).
func NewEngine(s *Store, a *analyze.Analyzer) *Engine {
	e := &Engine{s: s, a: a}
	e.count = e.counts
	return e
}

// Embedding implements retrieval.Searcher.
func (e *Engine) Embedding(ctx context.Context) (store.EmbeddingSpec, int, error) {
	spec, err := e.s.Embedding(ctx)
	if err != nil || spec.IsZero() {
		return spec, 0, err
	}
	n, err := e.s.count(ctx, filterOf(isType(typeChunk), qdrant.NewHasVector(denseName)))
	return spec, int(n), err
}

// unitQuery returns the query vector at unit length, or a note why the
// dense leg cannot run (as the embedded engine says it).
func unitQuery(q retrieval.Query, spec store.EmbeddingSpec, vectors int) ([]float32, string) {
	switch {
	case len(q.Vector) == 0:
		return nil, ""
	case vectors == 0:
		return nil, "dense leg skipped: the index holds no vectors yet (embed it with `imyrag ingest`)"
	case q.VectorModel != "" && q.VectorModel != spec.Model:
		return nil, fmt.Sprintf("dense leg skipped: the query was embedded with %s, the index with %s", q.VectorModel, spec.Model)
	case len(q.Vector) != spec.Dim:
		return nil, fmt.Sprintf("dense leg skipped: the query vector has %d dimensions, the index's vectors (%s) %d", len(q.Vector), spec.Model, spec.Dim)
	}
	v, err := unitVector(q.Vector, spec.Dim)
	if err != nil {
		return nil, "dense leg skipped: the query vector is zero or not finite"
	}
	return v, ""
}

// Search implements retrieval.Searcher.
func (e *Engine) Search(ctx context.Context, query retrieval.Query) (*retrieval.Result, error) {
	start := time.Now()
	q, err := retrieval.Prepare(query)
	if err != nil {
		return nil, err
	}
	res := &retrieval.Result{Phrases: q.Phrases, Legs: []string{}, Hits: []retrieval.Hit{}}
	if len(q.Phrases) > 0 {
		res.Notes = append(res.Notes, "quoted phrases are matched as words; the Qdrant store does not rank exact phrases first")
	}
	terms, err := e.analyzeQuery(ctx, q, res)
	if err != nil {
		return nil, err
	}
	if len(q.Filter.DocIDs) > 0 {
		live, err := e.s.liveVersions(ctx, q.Filter.DocIDs)
		if err != nil {
			return nil, err
		}
		for _, id := range q.Filter.DocIDs {
			if _, ok := live[id]; !ok {
				return nil, fmt.Errorf("%w: no document %q in the index", retrieval.ErrBadQuery, id)
			}
		}
	}
	var qvec []float32
	if len(q.Vector) > 0 {
		spec, n, err := e.Embedding(ctx)
		if err != nil {
			return nil, err
		}
		var note string
		if qvec, note = unitQuery(q.Query, spec, n); note != "" {
			res.Notes = append(res.Notes, note)
		}
	}
	if len(terms) == 0 && qvec == nil {
		res.Reason = retrieval.ReasonNoTerms
		res.Took = time.Since(start)
		return res, nil
	}
	f := searchFilter(q.Filter)
	var sIdx []uint32
	var sVal []float32
	if len(terms) > 0 {
		sIdx, sVal = QueryVector(terms, q.Refs)
		res.Legs = append(res.Legs, "lexical")
	}
	if qvec != nil {
		res.Legs = append(res.Legs, "dense")
	}
	// Each leg is one query of a batch (one round trip); the fusion is
	// made here, with the embedded engine's formula (see fuse).
	req := searchRequest(e.s.coll, f, sIdx, sVal, qvec, q.Candidates)
	var batch []*qdrant.BatchResult
	if err := e.s.do(ctx, "query", func(ctx context.Context) error {
		var err error
		batch, err = e.s.client.QueryBatch(ctx, req)
		return err
	}); err != nil {
		return nil, err
	}
	if len(batch) != len(req.QueryPoints) {
		return nil, fmt.Errorf("qdrant query: %d results for %d queries", len(batch), len(req.QueryPoints))
	}
	lexRank, lexScore, denseRank := map[string]int{}, map[string]float64{}, map[string]int{}
	var legs []leg
	i := 0
	if sIdx != nil {
		pts := batch[i].GetResult()
		ranks(pts, lexRank, lexScore)
		legs = append(legs, leg{weight: q.Fusion.LexicalWeight, pts: pts})
		i++
	}
	if qvec != nil {
		pts := batch[i].GetResult()
		ranks(pts, denseRank, nil)
		legs = append(legs, leg{weight: q.Fusion.DenseWeight, pts: pts})
	}
	fusedList := fuse(q.Fusion.K, legs...)
	live, err := e.s.liveVersions(ctx, docIDsOf(fusedList))
	if err != nil {
		return nil, err
	}
	// Live versions only, then the per-document cap.
	perDoc := map[string]int{}
	var picked []candidate
	for _, p := range fusedList {
		pl := payload(p.point.GetPayload())
		d := pl.str("doc_id")
		if v, ok := live[d]; !ok || v != pl.str("version") {
			continue
		}
		if q.PerDoc > 0 && perDoc[d] >= q.PerDoc {
			continue
		}
		perDoc[d]++
		picked = append(picked, p)
		if len(picked) == q.Limit {
			break
		}
	}
	if len(picked) == 0 {
		switch {
		case len(terms) == 0:
			res.Reason = retrieval.ReasonNoTerms
		case !q.Filter.Empty():
			res.Reason = retrieval.ReasonNoMatchFiltered
		default:
			res.Reason = retrieval.ReasonNoMatch
		}
		res.Took = time.Since(start)
		return res, nil
	}
	if err := e.fill(ctx, res, picked, live, lexRank, lexScore, denseRank, qvec, q.Neighbours); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// leg is one leg's result, best first, and its weight in the fusion.
type leg struct {
	weight float64
	pts    []*qdrant.ScoredPoint
}

// candidate is a fused result: the point (with the hit fields of its
// payload), its fused score and its best rank in any leg.
type candidate struct {
	point    *qdrant.ScoredPoint
	score    float64
	bestRank int
}

// GetPayload makes candidates readable by docIDsOf.
func (c candidate) GetPayload() map[string]*qdrant.Value { return c.point.GetPayload() }

// fuse is the embedded engine's reciprocal-rank fusion (retrieval.Fuse):
// a point's score is the sum over legs of weight/(k+rank), rank from 1,
// summed largest first; ties go to the better best rank, then to the
// smaller chunk ID, so the order is deterministic. It is computed here,
// over the legs' own results, rather than by Qdrant's RRF query: the
// server ranks from 0 (its k is the embedded engine's k+1) and applies a
// weight to the rank, 1/(k + (rank+1)/weight - 1), not to the score, so
// no k and weights sent to it reproduce the tuned ranking; and its weights
// need a 1.17 server (1.16 ignores the field).
func fuse(k float64, legs ...leg) []candidate {
	// The key breaks ties by chunk ID and keeps two versions of one chunk
	// apart.
	key := func(p *qdrant.ScoredPoint) string {
		return payload(p.GetPayload()).str("chunk_id") + "\x00" + p.GetId().GetUuid()
	}
	points := map[string]*qdrant.ScoredPoint{}
	ranked := make([]retrieval.Ranked[string], len(legs))
	for i, l := range legs {
		ranked[i].Weight = l.weight
		for _, p := range l.pts {
			id := key(p)
			if _, ok := points[id]; !ok {
				points[id] = p
			}
			ranked[i].IDs = append(ranked[i].IDs, id)
		}
	}
	fused := retrieval.Fuse(k, ranked...)
	out := make([]candidate, len(fused))
	for i, f := range fused {
		out[i] = candidate{point: points[f.ID], score: f.Score, bestRank: f.BestRank}
	}
	return out
}

func ranks(pts []*qdrant.ScoredPoint, rank map[string]int, score map[string]float64) {
	for i, p := range pts {
		id := p.GetId().GetUuid()
		rank[id] = i + 1
		if score != nil {
			score[id] = float64(p.GetScore())
		}
	}
}

// analyzeQuery returns the query's terms (the question's, then the
// synonyms retrieval.ExpandQuery adds with the default options) and sets
// res's Terms, IDF and Expansions. The counts behind the IDF and the
// synonyms' filter are made in one concurrent round.
func (e *Engine) analyzeQuery(ctx context.Context, q retrieval.Prepared, res *retrieval.Result) ([]lexical.QueryTerm, error) {
	qterms := retrieval.QueryTerms(e.a, q.Text, q.Refs)
	df := map[string]uint64{}
	var total uint64
	count := func(ctx context.Context, extra []string) ([]uint64, error) {
		ask := make([]string, 0, len(qterms)+len(extra))
		for _, t := range qterms {
			ask = append(ask, t.Term)
		}
		ask = append(ask, extra...)
		n, all, err := e.count(ctx, ask)
		if err != nil {
			return nil, err
		}
		for i, t := range ask {
			df[t] = n[i]
		}
		total = all
		return n[len(qterms):], nil
	}
	terms, exp, err := retrieval.ExpandQuery(ctx, e.a, q.Text, q.Refs, retrieval.Options{}, count)
	if err != nil {
		return nil, err
	}
	if len(df) == 0 && len(qterms) > 0 { // no synonyms were asked about
		if _, err := count(ctx, nil); err != nil {
			return nil, err
		}
	}
	if len(qterms) > 0 {
		res.Terms = make([]string, len(qterms))
		res.IDF = make([]float64, len(qterms))
		for i, t := range qterms {
			res.Terms[i], res.IDF[i] = t.Term, bm25IDF(total, df[t.Term])
		}
	}
	res.Expansions = exp
	for i := range res.Expansions {
		res.Expansions[i].IDF = bm25IDF(total, df[res.Expansions[i].Term])
	}
	return terms, nil
}

// counts returns each term's document frequency over live and stale chunk
// points alike, as BM25 computes it, and the number of chunk points: exact
// counts on the indexed "terms" payload field, made concurrently.
func (e *Engine) counts(ctx context.Context, terms []string) ([]uint64, uint64, error) {
	counts := make([]uint64, len(terms)+1)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range len(terms) + 1 {
		g.Go(func() error {
			f := filterOf(isType(typeChunk))
			if i < len(terms) {
				f = filterOf(isType(typeChunk), qdrant.NewMatchKeyword("terms", terms[i]))
			}
			n, err := e.s.count(gctx, f)
			counts[i] = n
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, 0, err
	}
	return counts[:len(terms)], counts[len(terms)], nil
}

// bm25IDF is the embedded engine's IDF of a term in df of n chunks.
func bm25IDF(n, df uint64) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// fill loads the picked chunks with their payload (and vectors, for the
// hits' cosine) and their neighbours of the same live version, and builds
// the hits.
func (e *Engine) fill(ctx context.Context, res *retrieval.Result, picked []candidate, live map[string]string,
	lexRank map[string]int, lexScore map[string]float64, denseRank map[string]int, qvec []float32, nb int) error {
	ids := make([]string, len(picked))
	for i, p := range picked {
		ids[i] = p.point.GetId().GetUuid()
	}
	pts, err := e.s.get(ctx, "load hits", ids, qdrant.NewWithPayload(true), qvec != nil)
	if err != nil {
		return err
	}
	byID := make(map[string]*qdrant.RetrievedPoint, len(pts))
	for _, p := range pts {
		byID[p.GetId().GetUuid()] = p
	}
	neighbours := map[string][]imyrag.Chunk{}
	if nb > 0 {
		var should []*qdrant.Condition
		for _, p := range picked {
			pl := payload(p.point.GetPayload())
			o := float64(pl.int("ordinal"))
			should = append(should, qdrant.NewFilterAsCondition(filterOf(
				qdrant.NewMatchKeyword("doc_id", pl.str("doc_id")), qdrant.NewMatchKeyword("version", pl.str("version")),
				qdrant.NewRange("ordinal", &qdrant.Range{Gte: qdrant.PtrOf(o - float64(nb)), Lte: qdrant.PtrOf(o + float64(nb))}))))
		}
		around, err := e.s.scroll(ctx, "load neighbours", &qdrant.Filter{Must: []*qdrant.Condition{isType(typeChunk)}, Should: should},
			qdrant.NewWithPayload(true), false)
		if err != nil {
			return err
		}
		for _, p := range around {
			c := payload(p.GetPayload()).chunk()
			neighbours[c.DocID] = append(neighbours[c.DocID], c)
		}
	}
	for _, sp := range picked {
		id := sp.point.GetId().GetUuid()
		p, ok := byID[id]
		if !ok {
			continue // deleted since the query
		}
		pl := payload(p.GetPayload())
		c := pl.chunk()
		h := retrieval.Hit{Rank: len(res.Hits) + 1, Score: sp.score, Chunk: c,
			Document: retrieval.DocRef{ID: c.DocID, Title: pl.str("title"), Kind: imyrag.Kind(pl.str("kind")), Date: pl.str("date")},
			Lexical:  lexScore[id], LexicalRank: lexRank[id], DenseRank: denseRank[id]}
		if v := denseOf(p.GetVectors()); qvec != nil && v != nil {
			var dot float64
			for j := range qvec {
				dot += float64(qvec[j]) * float64(v[j])
			}
			h.Dense = dot
		}
		for _, n := range sortedByOrdinal(neighbours[c.DocID]) {
			if n.ID != c.ID && abs(n.Ordinal-c.Ordinal) <= nb {
				h.Neighbours = append(h.Neighbours, n)
			}
		}
		res.Hits = append(res.Hits, h)
	}
	return nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func sortedByOrdinal(cs []imyrag.Chunk) []imyrag.Chunk {
	out := make([]imyrag.Chunk, 0, len(cs))
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b imyrag.Chunk) int { return a.Ordinal - b.Ordinal })
	return out
}
