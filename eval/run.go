package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
)

// Answerer answers one question (answer.Answerer).
type Answerer interface {
	Answer(ctx context.Context, req answer.Request) (*answer.Result, error)
}

// Searcher ranks passages for the retrieval metrics: the search the
// answering pipeline runs, with limit hits.
type Searcher func(ctx context.Context, question string, limit int) (*retrieval.Result, error)

// Options configure Run.
type Options struct {
	// Ks are the cut-offs of the retrieval metrics (default Ks).
	Ks []int
	// Runs is how many times each answer is generated and judged (default
	// 1); the report gives the spread of the answer metrics over runs.
	Runs int
	// Workers is how many items run at once (default 1).
	Workers int
	// Judges score the answers; the lexical judge is always used, first,
	// and need not be listed.
	Judges []Judge
	// Settings are recorded in the report as given; Run fills Items, Ks,
	// Runs, Judges, the prompt versions, Mode and Model.
	Settings Settings
	// Problems are the items that could not be used (from LoadAll and
	// Validate); they are listed in the report.
	Problems []Problem
	// Progress, when set, is called after each item.
	Progress func(done, total int)
}

// Settings say what produced a report.
type Settings struct {
	Set                string    `json:"set"`
	Items              int       `json:"items"`
	Ks                 []int     `json:"k"`
	Runs               int       `json:"runs"`
	Mode               string    `json:"mode"`
	Model              string    `json:"model,omitempty"`
	PromptVersion      string    `json:"prompt_version"`
	Judges             []string  `json:"judges"`
	JudgeModel         string    `json:"judge_model,omitempty"`
	JudgePromptVersion string    `json:"judge_prompt_version,omitempty"`
	Index              string    `json:"index,omitempty"`
	Commit             string    `json:"commit,omitempty"`
	Started            time.Time `json:"started"`
	Took               float64   `json:"took_s"`
}

// Report is the result of an evaluation: every number and every item.
type Report struct {
	Settings Settings `json:"settings"`
	// Metrics are over all items; answer metrics are the mean over runs.
	Metrics map[string]float64 `json:"metrics"`
	// Spread of each answer metric over runs (with Runs > 1).
	Spread map[string]Spread `json:"spread,omitempty"`
	// ByKind holds the same metrics per item kind.
	ByKind   map[string]map[string]float64 `json:"by_kind"`
	Items    []ItemResult                  `json:"items"`
	Problems []Problem                     `json:"problems,omitempty"`
	Compare  *Comparison                   `json:"compare,omitempty"`
}

// Spread is how a metric varied over runs.
type Spread struct {
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Stddev float64 `json:"stddev"`
	Runs   int     `json:"runs"`
}

// ItemResult is one item's outcome.
type ItemResult struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind"`
	Line       int         `json:"line"`
	Question   string      `json:"question"`
	Answerable bool        `json:"answerable"`
	Retrieval  *ItemScores `json:"retrieval,omitempty"`
	Retrieved  []Passage   `json:"retrieved"`
	Runs       []RunResult `json:"runs"`
	// Metrics are the item's own scores (answer metrics: mean over runs).
	Metrics map[string]float64 `json:"metrics"`
	Error   string             `json:"error,omitempty"`
}

// Passage is a retrieved chunk as the report shows it.
type Passage struct {
	Rank    int    `json:"rank"`
	DocID   string `json:"doc_id"`
	ChunkID string `json:"chunk_id"`
	// Evidence is true when the chunk hits one of the item's quotes.
	Evidence bool   `json:"evidence"`
	Text     string `json:"text"`
}

// RunResult is one generated answer and its scores.
type RunResult struct {
	Answer    string         `json:"answer"`
	Mode      string         `json:"mode"`
	Model     string         `json:"model,omitempty"`
	Abstained bool           `json:"abstained"`
	Evidence  float64        `json:"evidence"`
	Citations CitationCounts `json:"citations"`
	Judges    []AnswerScores `json:"judges"`
	Problems  []string       `json:"problems,omitempty"`
	Timings   answer.Timings `json:"timings"`
	Overhead  time.Duration  `json:"overhead_ns"`
	Error     string         `json:"error,omitempty"`
}

// Run evaluates items: retrieval metrics from search, answer metrics from
// the answering pipeline judged by every judge. A failure of one item (a
// bad question, a model error) is recorded with the item and never stops
// the others; only the context's cancellation is returned as an error.
func Run(ctx context.Context, items []Item, search Searcher, ans Answerer, opts Options) (*Report, error) {
	start := time.Now()
	if len(opts.Ks) == 0 {
		opts.Ks = Ks
	}
	opts.Ks = slices.Sorted(slices.Values(opts.Ks))
	opts.Ks = slices.Compact(opts.Ks)
	opts.Runs = max(opts.Runs, 1)
	opts.Workers = max(opts.Workers, 1)
	judges := []Judge{LexicalJudge{}}
	for _, j := range opts.Judges {
		if j.Name() != "lexical" {
			judges = append(judges, j)
		}
	}
	limit := max(opts.Ks[len(opts.Ks)-1], 10)

	results := make([]ItemResult, len(items))
	var (
		mu   sync.Mutex
		done int
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	for i, it := range items {
		g.Go(func() error {
			r, err := runItem(gctx, it, search, ans, judges, opts, limit)
			if err != nil {
				return err
			}
			results[i] = r
			mu.Lock()
			done++
			if opts.Progress != nil {
				opts.Progress(done, len(items))
			}
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := &Report{Settings: opts.Settings, Items: results, Problems: opts.Problems}
	rep.Settings.Items = len(items)
	rep.Settings.Ks = opts.Ks
	rep.Settings.Runs = opts.Runs
	rep.Settings.PromptVersion = prompts.Version
	rep.Settings.Judges = nil
	for _, j := range judges {
		rep.Settings.Judges = append(rep.Settings.Judges, j.Name())
		if l, ok := j.(LLMJudge); ok {
			rep.Settings.JudgeModel = l.Model
			rep.Settings.JudgePromptVersion = JudgePromptVersion
		}
	}
	rep.Settings.Mode = "extractive"
	for _, r := range results {
		for _, run := range r.Runs {
			if run.Mode == "generative" {
				rep.Settings.Mode, rep.Settings.Model = "generative", run.Model
			}
		}
	}
	rep.Metrics, rep.Spread = aggregate(results, opts.Runs, judges, opts.Ks)
	rep.ByKind = map[string]map[string]float64{}
	for _, kind := range kindsOf(results) {
		var sub []ItemResult
		for _, r := range results {
			if r.Kind == kind {
				sub = append(sub, r)
			}
		}
		rep.ByKind[kind], _ = aggregate(sub, opts.Runs, judges, opts.Ks)
	}
	rep.Settings.Took = math.Round(time.Since(start).Seconds()*10) / 10
	return rep, nil
}

// runItem evaluates one item.
func runItem(ctx context.Context, it Item, search Searcher, ans Answerer, judges []Judge, opts Options, limit int) (ItemResult, error) {
	r := ItemResult{ID: it.ID, Kind: it.Kind, Line: it.Line, Question: it.Question, Answerable: it.Answerable,
		Retrieved: []Passage{}, Runs: []RunResult{}, Metrics: map[string]float64{}}
	res, err := search(ctx, it.Question, limit)
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if err != nil {
		r.Error = "search: " + err.Error()
		return r, nil
	}
	ranked := make([]Retrieved, len(res.Hits))
	quotes := make([][]string, len(it.Evidence))
	for i, q := range it.Evidence {
		quotes[i] = Words(q)
	}
	for i, h := range res.Hits {
		ranked[i] = Retrieved{DocID: h.Document.ID, Text: h.Chunk.Text}
		w := Words(h.Chunk.Text)
		hit := false
		for _, q := range quotes {
			hit = hit || Hits(w, q)
		}
		r.Retrieved = append(r.Retrieved, Passage{Rank: i + 1, DocID: h.Document.ID, ChunkID: h.Chunk.ID, Evidence: hit, Text: h.Chunk.Text})
	}
	if it.Answerable {
		sc := ScoreRetrievalAt(it, ranked, opts.Ks)
		r.Retrieval = &sc
		for k, v := range retrievalMetrics([]ItemScores{sc}, opts.Ks) {
			r.Metrics[k] = v
		}
	}
	for range opts.Runs {
		run := RunResult{Judges: []AnswerScores{}}
		res, err := ans.Answer(ctx, answer.Request{Question: it.Question})
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		if err != nil {
			run.Error = err.Error()
			r.Runs = append(r.Runs, run)
			continue
		}
		a := res.Answer
		run.Answer, run.Mode, run.Model, run.Abstained, run.Evidence = a.Text, a.Mode, a.Model, a.Abstained, a.Evidence
		run.Problems, run.Timings, run.Overhead = a.Problems, res.Timings, res.Timings.Overhead()
		run.Citations = CountCitations(a)
		for _, j := range judges {
			sc, err := ScoreAnswer(ctx, a, j)
			if err != nil {
				return r, err
			}
			run.Judges = append(run.Judges, sc)
		}
		r.Runs = append(r.Runs, run)
	}
	for k, v := range meanOverRuns([]ItemResult{r}, len(r.Runs), judges) {
		r.Metrics[k] = v
	}
	for _, run := range r.Runs {
		if run.Error != "" && r.Error == "" {
			r.Error = run.Error
		}
	}
	return r, nil
}

func kindsOf(rs []ItemResult) []string {
	set := map[string]bool{}
	for _, r := range rs {
		set[r.Kind] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// retrievalMetrics flattens Summarize's "all" group into metric names.
func retrievalMetrics(scores []ItemScores, ks []int) map[string]float64 {
	m := map[string]float64{}
	if len(scores) == 0 {
		return m
	}
	s := Summarize(scores)["all"]
	for _, k := range ks {
		m["doc_recall@"+strconv.Itoa(k)] = s.DocRecallAt[k]
		m["hit@"+strconv.Itoa(k)] = s.HitAt[k]
		m["coverage@"+strconv.Itoa(k)] = s.CoverAt[k]
	}
	m["mrr"] = s.MRR
	m["ndcg@10"] = s.NDCG10
	return m
}

// aggregate computes every metric over a group of items: retrieval over its
// answerable items, answer metrics per run and then their mean and spread.
func aggregate(rs []ItemResult, runs int, judges []Judge, ks []int) (map[string]float64, map[string]Spread) {
	var scores []ItemScores
	for _, r := range rs {
		if r.Retrieval != nil {
			scores = append(scores, *r.Retrieval)
		}
	}
	m := retrievalMetrics(scores, ks)
	m["items"] = float64(len(rs))
	perRun := make([]map[string]float64, runs)
	for i := range runs {
		perRun[i] = answerMetrics(rs, i, judges)
	}
	spread := map[string]Spread{}
	names := map[string]bool{}
	for _, pr := range perRun {
		for k := range pr {
			names[k] = true
		}
	}
	for name := range names {
		var vs []float64
		for _, pr := range perRun {
			if v, ok := pr[name]; ok {
				vs = append(vs, v)
			}
		}
		mean, sd := meanStd(vs)
		m[name] = mean
		if runs > 1 {
			spread[name] = Spread{Min: slices.Min(vs), Max: slices.Max(vs), Stddev: sd, Runs: len(vs)}
		}
	}
	if len(spread) == 0 {
		spread = nil
	}
	return m, spread
}

// meanOverRuns is aggregate's answer part for one item.
func meanOverRuns(rs []ItemResult, runs int, judges []Judge) map[string]float64 {
	sums, counts := map[string]float64{}, map[string]int{}
	for i := range runs {
		for k, v := range answerMetrics(rs, i, judges) {
			sums[k] += v
			counts[k]++
		}
	}
	for k := range sums {
		sums[k] /= float64(counts[k])
	}
	return sums
}

// answerMetrics computes the answer metrics of run i over items. A metric
// whose denominator is zero is left out (undefined), never reported as 0
// or 1.
func answerMetrics(rs []ItemResult, i int, judges []Judge) map[string]float64 {
	m := map[string]float64{}
	var ok, failed, answerable, answered, unanswerable, abstained, abstainedRight, valid, invalid int
	type acc struct {
		recall, precision, faith []float64
		falseN, shown, failures  int
	}
	accs := make([]acc, len(judges))
	for _, r := range rs {
		if i >= len(r.Runs) {
			continue
		}
		run := r.Runs[i]
		if run.Error != "" {
			failed++
			continue
		}
		ok++
		if r.Answerable {
			answerable++
			answered += b2i(!run.Abstained)
		} else {
			unanswerable++
			abstainedRight += b2i(run.Abstained)
		}
		abstained += b2i(run.Abstained)
		valid += run.Citations.Valid
		invalid += run.Citations.Invalid
		for ji, sc := range run.Judges {
			if ji >= len(accs) {
				break
			}
			a := &accs[ji]
			if sc.CitationRecall != nil {
				a.recall = append(a.recall, *sc.CitationRecall)
			}
			if sc.CitationPrecision != nil {
				a.precision = append(a.precision, *sc.CitationPrecision)
			}
			if sc.Faithfulness != nil {
				a.faith = append(a.faith, *sc.Faithfulness)
			}
			for _, c := range sc.Claims {
				if c.Shown {
					a.shown++
					a.falseN += b2i(!c.Supported)
				}
			}
			a.failures += sc.Failures
		}
	}
	if ok+failed == 0 {
		return m
	}
	m["completed"] = float64(ok) / float64(ok+failed)
	set := func(name string, v *float64) {
		if v != nil {
			m[name] = *v
		}
	}
	set("answered", ratio(answered, answerable))
	set("abstain_precision", ratio(abstainedRight, abstained))
	set("abstain_recall", ratio(abstainedRight, unanswerable))
	set("citation_validity", ratio(valid, valid+invalid))
	for ji, j := range judges {
		a := accs[ji]
		n := j.Name()
		set("citation_recall."+n, mean(a.recall))
		set("citation_precision."+n, mean(a.precision))
		set("faithfulness."+n, mean(a.faith))
		set("false_support."+n, ratio(a.falseN, a.shown))
		m["judge_failures."+n] = float64(a.failures)
	}
	return m
}

func mean(vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	m, _ := meanStd(vs)
	return &m
}

func meanStd(vs []float64) (mean, sd float64) {
	if len(vs) == 0 {
		return 0, 0
	}
	for _, v := range vs {
		mean += v
	}
	mean /= float64(len(vs))
	for _, v := range vs {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(vs)))
}

// MetricNames returns the metric names of m in report order: retrieval
// metrics by cut-off, then answer metrics, then the rest alphabetically.
func MetricNames(m map[string]float64) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(a, b int) bool {
		ra, rb := metricRank(names[a]), metricRank(names[b])
		if ra != rb {
			return ra < rb
		}
		return names[a] < names[b]
	})
	return names
}

// metricOrder lists metric name prefixes in report order.
var metricOrder = []string{"items", "doc_recall@", "hit@", "coverage@", "mrr", "ndcg@10", "completed", "answered",
	"abstain_precision", "abstain_recall", "citation_validity", "citation_recall.", "citation_precision.",
	"faithfulness.", "false_support.", "judge_failures."}

func metricRank(name string) string {
	for i, p := range metricOrder {
		if strings.HasPrefix(name, p) {
			// Cut-offs sort numerically within their prefix.
			if k, err := strconv.Atoi(name[len(p):]); err == nil {
				return fmt.Sprintf("%02d-%05d", i, k)
			}
			return fmt.Sprintf("%02d-%s", i, name[len(p):])
		}
	}
	return "99-" + name
}

// LowerIsBetter reports metrics where a rise is a regression.
func LowerIsBetter(name string) bool {
	return strings.HasPrefix(name, "false_support.") || strings.HasPrefix(name, "judge_failures.")
}
