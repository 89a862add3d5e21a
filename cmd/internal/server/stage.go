package server

import (
	"context"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
)

// A stream reports the answer's stages ("search", "generate", "check").
// The answer pipeline knows nothing of streams: the engine and the model
// it is given are wrapped, and the wrappers tell the stream found in the
// call's context.

type stageKey struct{}

// withStages returns ctx carrying fn, which receives each stage.
func withStages(ctx context.Context, fn func(stage string)) context.Context {
	return context.WithValue(ctx, stageKey{}, fn)
}

func stage(ctx context.Context, name string) {
	if fn, ok := ctx.Value(stageKey{}).(func(string)); ok {
		fn(name)
	}
}

// stageSearcher reports "search" before each search.
type stageSearcher struct{ answer.Searcher }

func (s stageSearcher) Search(ctx context.Context, q retrieval.Query) (*retrieval.Result, error) {
	stage(ctx, "search")
	return s.Searcher.Search(ctx, q)
}

// stageChatter reports "generate" when the answer itself (the streamed
// call; the rewrite and the judge are not streamed) starts, and "check"
// when it ends and the sentences are checked. It also tells the stream
// when the model's server was busy.
type stageChatter struct{ answer.Chatter }

func (c stageChatter) Chat(ctx context.Context, req ollama.ChatRequest, onToken func(string) error) (ollama.ChatResult, error) {
	if onToken == nil {
		return c.Chatter.Chat(ctx, req, nil)
	}
	stage(ctx, "generate")
	res, err := c.Chatter.Chat(ctx, req, onToken)
	stage(ctx, "check")
	if err != nil {
		if fn, ok := ctx.Value(chatErrKey{}).(func(error)); ok {
			fn(err)
		}
	}
	return res, err
}

type chatErrKey struct{}

// withChatErr returns ctx carrying fn, which receives the answer call's
// error.
func withChatErr(ctx context.Context, fn func(error)) context.Context {
	return context.WithValue(ctx, chatErrKey{}, fn)
}
