package peers

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/imy/imyrag/eval"
)

// TestQuality scores the three engines on the development set over the
// bundled corpus, with the harness's matching rules (package eval), and
// logs the table (-v; -table prints it as Markdown on stdout). Only
// answerable items count. It checks no thresholds: the product's quality
// gate is eval.TestRetrievalQuality; this is the side-by-side comparison.
func TestQuality(t *testing.T) {
	ctx := context.Background()
	c := getCorpus(t, "bundled")
	items, err := devItems()
	if err != nil {
		t.Fatal(err)
	}
	var md strings.Builder
	fmt.Fprintf(&md, "| engine | items | hit@1 | hit@5 | coverage@10 | doc recall@5 | MRR | nDCG@10 |\n|---|---|---|---|---|---|---|---|\n")
	perKind := map[string]map[string]eval.Summary{}
	first := map[string]map[string]int{} // item → engine → rank of the first evidence hit
	// A diagnostic row: our engine without its per-document cap, which
	// coverage@10 can suffer from when a document holds many quotes.
	nocap := *c.engines["imyrag"].(*ours)
	nocap.perDoc = -1
	engines := map[string]searcher{"imyrag (no per-doc cap)": &nocap}
	for _, name := range engineNames {
		engines[name] = c.engines[name]
	}
	for _, name := range append(engineNames, "imyrag (no per-doc cap)") {
		e := engines[name]
		var scores []eval.ItemScores
		for _, it := range items {
			if !it.Answerable {
				continue
			}
			hits, err := e.search(ctx, it.Question)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, it.ID, err)
			}
			ranked := make([]eval.Retrieved, len(hits))
			for i, h := range hits {
				ranked[i] = eval.Retrieved{DocID: c.chunks[h].DocID, Text: c.chunks[h].Text}
			}
			sc := eval.ScoreRetrieval(it, ranked)
			scores = append(scores, sc)
			if first[it.ID] == nil {
				first[it.ID] = map[string]int{}
			}
			first[it.ID][name] = sc.FirstHit
		}
		sum := eval.Summarize(scores)
		perKind[name] = sum
		a := sum["all"]
		if a.HitAt[10] == 0 {
			t.Errorf("%s found no evidence for any item: the engine is broken", name)
		}
		fmt.Fprintf(&md, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			name, a.Items, a.HitAt[1], a.HitAt[5], a.CoverAt[10], a.DocRecallAt[5], a.MRR, a.NDCG10)
	}
	fmt.Fprintf(&md, "\nhit@5 by kind:\n\n| kind | items | %s |\n|---|---|%s\n", strings.Join(engineNames, " | "), strings.Repeat("---|", len(engineNames)))
	for _, k := range eval.Kinds(perKind["imyrag"]) {
		if k == "all" {
			continue
		}
		fmt.Fprintf(&md, "| %s | %d |", k, perKind["imyrag"][k].Items)
		for _, name := range engineNames {
			fmt.Fprintf(&md, " %.2f |", perKind[name][k].HitAt[5])
		}
		md.WriteString("\n")
	}
	// Items where the engines disagree on the first evidence hit (0: none
	// in the top 10), for whoever tunes ranking: never tune to one item.
	var diff strings.Builder
	for _, it := range items {
		r := first[it.ID]
		if r == nil || r["imyrag"] == r["fts5"] && r["imyrag"] == r["bleve"] {
			continue
		}
		fmt.Fprintf(&diff, "%-5s %-11s first hit: imyrag %d, fts5 %d, bleve %d\n", it.ID, it.Kind, r["imyrag"], r["fts5"], r["bleve"])
	}
	if *printTable {
		fmt.Print(md.String() + "\n" + diff.String())
	} else {
		t.Log("\n" + md.String() + "\n" + diff.String())
	}
}
