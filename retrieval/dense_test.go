package retrieval_test

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
)

// The dense leg is tested with synthetic vectors: a deterministic random
// unit vector per embedding input, stored through PutVectors like real
// ones. Random vectors of 64 dimensions are nearly orthogonal, so a query
// near one chunk's vector has that chunk first and no other close.

var synthSpec = store.EmbeddingSpec{Model: "synthetic", Dim: 64}

// synthVector is the synthetic embedding of an input with this hash.
func synthVector(embedHash string, dim int) []float32 {
	seed, _ := hex.DecodeString(embedHash[:16])
	r := rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed), 1))
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// near is v plus a little noise: cosine about 0.95 with v.
func near(v []float32, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 2))
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x + float32(0.04*math.Sqrt(n)*r.NormFloat64())
	}
	return out
}

// embedAll gives the pending chunks of the documents in docs (all when
// empty) their synthetic vectors.
func embedAll(t *testing.T, s *local.Store, docs ...string) {
	t.Helper()
	ctx := context.Background()
	pending, err := s.PendingEmbeddings(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var vs []store.Vector
	for _, p := range pending {
		if len(docs) == 0 || slices.Contains(docs, p.DocID) {
			vs = append(vs, store.Vector{EmbedHash: p.EmbedHash, Values: synthVector(p.EmbedHash, synthSpec.Dim)})
		}
	}
	if err := s.PutVectors(ctx, synthSpec, vs); err != nil {
		t.Fatal(err)
	}
}

// vectorOf returns the synthetic vector of the first chunk of a document.
func vectorOf(t *testing.T, s *local.Store, docID string) []float32 {
	t.Helper()
	c, err := s.Chunks(context.Background(), docID)
	if err != nil || len(c) == 0 {
		t.Fatalf("chunks of %s: %v, %v", docID, c, err)
	}
	docs, _ := s.Document(context.Background(), docID)
	return synthVector(store.EmbedHash(store.EmbedInput(docs.Title, c[0].HeadingPath, c[0].Text)), synthSpec.Dim)
}

// animals are short documents with no words in common but stopwords.
var animals = map[string]string{
	"giraff":  "Giraffer\n\nGiraffer betar i parken varje morgon.\n",
	"pelikan": "Pelikaner\n\nPelikaner fiskar vid sjön hela sommaren.\n",
	"kamel":   "Kameler\n\nKameler vandrar genom öknen utan vatten.\n",
	"sill":    "Sill\n\nSillen simmar i stora stim längs kusten.\n",
}

func denseStore(t *testing.T) *local.Store {
	t.Helper()
	s := emptyStore(t)
	ingestTexts(t, s, animals)
	embedAll(t, s)
	return s
}

func TestDenseFindsChunkWithoutSharedWords(t *testing.T) {
	s := denseStore(t)
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	tests := []struct {
		name     string
		text     string
		wantLegs []string
	}{
		{"only stopwords", "och det som är", []string{"dense"}},
		{"a word no chunk has", "elefanter", []string{"lexical", "dense"}},
		{"another document's words", "giraffer parken", []string{"lexical", "dense"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := search(t, e, retrieval.Query{Text: tt.text, Vector: near(vectorOf(t, s, "kamel"), 1), VectorModel: "synthetic", PerDoc: -1})
			if diff := cmp.Diff(tt.wantLegs, res.Legs); diff != "" {
				t.Errorf("Legs (-want +got):\n%s", diff)
			}
			var kamel *retrieval.Hit
			for i := range res.Hits {
				if res.Hits[i].Document.ID == "kamel" {
					kamel = &res.Hits[i]
				}
			}
			if kamel == nil {
				t.Fatalf("kamel not found: %v", docsOf(res.Hits))
			}
			if kamel.DenseRank != 1 || kamel.Dense < 0.9 || kamel.LexicalRank != 0 {
				t.Errorf("kamel: dense rank %d, cosine %.3f, lexical rank %d; want 1, > 0.9, 0", kamel.DenseRank, kamel.Dense, kamel.LexicalRank)
			}
			if tt.name != "another document's words" && res.Hits[0].Document.ID != "kamel" {
				t.Errorf("top hit %s, want kamel", res.Hits[0].Document.ID)
			}
			for _, h := range res.Hits {
				if h.DenseRank == 0 || h.Dense == 0 {
					t.Errorf("%s: every chunk has a vector, so every hit has a dense rank and cosine: %+v", h.Document.ID, h)
				}
				if h.Document.ID != "kamel" && h.Dense > 0.6 {
					t.Errorf("%s: cosine %.3f with an unrelated random vector", h.Document.ID, h.Dense)
				}
			}
			if len(res.Notes) != 0 {
				t.Errorf("Notes = %q", res.Notes)
			}
		})
	}
}

func TestDenseFusionWeights(t *testing.T) {
	s := denseStore(t)
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	// The words find giraff, the vector kamel. Every chunk has a vector,
	// so giraff is also in the dense leg (rank 2 or lower) and wins with
	// equal weights: kamel 1/61, giraff 1/61 + 1/(60 + its dense rank).
	q := retrieval.Query{Text: "giraffer parken", Vector: near(vectorOf(t, s, "kamel"), 2), PerDoc: -1}
	tests := []struct {
		name    string
		fusion  retrieval.Fusion
		wantTop string
	}{
		{"equal weights", retrieval.Fusion{LexicalWeight: 1, DenseWeight: 1}, "giraff"},
		{"dense weighs far more", retrieval.Fusion{LexicalWeight: 1, DenseWeight: 100}, "kamel"},
		{"lexical weighs more", retrieval.Fusion{LexicalWeight: 2, DenseWeight: 1}, "giraff"},
		{"only dense", retrieval.Fusion{DenseWeight: 1}, "kamel"},
		{"only lexical", retrieval.Fusion{LexicalWeight: 1}, "giraff"},
		// A small k favours the top ranks: dense weight 5 is not enough
		// with k = 60 but is with k = 2.
		{"k=60, dense 5", retrieval.Fusion{K: 60, LexicalWeight: 1, DenseWeight: 5}, "giraff"},
		{"k=2, dense 5", retrieval.Fusion{K: 2, LexicalWeight: 1, DenseWeight: 5}, "kamel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q.Fusion = tt.fusion
			res := search(t, e, q)
			if res.Hits[0].Document.ID != tt.wantTop {
				t.Errorf("top hit %s, want %s", res.Hits[0].Document.ID, tt.wantTop)
			}
			k := tt.fusion.K
			if k == 0 {
				k = retrieval.DefaultFusion.K
			}
			for _, h := range res.Hits {
				want := 0.0
				if h.LexicalRank > 0 {
					want += tt.fusion.LexicalWeight / (k + float64(h.LexicalRank))
				}
				if h.DenseRank > 0 {
					want += tt.fusion.DenseWeight / (k + float64(h.DenseRank))
				}
				if math.Abs(h.Score-want) > 1e-12 {
					t.Errorf("%s: score %v, want %v (lexical rank %d, dense rank %d)", h.Document.ID, h.Score, want, h.LexicalRank, h.DenseRank)
				}
			}
		})
	}
}

func TestDenseSkipped(t *testing.T) {
	ctx := context.Background()
	plain := emptyStore(t) // no vectors at all
	ingestTexts(t, plain, animals)
	part := emptyStore(t) // some documents embedded
	ingestTexts(t, part, animals)
	embedAll(t, part, "giraff", "sill")
	kamel := vectorOf(t, part, "kamel")
	tests := []struct {
		name     string
		s        *local.Store
		q        retrieval.Query
		wantNote string
	}{
		{"no vectors", plain, retrieval.Query{Text: "pelikaner", Vector: kamel}, "holds no vectors"},
		{"other dimension", part, retrieval.Query{Text: "pelikaner", Vector: kamel[:32]}, "32 dimensions, the index's vectors (synthetic) 64"},
		{"other model", part, retrieval.Query{Text: "pelikaner", Vector: kamel, VectorModel: "bge-m3"}, "embedded with bge-m3, the index with synthetic"},
		{"zero vector", part, retrieval.Query{Text: "pelikaner", Vector: make([]float32, 64)}, "zero or not finite"},
		{"NaN vector", part, retrieval.Query{Text: "pelikaner", Vector: append([]float32{float32(math.NaN())}, kamel[1:]...)}, "zero or not finite"},
		{"filters leave no vector", part, retrieval.Query{Text: "pelikaner", Vector: kamel, Filter: retrieval.Filter{DocIDs: []string{"pelikan", "kamel"}}}, "no passage within the filters has a vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := retrieval.NewEngine(tt.s, analyze.Default(), retrieval.Options{})
			res := search(t, e, tt.q)
			if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.Contains(n, tt.wantNote) }) {
				t.Errorf("Notes = %q, want one saying %q", res.Notes, tt.wantNote)
			}
			if diff := cmp.Diff([]string{"lexical"}, res.Legs); diff != "" {
				t.Errorf("Legs (-want +got):\n%s", diff)
			}
			// The lexical answer, as if no vector had been given.
			lq := tt.q
			lq.Vector, lq.VectorModel = nil, ""
			want := search(t, e, lq)
			if diff := cmp.Diff(want.Hits, res.Hits); diff != "" {
				t.Errorf("hits differ from the lexical search (-want +got):\n%s", diff)
			}
			// Only stopwords and no dense leg: no hits, and why.
			tt.q.Text = "och det"
			res = search(t, e, tt.q)
			if len(res.Hits) != 0 || res.Reason != retrieval.ReasonNoTerms {
				t.Errorf("stopwords only: %d hits, Reason %q", len(res.Hits), res.Reason)
			}
		})
	}
	// A query vector on a partly embedded index says how much it covered.
	e := retrieval.NewEngine(part, analyze.Default(), retrieval.Options{})
	res := search(t, e, retrieval.Query{Text: "och", Vector: vectorOf(t, part, "sill")})
	if res.Hits[0].Document.ID != "sill" || !slices.Contains(res.Notes, "dense leg covered 2 of 4 passages; the others have no vector yet") {
		t.Errorf("partly embedded: top %s, notes %q", res.Hits[0].Document.ID, res.Notes)
	}
	if spec, n, err := e.Embedding(ctx); err != nil || spec != synthSpec || n != 2 {
		t.Errorf("Embedding = %+v, %d, %v; want %+v, 2", spec, n, err, synthSpec)
	}
	if spec, n, err := retrieval.NewEngine(plain, analyze.Default(), retrieval.Options{}).Embedding(ctx); err != nil || !spec.IsZero() || n != 0 {
		t.Errorf("Embedding without vectors = %+v, %d, %v", spec, n, err)
	}
}

func TestDenseFilters(t *testing.T) {
	s := denseStore(t)
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	allowed := []string{"pelikan", "sill"}
	// The vector is kamel's, which the filter excludes.
	res := search(t, e, retrieval.Query{Text: "och", Vector: vectorOf(t, s, "kamel"), Filter: retrieval.Filter{DocIDs: allowed}, PerDoc: -1})
	if diff := cmp.Diff(allowed, docsOf(res.Hits)); diff != "" {
		t.Errorf("documents of the hits (-want +got):\n%s", diff)
	}
	for i, h := range res.Hits {
		if h.DenseRank != i+1 {
			t.Errorf("hit %d (%s) has dense rank %d", i, h.Document.ID, h.DenseRank)
		}
	}
	// A filter that matches no document is still the filter's fault.
	res = search(t, e, retrieval.Query{Text: "och", Vector: vectorOf(t, s, "kamel"), Filter: retrieval.Filter{From: "2090"}})
	if len(res.Hits) != 0 || !strings.Contains(res.Reason, "filtren") {
		t.Errorf("filter that matches nothing: %d hits, Reason %q", len(res.Hits), res.Reason)
	}
}

// TestLexicalUnchangedByVectors: with vectors in the index, a search without
// a query vector returns exactly what it returned before they were added.
func TestLexicalUnchangedByVectors(t *testing.T) {
	ctx := context.Background()
	s, err := ingesttest.Bundled(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	queries := []retrieval.Query{
		{Text: "integritet"},
		{Text: `"regulatorisk sandlåda" AI`, Neighbours: 1},
		{Text: "DI-2021-5817"},
		{Text: "ny teknik", Filter: retrieval.Filter{LegalRefs: []string{"SOU 2016:41"}}},
		{Text: "Vad säger regeringen om en integritetsskyddspolitik?", Limit: 30, PerDoc: -1},
		{Text: "och att"},
	}
	before := make([]*retrieval.Result, len(queries))
	for i, q := range queries {
		before[i] = search(t, e, q)
	}
	embedAll(t, s)
	if _, n, err := e.Embedding(ctx); err != nil || n == 0 {
		t.Fatalf("premise: the engine should see the vectors: %d, %v", n, err)
	}
	for i, q := range queries {
		after := search(t, e, q)
		if diff := cmp.Diff(before[i], after, cmpopts.IgnoreFields(retrieval.Result{}, "Took")); diff != "" {
			t.Errorf("%q (-before +after):\n%s", q.Text, diff)
		}
	}
}

// TestDenseWhileEmbedding searches with a query vector from several
// goroutines while vectors are being added (run with -race); once they
// are all in, the engine sees them.
func TestDenseWhileEmbedding(t *testing.T) {
	ctx := context.Background()
	s := emptyStore(t)
	ingestTexts(t, s, animals)
	embedAll(t, s, "giraff")
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	q := retrieval.Query{Text: "och", Vector: vectorOf(t, s, "sill"), PerDoc: -1}
	done := make(chan struct{})
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := e.Search(ctx, q); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for _, doc := range []string{"pelikan", "kamel", "sill"} {
		embedAll(t, s, doc)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	res := search(t, e, q)
	if len(res.Hits) != 4 || res.Hits[0].Document.ID != "sill" || len(res.Notes) != 0 {
		t.Errorf("after embedding everything: %v, notes %q; want all four, sill first", docsOf(res.Hits), res.Notes)
	}
}
