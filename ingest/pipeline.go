// Package ingest turns source files into indexed documents: it discovers
// sources, skips the unchanged ones, and runs each changed one through
// extract → normalize → chunk → metadata → analysis before replacing the
// document in the store in one atomic step.
//
// A source that cannot be read is reported with its path and reason and
// never stops the others; nothing already in the index is lost.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/ingest/extract"
	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/ingest/normalize"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
)

// Index is what the pipeline needs of a store.
type Index interface {
	Documents(ctx context.Context) ([]store.DocumentInfo, error)
	ReplaceDocument(ctx context.Context, doc imyrag.Document, pipeline string, entries []store.Entry) error
	DeleteDocument(ctx context.Context, id string) error
}

// Options tune a run.
type Options struct {
	// Workers bounds how many sources are processed at once (default 4).
	Workers int
	// MaxBytes is the largest source accepted (default 64 MiB).
	MaxBytes int64
	// Prune removes documents whose source no longer exists.
	Prune bool
	// Force re-processes sources even when they are unchanged.
	Force bool
	// Chunk sets the chunk sizes (defaults from package chunk).
	Chunk chunk.Options
}

// EventKind says what happened to a source.
type EventKind int

// The events a run reports.
const (
	Unchanged EventKind = iota // skipped: same content, same pipeline
	Indexed                    // processed and stored
	Failed                     // could not be ingested
	Pruned                     // removed because its source is gone
)

// Event reports progress on one source.
type Event struct {
	Kind   EventKind
	Source string
	DocID  string
	Chunks int
	Pages  int
	Err    error
}

// Result summarises a run.
type Result struct {
	Sources   int           `json:"sources"`
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Pruned    int           `json:"pruned"`
	Chunks    int           `json:"chunks"`
	Pages     int           `json:"pages"`
	Bytes     int64         `json:"bytes"`
	Failed    []Failure     `json:"failed,omitempty"`
	Warnings  []Failure     `json:"warnings,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
	// Embedding is the embedding run that followed, if one ran;
	// EmbeddingSkipped says why none did (no server, model off).
	Embedding        *EmbedResult `json:"embedding,omitempty"`
	EmbeddingSkipped string       `json:"embedding_skipped,omitempty"`
}

// Pipeline ingests sources into an index. Create it with New.
type Pipeline struct {
	index    Index
	opts     Options
	extract  *extract.Extractor
	chunker  *chunk.Chunker
	analyzer *analyze.Analyzer
	version  string
	// OnEvent, when set, is called for every source as it finishes, from
	// one goroutine at a time.
	OnEvent func(Event)
}

// New builds a pipeline writing to index. Close it to release the PDF
// engine.
func New(ctx context.Context, index Index, opts Options) (*Pipeline, error) {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	ch, err := chunk.NewChunker(opts.Chunk)
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	ex, err := extract.New(ctx, extract.Options{MaxBytes: opts.MaxBytes})
	if err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	an := analyze.Default()
	co := ch.Options()
	return &Pipeline{
		index: index, opts: opts, extract: ex, chunker: ch, analyzer: an,
		version: fmt.Sprintf("%s chunk=%d/%d/%d analyzer=%s", Version, co.Target, co.Max, co.Overlap, analyze.Version),
	}, nil
}

// Version names the ingest pipeline's processing rules; bump it when a
// change to normalization or metadata extraction should re-process every
// document.
const Version = "v1"

// PipelineVersion is the string stored with every document to say how its
// chunks were made.
func (p *Pipeline) PipelineVersion() string { return p.version }

// Close releases the pipeline's resources.
func (p *Pipeline) Close() error { return p.extract.Close() }

// processed is a source that went through the pipeline, ready to be stored.
type processed struct {
	src     Source
	doc     imyrag.Document
	entries []store.Entry
	pages   int
	update  bool
	err     error
	skip    bool
}

// Run ingests sources. It returns an error only when the index itself
// failed (or ctx was canceled); per-source problems are in Result.Failed.
func (p *Pipeline) Run(ctx context.Context, sources []Source) (Result, error) {
	start := time.Now()
	res := Result{Sources: len(sources)}
	existing, err := p.index.Documents(ctx)
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	bySource := map[string]store.DocumentInfo{}
	ids := map[string]string{} // document ID → source that holds it
	for _, d := range existing {
		bySource[d.Source] = d
		ids[d.ID] = d.Source
	}
	// Assign document IDs up front, in order, so that they are deterministic.
	for i := range sources {
		s := &sources[i]
		if old, ok := bySource[s.Name]; ok && (s.ID == "" || s.ID == old.ID) {
			s.ID = old.ID
		}
		if s.ID == "" {
			s.ID = uniqueID(s.Name, func(id string) bool { owner, ok := ids[id]; return ok && owner != s.Name })
		}
		ids[s.ID] = s.Name
	}

	work := make(chan int)
	out := make(chan processed, p.opts.Workers)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(work)
		for i := range sources {
			select {
			case work <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var wg sync.WaitGroup
	for range p.opts.Workers {
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			for i := range work {
				old, had := bySource[sources[i].Name]
				r := p.process(gctx, sources[i], old, had)
				select {
				case out <- r:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() { wg.Wait(); close(out) }()
	g.Go(func() error {
		for r := range out {
			if err := p.commit(gctx, r, &res); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		res.Duration = time.Since(start)
		return res, fmt.Errorf("ingest: %w", err)
	}
	if p.opts.Prune {
		if err := p.prune(ctx, existing, &res); err != nil {
			res.Duration = time.Since(start)
			return res, err
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (p *Pipeline) commit(ctx context.Context, r processed, res *Result) error {
	ev := Event{Source: r.src.Name, DocID: r.src.ID}
	switch {
	case r.err != nil:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Readers name the file in their errors; the summary names it already.
		why := strings.TrimPrefix(reason(r.err), r.src.Path+": ")
		res.Failed = append(res.Failed, Failure{Source: r.src.Name, Reason: why, Err: r.err})
		ev.Kind, ev.Err = Failed, r.err
	case r.skip:
		res.Unchanged++
		ev.Kind = Unchanged
	default:
		if err := p.index.ReplaceDocument(ctx, r.doc, p.version, r.entries); err != nil {
			return err
		}
		if r.update {
			res.Updated++
		} else {
			res.Added++
		}
		res.Chunks += len(r.entries)
		res.Pages += r.pages
		res.Bytes += int64(len(r.doc.Text))
		for _, w := range r.doc.Warnings {
			res.Warnings = append(res.Warnings, Failure{Source: r.src.Name, Reason: w})
		}
		ev.Kind, ev.Chunks, ev.Pages = Indexed, len(r.entries), r.pages
	}
	if p.OnEvent != nil {
		p.OnEvent(ev)
	}
	return nil
}

// prune deletes documents whose file is gone, or bundled documents no
// longer bundled.
func (p *Pipeline) prune(ctx context.Context, existing []store.DocumentInfo, res *Result) error {
	bundled := map[string]bool{}
	for _, s := range Bundled() {
		bundled[s.Name] = true
	}
	for _, d := range existing {
		gone := false
		if strings.HasPrefix(d.Source, BundledPrefix) {
			gone = !bundled[d.Source]
		} else if _, err := os.Stat(d.Source); errors.Is(err, fs.ErrNotExist) {
			gone = true
		}
		if !gone {
			continue
		}
		if err := p.index.DeleteDocument(ctx, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("ingest: prune %s: %w", d.ID, err)
		}
		res.Pruned++
		if p.OnEvent != nil {
			p.OnEvent(Event{Kind: Pruned, Source: d.Source, DocID: d.ID})
		}
	}
	return nil
}

// process reads, checks and (if changed) processes one source.
func (p *Pipeline) process(ctx context.Context, src Source, old store.DocumentInfo, had bool) processed {
	r := processed{src: src, update: had}
	data, err := p.read(src)
	if err != nil {
		r.err = err
		return r
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if had && !p.opts.Force && old.SourceHash == hash && old.Pipeline == p.version && old.ID == src.ID {
		r.skip = true
		return r
	}
	r.doc, r.entries, r.pages, r.err = p.build(ctx, src, data, hash)
	return r
}

func (p *Pipeline) read(src Source) ([]byte, error) {
	if src.Path == "" {
		return src.Data, nil
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > p.opts.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d (raise it with --max-size)", extract.ErrTooLarge, fi.Size(), p.opts.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, p.opts.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > p.opts.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes (raise it with --max-size)", extract.ErrTooLarge, p.opts.MaxBytes)
	}
	return data, nil
}

// build runs the processing stages on one source's bytes.
func (p *Pipeline) build(ctx context.Context, src Source, data []byte, hash string) (imyrag.Document, []store.Entry, int, error) {
	name := src.Path
	if name == "" {
		name = src.ID + ".txt"
	}
	ex, err := p.extract.Extract(ctx, name, data)
	if err != nil {
		return imyrag.Document{}, nil, 0, err
	}
	norm := normalize.Normalize(ex.Pages)
	if strings.TrimSpace(norm.Text) == "" {
		return imyrag.Document{}, nil, 0, fmt.Errorf("%w: no text could be extracted", extract.ErrEmpty)
	}
	doc := imyrag.Document{
		ID: src.ID, Source: src.Name, SourceHash: hash, Format: ex.Format, Text: norm.Text,
		Warnings: ex.Warnings,
	}
	if ex.Format == "pdf" {
		doc.Pages = len(ex.Pages)
	}
	describe(&doc, src, ex, norm)

	chunks := p.chunker.Split(doc.ID, norm)
	entries := make([]store.Entry, len(chunks))
	metas := make([]imyrag.Metadata, len(chunks))
	titleTerms := p.analyzer.TermFreqs(doc.Title)
	for i, c := range chunks {
		c.Meta = legal.Extract(c.Text)
		metas[i] = c.Meta
		head := p.analyzer.TermFreqs(strings.Join(c.HeadingPath, " "))
		for t, f := range titleTerms {
			head[t] += f
		}
		entries[i] = store.Entry{Chunk: c, Terms: p.analyzer.TermFreqs(c.Text), HeadTerms: head,
			EmbedHash: store.EmbedHash(store.EmbedInput(doc.Title, c.HeadingPath, c.Text))}
	}
	doc.Meta = legal.Merge(metas...)
	return doc, entries, doc.Pages, nil
}

// reason turns an error into the short reason shown in the summary.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + ": " + pe.Err.Error()
	}
	return err.Error()
}
