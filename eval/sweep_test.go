package eval

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
)

// TestSweep prints aggregate retrieval metrics over a grid of ranking
// options; it runs only with IMYRAG_SWEEP=1. Defaults are chosen from the
// aggregate numbers, never from single items.
func TestSweep(t *testing.T) {
	if os.Getenv("IMYRAG_SWEEP") == "" {
		t.Skip("set IMYRAG_SWEEP=1 to sweep ranking options")
	}
	ctx := context.Background()
	items := loadDev(t)
	s := devIndex(t)
	for _, k1 := range []float64{0.9, 1.2} {
		for _, pw := range []float64{0.001, 0.25, 0.5, 1, 2} {
			for _, hw := range []float64{0.25, 0.5} {
				opts := retrieval.DefaultOptions
				opts.K1, opts.ProximityWeight, opts.HeadWeight = k1, pw, hw
				eng := retrieval.NewEngine(s, analyze.Default(), opts)
				var scores []ItemScores
				for _, it := range items {
					if !it.Answerable {
						continue
					}
					res, err := eng.Search(ctx, retrieval.Query{Text: it.Question, Limit: 10})
					if err != nil {
						t.Fatal(err)
					}
					ranked := make([]Retrieved, len(res.Hits))
					for i, h := range res.Hits {
						ranked[i] = Retrieved{DocID: h.Document.ID, Text: h.Chunk.Text}
					}
					scores = append(scores, ScoreRetrieval(it, ranked))
				}
				a := Summarize(scores)["all"]
				fmt.Printf("k1=%.1f prox=%.2f head=%.2f  hit@1=%.2f hit@5=%.2f cover@10=%.2f mrr=%.3f\n", k1, pw, hw, a.HitAt[1], a.HitAt[5], a.CoverAt[10], a.MRR)
			}
		}
	}
}
