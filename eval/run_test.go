package eval

import (
	"context"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fakeAnswerer answers from a table; a question listed in fail errors.
type fakeAnswerer struct {
	answers map[string]*imyrag.Answer
	fail    map[string]bool
	calls   atomic.Int32
}

func (f *fakeAnswerer) Answer(_ context.Context, req answer.Request) (*answer.Result, error) {
	n := f.calls.Add(1)
	if f.fail[req.Question] {
		return nil, errors.New("model exploded")
	}
	a := *f.answers[req.Question]
	// Every other call abstains on "flaky": runs disagree.
	if req.Question == "flaky" && n%2 == 0 {
		a.Abstained = true
	}
	return &answer.Result{Answer: &a, Timings: answer.Timings{Total: time.Millisecond}}, nil
}

func fakeSearch(hits map[string][]retrieval.Hit) Searcher {
	return func(_ context.Context, q string, limit int) (*retrieval.Result, error) {
		h := hits[q]
		return &retrieval.Result{Hits: h[:min(limit, len(h))]}, nil
	}
}

func hit(doc, text string) retrieval.Hit {
	return retrieval.Hit{Document: retrieval.DocRef{ID: doc}, Chunk: imyrag.Chunk{ID: "c-" + doc, DocID: doc, Text: text}}
}

func TestRunOneFailureDoesNotStopTheRest(t *testing.T) {
	items := []Item{
		{ID: "a", Kind: "fact", Question: "qa", Answerable: true, ExpectedDocs: []string{"d1"}, Evidence: []string{"svaret finns här"}, Line: 1},
		{ID: "b", Kind: "fact", Question: "qb", Answerable: true, ExpectedDocs: []string{"d2"}, Evidence: []string{"annat svar"}, Line: 2},
		{ID: "u", Kind: "unanswerable", Question: "qu", Line: 3},
	}
	src := []imyrag.Source{{N: 1, Quote: "Svaret finns här, sa IMY."}}
	ans := &fakeAnswerer{
		answers: map[string]*imyrag.Answer{
			"qa": {Text: "Svaret finns här. [1]", Sources: src, Mode: "extractive",
				Sentences: []imyrag.Sentence{{Text: "Svaret finns här. [1]", Citations: []int{1}, Supported: true}}},
			"qu": {Text: "Jag hittar inget stöd för det i källorna.", Abstained: true, Mode: "extractive"},
		},
		fail: map[string]bool{"qb": true},
	}
	search := fakeSearch(map[string][]retrieval.Hit{
		"qa": {hit("d9", "brus"), hit("d1", "Svaret finns här, sa IMY.")},
		"qb": {hit("d2", "inget")},
		"qu": {hit("d1", "brus")},
	})
	rep, err := Run(context.Background(), items, search, ans, Options{Ks: []int{1, 2}, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Items[1].Error == "" || rep.Items[0].Error != "" {
		t.Errorf("errors: %q, %q", rep.Items[0].Error, rep.Items[1].Error)
	}
	want := map[string]float64{
		"items": 3, "hit@1": 0, "hit@2": 0.5, "coverage@1": 0, "coverage@2": 0.5,
		"doc_recall@1": 0.5, "doc_recall@2": 1, "mrr": 0.25,
		"completed": 2.0 / 3, "answered": 1, "abstain_precision": 1, "abstain_recall": 1,
		"citation_validity": 1, "citation_recall.lexical": 1, "citation_precision.lexical": 1,
		"faithfulness.lexical": 1, "false_support.lexical": 0, "judge_failures.lexical": 0,
	}
	got := map[string]float64{}
	for k, v := range rep.Metrics {
		if k != "ndcg@10" {
			got[k] = math.Round(v*1000) / 1000
		}
	}
	for k, v := range want {
		want[k] = math.Round(v*1000) / 1000
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	if rep.ByKind["unanswerable"]["abstain_recall"] != 1 || rep.ByKind["fact"]["items"] != 2 {
		t.Errorf("by kind: %v", rep.ByKind)
	}
}

func TestRunSpreadOverRuns(t *testing.T) {
	items := []Item{{ID: "f", Kind: "fact", Question: "flaky", Answerable: true, ExpectedDocs: []string{"d"}, Evidence: []string{"x y"}}}
	ans := &fakeAnswerer{answers: map[string]*imyrag.Answer{"flaky": {Text: "x", Mode: "extractive"}}}
	rep, err := Run(context.Background(), items, fakeSearch(nil), ans, Options{Runs: 4})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := rep.Spread["answered"]
	if !ok || s.Min != 0 || s.Max != 1 || s.Runs != 4 || math.Abs(s.Stddev-0.5) > 1e-9 || rep.Metrics["answered"] != 0.5 {
		t.Errorf("answered = %v, spread %+v", rep.Metrics["answered"], s)
	}
	if len(rep.Items[0].Runs) != 4 {
		t.Errorf("%d runs recorded", len(rep.Items[0].Runs))
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	items := []Item{{ID: "a", Question: "q"}}
	_, err := Run(ctx, items, func(ctx context.Context, _ string, _ int) (*retrieval.Result, error) {
		return nil, ctx.Err()
	}, &fakeAnswerer{}, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestThresholdsAndCheck(t *testing.T) {
	th, err := LoadThresholds(filepath.Join("testdata", "thresholds.json"), "dev-extractive")
	if err != nil {
		t.Fatal(err)
	}
	if th["hit@5"] <= 0 || th["false_support.lexical"] <= 0 {
		t.Errorf("thresholds %v", th)
	}
	if _, err := LoadThresholds(filepath.Join("testdata", "thresholds.json"), "nope"); err == nil {
		t.Error("unknown profile accepted")
	}
	fu, err := ParseFailUnder([]string{"hit@5=0.9", "mrr = 0.5", "false_support.llm=0.1", "missing=0.1"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Report{Metrics: map[string]float64{"hit@5": 0.85, "mrr": 0.5, "false_support.llm": 0.2}}
	var got []string
	for _, f := range r.Check(fu) {
		got = append(got, f.String())
	}
	want := []string{
		"false_support.llm = 0.200, above the maximum 0.100",
		"hit@5 = 0.850, below the threshold 0.900",
		"missing was not measured (threshold 0.100)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"hit@5", "=1", "hit@5=x"} {
		if _, err := ParseFailUnder([]string{bad}); err == nil {
			t.Errorf("ParseFailUnder(%q) accepted", bad)
		}
	}
}

// fixedReport is a small report with every section filled, for the golden
// files.
func fixedReport() *Report {
	started := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	items := []ItemResult{
		{ID: "q1", Kind: "fact", Line: 1, Question: "Vilket diarienummer har beslutet?", Answerable: true,
			Retrieval: &ItemScores{ID: "q1", Kind: "fact", FirstHit: 1, HitAt: map[int]bool{1: true, 5: true}, CoverAt: map[int]bool{1: true, 5: true}, DocRecallAt: map[int]float64{1: 1, 5: 1}, NDCG10: 1},
			Retrieved: []Passage{{Rank: 1, DocID: "beslut", ChunkID: "c_1", Evidence: true, Text: "Beslutet har diarienummer DI-2021-5817."}},
			Runs:      []RunResult{{Answer: "Diarienumret är DI-2021-5817. [1]", Mode: "generative", Model: "mistral-small3.2"}},
			Metrics:   map[string]float64{"hit@1": 1, "hit@5": 1, "coverage@1": 1, "coverage@5": 1, "doc_recall@1": 1, "doc_recall@5": 1, "mrr": 1, "ndcg@10": 1, "answered": 1, "citation_recall.lexical": 1}},
		{ID: "q2", Kind: "paraphrase", Line: 2, Question: "Hur ska <b>aktörer</b> & andra göra?", Answerable: true,
			Retrieval: &ItemScores{ID: "q2", Kind: "paraphrase", FirstHit: 0, HitAt: map[int]bool{1: false, 5: false}, CoverAt: map[int]bool{1: false, 5: false}, DocRecallAt: map[int]float64{1: 0, 5: 1}},
			Retrieved: []Passage{{Rank: 1, DocID: "annat", ChunkID: "c_9", Text: "Ett | stycke som inte svarar."}, {Rank: 2, DocID: "vagledning", ChunkID: "c_2", Text: "Rätt dokument, fel stycke."}},
			Runs:      []RunResult{{Answer: "De ska göra något. [1]", Mode: "generative", Model: "mistral-small3.2"}},
			Metrics:   map[string]float64{"hit@1": 0, "hit@5": 0, "coverage@1": 0, "coverage@5": 0, "doc_recall@1": 0, "doc_recall@5": 1, "mrr": 0, "ndcg@10": 0, "answered": 1, "citation_recall.lexical": 0}},
		{ID: "q3", Kind: "unanswerable", Line: 3, Question: "Hur många deltog?", Retrieved: []Passage{},
			Runs:    []RunResult{{Error: "judge llm: timeout"}},
			Metrics: map[string]float64{"completed": 0}, Error: "judge llm: timeout"},
	}
	r := &Report{
		Settings: Settings{Set: "testdata/dev.jsonl", Items: 3, Ks: []int{1, 5}, Runs: 2, Mode: "generative", Model: "mistral-small3.2",
			PromptVersion: "2026-11-23.1", Judges: []string{"lexical", "llm"}, JudgeModel: "mistral-small3.2", JudgePromptVersion: JudgePromptVersion,
			Index: "/var/lib/imyrag/index.db", Commit: "abc1234", Started: started, Took: 12.5},
		Metrics: map[string]float64{"items": 3, "hit@1": 0.5, "hit@5": 0.5, "coverage@1": 0.5, "coverage@5": 0.5, "doc_recall@1": 0.5, "doc_recall@5": 1,
			"mrr": 0.5, "ndcg@10": 0.5, "completed": 2.0 / 3, "answered": 1, "citation_validity": 1, "citation_recall.lexical": 0.5,
			"citation_recall.llm": 0.25, "faithfulness.lexical": 0.75, "false_support.lexical": 0.5, "judge_failures.llm": 1},
		Spread: map[string]Spread{"citation_recall.llm": {Min: 0, Max: 0.5, Stddev: 0.25, Runs: 2}},
		ByKind: map[string]map[string]float64{
			"fact":         {"items": 1, "hit@1": 1, "hit@5": 1, "coverage@5": 1, "doc_recall@5": 1, "mrr": 1, "ndcg@10": 1, "answered": 1, "faithfulness.lexical": 1, "citation_recall.lexical": 1},
			"paraphrase":   {"items": 1, "hit@1": 0, "hit@5": 0, "coverage@5": 0, "doc_recall@5": 1, "mrr": 0, "ndcg@10": 0, "answered": 1, "faithfulness.lexical": 0.5, "citation_recall.lexical": 0},
			"unanswerable": {"items": 1},
		},
		Items:    items,
		Problems: []Problem{{Line: 4, ID: "q4", Reason: "unknown document ID in expected_docs: nope"}},
	}
	prev := &Report{Settings: Settings{Set: "testdata/dev.jsonl", Mode: "extractive", PromptVersion: "2026-11-20.1", Started: started.Add(-24 * time.Hour)},
		Metrics: map[string]float64{"items": 3, "hit@1": 0.5, "hit@5": 0.75, "mrr": 0.4, "false_support.lexical": 0.25, "answered": 1},
		ByKind:  map[string]map[string]float64{"fact": {"hit@5": 1}},
		Items: []ItemResult{
			{ID: "q1", Metrics: map[string]float64{"hit@1": 1, "mrr": 1}},
			{ID: "q2", Kind: "paraphrase", Metrics: map[string]float64{"hit@1": 1, "mrr": 0.5}},
			{ID: "q0", Kind: "fact"},
		}}
	r.Compare = Compare(prev, r, "previous/report.json")
	return r
}

func TestGoldenReports(t *testing.T) {
	r := fixedReport()
	html, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]string{"report.md": Markdown(r), "report.html": string(html)} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./eval -run Golden -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s differs (-want +got; run with -update if intended):\n%s", name, diff)
			}
		})
	}
}

// The HTML page is self-contained: no scripts, no external resources, and
// untrusted text is escaped.
func TestHTMLSelfContained(t *testing.T) {
	html, err := HTML(fixedReport())
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, bad := range []string{"<script", "http://", "https://", "src=", "<link", "@import", "<b>aktörer</b>"} {
		if bad == "http://" {
			// The SVG namespace is a name, not a fetch.
			page = strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		}
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	for _, want := range []string{"<svg", "<style>", "&lt;b&gt;aktörer&lt;/b&gt;", "polyline"} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func TestCompare(t *testing.T) {
	c := fixedReport().Compare
	byName := map[string]Delta{}
	for _, d := range c.Metrics {
		byName[d.Metric] = d
	}
	if d := byName["hit@5"]; d.Prev == nil || math.Abs(d.Delta+0.25) > 1e-9 || !d.Worse() {
		t.Errorf("hit@5 delta %+v", d)
	}
	if d := byName["false_support.lexical"]; !d.Worse() {
		t.Errorf("a rise of false support is not worse: %+v", d)
	}
	if d := byName["mrr"]; d.Worse() {
		t.Errorf("a rise of MRR is worse: %+v", d)
	}
	var notes []string
	for _, it := range c.Items {
		notes = append(notes, it.ID+":"+it.Note)
	}
	if diff := cmp.Diff([]string{"q0:borttagen", "q2:", "q3:ny"}, notes); diff != "" {
		t.Errorf("item deltas (-want +got):\n%s", diff)
	}
}

func TestWriteAndLoadReport(t *testing.T) {
	dir := t.TempDir()
	r := fixedReport()
	if err := WriteFiles(context.Background(), dir, r); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ReportJSON, ReportMarkdown, ReportHTML} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	back, _, err := LoadReport(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r.Metrics, back.Metrics); diff != "" {
		t.Errorf("metrics after a round trip (-want +got):\n%s", diff)
	}
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"id":"not a report"}`), 0o644)
	if _, _, err := LoadReport(context.Background(), filepath.Join(dir, "x.json")); err == nil {
		t.Error("a file that is not a report was accepted")
	}
}
