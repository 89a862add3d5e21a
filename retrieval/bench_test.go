package retrieval

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
)

// benchSizes lists the index sizes of the engine benchmarks:
// IMYRAG_BENCH_DENSE_CHUNKS, comma-separated, default "10000,100000".
func benchSizes(b *testing.B) []int {
	v := os.Getenv("IMYRAG_BENCH_DENSE_CHUNKS")
	if v == "" {
		v = "10000,100000"
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("IMYRAG_BENCH_DENSE_CHUNKS=%q: want positive numbers", v)
		}
		out = append(out, n)
	}
	return out
}

// benchVocab is a Zipf-distributed synthetic vocabulary.
type benchVocab struct {
	words []string
	zipf  *rand.Zipf
}

func newBenchVocab(r *rand.Rand) *benchVocab {
	words := make([]string, 20000)
	for i := range words {
		words[i] = fmt.Sprintf("ord%d", i)
	}
	return &benchVocab{words: words, zipf: rand.NewZipf(r, 1.1, 2, uint64(len(words)-1))}
}

// benchStores holds the generated stores of this process, by size and
// vector dimension (0: no vectors): each is built once, and removed by
// TestMain through CloseBenchStores.
var benchStores = map[[2]int]*local.Store{}

// CloseBenchStores closes and removes the benchmarks' stores.
func CloseBenchStores() {
	for k, s := range benchStores {
		s.Close()
		os.RemoveAll(filepath.Dir(s.Path()))
		delete(benchStores, k)
	}
}

// benchStore returns a store of n generated chunks of about 180 words, in
// documents of 100 chunks, with a random unit vector of dim values for
// every chunk (none when dim is 0).
func benchStore(b *testing.B, n, dim int) *local.Store {
	b.Helper()
	if s := benchStores[[2]int{n, dim}]; s != nil {
		return s
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "imyrag-bench-")
	if err != nil {
		b.Fatal(err)
	}
	s, err := local.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, uint64(n)))
	v := newBenchVocab(r)
	const per = 100
	for d := range (n + per - 1) / per {
		id := fmt.Sprintf("doc-%05d", d)
		var text strings.Builder
		var entries []store.Entry
		for i := range min(per, n-d*per) {
			start := text.Len()
			tf := map[string]int{}
			for w := range 180 {
				word := v.words[v.zipf.Uint64()]
				if w > 0 {
					text.WriteByte(' ')
				}
				text.WriteString(word)
				tf[word]++
			}
			end := text.Len()
			text.WriteString("\n\n")
			body := text.String()[start:end]
			sum := sha256.Sum256([]byte(body))
			entries = append(entries, store.Entry{
				Chunk: imyrag.Chunk{ID: fmt.Sprintf("%s-%d", id, i), DocID: id, Ordinal: i, HeadingPath: []string{"1. Bakgrund"},
					Start: start, End: end, Tokens: 350, Hash: hex.EncodeToString(sum[:]), Text: body},
				Terms: tf, HeadTerms: map[string]int{"bakgrund": 1},
			})
		}
		doc := imyrag.Document{ID: id, Title: id, Kind: imyrag.KindBeslut, Date: "2024-01-01", Source: "/gen/" + id,
			SourceHash: id, Format: "text", Text: text.String()}
		if err := s.ReplaceDocument(ctx, doc, "bench", entries); err != nil {
			b.Fatal(err)
		}
	}
	if dim > 0 {
		pending, err := s.PendingEmbeddings(ctx, 0)
		if err != nil {
			b.Fatal(err)
		}
		spec := store.EmbeddingSpec{Model: "bench", Dim: dim}
		for i := 0; i < len(pending); i += 2000 {
			var vs []store.Vector
			for _, p := range pending[i:min(i+2000, len(pending))] {
				vs = append(vs, store.Vector{EmbedHash: p.EmbedHash, Values: randomUnit(r, dim)})
			}
			if err := s.PutVectors(ctx, spec, vs); err != nil {
				b.Fatal(err)
			}
		}
	}
	benchStores[[2]int{n, dim}] = s
	return s
}

func randomUnit(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	v, _ = unit(v)
	return v
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / 1e6
}

// BenchmarkWarm measures building the engine's snapshot from the store
// (Engine.Warm: LoadSearchData and the derived structures) and the heap the
// snapshot holds, without vectors and with 1024-dimensional ones.
func BenchmarkWarm(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes(b) {
		for _, dim := range []int{0, 1024} {
			b.Run(fmt.Sprintf("chunks=%d/dim=%d", n, dim), func(b *testing.B) {
				s := benchStore(b, n, dim)
				var heap float64
				for b.Loop() {
					b.StopTimer()
					before := heapMB()
					e := NewEngine(s, analyze.Default(), Options{})
					b.StartTimer()
					if err := e.Warm(ctx); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					heap = heapMB() - before
					runtime.KeepAlive(e)
					b.StartTimer()
				}
				b.ReportMetric(heap, "snapshot-heap-MB")
			})
		}
	}
}

// BenchmarkDenseScan measures the exact scan alone (vectors.search, top
// 150) over n random unit vectors of 1024 values, in one goroutine and split
// over GOMAXPROCS: where splitting starts to pay is denseParallelMin.
func BenchmarkDenseScan(b *testing.B) {
	defer func(m int) { denseParallelMin = m }(denseParallelMin)
	const dim = 1024
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{100, 300, 1000, 3000, 10000, 100000} {
		v := vectors{dim: dim, slab: make([]float32, 0, n*dim)}
		for c := range n {
			v.row = append(v.row, int32(c))
			v.chunk = append(v.chunk, int32(c))
			v.slab = append(v.slab, randomUnit(r, dim)...)
		}
		q := randomUnit(r, dim)
		for _, mode := range []string{"serial", "parallel"} {
			b.Run(fmt.Sprintf("chunks=%d/%s", n, mode), func(b *testing.B) {
				denseParallelMin = 1 << 62
				if mode == "parallel" {
					denseParallelMin = 1
				}
				for b.Loop() {
					v.search(q, 150, nil)
				}
			})
		}
	}
}

// BenchmarkDenseSearch measures Engine.Search with a query vector at 10,000
// and 100,000 chunks × 1024 dimensions, one client: p50/p95 over 200
// queries (each a random unit vector), for the dense leg alone (a query of
// stopwords), both legs (three words and a vector) and, for reference, the
// lexical leg alone; the dense scan in one goroutine or split over
// GOMAXPROCS.
func BenchmarkDenseSearch(b *testing.B) {
	ctx := context.Background()
	defer func(m int) { denseParallelMin = m }(denseParallelMin)
	const dim, queries = 1024, 200
	for _, n := range benchSizes(b) {
		s := benchStore(b, n, dim)
		e := NewEngine(s, analyze.Default(), Options{})
		if err := e.Warm(ctx); err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(8, 9))
		vocab := newBenchVocab(r)
		qs := make([]Query, queries)
		for i := range qs {
			qs[i] = Query{Vector: randomUnit(r, dim), VectorModel: "bench",
				Text: strings.Join([]string{vocab.words[vocab.zipf.Uint64()], vocab.words[vocab.zipf.Uint64()], vocab.words[r.IntN(2000)]}, " ")}
		}
		for _, tc := range []struct{ leg, scan string }{
			{"dense", "serial"}, {"dense", "parallel"}, {"hybrid", "serial"}, {"hybrid", "parallel"}, {"lexical", "-"},
		} {
			b.Run(fmt.Sprintf("chunks=%d/leg=%s/scan=%s", n, tc.leg, tc.scan), func(b *testing.B) {
				denseParallelMin = 1 << 62
				if tc.scan == "parallel" {
					denseParallelMin = 1
				}
				var lat []time.Duration
				for b.Loop() {
					for _, q := range qs {
						switch tc.leg {
						case "dense":
							q.Text = "och"
						case "lexical":
							q.Vector = nil
						}
						t0 := time.Now()
						res, err := e.Search(ctx, q)
						lat = append(lat, time.Since(t0))
						if err != nil || len(res.Hits) == 0 || (tc.leg != "lexical") != slices.Contains(res.Legs, "dense") {
							b.Fatalf("%+v, %v", res, err)
						}
					}
				}
				slices.Sort(lat)
				pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(lat)), "ns/op")
				b.ReportMetric(pct(0.50), "p50-ms")
				b.ReportMetric(pct(0.95), "p95-ms")
			})
		}
	}
}
