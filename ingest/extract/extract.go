// Package extract reads source files (PDF, HTML, plain text, Markdown) into
// pages of raw text.
//
// PDFs are read with PDFium compiled to WebAssembly and run under wazero, so
// no cgo is needed and a hostile file can at worst exhaust its own sandbox:
// each file gets a fresh PDFium instance with a memory cap and a deadline,
// and an instance that fails, traps or runs out of time is thrown away.
// HTML is reduced to its main content; text and Markdown are validated and
// lightly cleaned. Every error a caller may branch on wraps one of the
// sentinel errors below.
package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/imy/imyrag"
)

// Sentinel errors. Extract wraps them with the file's context; use errors.Is.
var (
	// ErrEmpty: the file has zero bytes or only whitespace.
	ErrEmpty = errors.New("empty file")
	// ErrTooLarge: the file is larger than Options.MaxBytes, or a PDF
	// stream inflates past a quarter of Options.PDFMemoryLimitMiB (a
	// decompression bomb).
	ErrTooLarge = errors.New("file too large")
	// ErrNotPDF: a .pdf file whose content is not a PDF (e.g. a saved HTML error page).
	ErrNotPDF = errors.New("not a pdf")
	// ErrEncrypted: the PDF needs a password to open, or uses an
	// unsupported encryption method.
	ErrEncrypted = errors.New("encrypted pdf")
	// ErrCorrupt: the PDF cannot be read.
	ErrCorrupt = errors.New("unreadable pdf")
	// ErrNoText: a readable PDF with no text on any page: scanned, or blank.
	ErrNoText = errors.New("no text in pdf")
	// ErrTimeout: reading the PDF took longer than Options.PDFTimeout.
	ErrTimeout = errors.New("pdf took too long to read")
	// ErrBinary: a text, Markdown or HTML file holds binary data.
	ErrBinary = errors.New("binary data in text file")
	// ErrInvalidUTF8: the text is not valid UTF-8.
	ErrInvalidUTF8 = errors.New("invalid utf-8")
	// ErrUnsupported: the file's extension is not one this package reads.
	ErrUnsupported = errors.New("unsupported file type")
)

// Formats reported in Result.Format.
const (
	FormatPDF      = "pdf"
	FormatHTML     = "html"
	FormatText     = "text"
	FormatMarkdown = "markdown"
)

// Page flags set on imyrag.Page.Flag.
const (
	// FlagNoText marks a PDF page without a text layer, probably a scan.
	FlagNoText = "no text layer (scanned?)"
	// FlagDamaged marks a PDF page that could not be read, or is empty in
	// a file with damaged streams.
	FlagDamaged = "damaged page"
	// FlagBlank marks a PDF page with nothing on it.
	FlagBlank = "blank page"
)

// Defaults for Options.
const (
	DefaultMaxBytes          = 64 << 20
	DefaultPDFTimeout        = 30 * time.Second
	DefaultPDFMemoryLimitMiB = 512
	// MaxPages is the most pages a PDF may have; files that claim more are refused.
	MaxPages = 10000
)

// Result is what Extract read from one file.
type Result struct {
	// Format is "pdf", "html", "text" or "markdown".
	Format string
	// Title is the HTML og:title, <title> or first h1, the PDF Info
	// Title, or the first "# " line of Markdown; "" when there is none.
	Title string
	// Pages holds one page per PDF page, numbered from 1, in order, every
	// page present (pages without text are flagged); text, HTML and
	// Markdown give one page numbered 0.
	Pages []imyrag.Page
	// Warnings describe problems that did not stop the read, e.g.
	// "page 3: damaged page (unreadable)".
	Warnings []string
}

// Text returns the pages' text joined by blank lines.
func (r Result) Text() string {
	parts := make([]string, 0, len(r.Pages))
	for _, p := range r.Pages {
		parts = append(parts, p.Text)
	}
	return strings.Join(parts, "\n\n")
}

// Options configures an Extractor. The zero value uses the defaults.
type Options struct {
	// MaxBytes is the largest file accepted; default 64 MiB.
	MaxBytes int64
	// PDFTimeout bounds the time spent on one PDF; default 30s.
	PDFTimeout time.Duration
	// PDFMemoryLimitMiB caps the memory of one PDFium instance; default 512.
	PDFMemoryLimitMiB int
	// PDFWorkers is the most PDFs read at once; default GOMAXPROCS.
	PDFWorkers int
	// CacheDir holds wazero's compiled PDFium module so that later
	// processes start in ~0.1 s instead of 3-4 s. Default:
	// os.UserCacheDir()/imyrag/wazero. When it cannot be written the
	// module is compiled in memory. "off" disables the disk cache.
	CacheDir string
	// Logger receives diagnostics (e.g. an unusable cache dir); default: discard.
	Logger *slog.Logger

	noStreamScan bool // tests: let bombs reach PDFium to test its memory cap
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.PDFTimeout <= 0 {
		o.PDFTimeout = DefaultPDFTimeout
	}
	if o.PDFMemoryLimitMiB <= 0 {
		o.PDFMemoryLimitMiB = DefaultPDFMemoryLimitMiB
	}
	if o.PDFMemoryLimitMiB > 4096 {
		o.PDFMemoryLimitMiB = 4096 // wasm32's ceiling
	}
	if o.PDFWorkers <= 0 {
		o.PDFWorkers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Extractor reads files. It holds the PDF engine (one PDFium pool per
// Extractor; create one per process) and is safe for concurrent use.
type Extractor struct {
	opts Options
	pdf  *pdfEngine
}

// New returns an Extractor. The PDF engine starts lazily with the first PDF;
// ctx bounds nothing after New returns but carries values to the engine.
func New(ctx context.Context, opts Options) (*Extractor, error) {
	opts = opts.withDefaults()
	return &Extractor{opts: opts, pdf: newPDFEngine(ctx, opts)}, nil
}

// Close releases the PDF engine. Extract must not be called after Close.
func (e *Extractor) Close() error {
	return e.pdf.close()
}

// Supported reports whether name has an extension Extract reads.
func Supported(name string) bool {
	return formatOf(name) != ""
}

func formatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pdf":
		return FormatPDF
	case ".html", ".htm":
		return FormatHTML
	case ".txt", ".text":
		return FormatText
	case ".md", ".markdown":
		return FormatMarkdown
	}
	return ""
}

// Extract reads data, the content of the file called name. The format comes
// from name's extension and is checked against the content.
func (e *Extractor) Extract(ctx context.Context, name string, data []byte) (res Result, err error) {
	format := formatOf(name)
	if format == "" {
		return Result{}, fmt.Errorf("%s: extension %q: %w", name, filepath.Ext(name), ErrUnsupported)
	}
	if int64(len(data)) > e.opts.MaxBytes {
		return Result{}, fmt.Errorf("%s: %d bytes, limit %d: %w", name, len(data), e.opts.MaxBytes, ErrTooLarge)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Result{}, fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("%s: reader panicked: %v: %w", name, r, ErrCorrupt)
		}
	}()
	if format != FormatPDF && bytes.HasPrefix(bytes.TrimSpace(data), []byte("%PDF-")) {
		return Result{}, fmt.Errorf("%s: content is a pdf; rename the file to .pdf: %w", name, ErrBinary)
	}
	switch format {
	case FormatPDF:
		res, err = e.pdf.extract(ctx, data)
	case FormatHTML:
		res, err = extractHTML(data)
	case FormatText:
		res, err = extractText(data)
	case FormatMarkdown:
		res, err = extractMarkdown(data)
	}
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}
