package ollamatest_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ollama/ollama/api"

	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

// These tests pin down how the real server behaves (status codes, error
// texts, stream shapes), because the product's Ollama client depends on it:
// an upgrade of Ollama that changes any of it fails here first.

func TestStartShared(t *testing.T) {
	srv := ollamatest.Start(t)
	if again := ollamatest.Start(t); again != srv {
		t.Errorf("second Start returned another server (%s, first %s)", again.Host(), srv.Host())
	}
	if got := srv.URL().String(); got != "http://"+srv.Host() {
		t.Errorf("URL() = %s, want http://%s", got, srv.Host())
	}
	var v struct{ Version string }
	if code := get(t, srv, "/api/version", &v); code != http.StatusOK || v.Version == "" {
		t.Fatalf("GET /api/version: %d %+v", code, v)
	}
	t.Logf("server version %q", v.Version)
}

func TestStartAfterStop(t *testing.T) {
	old := ollamatest.Start(t)
	old.Stop()
	if !old.Stopped() {
		t.Fatal("Stopped() = false after Stop")
	}
	srv := ollamatest.Start(t)
	if srv == old {
		t.Fatal("Start returned the stopped server")
	}
	var v struct{ Version string }
	if code := get(t, srv, "/api/version", &v); code != http.StatusOK {
		t.Fatalf("GET /api/version on the new server: %d", code)
	}
	if _, err := http.Get(old.URL().JoinPath("api", "version").String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("GET /api/version on the stopped server: err = %v, want connection refused", err)
	}
}

func TestModelsListed(t *testing.T) {
	srv := ollamatest.Start(t)
	start := time.Now()
	srv.Models(t)
	t.Logf("created %s and %s in %v", ollamatest.ChatModel, ollamatest.EmbedModel, time.Since(start))

	var tags struct{ Models []struct{ Name string } }
	if code := get(t, srv, "/api/tags", &tags); code != http.StatusOK {
		t.Fatalf("GET /api/tags: %d", code)
	}
	var names []string
	for _, m := range tags.Models {
		names = append(names, m.Name)
	}
	for _, want := range []string{ollamatest.ChatModel + ":latest", ollamatest.EmbedModel + ":latest"} {
		if !strings.Contains(strings.Join(names, " "), want) {
			t.Errorf("GET /api/tags lists %q, want %s among them", names, want)
		}
	}
}

func TestShow(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	const small = "imyrag-test-show-small"
	srv.CreateModel(t, small, ollamatest.ModelOptions{ContextLength: 128, EmbeddingDim: 32})

	type show struct {
		ContextLength   float64  // model_info["llama.context_length"]
		EmbeddingLength float64  // model_info["llama.embedding_length"]
		Capabilities    []string // capabilities
	}
	tests := []struct {
		model string
		want  show
	}{
		{ollamatest.ChatModel, show{2048, 64, []string{"completion"}}},
		{ollamatest.EmbedModel, show{2048, 64, []string{"embedding"}}},
		{small, show{128, 32, []string{"completion"}}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			var resp struct {
				ModelInfo    map[string]any `json:"model_info"`
				Capabilities []string
			}
			if code := post(t, srv, "/api/show", map[string]any{"model": tt.model}, &resp); code != http.StatusOK {
				t.Fatalf("POST /api/show: %d", code)
			}
			got := show{
				ContextLength:   number(resp.ModelInfo["llama.context_length"]),
				EmbeddingLength: number(resp.ModelInfo["llama.embedding_length"]),
				Capabilities:    resp.Capabilities,
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("POST /api/show (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmbed(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	// Ollama embeds with any model: a chat model gives the hidden state of
	// the last token, an embedding model the mean over the input.
	for _, model := range []string{ollamatest.EmbedModel, ollamatest.ChatModel} {
		t.Run(model, func(t *testing.T) {
			input := []string{"Vad säger lagen om personuppgifter?", "och", "x"}
			var resp struct {
				Embeddings      [][]float32
				PromptEvalCount int `json:"prompt_eval_count"`
			}
			start := time.Now()
			code := post(t, srv, "/api/embed", map[string]any{"model": model, "input": input, "truncate": false}, &resp)
			t.Logf("embedded %d inputs in %v", len(input), time.Since(start))
			if code != http.StatusOK {
				t.Fatalf("POST /api/embed: %d", code)
			}
			if len(resp.Embeddings) != len(input) {
				t.Fatalf("got %d embeddings for %d inputs", len(resp.Embeddings), len(input))
			}
			for i, e := range resp.Embeddings {
				if len(e) != 64 {
					t.Errorf("embedding %d has %d dimensions, want 64", i, len(e))
				}
				if n := norm(e); math.Abs(n-1) > 1e-3 {
					t.Errorf("embedding %d has norm %g, want 1 (Ollama normalises)", i, n)
				}
			}
			if resp.PromptEvalCount < len(input) {
				t.Errorf("prompt_eval_count = %d, want at least one token per input", resp.PromptEvalCount)
			}
		})
	}
}

// TestEmbedTruncates: without "truncate": false, an input longer than the
// context is cut to fit and embedded.
func TestEmbedTruncates(t *testing.T) {
	srv := ollamatest.Start(t)
	const model = "imyrag-test-ctx64"
	srv.CreateModel(t, model, ollamatest.ModelOptions{ContextLength: 64})
	var resp struct {
		Embeddings      [][]float32
		PromptEvalCount int `json:"prompt_eval_count"`
	}
	if code := post(t, srv, "/api/embed", map[string]any{"model": model, "input": longInput}, &resp); code != http.StatusOK {
		t.Fatalf("POST /api/embed: %d", code)
	}
	if len(resp.Embeddings) != 1 || resp.PromptEvalCount != 64 {
		t.Errorf("got %d embeddings from %d tokens, want 1 from 64", len(resp.Embeddings), resp.PromptEvalCount)
	}
}

func TestChatStream(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	const predict = 8
	req := map[string]any{
		"model":    ollamatest.ChatModel,
		"messages": []map[string]string{{"role": "system", "content": "Svara kort."}, {"role": "user", "content": "Vad är en personuppgift?"}},
		"options":  map[string]any{"num_predict": predict, "seed": 1, "temperature": 0},
	}
	start := time.Now()
	resp := postStream(t, srv, "/api/chat", req)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/chat: %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type = %q, want application/x-ndjson", ct)
	}
	chunks, err := readChunks(resp.Body)
	t.Logf("%d chunks in %v", len(chunks), time.Since(start))
	if err != nil {
		t.Fatalf("read stream: %v", err)
	}
	if len(chunks) < 2 {
		t.Fatalf("got %d chunks, want several", len(chunks))
	}
	var text strings.Builder
	for i, c := range chunks[:len(chunks)-1] {
		if c.Done || c.Message.Role != "assistant" {
			t.Errorf("chunk %d = %+v, want an assistant message not done", i, c)
		}
		text.WriteString(c.Message.Content)
	}
	last := chunks[len(chunks)-1]
	if !last.Done || last.DoneReason != "length" || last.EvalCount != predict || last.PromptEvalCount == 0 {
		t.Errorf("last chunk = %+v, want done for length after %d tokens", last, predict)
	}
	if text.Len() == 0 {
		t.Error("the answer is empty")
	}
	t.Logf("answer %q", text.String())
}

// longInput is about 200 tokens, more than the 64 of the imyrag-test-ctx64
// model.
var longInput = strings.Repeat("och att ", 100)

// TestErrors records the status and the error text of failing requests.
func TestErrors(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	srv.CreateModel(t, "imyrag-test-ctx64", ollamatest.ModelOptions{ContextLength: 64})
	const missing = "imyrag-no-such-model"
	user := func(s string) []map[string]string { return []map[string]string{{"role": "user", "content": s}} }

	tests := []struct {
		name, path string
		req        map[string]any
		wantStatus int
		wantError  string
	}{
		{
			"chat missing model", "/api/chat",
			map[string]any{"model": missing, "messages": user("hej")},
			http.StatusNotFound, `model 'imyrag-no-such-model' not found`,
		},
		{
			"embed missing model", "/api/embed",
			map[string]any{"model": missing, "input": "hej"},
			http.StatusNotFound, `model "imyrag-no-such-model" not found, try pulling it first`,
		},
		{
			"chat with an embedding model", "/api/chat",
			map[string]any{"model": ollamatest.EmbedModel, "messages": user("hej")},
			http.StatusBadRequest, `"imyrag-test-embed" does not support chat`,
		},
		{
			"embed longer than the context", "/api/embed",
			map[string]any{"model": "imyrag-test-ctx64", "input": []string{"hej", longInput}, "truncate": false},
			http.StatusBadRequest, "the input length exceeds the context length",
		},
		{
			// The error comes before the stream starts: a plain JSON
			// error, not an NDJSON stream.
			"chat stream longer than the context", "/api/chat",
			map[string]any{"model": "imyrag-test-ctx64", "messages": user(longInput), "truncate": false},
			http.StatusBadRequest, "the input length exceeds the context length",
		},
		{
			"chat longer than the context", "/api/chat",
			map[string]any{"model": "imyrag-test-ctx64", "messages": user(longInput), "truncate": false, "stream": false},
			http.StatusBadRequest, "the input length exceeds the context length",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp struct{ Error string }
			code := post(t, srv, tt.path, tt.req, &resp)
			if code != tt.wantStatus || resp.Error != tt.wantError {
				t.Errorf("POST %s = %d %q, want %d %q", tt.path, code, resp.Error, tt.wantStatus, tt.wantError)
			}
		})
	}
}

// TestStopMidStream: a server that dies while it streams an answer cuts
// the connection; the client sees a read error, never a final chunk.
func TestStopMidStream(t *testing.T) {
	srv := ollamatest.StartFresh(t)
	srv.CreateModel(t, ollamatest.ChatModel, ollamatest.ModelOptions{})
	resp := postStream(t, srv, "/api/chat", map[string]any{
		"model":    ollamatest.ChatModel,
		"messages": []map[string]string{{"role": "user", "content": "hej"}},
		"options":  map[string]any{"num_predict": 100000},
	})
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/chat: %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	if !sc.Scan() {
		t.Fatalf("no first chunk: %v", sc.Err())
	}
	srv.Stop()
	n := 0
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"done":true`)) {
			t.Fatalf("got a final chunk after Stop: %s", sc.Bytes())
		}
		n++
	}
	t.Logf("%d more chunks after Stop, then: %v", n, sc.Err())
	// The kernel closes the dead server's socket with a FIN (the chunked
	// body ends early) or, had data been left unread, a RST.
	if err := sc.Err(); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("read after Stop: err = %v, want unexpected EOF or connection reset", err)
	}
}

// TestStopMidStreamAPIClient: the Go client of the ollama module does not
// report a cut stream (it ignores the scanner's error in Client.stream):
// Chat returns nil, and only the missing Done tells that the answer is cut.
// Code that uses it must check the last response's Done.
func TestStopMidStreamAPIClient(t *testing.T) {
	srv := ollamatest.StartFresh(t)
	srv.CreateModel(t, ollamatest.ChatModel, ollamatest.ModelOptions{})
	var last api.ChatResponse
	n := 0
	err := srv.Client().Chat(t.Context(), &api.ChatRequest{
		Model:    ollamatest.ChatModel,
		Messages: []api.Message{{Role: "user", Content: "hej"}},
		Options:  map[string]any{"num_predict": 100000},
	}, func(r api.ChatResponse) error {
		if n++; n == 2 {
			srv.Stop()
		}
		last = r
		return nil
	})
	if err != nil || last.Done {
		t.Errorf("Chat cut by Stop after %d responses: err = %v, last Done = %v; want nil and false (if this fails, the client got better)", n, err, last.Done)
	}
}

func BenchmarkEmbed(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	req := map[string]any{"model": ollamatest.EmbedModel, "input": "Vad säger lagen om personuppgifter?", "truncate": false}
	for b.Loop() {
		var resp struct{ Embeddings [][]float32 }
		if code := post(b, srv, "/api/embed", req, &resp); code != http.StatusOK {
			b.Fatalf("POST /api/embed: %d", code)
		}
	}
}

func BenchmarkChat(b *testing.B) {
	srv := ollamatest.Start(b)
	srv.Models(b)
	req := map[string]any{
		"model":    ollamatest.ChatModel,
		"messages": []map[string]string{{"role": "user", "content": "Vad är en personuppgift?"}},
		"options":  map[string]any{"num_predict": 8},
		"stream":   false,
	}
	for b.Loop() {
		var resp struct{ Done bool }
		if code := post(b, srv, "/api/chat", req, &resp); code != http.StatusOK || !resp.Done {
			b.Fatalf("POST /api/chat: %d %+v", code, resp)
		}
	}
}

func BenchmarkCreateModel(b *testing.B) {
	srv := ollamatest.Start(b)
	for b.Loop() {
		srv.CreateModel(b, "imyrag-test-bench", ollamatest.ModelOptions{})
	}
}

func BenchmarkStartFresh(b *testing.B) {
	for b.Loop() {
		ollamatest.StartFresh(b).Stop()
	}
}

// chunk is one line of a streamed /api/chat answer.
type chunk struct {
	Message struct {
		Role, Content string
	}
	Done            bool
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	Error           string
}

func readChunks(r io.Reader) ([]chunk, error) {
	var chunks []chunk
	dec := json.NewDecoder(r)
	for {
		var c chunk
		if err := dec.Decode(&c); err == io.EOF {
			return chunks, nil
		} else if err != nil {
			return chunks, err
		}
		if c.Error != "" {
			return chunks, errors.New(c.Error)
		}
		chunks = append(chunks, c)
	}
}

var client = &http.Client{Timeout: time.Minute}

// post sends req as JSON and decodes the answer into resp; it returns the
// status code.
func post(tb testing.TB, srv *ollamatest.Server, path string, req, resp any) int {
	tb.Helper()
	r := postStream(tb, srv, path, req)
	defer r.Body.Close()
	if err := json.NewDecoder(r.Body).Decode(resp); err != nil {
		tb.Fatalf("POST %s: decode the answer: %v", path, err)
	}
	return r.StatusCode
}

// postStream sends req as JSON and returns the response to read.
func postStream(tb testing.TB, srv *ollamatest.Server, path string, req any) *http.Response {
	tb.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		tb.Fatal(err)
	}
	r, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, srv.URL().JoinPath(path).String(), bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(r)
	if err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	return resp
}

func get(tb testing.TB, srv *ollamatest.Server, path string, resp any) int {
	tb.Helper()
	r, err := http.NewRequestWithContext(tb.Context(), http.MethodGet, srv.URL().JoinPath(path).String(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := client.Do(r)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(resp); err != nil {
		tb.Fatalf("GET %s: decode the answer: %v", path, err)
	}
	return res.StatusCode
}

func number(v any) float64 {
	f, _ := v.(float64)
	return f
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}
