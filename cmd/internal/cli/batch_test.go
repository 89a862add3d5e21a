package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag/eval"
	"github.com/imy/imyrag/retrieval/peers"
)

var offline = map[string]string{"IMYRAG_LLM": "off"}

// devQuestions writes the development set's questions as batch input.
func devQuestions(t *testing.T, path string, n int) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "eval", "testdata", "dev.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	items, err := eval.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	var ids []string
	for _, it := range items[:min(n, len(items))] {
		line, _ := json.Marshal(map[string]string{"id": it.ID, "question": it.Question})
		b.Write(append(line, '\n'))
		ids = append(ids, it.ID)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return ids
}

// readOut reads a batch output file as records.
func readOut(t *testing.T, path string) []batchRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []batchRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r batchRecord
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("output line %q: %v", sc.Text(), err)
		}
		recs = append(recs, r)
	}
	return recs
}

func byID(recs []batchRecord) map[string]batchRecord {
	m := map[string]batchRecord{}
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}

func TestBatchJSONLWithBadLines(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	in := filepath.Join(dir, "in.jsonl")
	os.WriteFile(in, []byte(strings.Join([]string{
		`{"id": "a", "question": "Vilka förutsättningar gäller för att delta i sandlådan?"}`,
		`{"id": "b", "question": "Vad säger AI-strategin om chattbotar?", "filters": {"kind": "strategi", "from": "2024"}}`,
		`{"id": 7, "question": "Vad är en regulatorisk sandlåda?", "filters": {"doc": ["imy-2025-innovationshubben-regulatorisk-sandlada"]}}`,
		`{"id": "a", "question": "dubblett"}`,
		`{"id": "c", "question": "   "}`,
		`{"id": "d", "question": "Vad?", "filters": {"kind": "roman"}}`,
		`{this is not json`,
		`{"id": "e", "question": "Hej", "extra": 1}`,
		``,
	}, "\n")), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	code, stdout, stderr := runWith(t, dir, offline, "", "batch", in, "-o", out, "--json")
	if code != 0 {
		t.Fatalf("batch: code %d\n%s", code, stderr)
	}
	for _, want := range []string{"in.jsonl:4: duplicate id", "in.jsonl:7: not a question object", `in.jsonl:8: not a question object: json: unknown field "extra"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	var sum batchSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, stdout)
	}
	if sum.Answered != 3 || sum.Failed != 2 || len(sum.BadLines) != 3 || sum.Mode != "extractive" {
		t.Errorf("summary %+v", sum)
	}
	recs := byID(readOut(t, out))
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5: %v", len(recs), recs)
	}
	a := recs["a"]
	if a.Answer == "" || len(a.Sources) == 0 || len(a.Sentences) == 0 || a.Sources[0].ChunkID == "" || a.Sources[0].DocID == "" || a.Sources[0].Quote == "" || a.Timings == nil || a.Error != "" {
		t.Errorf("record a: %+v", a)
	}
	for _, s := range recs["b"].Sources {
		if s.Kind != "strategi" {
			t.Errorf("filter ignored: source %s of kind %s", s.DocID, s.Kind)
		}
	}
	if recs["7"].Filters == nil || recs["7"].Sources[0].DocID != "imy-2025-innovationshubben-regulatorisk-sandlada" {
		t.Errorf("numeric id or doc filter: %+v", recs["7"])
	}
	if recs["c"].Error != "empty question" || !strings.Contains(recs["d"].Error, "roman") {
		t.Errorf("errors: c %q, d %q", recs["c"].Error, recs["d"].Error)
	}

	// A second run skips everything, and --strict reports the failures.
	code, _, stderr = runWith(t, dir, offline, "", "batch", in, "-o", out, "--strict")
	if code != exitFailure || !strings.Contains(stderr, "0 answered") || !strings.Contains(stderr, "5 skipped") {
		t.Errorf("rerun: code %d\n%s", code, stderr)
	}
	if n := len(readOut(t, out)); n != 5 {
		t.Errorf("rerun wrote lines: %d records", n)
	}
}

func TestBatchCSV(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte("id,question,kind,from,to\n"+
		"1,\"Vad är en regulatorisk sandlåda, enligt IMY?\",,,\n"+
		"2,Vad säger strategin om AI?,strategi;beslut,2020,2026\n"+
		"3,för få fält\n"+
		"4,\"trasigt \"citat\",,,\n"), 0o644)
	out := filepath.Join(dir, "out.jsonl")
	code, _, stderr := runWith(t, dir, offline, "", "batch", in, "-o", out)
	if code != 0 {
		t.Fatalf("batch: code %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "in.csv:4: 2 fields, the header has 5") || !strings.Contains(stderr, "in.csv:5: malformed CSV") {
		t.Errorf("bad CSV lines not reported:\n%s", stderr)
	}
	recs := byID(readOut(t, out))
	if len(recs) != 2 || recs["1"].Answer == "" || recs["2"].Filters == nil || len(recs["2"].Filters.Kind) != 2 {
		t.Errorf("records: %+v", recs)
	}
	if _, _, err := readBatchInput(context.Background(), writeTemp(t, "x.csv", "id,fråga\n1,x\n")); err == nil {
		t.Error("unknown CSV column accepted")
	}
}

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBatchRefusesOutputNotOurs(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	in := filepath.Join(dir, "in.jsonl")
	devQuestions(t, in, 2)
	for name, content := range map[string]string{
		"text":         "Mina anteckningar\nom dataskydd\n",
		"other JSONL":  `{"id": "a", "name": "x"}` + "\n",
		"no answer":    `{"id": "a", "question": "q"}` + "\n",
		"eval set":     `{"id":"q1","question":"Vad?","answerable":false,"expected_docs":[],"evidence":[],"kind":"x"}` + "\n",
		"corrupt line": `{"id":"a","question":"q","answer":"x"}` + "\n" + "garbage\n" + `{"id":"b","question":"q","answer":"x"}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			out := writeTemp(t, "out.jsonl", content)
			code, _, stderr := runWith(t, dir, offline, "", "batch", in, "-o", out)
			if code != exitFailure || !strings.Contains(stderr, "is not an imyrag batch output") || !strings.Contains(stderr, "try:") {
				t.Errorf("code %d\n%s", code, stderr)
			}
			if got, _ := os.ReadFile(out); string(got) != content {
				t.Errorf("the file was changed:\n%s", got)
			}
		})
	}
}

// testEnv is an env for calling run functions directly, with the
// configuration loaded as the root command would.
func testEnv(t *testing.T, ctx context.Context, dir string, vars map[string]string) (*env, *bytes.Buffer) {
	t.Helper()
	all := map[string]string{"XDG_DATA_HOME": filepath.Join(dir, "data"), "XDG_CONFIG_HOME": filepath.Join(dir, "config")}
	for k, v := range vars {
		all[k] = v
	}
	getenv := func(k string) string { return all[k] }
	cfg, err := loadConfig("", false, getenv)
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	return &env{ctx: ctx, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb, getenv: getenv, cfg: cfg,
		log: slog.New(slog.NewTextHandler(&errb, nil))}, &errb
}

// An interrupted batch, resumed, has every item exactly once, with the
// answers an uninterrupted batch gives.
func TestBatchResumeAfterInterrupt(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	in := filepath.Join(dir, "in.jsonl")
	ids := devQuestions(t, in, 32)

	whole := filepath.Join(dir, "whole.jsonl")
	e, _ := testEnv(t, context.Background(), dir, offline)
	if err := runBatch(e, batchOptions{in: in, out: whole, workers: 4, seed: 1}); err != nil {
		t.Fatal(err)
	}

	for _, stopAfter := range []int{1, 5, 17} {
		t.Run(fmt.Sprint("stop after ", stopAfter), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.jsonl")
			ctx, cancel := context.WithCancel(context.Background())
			e, _ := testEnv(t, ctx, dir, offline)
			err := runBatch(e, batchOptions{in: in, out: out, workers: 4, seed: 1, afterWrite: func(n int) {
				if n == stopAfter {
					cancel()
				}
			}})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("interrupted run: err = %v", err)
			}
			first := readOut(t, out)
			if len(first) < stopAfter || len(first) >= len(ids) {
				t.Fatalf("interrupted run wrote %d of %d lines, want at least %d and not all", len(first), len(ids), stopAfter)
			}
			// Simulate a crash mid-write too: half a line at the end.
			data, _ := os.ReadFile(out)
			line, _ := json.Marshal(batchRecord{ID: "zz", Question: "halv"})
			os.WriteFile(out, append(data, line[:len(line)/2]...), 0o644)

			e, _ = testEnv(t, context.Background(), dir, offline)
			if err := runBatch(e, batchOptions{in: in, out: out, workers: 4, seed: 1}); err != nil {
				t.Fatal(err)
			}
			got := readOut(t, out)
			var gotIDs []string
			for _, r := range got {
				gotIDs = append(gotIDs, r.ID)
			}
			sort.Strings(gotIDs)
			want := append([]string(nil), ids...)
			sort.Strings(want)
			if diff := cmp.Diff(want, gotIDs); diff != "" {
				t.Fatalf("ids after resume (-want +got):\n%s", diff)
			}
			ref := byID(readOut(t, whole))
			for _, r := range got {
				w := ref[r.ID]
				r.Timings, w.Timings = nil, nil
				if diff := cmp.Diff(w, r); diff != "" {
					t.Errorf("%s differs from the uninterrupted run (-want +got):\n%s", r.ID, diff)
				}
			}
		})
	}
}

func TestBatchUsage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"batch", "in.jsonl"}, "-o OUT is required"},
		{[]string{"batch", "in.jsonl", "-o", "x", "--workers", "0"}, "--workers"},
		{[]string{"batch", filepath.Join(dir, "missing.jsonl"), "-o", "x"}, "missing.jsonl"},
	} {
		code, _, stderr := runWith(t, dir, offline, "", tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: code %d\n%s", tt.args, code, stderr)
		}
	}
}

// BenchmarkBatch measures batch throughput (questions/s), extractive and
// lexical, at 1 and 4 workers on a generated corpus of
// IMYRAG_BENCH_BATCH_CHUNKS chunks (default 100,000; retrieval/peers
// generates it, ingest indexes it once per process). One iteration is a
// whole `imyrag batch` run of 1,000 generated questions into a fresh output
// file: opening the index and building the search snapshot (once per run),
// reading the input, answering and writing every line.
func BenchmarkBatch(b *testing.B) {
	n := 100000
	if v := os.Getenv("IMYRAG_BENCH_BATCH_CHUNKS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil || n <= 0 {
			b.Fatalf("IMYRAG_BENCH_BATCH_CHUNKS=%q", v)
		}
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	if _, err := peers.WriteCorpus(src, 1, peers.FilesFor(n)); err != nil {
		b.Fatal(err)
	}
	vars := map[string]string{"IMYRAG_LLM": "off", "XDG_DATA_HOME": filepath.Join(dir, "data"), "XDG_CONFIG_HOME": filepath.Join(dir, "config")}
	e, errb := testEnvB(b, context.Background(), vars)
	t0 := time.Now()
	if code := run(e, []string{"ingest", "--quiet", src}); code != 0 {
		b.Fatalf("ingest: %s", errb)
	}
	b.Logf("corpus: %d files ingested in %v", peers.FilesFor(n), time.Since(t0).Round(time.Second))
	in := filepath.Join(dir, "in.jsonl")
	var lines bytes.Buffer
	qs := peers.Queries(7, 1000)
	for i, q := range qs {
		line, _ := json.Marshal(map[string]string{"id": fmt.Sprint(i), "question": q})
		lines.Write(append(line, '\n'))
	}
	os.WriteFile(in, lines.Bytes(), 0o644)
	// Warm the engine's snapshot (built once per index generation) so
	// that it is not timed.
	if code := run(e, []string{"batch", in, "-o", filepath.Join(dir, "warm.jsonl"), "--workers", "4"}); code != 0 {
		b.Fatalf("warm-up batch: %s", errb)
	}
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("chunks=%d/workers=%d", n, workers), func(b *testing.B) {
			var total, first time.Duration
			var answers []time.Duration
			for i := range b.N {
				out := filepath.Join(dir, fmt.Sprintf("out-%d-%d-%d.jsonl", workers, b.N, i))
				e, errb := testEnvB(b, context.Background(), vars)
				t0 := time.Now()
				if code := run(e, []string{"batch", in, "-o", out, "--workers", fmt.Sprint(workers)}); code != 0 {
					b.Fatalf("batch: %s", errb)
				}
				total += time.Since(t0)
				b.StopTimer()
				var slowest time.Duration
				for _, r := range readOutB(b, out) {
					answers = append(answers, r.Timings.Total)
					slowest = max(slowest, r.Timings.Total)
				}
				// The slowest answer waited for the search snapshot, built
				// once per run when the first question is searched.
				first += slowest
				b.StartTimer()
			}
			b.ReportMetric(float64(len(qs)*b.N)/total.Seconds(), "questions/s")
			b.ReportMetric(float64((len(qs)-1)*b.N)/(total-first).Seconds(), "steady-q/s")
			slices.Sort(answers)
			b.ReportMetric(float64(answers[len(answers)/2].Microseconds()), "p50-µs/answer")
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "first-ms")
		})
	}
}

func readOutB(b *testing.B, path string) []batchRecord {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var recs []batchRecord
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r batchRecord
		if err := json.Unmarshal(line, &r); err != nil || r.Timings == nil {
			b.Fatalf("output line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// testEnvB is an env for benchmarks: configuration from vars only.
func testEnvB(b *testing.B, ctx context.Context, vars map[string]string) (*env, *bytes.Buffer) {
	b.Helper()
	var errb bytes.Buffer
	return &env{ctx: ctx, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}, &errb
}
