package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/imy/imyrag"
	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// maxRestarts is how many times one file may kill its PDFium instance and
// go on with a fresh one before the remaining pages are given up.
const maxRestarts = 3

var errClosed = errors.New("extractor is closed")

// pdfEngine owns the wazero runtime and the PDFium pool. It starts on first
// use because compiling PDFium costs seconds without a warm disk cache.
type pdfEngine struct {
	ctx  context.Context // the pool's lifetime; never canceled
	opts Options

	mu     sync.Mutex
	pool   pdfium.Pool
	cache  wazero.CompilationCache
	closed bool
}

func newPDFEngine(ctx context.Context, opts Options) *pdfEngine {
	return &pdfEngine{ctx: context.WithoutCancel(ctx), opts: opts}
}

// start returns the pool, creating it on the first call.
func (p *pdfEngine) start() (pdfium.Pool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errClosed
	}
	if p.pool != nil {
		return p.pool, nil
	}
	cache := p.compilationCache()
	rc := wazero.NewRuntimeConfig().
		// PDFium's setjmp/longjmp are lowered to wasm exceptions.
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		WithMemoryLimitPages(uint32(p.opts.PDFMemoryLimitMiB) * 16). // 64 KiB pages
		WithCloseOnContextDone(true).
		WithCompilationCache(cache)
	pool, err := webassembly.Init(webassembly.Config{
		Context:       p.ctx,
		MinIdle:       0,
		MaxIdle:       p.opts.PDFWorkers,
		MaxTotal:      p.opts.PDFWorkers,
		RuntimeConfig: rc,
		FSConfig:      wazero.NewFSConfig(), // no host files: documents are passed as bytes
		Stdout:        io.Discard,
		Stderr:        io.Discard,
		// A fresh instance per file: PDFium's memory is dropped with it, and a
		// file can never see state left by another.
		ReuseWorkers: false,
	})
	if err != nil {
		cache.Close(p.ctx)
		return nil, fmt.Errorf("start pdf engine: %w", err)
	}
	p.pool, p.cache = pool, cache
	return pool, nil
}

// compilationCache returns wazero's on-disk cache when its directory can be
// written, else an in-memory one.
func (p *pdfEngine) compilationCache() wazero.CompilationCache {
	dir := p.opts.CacheDir
	if dir == "off" {
		return wazero.NewCompilationCache()
	}
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			p.opts.Logger.Debug("no user cache dir; compiling pdfium in memory", "err", err)
			return wazero.NewCompilationCache()
		}
		dir = filepath.Join(base, "imyrag", "wazero")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		p.opts.Logger.Warn("wazero cache dir unusable; compiling pdfium in memory", "dir", dir, "err", err)
		return wazero.NewCompilationCache()
	}
	if f, err := os.CreateTemp(dir, ".probe-*"); err != nil {
		p.opts.Logger.Warn("wazero cache dir not writable; compiling pdfium in memory", "dir", dir, "err", err)
		return wazero.NewCompilationCache()
	} else {
		f.Close()
		os.Remove(f.Name())
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		p.opts.Logger.Warn("wazero cache dir unusable; compiling pdfium in memory", "dir", dir, "err", err)
		return wazero.NewCompilationCache()
	}
	return cache
}

func (p *pdfEngine) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	if p.pool == nil {
		return nil
	}
	err := p.pool.Close()
	if cerr := p.cache.Close(p.ctx); err == nil {
		err = cerr
	}
	p.pool, p.cache = nil, nil
	return err
}

// extract reads every page of a PDF.
func (p *pdfEngine) extract(ctx context.Context, data []byte) (Result, error) {
	if err := sniffPDF(data); err != nil {
		return Result{}, err
	}
	limit := int64(p.opts.PDFMemoryLimitMiB) << 20 / 4
	var scan streamScan
	if !p.opts.noStreamScan {
		scan = scanStreams(data, limit, 4*limit)
	} else {
		scan.bomb = -1
	}
	if scan.bomb >= 0 {
		return Result{}, bombError(scan.bomb, limit)
	}
	pool, err := p.start()
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeoutCause(ctx, p.opts.PDFTimeout, ErrTimeout)
	defer cancel()

	s := &pdfSession{pool: pool, ctx: ctx, data: data, scan: scan}
	defer s.release(false)
	res, err := s.run()
	if err != nil {
		if cerr := s.ctxErr(); cerr != nil {
			return Result{}, cerr
		}
		return Result{}, err
	}
	return res, nil
}

// pdfSession reads one file with one PDFium instance at a time.
type pdfSession struct {
	pool     pdfium.Pool
	ctx      context.Context
	data     []byte
	repaired bool // data is the file plus a trailer appendTrailer made
	scan     streamScan

	inst pdfium.Pdfium
	stop func() bool // stops the watchdog that kills inst when ctx ends
	doc  references.FPDF_DOCUMENT
}

// ctxErr says why ctx ended, or returns nil while it has not.
func (s *pdfSession) ctxErr() error {
	if s.ctx.Err() == nil {
		return nil
	}
	if cause := context.Cause(s.ctx); errors.Is(cause, ErrTimeout) {
		return fmt.Errorf("gave up: %w", ErrTimeout)
	}
	return s.ctx.Err()
}

// open gets a fresh instance and opens the document with it.
func (s *pdfSession) open() error {
	inst, err := s.pool.GetInstanceWithContext(s.ctx)
	if err != nil {
		return fmt.Errorf("get pdf engine: %w", err)
	}
	s.inst = inst
	s.stop = context.AfterFunc(s.ctx, func() { inst.Kill() })

	// No password: files with only an owner password open, as in any viewer.
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &s.data})
	switch {
	case err == nil:
		s.doc = doc.Document
		return nil
	case errors.Is(err, pdfiumerrors.ErrPassword):
		return fmt.Errorf("file is password-protected; save an unprotected copy: %w", ErrEncrypted)
	case errors.Is(err, pdfiumerrors.ErrSecurity):
		return fmt.Errorf("unsupported encryption method: %w", ErrEncrypted)
	case errors.Is(err, pdfiumerrors.ErrFormat) && !s.repaired:
		if fixed := appendTrailer(s.data); fixed != nil {
			s.release(false)
			s.data, s.repaired = fixed, true
			return s.open()
		}
		s.release(false)
		return fmt.Errorf("not a readable pdf (%s): %w", pdfiumReason(err), ErrCorrupt)
	case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile),
		errors.Is(err, pdfiumerrors.ErrUnknown), errors.Is(err, pdfiumerrors.ErrPage):
		s.release(false)
		return fmt.Errorf("not a readable pdf (%s): %w", pdfiumReason(err), ErrCorrupt)
	default:
		s.release(true)
		return fmt.Errorf("open: %v: %w", shortErr(err), ErrCorrupt)
	}
}

// release hands the instance back; broken ones are killed, not reused.
func (s *pdfSession) release(broken bool) {
	if s.inst == nil {
		return
	}
	if s.stop() { // the watchdog did not fire: the instance is still ours
		if broken {
			s.inst.Kill()
		} else {
			s.inst.Close()
		}
	}
	s.inst, s.stop, s.doc = nil, nil, ""
}

func (s *pdfSession) run() (Result, error) {
	if err := s.open(); err != nil {
		return Result{}, err
	}
	n, err := s.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: s.doc})
	if err != nil {
		return Result{}, fmt.Errorf("count pages: %s: %w", shortErr(err), ErrCorrupt)
	}
	switch {
	case n.PageCount <= 0:
		return Result{}, fmt.Errorf("no pages: %w", ErrCorrupt)
	case n.PageCount > MaxPages:
		return Result{}, fmt.Errorf("claims %d pages, more than %d: %w", n.PageCount, MaxPages, ErrCorrupt)
	}
	res := Result{Format: FormatPDF, Title: plausibleTitle(s.title()), Pages: make([]imyrag.Page, n.PageCount)}
	if s.repaired {
		res.Warnings = append(res.Warnings, "no trailer (truncated file?): read after repair")
	}
	if s.scan.damaged > 0 {
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d of %d compressed streams damaged: text may be incomplete", s.scan.damaged, s.scan.streams))
	}
	restarts := 0
	for i := range res.Pages {
		pg := &res.Pages[i]
		pg.Number = i + 1
		if err := s.ctxErr(); err != nil {
			return Result{}, err
		}
		if s.inst == nil { // gave up after too many failures
			pg.Flag = FlagDamaged
			continue
		}
		text, err := s.pageText(i)
		if err == nil {
			if pg.Text = cleanPDFText(text); pg.Text == "" {
				pg.Flag = s.emptyPageFlag(i)
			}
			continue
		}
		if cerr := s.ctxErr(); cerr != nil {
			return Result{}, cerr
		}
		pg.Flag = FlagDamaged
		res.Warnings = append(res.Warnings, fmt.Sprintf("page %d: %s: %s", i+1, FlagDamaged, shortErr(err)))
		if errors.Is(err, pdfiumerrors.ErrPage) {
			continue // PDFium refused the page; the instance is fine
		}
		// Anything else may have left the instance broken: go on with a fresh one.
		s.release(true)
		if restarts++; restarts > maxRestarts {
			res.Warnings = append(res.Warnings, fmt.Sprintf("pages %d-%d: not read after %d failures", i+2, len(res.Pages), restarts))
			continue
		}
		if err := s.open(); err != nil {
			s.release(true)
			res.Warnings = append(res.Warnings, fmt.Sprintf("pages %d-%d: not read: reopen: %s", i+2, len(res.Pages), shortErr(err)))
		}
	}
	if err := noText(res.Pages); err != nil {
		return Result{}, err
	}
	return res, nil
}

// emptyPageFlag says why page i has no text: images but no text suggest a
// scan; no objects at all is a blank page, or a damaged one when the file
// has damaged streams.
func (s *pdfSession) emptyPageFlag(i int) string {
	n, err := s.inst.FPDFPage_CountObjects(&requests.FPDFPage_CountObjects{
		Page: requests.Page{ByIndex: &requests.PageByIndex{Document: s.doc, Index: i}},
	})
	switch {
	case err != nil:
		return FlagNoText
	case n.Count > 0:
		return FlagNoText
	case s.scan.damaged > 0:
		return FlagDamaged
	}
	return FlagBlank
}

// noText returns an error when no page has text, naming the likeliest reason.
func noText(pages []imyrag.Page) error {
	count := map[string]int{}
	for _, p := range pages {
		if p.Text != "" {
			return nil
		}
		count[p.Flag]++
	}
	switch {
	case count[FlagDamaged] > 0:
		return fmt.Errorf("no page could be read (%d of %d damaged): %w", count[FlagDamaged], len(pages), ErrCorrupt)
	case count[FlagNoText] > 0:
		return fmt.Errorf("no text layer on any of %d pages (scanned? ocr is not supported): %w", len(pages), ErrNoText)
	}
	return fmt.Errorf("all %d pages are blank: %w", len(pages), ErrNoText)
}

// pageText returns the raw text of page i (0-based).
func (s *pdfSession) pageText(i int) (string, error) {
	tp, err := s.inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{
		Page: requests.Page{ByIndex: &requests.PageByIndex{Document: s.doc, Index: i}},
	})
	if err != nil {
		return "", err
	}
	defer s.inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage})
	n, err := s.inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return "", err
	}
	if n.Count == 0 {
		return "", nil
	}
	t, err := s.inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, Count: n.Count})
	if err != nil {
		return "", err
	}
	return t.Text, nil
}

// title returns the Info dictionary's Title, or "".
func (s *pdfSession) title() string {
	m, err := s.inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: s.doc, Tag: "Title"})
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.Map(dropControl, m.Value))
}

// sniffPDF checks for a PDF header within the first KiB (the spec allows
// junk before it) and names what the data is when it is not a PDF.
func sniffPDF(data []byte) error {
	head := data[:min(len(data), 1024)]
	if bytes.Contains(head, []byte("%PDF-")) {
		return nil
	}
	if looksLikeHTML(head) {
		return fmt.Errorf("content is html, not pdf (a saved error page?): %w", ErrNotPDF)
	}
	return fmt.Errorf("no %%PDF- header: %w", ErrNotPDF)
}

func looksLikeHTML(head []byte) bool {
	h := bytes.ToLower(bytes.TrimSpace(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))))
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<?xml", "<!--"} {
		if bytes.HasPrefix(h, []byte(p)) {
			return true
		}
	}
	return false
}

func pdfiumReason(err error) string {
	switch {
	case errors.Is(err, pdfiumerrors.ErrFormat):
		return "bad format"
	case errors.Is(err, pdfiumerrors.ErrFile):
		return "file not readable"
	case errors.Is(err, pdfiumerrors.ErrPage):
		return "bad page"
	}
	return "unknown error"
}

// shortErr keeps the first line of a wasm error, which can carry a stack trace.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// plausibleTitle drops Info titles that are file names or placeholders, as
// producers often write ("005_hard_beslut", "Microsoft Word - x.docx").
func plausibleTitle(t string) string {
	t = strings.TrimSpace(strings.TrimPrefix(t, "Microsoft Word - "))
	lower := strings.ToLower(t)
	switch {
	case t == "", lower == "untitled", lower == "namnlös", lower == "dokument1", lower == "document1":
		return ""
	case strings.ContainsAny(t, "_/\\") && !strings.Contains(t, " "):
		return "" // a file or path name
	}
	for _, ext := range []string{".doc", ".docx", ".odt", ".pdf", ".rtf", ".indd", ".pptx", ".html", ".htm", ".txt", ".md"} {
		if strings.HasSuffix(lower, ext) {
			return ""
		}
	}
	return t
}

var objHeader = regexp.MustCompile(`(\d{1,10})\s+(\d{1,5})\s+obj\b`)

// appendTrailer repairs a PDF whose end is cut off (a broken download): it
// appends a trailer naming the last catalog object found, with a startxref
// of 0 that makes PDFium rebuild the cross-reference table by scanning.
// It returns nil when no catalog is found.
func appendTrailer(data []byte) []byte {
	cat := bytes.LastIndex(data, []byte("/Catalog"))
	if cat < 0 {
		return nil
	}
	lo := max(0, cat-4096)
	if !bytes.HasSuffix(bytes.TrimRight(data[lo:cat], " \t\r\n"), []byte("/Type")) {
		return nil
	}
	m := objHeader.FindAllSubmatch(data[lo:cat], -1)
	if len(m) == 0 {
		return nil
	}
	last := m[len(m)-1]
	trailer := fmt.Sprintf("\ntrailer\n<</Root %s %s R>>\nstartxref\n0\n%%%%EOF\n", last[1], last[2])
	fixed := make([]byte, 0, len(data)+len(trailer))
	return append(append(fixed, data...), trailer...)
}
