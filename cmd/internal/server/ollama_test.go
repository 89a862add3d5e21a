package server

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

const chatModel = "imyrag-server-chat-8k"

// countingChatter counts the model calls in flight.
type countingChatter struct {
	answer.Chatter
	inFlight atomic.Int64
	calls    atomic.Int64
}

func (c *countingChatter) Chat(ctx context.Context, req ollama.ChatRequest, onToken func(string) error) (ollama.ChatResult, error) {
	c.inFlight.Add(1)
	c.calls.Add(1)
	defer c.inFlight.Add(-1)
	return c.Chatter.Chat(ctx, req, onToken)
}

// ollamaDeps answers with the test Ollama server over the bundled corpus.
// The test models read Swedish byte by byte and slow down sharply with
// long prompts: two passages and 32-token answers keep an answer to
// seconds (as in cmd/internal/cli's tests).
func ollamaDeps(t testing.TB) (Deps, *countingChatter) {
	t.Helper()
	srv := ollamatest.Start(t)
	srv.Models(t)
	srv.CreateModel(t, chatModel, ollamatest.ModelOptions{ContextLength: 8192})
	c, err := ollama.New(context.Background(), ollama.Config{Host: srv.Host(), ChatModel: chatModel,
		EmbedModel: ollamatest.EmbedModel, NumCtx: 8192, ChatTimeout: 2 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	cc := &countingChatter{Chatter: c}
	d := extractiveDeps(t)
	d.Chatter, d.Embedder, d.LLM, d.Counter = cc, c, c, tok
	d.Answer = answer.Options{Passages: 2, AnswerTokens: 32}
	return d, cc
}

func sseRequest(ctx context.Context, base, body string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/ask", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	return req
}

// A generated answer streams status, tokens and the checked answer; a
// client that disconnects mid-stream ends the model's call, and nothing
// is left running.
func TestOllamaStream(t *testing.T) {
	d, cc := ollamaDeps(t)
	s := newServer(t, Config{}, d)
	base := serve(t, s)
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}

	code, _, body := do(t, c, "GET", base+"/api/status", "", "", nil)
	if code != 200 || !strings.Contains(string(body), `"reachable":true`) || !strings.Contains(string(body), chatModel) {
		t.Fatalf("status: %d %s", code, body)
	}
	if code, _, body = do(t, c, "GET", base+"/readyz", "", "", nil); code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}

	// A whole answer.
	t0 := time.Now()
	res, err := c.Do(sseRequest(context.Background(), base, `{"question": "Vilka förutsättningar gäller för att delta i sandlådan?"}`))
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	var firstToken time.Duration
	var streamed strings.Builder
	var final struct {
		Answer  string `json:"answer"`
		Mode    string
		Sources []any
		Model   string
	}
	for ev := range readEvents(res.Body, "") {
		switch ev.name {
		case "status":
			var st struct{ Stage string }
			_ = json.Unmarshal([]byte(ev.data), &st)
			stages = append(stages, st.Stage)
		case "token":
			if firstToken == 0 {
				firstToken = time.Since(t0)
			}
			var tok struct{ Text string }
			_ = json.Unmarshal([]byte(ev.data), &tok)
			streamed.WriteString(tok.Text)
		case "answer":
			if err := json.Unmarshal([]byte(ev.data), &final); err != nil {
				t.Fatal(err)
			}
		case "error":
			t.Fatalf("error event: %s", ev.data)
		}
	}
	res.Body.Close()
	t.Logf("first token after %v, answer after %v", firstToken, time.Since(t0))
	if strings.Join(stages, ",") != "search,generate,check" {
		t.Errorf("stages %v", stages)
	}
	if final.Mode != "generative" || final.Model != chatModel || final.Answer != streamed.String() || len(final.Sources) == 0 {
		t.Errorf("answer %+v, streamed %q", final, streamed.String())
	}

	// A client that goes away after the first token.
	tr.CloseIdleConnections()
	waitFor(t, "no connections", func() bool { return s.OpenConns() == 0 })
	before := runtime.NumGoroutine()
	calls := cc.calls.Load()
	ctx, cancel := context.WithCancel(context.Background())
	res, err = c.Do(sseRequest(ctx, base, `{"question": "Vad är en regulatorisk sandlåda?"}`))
	if err != nil {
		t.Fatal(err)
	}
	for ev := range readEvents(res.Body, "") {
		if ev.name == "token" {
			break
		}
		if ev.name == "answer" || ev.name == "error" {
			t.Fatalf("the stream ended before a token: %s %s", ev.name, ev.data)
		}
	}
	cancel()
	res.Body.Close()
	waitFor(t, "the Ollama call to end", func() bool { return cc.inFlight.Load() == 0 && s.gate.inFlight() == 0 })
	if cc.calls.Load() != calls+1 {
		t.Errorf("%d model calls for one question", cc.calls.Load()-calls)
	}
	checkDrained(t, s, tr, before)
}

// 500 questions, 32 at a time, against the test model with one
// generation at a time and two waiting: only 200s and 429s (with
// Retry-After), and afterwards nothing is left running.
func TestOllamaLoad(t *testing.T) {
	d, cc := ollamaDeps(t)
	s := newServer(t, Config{MaxConcurrent: 1, Queue: 2}, d)
	base := serve(t, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr, Timeout: 5 * time.Minute}
	warm(t, c, base)
	tr.CloseIdleConnections()
	waitFor(t, "no connections", func() bool { return s.OpenConns() == 0 })
	before := runtime.NumGoroutine()

	res := load(c, 500, 32, askLoad(base, "Vad är en regulatorisk sandlåda?"))
	t.Logf("%v", res)
	if len(res.errs) > 0 || res.codes[200]+res.codes[429] != 500 || res.codes[200] == 0 || res.codes[429] == 0 || res.noRetry > 0 {
		t.Errorf("%v; first error %v", res, append(res.errs, nil)[0])
	}
	if cc.inFlight.Load() != 0 {
		t.Errorf("%d model calls still running", cc.inFlight.Load())
	}
	checkDrained(t, s, tr, before)
}
