package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval/peers"
	"github.com/imy/imyrag/retrieval/store/local"
)

// The end-to-end ingest benchmarks: no embeddings, everything else as
// `imyrag ingest` does it (read, extract, normalize, chunk, legal metadata,
// analysis, one SQLite transaction per document). docs/BENCHMARKS.md has
// the numbers and how to reproduce them.

// benchChunks is the size of the generated corpus: IMYRAG_BENCH_CHUNKS,
// default 100,000 chunks.
func benchChunks(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("IMYRAG_BENCH_CHUNKS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IMYRAG_BENCH_CHUNKS=%q: want a positive number", v)
		}
	}
	return n
}

// BenchmarkIngestBundled re-ingests the five bundled documents (Force) into
// one store and reports chunks/s and MB/s of source text.
func BenchmarkIngestBundled(b *testing.B) {
	ctx := context.Background()
	s, err := local.Open(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, err := ingest.New(ctx, s, ingest.Options{Force: true})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var size int64
	for _, src := range ingest.Bundled() {
		size += int64(len(src.Data))
	}
	b.SetBytes(size)
	chunks := 0
	for b.Loop() {
		res, err := p.Run(ctx, ingest.Bundled())
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Failed) > 0 {
			b.Fatalf("failed: %+v", res.Failed)
		}
		chunks += res.Chunks
	}
	b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkIngestGenerated ingests a generated Swedish-like corpus of about
// IMYRAG_BENCH_CHUNKS chunks (default 100,000; 20–60 KB text files) end to
// end, Discover + Run into a new store, with 1, 2 and 4 workers. It reports
// chunks/s, files/s, MB/s of source text and the peak memory of the run.
// One iteration takes 15–30 s at 100,000 chunks: run it with -benchtime 1x.
//
// Each sub-benchmark ingests a corpus of its own seed (same vocabulary, new
// compounds and identifiers), so that none finds the analyzer's and the
// tokenizer's process-wide caches already holding its words.
func BenchmarkIngestGenerated(b *testing.B) {
	ctx := context.Background()
	want := benchChunks(b)
	files := peers.FilesFor(want)
	// Warm the caches that any first run pays for (the bundled vocabulary,
	// the compiled PDF engine) on a small corpus of another seed.
	warm := filepath.Join(b.TempDir(), "warm")
	if _, err := peers.WriteCorpus(warm, 1000, 50); err != nil {
		b.Fatal(err)
	}
	if err := ingestDir(ctx, filepath.Join(b.TempDir(), "warm.db"), warm, 2); err != nil {
		b.Fatal(err)
	}
	for _, workers := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "corpus")
			size, err := peers.WriteCorpus(dir, uint64(workers), files)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			chunks := 0
			var peakRSS, peakHeap float64
			for i := 0; b.Loop(); i++ {
				b.StopTimer() // the store and the PDF engine start outside the timer
				s, err := local.Open(ctx, filepath.Join(b.TempDir(), fmt.Sprintf("index-%d.db", i)))
				if err != nil {
					b.Fatal(err)
				}
				p, err := ingest.New(ctx, s, ingest.Options{Workers: workers, Force: true})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				mem := peers.WatchMem()
				srcs, fails := ingest.Discover([]string{dir})
				if len(fails) > 0 || len(srcs) != files {
					b.Fatalf("discover: %d sources, %v", len(srcs), fails)
				}
				res, err := p.Run(ctx, srcs)
				rss, heap := mem.Stop()
				peakRSS, peakHeap = max(peakRSS, rss), max(peakHeap, heap)
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Failed) > 0 {
					b.Fatalf("failed: %+v", res.Failed[0])
				}
				chunks += res.Chunks
				b.StopTimer()
				p.Close()
				s.Close()
				b.StartTimer()
			}
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(chunks)/float64(b.N), "chunks")
			b.ReportMetric(float64(chunks)/sec, "chunks/s")
			b.ReportMetric(float64(files*b.N)/sec, "files/s")
			b.ReportMetric(peakRSS, "peak-RSS-MB")
			b.ReportMetric(peakHeap, "peak-heap-MB")
		})
	}
}

// ingestDir ingests dir into a new store at path.
func ingestDir(ctx context.Context, path, dir string, workers int) error {
	s, err := local.Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := ingest.New(ctx, s, ingest.Options{Workers: workers})
	if err != nil {
		return err
	}
	defer p.Close()
	srcs, _ := ingest.Discover([]string{dir})
	_, err = p.Run(ctx, srcs)
	return err
}
