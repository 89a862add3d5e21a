package retrieval

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/ingest/sentence"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/lexical"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
	"github.com/imy/imyrag/retrieval/synonym"
)

// Options tune ranking. The defaults are documented in docs/ARCHITECTURE.md
// and were chosen on the development set as a whole, never per item.
type Options struct {
	// K1 and B are the BM25 parameters (defaults 0.9 and 0.75: chunks are
	// short, so term frequency saturates early).
	K1, B float64
	// HeadWeight scales the BM25 score of the title-and-heading field
	// relative to the chunk text. Default 0.5.
	HeadWeight float64
	// IdentBoost multiplies the weight of identifier terms of the query
	// (diarienummer, SFS numbers, article numbers). Default 3.
	IdentBoost float64
	// RefBoost adds this share of the best lexical score to a chunk for each
	// legal reference or diarienummer of the query that the chunk's metadata
	// contains (matched exactly, after normalization). Default 0.5.
	RefBoost float64
	// ProximityWeight adds this share of the best lexical score times a
	// chunk's window coverage: the IDF-weighted share of the query's terms
	// found together in one sentence or two adjacent sentences, for the best
	// ProximityDepth candidates (default 10). Off by default: on the
	// development set it moved no metric beyond one item's rank (MRR 0.740
	// → 0.745) and cost a third of the query time (p50 0.83 → 1.27 ms at
	// 100,000 chunks; docs/BENCHMARKS.md).
	ProximityWeight float64
	ProximityDepth  int
	// PhraseBoost adds this share of the best lexical score to a chunk for
	// each quoted phrase it contains word for word. Default 1.
	PhraseBoost float64
	// SynonymWeight is the weight of a synonym added to the query, as a
	// share of the weight of the query word it expands (expand.go). Only
	// whole words are expanded (not compound parts, identifiers or numbers;
	// stopwords are gone already), only with synonyms that some chunk
	// contains, at most MaxSynonyms per word. Default 0.6 with MaxSynonyms
	// 3: on the development set every weight from 0.4 to 0.8 with 2 to 4
	// synonyms kept hit@1 and raised hit@5, coverage@10, MRR and nDCG@10;
	// below 0.35 and from 0.9 hit@1 lost an item (docs/BENCHMARKS.md).
	SynonymWeight float64
	MaxSynonyms   int
	// Synonyms is the thesaurus; nil means synonym.Default(), the embedded
	// Swedish table.
	Synonyms *synonym.Table
}

// DefaultOptions are the ranking defaults.
var DefaultOptions = Options{K1: 0.9, B: 0.75, HeadWeight: 0.5, IdentBoost: 3, RefBoost: 0.5, PhraseBoost: 1, ProximityWeight: 0, ProximityDepth: 10,
	SynonymWeight: 0.6, MaxSynonyms: 3}

// Query is one search.
type Query struct {
	Text   string `json:"text"`
	Filter Filter `json:"filter"`
	// Vector is the query's dense embedding, made with the model of the
	// index's vectors (Engine.Embedding says which); the dense leg runs
	// only when it is set. It need not be normalized. VectorModel, when
	// set, names the model that made it, and the dense leg is skipped if
	// the index's vectors are another model's. A dense leg that cannot run
	// is skipped with a note in Result.Notes, never an error.
	Vector      []float32 `json:"-"`
	VectorModel string    `json:"-"`
	// Limit is the number of hits (default 10, at most 100).
	Limit int `json:"limit"`
	// PerDoc caps the hits from one document (diversity); 0 means 3,
	// negative means no cap.
	PerDoc int `json:"per_doc"`
	// Neighbours attaches this many chunks before and after each hit.
	Neighbours int    `json:"neighbours"`
	Fusion     Fusion `json:"fusion"`
}

// DocRef is what a hit says about its document.
type DocRef struct {
	ID    string      `json:"id"`
	Title string      `json:"title"`
	Kind  imyrag.Kind `json:"kind"`
	Date  string      `json:"date,omitempty"`
}

// Hit is one retrieved chunk.
type Hit struct {
	Rank     int          `json:"rank"`
	Score    float64      `json:"score"`
	Chunk    imyrag.Chunk `json:"chunk"`
	Document DocRef       `json:"document"`
	// Lexical is the BM25 score (with boosts) and LexicalRank its rank in
	// the lexical leg (0 when the leg did not return the chunk); likewise
	// for the dense leg. Dense is the cosine similarity of the query's and
	// the chunk's vectors whenever the dense leg ran and the chunk has a
	// vector, even if the chunk was not among the dense leg's candidates.
	Lexical     float64 `json:"lexical"`
	LexicalRank int     `json:"lexical_rank,omitempty"`
	Dense       float64 `json:"dense,omitempty"`
	DenseRank   int     `json:"dense_rank,omitempty"`
	// Neighbours are the chunks around the hit, in document order (the hit
	// itself excluded).
	Neighbours []imyrag.Chunk `json:"neighbours,omitempty"`
}

// Result is the answer to a Query.
type Result struct {
	Hits []Hit `json:"hits"`
	// Terms are the analyzed query terms; Phrases the quoted phrases.
	Terms []string `json:"terms"`
	// IDF holds each term's inverse document frequency in the index (the
	// highest value for terms no chunk contains), aligned with Terms.
	IDF     []float64 `json:"idf"`
	Phrases []string  `json:"phrases,omitempty"`
	// Expansions are the synonyms added to the query's terms (not in
	// Terms), each with the term it expands and its weight; empty when
	// synonym expansion is off or found nothing the index contains.
	Expansions []Expansion `json:"expansions,omitempty"`
	// Legs lists the legs that ran: "lexical", "dense".
	Legs []string `json:"legs"`
	// Reason says why there are no hits, when there are none.
	Reason string `json:"reason,omitempty"`
	// Notes say what the search could not do, e.g. a dense leg skipped.
	Notes []string      `json:"notes,omitempty"`
	Took  time.Duration `json:"took_ns"`
}

// Index is what the engine needs of the embedded store.
type Index interface {
	Generation(ctx context.Context) (int64, error)
	LoadSearchData(ctx context.Context, v local.SearchVisitor) (int64, error)
	ChunksByID(ctx context.Context, ids []string) ([]imyrag.Chunk, error)
}

// Engine searches the embedded store. It keeps an in-memory inverted index
// derived from the store's term blobs, and the chunks' vectors, and
// rebuilds them when the store's generation changes. Safe for concurrent
// use.
type Engine struct {
	idx      Index
	analyzer *analyze.Analyzer
	opts     Options

	mu   sync.Mutex // guards snap rebuilds
	snap *snapshot
}

// snapshot is the derived search state for one store generation.
type snapshot struct {
	gen     int64
	lex     *lexical.Index
	ids     []string // chunk number → chunk ID
	doc     []int32  // chunk number → document number
	ord     []int32  // chunk number → ordinal
	docs    []store.DocumentInfo
	refs    map[string][]int32 // "ref\x00SFS 2018:218" → chunk numbers
	byChunk map[string]int32
	spec    store.EmbeddingSpec // the model and dimension of vec
	vec     vectors
}

// NewEngine returns an engine over idx. Zero fields of opts take their
// defaults from DefaultOptions; a negative weight or boost turns that
// feature off. The index is loaded on first use.
func NewEngine(idx Index, a *analyze.Analyzer, opts Options) *Engine {
	return &Engine{idx: idx, analyzer: a, opts: opts.withDefaults()}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	for _, f := range []struct{ v, def *float64 }{
		{&o.K1, &d.K1}, {&o.B, &d.B}, {&o.HeadWeight, &d.HeadWeight}, {&o.IdentBoost, &d.IdentBoost},
		{&o.RefBoost, &d.RefBoost}, {&o.ProximityWeight, &d.ProximityWeight}, {&o.PhraseBoost, &d.PhraseBoost},
		{&o.SynonymWeight, &d.SynonymWeight},
	} {
		switch {
		case *f.v == 0:
			*f.v = *f.def
		case *f.v < 0:
			*f.v = 0
		}
	}
	if o.ProximityDepth <= 0 {
		o.ProximityDepth = d.ProximityDepth
	}
	if o.MaxSynonyms <= 0 {
		o.MaxSynonyms = d.MaxSynonyms
	}
	if o.SynonymWeight > 0 && o.Synonyms == nil {
		o.Synonyms = synonym.Default()
	}
	return o
}

// current returns the snapshot for the store's generation, rebuilding it
// when the store changed.
func (e *Engine) current(ctx context.Context) (*snapshot, error) {
	gen, err := e.idx.Generation(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snap != nil && e.snap.gen == gen {
		return e.snap, nil
	}
	s, err := build(ctx, e.idx)
	if err != nil {
		return nil, err
	}
	e.snap = s
	return s, nil
}

// Warm loads the search index now rather than on the first query.
func (e *Engine) Warm(ctx context.Context) error {
	_, err := e.current(ctx)
	return err
}

func build(ctx context.Context, idx Index) (*snapshot, error) {
	s := &snapshot{refs: map[string][]int32{}, byChunk: map[string]int32{}}
	docNo := map[string]int32{}
	b := lexical.NewBuilder()
	chunks := 0 // as the documents record it: the size of the vector slab
	gen, err := idx.LoadSearchData(ctx, local.SearchVisitor{
		Spec: func(spec store.EmbeddingSpec) {
			s.spec = spec
			s.vec.dim = spec.Dim
		},
		Document: func(d store.DocumentInfo) {
			docNo[d.ID] = int32(len(s.docs))
			s.docs = append(s.docs, d)
			chunks += d.Chunks
		},
		Chunk: func(c local.ChunkTerms) error {
			d, ok := docNo[c.DocID]
			if !ok {
				return fmt.Errorf("chunk %s belongs to unknown document %s", c.ChunkID, c.DocID)
			}
			if len(s.ids) >= lexical.MaxChunks {
				return fmt.Errorf("the index holds more than %d chunks, the most one search process can hold: use the Qdrant store", lexical.MaxChunks)
			}
			n := b.NewChunk()
			s.ids = append(s.ids, c.ChunkID)
			s.doc = append(s.doc, d)
			s.ord = append(s.ord, int32(c.Ordinal))
			s.byChunk[c.ChunkID] = int32(n)
			if s.vec.dim > 0 {
				if s.vec.row == nil {
					s.vec.row = make([]int32, 0, chunks)
				}
				row := int32(-1)
				if c.Vector != nil {
					if s.vec.slab == nil {
						s.vec.slab = make([]float32, 0, chunks*s.vec.dim)
					}
					row = int32(len(s.vec.chunk))
					s.vec.chunk = append(s.vec.chunk, int32(n))
					s.vec.slab = append(s.vec.slab, c.Vector...)
				}
				s.vec.row = append(s.vec.row, row)
			}
			if err := c.Body.Each(func(t []byte, f int) { b.AddTerm(0, string(t), f) }); err != nil {
				return fmt.Errorf("chunk %s: %w", c.ChunkID, err)
			}
			if err := c.Head.Each(func(t []byte, f int) { b.AddTerm(1, string(t), f) }); err != nil {
				return fmt.Errorf("chunk %s: %w", c.ChunkID, err)
			}
			return nil
		},
		Ref: func(kind, value, chunkID string) {
			if n, ok := s.byChunk[chunkID]; ok {
				k := kind + "\x00" + value
				s.refs[k] = append(s.refs[k], n)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("load search index: %w", err)
	}
	s.gen = gen
	s.lex = b.Build()
	if s.vec.rows() == 0 {
		s.vec.row = nil
	} else if len(s.vec.slab) < cap(s.vec.slab)*3/4 {
		// Partly embedded: keep only what is used.
		s.vec.slab = slices.Clone(s.vec.slab)
	}
	return s, nil
}

// Embedding returns the model and dimension of the index's vectors and how
// many chunks have one: a query's Vector must come from that model for the
// dense leg to run. The zero spec means the index has no vectors.
func (e *Engine) Embedding(ctx context.Context) (store.EmbeddingSpec, int, error) {
	s, err := e.current(ctx)
	if err != nil {
		return store.EmbeddingSpec{}, 0, err
	}
	return s.spec, s.vec.rows(), nil
}

// denseQuery decides whether the dense leg can run for q: it returns the
// query vector at unit length, or nil and a note saying why the leg is
// skipped (no note when the query has no vector).
func (s *snapshot) denseQuery(q Query) ([]float32, string) {
	switch {
	case len(q.Vector) == 0:
		return nil, ""
	case s.vec.rows() == 0:
		return nil, "dense leg skipped: the index holds no vectors yet (embed it with `imyrag ingest`)"
	case q.VectorModel != "" && q.VectorModel != s.spec.Model:
		return nil, fmt.Sprintf("dense leg skipped: the query was embedded with %s, the index with %s", q.VectorModel, s.spec.Model)
	case len(q.Vector) != s.spec.Dim:
		return nil, fmt.Sprintf("dense leg skipped: the query vector has %d dimensions, the index's vectors (%s) %d", len(q.Vector), s.spec.Model, s.spec.Dim)
	}
	v, ok := unit(q.Vector)
	if !ok {
		return nil, "dense leg skipped: the query vector is zero or not finite"
	}
	return v, ""
}

// Search runs a query: the lexical leg when the text has searchable words,
// the dense leg when the query has a vector the index can use, fused. Bad
// queries return an error wrapping ErrBadQuery; a query that can match
// nothing (only stopwords and no usable vector, say) returns no hits and a
// Reason.
func (e *Engine) Search(ctx context.Context, q Query) (*Result, error) {
	start := time.Now()
	if err := checkText(q.Text); err != nil {
		return nil, err
	}
	f, err := normalizeFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	switch {
	case q.Limit <= 0:
		q.Limit = 10
	case q.Limit > 100:
		return nil, badQuery("limit %d is over 100", q.Limit)
	}
	if q.PerDoc == 0 {
		q.PerDoc = 3
	}
	if q.Neighbours < 0 || q.Neighbours > 5 {
		return nil, badQuery("neighbours %d: want 0–5", q.Neighbours)
	}
	if err := q.Fusion.check(); err != nil {
		return nil, err
	}
	s, err := e.current(ctx)
	if err != nil {
		return nil, err
	}
	allow, err := s.allow(f)
	if err != nil {
		return nil, err
	}
	res := &Result{Phrases: phrases(q.Text), Legs: []string{}, Hits: []Hit{}}
	refs := legal.Extract(q.Text) // identifiers and references named in the query
	terms, words := e.analyzeQuery(q.Text, refs)
	for _, t := range terms {
		res.Terms = append(res.Terms, t.Term)
		res.IDF = append(res.IDF, s.lex.IDF(t.Term))
	}
	if e.opts.SynonymWeight > 0 {
		var extra []lexical.QueryTerm
		extra, res.Expansions = expand(terms, words, e.opts, func(t string) bool { return s.lex.DocFreq(t) > 0 })
		for i := range res.Expansions {
			res.Expansions[i].IDF = s.lex.IDF(res.Expansions[i].Term)
		}
		terms = append(terms, extra...)
	}
	qvec, note := s.denseQuery(q)
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	if len(terms) == 0 && qvec == nil {
		res.Reason = ReasonNoTerms
		res.Took = time.Since(start)
		return res, nil
	}
	if allow != nil && allow.none {
		res.Reason = ReasonNoDocument
		res.Took = time.Since(start)
		return res, nil
	}
	cands := 10*q.Limit + 50

	// Dense leg, concurrently with the lexical one: the chunks whose
	// vectors are nearest the query's.
	var dense []denseHit
	denseDone := make(chan struct{})
	if qvec != nil {
		go func() {
			defer close(denseDone)
			dense = s.vec.search(qvec, cands, allow)
		}()
	} else {
		close(denseDone)
	}

	// Lexical leg: BM25 candidates, then exact-reference and phrase boosts.
	var scored []lexical.Scored
	if len(terms) > 0 {
		p := lexical.Params{HeadWeight: e.opts.HeadWeight, K1: e.opts.K1, B: e.opts.B}
		if allow != nil {
			p.Allow = allow.ok
		}
		scored = s.lex.Search(terms, cands, p)
		res.Legs = append(res.Legs, "lexical")
		if len(scored) > 0 {
			if err := e.boost(ctx, s, refs, res.Phrases, terms, scored); err != nil {
				<-denseDone
				return nil, err
			}
		}
	}
	lexScore := make(map[int]float64, len(scored))
	lexIDs := make([]int, len(scored))
	for i, sc := range scored {
		lexScore[sc.Chunk] = sc.Score
		lexIDs[i] = sc.Chunk
	}
	<-denseDone
	fz := q.Fusion.withDefaults()
	legs := []Ranked[int]{{Weight: fz.LexicalWeight, IDs: lexIDs}}
	var denseIDs []int
	if qvec != nil {
		if len(dense) == 0 {
			res.Notes = append(res.Notes, "dense leg skipped: no passage within the filters has a vector yet")
			qvec = nil
		} else {
			res.Legs = append(res.Legs, "dense")
			denseIDs = make([]int, len(dense))
			for i, d := range dense {
				denseIDs[i] = int(d.chunk)
			}
			legs = append(legs, Ranked[int]{Weight: fz.DenseWeight, IDs: denseIDs})
			if n := s.vec.rows(); n < len(s.ids) {
				res.Notes = append(res.Notes, fmt.Sprintf("dense leg covered %d of %d passages; the others have no vector yet", n, len(s.ids)))
			}
		}
	}
	fusedList := Fuse(fz.K, legs...)

	// Diversity, then load the chunks.
	perDoc := map[int32]int{}
	var picked []Fused[int]
	for _, fd := range fusedList {
		d := s.doc[fd.ID]
		if q.PerDoc > 0 && perDoc[d] >= q.PerDoc {
			continue
		}
		perDoc[d]++
		picked = append(picked, fd)
		if len(picked) == q.Limit {
			break
		}
	}
	if len(picked) == 0 {
		switch {
		case len(terms) == 0: // the dense leg was skipped; a note says why
			res.Reason = ReasonNoTerms
		case allow != nil:
			res.Reason = ReasonNoMatchFiltered
		default:
			res.Reason = ReasonNoMatch
		}
		res.Took = time.Since(start)
		return res, nil
	}
	if err := e.fill(ctx, s, res, picked, lexScore, lexIDs, denseIDs, qvec, q.Neighbours); err != nil {
		return nil, err
	}
	res.Took = time.Since(start)
	return res, nil
}

// queryTerms analyzes the query: unique terms, identifiers weighted up.
// Identifiers written loosely ("DI 2021-5817", "dnr di-2021-5817") are added
// in their canonical form, as the documents' analysis keeps them.
func (e *Engine) queryTerms(text string, m imyrag.Metadata) []lexical.QueryTerm {
	terms, _ := e.analyzeQuery(text, m)
	return terms
}

// analyzeQuery is queryTerms, and for each term the question's word it
// stems from, "" for identifiers, numbers and compound parts: only whole
// words have synonyms.
func (e *Engine) analyzeQuery(text string, m imyrag.Metadata) ([]lexical.QueryTerm, []string) {
	if ids := slices.Concat(m.Diarienummer, m.GovRefs); len(ids) > 0 {
		text += " " + strings.Join(ids, " ")
	}
	idents := map[string]bool{}
	whole := map[string]string{} // the stems of whole words (not compound parts) → the word
	for _, tok := range e.analyzer.Tokens(text) {
		switch tok.Kind {
		case analyze.Identifier, analyze.Number:
			idents[tok.Text] = true
		case analyze.Word:
			if ts := e.analyzer.Terms(tok.Text); len(ts) > 0 {
				if _, ok := whole[ts[0]]; !ok {
					whole[ts[0]] = tok.Text
				}
			}
		}
	}
	var out []lexical.QueryTerm
	var words []string
	seen := map[string]int{}
	for _, t := range e.analyzer.Terms(text) {
		if i, ok := seen[t]; ok {
			out[i].Weight += 0.25 // a repeated word matters a little more
			continue
		}
		w := 1.0
		if idents[t] && e.opts.IdentBoost > 0 {
			w = e.opts.IdentBoost
		}
		seen[t] = len(out)
		out = append(out, lexical.QueryTerm{Term: t, Weight: w})
		word := whole[t]
		if idents[t] {
			word = ""
		}
		words = append(words, word)
	}
	return out, words
}

// boost adds the exact-reference and phrase boosts to the lexical scores and
// re-sorts them.
func (e *Engine) boost(ctx context.Context, s *snapshot, m imyrag.Metadata, phrs []string, qterms []lexical.QueryTerm, scored []lexical.Scored) error {
	top := scored[0].Score
	var keys []string
	for _, v := range m.Diarienummer {
		keys = append(keys, "dnr\x00"+v)
	}
	for _, v := range m.LegalRefs {
		keys = append(keys, "ref\x00"+v)
	}
	for _, v := range m.GovRefs {
		keys = append(keys, "gov\x00"+v)
	}
	if len(keys) > 0 && e.opts.RefBoost > 0 {
		has := map[int32]int{}
		for _, k := range keys {
			for _, c := range s.refs[k] {
				has[c]++
			}
		}
		for i := range scored {
			if n := has[int32(scored[i].Chunk)]; n > 0 {
				scored[i].Score += e.opts.RefBoost * top * float64(n)
			}
		}
	}
	depth := 0
	if e.opts.ProximityWeight > 0 {
		depth = min(len(scored), max(e.opts.ProximityDepth, 1))
	}
	if len(phrs) > 0 && e.opts.PhraseBoost > 0 {
		depth = len(scored)
	}
	if depth > 0 {
		ids := make([]string, depth)
		for i := range ids {
			ids[i] = s.ids[scored[i].Chunk]
		}
		chunks, err := e.idx.ChunksByID(ctx, ids)
		if err != nil {
			return err
		}
		text := make(map[string]string, len(chunks))
		for _, c := range chunks {
			text[c.ID] = c.Text
		}
		var phraseTerms [][]string
		if e.opts.PhraseBoost > 0 {
			for _, ph := range phrs {
				if pt := e.analyzer.Terms(ph); len(pt) > 0 {
					phraseTerms = append(phraseTerms, pt)
				}
			}
		}
		for i := range depth {
			t := text[ids[i]]
			if len(phraseTerms) > 0 {
				all := e.analyzer.Terms(t)
				for _, pt := range phraseTerms {
					if containsSeq(all, pt) {
						scored[i].Score += e.opts.PhraseBoost * top
					}
				}
			}
			if e.opts.ProximityWeight > 0 && i < e.opts.ProximityDepth {
				scored[i].Score += e.opts.ProximityWeight * top * windowCoverage(e.analyzer, t, qterms, s.lex)
			}
		}
	}
	slices.SortStableFunc(scored, func(a, b lexical.Scored) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return a.Chunk - b.Chunk
	})
	return nil
}

// windowCoverage is the best IDF-weighted share of the query terms found in
// one sentence, or two adjacent sentences, of text.
func windowCoverage(a *analyze.Analyzer, text string, q []lexical.QueryTerm, ix *lexical.Index) float64 {
	var total float64
	w := make(map[string]float64, len(q))
	for _, t := range q {
		w[t.Term] = ix.IDF(t.Term)
		total += w[t.Term]
	}
	if total == 0 {
		return 0
	}
	var prev map[string]bool
	best := 0.0
	for _, sp := range sentence.Split(text) {
		cur := map[string]bool{}
		for _, t := range a.Terms(text[sp.Start:sp.End]) {
			if _, ok := w[t]; ok {
				cur[t] = true
			}
		}
		var one, two float64
		for t, x := range w {
			if cur[t] {
				one += x
				two += x
			} else if prev[t] {
				two += x
			}
		}
		best = max(best, one/total, two/total)
		prev = cur
	}
	return best
}

// containsSeq reports whether seq occurs contiguously in terms.
func containsSeq(terms, seq []string) bool {
outer:
	for i := 0; i+len(seq) <= len(terms); i++ {
		for j := range seq {
			if terms[i+j] != seq[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

// fill loads the picked chunks (and neighbours) and builds the hits. qvec
// is the unit query vector when the dense leg ran.
func (e *Engine) fill(ctx context.Context, s *snapshot, res *Result, picked []Fused[int], lexScore map[int]float64, lexIDs, denseIDs []int, qvec []float32, nb int) error {
	lexRank := make(map[int]int, len(lexIDs))
	for i, c := range lexIDs {
		lexRank[c] = i + 1
	}
	denseRank := make(map[int]int, len(denseIDs))
	for i, c := range denseIDs {
		denseRank[c] = i + 1
	}
	var want []string
	for _, p := range picked {
		want = append(want, s.ids[p.ID])
		for _, n := range s.neighbours(p.ID, nb) {
			want = append(want, s.ids[n])
		}
	}
	chunks, err := e.idx.ChunksByID(ctx, want)
	if err != nil {
		return err
	}
	byID := make(map[string]imyrag.Chunk, len(chunks))
	for _, c := range chunks {
		byID[c.ID] = c
	}
	for i, p := range picked {
		c, ok := byID[s.ids[p.ID]]
		if !ok {
			continue // replaced since the snapshot; the next query rebuilds it
		}
		d := s.docs[s.doc[p.ID]]
		h := Hit{Rank: i + 1, Score: p.Score, Chunk: c, Lexical: lexScore[p.ID], LexicalRank: lexRank[p.ID],
			DenseRank: denseRank[p.ID], Document: DocRef{ID: d.ID, Title: d.Title, Kind: d.Kind, Date: d.Date}}
		if v := s.vec.vector(p.ID); qvec != nil && v != nil {
			h.Dense = float64(dot(qvec, v))
		}
		for _, n := range s.neighbours(p.ID, nb) {
			if nc, ok := byID[s.ids[n]]; ok {
				h.Neighbours = append(h.Neighbours, nc)
			}
		}
		res.Hits = append(res.Hits, h)
	}
	return nil
}

// neighbours returns the chunk numbers within n ordinals of c in its
// document, in order, c excluded. Chunks of a document are contiguous.
func (s *snapshot) neighbours(c, n int) []int {
	var out []int
	for i := c - n; i <= c+n; i++ {
		if i != c && i >= 0 && i < len(s.ids) && s.doc[i] == s.doc[c] {
			out = append(out, i)
		}
	}
	return out
}

// allowSet is a filter evaluated to a set of chunk numbers.
type allowSet struct {
	bits []bool
	none bool
}

func (a *allowSet) ok(c int) bool { return a.bits[c] }

// allow evaluates a normalized filter; nil means no restriction.
func (s *snapshot) allow(f Filter) (*allowSet, error) {
	if f.Empty() {
		return nil, nil
	}
	docOK := make([]bool, len(s.docs))
	known := map[string]bool{}
	for _, id := range f.DocIDs {
		known[id] = false
	}
	for i, d := range s.docs {
		ok := true
		if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, d.Kind) {
			ok = false
		}
		if f.From != "" || f.To != "" {
			lo, hi := dateSpan(d.Date)
			if lo == "" || (f.From != "" && hi < f.From) || (f.To != "" && lo > f.To) {
				ok = false
			}
		}
		if len(f.DocIDs) > 0 {
			if _, want := known[d.ID]; want {
				known[d.ID] = true
			} else {
				ok = false
			}
		}
		docOK[i] = ok
	}
	for id, found := range known {
		if !found {
			return nil, badQuery("no document %q in the index", id)
		}
	}
	bits := make([]bool, len(s.ids))
	any := false
	for c := range s.ids {
		bits[c] = docOK[s.doc[c]]
	}
	restrict := func(keys []string, kind string) {
		for _, v := range keys {
			in := make([]bool, len(bits))
			for _, c := range s.refs[kind+"\x00"+v] {
				in[c] = true
			}
			for c := range bits {
				bits[c] = bits[c] && in[c]
			}
		}
	}
	restrict(f.Diarienummer, "dnr")
	restrict(f.LegalRefs, "ref")
	for _, b := range bits {
		any = any || b
	}
	return &allowSet{bits: bits, none: !any}, nil
}

// dateSpan turns a document date ("2025", "2023-03", "2023-03-28") into the
// first and last day it may mean.
func dateSpan(d string) (string, string) {
	switch len(d) {
	case 4:
		return d + "-01-01", d + "-12-31"
	case 7:
		hi, _ := normDate(d, true)
		return d + "-01", hi
	case 10:
		return d, d
	}
	return "", ""
}
