// Package storetest is the contract suite every store passes: the
// embedded store always (retrieval/store/local), Qdrant whenever
// IMYRAG_QDRANT_URL names a server (retrieval/store/qdrant). It checks
// the store.Store contract through the store's own methods and search
// through the store's retrieval.Searcher, and that the store ranks the
// development set's questions to the same top documents as the embedded
// store.
package storetest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
)

// Suite describes the store under test.
type Suite struct {
	// Open returns an empty store and a searcher over it; the suite closes
	// the store.
	Open func(t *testing.T) (store.Store, retrieval.Searcher)
	// Dim is the vector dimension the store accepts (a Qdrant collection's
	// is fixed when it is created); 0 means 4.
	Dim int
	// MinAgreement is the share of development questions whose top-5
	// document set must equal the embedded store's (default 1).
	MinAgreement float64
}

// Run runs the contract suite.
func Run(t *testing.T, s Suite) {
	if s.Dim == 0 {
		s.Dim = 4
	}
	if s.MinAgreement == 0 {
		s.MinAgreement = 1
	}
	t.Run("InsertAndRead", s.testInsert)
	t.Run("Replace", s.testReplace)
	t.Run("Delete", s.testDelete)
	t.Run("Idempotent", s.testIdempotent)
	t.Run("Filters", s.testFilters)
	t.Run("LexicalRanking", s.testLexical)
	t.Run("Vectors", s.testVectors)
	t.Run("Hybrid", s.testHybrid)
	t.Run("DevSetTopDocuments", s.testDevSet)
}

func (s Suite) open(t *testing.T) (store.Store, retrieval.Searcher) {
	t.Helper()
	st, se := s.Open(t)
	t.Cleanup(func() { st.Close() })
	return st, se
}

// Doc builds a document whose chunks are its paragraphs, analyzed as
// ingest does.
func Doc(id string, kind imyrag.Kind, date string, paras ...string) (imyrag.Document, []store.Entry) {
	a := analyze.Default()
	text := strings.Join(paras, "\n\n")
	doc := imyrag.Document{ID: id, Title: "Titel " + id, Kind: kind, Date: date, Source: "test:" + id,
		SourceHash: hash(text), Format: "text", Text: text}
	var entries []store.Entry
	off := 0
	for i, p := range paras {
		c := imyrag.Chunk{ID: fmt.Sprintf("%s#%d-%s", id, i, hash(p)[:8]), DocID: id, Ordinal: i, HeadingPath: []string{"Avsnitt"},
			Start: off, End: off + len(p), Tokens: len(strings.Fields(p)), Hash: hash(p), Text: p}
		off += len(p) + 2
		entries = append(entries, store.Entry{Chunk: c, Terms: a.TermFreqs(p), HeadTerms: a.TermFreqs(doc.Title + " Avsnitt"),
			EmbedHash: store.EmbedHash(store.EmbedInput(doc.Title, c.HeadingPath, p))})
	}
	return doc, entries
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func put(t *testing.T, st store.Store, doc imyrag.Document, entries []store.Entry) {
	t.Helper()
	if err := st.ReplaceDocument(context.Background(), doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
}

func (s Suite) testInsert(t *testing.T) {
	ctx := context.Background()
	st, _ := s.open(t)
	doc, entries := Doc("a", imyrag.KindBeslut, "2023-03-28", "Första stycket om personuppgifter.", "Andra stycket om kameraövervakning.")
	put(t, st, doc, entries)
	got, err := st.Document(ctx, "a")
	if err != nil || got.Text != doc.Text || got.Title != doc.Title || got.Date != doc.Date {
		t.Fatalf("Document = %+v, %v", got, err)
	}
	chunks, err := st.Chunks(ctx, "a")
	if err != nil || len(chunks) != 2 || chunks[0].Ordinal != 0 || chunks[1].Text != entries[1].Chunk.Text {
		t.Fatalf("Chunks = %+v, %v", chunks, err)
	}
	if c, err := st.Chunk(ctx, entries[1].Chunk.ID); err != nil || c.Text != entries[1].Chunk.Text || c.Start != entries[1].Chunk.Start {
		t.Fatalf("Chunk = %+v, %v", c, err)
	}
	if _, err := st.Document(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Document(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.Chunks(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Chunks(missing) = %v, want ErrNotFound", err)
	}
	if _, err := st.Chunk(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Chunk(missing) = %v, want ErrNotFound", err)
	}
	docs, err := st.Documents(ctx)
	if err != nil || len(docs) != 1 || docs[0].Chunks != 2 || docs[0].Pipeline != "p1" || docs[0].SourceHash != doc.SourceHash {
		t.Fatalf("Documents = %+v, %v", docs, err)
	}
	stats, err := st.Stats(ctx)
	if err != nil || stats.Documents != 1 || stats.Chunks != 2 || stats.ByKind["beslut"] != 1 {
		t.Fatalf("Stats = %+v, %v", stats, err)
	}
	if ps, err := st.Check(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Check = %v, %v", ps, err)
	}
	if err := st.ReplaceDocument(ctx, doc, "p1", []store.Entry{{Chunk: imyrag.Chunk{ID: "x", DocID: "other"}}}); err == nil {
		t.Error("ReplaceDocument accepted a chunk of another document")
	}
}

func (s Suite) testReplace(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	doc, old := Doc("a", imyrag.KindBeslut, "2023", "Gammal text om tillsyn.", "Oförändrat stycke om samtycke.")
	put(t, st, doc, old)
	doc2, nu := Doc("a", imyrag.KindBeslut, "2023", "Ny text om sanktionsavgift.", "Oförändrat stycke om samtycke.", "Tredje stycket.")
	put(t, st, doc2, nu)
	if _, err := st.Chunk(ctx, old[0].Chunk.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old chunk still readable: %v", err)
	}
	chunks, err := st.Chunks(ctx, "a")
	if err != nil || len(chunks) != 3 {
		t.Fatalf("Chunks after replace = %d, %v", len(chunks), err)
	}
	res, err := se.Search(ctx, retrieval.Query{Text: "tillsyn"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 0 {
		t.Errorf("the old version is still searchable: %+v", res.Hits[0].Chunk)
	}
	res, err = se.Search(ctx, retrieval.Query{Text: "sanktionsavgift"})
	if err != nil || len(res.Hits) != 1 || res.Hits[0].Chunk.ID != nu[0].Chunk.ID {
		t.Fatalf("the new version is not searchable: %+v, %v", res, err)
	}
	// A renamed document takes its source over.
	doc3, e3 := Doc("b", imyrag.KindBeslut, "2023", "Samma källa, nytt ID.")
	doc3.Source = doc.Source
	put(t, st, doc3, e3)
	if _, err := st.Document(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the document that held the source is still there: %v", err)
	}
}

func (s Suite) testDelete(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	doc, entries := Doc("a", imyrag.KindBeslut, "2023", "Text om kameraövervakning.")
	put(t, st, doc, entries)
	if err := st.DeleteDocument(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteDocument(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	if res, err := se.Search(ctx, retrieval.Query{Text: "kameraövervakning"}); err != nil || len(res.Hits) != 0 {
		t.Errorf("deleted document searchable: %v, %v", res, err)
	}
	if docs, err := st.Documents(ctx); err != nil || len(docs) != 0 {
		t.Errorf("Documents after delete = %v, %v", docs, err)
	}
}

func (s Suite) testIdempotent(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	doc, entries := Doc("a", imyrag.KindBeslut, "2023", "Text om dataskydd.", "Mer om dataskydd och tillsyn.")
	put(t, st, doc, entries)
	first, _ := st.Chunks(ctx, "a")
	put(t, st, doc, entries)
	second, err := st.Chunks(ctx, "a")
	if err != nil || !slices.EqualFunc(first, second, func(a, b imyrag.Chunk) bool { return a.ID == b.ID && a.Text == b.Text }) {
		t.Fatalf("re-ingest changed the chunks: %v", err)
	}
	st2, _ := st.Stats(ctx)
	if st2.Documents != 1 || st2.Chunks != 2 {
		t.Errorf("Stats after re-ingest = %+v", st2)
	}
	res, err := se.Search(ctx, retrieval.Query{Text: "dataskydd", PerDoc: -1})
	if err != nil || len(res.Hits) != 2 {
		t.Fatalf("search after re-ingest: %d hits, %v (want 2, no duplicates)", len(res.Hits), err)
	}
	if ps, err := st.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check = %v, %v", ps, err)
	}
}

func docIDs(res *retrieval.Result) []string {
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.Document.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (s Suite) testFilters(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	d1, e1 := Doc("beslut-2021", imyrag.KindBeslut, "2021-05-10", "Tillsyn av kameraövervakning i ärende DI-2021-5817 enligt artikel 6.1 e GDPR.")
	d2, e2 := Doc("vagledning-2023", imyrag.KindVagledning, "2023", "Vägledning om kameraövervakning för skolor.")
	d3, e3 := Doc("odaterad", imyrag.KindRapport, "", "Rapport om kameraövervakning.")
	for _, d := range []struct {
		doc imyrag.Document
		e   []store.Entry
	}{{d1, e1}, {d2, e2}, {d3, e3}} {
		e := d.e
		for i := range e {
			e[i].Chunk.Meta = legal.Extract(e[i].Chunk.Text)
		}
		put(t, st, d.doc, e)
	}
	for _, tt := range []struct {
		name string
		f    retrieval.Filter
		want []string
	}{
		{"none", retrieval.Filter{}, []string{"beslut-2021", "odaterad", "vagledning-2023"}},
		{"kind", retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindVagledning}}, []string{"vagledning-2023"}},
		{"from", retrieval.Filter{From: "2022"}, []string{"vagledning-2023"}},
		{"to", retrieval.Filter{To: "2021-05"}, []string{"beslut-2021"}},
		{"year overlaps", retrieval.Filter{From: "2023-06-01", To: "2023-06-30"}, []string{"vagledning-2023"}},
		{"doc", retrieval.Filter{DocIDs: []string{"odaterad"}}, []string{"odaterad"}},
		{"dnr", retrieval.Filter{Diarienummer: []string{"di-2021-5817"}}, []string{"beslut-2021"}},
		{"ref", retrieval.Filter{LegalRefs: []string{"artikel 6.1 e GDPR"}}, []string{"beslut-2021"}},
		{"nothing", retrieval.Filter{Kinds: []imyrag.Kind{imyrag.KindStrategi}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := se.Search(ctx, retrieval.Query{Text: "kameraövervakning", Filter: tt.f})
			if err != nil {
				t.Fatal(err)
			}
			if got := docIDs(res); !slices.Equal(got, tt.want) {
				t.Errorf("documents %v, want %v", got, tt.want)
			}
			if len(tt.want) == 0 && res.Reason == "" {
				t.Error("no hits and no reason")
			}
		})
	}
	if _, err := se.Search(ctx, retrieval.Query{Text: "x", Filter: retrieval.Filter{DocIDs: []string{"finns-inte"}}}); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Errorf("unknown document filter = %v, want ErrBadQuery", err)
	}
}

func (s Suite) testLexical(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	da, ea := Doc("a", imyrag.KindBeslut, "2023", "Regulatorisk sandlåda för innovationsprojekt.", "Annat stycke om tillsyn.")
	db, eb := Doc("b", imyrag.KindBeslut, "2023", "Tillsyn och sanktionsavgift.", "Mer om tillsyn och sanktionsavgifter.")
	put(t, st, da, ea)
	put(t, st, db, eb)
	res, err := se.Search(ctx, retrieval.Query{Text: "regulatorisk sandlåda"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Document.ID != "a" || !slices.Equal(res.Legs, []string{"lexical"}) {
		t.Fatalf("hits %v, legs %v", docIDs(res), res.Legs)
	}
	if res.Hits[0].LexicalRank != 1 || res.Hits[0].Rank != 1 || res.Hits[0].Document.Title != "Titel a" {
		t.Errorf("hit = %+v", res.Hits[0])
	}
	if len(res.Terms) == 0 || len(res.IDF) != len(res.Terms) {
		t.Errorf("terms %v, idf %v", res.Terms, res.IDF)
	}
	res, err = se.Search(ctx, retrieval.Query{Text: "tillsyn", PerDoc: 1, Neighbours: 1})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, h := range res.Hits {
		per[h.Document.ID]++
		if h.Document.ID == "a" && len(h.Neighbours) != 1 {
			t.Errorf("hit %s: %d neighbours, want 1", h.Chunk.ID, len(h.Neighbours))
		}
	}
	for d, n := range per {
		if n > 1 {
			t.Errorf("%d hits from %s over the per-document cap 1", n, d)
		}
	}
	if res, err := se.Search(ctx, retrieval.Query{Text: "och att"}); err != nil || len(res.Hits) != 0 || res.Reason == "" {
		t.Errorf("stopword query: %v, %v", res, err)
	}
	if _, err := se.Search(ctx, retrieval.Query{Text: "  "}); !errors.Is(err, retrieval.ErrBadQuery) {
		t.Errorf("empty query = %v, want ErrBadQuery", err)
	}
}

// vec is a unit-ish vector of dim values pointing along axis i.
func vec(dim, i int) []float32 {
	v := make([]float32, dim)
	v[i%dim] = 1
	v[(i+1)%dim] = 0.1
	return v
}

func (s Suite) testVectors(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	doc, entries := Doc("a", imyrag.KindBeslut, "2023", "Ett.", "Två.", "Ett.")
	put(t, st, doc, entries)
	if spec, err := st.Embedding(ctx); err != nil || !spec.IsZero() {
		t.Fatalf("Embedding of a new index = %v, %v", spec, err)
	}
	pending, err := st.PendingEmbeddings(ctx, 0)
	if err != nil || len(pending) != 3 || pending[0].EmbedHash != entries[0].EmbedHash || pending[0].Title != doc.Title {
		t.Fatalf("PendingEmbeddings = %+v, %v", pending, err)
	}
	if p, _ := st.PendingEmbeddings(ctx, 2); len(p) != 2 {
		t.Errorf("PendingEmbeddings(limit 2) = %d", len(p))
	}
	spec := store.EmbeddingSpec{Model: "m", Dim: s.Dim}
	bad := []store.Vector{{EmbedHash: entries[0].EmbedHash, Values: make([]float32, s.Dim)}}
	if err := st.PutVectors(ctx, spec, bad); err == nil {
		t.Error("PutVectors accepted a zero vector")
	}
	vs := []store.Vector{{EmbedHash: entries[0].EmbedHash, Values: vec(s.Dim, 0)}, {EmbedHash: entries[1].EmbedHash, Values: vec(s.Dim, 1)},
		{EmbedHash: "no-such-hash", Values: vec(s.Dim, 2)}}
	if err := st.PutVectors(ctx, spec, vs); err != nil {
		t.Fatal(err)
	}
	if p, err := st.PendingEmbeddings(ctx, 0); err != nil || len(p) != 0 {
		t.Errorf("pending after PutVectors = %d, %v (a shared hash needs one vector)", len(p), err)
	}
	if got, n, err := se.Embedding(ctx); err != nil || got != spec || n != 3 {
		t.Errorf("Searcher.Embedding = %v, %d, %v; want %v, 3", got, n, err, spec)
	}
	other := store.EmbeddingSpec{Model: "other", Dim: s.Dim}
	if err := st.PutVectors(ctx, other, vs[:1]); !errors.Is(err, store.ErrEmbeddingModel) {
		t.Errorf("PutVectors(other model) = %v, want ErrEmbeddingModel", err)
	}
	if err := st.PutVectors(ctx, store.EmbeddingSpec{Model: "m", Dim: s.Dim + 1}, nil); !errors.Is(err, store.ErrEmbeddingModel) {
		t.Errorf("PutVectors(other dimension) = %v, want ErrEmbeddingModel", err)
	}
	// An unchanged passage keeps its vector across a re-ingest.
	doc2, e2 := Doc("a", imyrag.KindBeslut, "2023", "Ett.", "Nytt.")
	put(t, st, doc2, e2)
	if p, _ := st.PendingEmbeddings(ctx, 0); len(p) != 1 || p[0].EmbedHash != e2[1].EmbedHash {
		t.Errorf("pending after re-ingest = %+v, want only the changed passage", p)
	}
	if err := st.ResetEmbeddings(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Embedding(ctx); got != other {
		t.Errorf("Embedding after reset = %v", got)
	}
	if p, _ := st.PendingEmbeddings(ctx, 0); len(p) != 2 {
		t.Errorf("pending after reset = %d, want 2", len(p))
	}
	if err := st.ResetEmbeddings(ctx, store.EmbeddingSpec{Model: "x"}); err == nil {
		t.Error("ResetEmbeddings accepted a model without a dimension")
	}
}

func (s Suite) testHybrid(t *testing.T) {
	ctx := context.Background()
	st, se := s.open(t)
	da, ea := Doc("a", imyrag.KindBeslut, "2023", "Kameraövervakning på arbetsplatsen.")
	db, eb := Doc("b", imyrag.KindBeslut, "2023", "Bevakning med filmande utrustning i lokaler.")
	put(t, st, da, ea)
	put(t, st, db, eb)
	spec := store.EmbeddingSpec{Model: "m", Dim: s.Dim}
	if err := st.PutVectors(ctx, spec, []store.Vector{{EmbedHash: ea[0].EmbedHash, Values: vec(s.Dim, 0)}, {EmbedHash: eb[0].EmbedHash, Values: vec(s.Dim, 2)}}); err != nil {
		t.Fatal(err)
	}
	res, err := se.Search(ctx, retrieval.Query{Text: "kameraövervakning", Vector: vec(s.Dim, 2), VectorModel: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Legs, []string{"lexical", "dense"}) || len(res.Hits) != 2 {
		t.Fatalf("legs %v, hits %v, notes %v", res.Legs, docIDs(res), res.Notes)
	}
	for _, h := range res.Hits {
		if h.DenseRank == 0 || (h.Document.ID == "b" && h.Dense < 0.9) {
			t.Errorf("hit %s: dense rank %d, cosine %v", h.Document.ID, h.DenseRank, h.Dense)
		}
	}
	if h := res.Hits[0]; h.Document.ID != "a" || h.LexicalRank != 1 {
		t.Errorf("top hit %s (lexical rank %d): a ties b in RRF and wins on its better leg rank", h.Document.ID, h.LexicalRank)
	}
	res, err = se.Search(ctx, retrieval.Query{Text: "kameraövervakning", Vector: vec(s.Dim, 2), VectorModel: "other"})
	if err != nil || !slices.Equal(res.Legs, []string{"lexical"}) || len(res.Notes) == 0 {
		t.Errorf("model mismatch: legs %v, notes %v, %v", res.Legs, res.Notes, err)
	}
}

// DevQuestions reads the development set's questions
// (eval/testdata/dev.jsonl).
func DevQuestions(t testing.TB) []string {
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "..", "..", "eval", "testdata", "dev.jsonl"))
	if err != nil {
		t.Skipf("no development set: %v", err)
	}
	defer f.Close()
	var qs []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var it struct {
			Question string `json:"question"`
		}
		if json.Unmarshal(sc.Bytes(), &it) == nil && it.Question != "" {
			qs = append(qs, it.Question)
		}
	}
	return qs
}

// IngestBundled ingests the bundled corpus into idx.
func IngestBundled(t testing.TB, idx ingest.Index) {
	t.Helper()
	ctx := context.Background()
	p, err := ingest.New(ctx, idx, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Run(ctx, ingest.Bundled()); err != nil {
		t.Fatal(err)
	}
}

func (s Suite) testDevSet(t *testing.T) {
	if testing.Short() {
		t.Skip("ingests the bundled corpus twice")
	}
	qs := DevQuestions(t)
	ctx := context.Background()
	st, se := s.open(t)
	IngestBundled(t, st.(ingest.Index))
	ref, err := local.Open(ctx, filepath.Join(t.TempDir(), "ref.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	IngestBundled(t, ref)
	want := retrieval.NewEngine(ref, analyze.Default(), retrieval.Options{})
	agree := 0
	for _, q := range qs {
		a, err := want.Search(ctx, retrieval.Query{Text: q, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		b, err := se.Search(ctx, retrieval.Query{Text: q, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(docIDs(a), docIDs(b)) {
			agree++
		} else {
			t.Logf("%q: embedded %v, this store %v", q, docIDs(a), docIDs(b))
		}
	}
	share := float64(agree) / float64(len(qs))
	t.Logf("top-5 document sets agree on %d of %d questions", agree, len(qs))
	if share < s.MinAgreement {
		t.Errorf("top-5 document sets agree on %.0f%% of the development questions, want ≥ %.0f%%", 100*share, 100*s.MinAgreement)
	}
}
