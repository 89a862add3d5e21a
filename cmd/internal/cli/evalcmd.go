package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag/cmd/internal/progress"
	"github.com/imy/imyrag/eval"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/store"
)

type evalOptions struct {
	set        string
	ks         []int
	judge      string
	runs       int
	out        string
	compare    string
	failUnder  []string
	thresholds string
	profile    string
	workers    int
	seed       int
	judgeTO    int
}

func newEvalCmd(e *env) *cobra.Command {
	var o evalOptions
	cmd := &cobra.Command{
		Use:   "eval --set FILE -o DIR",
		Short: "Score retrieval and answers against an evaluation set; write report.json, report.md and report.html",
		Long: `Run every item of an evaluation set (JSONL, see eval/testdata/README.md)
through search and the answering pipeline, and score them:

  retrieval  document recall@k, evidence hit@k and coverage@k, MRR, nDCG@10
  answers    answered (answerable items), abstention precision and recall,
             citation validity, citation recall and precision (ALCE),
             faithfulness (RAGAS), false support (claims shown as supported
             that the judge finds unsupported)

Answers are judged by the lexical judge (the calibrated support score)
always, and by a language model through Ollama with --judge MODEL. --runs
repeats the answers and judgements and reports the spread.

Items are validated first (fields, evidence, document IDs against the index);
bad items are listed and skipped, and make the exit status 1. --compare
shows deltas against an earlier report; --fail-under and --thresholds exit 1
when a metric misses its threshold (for CI).`,
		Example: "  imyrag eval --set eval/testdata/dev.jsonl -o eval-out --llm off\n" +
			"  imyrag eval --set dev.jsonl -o new --compare old --fail-under hit@5=0.8\n" +
			"  imyrag eval --set dev.jsonl -o out --judge mistral-small3.2 --runs 3",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.judge == "" && e.cfg.Judge {
				o.judge = e.cfg.ChatModel
			}
			switch {
			case o.set == "":
				return usageError{errors.New("eval: --set FILE is required")}
			case o.out == "":
				return usageError{errors.New("eval: -o DIR is required")}
			case o.runs < 1 || o.runs > 20:
				return usageError{fmt.Errorf("--runs %d: want 1–20", o.runs)}
			case o.workers < 1 || o.workers > 64:
				return usageError{fmt.Errorf("--workers %d: want 1–64", o.workers)}
			case o.judge != "" && e.cfg.LLM == "off":
				return usageError{errors.New("--judge needs the language model; it is off (--llm off)")}
			}
			for _, k := range o.ks {
				if k < 1 || k > 100 {
					return usageError{fmt.Errorf("--k %d: want 1–100", k)}
				}
			}
			return runEval(e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.set, "set", "", "evaluation set (JSONL)")
	f.IntSliceVarP(&o.ks, "k", "k", eval.Ks, "cut-offs of the retrieval metrics")
	f.Var(judgeModel{&o.judge}, "judge", "also judge answers with this Ollama model (IMYRAG_JUDGE=true: the chat model)")
	f.IntVar(&o.runs, "runs", 1, "generate and judge every answer this many times; report the spread")
	f.StringVarP(&o.out, "out", "o", "", "directory for report.json, report.md and report.html")
	f.StringVar(&o.compare, "compare", "", "earlier report (its directory or report.json) to show deltas against")
	f.StringArrayVar(&o.failUnder, "fail-under", nil, "exit 1 when metric < value (metric=value; repeatable)")
	f.StringVar(&o.thresholds, "thresholds", "", "thresholds file (JSON, see eval/testdata/thresholds.json); --fail-under wins")
	f.StringVar(&o.profile, "profile", "dev-extractive", "profile of the thresholds file")
	f.IntVar(&o.workers, "workers", 2, "items evaluated at once")
	f.IntVar(&o.seed, "seed", 1, "sampling seed of the language model (temperature is 0)")
	f.IntVar(&o.judgeTO, "judge-timeout", 120, "seconds one judgement may take; one that takes longer counts as failed")
	return cmd
}

func runEval(e *env, o evalOptions) error {
	ctx := e.ctx
	th := eval.Thresholds{}
	if o.thresholds != "" {
		t, err := eval.LoadThresholds(o.thresholds, o.profile)
		if err != nil {
			return usageError{err}
		}
		th = t
	}
	fu, err := eval.ParseFailUnder(o.failUnder)
	if err != nil {
		return usageError{err}
	}
	for k, v := range fu {
		th[k] = v
	}
	var prev *eval.Report
	var prevPath string
	if o.compare != "" {
		if prev, prevPath, err = eval.LoadReport(ctx, o.compare); err != nil {
			return hintError{err, "--compare DIR (a directory written by imyrag eval) or its report.json"}
		}
	}

	f, err := os.Open(o.set)
	if err != nil {
		return usageError{fmt.Errorf("eval set: %w", err)}
	}
	items, problems, err := eval.LoadAll(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("eval set %s: %w", o.set, err)
	}

	p, err := e.pipelineWith(answer.Options{Seed: o.seed, Temperature: 0})
	if err != nil {
		return err
	}
	defer p.index.Close()
	items, bad, err := eval.Validate(ctx, items, func(ctx context.Context, id string) (string, bool, error) {
		d, err := p.index.Document(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return "", false, nil
		}
		return d.Text, err == nil, err
	})
	if err != nil {
		return err
	}
	problems = append(problems, bad...)
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "%s:%s\n", o.set, p.Error())
	}

	var judges []eval.Judge
	if o.judge != "" {
		if p.llm == nil {
			return hintError{errors.New("--judge: no Ollama server answers"), "ollama serve, or --ollama-host HOST"}
		}
		judges = append(judges, eval.LLMJudge{Chat: p.llm, Model: o.judge, Timeout: time.Duration(o.judgeTO) * time.Second, Seed: o.seed})
	}
	// The retrieval metrics rank passages as the answering pipeline does:
	// hybrid when the index holds vectors of the configured model.
	var emb answer.Embedder
	if p.llm != nil {
		emb = p.llm
	}
	search := func(ctx context.Context, q string, limit int) (*retrieval.Result, error) {
		query := retrieval.Query{Text: q, Limit: limit}
		if vec, _, _ := answer.QueryVector(ctx, p.engine, emb, q); vec != nil {
			query.Vector, query.VectorModel = vec, emb.EmbedModel()
		}
		return p.engine.Search(ctx, query)
	}

	bar := progress.NewItems(e.stderr, e.stderrTTY, len(items), "eval", "items")
	rep, err := eval.Run(ctx, items, search, p.answerer, eval.Options{
		Ks: o.ks, Runs: o.runs, Workers: o.workers, Judges: judges, Problems: problems,
		Settings: eval.Settings{Set: o.set, Index: p.index.Location(), Commit: commit(), Started: time.Now().UTC()},
		Progress: func(done, total int) { bar.Set(done, total) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	if prev != nil {
		rep.Compare = eval.Compare(prev, rep, prevPath)
	}
	if err := eval.WriteFiles(ctx, o.out, rep); err != nil {
		return err
	}
	printEvalSummary(e, rep, o.out)

	failures := rep.Check(th)
	for _, fl := range failures {
		fmt.Fprintf(e.stderr, "FAIL %s\n", fl)
	}
	switch {
	case len(failures) > 0 && len(problems) > 0:
		fmt.Fprintf(e.stderr, "eval: %d metrics missed their thresholds; %d items of the set are invalid\n", len(failures), len(problems))
		return silentError{exitFailure}
	case len(failures) > 0:
		fmt.Fprintf(e.stderr, "eval: %d metrics missed their thresholds\n", len(failures))
		return silentError{exitFailure}
	case len(problems) > 0:
		fmt.Fprintf(e.stderr, "eval: %d items of the set are invalid (listed above); the rest were scored\n", len(problems))
		return silentError{exitFailure}
	}
	return nil
}

// judgeModel is the --judge MODEL flag. The root command applies every
// flag named like a setting to the configuration, and the setting "judge"
// is a boolean (judge answers with the language model): so the flag's
// String is that boolean, and the model name is kept in *model.
type judgeModel struct{ model *string }

func (j judgeModel) String() string {
	if j.model == nil || *j.model == "" {
		return "false"
	}
	return "true"
}

func (j judgeModel) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("want a model name")
	}
	*j.model = strings.TrimSpace(v)
	return nil
}

func (judgeModel) Type() string { return "MODEL" }

// printEvalSummary prints the headline metrics and where the reports are.
func printEvalSummary(e *env, r *eval.Report, dir string) {
	w := e.stdout
	fmt.Fprintf(w, "%d items (%s", r.Settings.Items, r.Settings.Mode)
	if r.Settings.Model != "" {
		fmt.Fprintf(w, ", %s", r.Settings.Model)
	}
	if r.Settings.JudgeModel != "" {
		fmt.Fprintf(w, ", judge %s", r.Settings.JudgeModel)
	}
	fmt.Fprintf(w, ") in %.1f s\n\n", r.Settings.Took)
	var deltas map[string]eval.Delta
	if r.Compare != nil {
		deltas = map[string]eval.Delta{}
		for _, d := range r.Compare.Metrics {
			deltas[d.Metric] = d
		}
	}
	for _, name := range eval.MetricNames(r.Metrics) {
		if name == "items" {
			continue
		}
		fmt.Fprintf(w, "  %-28s %7.3f", name, r.Metrics[name])
		if s, ok := r.Spread[name]; ok {
			fmt.Fprintf(w, "  (%.3f–%.3f, σ %.3f)", s.Min, s.Max, s.Stddev)
		}
		if d, ok := deltas[name]; ok && d.Prev != nil {
			mark := ""
			if d.Worse() {
				mark = "  worse"
			}
			fmt.Fprintf(w, "  %+.3f%s", d.Delta, mark)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nreports: %s\n", strings.Join([]string{
		filepath.Join(dir, eval.ReportJSON), filepath.Join(dir, eval.ReportMarkdown), filepath.Join(dir, eval.ReportHTML)}, ", "))
}

// commit returns the VCS revision the binary was built from, when known.
func commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += " (modified)"
	}
	return rev
}
