package qdrant_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
	"github.com/imy/imyrag/retrieval/store/qdrant"
	"github.com/imy/imyrag/retrieval/store/storetest"
)

// TestContract runs the store contract suite against the Qdrant server
// named by IMYRAG_QDRANT_URL (host:port of the gRPC API, e.g.
// 127.0.0.1:6334; IMYRAG_QDRANT_API_KEY and IMYRAG_QDRANT_TLS=true when
// needed). Each subtest gets its own alias and collection, removed after.
// Set IMYRAG_QDRANT_REQUIRED=1 (CI with a Qdrant service) to fail rather
// than skip when the address is missing.
func TestContract(t *testing.T) {
	addr := os.Getenv("IMYRAG_QDRANT_URL")
	if addr == "" {
		if os.Getenv("IMYRAG_QDRANT_REQUIRED") != "" {
			t.Fatal("IMYRAG_QDRANT_REQUIRED is set but IMYRAG_QDRANT_URL is not")
		}
		t.Skip("Qdrant contract suite skipped: set IMYRAG_QDRANT_URL=host:6334 to run it against a Qdrant server (deploy/docker-compose.yml starts one)")
	}
	storetest.Run(t, storetest.Suite{Dim: 4, MinAgreement: 0.8, Open: func(t *testing.T) (store.Store, retrieval.Searcher) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		b := make([]byte, 4)
		rand.Read(b)
		alias := "imyrag_test_" + hex.EncodeToString(b)
		s, err := qdrant.Open(ctx, qdrant.Config{Addr: addr, APIKey: os.Getenv("IMYRAG_QDRANT_API_KEY"),
			TLS: os.Getenv("IMYRAG_QDRANT_TLS") == "true", Alias: alias, Create: true, Dim: 4, AllowRemote: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if c, err := s.Collection(ctx); err == nil {
				s.DropCollection(ctx, c) // deleting a collection deletes its aliases
			}
		})
		return s, qdrant.NewEngine(s, analyze.Default())
	}})
}

// BenchmarkSearch times the development questions against the embedded
// engine and against Qdrant (the server named by IMYRAG_QDRANT_URL), both
// over the bundled corpus, lexical only, and reports p50 and p95 per
// query. It is skipped without a server.
//
//	IMYRAG_QDRANT_URL=127.0.0.1:6334 go test -run '^$' -bench Search -benchtime 500x ./retrieval/store/qdrant/
func BenchmarkSearch(b *testing.B) {
	addr := os.Getenv("IMYRAG_QDRANT_URL")
	if addr == "" {
		b.Skip("set IMYRAG_QDRANT_URL=host:6334 to time search against a Qdrant server")
	}
	ctx := context.Background()
	qs := storetest.DevQuestions(b)
	ref, err := local.Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer ref.Close()
	storetest.IngestBundled(b, ref)
	s, err := qdrant.Open(ctx, qdrant.Config{Addr: addr, APIKey: os.Getenv("IMYRAG_QDRANT_API_KEY"), TLS: os.Getenv("IMYRAG_QDRANT_TLS") == "true",
		Alias: "imyrag_bench", Create: true, Dim: 4, AllowRemote: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if c, err := s.Collection(ctx); err == nil {
			s.DropCollection(ctx, c)
		}
		s.Close()
	}()
	storetest.IngestBundled(b, s)
	for _, eng := range []struct {
		name string
		s    retrieval.Searcher
	}{{"local", retrieval.NewEngine(ref, analyze.Default(), retrieval.Options{})}, {"qdrant", qdrant.NewEngine(s, analyze.Default())}} {
		b.Run(eng.name, func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				if _, err := eng.s.Search(ctx, retrieval.Query{Text: qs[i%len(qs)]}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
				i++
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
