package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"
)

// Message is one chat message: Role is "system", "user" or "assistant".
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is one streamed chat call.
type ChatRequest struct {
	// Model overrides the configured chat model when set.
	Model    string
	Messages []Message
	// NumPredict caps the answer's tokens (0: the server's default).
	NumPredict int
	// Temperature is sent as is; 0 is deterministic decoding.
	Temperature float64
	// Seed makes sampling repeatable when not 0.
	Seed int
	// Format constrains the reply: "json" or a JSON schema (Ollama's
	// format option); nil leaves the reply free.
	Format json.RawMessage
}

// ChatResult is what a chat call produced. After an error it holds what was
// received before the error, so that a cut-off answer can still be shown
// with its problem flagged.
type ChatResult struct {
	Model string
	Text  string
	// Done is true when the server sent its final message; DoneReason is
	// its reason ("stop", or "length" when NumPredict cut the answer).
	Done       bool
	DoneReason string
	// PromptEvalCount is the number of prompt tokens the server read.
	PromptEvalCount int
	EvalCount       int
	Took            time.Duration
}

// Chat streams an answer. onToken, when set, receives each piece of text as
// it arrives; an error from it stops the stream. Truncation and context
// shifting are off, num_ctx is explicit: a prompt that does not fit is an
// error wrapping ErrContextLength. A stream that ends without the server's
// final message returns the partial result and an error wrapping ErrCutOff.
func (c *Client) Chat(ctx context.Context, req ChatRequest, onToken func(string) error) (ChatResult, error) {
	model := req.Model
	if model == "" {
		model = c.cfg.ChatModel
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ChatTimeout)
	defer cancel()
	msgs := make([]api.Message, len(req.Messages))
	for i, m := range req.Messages {
		msgs[i] = api.Message{Role: m.Role, Content: m.Content}
	}
	opts := map[string]any{"num_ctx": c.cfg.NumCtx, "temperature": req.Temperature}
	if req.NumPredict > 0 {
		opts["num_predict"] = req.NumPredict
	}
	if req.Seed != 0 {
		opts["seed"] = req.Seed
	}
	yes, no := true, false
	res := ChatResult{Model: model}
	var text strings.Builder
	errStop := errors.New("stopped by the caller")
	var cbErr error
	err := c.api.Chat(ctx, &api.ChatRequest{
		Model:    model,
		Messages: msgs,
		Stream:   &yes,
		Options:  opts,
		Truncate: &no,
		Shift:    &no,
		Format:   req.Format,
	}, func(r api.ChatResponse) error {
		if r.Message.Content != "" {
			text.WriteString(r.Message.Content)
			if onToken != nil {
				if err := onToken(r.Message.Content); err != nil {
					cbErr = err
					return errStop
				}
			}
		}
		if r.Done {
			res.Done = true
			res.DoneReason = r.DoneReason
			res.PromptEvalCount = r.PromptEvalCount
			res.EvalCount = r.EvalCount
		}
		return nil
	})
	res.Text = text.String()
	res.Took = time.Since(start)
	switch {
	case cbErr != nil:
		return res, cbErr
	case err != nil:
		if !res.Done && text.Len() > 0 && ctx.Err() == nil && !isStatus(err) {
			// The body broke after some tokens: the server went away.
			return res, fmt.Errorf("chat with %s at %s: the answer stopped after %d characters (%v): %w", model, c.base, text.Len(), err, ErrCutOff)
		}
		return res, c.classify(ctx, "chat", model, err)
	case !res.Done && ctx.Err() != nil:
		// The api client ends a stream quietly when its deadline cuts the
		// body: the cause is the deadline, not the server.
		return res, c.classify(ctx, "chat", model, ctx.Err())
	case !res.Done:
		return res, fmt.Errorf("chat with %s at %s: the answer stream ended after %d characters without the server's final message (did the server stop?): %w",
			model, c.base, text.Len(), ErrCutOff)
	}
	return res, nil
}

func isStatus(err error) bool {
	var se api.StatusError
	return errors.As(err, &se)
}
