package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/imy/imyrag/eval"
)

var (
	devSet     = filepath.Join("..", "..", "..", "eval", "testdata", "dev.jsonl")
	thresholds = filepath.Join("..", "..", "..", "eval", "testdata", "thresholds.json")
)

func readReport(t *testing.T, dir string) *eval.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, eval.ReportJSON))
	if err != nil {
		t.Fatal(err)
	}
	var r eval.Report
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func TestEvalExtractive(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	first := filepath.Join(dir, "first")
	code, stdout, stderr := runWith(t, dir, offline, "", "eval", "--set", devSet, "-o", first, "--thresholds", thresholds)
	if code != 0 {
		t.Fatalf("eval: code %d\n%s\n%s", code, stdout, stderr)
	}
	for _, name := range []string{eval.ReportJSON, eval.ReportMarkdown, eval.ReportHTML} {
		if st, err := os.Stat(filepath.Join(first, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	r := readReport(t, first)
	if r.Settings.Items != 32 || r.Settings.Mode != "extractive" || !slices.Equal(r.Settings.Judges, []string{"lexical"}) || len(r.Items) != 32 {
		t.Errorf("settings %+v, %d items", r.Settings, len(r.Items))
	}
	if !strings.Contains(stdout, "hit@5") || !strings.Contains(stdout, "report.html") {
		t.Errorf("summary:\n%s", stdout)
	}

	// Compared with the first run nothing changed; a threshold above the
	// measured value fails the gate, after the reports are written.
	second := filepath.Join(dir, "second")
	code, stdout, stderr = runWith(t, dir, offline, "", "eval", "--set", devSet, "-o", second, "--k", "5,10",
		"--compare", first, "--fail-under", "hit@5=0.99", "--fail-under", "mrr=0.1")
	if code != exitFailure || !regexp.MustCompile(`FAIL hit@5 = 0\.\d{3}, below the threshold 0\.990`).MatchString(stderr) || strings.Contains(stderr, "FAIL mrr") {
		t.Errorf("fail-under: code %d\n%s", code, stderr)
	}
	r = readReport(t, second)
	if r.Compare == nil || len(r.Compare.Items) != 0 || !slices.Equal(r.Settings.Ks, []int{5, 10}) {
		t.Errorf("compare: %+v", r.Compare)
	}
	if md, _ := os.ReadFile(filepath.Join(second, eval.ReportMarkdown)); !bytes.Contains(md, []byte("Jämfört med föregående")) {
		t.Error("report.md lacks the comparison")
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"eval", "-o", second}, "--set FILE is required"},
		{[]string{"eval", "--set", devSet}, "-o DIR is required"},
		{[]string{"eval", "--set", devSet, "-o", second, "--fail-under", "hit@5"}, "want metric=value"},
		{[]string{"eval", "--set", devSet, "-o", second, "--thresholds", thresholds, "--profile", "nope"}, `no profile "nope"`},
		{[]string{"eval", "--set", devSet, "-o", second, "--judge", "m"}, "--judge needs the language model"},
	} {
		code, _, stderr := runWith(t, dir, offline, "", tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: code %d\n%s", tt.args, code, stderr)
		}
	}
	code, _, stderr = runWith(t, dir, offline, "", "eval", "--set", devSet, "-o", second, "--compare", filepath.Join(dir, "none"))
	if code != exitFailure || !strings.Contains(stderr, "try: --compare DIR") {
		t.Errorf("missing --compare: code %d\n%s", code, stderr)
	}
}

// Bad items are reported with their lines and skipped; the rest is scored
// and the reports are written; the exit status says the set is broken.
func TestEvalBadItems(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	data, err := os.ReadFile(devSet)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	set := strings.Join([]string{
		lines[0], lines[1],
		`{"id":"x1","question":"Vad?","answerable":true,"expected_docs":["finns-inte"],"evidence":["något"],"kind":"fact"}`,
		`{"id":"x2","question":"Vad?","answerable":true,"expected_docs":["imy-2025-ai-strategi"],"evidence":["detta citat står inte där"],"kind":"fact"}`,
		`{"id":"x3","question":"Vad?","answerabel":true}`,
		lines[0],
	}, "\n")
	setPath := writeTemp(t, "set.jsonl", set)
	out := filepath.Join(dir, "out")
	code, _, stderr := runWith(t, dir, offline, "", "eval", "--set", setPath, "-o", out)
	if code != exitFailure {
		t.Errorf("code %d, want %d", code, exitFailure)
	}
	for _, want := range []string{
		"line 3 (x1): unknown document ID in expected_docs: finns-inte",
		`line 4 (x2): evidence "detta citat står inte där" not found in the text of imy-2025-ai-strategi`,
		`line 5: json: unknown field "answerabel"`,
		"line 6 (q061): duplicate id q061 (first on line 1)",
		"4 items of the set are invalid",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	r := readReport(t, out)
	if len(r.Items) != 2 || len(r.Problems) != 4 {
		t.Errorf("%d items, %d problems", len(r.Items), len(r.Problems))
	}
}

// ollamaSubset writes the development items that the small corpus answers
// (every expected document in it; at most answerable of them) and the
// first unanswerable item: the full pipeline with the test model is slow.
func ollamaSubset(t *testing.T, answerable int) string {
	t.Helper()
	f, err := os.Open(devSet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := eval.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	inSmall := map[string]bool{}
	for _, p := range smallCorpus {
		inSmall[strings.TrimSuffix(filepath.Base(p), ".txt")] = true
	}
	var b bytes.Buffer
	n, un := 0, 0
	for _, it := range items {
		ok := true
		for _, d := range it.ExpectedDocs {
			ok = ok && inSmall[d]
		}
		switch {
		case it.Answerable && ok && n < answerable:
			n++
		case !it.Answerable && un == 0:
			un++
		default:
			continue
		}
		line, _ := json.Marshal(it)
		b.Write(append(line, '\n'))
	}
	return writeTemp(t, "subset.jsonl", b.String())
}

// TestEvalWithOllama runs the whole pipeline — hybrid search, generated
// answers, the LLM judge with JSON output — on a small subset against the
// test Ollama server. The test model is random noise, so it asserts the
// report's structure and the gate of thresholds.json profile
// "ollama-subset", not answer quality. It takes one to two minutes on two
// cores, so it runs under `make eval` (which sets IMYRAG_EVAL_OUT and keeps
// the reports in $IMYRAG_EVAL_OUT/ollama-subset), not under `make test`.
func TestEvalWithOllama(t *testing.T) {
	if os.Getenv("IMYRAG_EVAL_OUT") == "" {
		t.Skip("set IMYRAG_EVAL_OUT=DIR (make eval) to run the full pipeline on the Ollama subset")
	}
	dir := t.TempDir()
	llm := testLLM(t)
	if code, _, stderr := runWith(t, dir, llm, "", ingestArgs()...); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	set := ollamaSubset(t, 1)
	out := filepath.Join(os.Getenv("IMYRAG_EVAL_OUT"), "ollama-subset")
	code, stdout, stderr := runWith(t, dir, llm, "", "eval", "--set", set, "-o", out,
		"--judge", llm["IMYRAG_CHAT_MODEL"], "--judge-timeout", "90", "--workers", "1", "--passages", "1",
		"--thresholds", thresholds, "--profile", "ollama-subset")
	t.Logf("eval:\n%s\n%s", stdout, stderr)
	if code != 0 {
		t.Fatalf("eval: code %d", code)
	}
	r := readReport(t, out)
	if r.Settings.Mode != "generative" || r.Settings.Model != llm["IMYRAG_CHAT_MODEL"] || !slices.Equal(r.Settings.Judges, []string{"lexical", "llm"}) ||
		r.Settings.JudgePromptVersion != eval.JudgePromptVersion || r.Settings.Items != 2 {
		t.Errorf("settings %+v", r.Settings)
	}
	if _, ok := r.Metrics["judge_failures.llm"]; !ok {
		t.Errorf("no LLM judge metrics: %v", r.Metrics)
	}
	for _, it := range r.Items {
		if len(it.Runs) != 1 || (it.Runs[0].Mode != "generative" && !it.Runs[0].Abstained) || len(it.Runs[0].Judges) != 2 {
			t.Errorf("%s: runs %+v", it.ID, it.Runs)
		}
	}
}
