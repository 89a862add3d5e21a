package eval

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/store/local"
)

// thresholdsFile holds the quality gates (profile "dev-extractive" for
// the lexical, extractive pipeline on the development set), shared with
// `make eval`: one source of truth.
const thresholdsFile = "testdata/thresholds.json"

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
// extractive answering pipeline (as `imyrag eval --llm off` does) and checks
// the aggregate metrics against the thresholds file.
func TestRetrievalQuality(t *testing.T) {
	ctx := context.Background()
	items := loadDev(t)
	s := devIndex(t)
	eng := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	ans := answer.New(eng, nil, nil, tok, analyze.Default(), answer.Options{})
	search := func(ctx context.Context, q string, limit int) (*retrieval.Result, error) {
		return eng.Search(ctx, retrieval.Query{Text: q, Limit: limit})
	}
	rep, err := Run(ctx, items, search, ans, Options{Settings: Settings{Set: "dev.jsonl"}})
	if err != nil {
		t.Fatal(err)
	}

	var report strings.Builder
	for _, it := range rep.Items {
		run := it.Runs[0]
		if it.Retrieval == nil {
			fmt.Fprintf(&report, "%-5s %-12s evidence=%.2f abstained=%v\n", it.ID, it.Kind, run.Evidence, run.Abstained)
			continue
		}
		fmt.Fprintf(&report, "%-5s %-12s first-hit=%-2d evidence=%.2f abstained=%v\n", it.ID, it.Kind, it.Retrieval.FirstHit, run.Evidence, run.Abstained)
	}
	fmt.Fprintf(&report, "\n%-12s %5s %6s %6s %6s %8s %6s %6s\n", "kind", "items", "doc@5", "hit@1", "hit@5", "cover@10", "MRR", "nDCG10")
	kinds := []string{"all"}
	for k := range rep.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds[1:])
	for _, k := range kinds {
		m := rep.Metrics
		if k != "all" {
			m = rep.ByKind[k]
		}
		fmt.Fprintf(&report, "%-12s %5.0f %6.2f %6.2f %6.2f %8.2f %6.2f %6.2f\n", k, m["items"], m["doc_recall@5"], m["hit@1"], m["hit@5"], m["coverage@10"], m["mrr"], m["ndcg@10"])
	}
	fmt.Fprintf(&report, "\nanswered %.2f of answerable; abstain recall %.2f of unanswerable\n", rep.Metrics["answered"], rep.Metrics["abstain_recall"])
	t.Log("\n" + report.String())

	th, err := LoadThresholds(thresholdsFile, "dev-extractive")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Check(th) {
		t.Error(f)
	}
}
