package answer_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
	"github.com/imy/imyrag/retrieval/store/local"
)

// devQuestions are the development set's questions (never their answers:
// the benchmark measures time only).
func devQuestions(b *testing.B) []string {
	data, err := os.ReadFile(filepath.Join("..", "..", "eval", "testdata", "dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	var qs []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var it struct {
			Question string `json:"question"`
		}
		if err := json.Unmarshal([]byte(line), &it); err != nil {
			b.Fatal(err)
		}
		qs = append(qs, it.Question)
	}
	return qs
}

// fullIndex is the whole bundled corpus (97 passages) with vectors from
// the test embedding model: about two minutes to build on two cores.
func fullIndex(b *testing.B, srv *ollamatest.Server) *local.Store {
	ctx := context.Background()
	st, err := ingesttest.Bundled(ctx, filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := ingest.Embed(ctx, st, client(b, srv, ollama.Config{}), ingest.EmbedOptions{}); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkOverhead measures the pipeline's own time per question —
// everything except the time inside Ollama (query embedding and answer
// generation) — on the whole bundled corpus with vectors, over every development
// question: hybrid search, budgeting, prompt rendering and token counting,
// and the sentence checks. Reported as p50/p95/p99 in ms.
func BenchmarkOverhead(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	st := fullIndex(b, srv)
	{
		a := newAnswerer(b, st, client(b, srv, ollama.Config{}), answer.Options{AnswerTokens: 64})
		qs := devQuestions(b)
		// Warm the engine and the model once.
		if _, err := a.Answer(context.Background(), answer.Request{Question: qs[0]}); err != nil {
			b.Fatal(err)
		}
		var over []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, q := range qs {
				res, err := a.Answer(context.Background(), answer.Request{Question: q})
				if err != nil {
					b.Fatal(err)
				}
				over = append(over, res.Timings.Overhead())
			}
		}
		b.StopTimer()
		slices.Sort(over)
		pct := func(p float64) float64 {
			return float64(over[min(len(over)-1, int(p*float64(len(over))))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.95), "p95-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkOverheadExtractive is the same without a language model.
func BenchmarkOverheadExtractive(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	st := embeddedIndex(b, srv)
	a := newAnswerer(b, st, nil, answer.Options{})
	qs := devQuestions(b)
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, q := range qs {
			res, err := a.Answer(context.Background(), answer.Request{Question: q})
			if err != nil {
				b.Fatal(err)
			}
			took = append(took, res.Timings.Overhead())
		}
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[min(len(took)-1, len(took)*95/100)].Microseconds())/1000, "p95-ms")
	b.ReportMetric(0, "ns/op")
}
