package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

// Limits on a question's conversation.
const (
	maxHistory     = 50     // turns
	maxTurnChars   = 20_000 // characters per turn
	maxFilterItems = 50     // values per filter field
	maxIDLen       = 200    // document and chunk IDs
	heartbeatEvery = 15 * time.Second
)

// askRequest is the body of POST /api/ask.
type askRequest struct {
	Question string       `json:"question"`
	History  []turn       `json:"history"`
	Filters  *filterInput `json:"filters"`
	Judge    bool         `json:"judge"`
}

type turn struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// filterInput is a search filter as the API takes it (the CLI's flags).
type filterInput struct {
	Kind []string `json:"kind"`
	From string   `json:"from"`
	To   string   `json:"to"`
	Doc  []string `json:"doc"`
	Dnr  []string `json:"dnr"`
	Ref  []string `json:"ref"`
}

func (f *filterInput) filter() (retrieval.Filter, error) {
	var out retrieval.Filter
	if f == nil {
		return out, nil
	}
	for _, l := range [][]string{f.Kind, f.Doc, f.Dnr, f.Ref} {
		if len(l) > maxFilterItems {
			return out, errBadRequest("a filter may list at most %d values", maxFilterItems)
		}
	}
	for _, k := range f.Kind {
		kind := imyrag.Kind(strings.ToLower(strings.TrimSpace(k)))
		if !imyrag.ValidKind(kind) {
			return out, errBadRequest("unknown document kind %q", k)
		}
		out.Kinds = append(out.Kinds, kind)
	}
	out.From, out.To = f.From, f.To
	out.DocIDs, out.Diarienummer, out.LegalRefs = f.Doc, f.Dnr, f.Ref
	return out, nil
}

// checkQuestion validates a question before anything runs.
func checkQuestion(q string) error {
	switch {
	case !utf8.ValidString(q):
		return errBadRequest("the question is not valid UTF-8")
	case strings.TrimSpace(q) == "":
		return errBadRequest("the question is empty")
	case utf8.RuneCountInString(q) > retrieval.MaxQueryRunes:
		return errBadRequest("the question is over %d characters", retrieval.MaxQueryRunes)
	}
	return nil
}

// checkHistory validates a conversation and converts it.
func checkHistory(h []turn) ([]prompts.Turn, error) {
	if len(h) > maxHistory {
		return nil, errBadRequest("the history has %d turns; at most %d are accepted", len(h), maxHistory)
	}
	out := make([]prompts.Turn, 0, len(h))
	for i, t := range h {
		if t.Role != "user" && t.Role != "assistant" {
			return nil, errBadRequest("history[%d].role is %q; want user or assistant", i, t.Role)
		}
		if !utf8.ValidString(t.Content) || utf8.RuneCountInString(t.Content) > maxTurnChars {
			return nil, errBadRequest("history[%d].content is not valid UTF-8 or over %d characters", i, maxTurnChars)
		}
		out = append(out, prompts.Turn{Role: t.Role, Content: t.Content})
	}
	return out, nil
}

func (s *Server) handleAsk(w http.ResponseWriter, r *http.Request) error {
	var req askRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		return err
	}
	if err := checkQuestion(req.Question); err != nil {
		return err
	}
	hist, err := checkHistory(req.History)
	if err != nil {
		return err
	}
	f, err := req.Filters.filter()
	if err != nil {
		return err
	}
	areq := answer.Request{Question: req.Question, History: hist, Filter: f}
	release, err := s.admit(r.Context())
	if err != nil {
		return err
	}
	defer release()
	if !wantsSSE(r) {
		res, err := s.runAnswer(w, r, areq, req.Judge, nil, nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}

	ev := startSSE(w)
	defer ev.stop()
	res, err := s.runAnswer(w, r, areq, req.Judge,
		func(stage string) { _ = ev.send("status", map[string]string{"stage": stage}) },
		func(text string) error { return ev.send("token", map[string]string{"text": text}) })
	if err != nil {
		if r.Context().Err() == nil {
			ae := toAPIError(err)
			if ae == errInternal {
				s.log.Error("answer failed", "err", err)
			}
			_ = ev.send("error", errorBody{Error: errorDetail{Code: ae.code, Message: ae.msg}})
		}
		return nil
	}
	_ = ev.send("answer", res)
	return nil
}

// wantsSSE reports whether the client asked for server-sent events.
func wantsSSE(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// admit takes a generation slot when answers call the language model; it
// returns a no-op release when they do not (extractive answers take
// milliseconds).
func (s *Server) admit(ctx context.Context) (func(), error) {
	if !s.generative(ctx) {
		return func() {}, nil
	}
	release, err := s.gate.acquire(ctx)
	if errors.Is(err, errBusy) {
		s.metrics.rejected.Add(1)
	}
	return release, err
}

// generative reports whether answers are written by the language model
// now: it is configured and (as last checked, at most llmCheckEvery ago)
// its server answers. While it does not, answers are extractive at once
// instead of each failing against the server.
func (s *Server) generative(ctx context.Context) bool {
	if s.deps.Chatter == nil {
		return false
	}
	return s.deps.LLM == nil || s.llmStatus(ctx).Reachable
}

// runAnswer answers one question (the caller holds a generation slot,
// see admit) within the answer timeout, reporting stages and streamed
// text, then counts and audits it. A client that goes away cancels the
// request's context and so the model's call.
func (s *Server) runAnswer(w http.ResponseWriter, r *http.Request, req answer.Request, judge bool,
	onStage func(string), onToken func(string) error) (*answer.Result, error) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.AnswerTimeout + 30*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.AnswerTimeout)
	defer cancel()
	if onStage != nil {
		ctx = withStages(ctx, onStage)
	}
	var chatErr error
	ctx = withChatErr(ctx, func(err error) { chatErr = err })
	req.OnToken = func(text string) error {
		s.metrics.tokens.Add(1)
		if onToken != nil {
			return onToken(text)
		}
		return nil
	}
	a := s.answer
	if judge {
		a = s.judged
	}
	var note string
	if s.deps.Chatter != nil && !s.generative(ctx) {
		a = s.plain
		note = "språkmodellen svarar inte just nu; svaret är citat ur källorna"
	}
	res, err := a.Answer(ctx, req)
	if err != nil {
		return nil, err
	}
	if note != "" {
		res.Problems = append(res.Problems, note)
	}
	if errors.Is(chatErr, ollama.ErrBusy) && res.Mode == "extractive" {
		return nil, errLLMBusy
	}
	s.count(res.Answer)
	if s.deps.Audit.Enabled() {
		if err := s.deps.Audit.Write("http "+clientIP(r), res.Answer); err != nil {
			s.log.Error("audit log not written", "err", err)
		}
	}
	return res, nil
}

func (s *Server) count(ans *imyrag.Answer) {
	if ans.Mode == "generative" {
		s.metrics.answers[1].Add(1)
	} else {
		s.metrics.answers[0].Add(1)
	}
	if ans.Abstained {
		s.metrics.abstained.Add(1)
	}
	for _, sn := range ans.Sentences {
		if !sn.Supported {
			s.metrics.unsupported.Add(1)
		}
	}
}

// sse writes server-sent events, flushing each one, with a comment line as
// a heartbeat while the model is silent (so that proxies keep the stream).
type sse struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	mu   sync.Mutex
	err  error
	done chan struct{}
	wg   sync.WaitGroup
}

func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	e := &sse{w: w, rc: http.NewResponseController(w), done: make(chan struct{})}
	_ = e.rc.Flush()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		t := time.NewTicker(heartbeatEvery)
		defer t.Stop()
		for {
			select {
			case <-e.done:
				return
			case <-t.C:
				e.raw(": ping\n\n")
			}
		}
	}()
	return e
}

// send writes one event; after a write error it keeps returning it, which
// stops the model's stream.
func (e *sse) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.raw("event: " + event + "\ndata: " + string(data) + "\n\n")
}

// data writes one unnamed event (the OpenAI stream format).
func (e *sse) data(payload string) error {
	return e.raw("data: " + payload + "\n\n")
}

func (e *sse) raw(s string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.err != nil {
		return e.err
	}
	if _, err := e.w.Write([]byte(s)); err != nil {
		e.err = err
		return err
	}
	if err := e.rc.Flush(); err != nil {
		e.err = err
	}
	return e.err
}

// stop ends the heartbeat and waits for it.
func (e *sse) stop() {
	close(e.done)
	e.wg.Wait()
}

// handleSearch is GET /api/search?q=...&k=10&kind=...&from=...&to=...&doc=...&dnr=...&ref=...&per_doc=3&neighbours=0.
func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q := v.Get("q")
	if err := checkQuestion(q); err != nil {
		return err
	}
	k, err := intParam(v, "k", 10, 1, 100)
	if err != nil {
		return err
	}
	perDoc, err := intParam(v, "per_doc", 3, -1, 100)
	if err != nil {
		return err
	}
	nb, err := intParam(v, "neighbours", 0, 0, 5)
	if err != nil {
		return err
	}
	fi := &filterInput{Kind: listParam(v, "kind"), From: v.Get("from"), To: v.Get("to"),
		Doc: listParam(v, "doc"), Dnr: v["dnr"], Ref: v["ref"]}
	f, err := fi.filter()
	if err != nil {
		return err
	}
	query := retrieval.Query{Text: q, Limit: k, PerDoc: perDoc, Neighbours: nb, Filter: f}
	vec, note, _ := answer.QueryVector(r.Context(), s.deps.Engine, s.deps.Embedder, q)
	if vec != nil {
		query.Vector, query.VectorModel = vec, s.deps.Embedder.EmbedModel()
	}
	res, err := s.deps.Engine.Search(r.Context(), query)
	if err != nil {
		return err
	}
	if note != "" {
		res.Notes = append(res.Notes, note)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errBadRequest("%s: want a whole number from %d to %d, got %q", name, lo, hi, s)
	}
	return n, nil
}

// listParam collects a repeatable, comma-separated parameter.
func listParam(v url.Values, name string) []string {
	var out []string
	for _, s := range v[name] {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// checkID accepts document and chunk IDs: ASCII letters, digits, '-', '_'
// and '.', not starting with a dot. Anything else (slashes, "..", control
// characters) is refused before it reaches the store.
func checkID(id string) error {
	if id == "" || len(id) > maxIDLen || id[0] == '.' {
		return errBadRequest("invalid id")
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return errBadRequest("invalid id")
		}
	}
	return nil
}

func (s *Server) handleDocuments(w http.ResponseWriter, r *http.Request) error {
	docs, err := s.deps.Store.Documents(r.Context())
	if err != nil {
		return err
	}
	if docs == nil {
		docs = []store.DocumentInfo{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": docs})
	return nil
}

// chunkRef is a chunk's place in its document, without its text (the
// document's text has it).
type chunkRef struct {
	ID          string   `json:"id"`
	Ordinal     int      `json:"ordinal"`
	Start       int      `json:"start"`
	End         int      `json:"end"`
	PageStart   int      `json:"page_start,omitempty"`
	PageEnd     int      `json:"page_end,omitempty"`
	HeadingPath []string `json:"heading_path,omitempty"`
}

func (s *Server) handleDocument(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		return err
	}
	doc, err := s.deps.Store.Document(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound(fmt.Sprintf("no document %q", id))
	}
	if err != nil {
		return err
	}
	chunks, err := s.deps.Store.Chunks(r.Context(), id)
	if err != nil {
		return err
	}
	text := doc.Text
	doc.Text = ""
	refs := make([]chunkRef, len(chunks))
	for i, c := range chunks {
		refs[i] = chunkRef{ID: c.ID, Ordinal: c.Ordinal, Start: c.Start, End: c.End,
			PageStart: c.PageStart, PageEnd: c.PageEnd, HeadingPath: c.HeadingPath}
	}
	writeJSON(w, http.StatusOK, struct {
		Document imyrag.Document `json:"document"`
		Text     string          `json:"text"`
		Chunks   []chunkRef      `json:"chunks"`
	}{doc, text, refs})
	return nil
}

// chunkDoc is what GET /api/chunks/{id} says about the chunk's document.
type chunkDoc struct {
	ID           string      `json:"id"`
	Title        string      `json:"title"`
	Kind         imyrag.Kind `json:"kind"`
	Date         string      `json:"date,omitempty"`
	Diarienummer []string    `json:"diarienummer,omitempty"`
}

func (s *Server) handleChunk(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		return err
	}
	c, err := s.deps.Store.Chunk(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound(fmt.Sprintf("no chunk %q", id))
	}
	if err != nil {
		return err
	}
	doc, err := s.deps.Store.Document(r.Context(), c.DocID)
	if err != nil {
		return err
	}
	dnr := doc.Meta.Diarienummer
	for _, idf := range doc.Identifiers {
		if strings.HasPrefix(idf, "DI-") || strings.HasPrefix(idf, "IMY-") {
			dnr = appendNew(dnr, idf)
		}
	}
	writeJSON(w, http.StatusOK, struct {
		imyrag.Chunk
		Document chunkDoc `json:"document"`
	}{c, chunkDoc{ID: doc.ID, Title: doc.Title, Kind: doc.Kind, Date: doc.Date, Diarienummer: dnr}})
	return nil
}

func appendNew(l []string, v string) []string {
	for _, x := range l {
		if x == v {
			return l
		}
	}
	return append(l, v)
}

// llmState is what the status and readiness endpoints say about the
// language model; checked at most every few seconds.
type llmState struct {
	Configured bool   `json:"configured"`
	Reachable  bool   `json:"reachable"`
	ChatModel  string `json:"chat_model,omitempty"`
	EmbedModel string `json:"embed_model,omitempty"`
	Version    string `json:"version,omitempty"`
	Message    string `json:"message,omitempty"`
}

const llmCheckEvery = 5 * time.Second

func (s *Server) llmStatus(ctx context.Context) llmState {
	if s.deps.LLM == nil {
		return llmState{Message: "ingen språkmodell är konfigurerad (--llm off): svaren är citat ur källorna"}
	}
	s.llmMu.Lock()
	defer s.llmMu.Unlock()
	if !s.llmAt.IsZero() && time.Since(s.llmAt) < llmCheckEvery {
		return s.llmState
	}
	st := llmState{Configured: true, ChatModel: s.deps.LLM.ChatModel(), EmbedModel: s.deps.LLM.EmbedModel()}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	v, err := s.deps.LLM.Version(cctx)
	if ctx.Err() != nil {
		st.Message = "the check was canceled"
		return st
	}
	if err != nil {
		st.Message = err.Error()
	} else {
		st.Reachable, st.Version = true, v
	}
	s.llmAt, s.llmState = time.Now(), st
	return st
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := s.deps.Store.Stats(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"llm": s.llmStatus(r.Context()),
		"index": map[string]any{
			"documents": st.Documents, "chunks": st.Chunks, "vectors": st.Vectors,
			"embed_model": st.Embedding.Model,
		},
	})
	return nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// handleReady reports whether the index can be read and, when a language
// model is configured, whether its server answers; 503 otherwise.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	checks := map[string]string{}
	ready := true
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if _, err := s.deps.Store.Stats(ctx); err != nil {
		ready = false
		checks["store"] = "unreadable: " + err.Error()
	} else {
		checks["store"] = "ok"
	}
	if s.deps.LLM == nil {
		checks["llm"] = "off"
	} else if st := s.llmStatus(ctx); st.Reachable {
		checks["llm"] = "ok"
	} else {
		ready = false
		checks["llm"] = "unreachable: " + st.Message
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"ready": ready, "checks": checks})
	return nil
}
