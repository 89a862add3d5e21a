package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/extractive"
	"github.com/imy/imyrag/retrieval/store/local"
)

// Thresholds for the lexical, extractive pipeline on the development set:
// the values measured when they were set, minus a small margin (see
// docs/BENCHMARKS.md). A drop below any of them fails the test.
var thresholds = map[string]float64{
	"doc_recall@5":      0.93, // measured 0.98
	"hit@1":             0.65, // measured 0.70
	"hit@5":             0.80, // measured 0.85
	"coverage@10":       0.65, // measured 0.70
	"mrr":               0.70, // measured 0.75
	"answer_answerable": 0.95, // measured 1.00: no answerable item abstained
}

// devIndex ingests the bundled corpus into a temporary index.
func devIndex(t testing.TB) *local.Store {
	t.Helper()
	s, err := ingesttest.Bundled(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func loadDev(t testing.TB) []Item {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// TestRetrievalQuality runs every development item through search and the
// extractive answerer and checks the aggregate metrics against thresholds.
func TestRetrievalQuality(t *testing.T) {
	ctx := context.Background()
	items := loadDev(t)
	s := devIndex(t)
	eng := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	ans := extractive.New(eng, analyze.Default(), extractive.Options{})

	var scores []ItemScores
	var report strings.Builder
	abstainRight, unanswerable, answeredRight, answerable := 0, 0, 0, 0
	for _, it := range items {
		a, err := ans.Answer(ctx, it.Question)
		if err != nil {
			t.Fatalf("%s: %v", it.ID, err)
		}
		if !it.Answerable {
			unanswerable++
			if a.Abstained {
				abstainRight++
			}
			fmt.Fprintf(&report, "%-5s %-12s evidence=%.2f abstained=%v\n", it.ID, it.Kind, a.Evidence, a.Abstained)
			continue
		}
		answerable++
		if !a.Abstained {
			answeredRight++
		}
		res, err := eng.Search(ctx, retrieval.Query{Text: it.Question, Limit: 10})
		if err != nil {
			t.Fatalf("%s: %v", it.ID, err)
		}
		ranked := make([]Retrieved, len(res.Hits))
		for i, h := range res.Hits {
			ranked[i] = Retrieved{DocID: h.Document.ID, Text: h.Chunk.Text}
		}
		sc := ScoreRetrieval(it, ranked)
		scores = append(scores, sc)
		fmt.Fprintf(&report, "%-5s %-12s first-hit=%-2d evidence=%.2f abstained=%v\n", it.ID, it.Kind, sc.FirstHit, a.Evidence, a.Abstained)
	}
	sum := Summarize(scores)
	fmt.Fprintf(&report, "\n%-12s %5s %6s %6s %6s %8s %6s %6s\n", "kind", "items", "doc@5", "hit@1", "hit@5", "cover@10", "MRR", "nDCG10")
	for _, k := range Kinds(sum) {
		v := sum[k]
		fmt.Fprintf(&report, "%-12s %5d %6.2f %6.2f %6.2f %8.2f %6.2f %6.2f\n", k, v.Items, v.DocRecallAt[5], v.HitAt[1], v.HitAt[5], v.CoverAt[10], v.MRR, v.NDCG10)
	}
	all := sum["all"]
	got := map[string]float64{
		"doc_recall@5":         all.DocRecallAt[5],
		"hit@1":                all.HitAt[1],
		"hit@5":                all.HitAt[5],
		"coverage@10":          all.CoverAt[10],
		"mrr":                  all.MRR,
		"abstain_unanswerable": float64(abstainRight) / float64(max(unanswerable, 1)),
		"answer_answerable":    float64(answeredRight) / float64(max(answerable, 1)),
	}
	fmt.Fprintf(&report, "\nabstention: %d/%d unanswerable abstained, %d/%d answerable answered\n",
		abstainRight, unanswerable, answeredRight, answerable)
	t.Log("\n" + report.String())
	names := make([]string, 0, len(thresholds))
	for n := range thresholds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if got[n] < thresholds[n] {
			t.Errorf("%s = %.3f, below the threshold %.2f", n, got[n], thresholds[n])
		}
	}
}
