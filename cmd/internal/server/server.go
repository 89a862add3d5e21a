// Package server is imyrag's HTTP surface: a JSON API over search, documents
// and grounded answers (streamed as server-sent events), an
// OpenAI-compatible chat endpoint, the embedded chat page, and the
// operational endpoints (/healthz, /readyz, /metrics).
//
// Conversations are held by the client: every question carries its history,
// and nothing about a question is kept or logged by the server unless the
// operator switched the audit log on. Access logs carry the route, status
// and timing of a request, never its body or query string.
//
// Answers that call the language model go through a gate: at most
// Config.MaxConcurrent at once, Config.Queue more waiting, 429 with
// Retry-After beyond that.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/cmd/internal/audit"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/store"
)

// Config is how the server behaves. Zero fields take the defaults.
type Config struct {
	// Token, when set, must be sent as "Authorization: Bearer TOKEN" with
	// every /api, /v1 and /metrics request. Serve refuses a non-loopback
	// listener without one.
	Token string
	// MaxConcurrent answers may call the language model at once (default
	// 2); Queue more wait for a turn (default 8; negative: none wait).
	MaxConcurrent int
	Queue         int
	// MaxBody is the largest request body accepted (default 1 MiB).
	MaxBody int64
	// AnswerTimeout bounds one answer, streamed or not (default 10
	// minutes): the language model's own timeout applies per call, and an
	// answer may make several (rewrite, answer, judge).
	AnswerTimeout time.Duration
	// ShutdownTimeout is how long Serve lets requests in flight finish
	// after its context ends (default 30 s).
	ShutdownTimeout time.Duration
	// ReadHeaderTimeout (default 10 s) and IdleTimeout (default 120 s) of
	// the connections.
	ReadHeaderTimeout time.Duration
	IdleTimeout       time.Duration
	// RetryAfter is the Retry-After sent with a 429 or 503 (default 5 s).
	RetryAfter time.Duration
	// Log receives access logs and errors (default: discarded).
	Log *slog.Logger
}

// Defaults.
const (
	DefaultMaxConcurrent   = 2
	DefaultQueue           = 8
	DefaultMaxBody         = 1 << 20
	DefaultAnswerTimeout   = 10 * time.Minute
	DefaultShutdownTimeout = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.MaxConcurrent <= 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.Queue == 0 {
		c.Queue = DefaultQueue
	}
	if c.Queue < 0 {
		c.Queue = 0
	}
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.AnswerTimeout <= 0 {
		c.AnswerTimeout = DefaultAnswerTimeout
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Store is what the server reads from the index (store.Store has it).
type Store interface {
	Documents(ctx context.Context) ([]store.DocumentInfo, error)
	Document(ctx context.Context, id string) (imyrag.Document, error)
	Chunks(ctx context.Context, docID string) ([]imyrag.Chunk, error)
	Chunk(ctx context.Context, id string) (imyrag.Chunk, error)
	Stats(ctx context.Context) (store.Stats, error)
}

// LLM is the language model's server, for status and readiness
// (ollama.Client has it).
type LLM interface {
	Version(ctx context.Context) (string, error)
	ChatModel() string
	EmbedModel() string
}

// Deps are the parts the server puts together. Store and Engine are
// required. Embedder and Chatter are nil when the language model is off:
// search is then lexical and answers extractive.
type Deps struct {
	Store    Store
	Engine   answer.Searcher
	Embedder answer.Embedder
	Chatter  answer.Chatter
	// LLM reports the language model's server; nil when it is off.
	LLM      LLM
	Counter  answer.Counter
	Analyzer *analyze.Analyzer
	// Answer tunes the answer pipeline; its Judge field is ignored (each
	// request says whether it wants the judge).
	Answer answer.Options
	// Audit, when enabled, records every answered question.
	Audit *audit.Log
}

// Server serves the API, the OpenAI-compatible endpoint and the chat page.
type Server struct {
	cfg     Config
	deps    Deps
	log     *slog.Logger
	answer  *answer.Answerer // without the judge
	judged  *answer.Answerer // with it
	plain   *answer.Answerer // extractive, while the model's server does not answer
	gate    *gate
	metrics *metrics
	static  *static
	mux     *http.ServeMux
	handler http.Handler

	handlers sync.WaitGroup // requests being served
	conns    atomic.Int64   // open connections (ConnState)

	llmMu    sync.Mutex
	llmAt    time.Time
	llmState llmState
}

// New returns a server over deps.
func New(cfg Config, deps Deps) (*Server, error) {
	if deps.Store == nil || deps.Engine == nil {
		return nil, errors.New("server: a store and a search engine are required")
	}
	if deps.Analyzer == nil {
		deps.Analyzer = analyze.Default()
	}
	if deps.Chatter != nil && deps.Counter == nil {
		return nil, errors.New("server: a token counter is required with a language model")
	}
	cfg = cfg.withDefaults()
	st, err := newStatic()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, deps: deps, log: cfg.Log.With("component", "server"),
		gate: newGate(cfg.MaxConcurrent, cfg.Queue), metrics: newMetrics(), static: st,
	}
	// The answerers see the engine and the model through stage reporters,
	// so that a stream can say what is happening.
	search := stageSearcher{deps.Engine}
	var chat answer.Chatter
	var emb answer.Embedder
	if deps.Chatter != nil {
		chat = stageChatter{deps.Chatter}
	}
	if deps.Embedder != nil {
		emb = deps.Embedder
	}
	opts := deps.Answer
	opts.Judge = false
	s.answer = answer.New(search, emb, chat, deps.Counter, deps.Analyzer, opts)
	opts.Judge = true
	s.judged = answer.New(search, emb, chat, deps.Counter, deps.Analyzer, opts)
	s.plain = answer.New(search, nil, nil, deps.Counter, deps.Analyzer, opts)
	s.routes()
	s.handler = http.HandlerFunc(s.serveHTTP)
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// OpenConns is the number of open client connections of Serve's listener.
func (s *Server) OpenConns() int64 { return s.conns.Load() }

// ErrNoToken is returned by Serve for a listener on a non-loopback address
// when no token is configured.
var ErrNoToken = errors.New("a bearer token is required on a non-loopback address")

// IsLoopback reports whether addr (host:port) is bound to loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Serve serves on ln until ctx ends, then shuts down gracefully: the
// listener closes, requests in flight (streams included) get
// Config.ShutdownTimeout to finish, and then their connections are closed,
// which cancels their answers. It returns nil after a shutdown caused by
// ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !IsLoopback(ln.Addr().String()) && s.cfg.Token == "" {
		return fmt.Errorf("listen on %s: %w (set --token or IMYRAG_TOKEN)", ln.Addr(), ErrNoToken)
	}
	hs := s.httpServer()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if err != nil {
		s.log.Warn("requests still running at the shutdown deadline; closing their connections", "err", err)
		_ = hs.Close()
		err = nil
	}
	<-errc // http.ErrServerClosed
	// Handlers whose connections were closed return once their answers see
	// the cancellation.
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.log.Error("handlers still running after shutdown")
	}
	return err
}

// httpServer configures the connections: header and idle timeouts, no
// overall read or write timeout (streams set their own deadlines), and the
// connection count.
func (s *Server) httpServer() *http.Server {
	return &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.conns.Add(1)
			case http.StateHijacked, http.StateClosed:
				s.conns.Add(-1)
			}
		},
	}
}

// routes registers every route. Handlers return an error; serveHTTP maps it
// to a status and a JSON body.
func (s *Server) routes() {
	m := http.NewServeMux()
	api := func(pattern string, h func(http.ResponseWriter, *http.Request) error) {
		m.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	}
	api("POST /api/ask", s.handleAsk)
	api("GET /api/search", s.handleSearch)
	api("GET /api/documents", s.handleDocuments)
	api("GET /api/documents/{id}", s.handleDocument)
	api("GET /api/chunks/{id}", s.handleChunk)
	api("GET /api/status", s.handleStatus)
	api("POST /v1/chat/completions", s.handleChatCompletions)
	api("GET /v1/models", s.handleModels)
	api("GET /healthz", s.handleHealth)
	api("GET /readyz", s.handleReady)
	api("GET /metrics", s.handleMetrics)
	api("/api/", s.notFound)
	api("/v1/", s.notFound)
	m.Handle("/", s.static)
	s.mux = m
}

// notFound answers API paths no route has: 405 when another method has
// the path, 404 otherwise.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		other := r.Clone(r.Context())
		other.Method = m
		if _, p := s.mux.Handler(other); p != "" && p != "/api/" && p != "/v1/" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return &apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed",
			msg: r.Method + " is not allowed here (allowed: " + strings.Join(allow, ", ") + ")"}
	}
	return errNotFound("no such endpoint")
}

// needsToken reports whether a path is behind the bearer token.
func needsToken(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/api" || strings.HasPrefix(path, "/v1/") || path == "/v1" || path == "/metrics"
}

// serveHTTP is the outer handler: security headers, the token, the body
// limit, the read deadline, metrics and the access log. It never copies
// the request, so that the mux's pattern is visible afterwards.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.handlers.Add(1)
	defer s.handlers.Done()
	start := time.Now()
	rw := &recorder{ResponseWriter: w}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")

	// The body gets a deadline until it has been read (see decodeBody);
	// answers then run without one, ended by the client or their timeout.
	rc := http.NewResponseController(rw)
	_ = rc.SetReadDeadline(start.Add(30 * time.Second))
	_ = rc.SetWriteDeadline(start.Add(60 * time.Second))
	r.Body = http.MaxBytesReader(rw, r.Body, s.cfg.MaxBody)

	route := "other"
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.Error("panic", "route", route, "panic", fmt.Sprint(p))
			if !rw.wrote {
				writeError(rw, r, errInternal)
			}
		}
		took := time.Since(start)
		s.metrics.request(route, rw.status(), took)
		s.log.Info("request", "method", r.Method, "route", route, "status", rw.status(),
			"bytes", rw.bytes, "took_ms", float64(took.Microseconds())/1000, "remote", clientIP(r))
	}()

	if s.cfg.Token != "" && needsToken(r.URL.Path) && !s.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer realm="imyrag"`)
		route = "unauthorized"
		writeError(rw, r, errUnauthorized)
		return
	}
	_, pattern := s.mux.Handler(r)
	if pattern == "" {
		// No route, or the wrong method: the mux's plain-text reply is
		// turned into a JSON error.
		route = "other"
		s.mux.ServeHTTP(&jsonStatus{w: rw, r: r}, r)
		return
	}
	s.mux.ServeHTTP(rw, r)
	if r.Pattern != "" {
		route = r.Pattern
	}
}

// authorized compares the bearer token in constant time.
func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(s.cfg.Token)) == 1
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// recorder remembers the status and size of a response and passes
// flushes and deadlines through (http.ResponseController unwraps it).
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int64
	wrote bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *recorder) status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

// jsonStatus turns the mux's own 404 and 405 replies into JSON errors.
type jsonStatus struct {
	w    http.ResponseWriter
	r    *http.Request
	done bool
}

func (j *jsonStatus) Header() http.Header { return j.w.Header() }

func (j *jsonStatus) WriteHeader(code int) {
	if j.done {
		return
	}
	j.done = true
	var err error
	switch code {
	case http.StatusMethodNotAllowed:
		err = &apiError{status: code, code: "method_not_allowed", msg: j.r.Method + " is not allowed here (allowed: " + j.w.Header().Get("Allow") + ")"}
	case http.StatusNotFound:
		err = errNotFound("no such page or endpoint")
	default:
		err = &apiError{status: code, code: strings.ToLower(strings.ReplaceAll(http.StatusText(code), " ", "_")), msg: http.StatusText(code)}
	}
	writeError(j.w, j.r, err)
}

func (j *jsonStatus) Write(b []byte) (int, error) {
	if !j.done {
		j.WriteHeader(http.StatusOK)
	}
	return len(b), nil
}

// retryAfter is the Retry-After header value in seconds.
func (s *Server) retryAfter() string {
	return strconv.Itoa(int((s.cfg.RetryAfter + time.Second - 1) / time.Second))
}
