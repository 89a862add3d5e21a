package ollama

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// ModelInfo describes one model on the server.
type ModelInfo struct {
	Name    string `json:"name"`
	Present bool   `json:"present"`
	// ContextLength is the model's trained context length; EmbeddingLength
	// its hidden size (for embedding models, usually the vector dimension).
	ContextLength   int      `json:"context_length,omitempty"`
	EmbeddingLength int      `json:"embedding_length,omitempty"`
	Family          string   `json:"family,omitempty"`
	ParameterSize   string   `json:"parameter_size,omitempty"`
	Quantization    string   `json:"quantization,omitempty"`
	Capabilities    []string `json:"capabilities,omitempty"`
}

// Show describes model. A model the server does not have is not an error:
// Present is false.
func (c *Client) Show(ctx context.Context, model string) (ModelInfo, error) {
	info := ModelInfo{Name: model}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	resp, err := c.api.Show(ctx, &api.ShowRequest{Model: model})
	if err != nil {
		err = c.classify(ctx, "show", model, err)
		if errors.Is(err, ErrModelMissing) {
			return info, nil
		}
		return info, err
	}
	info.Present = true
	info.Family = resp.Details.Family
	info.ParameterSize = resp.Details.ParameterSize
	info.Quantization = resp.Details.QuantizationLevel
	for _, cp := range resp.Capabilities {
		info.Capabilities = append(info.Capabilities, string(cp))
	}
	arch, _ := resp.ModelInfo["general.architecture"].(string)
	info.ContextLength = intInfo(resp.ModelInfo, arch+".context_length")
	info.EmbeddingLength = intInfo(resp.ModelInfo, arch+".embedding_length")
	return info, nil
}

func intInfo(m map[string]any, key string) int {
	switch v := m[key].(type) {
	case float64:
		return int(v)
	case int:
		return v
	case int64:
		return int(v)
	}
	return 0
}

// Report is the result of Check.
type Report struct {
	Host    string    `json:"host"`
	Version string    `json:"version"`
	Chat    ModelInfo `json:"chat"`
	Embed   ModelInfo `json:"embed"`
	// EmbedDim is the dimension of a vector the embedding model returned
	// (0 when it could not embed).
	EmbedDim int `json:"embed_dim"`
	// NumCtx is the chat context length imyrag requests.
	NumCtx int `json:"num_ctx"`
	// Problems say what is wrong and what to do; empty when all is well.
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether both models are usable.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Check contacts the server and checks both models: present, context
// length, and the embedding model's real output dimension. It returns an
// error only when the server cannot be asked at all.
func (c *Client) Check(ctx context.Context) (Report, error) {
	r := Report{Host: c.base.String(), NumCtx: c.cfg.NumCtx}
	v, err := c.Version(ctx)
	if err != nil {
		return r, err
	}
	r.Version = v
	if r.Chat, err = c.Show(ctx, c.cfg.ChatModel); err != nil {
		return r, err
	}
	if r.Embed, err = c.Show(ctx, c.cfg.EmbedModel); err != nil {
		return r, err
	}
	for _, m := range []ModelInfo{r.Chat, r.Embed} {
		if !m.Present {
			r.Problems = append(r.Problems, fmt.Sprintf("model %q is missing: run `imyrag models pull`", m.Name))
		}
	}
	if r.Chat.Present && r.Chat.ContextLength > 0 && r.Chat.ContextLength < c.cfg.NumCtx {
		r.Problems = append(r.Problems, fmt.Sprintf("model %q has a context of %d tokens, less than the %d imyrag asks for: lower --num-ctx",
			r.Chat.Name, r.Chat.ContextLength, c.cfg.NumCtx))
	}
	if r.Embed.Present {
		e, err := c.Embed(ctx, []string{"Integritetsskyddsmyndigheten"})
		switch {
		case err != nil:
			r.Problems = append(r.Problems, fmt.Sprintf("model %q cannot embed: %v", r.Embed.Name, err))
		default:
			r.EmbedDim = len(e.Vectors[0])
		}
	}
	return r, nil
}

// Progress is one step of a pull.
type Progress struct {
	Status    string
	Digest    string
	Completed int64
	Total     int64
}

// PullTimeout bounds a pull: models are gigabytes, so it is generous.
const PullTimeout = 2 * time.Hour

// Pull fetches model onto the server, reporting progress, within
// PullTimeout; cancel ctx to stop sooner.
func (c *Client) Pull(ctx context.Context, model string, fn func(Progress)) error {
	ctx, cancel := context.WithTimeout(ctx, PullTimeout)
	defer cancel()
	err := c.api.Pull(ctx, &api.PullRequest{Model: model}, func(p api.ProgressResponse) error {
		if fn != nil {
			fn(Progress{Status: p.Status, Digest: p.Digest, Completed: p.Completed, Total: p.Total})
		}
		return nil
	})
	if err != nil {
		err = c.classify(ctx, "pull", model, err)
		if strings.Contains(err.Error(), "pull model manifest") {
			return fmt.Errorf("%w (this machine may have no route to the model registry: copy the model from a machine that has it, or use `ollama create` with a local GGUF file)", err)
		}
	}
	return err
}
