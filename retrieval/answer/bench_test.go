package answer_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/imy/imyrag/eval"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

// devQuestions are the development set's questions (never their answers:
// the benchmark measures time only).
func devQuestions(b *testing.B) []string {
	f, err := os.Open(filepath.Join("..", "..", "eval", "testdata", "dev.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	items, err := eval.Load(f)
	if err != nil {
		b.Fatal(err)
	}
	qs := make([]string, len(items))
	for i, it := range items {
		qs[i] = it.Question
	}
	return qs
}

// BenchmarkOverhead measures the pipeline's own time per question —
// everything except the time inside Ollama (query embedding and answer
// generation) — on the bundled corpus with vectors, over every development
// question: hybrid search, budgeting, prompt rendering and token counting,
// and the sentence checks. Reported as p50/p95/p99 in ms.
func BenchmarkOverhead(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	st := embeddedIndex(b, srv)
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
