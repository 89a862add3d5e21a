package eval

import (
	"context"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
)

// cachedAnswerer replays answers computed beforehand, so that a benchmark
// of Run times the harness and not the pipeline.
type cachedAnswerer map[string]*answer.Result

func (c cachedAnswerer) Answer(_ context.Context, req answer.Request) (*answer.Result, error) {
	return c[req.Question], nil
}

// BenchmarkEval measures the evaluation of the development set on the
// bundled corpus, per item, with one worker:
//
//   - pipeline: what `imyrag eval --llm off` does per item — search for the
//     retrieval metrics, the extractive answer, the lexical judge;
//   - harness: the harness's own cost — scoring retrieval and answers with
//     the lexical judge, aggregation — with search results and answers
//     replayed from memory. This is the overhead an evaluation adds to each
//     item on top of the pipeline (and of any model time).
func BenchmarkEval(b *testing.B) {
	ctx := context.Background()
	items := loadDev(b)
	s := devIndex(b)
	eng := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		b.Fatal(err)
	}
	ans := answer.New(eng, nil, nil, tok, analyze.Default(), answer.Options{})
	search := func(ctx context.Context, q string, limit int) (*retrieval.Result, error) {
		return eng.Search(ctx, retrieval.Query{Text: q, Limit: limit})
	}
	// Warm-up, and the replay caches.
	searched := map[string]*retrieval.Result{}
	answered := cachedAnswerer{}
	for _, it := range items {
		res, err := search(ctx, it.Question, 10)
		if err != nil {
			b.Fatal(err)
		}
		searched[it.Question] = res
		if answered[it.Question], err = ans.Answer(ctx, answer.Request{Question: it.Question}); err != nil {
			b.Fatal(err)
		}
	}
	replay := func(_ context.Context, q string, _ int) (*retrieval.Result, error) { return searched[q], nil }

	for _, bc := range []struct {
		name   string
		search Searcher
		ans    Answerer
	}{{"pipeline", search, ans}, {"harness", replay, answered}} {
		b.Run(bc.name, func(b *testing.B) {
			var total time.Duration
			for range b.N {
				t0 := time.Now()
				if _, err := Run(ctx, items, bc.search, bc.ans, Options{}); err != nil {
					b.Fatal(err)
				}
				total += time.Since(t0)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(len(items)*b.N), "µs/item")
		})
	}
}
