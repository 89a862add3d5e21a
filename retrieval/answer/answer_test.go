package answer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
	"github.com/imy/imyrag/retrieval/store/local"
)

// The test model's words are noise: these tests check the pipeline around
// it (hybrid search, budgets, streaming, checks, fallbacks), never what it
// says.

const question = "Vilka förutsättningar gäller för att delta i sandlådan?"

// smallCorpus is the part of the bundled corpus the tests index: the two
// short documents about the regulatory sandbox (8 passages). Embedding the
// whole corpus with the test model would take minutes on two cores.
var smallCorpus = []string{"imy-2023-slutredovisning-innovationssystemet", "imy-2025-innovationshubben-regulatorisk-sandlada"}

var shared struct {
	once sync.Once
	st   *local.Store
	err  error
}

// embeddedIndex is the small corpus with vectors from the test embedding
// model, built once per test process (the test models are the same on every
// test server, so the vectors are too).
func embeddedIndex(t testing.TB, srv *ollamatest.Server) *local.Store {
	t.Helper()
	shared.once.Do(func() {
		ctx := context.Background()
		dir, err := os.MkdirTemp("", "imyrag-answer-test-")
		if err != nil {
			shared.err = err
			return
		}
		st, err := local.Open(ctx, filepath.Join(dir, "index.db"))
		if err != nil {
			shared.err = err
			return
		}
		p, err := ingest.New(ctx, st, ingest.Options{})
		if err != nil {
			shared.err = err
			return
		}
		defer p.Close()
		var srcs []ingest.Source
		for _, s := range ingest.Bundled() {
			if slices.Contains(smallCorpus, s.ID) {
				srcs = append(srcs, s)
			}
		}
		if _, shared.err = p.Run(ctx, srcs); shared.err != nil {
			return
		}
		c := client(t, srv, ollama.Config{})
		if _, shared.err = ingest.Embed(ctx, st, c, ingest.EmbedOptions{}); shared.err == nil {
			shared.st = st
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.st
}

// chatModel is a test chat model with an 8k context: the test models read
// Swedish byte by byte, about 4 tokens per cl100k token, so the default
// 2,048 would hold no passage. Prompt evaluation grows faster than linearly
// with the test model (12k tokens take 40 s on two cores), so the tests
// give it two passages unless they need more.
const chatModel = "imyrag-test-chat-8k"

// byteRatio is the test models' tokens per cl100k token, rounded up
// (measured: 1,176 bytes of corpus-like Swedish are 1,166 tokens).
const byteRatio = 4

func client(t testing.TB, srv *ollamatest.Server, cfg ollama.Config) *ollama.Client {
	t.Helper()
	cfg.Host = srv.Host()
	if cfg.ChatModel == "" {
		srv.CreateModel(t, chatModel, ollamatest.ModelOptions{ContextLength: 8192})
		cfg.ChatModel = chatModel
	}
	if cfg.EmbedModel == "" {
		cfg.EmbedModel = ollamatest.EmbedModel
	}
	if cfg.NumCtx == 0 {
		cfg.NumCtx = 8192
	}
	c, err := ollama.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newAnswerer(t testing.TB, st *local.Store, c *ollama.Client, opts answer.Options) *answer.Answerer {
	t.Helper()
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	if opts.AnswerTokens == 0 {
		opts.AnswerTokens = 48 // the noise model never stops by itself
	}
	if opts.TokenRatio == 0 {
		opts.TokenRatio = byteRatio
	}
	if opts.Passages == 0 {
		opts.Passages = 2
	}
	eng := retrieval.NewEngine(st, analyze.Default(), retrieval.Options{})
	if c == nil {
		return answer.New(eng, nil, nil, tok, analyze.Default(), opts)
	}
	return answer.New(eng, c, c, tok, analyze.Default(), opts)
}

func TestGenerativeAnswerStreamsHybridAndChecksEverySentence(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	t0 := time.Now()
	st := embeddedIndex(t, srv)
	t.Logf("index with vectors in %v", time.Since(t0))
	a := newAnswerer(t, st, client(t, srv, ollama.Config{}), answer.Options{})
	var streamed strings.Builder
	res, err := a.Answer(context.Background(), answer.Request{Question: question, OnToken: func(s string) error {
		streamed.WriteString(s)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ans := res.Answer
	if ans.Mode != "generative" || ans.Model != chatModel || ans.PromptVersion != prompts.Version {
		t.Fatalf("mode %q model %q prompts %q; problems %v", ans.Mode, ans.Model, ans.PromptVersion, ans.Problems)
	}
	if !slices.Contains(res.Search.Legs, "dense") || !slices.Contains(res.Search.Legs, "lexical") {
		t.Fatalf("search legs %v, want hybrid", res.Search.Legs)
	}
	if streamed.String() != ans.Text || ans.Text == "" {
		t.Fatalf("streamed %q, answer %q", streamed.String(), ans.Text)
	}
	if len(ans.Sources) == 0 {
		t.Fatal("no sources")
	}
	for i, s := range ans.Sources {
		if s.N != i+1 || s.ChunkID == "" || s.Quote == "" {
			t.Fatalf("source %d: %+v", i, s)
		}
	}
	// Every sentence was checked: supported, or flagged.
	if len(ans.Sentences) == 0 {
		t.Fatalf("no sentences for %q", ans.Text)
	}
	// Only text without a single informative word (connectives, the noise
	// model's "är en en") may go unflagged without support.
	for _, s := range ans.Sentences {
		if !s.Supported && len(s.Flags) == 0 && len(analyze.Default().Terms(s.Text)) > 0 {
			t.Errorf("sentence %q is unsupported without a flag", s.Text)
		}
	}
	t.Logf("timings: %+v", res.Timings)
	if res.Timings.Generate <= 0 || res.Timings.Embed <= 0 || res.Timings.Overhead() <= 0 {
		t.Fatalf("timings %+v", res.Timings)
	}
}

func TestFollowUpIsRewritten(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	st := embeddedIndex(t, srv)
	a := newAnswerer(t, st, client(t, srv, ollama.Config{}), answer.Options{})
	res, err := a.Answer(context.Background(), answer.Request{
		Question: "Och vem får delta?",
		History: []prompts.Turn{
			{Role: "user", Content: "Vad är IMY:s regulatoriska sandlåda?"},
			{Role: "assistant", Content: "En sandlåda där organisationer får vägledning om dataskydd [1]."},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Timings.Rewrite <= 0 {
		t.Fatal("the follow-up was not sent to the model for rewriting")
	}
	// The noise model's rewrite is used when it is a usable question and
	// flagged when it is not; either way the user can see what happened.
	rewrote := res.Standalone != "" && res.Standalone != "Och vem får delta?"
	flagged := slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, "följdfrågan") })
	if rewrote == flagged {
		t.Fatalf("standalone %q, problems %v: want exactly one of a rewrite or a flag", res.Standalone, res.Problems)
	}
}

func TestContextBudgetTooSmallFallsBackWithTheProblemNamed(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	st := embeddedIndex(t, srv)
	tests := []struct {
		name     string
		numCtx   int
		question string
		problem  string
	}{
		// The fixed prompt is about 2,300 test-model tokens: 3,100 leaves
		// room for it but not for the shortest passage.
		{"sources do not fit", 3100, question, "får plats i modellens kontext"},
		{"question too long", 4096, question + strings.Repeat(" Hur ser sandlådan ut för personuppgifter?", 40), "frågan är för lång"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAnswerer(t, st, client(t, srv, ollama.Config{NumCtx: tt.numCtx}), answer.Options{})
			res, err := a.Answer(context.Background(), answer.Request{Question: tt.question})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, tt.problem) }) {
				t.Fatalf("problems %v do not mention %q", res.Problems, tt.problem)
			}
			if res.Mode != "extractive" || (res.Text == "" && !res.Abstained) {
				t.Fatalf("mode %q text %q: want the extractive answer", res.Mode, res.Text)
			}
		})
	}
}

func TestSomeSourcesDroppedIsFlagged(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	st := embeddedIndex(t, srv)
	// 5,000 tokens hold the fixed prompt and one or two passages of six.
	a := newAnswerer(t, st, client(t, srv, ollama.Config{NumCtx: 5000}), answer.Options{Passages: 6})
	res, err := a.Answer(context.Background(), answer.Request{Question: question})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "generative" {
		t.Fatalf("mode %q, problems %v", res.Mode, res.Problems)
	}
	if !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, "fick inte plats") }) {
		t.Fatalf("problems %v: 6 passages cannot fit 5,000 tokens, the drop must be said", res.Problems)
	}
}

func TestServerStoppedMidAnswer(t *testing.T) {
	srv := ollamatest.StartFresh(t)
	srv.Models(t)
	st := embeddedIndex(t, srv)
	a := newAnswerer(t, st, client(t, srv, ollama.Config{}), answer.Options{AnswerTokens: 1000})
	var n atomic.Int32
	res, err := a.Answer(context.Background(), answer.Request{Question: question, OnToken: func(string) error {
		if n.Add(1) == 3 {
			go srv.Stop()
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "generative" || res.Text == "" {
		t.Fatalf("mode %q text %q: want the partial answer", res.Mode, res.Text)
	}
	if !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, "avbröts") }) {
		t.Fatalf("problems %v: the cut-off is not said", res.Problems)
	}
}

func TestMissingChatModelFallsBackToExtractive(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	st := embeddedIndex(t, srv)
	a := newAnswerer(t, st, client(t, srv, ollama.Config{ChatModel: "no-such-model"}), answer.Options{})
	res, err := a.Answer(context.Background(), answer.Request{Question: question})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "extractive" || len(res.Sources) == 0 {
		t.Fatalf("mode %q, %d sources", res.Mode, len(res.Sources))
	}
	if !slices.ContainsFunc(res.Problems, func(p string) bool { return strings.Contains(p, "imyrag models pull") }) {
		t.Fatalf("problems %v do not say what to do", res.Problems)
	}
}

func TestWithoutModelIsExtractive(t *testing.T) {
	st, err := ingesttest.Bundled(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a := newAnswerer(t, st, nil, answer.Options{})
	res, err := a.Answer(context.Background(), answer.Request{Question: question})
	if err != nil {
		t.Fatal(err)
	}
	if res.Mode != "extractive" || res.Abstained || len(res.Problems) != 0 || slices.Contains(res.Search.Legs, "dense") {
		t.Fatalf("mode %q abstained %v problems %v legs %v", res.Mode, res.Abstained, res.Problems, res.Search.Legs)
	}
	for _, q := range []string{"", "   ", string([]byte{0xff, 0xfe})} {
		if _, err := a.Answer(context.Background(), answer.Request{Question: q}); !errors.Is(err, retrieval.ErrBadQuery) {
			t.Errorf("Answer(%q) = %v, want ErrBadQuery", q, err)
		}
	}
}
