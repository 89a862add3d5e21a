package extract

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The good fixtures: PDFs of the bundled corpus made by five producers.
var pdfFixtures = []struct {
	file  string
	pages int
}{
	{"fiktivt-tillsynsbeslut.cairo.pdf", 2},
	{"fiktivt-tillsynsbeslut.libreoffice.pdf", 2},
	{"imy-2022-delredovisning-innovationssystemet.libreoffice.pdf", 16},
	{"imy-2023-slutredovisning-innovationssystemet.chromium.pdf", 2},
	{"imy-2023-slutredovisning-innovationssystemet.libreoffice.pdf", 1},
	{"imy-2025-ai-strategi.libreoffice.pdf", 8},
	{"imy-2025-ai-strategi.objstm.pdf", 8},
	{"imy-2025-innovationshubben-regulatorisk-sandlada.libreoffice.pdf", 15},
	{"skr-2022-integritet-och-ny-teknik.chromium.pdf", 10},
	{"skr-2022-integritet-och-ny-teknik.ghostscript.pdf", 8},
	{"skr-2022-integritet-och-ny-teknik.libreoffice.pdf", 8},
}

// minF1 is the word F1 every fixture must reach against its expected text
// once page furniture is removed. Measured: 0.990-0.998 (see fidelity).
const minF1 = 0.985

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pdf", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// expectedFor returns the expected text of a fixture: ID.expected.txt for ID.producer.pdf.
func expectedFor(t testing.TB, file string) string {
	t.Helper()
	id, _, _ := strings.Cut(file, ".")
	return string(readFixture(t, id+".expected.txt"))
}

func extractPDF(t testing.TB, file string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := shared.Extract(ctx, file, readFixture(t, file))
	if err != nil {
		t.Fatalf("extract %s: %v", file, err)
	}
	return res
}

func TestPDFFixtures(t *testing.T) {
	for _, fx := range pdfFixtures {
		t.Run(fx.file, func(t *testing.T) {
			res := extractPDF(t, fx.file)
			want := expectedFor(t, fx.file)
			if res.Format != FormatPDF {
				t.Errorf("Format = %q", res.Format)
			}
			if len(res.Warnings) > 0 {
				t.Errorf("Warnings = %q", res.Warnings)
			}
			var numbers, wantNumbers []int
			for i, p := range res.Pages {
				numbers = append(numbers, p.Number)
				wantNumbers = append(wantNumbers, i+1)
				if p.Flag != "" || p.Text == "" {
					t.Errorf("page %d: flag %q, %d bytes of text", p.Number, p.Flag, len(p.Text))
				}
			}
			if len(res.Pages) != fx.pages {
				t.Errorf("%d pages, want %d", len(res.Pages), fx.pages)
			}
			if diff := cmp.Diff(wantNumbers, numbers); diff != "" {
				t.Errorf("page numbers (-want +got):\n%s", diff)
			}
			got := withoutFurniture(res.Pages)
			f1 := wordF1(want, got)
			t.Logf("word F1 %.4f", f1)
			if f1 < minF1 {
				t.Errorf("word F1 = %.4f, want >= %.3f", f1, minF1)
			}
			checkPageOrder(t, res, want)
			checkSwedishWords(t, want, got)
			if glued := gluedWords(want, got); len(glued) > 0 {
				t.Errorf("glued words: %q", glued)
			}
			if strings.ContainsAny(res.Text(), "\x00\x02\ufffe\ufffd\r") {
				t.Errorf("control or replacement characters in text")
			}
		})
	}
}

// TestPDFGhostscriptLigatures checks that Ghostscript's "昀椀" for "fi" is repaired.
func TestPDFGhostscriptLigatures(t *testing.T) {
	text := extractPDF(t, "skr-2022-integritet-och-ny-teknik.ghostscript.pdf").Text()
	if strings.ContainsAny(text, "昀椀氀") {
		t.Errorf("unrepaired ligatures remain")
	}
	for _, w := range []string{"finns", "flera", "offentliga", "definierat", "effektiva", "identifiera"} {
		if !regexp.MustCompile(`\b` + w + `\b`).MatchString(text) {
			t.Errorf("%q missing", w)
		}
	}
}

// TestPDFLineEndHyphen checks that PDFium's hyphen marker becomes "-\n".
func TestPDFLineEndHyphen(t *testing.T) {
	text := extractPDF(t, "fiktivt-tillsynsbeslut.libreoffice.pdf").Text()
	for _, want := range []string{"hälso-\noch sjukvården", "it-\nsäkerhetsspecialisten"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
}

func TestPDFHostile(t *testing.T) {
	tests := []struct {
		file     string
		want     error  // nil: the file is readable
		message  string // substring of the error, or of the text when readable
		pages    int
		warning  string         // substring of a warning, when readable
		flags    map[int]string // page number -> flag
		minWords int
	}{
		{file: "empty.pdf", want: ErrEmpty, message: "empty file"},
		{file: "header_only.pdf", want: ErrCorrupt, message: "not a readable pdf"},
		{file: "html_error_page.pdf", want: ErrNotPDF, message: "content is html, not pdf"},
		{file: "trunc_50pct.pdf", want: ErrCorrupt, message: "not a readable pdf"},
		{file: "trunc_last200B.pdf", message: "Lena Lindgren Schelin", pages: 16, warning: "no trailer (truncated file?)", minWords: 5000},
		{file: "broken_xref.pdf", message: "Lena Lindgren Schelin", pages: 16, minWords: 5000},
		{file: "garbled_middle.pdf", message: "Sammanfattning", pages: 16, warning: "1 of 21 compressed streams damaged",
			flags: map[int]string{16: FlagDamaged}, minWords: 4000},
		{file: "cycle_pagetree.pdf", want: ErrCorrupt, message: "no page could be read"},
		{file: "recursive_xobject.pdf", message: "Rekursion", pages: 1, minWords: 1},
		{file: "length_loop.pdf", want: ErrNoText, message: "all 1 pages are blank"},
		{file: "huge_count.pdf", want: ErrNoText, message: "all 1 pages are blank"},
		{file: "flate_bomb_400MB.pdf", want: ErrTooLarge, message: "decompression bomb"},
		{file: "enc_ownerpw_aes256.pdf", message: "Slutredovisning av regeringsuppdrag", pages: 1, minWords: 300},
		{file: "enc_ownerpw_rc4_40.pdf", message: "Slutredovisning av regeringsuppdrag", pages: 1, minWords: 300},
		{file: "enc_userpw_aes256.pdf", want: ErrEncrypted, message: "file is password-protected"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			const limit = 15 * time.Second
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			start := time.Now()
			res, err := shared.Extract(ctx, tc.file, readFixture(t, filepath.Join("bad", tc.file)))
			if d := time.Since(start); d > limit {
				t.Errorf("took %v", d)
			}
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if !strings.HasPrefix(err.Error(), tc.file+": ") || !strings.Contains(err.Error(), tc.message) {
					t.Errorf("err = %q, want %q: ...%q...", err, tc.file, tc.message)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want text", err)
			}
			if len(res.Pages) != tc.pages {
				t.Errorf("%d pages, want %d", len(res.Pages), tc.pages)
			}
			text := res.Text()
			if !strings.Contains(text, tc.message) {
				t.Errorf("text lacks %q", tc.message)
			}
			if n := len(strings.Fields(text)); n < tc.minWords {
				t.Errorf("%d words, want >= %d", n, tc.minWords)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(res.Warnings, "\n"), tc.warning) {
				t.Errorf("warnings %q lack %q", res.Warnings, tc.warning)
			}
			for _, p := range res.Pages {
				if p.Flag != tc.flags[p.Number] {
					t.Errorf("page %d: flag %q, want %q", p.Number, p.Flag, tc.flags[p.Number])
				}
			}
		})
	}
}

// TestPDFEncryptedOwnerPassword compares the text of the owner-password
// fixtures with the unencrypted file they were made from.
func TestPDFEncryptedOwnerPassword(t *testing.T) {
	want := expectedFor(t, "imy-2023-slutredovisning-innovationssystemet.libreoffice.pdf")
	for _, f := range []string{"bad/enc_ownerpw_aes256.pdf", "bad/enc_ownerpw_rc4_40.pdf"} {
		res := extractPDF(t, f)
		if f1 := wordF1(want, withoutFurniture(res.Pages)); f1 < minF1 {
			t.Errorf("%s: word F1 = %.4f", f, f1)
		}
	}
}

// peakHeap samples HeapInuse until stop is called and returns the peak.
func peakHeap() (stop func() uint64) {
	done := make(chan struct{})
	var peak uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// TestPDFFlateBombMemory checks both defences against a decompression bomb:
// the stream scan refuses it before PDFium starts, and without the scan
// PDFium's memory cap stops it.
func TestPDFFlateBombMemory(t *testing.T) {
	bomb := readFixture(t, "bad/flate_bomb_400MB.pdf")
	const maxHeap = 300 << 20
	capped, err := New(context.Background(), Options{PDFMemoryLimitMiB: 64, PDFTimeout: 20 * time.Second, noStreamScan: true})
	if err != nil {
		t.Fatal(err)
	}
	defer capped.Close()
	tests := []struct {
		name string
		ex   *Extractor
		want error
	}{
		{"stream scan", shared, ErrTooLarge},
		{"memory cap", capped, ErrCorrupt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			stop := peakHeap()
			_, err := tc.ex.Extract(context.Background(), "bomb.pdf", bomb)
			peak := stop()
			runtime.ReadMemStats(&after)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("err %v; allocated %d MiB, peak heap in use %d MiB", err, alloc>>20, peak>>20)
			if peak > maxHeap || alloc > 2*maxHeap {
				t.Errorf("allocated %d MiB, peak heap %d MiB; want peak < %d MiB", alloc>>20, peak>>20, maxHeap>>20)
			}
		})
	}
}

func TestPDFTimeout(t *testing.T) {
	bomb := readFixture(t, "bad/flate_bomb_400MB.pdf")
	slow, err := New(context.Background(), Options{PDFTimeout: 100 * time.Millisecond, PDFMemoryLimitMiB: 256, noStreamScan: true})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	// Warm the engine so that the deadline falls inside PDFium.
	if _, err := slow.Extract(context.Background(), "a.pdf", readFixture(t, "bad/recursive_xobject.pdf")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = slow.Extract(context.Background(), "bomb.pdf", bomb)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v after a 100ms timeout", d)
	}
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want ErrTimeout", err)
	}

	// The caller's own deadline is reported as such.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = slow.Extract(ctx, "bomb.pdf", bomb)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}

	// The engine still works after killing instances.
	if _, err := slow.Extract(context.Background(), "a.pdf", readFixture(t, "bad/recursive_xobject.pdf")); err != nil {
		t.Errorf("after timeouts: %v", err)
	}
}

// TestPDFConcurrent reads the fixtures from several goroutines and checks
// that each result matches a sequential read.
func TestPDFConcurrent(t *testing.T) {
	want := map[string]string{}
	for _, fx := range pdfFixtures[:6] {
		want[fx.file] = extractPDF(t, fx.file).Text()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*len(want))
	for range 3 {
		for file, text := range want {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := shared.Extract(context.Background(), file, readFixture(t, file))
				switch {
				case err != nil:
					errs <- err
				case res.Text() != text:
					errs <- errors.New(file + ": text differs from a sequential read")
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkExtractPDF(b *testing.B) {
	files := make(map[string][]byte)
	for _, fx := range pdfFixtures {
		files[fx.file] = readFixture(b, fx.file)
	}
	ctx := context.Background()
	pages := 0
	b.ResetTimer()
	for b.Loop() {
		for name, data := range files {
			res, err := shared.Extract(ctx, name, data)
			if err != nil {
				b.Fatal(err)
			}
			pages += len(res.Pages)
		}
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkExtractPDFParallel reads the fixtures with as many goroutines as
// the engine has workers.
func BenchmarkExtractPDFParallel(b *testing.B) {
	var files [][]byte
	for _, fx := range pdfFixtures {
		files = append(files, readFixture(b, fx.file))
	}
	var pages atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			res, err := shared.Extract(context.Background(), "f.pdf", files[i%len(files)])
			if err != nil {
				b.Error(err)
				return
			}
			pages.Add(int64(len(res.Pages)))
			i++
		}
	})
	b.ReportMetric(float64(pages.Load())/b.Elapsed().Seconds(), "pages/s")
}
