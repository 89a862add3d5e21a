package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

// Embedder embeds passages (ollama.Client).
type Embedder interface {
	Embed(ctx context.Context, inputs []string) (ollama.Embedding, error)
	EmbedModel() string
}

// VectorIndex is what embedding needs of a store.
type VectorIndex interface {
	Embedding(ctx context.Context) (store.EmbeddingSpec, error)
	PendingEmbeddings(ctx context.Context, limit int) ([]store.Pending, error)
	PutVectors(ctx context.Context, spec store.EmbeddingSpec, vs []store.Vector) error
	ResetEmbeddings(ctx context.Context, spec store.EmbeddingSpec) error
}

// EmbedOptions tune embedding.
type EmbedOptions struct {
	// Batch is the number of passages per request (default 16).
	Batch int
	// Workers bounds concurrent requests (default 2; Ollama serves one
	// request per model at a time unless OLLAMA_NUM_PARALLEL is raised).
	Workers int
	// Reembed deletes every vector first and embeds the whole index again:
	// required after a change of embedding model.
	Reembed bool
	// Count counts tokens of an input (cl100k); used to catch a server that
	// truncated an input without saying so. Nil skips that check.
	Count func(string) int
	// OnProgress, when set, is called after each stored batch with the
	// passages done so far and the total, from one goroutine at a time.
	OnProgress func(done, total int)
}

// EmbedResult summarises an embedding run.
type EmbedResult struct {
	Model string `json:"model"`
	Dim   int    `json:"dim,omitempty"`
	// Pending is how many passages lacked a vector at the start; Embedded
	// how many got one.
	Pending  int `json:"pending"`
	Embedded int `json:"embedded"`
	// Tokens is the server's prompt_eval_count summed over the run.
	Tokens   int           `json:"tokens"`
	Skipped  []Failure     `json:"skipped,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// minTokenShare is the smallest share of our own cl100k count that the
// server's prompt_eval_count may be before an input counts as truncated.
// Multilingual tokenizers (XLM-R for bge-m3) use fewer tokens than cl100k
// for Swedish, but never fewer than half; a silently cut input reads far
// fewer.
const minTokenShare = 0.5

// Embed gives every passage of the index that lacks one a vector from e.
// Unchanged passages keep their vectors (they are keyed by the hash of the
// embedded text). An index whose vectors come from another model is refused
// with an error wrapping store.ErrEmbeddingModel unless opts.Reembed is set:
// vectors of two models are never mixed.
func Embed(ctx context.Context, idx VectorIndex, e Embedder, opts EmbedOptions) (EmbedResult, error) {
	start := time.Now()
	if opts.Batch <= 0 {
		opts.Batch = 16
	}
	if opts.Workers <= 0 {
		opts.Workers = 2
	}
	res := EmbedResult{Model: e.EmbedModel()}
	spec, err := idx.Embedding(ctx)
	if err != nil {
		return res, fmt.Errorf("embed: %w", err)
	}
	switch {
	case opts.Reembed:
		if err := idx.ResetEmbeddings(ctx, store.EmbeddingSpec{}); err != nil {
			return res, fmt.Errorf("embed: %w", err)
		}
	case spec.Model != "" && spec.Model != res.Model:
		return res, fmt.Errorf("embed: the index's vectors were made with %q, not %q; run `imyrag ingest --reembed --embed-model %s` to replace them all, or keep --embed-model %s: %w",
			spec.Model, res.Model, res.Model, spec.Model, store.ErrEmbeddingModel)
	}
	pending, err := idx.PendingEmbeddings(ctx, 0)
	if err != nil {
		return res, fmt.Errorf("embed: %w", err)
	}
	// Identical passages share one vector.
	var todo []store.Pending
	seen := map[string]bool{}
	for _, p := range pending {
		if !seen[p.EmbedHash] {
			seen[p.EmbedHash] = true
			todo = append(todo, p)
		}
	}
	res.Pending = len(todo)
	if len(todo) == 0 {
		res.Duration = time.Since(start)
		return res, nil
	}

	var mu sync.Mutex // guards res, writes and progress
	batches := make(chan []store.Pending)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		for i := 0; i < len(todo); i += opts.Batch {
			select {
			case batches <- todo[i:min(i+opts.Batch, len(todo))]:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range opts.Workers {
		g.Go(func() error {
			for b := range batches {
				vs, tokens, skipped, err := embedBatch(gctx, e, b, opts.Count)
				if err != nil {
					return err
				}
				mu.Lock()
				err = func() error {
					defer mu.Unlock()
					res.Tokens += tokens
					res.Skipped = append(res.Skipped, skipped...)
					if len(vs) == 0 {
						return nil
					}
					s := store.EmbeddingSpec{Model: res.Model, Dim: len(vs[0].Values)}
					if err := idx.PutVectors(gctx, s, vs); err != nil {
						return err
					}
					res.Dim = s.Dim
					res.Embedded += len(vs)
					if opts.OnProgress != nil {
						opts.OnProgress(res.Embedded+len(res.Skipped), len(todo))
					}
					return nil
				}()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	err = g.Wait()
	res.Duration = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("embed: %w", err)
	}
	return res, nil
}

// embedBatch embeds one batch. When the server refuses the batch for its
// length, or reads fewer tokens than the inputs hold, each input is tried
// alone so that one bad passage does not cost the others their vectors.
func embedBatch(ctx context.Context, e Embedder, b []store.Pending, count func(string) int) ([]store.Vector, int, []Failure, error) {
	inputs := make([]string, len(b))
	for i, p := range b {
		inputs[i] = store.EmbedInput(p.Title, p.HeadingPath, p.Text)
	}
	out, err := e.Embed(ctx, inputs)
	switch {
	case err == nil && !truncated(out.PromptEvalCount, inputs, count):
		vs := make([]store.Vector, len(b))
		for i, p := range b {
			vs[i] = store.Vector{EmbedHash: p.EmbedHash, Values: out.Vectors[i]}
		}
		return vs, out.PromptEvalCount, nil, nil
	case err != nil && !errors.Is(err, ollama.ErrContextLength):
		return nil, 0, nil, err
	case len(b) == 1:
		why := "the embedding model read fewer tokens than the passage holds (it would have been cut)"
		if err != nil {
			why = err.Error()
		}
		return nil, 0, []Failure{{Source: b[0].DocID, Reason: fmt.Sprintf("chunk %s not embedded: %s; it stays searchable by its words", b[0].ChunkID, why)}}, nil
	}
	var vs []store.Vector
	var skipped []Failure
	tokens := 0
	for i := range b {
		v, n, s, err := embedBatch(ctx, e, b[i:i+1], count)
		if err != nil {
			return nil, 0, nil, err
		}
		vs, skipped, tokens = append(vs, v...), append(skipped, s...), tokens+n
	}
	return vs, tokens, skipped, nil
}

// truncated reports a server that read clearly fewer tokens than the inputs
// hold.
func truncated(read int, inputs []string, count func(string) int) bool {
	if count == nil || read == 0 {
		return false
	}
	want := 0
	for _, in := range inputs {
		want += count(in)
	}
	return float64(read) < minTokenShare*float64(want)
}
