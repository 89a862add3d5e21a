package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store/local"
)

const testToken = "s3cret-token"

// bundled is an index of the bundled corpus, built once per test binary
// (read only); its directory is removed by the first test's cleanup.
var bundled struct {
	once sync.Once
	st   *local.Store
	err  error
}

func bundledStore(t testing.TB) *local.Store {
	t.Helper()
	bundled.once.Do(func() {
		dir, err := tempDir()
		if err != nil {
			bundled.err = err
			return
		}
		bundled.st, bundled.err = ingesttest.Bundled(context.Background(), filepath.Join(dir, "index.db"))
	})
	if bundled.err != nil {
		t.Fatalf("ingest the bundled corpus: %v", bundled.err)
	}
	return bundled.st
}

// extractiveDeps answers without a language model.
func extractiveDeps(t testing.TB) Deps {
	st := bundledStore(t)
	return Deps{Store: st, Engine: retrieval.NewEngine(st, analyze.Default(), retrieval.Options{}), Analyzer: analyze.Default()}
}

// withChatter adds a (fake) language model.
func withChatter(t testing.TB, d Deps, c answer.Chatter) Deps {
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	d.Chatter, d.Counter = c, tok
	d.Answer = answer.Options{Passages: 2, AnswerTokens: 32}
	return d
}

// serve starts s on a loopback port until the test ends and returns the
// base URL. The cleanup shuts it down and fails the test on an error.
func serve(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func newServer(t testing.TB, cfg Config, d Deps) *Server {
	t.Helper()
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 5 * time.Second
	}
	s, err := New(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// do sends a request and returns the status, headers and body.
func do(t testing.TB, c *http.Client, method, url, ctype, body string, hdr map[string]string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return res.StatusCode, res.Header, data
}

var client = &http.Client{Timeout: 60 * time.Second}

func TestRoutesAndBadInput(t *testing.T) {
	s := newServer(t, Config{Token: testToken}, extractiveDeps(t))
	base := serve(t, s)
	st := bundledStore(t)
	chunks, err := st.Chunks(context.Background(), "imy-2025-ai-strategi")
	if err != nil || len(chunks) == 0 {
		t.Fatalf("chunks: %v", err)
	}
	chunkID := chunks[0].ID
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	const js = "application/json"
	huge := `{"question": "` + strings.Repeat("a", 2<<20) + `"}`

	tests := []struct {
		name         string
		method, path string
		ctype, body  string
		hdr          map[string]string
		want         int
		code         string // error code, when an error
		contains     string // in the body
	}{
		// The routes.
		{name: "ask", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "Vad är en regulatorisk sandlåda?"}`, want: 200, contains: `"mode":"extractive"`},
		{name: "ask with filters and history", method: "POST", path: "/api/ask", ctype: "application/json; charset=utf-8",
			body: `{"question": "Vem får delta?", "history": [{"role":"user","content":"Vad är sandlådan?"},{"role":"assistant","content":"En sandlåda [1]."}], "filters": {"kind": ["webbsida","sandlada"], "from": "2020", "to": "2025-12"}, "judge": false}`,
			want: 200, contains: `"timings"`},
		{name: "search", method: "GET", path: "/api/search?q=regulatorisk+sandl%C3%A5da&k=3&kind=webbsida,sandlada&from=2020", want: 200, contains: `"hits"`},
		{name: "documents", method: "GET", path: "/api/documents", want: 200, contains: `"imy-2025-ai-strategi"`},
		{name: "document", method: "GET", path: "/api/documents/imy-2025-ai-strategi", want: 200, contains: `"heading_path"`},
		{name: "chunk", method: "GET", path: "/api/chunks/" + chunkID, want: 200, contains: `"document":{"id":"imy-2025-ai-strategi"`},
		{name: "status", method: "GET", path: "/api/status", want: 200, contains: `"reachable":false`},
		{name: "models", method: "GET", path: "/v1/models", want: 200, contains: `"id":"imyrag"`},
		{name: "chat completion", method: "POST", path: "/v1/chat/completions", ctype: js,
			body: `{"model":"imyrag","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Vad är en regulatorisk sandlåda?"}],"temperature":0.2}`,
			want: 200, contains: `"object":"chat.completion"`},
		{name: "metrics", method: "GET", path: "/metrics", want: 200, contains: "imyrag_http_requests_total"},
		{name: "healthz without token", method: "GET", path: "/healthz", hdr: map[string]string{}, want: 200},
		{name: "readyz without token", method: "GET", path: "/readyz", hdr: map[string]string{}, want: 200, contains: `"llm":"off"`},
		{name: "page without token", method: "GET", path: "/", hdr: map[string]string{}, want: 200, contains: "<html"},

		// The token.
		{name: "no token", method: "GET", path: "/api/documents", hdr: map[string]string{}, want: 401, code: "unauthorized"},
		{name: "wrong token", method: "GET", path: "/api/documents", hdr: map[string]string{"Authorization": "Bearer nope"}, want: 401, code: "unauthorized"},
		{name: "token as basic auth", method: "GET", path: "/api/status", hdr: map[string]string{"Authorization": "Basic " + testToken}, want: 401, code: "unauthorized"},
		{name: "token in query string is not enough", method: "GET", path: "/api/status?token=" + testToken, hdr: map[string]string{}, want: 401, code: "unauthorized"},
		{name: "v1 without token", method: "GET", path: "/v1/models", hdr: map[string]string{}, want: 401, code: "unauthorized"},
		{name: "metrics without token", method: "GET", path: "/metrics", hdr: map[string]string{}, want: 401, code: "unauthorized"},

		// Bodies.
		{name: "malformed JSON", method: "POST", path: "/api/ask", ctype: js, body: `{"question": `, want: 400, code: "bad_request"},
		{name: "two JSON values", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "a"} {}`, want: 400, code: "bad_request"},
		{name: "empty body", method: "POST", path: "/api/ask", ctype: js, body: ``, want: 400, code: "bad_request"},
		{name: "wrong content type", method: "POST", path: "/api/ask", ctype: "text/plain", body: `{"question": "a"}`, want: 415, code: "unsupported_media_type"},
		{name: "no content type", method: "POST", path: "/api/ask", body: `{"question": "a"}`, want: 415, code: "unsupported_media_type"},
		{name: "oversized body", method: "POST", path: "/api/ask", ctype: js, body: huge, want: 413, code: "too_large"},
		{name: "unknown field", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "a", "stream": true}`, want: 400, code: "bad_request"},
		{name: "unknown filter field", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "a", "filters": {"kinds": ["beslut"]}}`, want: 400, code: "bad_request"},
		{name: "question wrong type", method: "POST", path: "/api/ask", ctype: js, body: `{"question": 42}`, want: 400, code: "bad_request"},
		{name: "empty question", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "  "}`, want: 400, code: "bad_request"},
		{name: "question too long", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "` + strings.Repeat("å", 2001) + `"}`, want: 400, code: "bad_request"},
		{name: "invalid history role", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "a", "history": [{"role":"system","content":"x"}]}`, want: 400, code: "bad_request"},
		{name: "unknown kind", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "sandlåda", "filters": {"kind": ["hemligt"]}}`, want: 400, code: "bad_request"},
		{name: "bad date", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "sandlåda", "filters": {"from": "igår"}}`, want: 400, code: "bad_request"},
		{name: "reversed dates", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "sandlåda", "filters": {"from": "2024", "to": "2020"}}`, want: 400, code: "bad_request"},
		{name: "bad diarienummer", method: "POST", path: "/api/ask", ctype: js, body: `{"question": "sandlåda", "filters": {"dnr": ["nope"]}}`, want: 400, code: "bad_request"},
		{name: "ask with GET", method: "GET", path: "/api/ask", want: 405, code: "method_not_allowed"},
		{name: "preflight (no CORS)", method: "OPTIONS", path: "/api/ask", want: 405, code: "method_not_allowed"},

		// Search parameters.
		{name: "search without q", method: "GET", path: "/api/search", want: 400, code: "bad_request"},
		{name: "search k too large", method: "GET", path: "/api/search?q=sandl%C3%A5da&k=1000", want: 400, code: "bad_request"},
		{name: "search k not a number", method: "GET", path: "/api/search?q=sandl%C3%A5da&k=ten", want: 400, code: "bad_request"},
		{name: "search unknown kind", method: "GET", path: "/api/search?q=sandl%C3%A5da&kind=x", want: 400, code: "bad_request"},
		{name: "search unknown document", method: "GET", path: "/api/search?q=sandl%C3%A5da&doc=nope", want: 400, code: "bad_request"},

		// IDs.
		{name: "unknown document", method: "GET", path: "/api/documents/no-such-doc", want: 404, code: "not_found"},
		{name: "unknown chunk", method: "GET", path: "/api/chunks/c_00000000000000000000", want: 404, code: "not_found"},
		{name: "encoded traversal in document id", method: "GET", path: "/api/documents/..%2F..%2Fetc%2Fpasswd", want: 400, code: "bad_request"},
		{name: "encoded traversal in chunk id", method: "GET", path: "/api/chunks/%2E%2E%2Findex.db", want: 400, code: "bad_request"},
		{name: "dot id", method: "GET", path: "/api/documents/.env", want: 400, code: "bad_request"},
		{name: "quote in id", method: "GET", path: "/api/documents/a'%20OR%201=1", want: 400, code: "bad_request"},
		{name: "nested path", method: "GET", path: "/api/documents/a/b", want: 404, code: "not_found"},
		{name: "id too long", method: "GET", path: "/api/chunks/" + strings.Repeat("a", 300), want: 400, code: "bad_request"},
		{name: "unknown api route", method: "GET", path: "/api/nope", want: 404, code: "not_found"},
		{name: "unknown v1 route", method: "POST", path: "/v1/completions", ctype: js, body: `{}`, want: 404, code: "not_found"},
		{name: "unknown page", method: "GET", path: "/etc/passwd", hdr: map[string]string{}, want: 404, code: "not_found"},

		// The OpenAI endpoint's input.
		{name: "chat no messages", method: "POST", path: "/v1/chat/completions", ctype: js, body: `{"model":"imyrag","messages":[]}`, want: 400, code: "bad_request"},
		{name: "chat last message not user", method: "POST", path: "/v1/chat/completions", ctype: js, body: `{"model":"imyrag","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, want: 400, code: "bad_request"},
		{name: "chat unknown role", method: "POST", path: "/v1/chat/completions", ctype: js, body: `{"model":"imyrag","messages":[{"role":"wizard","content":"a"},{"role":"user","content":"b"}]}`, want: 400, code: "bad_request"},
		{name: "chat image part", method: "POST", path: "/v1/chat/completions", ctype: js, body: `{"model":"imyrag","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, want: 400, code: "bad_request"},
		{name: "chat unknown model", method: "POST", path: "/v1/chat/completions", ctype: js, body: `{"model":"gpt-4o","messages":[{"role":"user","content":"a"}]}`, want: 404, code: "model_not_found"},
		{name: "chat malformed", method: "POST", path: "/v1/chat/completions", ctype: js, body: `[`, want: 400, code: "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := tt.hdr
			if hdr == nil {
				hdr = auth
			}
			code, h, body := do(t, client, tt.method, base+tt.path, tt.ctype, tt.body, hdr)
			if code != tt.want {
				t.Fatalf("status %d, want %d\n%.500s", code, tt.want, body)
			}
			for k, v := range map[string]string{
				"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
			} {
				if h.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, h.Get(k), v)
				}
			}
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
				t.Errorf("no CSP: %q", h.Get("Content-Security-Policy"))
			}
			if h.Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("CORS header set: %q", h.Get("Access-Control-Allow-Origin"))
			}
			if tt.code != "" {
				var e errorBody
				if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tt.code || e.Error.Message == "" {
					t.Fatalf("error body %q (err %v), want code %q", body, err, tt.code)
				}
				if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Errorf("error content type %q", h.Get("Content-Type"))
				}
			}
			if tt.contains != "" && !bytes.Contains(body, []byte(tt.contains)) {
				t.Errorf("body lacks %q:\n%.800s", tt.contains, body)
			}
		})
	}
}

func TestDocumentShowsCitationsInPlace(t *testing.T) {
	s := newServer(t, Config{}, extractiveDeps(t))
	base := serve(t, s)
	_, _, body := do(t, client, "POST", base+"/api/ask", "application/json", `{"question": "Vad är en regulatorisk sandlåda?"}`, nil)
	var ans struct {
		Answer  string `json:"answer"`
		Sources []struct {
			ChunkID    string `json:"chunk_id"`
			DocID      string `json:"doc_id"`
			Start, End int
			Quote      string
		}
		Timings map[string]int64
	}
	if err := json.Unmarshal(body, &ans); err != nil || len(ans.Sources) == 0 || ans.Timings["total_ns"] == 0 {
		t.Fatalf("answer %v: %s", err, body)
	}
	src := ans.Sources[0]
	code, _, body := do(t, client, "GET", base+"/api/documents/"+src.DocID, "", "", nil)
	var doc struct {
		Document map[string]any
		Text     string
		Chunks   []chunkRef
	}
	if err := json.Unmarshal(body, &doc); err != nil || code != 200 {
		t.Fatalf("document %d %v", code, err)
	}
	if _, ok := doc.Document["text"]; ok {
		t.Error("the document's metadata repeats its text")
	}
	found := false
	for _, c := range doc.Chunks {
		if c.ID == src.ChunkID {
			found = true
			if c.Start != src.Start || c.End != src.End || !strings.Contains(doc.Text[c.Start:c.End], strings.TrimSpace(src.Quote[:min(40, len(src.Quote))])) {
				t.Errorf("chunk %s at %d–%d does not hold the quote", c.ID, c.Start, c.End)
			}
		}
	}
	if !found {
		t.Errorf("cited chunk %s not among the document's chunks", src.ChunkID)
	}
}

func TestStaticFiles(t *testing.T) {
	s := newServer(t, Config{}, extractiveDeps(t))
	base := serve(t, s)
	for path, ctype := range map[string]string{"/": "text/html; charset=utf-8", "/index.html": "text/html; charset=utf-8"} {
		code, h, _ := do(t, client, "GET", base+path, "", "", nil)
		if code != 200 || h.Get("Content-Type") != ctype || h.Get("ETag") == "" || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("%s: %d %q etag %q cache %q", path, code, h.Get("Content-Type"), h.Get("ETag"), h.Get("Cache-Control"))
		}
		code, _, body := do(t, client, "GET", base+path, "", "", map[string]string{"If-None-Match": h.Get("ETag")})
		if code != http.StatusNotModified || len(body) != 0 {
			t.Errorf("%s revalidated: %d", path, code)
		}
	}
	for name := range s.static.files {
		if strings.HasSuffix(name, ".js") {
			_, h, _ := do(t, client, "GET", base+name, "", "", nil)
			if h.Get("Content-Type") != "text/javascript; charset=utf-8" {
				t.Errorf("%s: %q", name, h.Get("Content-Type"))
			}
		}
	}
}

// A non-loopback listener without a token is refused.
func TestTokenRequiredOffLoopback(t *testing.T) {
	s := newServer(t, Config{}, extractiveDeps(t))
	ln := fakeListener{addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8080}}
	if err := s.Serve(context.Background(), ln); !errors.Is(err, ErrNoToken) {
		t.Fatalf("Serve without token on 10.0.0.1: %v", err)
	}
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:80": true, "localhost:1": true, "0.0.0.0:8080": false, ":8080": false, "192.168.1.2:80": false} {
		if IsLoopback(addr) != want {
			t.Errorf("IsLoopback(%q) = %v", addr, !want)
		}
	}
}

type fakeListener struct{ addr net.Addr }

func (l fakeListener) Accept() (net.Conn, error) { return nil, errors.New("no") }
func (l fakeListener) Close() error              { return nil }
func (l fakeListener) Addr() net.Addr            { return l.addr }

// blockingChatter streams one token, then waits until its call is
// canceled or released; it counts calls in flight.
type blockingChatter struct {
	mu       sync.Mutex
	inFlight int
	started  chan struct{}
	release  chan struct{}
	err      error // returned at once instead, when set
}

func (c *blockingChatter) Chat(ctx context.Context, req ollama.ChatRequest, onToken func(string) error) (ollama.ChatResult, error) {
	if c.err != nil {
		return ollama.ChatResult{}, c.err
	}
	c.mu.Lock()
	c.inFlight++
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	if onToken != nil {
		if err := onToken("Sandlådan "); err != nil {
			return ollama.ChatResult{Text: "Sandlådan "}, err
		}
	}
	select {
	case c.started <- struct{}{}:
	default:
	}
	select {
	case <-ctx.Done():
		return ollama.ChatResult{Text: "Sandlådan "}, ctx.Err()
	case <-c.release:
		if onToken != nil {
			_ = onToken("är en miljö för test [1].")
		}
		return ollama.ChatResult{Model: "fake", Text: "Sandlådan är en miljö för test [1].", Done: true, DoneReason: "stop"}, nil
	}
}
func (c *blockingChatter) ChatModel() string { return "fake" }
func (c *blockingChatter) NumCtx() int       { return 8192 }
func (c *blockingChatter) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inFlight
}

// Beyond the generation slots and the queue: 429 with Retry-After at once;
// an overloaded model server: 503.
func TestGateAndOverload(t *testing.T) {
	fake := &blockingChatter{started: make(chan struct{}, 8), release: make(chan struct{})}
	s := newServer(t, Config{MaxConcurrent: 1, Queue: 1}, withChatter(t, extractiveDeps(t), fake))
	base := serve(t, s)
	const q = `{"question": "Vad är en regulatorisk sandlåda?"}`
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = do(t, client, "POST", base+"/api/ask", "application/json", q, nil)
		}()
		if i == 0 {
			<-fake.started
		}
	}
	waitFor(t, "one queued", func() bool { return s.gate.queued() == 1 })
	code, h, body := do(t, client, "POST", base+"/api/ask", "application/json", q, nil)
	if code != 429 || h.Get("Retry-After") == "" || !bytes.Contains(body, []byte("rate_limited")) {
		t.Fatalf("third question: %d %q %s", code, h.Get("Retry-After"), body)
	}
	code, _, body = do(t, client, "POST", base+"/v1/chat/completions", "application/json", `{"model":"imyrag","messages":[{"role":"user","content":"sandlåda"}],"stream":true}`, nil)
	if code != 429 || !bytes.Contains(body, []byte(`"type":"rate_limited"`)) {
		t.Fatalf("streamed completion beyond the queue: %d %s", code, body)
	}
	close(fake.release)
	wg.Wait()
	if codes[0] != 200 || codes[1] != 200 {
		t.Fatalf("admitted questions: %v", codes)
	}
	_, _, m := do(t, client, "GET", base+"/metrics", "", "", nil)
	for _, want := range []string{"imyrag_generations_rejected_total 2", "imyrag_generations_in_flight 0", "imyrag_generations_queued 0",
		`imyrag_answers_total{mode="generative"} 2`, `imyrag_http_requests_total{route="POST /api/ask",code="429"} 1`} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}

	busy := &blockingChatter{err: errors.Join(errors.New("chat: busy"), ollama.ErrBusy)}
	s2 := newServer(t, Config{}, withChatter(t, extractiveDeps(t), busy))
	base2 := serve(t, s2)
	code, h, body = do(t, client, "POST", base2+"/api/ask", "application/json", q, nil)
	if code != 503 || h.Get("Retry-After") == "" || !bytes.Contains(body, []byte("llm_overloaded")) {
		t.Fatalf("overloaded model: %d %q %s", code, h.Get("Retry-After"), body)
	}
}

// A client that goes away mid-stream cancels the model's call; nothing is
// left running.
func TestStreamDisconnectCancels(t *testing.T) {
	fake := &blockingChatter{started: make(chan struct{}, 1), release: make(chan struct{})}
	s := newServer(t, Config{}, withChatter(t, extractiveDeps(t), fake))
	base := serve(t, s)
	tr := &http.Transport{}
	c := &http.Client{Transport: tr}
	warm(t, c, base)
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/api/ask", strings.NewReader(`{"question": "Vad är en regulatorisk sandlåda?"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %s %q", res.Status, res.Header.Get("Content-Type"))
	}
	events := readEvents(res.Body, "token")
	if got := <-events; got.name != "status" || !strings.Contains(got.data, "search") {
		t.Fatalf("first event %+v", got)
	}
	for ev := range events {
		if ev.name == "token" {
			break
		}
	}
	<-fake.started
	cancel()
	res.Body.Close()
	waitFor(t, "the model call canceled", func() bool { return fake.calls() == 0 && s.gate.inFlight() == 0 })
	tr.CloseIdleConnections()
	settle(t, before)
}

// The SSE events of a complete answer: status, tokens, the answer.
func TestStreamEvents(t *testing.T) {
	fake := &blockingChatter{started: make(chan struct{}, 1), release: make(chan struct{})}
	close(fake.release)
	s := newServer(t, Config{}, withChatter(t, extractiveDeps(t), fake))
	base := serve(t, s)
	req, _ := http.NewRequest("POST", base+"/api/ask", strings.NewReader(`{"question": "Vad är en regulatorisk sandlåda?"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var names []string
	var text strings.Builder
	var final map[string]any
	for ev := range readEvents(res.Body, "") {
		names = append(names, ev.name)
		switch ev.name {
		case "token":
			var tok struct{ Text string }
			if err := json.Unmarshal([]byte(ev.data), &tok); err != nil {
				t.Fatal(err)
			}
			text.WriteString(tok.Text)
		case "answer":
			if err := json.Unmarshal([]byte(ev.data), &final); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := strings.Join(names, ",")
	if got != "status,status,token,token,status,answer" {
		t.Errorf("events %s", got)
	}
	if final == nil || final["answer"] != text.String() || final["mode"] != "generative" || final["timings"] == nil {
		t.Errorf("answer %v, streamed %q", final, text.String())
	}
}

type event struct{ name, data string }

// readEvents parses server-sent events until the body ends.
func readEvents(body io.Reader, _ string) <-chan event {
	out := make(chan event, 64)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			case line == "" && (ev.name != "" || ev.data != ""):
				out <- ev
				ev = event{}
			}
		}
	}()
	return out
}

// warm makes one request so that lazily started goroutines (the index
// snapshot, connection pools) exist before a goroutine count.
func warm(t testing.TB, c *http.Client, base string) {
	t.Helper()
	if code, _, body := do(t, c, "GET", base+"/api/search?q=sandl%C3%A5da", "", "", nil); code != 200 {
		t.Fatalf("warm-up: %d %s", code, body)
	}
}

func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until the goroutine count is back to at most before (with
// a small allowance for runtime helpers), and fails with a dump if not.
func settle(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before+2 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("goroutines: %d before, %d after\n%s", before, n, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tempDir() (string, error) { return os.MkdirTemp("", "imyrag-server-test-") }
