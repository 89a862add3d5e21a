package local

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/imy/imyrag/retrieval/store"
)

var testSpec = store.EmbeddingSpec{Model: "test-embed", Dim: 4}

// putDoc stores a document made by testDoc and returns its entries.
func putDoc(t *testing.T, s *Store, id string, paras ...string) []store.Entry {
	t.Helper()
	doc, entries := testDoc(id, "/src/"+id+".txt", paras...)
	if err := s.ReplaceDocument(context.Background(), doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
	return entries
}

// hashOf is the embed hash of a testDoc paragraph.
func hashOf(docID, para string) string {
	return store.EmbedHash(store.EmbedInput("Titel "+docID, []string{"1. Bakgrund"}, para))
}

// vec makes a vector of testSpec.Dim values from a seed.
func vec(seed float32) []float32 { return []float32{seed, 1, -seed, 0.5} }

// loaded is what LoadSearchData delivers about vectors.
type loaded struct {
	spec    store.EmbeddingSpec
	vectors map[string][]float32 // chunk ID → vector
	chunks  int
}

func load(t *testing.T, s *Store) loaded {
	t.Helper()
	l := loaded{vectors: map[string][]float32{}}
	specCalls := 0
	_, err := s.LoadSearchData(context.Background(), SearchVisitor{
		Spec: func(sp store.EmbeddingSpec) {
			if l.chunks > 0 {
				t.Error("Spec called after a chunk")
			}
			specCalls++
			l.spec = sp
		},
		Document: func(store.DocumentInfo) {},
		Chunk: func(c ChunkTerms) error {
			l.chunks++
			if c.Vector != nil {
				l.vectors[c.ChunkID] = slices.Clone(c.Vector)
			}
			return nil
		},
		Ref: func(string, string, string) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	if specCalls != 1 {
		t.Errorf("Spec called %d times, want 1", specCalls)
	}
	return l
}

// hasEmbedHashIndex reports whether chunks_embed_hash exists.
func hasEmbedHashIndex(t *testing.T, s *Store) bool {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'chunks_embed_hash'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func vectorRows(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.r.Query(`SELECT embed_hash FROM vectors ORDER BY embed_hash`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var h string
		rows.Scan(&h)
		out = append(out, h)
	}
	return out
}

func norm(v []float32) []float32 {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / math.Sqrt(sum))
	}
	return out
}

func TestVectorsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if spec, err := s.Embedding(ctx); err != nil || !spec.IsZero() {
		t.Fatalf("Embedding of a new index = %+v, %v; want zero", spec, err)
	}
	entries := putDoc(t, s, "a", "Ett stycke.", "Två stycken.", "Tre stycken.")
	if hasEmbedHashIndex(t, s) {
		t.Error("an index without vectors has the embed hash index (a cost for every ingested chunk)")
	}
	for _, e := range entries {
		if e.EmbedHash != "" {
			t.Fatal("premise: testDoc leaves EmbedHash empty, for the store to fill")
		}
	}
	g0, _ := s.Generation(ctx)
	err := s.PutVectors(ctx, testSpec, []store.Vector{
		{EmbedHash: hashOf("a", "Ett stycke."), Values: vec(1)},
		{EmbedHash: hashOf("a", "Tre stycken."), Values: vec(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if g1, _ := s.Generation(ctx); g1 <= g0 {
		t.Errorf("generation %d after PutVectors, was %d", g1, g0)
	}
	if spec, err := s.Embedding(ctx); err != nil || spec != testSpec {
		t.Errorf("Embedding = %+v, %v; want %+v", spec, err, testSpec)
	}
	if !hasEmbedHashIndex(t, s) {
		t.Error("no embed hash index once the index holds vectors")
	}
	l := load(t, s)
	want := map[string][]float32{entries[0].Chunk.ID: norm(vec(1)), entries[2].Chunk.ID: norm(vec(3))}
	if diff := cmp.Diff(want, l.vectors, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("loaded vectors (-want +got):\n%s", diff)
	}
	if l.spec != testSpec || l.chunks != 3 {
		t.Errorf("loaded spec %+v, %d chunks", l.spec, l.chunks)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Vectors != 2 || st.Embedding != testSpec {
		t.Errorf("Stats = %+v, %v; want 2 vectors of %+v", st, err, testSpec)
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check = %v, %v", ps, err)
	}
	// Putting a hash's vector again replaces it.
	if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: hashOf("a", "Ett stycke."), Values: vec(-2)}}); err != nil {
		t.Fatal(err)
	}
	if got := load(t, s).vectors[entries[0].Chunk.ID]; !cmp.Equal(got, norm(vec(-2)), cmpopts.EquateApprox(0, 1e-6)) {
		t.Errorf("after a second put: %v, want %v", got, norm(vec(-2)))
	}
}

// TestVectorsFollowPassages: vectors are kept for unchanged passages across
// a re-ingest, shared between chunks with the same embedding input, and
// deleted with the last chunk that has their hash.
func TestVectorsFollowPassages(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	putDoc(t, s, "a", "Ett.", "Två.", "Tre.")
	// Document b has a's title, so its passage "Ett." has the same
	// embedding input as a's.
	docB, eb := testDoc("b", "/src/b.txt", "Ett.", "Fyra.")
	docB.Title = "Titel a"
	if err := s.ReplaceDocument(ctx, docB, "p1", eb); err != nil {
		t.Fatal(err)
	}
	var vs []store.Vector
	for i, p := range []string{"Ett.", "Två.", "Tre.", "Fyra."} {
		vs = append(vs, store.Vector{EmbedHash: hashOf("a", p), Values: vec(float32(i + 1))})
	}
	if err := s.PutVectors(ctx, testSpec, vs); err != nil {
		t.Fatal(err)
	}
	if n := len(load(t, s).vectors); n != 5 {
		t.Fatalf("premise: 5 chunks with vectors, got %d", n)
	}
	sorted := func(hs ...string) []string { slices.Sort(hs); return hs }

	// a again: "Ett." unchanged, "Två." gone, "Tre." changed, "Fem." new.
	a2 := putDoc(t, s, "a", "Ett.", "Tre!", "Fem.")
	want := sorted(hashOf("a", "Ett."), hashOf("a", "Fyra."))
	if diff := cmp.Diff(want, vectorRows(t, s)); diff != "" {
		t.Errorf("vectors after re-ingesting a (-want +got):\n%s", diff)
	}
	l := load(t, s)
	if l.vectors[a2[0].Chunk.ID] == nil {
		t.Error("the unchanged passage lost its vector")
	}
	if l.vectors[a2[1].Chunk.ID] != nil || l.vectors[a2[2].Chunk.ID] != nil {
		t.Error("a changed or new passage has a vector")
	}
	// Deleting a keeps "Ett." for b; deleting b removes the rest.
	if err := s.DeleteDocument(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, vectorRows(t, s)); diff != "" {
		t.Errorf("vectors after deleting a (-want +got):\n%s", diff)
	}
	if err := s.DeleteDocument(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{}, vectorRows(t, s)); diff != "" {
		t.Errorf("vectors after deleting b (-want +got):\n%s", diff)
	}
	// The model stays recorded until ResetEmbeddings.
	if spec, _ := s.Embedding(ctx); spec != testSpec {
		t.Errorf("Embedding after deleting everything = %+v", spec)
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check = %v, %v", ps, err)
	}
}

// TestVectorsForVanishedPassages: a vector whose passage was re-ingested
// away while it was being embedded is dropped without an error.
func TestVectorsForVanishedPassages(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	putDoc(t, s, "a", "Ett.")
	err := s.PutVectors(ctx, testSpec, []store.Vector{
		{EmbedHash: hashOf("a", "Ett."), Values: vec(1)},
		{EmbedHash: hashOf("a", "Borta."), Values: vec(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{hashOf("a", "Ett.")}, vectorRows(t, s)); diff != "" {
		t.Errorf("vectors (-want +got):\n%s", diff)
	}
	// Only vanished passages: nothing is written, not even the model.
	s2 := openTemp(t)
	putDoc(t, s2, "a", "Ett.")
	g0, _ := s2.Generation(ctx)
	if err := s2.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: hashOf("a", "Borta."), Values: vec(2)}}); err != nil {
		t.Fatal(err)
	}
	if spec, _ := s2.Embedding(ctx); spec != testSpec {
		// Binding the model is a write of its own: the index now
		// expects this model's vectors.
		t.Errorf("Embedding = %+v, want %+v", spec, testSpec)
	}
	if g1, _ := s2.Generation(ctx); g1 != g0+1 {
		t.Errorf("generation %d → %d, want one step for binding the model", g0, g1)
	}
}

func TestVectorsModelMismatch(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	putDoc(t, s, "a", "Ett.", "Två.")
	if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: hashOf("a", "Ett."), Values: vec(1)}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		spec store.EmbeddingSpec
		vals []float32
	}{
		{"other model", store.EmbeddingSpec{Model: "other-embed", Dim: 4}, vec(2)},
		{"other dimension", store.EmbeddingSpec{Model: "test-embed", Dim: 3}, []float32{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.PutVectors(ctx, tt.spec, []store.Vector{{EmbedHash: hashOf("a", "Två."), Values: tt.vals}})
			if !errors.Is(err, store.ErrEmbeddingModel) {
				t.Fatalf("err = %v, want ErrEmbeddingModel", err)
			}
			for _, want := range []string{"test-embed", tt.spec.Model, "imyrag ingest --reembed"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if diff := cmp.Diff([]string{hashOf("a", "Ett.")}, vectorRows(t, s)); diff != "" {
				t.Errorf("vectors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResetEmbeddings(t *testing.T) {
	ctx := context.Background()
	other := store.EmbeddingSpec{Model: "other-embed", Dim: 3}
	tests := []struct {
		name    string
		spec    store.EmbeddingSpec
		wantErr bool
	}{
		{name: "to no model", spec: store.EmbeddingSpec{}},
		{name: "to another model", spec: other},
		{name: "to the same model", spec: testSpec},
		{name: "model without dimension", spec: store.EmbeddingSpec{Model: "x"}, wantErr: true},
		{name: "dimension without model", spec: store.EmbeddingSpec{Dim: 3}, wantErr: true},
		{name: "negative dimension", spec: store.EmbeddingSpec{Model: "x", Dim: -1}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			putDoc(t, s, "a", "Ett.")
			h := hashOf("a", "Ett.")
			if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: h, Values: vec(1)}}); err != nil {
				t.Fatal(err)
			}
			g0, _ := s.Generation(ctx)
			err := s.ResetEmbeddings(ctx, tt.spec)
			if tt.wantErr {
				if err == nil {
					t.Fatal("ResetEmbeddings succeeded")
				}
				if spec, _ := s.Embedding(ctx); spec != testSpec || len(vectorRows(t, s)) != 1 {
					t.Errorf("a failed reset changed the index: %+v, %d vectors", spec, len(vectorRows(t, s)))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g1, _ := s.Generation(ctx); g1 <= g0 {
				t.Errorf("generation %d after reset, was %d", g1, g0)
			}
			if spec, _ := s.Embedding(ctx); spec != tt.spec {
				t.Errorf("Embedding = %+v, want %+v", spec, tt.spec)
			}
			if got, want := hasEmbedHashIndex(t, s), !tt.spec.IsZero(); got != want {
				t.Errorf("embed hash index exists: %v, want %v", got, want)
			}
			if n := len(vectorRows(t, s)); n != 0 {
				t.Errorf("%d vectors after reset", n)
			}
			if p, _ := s.PendingEmbeddings(ctx, 0); len(p) != 1 {
				t.Errorf("%d pending after reset, want 1", len(p))
			}
			// The index now takes vectors of the spec it was reset to
			// (of any model when reset to none).
			next := tt.spec
			if next.IsZero() {
				next = other
			}
			if err := s.PutVectors(ctx, next, []store.Vector{{EmbedHash: h, Values: slices.Repeat([]float32{1}, next.Dim)}}); err != nil {
				t.Errorf("PutVectors(%+v) after reset: %v", next, err)
			}
			if len(vectorRows(t, s)) != 1 || !hasEmbedHashIndex(t, s) {
				t.Errorf("after PutVectors: %d vectors, index %v", len(vectorRows(t, s)), hasEmbedHashIndex(t, s))
			}
			// Orphans are still found through the index.
			if err := s.DeleteDocument(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			if n := len(vectorRows(t, s)); n != 0 {
				t.Errorf("%d vectors left after deleting their document", n)
			}
		})
	}
}

// TestPutVectorsRejectsBadVectors: one bad vector in a batch writes nothing.
func TestPutVectorsRejectsBadVectors(t *testing.T) {
	ctx := context.Background()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name string
		spec store.EmbeddingSpec
		bad  store.Vector
		want string
	}{
		{"too short", testSpec, store.Vector{Values: []float32{1, 2, 3}}, "3 values, want 4"},
		{"too long", testSpec, store.Vector{Values: []float32{1, 2, 3, 4, 5}}, "5 values, want 4"},
		{"empty", testSpec, store.Vector{Values: nil}, "0 values, want 4"},
		{"NaN", testSpec, store.Vector{Values: []float32{1, nan, 0, 0}}, "value 1 is NaN"},
		{"infinite", testSpec, store.Vector{Values: []float32{1, 0, 0, inf}}, "value 3 is +Inf"},
		{"zero", testSpec, store.Vector{Values: []float32{0, 0, 0, 0}}, "cannot be normalized"},
		{"no hash", testSpec, store.Vector{Values: vec(1)}, "no embed hash"},
		{"no model", store.EmbeddingSpec{Dim: 4}, store.Vector{Values: vec(1)}, "want a model"},
		{"no spec", store.EmbeddingSpec{}, store.Vector{Values: vec(1)}, "no embedding model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			putDoc(t, s, "a", "Ett.", "Två.")
			if tt.bad.EmbedHash == "" && tt.name != "no hash" {
				tt.bad.EmbedHash = hashOf("a", "Två.")
			}
			g0, _ := s.Generation(ctx)
			err := s.PutVectors(ctx, tt.spec, []store.Vector{{EmbedHash: hashOf("a", "Ett."), Values: vec(1)}, tt.bad})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if errors.Is(err, store.ErrEmbeddingModel) {
				t.Errorf("a bad vector is not a model mismatch: %v", err)
			}
			g1, _ := s.Generation(ctx)
			spec, _ := s.Embedding(ctx)
			if n := len(vectorRows(t, s)); n != 0 || g1 != g0 || !spec.IsZero() {
				t.Errorf("after a rejected batch: %d vectors, generation %d → %d, spec %+v; want the index unchanged", n, g0, g1, spec)
			}
		})
	}
}

func TestPendingEmbeddings(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	eb := putDoc(t, s, "b", "B ett.", "B två.")
	ea := putDoc(t, s, "a", "A ett.", "A två.", "A tre.")
	ids := func(ps []store.Pending) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ChunkID)
		}
		return out
	}
	all, err := s.PendingEmbeddings(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	wantAll := []string{ea[0].Chunk.ID, ea[1].Chunk.ID, ea[2].Chunk.ID, eb[0].Chunk.ID, eb[1].Chunk.ID}
	if diff := cmp.Diff(wantAll, ids(all)); diff != "" {
		t.Errorf("pending (-want +got):\n%s", diff)
	}
	want0 := store.Pending{ChunkID: ea[0].Chunk.ID, DocID: "a", Title: "Titel a", HeadingPath: []string{"1. Bakgrund"},
		Text: "A ett.", Tokens: 2, EmbedHash: hashOf("a", "A ett.")}
	if diff := cmp.Diff(want0, all[0]); diff != "" {
		t.Errorf("first pending (-want +got):\n%s", diff)
	}
	for _, p := range all {
		if store.EmbedHash(p.Input()) != p.EmbedHash {
			t.Errorf("%s: EmbedHash(Input()) differs from EmbedHash", p.ChunkID)
		}
	}
	if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: all[1].EmbedHash, Values: vec(1)}, {EmbedHash: all[3].EmbedHash, Values: vec(2)}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		limit int
		want  []string
	}{
		{0, []string{ea[0].Chunk.ID, ea[2].Chunk.ID, eb[1].Chunk.ID}},
		{-1, []string{ea[0].Chunk.ID, ea[2].Chunk.ID, eb[1].Chunk.ID}},
		{2, []string{ea[0].Chunk.ID, ea[2].Chunk.ID}},
		{100, []string{ea[0].Chunk.ID, ea[2].Chunk.ID, eb[1].Chunk.ID}},
	} {
		got, err := s.PendingEmbeddings(ctx, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, ids(got)); diff != "" {
			t.Errorf("limit %d (-want +got):\n%s", tt.limit, diff)
		}
	}
}

func TestCheckFindsVectorDamage(t *testing.T) {
	ctx := context.Background()
	floats := func(vs ...float32) []byte {
		b := make([]byte, 4*len(vs))
		for i, v := range vs {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	tests := []struct {
		name string
		sql  string
		args []any
		want string
	}{
		{"garbage blob", `UPDATE vectors SET vector = ?`, []any{[]byte("garbage")}, "7 bytes, want 16"},
		{"NaN", `UPDATE vectors SET vector = ?`, []any{floats(1, float32(math.NaN()), 0, 0)}, "value 1 is NaN"},
		{"infinite", `UPDATE vectors SET vector = ?`, []any{floats(1, 0, float32(math.Inf(-1)), 0)}, "value 2 is -Inf"},
		{"not unit length", `UPDATE vectors SET vector = ?`, []any{floats(1, 1, 1, 1)}, "length 2.0000"},
		{"no model", `UPDATE state SET embed_model = '', embed_dim = 0`, nil, "1 vectors but no embedding model"},
		{"half a model", `UPDATE state SET embed_model = ''`, nil, "want a model and a positive dimension"},
		{"orphan", `INSERT INTO vectors (embed_hash, vector) VALUES ('deadbeef', ?)`, []any{floats(1, 0, 0, 0)}, "1 vectors belong to no chunk"},
		{"embed hash", `UPDATE chunks SET embed_hash = 'x' WHERE ordinal = 1`, nil, "embed hash does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			putDoc(t, s, "a", "Ett.", "Två.")
			if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: hashOf("a", "Ett."), Values: vec(1)}}); err != nil {
				t.Fatal(err)
			}
			// A connection of its own, as a damaged file would be
			// written by something else.
			db, err := sql.Open("sqlite", s.Path())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(tt.sql, tt.args...); err != nil {
				t.Fatal(err)
			}
			db.Close()
			ps, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range ps {
				found = found || strings.Contains(p.What, tt.want)
			}
			if !found {
				t.Errorf("Check = %+v, want a problem containing %q", ps, tt.want)
			}
		})
	}
	// A blob of the wrong length also stops the search load, with a hint.
	s := openTemp(t)
	putDoc(t, s, "a", "Ett.")
	if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: hashOf("a", "Ett."), Values: vec(1)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`UPDATE vectors SET vector = x'00'`); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadSearchData(ctx, SearchVisitor{Document: func(store.DocumentInfo) {}, Chunk: func(ChunkTerms) error { return nil }, Ref: func(string, string, string) {}})
	if err == nil || !strings.Contains(err.Error(), "index check") {
		t.Errorf("LoadSearchData over a damaged vector: %v", err)
	}
}

// TestMigrateFromVersion1: an index written before vectors existed opens,
// keeps its data, and has every chunk pending for embedding.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(migrations[0].sql + "PRAGMA user_version = 1;"); err != nil {
		t.Fatal(err)
	}
	doc, entries := testDoc("a", "/src/a.txt", "Ett stycke.", "Två stycken.")
	if _, err := db.Exec(`INSERT INTO documents (id, title, kind, source, source_hash, format, text, meta, chunk_count, tokens, pipeline, ingested_at)
		VALUES (?, ?, ?, ?, ?, 'text', ?, '{}', 2, 3, 'p1', '2025-01-01T00:00:00Z')`, doc.ID, doc.Title, string(doc.Kind), doc.Source, doc.SourceHash, doc.Text); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		c := e.Chunk
		if _, err := db.Exec(`INSERT INTO chunks (id, doc_id, ordinal, heading_path, page_start, page_end, start_off, end_off, tokens, hash, text, meta, terms, head_terms, term_count)
			VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, '{}', ?, ?, 3)`, c.ID, c.DocID, c.Ordinal, marshal(c.HeadingPath), c.Start, c.End, c.Tokens, c.Hash, c.Text,
			encodeTerms(e.Terms), encodeTerms(e.HeadTerms)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v int
	s.r.QueryRow(`PRAGMA user_version`).Scan(&v)
	if v != SchemaVersion || SchemaVersion < 2 {
		t.Errorf("user_version %d after migration, want %d", v, SchemaVersion)
	}
	chunks, err := s.Chunks(ctx, "a")
	if err != nil || len(chunks) != 2 || chunks[1].Text != "Två stycken." {
		t.Fatalf("chunks after migration: %+v, %v", chunks, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Documents != 1 || st.Chunks != 2 || st.Vectors != 0 || !st.Embedding.IsZero() {
		t.Errorf("Stats after migration = %+v, %v", st, err)
	}
	pending, err := s.PendingEmbeddings(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pending {
		got = append(got, fmt.Sprintf("%s %s", p.ChunkID, p.EmbedHash))
	}
	want := []string{entries[0].Chunk.ID + " " + hashOf("a", "Ett stycke."), entries[1].Chunk.ID + " " + hashOf("a", "Två stycken.")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pending after migration (-want +got):\n%s", diff)
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check after migration = %v, %v", ps, err)
	}
	if err := s.PutVectors(ctx, testSpec, []store.Vector{{EmbedHash: pending[0].EmbedHash, Values: vec(1)}}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stats(ctx); st.Vectors != 1 {
		t.Errorf("Vectors = %d after putting one", st.Vectors)
	}
}
