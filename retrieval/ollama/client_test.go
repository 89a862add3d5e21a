package ollama_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{in: "127.0.0.1", want: "http://127.0.0.1:11434"},
		{in: "127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://localhost:11434/", want: "http://localhost:11434"},
		{in: "https://ollama.imy.local", want: "https://ollama.imy.local:443"},
		{in: "[::1]:5000", want: "http://[::1]:5000"},
		{in: " 10.0.0.5 ", want: "http://10.0.0.5:11434"},
		{in: "", err: true},
		{in: "ftp://host", err: true},
		{in: "http://", err: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, err := ollama.ParseHost(tt.in)
			if tt.err {
				if err == nil {
					t.Fatalf("ParseHost(%q) = %v, want an error", tt.in, u)
				}
				return
			}
			if err != nil || u.String() != tt.want {
				t.Fatalf("ParseHost(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
			}
		})
	}
}

func TestCheckLocal(t *testing.T) {
	tests := []struct {
		host   string
		remote bool
	}{
		{"127.0.0.1", false},
		{"::1", false},
		{"localhost", false},
		{"10.1.2.3", false},
		{"172.16.0.9", false},
		{"192.168.1.20", false},
		{"fd00::1", false},
		{"8.8.8.8", true},
		{"172.32.0.1", true},
		{"2001:4860:4860::8888", true},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			err := ollama.CheckLocal(context.Background(), tt.host)
			if got := errors.Is(err, ollama.ErrRemoteHost); got != tt.remote {
				t.Fatalf("CheckLocal(%s) = %v, remote %v want %v", tt.host, err, got, tt.remote)
			}
		})
	}
}

func TestNewRefusesRemoteHostUnlessAllowed(t *testing.T) {
	ctx := context.Background()
	if _, err := ollama.New(ctx, ollama.Config{Host: "8.8.8.8"}); !errors.Is(err, ollama.ErrRemoteHost) {
		t.Fatalf("New(remote) = %v, want ErrRemoteHost", err)
	} else if !strings.Contains(err.Error(), "--allow-remote-llm") {
		t.Fatalf("the error does not say how to allow the host: %v", err)
	}
	if _, err := ollama.New(ctx, ollama.Config{Host: "8.8.8.8", AllowRemote: true}); err != nil {
		t.Fatalf("New(remote, allowed) = %v", err)
	}
	// A server told to listen on every interface is reached on loopback.
	c, err := ollama.New(ctx, ollama.Config{Host: "0.0.0.0:11434"})
	if err != nil || c.Host() != "http://127.0.0.1:11434" {
		t.Fatalf("New(0.0.0.0) = %v, %v; want http://127.0.0.1:11434", c.Host(), err)
	}
}

// testClient returns a client of the shared test server with the test
// models.
func testClient(t *testing.T, cfg ollama.Config) (*ollama.Client, *ollamatest.Server) {
	t.Helper()
	srv := ollamatest.Start(t)
	srv.Models(t)
	cfg.Host = srv.Host()
	if cfg.ChatModel == "" {
		cfg.ChatModel = ollamatest.ChatModel
	}
	if cfg.EmbedModel == "" {
		cfg.EmbedModel = ollamatest.EmbedModel
	}
	if cfg.NumCtx == 0 {
		cfg.NumCtx = 2048
	}
	c, err := ollama.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestCheck(t *testing.T) {
	c, _ := testClient(t, ollama.Config{})
	r, err := c.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("problems: %v", r.Problems)
	}
	if r.Version == "" || !r.Chat.Present || !r.Embed.Present {
		t.Fatalf("report %+v", r)
	}
	if r.EmbedDim != 64 || r.Chat.ContextLength != 2048 || r.Embed.EmbeddingLength != 64 {
		t.Fatalf("embed dim %d, chat context %d, embedding length %d; want 64, 2048, 64", r.EmbedDim, r.Chat.ContextLength, r.Embed.EmbeddingLength)
	}
}

func TestCheckFindsMissingModelAndSmallContext(t *testing.T) {
	c, _ := testClient(t, ollama.Config{ChatModel: "no-such-model", NumCtx: 4096})
	r, err := c.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Chat.Present || r.OK() {
		t.Fatalf("a missing chat model passed the check: %+v", r)
	}
	if !strings.Contains(strings.Join(r.Problems, "\n"), "imyrag models pull") {
		t.Fatalf("problems do not say what to do: %v", r.Problems)
	}

	c, _ = testClient(t, ollama.Config{NumCtx: 4096})
	r, err = c.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() || !strings.Contains(strings.Join(r.Problems, "\n"), "--num-ctx") {
		t.Fatalf("num_ctx 4096 over a 2048-token model passed: %v", r.Problems)
	}
}

func TestMissingModel(t *testing.T) {
	c, _ := testClient(t, ollama.Config{ChatModel: "no-such-chat", EmbedModel: "no-such-embed"})
	ctx := context.Background()
	if _, err := c.Embed(ctx, []string{"hej"}); !errors.Is(err, ollama.ErrModelMissing) || !strings.Contains(err.Error(), "imyrag models pull") {
		t.Fatalf("Embed with a missing model = %v", err)
	}
	if _, err := c.Chat(ctx, ollama.ChatRequest{Messages: []ollama.Message{{Role: "user", Content: "hej"}}}, nil); !errors.Is(err, ollama.ErrModelMissing) {
		t.Fatalf("Chat with a missing model = %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c, err := ollama.New(context.Background(), ollama.Config{Host: addr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Version(context.Background()); !errors.Is(err, ollama.ErrUnreachable) || !strings.Contains(err.Error(), "ollama serve") {
		t.Fatalf("Version against a closed port = %v", err)
	}
}

func TestEmbed(t *testing.T) {
	c, _ := testClient(t, ollama.Config{})
	inputs := []string{"Integritetsskyddsmyndigheten", "regulatorisk sandlåda för AI", "personuppgiftsbehandling"}
	e, err := c.Embed(context.Background(), inputs)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Vectors) != 3 || len(e.Vectors[0]) != 64 || e.Model != ollamatest.EmbedModel {
		t.Fatalf("got %d vectors of %d dims from %s", len(e.Vectors), len(e.Vectors[0]), e.Model)
	}
	if e.PromptEvalCount < len(inputs) {
		t.Fatalf("prompt_eval_count %d for %d inputs", e.PromptEvalCount, len(inputs))
	}
}

func TestEmbedTooLongIsAnErrorNotATruncation(t *testing.T) {
	c, _ := testClient(t, ollama.Config{EmbedCtx: 256})
	long := strings.Repeat("dataskyddsförordningen ", 200) // byte-level tokens: far over 256
	_, err := c.Embed(context.Background(), []string{long})
	if !errors.Is(err, ollama.ErrContextLength) {
		t.Fatalf("Embed of an input over the context = %v, want ErrContextLength", err)
	}
}

func TestChatStreams(t *testing.T) {
	c, _ := testClient(t, ollama.Config{})
	var pieces []string
	r, err := c.Chat(context.Background(), ollama.ChatRequest{
		Messages:   []ollama.Message{{Role: "system", Content: "Svara kort."}, {Role: "user", Content: "Vad är IMY?"}},
		NumPredict: 24, Seed: 1,
	}, func(s string) error { pieces = append(pieces, s); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !r.Done || r.PromptEvalCount == 0 || r.EvalCount == 0 {
		t.Fatalf("result %+v", r)
	}
	if len(pieces) < 2 || strings.Join(pieces, "") != r.Text {
		t.Fatalf("%d pieces, joined %q, text %q", len(pieces), strings.Join(pieces, ""), r.Text)
	}
	if r.DoneReason != "length" {
		t.Fatalf("done reason %q with num_predict 24, want length", r.DoneReason)
	}
}

func TestChatPromptOverContextIsAnError(t *testing.T) {
	c, _ := testClient(t, ollama.Config{NumCtx: 512})
	long := strings.Repeat("Integritetsskyddsmyndigheten granskar. ", 100)
	_, err := c.Chat(context.Background(), ollama.ChatRequest{Messages: []ollama.Message{{Role: "user", Content: long}}, NumPredict: 4}, nil)
	if err == nil {
		t.Fatal("a prompt over num_ctx was accepted (truncated?)")
	}
	if !errors.Is(err, ollama.ErrContextLength) {
		t.Logf("error is not classified as ErrContextLength: %v", err)
		t.Fail()
	}
}

func TestChatTimeout(t *testing.T) {
	c, _ := testClient(t, ollama.Config{ChatTimeout: time.Millisecond})
	_, err := c.Chat(context.Background(), ollama.ChatRequest{Messages: []ollama.Message{{Role: "user", Content: "hej"}}, NumPredict: 200}, nil)
	if !errors.Is(err, ollama.ErrTimeout) || !strings.Contains(err.Error(), "--llm-timeout") {
		t.Fatalf("Chat past its deadline = %v, want ErrTimeout", err)
	}
}

// A server that stops in the middle of an answer: the text so far is
// returned with ErrCutOff.
func TestChatServerStoppedMidStream(t *testing.T) {
	srv := ollamatest.StartFresh(t)
	srv.Models(t)
	c, err := ollama.New(context.Background(), ollama.Config{Host: srv.Host(), ChatModel: ollamatest.ChatModel, NumCtx: 2048})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int32
	r, err := c.Chat(context.Background(), ollama.ChatRequest{Messages: []ollama.Message{{Role: "user", Content: "Berätta om sandlådan."}}, NumPredict: 1500}, func(string) error {
		if n.Add(1) == 3 {
			go srv.Stop()
		}
		return nil
	})
	if !errors.Is(err, ollama.ErrCutOff) {
		t.Fatalf("Chat with the server stopped mid-stream = %v (after %d pieces), want ErrCutOff", err, n.Load())
	}
	if r.Done || r.Text == "" {
		t.Fatalf("partial result %+v: want the text so far and Done false", r)
	}
}

func TestCallerStopsStream(t *testing.T) {
	c, _ := testClient(t, ollama.Config{})
	stop := errors.New("enough")
	_, err := c.Chat(context.Background(), ollama.ChatRequest{Messages: []ollama.Message{{Role: "user", Content: "hej"}}, NumPredict: 50}, func(string) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("Chat = %v, want the callback's error", err)
	}
}
