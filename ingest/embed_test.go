package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
)

func embedClient(t *testing.T, host, model string) *ollama.Client {
	t.Helper()
	c, err := ollama.New(context.Background(), ollama.Config{Host: host, EmbedModel: model})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// smallBundled is the shortest bundled document (3 passages): embedding with
// the byte-level test model is slow on two cores.
func smallBundled(t *testing.T) []Source {
	t.Helper()
	for _, s := range Bundled() {
		if s.ID == "imy-2023-slutredovisning-innovationssystemet" {
			return []Source{s}
		}
	}
	t.Fatal("the bundled corpus has no imy-2023-slutredovisning-innovationssystemet")
	return nil
}

// Embedding against the real server: every passage gets a vector once,
// unchanged passages keep theirs, a changed passage is embedded again.
func TestEmbedIncremental(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	ctx := context.Background()
	dir := t.TempDir()
	doc := filepath.Join(dir, "vagledning.md")
	paras := []string{"# Vägledning om kameraövervakning", "Kameraövervakning kräver en rättslig grund enligt artikel 6 i dataskyddsförordningen.",
		"## Informationsplikt", "Den som övervakar ska informera om övervakningen med skyltar.", "## Lagring", "Inspelat material får inte sparas längre än nödvändigt."}
	write := func(ps []string) {
		if err := os.WriteFile(doc, []byte(strings.Join(ps, "\n\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(paras)
	st := openStore(t, filepath.Join(dir, "index.db"))
	p := newPipeline(t, st, Options{Chunk: chunk.Options{Target: 20, Max: 40, Overlap: -1}})
	run := func() {
		t.Helper()
		srcs, fails := Discover([]string{doc})
		if len(fails) > 0 {
			t.Fatal(fails)
		}
		if _, err := p.Run(ctx, srcs); err != nil {
			t.Fatal(err)
		}
	}
	run()
	c := embedClient(t, srv.Host(), ollamatest.EmbedModel)
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	var progress []int
	res, err := Embed(ctx, st, c, EmbedOptions{Batch: 2, Count: tok.Count, OnProgress: func(done, total int) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pending < 3 || res.Embedded != res.Pending || res.Dim != 64 || stats.Vectors != stats.Chunks || stats.Embedding.Model != ollamatest.EmbedModel {
		t.Fatalf("result %+v, stats %+v", res, stats)
	}
	if len(progress) == 0 || progress[len(progress)-1] != res.Pending {
		t.Fatalf("progress %v, want it to end at %d", progress, res.Pending)
	}
	if res.Tokens == 0 {
		t.Fatal("no prompt_eval_count recorded")
	}

	// Nothing changed: nothing to embed.
	if res, err = Embed(ctx, st, c, EmbedOptions{}); err != nil || res.Pending != 0 {
		t.Fatalf("second run: %+v, %v", res, err)
	}

	// One paragraph changes: only its passage is embedded again.
	paras[5] = "Inspelat material ska raderas inom 30 dagar om inget särskilt skäl finns."
	write(paras)
	run()
	if res, err = Embed(ctx, st, c, EmbedOptions{}); err != nil {
		t.Fatal(err)
	}
	if res.Pending == 0 || res.Pending >= stats.Chunks {
		t.Fatalf("after a one-paragraph edit %d of %d passages were embedded again", res.Pending, stats.Chunks)
	}
	if problems, err := st.Check(ctx); err != nil || len(problems) > 0 {
		t.Fatalf("check: %v %v", problems, err)
	}
}

func TestEmbedModelChangeNeedsReembed(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	srv.CreateModel(t, "imyrag-test-embed-b", ollamatest.ModelOptions{Embedding: true, EmbeddingDim: 32})
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, st, Options{})
	if _, err := p.Run(ctx, smallBundled(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := Embed(ctx, st, embedClient(t, srv.Host(), ollamatest.EmbedModel), EmbedOptions{}); err != nil {
		t.Fatal(err)
	}
	other := embedClient(t, srv.Host(), "imyrag-test-embed-b")
	_, err := Embed(ctx, st, other, EmbedOptions{})
	if !errors.Is(err, store.ErrEmbeddingModel) || !strings.Contains(err.Error(), "--reembed") {
		t.Fatalf("embedding with another model = %v, want ErrEmbeddingModel naming --reembed", err)
	}
	res, err := Embed(ctx, st, other, EmbedOptions{Reembed: true})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Dim != 32 || stats.Embedding.Model != "imyrag-test-embed-b" || stats.Embedding.Dim != 32 || stats.Vectors != stats.Chunks {
		t.Fatalf("after --reembed: %+v, stats %+v", res, stats)
	}
}

func TestEmbedServerGoneLosesNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, st, Options{})
	if _, err := p.Run(ctx, smallBundled(t)); err != nil {
		t.Fatal(err)
	}
	before, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = Embed(ctx, st, embedClient(t, addr, "bge-m3"), EmbedOptions{})
	if !errors.Is(err, ollama.ErrUnreachable) {
		t.Fatalf("Embed with no server = %v, want ErrUnreachable", err)
	}
	after, err := st.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Chunks != before.Chunks || after.Vectors != 0 {
		t.Fatalf("before %+v after %+v", before, after)
	}
}

// A server that reads fewer tokens than an input holds has cut it: the
// passage gets no vector and is reported. The server here never truncates
// (truncate is off), so the count is inflated to stand for a model whose
// tokenizer sees more tokens than the server read.
func TestEmbedRefusesWhatLooksTruncated(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, st, Options{})
	if _, err := p.Run(ctx, smallBundled(t)); err != nil {
		t.Fatal(err)
	}
	inflated := func(s string) int { return 10 * len(s) }
	res, err := Embed(ctx, st, embedClient(t, srv.Host(), ollamatest.EmbedModel), EmbedOptions{Batch: 4, Count: inflated})
	if err != nil {
		t.Fatal(err)
	}
	if res.Embedded != 0 || len(res.Skipped) != res.Pending || res.Pending == 0 {
		t.Fatalf("%+v: want every passage skipped", res)
	}
	if !strings.Contains(res.Skipped[0].Reason, "fewer tokens") {
		t.Fatalf("reason %q", res.Skipped[0].Reason)
	}
}

// BenchmarkEmbed measures embedding throughput against the real test server
// for several batch sizes, over the small corpus (passages/s). The test
// model is tiny but reads Swedish byte by byte, so absolute numbers say
// little about bge-m3; the ratios between batch sizes and worker counts show
// what batching saves per request.
func BenchmarkEmbed(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	ctx := context.Background()
	for _, bc := range []struct{ batch, workers int }{{1, 1}, {4, 1}, {16, 1}, {16, 2}, {32, 2}} {
		b.Run(fmt.Sprintf("batch=%d/workers=%d", bc.batch, bc.workers), func(b *testing.B) {
			var passages int
			var took time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				st, err := local.Open(ctx, filepath.Join(dir, "index.db"))
				if err != nil {
					b.Fatal(err)
				}
				p, err := New(ctx, st, Options{})
				if err != nil {
					b.Fatal(err)
				}
				var srcs []Source
				for _, s := range Bundled() {
					if s.ID == "imy-2023-slutredovisning-innovationssystemet" || s.ID == "imy-2025-innovationshubben-regulatorisk-sandlada" {
						srcs = append(srcs, s)
					}
				}
				if _, err := p.Run(ctx, srcs); err != nil {
					b.Fatal(err)
				}
				p.Close()
				c, err := ollama.New(ctx, ollama.Config{Host: srv.Host(), EmbedModel: ollamatest.EmbedModel})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				res, err := Embed(ctx, st, c, EmbedOptions{Batch: bc.batch, Workers: bc.workers})
				took += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				passages += res.Embedded
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(passages)/took.Seconds(), "passages/s")
		})
	}
}
