package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/imy/imyrag/corpus"
	"github.com/imy/imyrag/ingest/extract"
	"github.com/imy/imyrag/retrieval/store/local"
)

func openStore(t *testing.T, path string) *local.Store {
	t.Helper()
	s, err := local.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newPipeline(t *testing.T, idx Index, opts Options) *Pipeline {
	t.Helper()
	p, err := New(context.Background(), idx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// chunkIDs lists every chunk ID in the index by document.
func chunkIDs(t *testing.T, s *local.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	docs, err := s.Documents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range docs {
		cs, err := s.Chunks(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			out[d.ID] = append(out[d.ID], c.ID)
		}
	}
	return out
}

func TestBundledCorpusTwice(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, s, Options{})
	res, err := p.Run(ctx, Bundled())
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 5 || len(res.Failed) != 0 || res.Chunks == 0 {
		t.Fatalf("first run: %+v", res)
	}
	docs, _ := s.Documents(ctx)
	m := corpus.Bundled()
	for _, d := range docs {
		e, ok := m.Lookup(d.ID)
		if !ok || d.Title != e.Title || d.Kind != e.Kind || d.Date != e.Date || d.Chunks == 0 {
			t.Errorf("document %+v does not match its manifest entry %+v", d, e)
		}
	}
	before := chunkIDs(t, s)
	res, err = p.Run(ctx, Bundled())
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != 5 || res.Added+res.Updated != 0 || res.Chunks != 0 {
		t.Errorf("second run did work: %+v", res)
	}
	// Forcing re-processes everything and keeps every chunk ID.
	res, err = newPipeline(t, s, Options{Force: true}).Run(ctx, Bundled())
	if err != nil || res.Updated != 5 {
		t.Fatalf("forced run: %+v, %v", res, err)
	}
	if after := chunkIDs(t, s); !equalIDs(before, after) {
		t.Errorf("chunk IDs changed on re-ingest of unchanged text")
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check = %+v, %v", ps, err)
	}
	d, err := s.Document(ctx, "skr-2022-integritet-och-ny-teknik")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"I2021/02739", "SOU 2016:41"} {
		if !strings.Contains(strings.Join(append(d.Meta.GovRefs, d.Meta.LegalRefs...), "|"), want) {
			t.Errorf("skr metadata lacks %s: %+v", want, d.Meta)
		}
	}
}

func equalIDs(a, b map[string][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, ",") != strings.Join(b[k], ",") {
			return false
		}
	}
	return true
}

// writeCorpus copies the bundled corpus into a directory.
func writeCorpus(t *testing.T, dir string) {
	t.Helper()
	for _, f := range corpus.Files() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirectoryIncrementalAndPrune(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeCorpus(t, dir)
	s := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, s, Options{Prune: true})
	run := func() Result {
		t.Helper()
		srcs, fails := Discover([]string{dir})
		if len(fails) > 0 {
			t.Fatalf("Discover failures: %+v", fails)
		}
		res, err := p.Run(ctx, srcs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(); res.Added != 5 {
		t.Fatalf("first run: %+v", res)
	}
	before := chunkIDs(t, s)
	if res := run(); res.Unchanged != 5 || res.Added+res.Updated+res.Pruned != 0 {
		t.Fatalf("second run did work: %+v", res)
	}

	// Change one paragraph of one file: only that document is re-processed,
	// and only its chunks around the change get new IDs.
	changed := filepath.Join(dir, "imy-2025-ai-strategi.txt")
	data, _ := os.ReadFile(changed)
	data = append(data, []byte("\n\nEtt nytt avslutande stycke om ansvarsfull användning av AI.\n")...)
	os.WriteFile(changed, data, 0o644)
	res := run()
	if res.Updated != 1 || res.Unchanged != 4 {
		t.Fatalf("after one change: %+v", res)
	}
	after := chunkIDs(t, s)
	for id, ids := range before {
		same := strings.Join(ids, ",") == strings.Join(after[id], ",")
		if id == "imy-2025-ai-strategi" {
			if same {
				t.Errorf("changed document kept all its chunk IDs")
			}
			kept := overlap(ids, after[id])
			if kept < len(ids)-2 {
				t.Errorf("changed document: only %d of %d chunk IDs survived an appended paragraph", kept, len(ids))
			}
		} else if !same {
			t.Errorf("unchanged document %s got new chunk IDs", id)
		}
	}

	// Remove a file: --prune removes its document, nothing else.
	os.Remove(filepath.Join(dir, "imy-2023-slutredovisning-innovationssystemet.txt"))
	res = run()
	if res.Pruned != 1 || res.Unchanged != 4 {
		t.Fatalf("after removing a file: %+v", res)
	}
	if docs, _ := s.Documents(ctx); len(docs) != 4 {
		t.Errorf("documents after prune = %d, want 4", len(docs))
	}
}

func overlap(a, b []string) int {
	set := map[string]bool{}
	for _, x := range b {
		set[x] = true
	}
	n := 0
	for _, x := range a {
		if set[x] {
			n++
		}
	}
	return n
}

func TestBadInputsAreReportedAndNothingIsLost(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	p := newPipeline(t, s, Options{MaxBytes: 1 << 20})
	if res, err := p.Run(ctx, Bundled()); err != nil || res.Added != 5 {
		t.Fatalf("bundled: %+v, %v", res, err)
	}
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bra.txt", []byte("Beslut\n\nIMY konstaterar att behandlingen saknar rättslig grund enligt artikel 6.1 e dataskyddsförordningen.\n"))
	write("tom.txt", nil)
	write("binar.txt", []byte("\x00\x01\x02ELF\x00\x00binary\x00"))
	write("latin1.txt", []byte("Integritetsskyddsmyndigheten beslutar att \xe5tg\xe4rda.\n"))
	write("stor.md", []byte(strings.Repeat("Text om dataskydd. ", 60000)))
	pdfs, _ := filepath.Glob(filepath.Join("extract", "testdata", "pdf", "bad", "*.pdf"))
	if len(pdfs) == 0 {
		t.Fatal("no hostile PDF fixtures in extract/testdata/pdf/bad")
	}
	for _, f := range pdfs {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		write(filepath.Base(f), data)
	}
	srcs, fails := Discover([]string{dir, filepath.Join(dir, "finns-inte.pdf")})
	if len(fails) != 1 || !strings.Contains(fails[0].Reason, "no such file") {
		t.Errorf("Discover failures = %+v, want one for the missing path", fails)
	}
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := p.Run(tctx, srcs)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, f := range res.Failed {
		failed[filepath.Base(f.Source)] = f.Reason
	}
	for name, want := range map[string]error{
		"tom.txt": extract.ErrEmpty, "binar.txt": extract.ErrBinary, "latin1.txt": extract.ErrInvalidUTF8,
		"stor.md": extract.ErrTooLarge, "empty.pdf": nil, "html_error_page.pdf": nil, "enc_userpw_aes256.pdf": nil,
	} {
		reason, ok := failed[name]
		if !ok {
			t.Errorf("%s was not reported as failed", name)
			continue
		}
		if want != nil && !strings.Contains(reason, want.Error()) {
			t.Errorf("%s: reason %q, want it to say %q", name, reason, want)
		}
	}
	docs, _ := s.Documents(ctx)
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)
	if !contains(ids, "bra") || len(ids) < 6 {
		t.Errorf("documents after bad inputs = %v; want the 5 bundled plus bra", ids)
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check after bad inputs = %+v, %v", ps, err)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// TestKill9MidIngest kills an ingest with SIGKILL part-way and checks that
// the index passes its integrity check and that the next ingest completes it.
func TestKill9MidIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	dir := t.TempDir()
	const n = 300
	para := strings.Repeat("Integritetsskyddsmyndigheten granskar behandlingen av personuppgifter i verksamheten. ", 40)
	for i := range n {
		text := "Beslut " + strings.Repeat("x", i%7) + "\n\n" + para + "\n\n" + para + " Nummer " + strings.Repeat("y", i) + ".\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("beslut-%03d.txt", i)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "index.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestIngestChild$")
	cmd.Env = append(os.Environ(), "IMYRAG_INGEST_CHILD_DIR="+dir, "IMYRAG_INGEST_CHILD_INDEX="+path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once some documents are committed but not all.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("child ingest committed nothing within 60s")
		}
		if c := countDocs(t, path); c > 5 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	ctx := context.Background()
	s := openStore(t, path)
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Fatalf("Check after kill -9 = %+v, %v", ps, err)
	}
	docs, _ := s.Documents(ctx)
	if len(docs) >= n {
		t.Skipf("the child finished all %d documents before it was killed", n)
	}
	srcs, _ := Discover([]string{dir})
	res, err := newPipeline(t, s, Options{}).Run(ctx, srcs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != n-len(docs) || res.Unchanged != len(docs) || len(res.Failed) != 0 {
		t.Errorf("resumed ingest: %+v (had %d before)", res, len(docs))
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check after resume = %+v, %v", ps, err)
	}
}

func countDocs(t *testing.T, path string) int {
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(1000)")
	if err != nil {
		return 0
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM documents`).Scan(&n); err != nil {
		return 0
	}
	return n
}

// TestIngestChild is the process TestKill9MidIngest kills.
func TestIngestChild(t *testing.T) {
	dir := os.Getenv("IMYRAG_INGEST_CHILD_DIR")
	if dir == "" {
		t.Skip("helper process for TestKill9MidIngest")
	}
	ctx := context.Background()
	s, err := local.Open(ctx, os.Getenv("IMYRAG_INGEST_CHILD_INDEX"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(ctx, s, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	srcs, _ := Discover([]string{dir})
	p.Run(ctx, srcs)
}

// TestPDFAndHTMLSources ingests a real PDF (an invented supervision
// decision) and a saved web page, and checks what the pipeline derives:
// pages on every chunk, kind and date guessed, metadata, and distinct IDs
// for two files with the same name.
func TestPDFAndHTMLSources(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(to), 0o755)
		if err := os.WriteFile(to, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(filepath.Join("extract", "testdata", "pdf", "fiktivt-tillsynsbeslut.libreoffice.pdf"), filepath.Join(dir, "tillsynsbeslut.pdf"))
	copyFile(filepath.Join("extract", "testdata", "html", "imy-slutredovisning.html"), filepath.Join(dir, "sida.html"))
	copyFile(filepath.Join("extract", "testdata", "html", "imy-slutredovisning.html"), filepath.Join(dir, "kopia", "sida.html"))
	s := openStore(t, filepath.Join(t.TempDir(), "index.db"))
	srcs, _ := Discover([]string{dir})
	res, err := newPipeline(t, s, Options{}).Run(ctx, srcs)
	if err != nil || res.Added != 3 || len(res.Failed) != 0 {
		t.Fatalf("run: %+v, %v", res, err)
	}
	if res.Pages == 0 {
		t.Errorf("no PDF pages counted: %+v", res)
	}
	docs, _ := s.Documents(ctx)
	byID := map[string]bool{}
	for _, d := range docs {
		byID[d.ID] = true
		switch d.Format {
		case "pdf":
			if d.ID != "tillsynsbeslut" || d.Kind != "beslut" || d.Pages == 0 || d.Date == "" {
				t.Errorf("PDF document: %+v", d)
			}
			cs, _ := s.Chunks(ctx, d.ID)
			for _, c := range cs {
				if c.PageStart < 1 || c.PageEnd < c.PageStart || c.PageEnd > d.Pages {
					t.Errorf("chunk %d pages %d–%d outside 1–%d", c.Ordinal, c.PageStart, c.PageEnd, d.Pages)
				}
			}
			full, _ := s.Document(ctx, d.ID)
			if len(full.Meta.Diarienummer) == 0 {
				t.Errorf("no diarienummer found in the decision: %+v", full.Meta)
			}
		case "html":
			if d.Kind != "webbsida" || d.Title == "" || strings.Contains(d.Title, "<") {
				t.Errorf("HTML document: %+v", d)
			}
		}
	}
	if !byID["sida"] || len(byID) != 3 {
		t.Errorf("document IDs %v: want tillsynsbeslut, sida and a distinct ID for the copy", byID)
	}
}
