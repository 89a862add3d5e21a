package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag/cmd/internal/progress"
	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

type ingestOptions struct {
	paths  []string
	prune  bool
	strict bool
	force  bool
	quiet  bool
	json   bool
	// noEmbed skips the embedding phase; reembed replaces every vector.
	noEmbed bool
	reembed bool
}

func newIngestCmd(e *env) *cobra.Command {
	var o ingestOptions
	var workers, maxSize int
	cmd := &cobra.Command{
		Use:   "ingest [PATH...]",
		Short: "Index documents (the bundled corpus when no path is given)",
		Long: `Index PDF, HTML, text and Markdown files into the local index.

With no PATH the bundled IMY corpus is indexed. Then every passage without a
vector is embedded by the Ollama embedding model, so that search is hybrid
(words and meaning); without a reachable Ollama server the index stays
lexical and ingest says so — run it again later to add the vectors. Directories are walked
recursively; a manifest.json in a directory describes its documents (title,
kind, date, identifiers). Unchanged files are skipped; a changed file is
re-processed alone. Files that cannot be read are listed with the reason and
never stop the others.

Exit status: 0 when everything readable was indexed (unreadable files are
listed), 1 with --strict when any file failed or when nothing could be read.`,
		Example: "  imyrag ingest\n  imyrag ingest ./beslut ./vagledningar --prune\n  imyrag ingest rapport.pdf --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			o.paths = args
			return runIngest(e, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.prune, "prune", false, "remove documents whose source file is gone")
	f.BoolVar(&o.strict, "strict", false, "exit non-zero when any file fails")
	f.BoolVar(&o.force, "force", false, "re-process every source, even unchanged ones")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	f.BoolVar(&o.json, "json", false, "print the summary as JSON on stdout")
	f.BoolVar(&o.noEmbed, "no-embed", false, "do not compute vectors (search stays lexical)")
	f.BoolVar(&o.reembed, "reembed", false, "delete every vector and embed the whole index again (after changing --embed-model)")
	f.IntVar(&workers, "workers", 4, "sources processed at once [IMYRAG_WORKERS]")
	f.IntVar(&maxSize, "max-size", 64, "largest source file accepted, in MiB [IMYRAG_MAX_SIZE_MB]")
	return cmd
}

func runIngest(e *env, o ingestOptions) error {
	var sources []ingest.Source
	var discoverFails []ingest.Failure
	if len(o.paths) == 0 {
		sources = ingest.Bundled()
	} else {
		sources, discoverFails = ingest.Discover(o.paths)
	}
	idx, err := e.openStore(true)
	if err != nil {
		return err
	}
	defer idx.Close()
	p, err := ingest.New(e.ctx, idx, ingest.Options{
		Workers: e.cfg.Workers, MaxBytes: int64(e.cfg.MaxSizeMB) << 20, Prune: o.prune, Force: o.force,
	})
	if err != nil {
		return err
	}
	defer p.Close()

	var bar *progress.Bar
	if !o.quiet {
		bar = progress.New(e.stderr, e.stderrTTY, len(sources), "ingest")
		p.OnEvent = func(ev ingest.Event) {
			switch ev.Kind {
			case ingest.Indexed:
				bar.Add(1, ev.Chunks)
				if !e.stderrTTY {
					bar.Line("indexed  %s (%s, %d chunks)", ev.Source, ev.DocID, ev.Chunks)
				}
			case ingest.Unchanged:
				bar.Add(1, 0)
			case ingest.Failed:
				bar.Add(1, 0)
				bar.Line("failed   %s: %v", ev.Source, ev.Err)
			case ingest.Pruned:
				bar.Line("removed  %s (%s): source is gone", ev.DocID, ev.Source)
			}
		}
	}
	res, err := p.Run(e.ctx, sources)
	if bar != nil {
		bar.Finish()
	}
	res.Failed = append(discoverFails, res.Failed...)
	if err != nil {
		if len(res.Failed) > 0 && !o.quiet {
			printSummary(e.stderr, idx.Location(), res)
		}
		return fmt.Errorf("%w (the index keeps every document committed before the error; run ingest again to finish)", err)
	}
	if !o.noEmbed {
		if err := e.embedIndex(idx, o, &res); err != nil {
			return err
		}
	}
	if o.json {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if !o.quiet {
		printSummary(e.stderr, idx.Location(), res)
	} else {
		for _, f := range res.Failed {
			fmt.Fprintf(e.stderr, "failed %s: %s\n", f.Source, f.Reason)
		}
	}
	readable := res.Added + res.Updated + res.Unchanged
	switch {
	case len(res.Failed) > 0 && readable == 0:
		if !o.quiet {
			fmt.Fprintln(e.stderr, "nothing could be read")
		}
		return silentError{exitFailure}
	case len(res.Failed) > 0 && o.strict:
		return silentError{exitFailure}
	case len(sources) == 0 && len(res.Failed) == 0 && !o.quiet:
		fmt.Fprintln(e.stderr, "no supported files found (PDF, HTML, TXT, MD)")
	}
	return nil
}

func printSummary(w io.Writer, path string, r ingest.Result) {
	fmt.Fprintf(w, "%d sources: %d added, %d updated, %d unchanged, %d removed, %d failed — %d chunks",
		r.Sources, r.Added, r.Updated, r.Unchanged, r.Pruned, len(r.Failed), r.Chunks)
	if r.Pages > 0 {
		fmt.Fprintf(w, ", %d PDF pages", r.Pages)
	}
	fmt.Fprintf(w, " in %s\n", r.Duration.Round(time.Millisecond))
	if r.Added+r.Updated+r.Pruned == 0 && len(r.Failed) == 0 && r.Sources > 0 {
		fmt.Fprintln(w, "nothing changed")
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "warnings (%d):\n", len(r.Warnings))
		for _, f := range r.Warnings {
			fmt.Fprintf(w, "  %s: %s\n", f.Source, f.Reason)
		}
	}
	if len(r.Failed) > 0 {
		fmt.Fprintf(w, "failed (%d):\n", len(r.Failed))
		for _, f := range r.Failed {
			fmt.Fprintf(w, "  %s: %s\n", f.Source, f.Reason)
		}
	}
	switch {
	case r.Embedding != nil:
		em := r.Embedding
		fmt.Fprintf(w, "vectors (%s, %d dims): %d of %d passages embedded in %s", em.Model, em.Dim, em.Embedded, em.Pending, em.Duration.Round(time.Millisecond))
		if em.Pending == 0 {
			fmt.Fprint(w, " — every passage already has one")
		}
		fmt.Fprintln(w)
		for _, f := range em.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", f.Source, f.Reason)
		}
	case r.EmbeddingSkipped != "":
		fmt.Fprintf(w, "vectors: %s\n", r.EmbeddingSkipped)
	}
	fmt.Fprintf(w, "index: %s\n", path)
}

// embedIndex embeds every passage that lacks a vector. A server that does
// not answer, or lacks the model, leaves the index lexical and says so; a
// model different from the index's is an error that says how to re-embed.
func (e *env) embedIndex(idx ingest.VectorIndex, o ingestOptions, res *ingest.Result) error {
	c, err := e.llm()
	if err != nil {
		return err
	}
	if c == nil {
		res.EmbeddingSkipped = "not computed: the language model is off (--llm off); search is lexical"
		return nil
	}
	if _, err := c.Version(e.ctx); err != nil {
		if e.ctx.Err() != nil {
			return e.ctx.Err()
		}
		res.EmbeddingSkipped = fmt.Sprintf("not computed — %v. Search is lexical until then; run `imyrag ingest` again once the server answers", err)
		return nil
	}
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		return err
	}
	var bar *progress.Bar
	opts := ingest.EmbedOptions{Reembed: o.reembed, Count: tok.Count}
	if !o.quiet && !o.json {
		bar = progress.NewItems(e.stderr, e.stderrTTY, 0, "embed", "passages")
		opts.OnProgress = func(done, total int) { bar.Set(done, total) }
	}
	er, err := ingest.Embed(e.ctx, idx, c, opts)
	if bar != nil {
		bar.Finish()
	}
	switch {
	case errors.Is(err, store.ErrEmbeddingModel):
		return hintError{err, fmt.Sprintf("imyrag ingest --reembed --embed-model %s", c.EmbedModel())}
	case errors.Is(err, ollama.ErrModelMissing), errors.Is(err, ollama.ErrUnreachable), errors.Is(err, ollama.ErrBusy), errors.Is(err, ollama.ErrTimeout):
		res.EmbeddingSkipped = fmt.Sprintf("%d of %d passages embedded, then: %v. Search uses the vectors it has; run `imyrag ingest` again to finish", er.Embedded, er.Pending, err)
		if o.strict {
			return err
		}
		return nil
	case err != nil:
		return err
	}
	res.Embedding = &er
	return nil
}
