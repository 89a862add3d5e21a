package local

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/imy/imyrag/retrieval/store"
)

// loadBenchChunks is the size of the index BenchmarkLoadSearchData reads:
// IMYRAG_BENCH_LOAD_CHUNKS, default 100000.
func loadBenchChunks(b *testing.B) int {
	n := 100000
	if v := os.Getenv("IMYRAG_BENCH_LOAD_CHUNKS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IMYRAG_BENCH_LOAD_CHUNKS=%q: want a positive number", v)
		}
	}
	return n
}

// BenchmarkLoadSearchData measures one LoadSearchData pass over an index of
// generated chunks (documents of 100 chunks of about 180 words), decoding
// every term blob as the engine does, without vectors and with a
// 1024-dimensional vector for every chunk.
func BenchmarkLoadSearchData(b *testing.B) {
	ctx := context.Background()
	n := loadBenchChunks(b)
	s, err := Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	const per = 100
	for i := range (n + per - 1) / per {
		doc, entries := genEntries(r, fmt.Sprintf("doc-%05d", i), min(per, n-i*per))
		if err := s.ReplaceDocument(ctx, doc, "bench", entries); err != nil {
			b.Fatal(err)
		}
	}
	for _, dim := range []int{0, 1024} {
		if dim > 0 {
			pending, err := s.PendingEmbeddings(ctx, 0)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < len(pending); i += 2000 {
				var vs []store.Vector
				for _, p := range pending[i:min(i+2000, len(pending))] {
					v := make([]float32, dim)
					for j := range v {
						v[j] = float32(r.NormFloat64())
					}
					vs = append(vs, store.Vector{EmbedHash: p.EmbedHash, Values: v})
				}
				if err := s.PutVectors(ctx, store.EmbeddingSpec{Model: "bench", Dim: dim}, vs); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.Run(fmt.Sprintf("chunks=%d/dim=%d", n, dim), func(b *testing.B) {
			for b.Loop() {
				chunks, terms, vectors := 0, 0, 0
				_, err := s.LoadSearchData(ctx, SearchVisitor{
					Document: func(store.DocumentInfo) {},
					Chunk: func(c ChunkTerms) error {
						chunks++
						if c.Vector != nil {
							vectors++
						}
						return c.Body.Each(func([]byte, int) { terms++ })
					},
					Ref: func(kind, value, chunkID string) {},
				})
				if err != nil || chunks != n || (dim > 0) != (vectors == n) {
					b.Fatalf("loaded %d chunks of %d, %d vectors: %v", chunks, n, vectors, err)
				}
			}
		})
	}
}

// BenchmarkPutVectors measures vectors/s stored by PutVectors in batches of
// 16 (ingest's default), 1024 dimensions, into an index of 10,000 chunks.
func BenchmarkPutVectors(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 100 {
		doc, entries := genEntries(r, fmt.Sprintf("doc-%05d", i), 100)
		if err := s.ReplaceDocument(ctx, doc, "bench", entries); err != nil {
			b.Fatal(err)
		}
	}
	pending, err := s.PendingEmbeddings(ctx, 0)
	if err != nil {
		b.Fatal(err)
	}
	const dim, batch = 1024, 16
	vs := make([]store.Vector, len(pending))
	for i, p := range pending {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(r.NormFloat64())
		}
		vs[i] = store.Vector{EmbedHash: p.EmbedHash, Values: v}
	}
	spec := store.EmbeddingSpec{Model: "bench", Dim: dim}
	n := 0
	for b.Loop() {
		if err := s.ResetEmbeddings(ctx, spec); err != nil {
			b.Fatal(err)
		}
		for i := 0; i < len(vs); i += batch {
			if err := s.PutVectors(ctx, spec, vs[i:min(i+batch, len(vs))]); err != nil {
				b.Fatal(err)
			}
		}
		n += len(vs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "vectors/s")
	st, _ := s.Stats(ctx)
	b.ReportMetric(float64(st.Bytes)/1e6, "index-MB")
}
