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
	idx, items := devIndex(t), loadDev(t)
	for _, k1 := range []float64{0.9, 1.2} {
		for _, pw := range []float64{0.001, 0.25, 0.5, 1, 2} {
			for _, hw := range []float64{0.25, 0.5} {
				opts := retrieval.DefaultOptions
				opts.K1, opts.ProximityWeight, opts.HeadWeight = k1, pw, hw
				a := sweepScore(t, idx, items, opts)
				fmt.Printf("k1=%.1f prox=%.2f head=%.2f  hit@1=%.2f hit@5=%.2f cover@10=%.2f mrr=%.3f\n", k1, pw, hw, a.HitAt[1], a.HitAt[5], a.CoverAt[10], a.MRR)
			}
		}
	}
	// Synonym expansion: the weight of a synonym relative to the word it
	// expands, and the most synonyms per word (weight -1 is off).
	for _, max := range []int{1, 2, 3, 4, 5} {
		for _, sw := range []float64{-1, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1} {
			opts := retrieval.DefaultOptions
			opts.SynonymWeight, opts.MaxSynonyms = sw, max
			a := sweepScore(t, idx, items, opts)
			fmt.Printf("synonyms=%d weight=%.2f  hit@1=%.3f hit@5=%.3f cover@10=%.3f doc@5=%.3f mrr=%.3f ndcg@10=%.3f\n",
				max, sw, a.HitAt[1], a.HitAt[5], a.CoverAt[10], a.DocRecallAt[5], a.MRR, a.NDCG10)
		}
	}
}

// sweepScore runs the answerable items over idx with opts and returns the
// overall summary.
func sweepScore(t *testing.T, idx retrieval.Index, items []Item, opts retrieval.Options) Summary {
	t.Helper()
	ctx := context.Background()
	eng := retrieval.NewEngine(idx, analyze.Default(), opts)
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
	return Summarize(scores)["all"]
}
