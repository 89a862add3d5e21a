package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/cmd/internal/progress"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
)

type batchOptions struct {
	in, out string
	workers int
	seed    int
	judge   bool
	strict  bool
	json    bool
	// afterWrite, when set (tests), is called after each line is written
	// with the number written so far in this run.
	afterWrite func(n int)
}

func newBatchCmd(e *env) *cobra.Command {
	var o batchOptions
	cmd := &cobra.Command{
		Use:   "batch IN -o OUT",
		Short: "Answer a file of questions (JSONL or CSV) into a JSONL file",
		Long: `Answer every question of IN and append one JSON line per question to OUT.

IN is JSONL, one {"id", "question", "filters"} object a line (filters as the
search flags: kind, from, to, doc, dnr, ref; each optional), or CSV with a
header: id,question and optionally kind,from,to,doc,dnr,ref (several values
separated by ";"). A .csv name means CSV; otherwise the first character
decides.

Each OUT line has the id, the question, the answer, its sentences with their
citations and support flags, the sources (document, title, chunk, pages,
quoted text), abstained, mode, model, prompt version, timings, and error
when the question could not be answered. A failed question never stops the
batch. OUT is appended to line by line, so an interrupted batch loses at
most the questions in flight: run the same command again and the questions
whose id is already in OUT are skipped. A file that is not a batch output
is refused, never overwritten.

Answers are deterministic by default (temperature 0, a fixed --seed); without
a language model they are extractive, as with 'imyrag ask'.`,
		Example: "  imyrag batch fragor.jsonl -o svar.jsonl\n  imyrag batch fragor.csv -o svar.jsonl --workers 4 --llm off",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.in = args[0]
			o.judge = o.judge || e.cfg.Judge
			if o.out == "" {
				return usageError{errors.New("batch: -o OUT is required")}
			}
			if o.workers < 1 || o.workers > 64 {
				return usageError{fmt.Errorf("--workers %d: want 1–64", o.workers)}
			}
			return runBatch(e, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "JSONL file to append answers to (created when missing)")
	f.IntVar(&o.workers, "workers", 2, "questions answered at once")
	f.IntVar(&o.seed, "seed", 1, "sampling seed of the language model (answers use temperature 0)")
	f.BoolVar(&o.judge, "judge", false, "have the model check every cited sentence against its sources (slower) [IMYRAG_JUDGE]")
	f.BoolVar(&o.strict, "strict", false, "exit 1 when any line or question failed")
	f.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
	return cmd
}

// pipeline is the answering pipeline with what it is built from.
type pipeline struct {
	answerer *answer.Answerer
	engine   retrieval.Searcher
	index    indexStore
	// llm is the Ollama client when the model is on and its server
	// answers; nil means extractive answers and lexical search.
	llm *ollama.Client
}

// pipelineWith builds the answering pipeline like answerer, with opts on
// top of the configured passages and answer tokens. The caller closes
// p.index.
func (e *env) pipelineWith(opts answer.Options) (*pipeline, error) {
	idx, eng, err := e.openSearch()
	if err != nil {
		return nil, err
	}
	p := &pipeline{engine: eng, index: idx}
	if p.answerer, p.llm, err = e.newAnswerer(p.engine, opts); err != nil {
		idx.Close()
		return nil, err
	}
	return p, nil
}

// batchItem is one question of the input.
type batchItem struct {
	line     int
	id       string
	question string
	filters  *batchFilters
}

// batchFilters are an item's filters, named like the search flags. Lists
// may be given as one string or an array.
type batchFilters struct {
	Kind stringList `json:"kind,omitempty"`
	From string     `json:"from,omitempty"`
	To   string     `json:"to,omitempty"`
	Doc  stringList `json:"doc,omitempty"`
	Dnr  stringList `json:"dnr,omitempty"`
	Ref  stringList `json:"ref,omitempty"`
}

func (f *batchFilters) filter() retrieval.Filter {
	if f == nil {
		return retrieval.Filter{}
	}
	o := searchOptions{kinds: f.Kind, from: f.From, to: f.To, docs: f.Doc, dnr: f.Dnr, refs: f.Ref}
	return o.filter()
}

func (f *batchFilters) empty() bool {
	return f == nil || (len(f.Kind) == 0 && f.From == "" && f.To == "" && len(f.Doc) == 0 && len(f.Dnr) == 0 && len(f.Ref) == 0)
}

// stringList is a JSON string or array of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = splitList(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or an array of strings")
	}
	*l = many
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// lineProblem is an input line that could not be read as a question.
type lineProblem struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// batchRecord is one line of the output.
type batchRecord struct {
	ID            string            `json:"id"`
	Question      string            `json:"question"`
	Filters       *batchFilters     `json:"filters,omitempty"`
	Answer        string            `json:"answer"`
	Sentences     []imyrag.Sentence `json:"sentences"`
	Sources       []imyrag.Source   `json:"sources"`
	Abstained     bool              `json:"abstained"`
	Reason        string            `json:"reason,omitempty"`
	Mode          string            `json:"mode,omitempty"`
	Evidence      float64           `json:"evidence"`
	Model         string            `json:"model,omitempty"`
	PromptVersion string            `json:"prompt_version,omitempty"`
	Problems      []string          `json:"problems,omitempty"`
	Timings       *answer.Timings   `json:"timings,omitempty"`
	Error         string            `json:"error,omitempty"`
}

// readBatchInput reads IN: JSONL or CSV. Lines that cannot be used are
// returned as problems; the rest as items, in file order.
func readBatchInput(ctx context.Context, path string) ([]batchItem, []lineProblem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	isCSV := strings.EqualFold(filepath.Ext(path), ".csv")
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".csv" && ext != ".jsonl" && ext != ".json" && ext != ".ndjson" {
		isCSV = !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))
	}
	var items []batchItem
	var problems []lineProblem
	if isCSV {
		items, problems, err = readCSV(data)
	} else {
		items, problems = readJSONL(data)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	// Duplicate IDs: the first one counts.
	seen := map[string]int{}
	out := items[:0]
	for _, it := range items {
		if first, dup := seen[it.id]; dup {
			problems = append(problems, lineProblem{Line: it.line, ID: it.id, Reason: fmt.Sprintf("duplicate id (first on line %d)", first)})
			continue
		}
		seen[it.id] = it.line
		out = append(out, it)
	}
	return out, problems, nil
}

func readJSONL(data []byte) ([]batchItem, []lineProblem) {
	var items []batchItem
	var problems []lineProblem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var raw struct {
			ID       *json.RawMessage `json:"id"`
			Question string           `json:"question"`
			Filters  *batchFilters    `json:"filters"`
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&raw); err != nil {
			problems = append(problems, lineProblem{Line: line, Reason: "not a question object: " + err.Error()})
			continue
		}
		id, err := idString(raw.ID)
		if err != nil {
			problems = append(problems, lineProblem{Line: line, Reason: err.Error()})
			continue
		}
		f := raw.Filters
		if f.empty() {
			f = nil
		}
		items = append(items, batchItem{line: line, id: id, question: raw.Question, filters: f})
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, lineProblem{Line: line + 1, Reason: err.Error()})
	}
	return items, problems
}

// idString accepts a string or a number as the ID.
func idString(raw *json.RawMessage) (string, error) {
	if raw == nil {
		return "", errors.New("missing id")
	}
	var s string
	if err := json.Unmarshal(*raw, &s); err == nil {
		if strings.TrimSpace(s) == "" {
			return "", errors.New("empty id")
		}
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(*raw, &n); err == nil {
		return n.String(), nil
	}
	return "", fmt.Errorf("id %s: want a string or a number", *raw)
}

func readCSV(data []byte) ([]batchItem, []lineProblem, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch h {
		case "id", "question", "kind", "from", "to", "doc", "dnr", "ref":
		default:
			return nil, nil, fmt.Errorf("CSV header: unknown column %q (want id,question and optionally kind,from,to,doc,dnr,ref)", h)
		}
		if _, dup := col[h]; dup {
			return nil, nil, fmt.Errorf("CSV header: column %q twice", h)
		}
		col[h] = i
	}
	if _, ok := col["id"]; !ok {
		return nil, nil, errors.New("CSV header: no id column")
	}
	if _, ok := col["question"]; !ok {
		return nil, nil, errors.New("CSV header: no question column")
	}
	var items []batchItem
	var problems []lineProblem
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			problems = append(problems, lineProblem{Line: line, Reason: "malformed CSV: " + err.Error()})
			if !errors.As(err, &pe) {
				break
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			problems = append(problems, lineProblem{Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(rec), len(header))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if get("id") == "" {
			problems = append(problems, lineProblem{Line: line, Reason: "empty id"})
			continue
		}
		f := &batchFilters{Kind: splitList(get("kind")), From: get("from"), To: get("to"),
			Doc: splitList(get("doc")), Dnr: splitList(get("dnr")), Ref: splitList(get("ref"))}
		if f.empty() {
			f = nil
		}
		items = append(items, batchItem{line: line, id: get("id"), question: rec[col["question"]], filters: f})
	}
	return items, problems, nil
}

// readBatchOutput reads the IDs already in OUT. A file that is not ours
// (each line a JSON object with our fields only, an id, and an answer or an
// error) is refused. A last line cut off by a crash mid-write is reported
// in cut, so the caller can drop it before appending.
func readBatchOutput(path string) (done map[string]bool, cut int64, err error) {
	done = map[string]bool{}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return done, -1, nil
	}
	if err != nil {
		return nil, -1, fmt.Errorf("read %s: %w", path, err)
	}
	cut = -1
	notOurs := func(line int, why string) error {
		return hintError{fmt.Errorf("%s is not an imyrag batch output (line %d: %s); refusing to append to it", path, line, why),
			"choose another -o file, or move this one away"}
	}
	off := 0
	for line := 1; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		last := end < 0
		if last {
			end = len(data) - off
		}
		b := bytes.TrimSpace(data[off : off+end])
		start := off
		off += end + 1
		if len(b) == 0 {
			continue
		}
		var keys map[string]json.RawMessage
		var rec batchRecord
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		errKeys := json.Unmarshal(b, &keys)
		errRec := dec.Decode(&rec)
		if errKeys != nil || errRec != nil {
			if last && bytes.HasPrefix(b, []byte(`{"id":`)) {
				// The line being written when the last run stopped.
				return done, int64(start), nil
			}
			why := "not JSON"
			if errKeys == nil {
				why = errRec.Error()
			}
			return nil, -1, notOurs(line, why)
		}
		_, hasAnswer := keys["answer"]
		_, hasError := keys["error"]
		if _, hasID := keys["id"]; !hasID || rec.ID == "" || (!hasAnswer && !hasError) {
			return nil, -1, notOurs(line, "no id, answer or error")
		}
		done[rec.ID] = true
	}
	return done, cut, nil
}

// batchSummary is what a batch run did.
type batchSummary struct {
	Out       string        `json:"out"`
	Items     int           `json:"items"`
	Answered  int           `json:"answered"`
	Abstained int           `json:"abstained"`
	Skipped   int           `json:"skipped"`
	Failed    int           `json:"failed"`
	BadLines  []lineProblem `json:"bad_lines"`
	Mode      string        `json:"mode"`
}

func runBatch(e *env, o batchOptions) error {
	items, problems, err := readBatchInput(e.ctx, o.in)
	if err != nil {
		return usageError{err}
	}
	if problems == nil {
		problems = []lineProblem{}
	}
	done, cut, err := readBatchOutput(o.out)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(e.stderr, "%s:%d: %s\n", o.in, p.Line, p.Reason)
	}
	sum := batchSummary{Out: o.out, Items: len(items), BadLines: problems, Mode: "extractive"}
	var todo []batchItem
	for _, it := range items {
		if done[it.id] {
			sum.Skipped++
			continue
		}
		todo = append(todo, it)
	}

	f, err := os.OpenFile(o.out, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", o.out, err)
	}
	defer f.Close()
	if cut >= 0 {
		e.log.Warn("dropping a line cut off by an earlier interrupted run", "file", o.out, "offset", cut)
		if err := f.Truncate(cut); err != nil {
			return fmt.Errorf("truncate %s: %w", o.out, err)
		}
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("open %s: %w", o.out, err)
	}
	if size > 0 {
		// A last line without its newline (edited by hand) gets one.
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, size-1); err == nil && last[0] != '\n' {
			if _, err := f.Write([]byte("\n")); err != nil {
				return fmt.Errorf("write %s: %w", o.out, err)
			}
		}
	}

	var a *answer.Answerer
	if len(todo) > 0 {
		p, err := e.pipelineWith(answer.Options{Judge: o.judge, Seed: o.seed, Temperature: 0})
		if err != nil {
			return err
		}
		defer p.index.Close()
		a = p.answerer
		if p.llm != nil {
			sum.Mode = "generative"
		}
	}

	bar := progress.NewItems(e.stderr, e.stderrTTY, len(todo), "batch", "questions")
	var (
		mu      sync.Mutex
		written int
	)
	write := func(rec batchRecord) error {
		line, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("encode answer %s: %w", rec.ID, err)
		}
		mu.Lock()
		defer mu.Unlock()
		// One write per line: a crash leaves whole lines, and at most a
		// cut-off last line that the next run drops.
		if _, err := f.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("write %s: %w", o.out, err)
		}
		written++
		switch {
		case rec.Error != "":
			sum.Failed++
		case rec.Abstained:
			sum.Answered++
			sum.Abstained++
		default:
			sum.Answered++
		}
		bar.Add(1, 0)
		if o.afterWrite != nil {
			o.afterWrite(written)
		}
		return nil
	}

	g, ctx := errgroup.WithContext(e.ctx)
	g.SetLimit(o.workers)
	for _, it := range todo {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			rec := batchRecord{ID: it.id, Question: it.question, Filters: it.filters, Sentences: []imyrag.Sentence{}, Sources: []imyrag.Source{}}
			if strings.TrimSpace(it.question) == "" {
				rec.Error = "empty question"
				return write(rec)
			}
			res, err := a.Answer(ctx, answer.Request{Question: it.question, Filter: it.filters.filter()})
			if err != nil && ctx.Err() != nil {
				return nil // in flight when stopped: left for the next run
			}
			if err != nil {
				rec.Error = err.Error()
				return write(rec)
			}
			ans := res.Answer
			rec.Answer, rec.Sentences, rec.Sources = ans.Text, ans.Sentences, ans.Sources
			rec.Abstained, rec.Reason, rec.Mode, rec.Evidence = ans.Abstained, ans.Reason, ans.Mode, ans.Evidence
			rec.Model, rec.PromptVersion, rec.Problems = ans.Model, ans.PromptVersion, ans.Problems
			rec.Timings = &res.Timings
			if rec.Sentences == nil {
				rec.Sentences = []imyrag.Sentence{}
			}
			if rec.Sources == nil {
				rec.Sources = []imyrag.Source{}
			}
			return write(rec)
		})
	}
	werr := g.Wait()
	bar.Finish()
	if werr != nil {
		return werr
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", o.out, err)
	}
	if err := e.ctx.Err(); err != nil {
		fmt.Fprintf(e.stderr, "batch interrupted: %d of %d questions written to %s; run the same command again to finish\n", written, len(todo), o.out)
		return err
	}
	if o.json {
		if err := writeJSON(e.stdout, sum); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stderr, "batch: %d answered (%d abstained), %d skipped (already in %s), %d failed, %d bad input lines; %s answers\n",
			sum.Answered, sum.Abstained, sum.Skipped, o.out, sum.Failed, len(problems), sum.Mode)
	}
	if o.strict && (sum.Failed > 0 || len(problems) > 0) {
		return silentError{exitFailure}
	}
	return nil
}
