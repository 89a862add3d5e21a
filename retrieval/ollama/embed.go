package ollama

import (
	"context"
	"fmt"
	"math"

	"github.com/ollama/ollama/api"
)

// Embedding is the result of one embedding call.
type Embedding struct {
	Model   string
	Vectors [][]float32
	// PromptEvalCount is the number of tokens the server read, summed over
	// the inputs. Callers compare it with their own count to catch a
	// server that truncated silently.
	PromptEvalCount int
}

// Embed embeds inputs in one request with the embedding model. Truncation is
// off: an input longer than the context is an error wrapping
// ErrContextLength, never a vector of a cut text.
func (c *Client) Embed(ctx context.Context, inputs []string) (Embedding, error) {
	model := c.cfg.EmbedModel
	if len(inputs) == 0 {
		return Embedding{Model: model}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	no := false
	resp, err := c.api.Embed(ctx, &api.EmbedRequest{
		Model:    model,
		Input:    inputs,
		Truncate: &no,
		Options:  map[string]any{"num_ctx": c.cfg.EmbedCtx},
	})
	if err != nil {
		return Embedding{}, c.classify(ctx, "embed", model, err)
	}
	if len(resp.Embeddings) != len(inputs) {
		return Embedding{}, fmt.Errorf("embed with %s: the server returned %d vectors for %d inputs", model, len(resp.Embeddings), len(inputs))
	}
	dim := len(resp.Embeddings[0])
	for i, v := range resp.Embeddings {
		if len(v) != dim || dim == 0 {
			return Embedding{}, fmt.Errorf("embed with %s: vector %d has %d dimensions, vector 0 has %d", model, i, len(v), dim)
		}
		var norm float64
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return Embedding{}, fmt.Errorf("embed with %s: vector %d holds a non-finite value", model, i)
			}
			norm += float64(x) * float64(x)
		}
		if norm == 0 {
			return Embedding{}, fmt.Errorf("embed with %s: vector %d is all zeros", model, i)
		}
	}
	return Embedding{Model: model, Vectors: resp.Embeddings, PromptEvalCount: resp.PromptEvalCount}, nil
}
