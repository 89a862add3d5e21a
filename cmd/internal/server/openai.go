package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/answer"
)

// The OpenAI-compatible endpoint lets any OpenAI client (libraries, chat
// front ends) ask imyrag. The last user message is the question, the
// earlier user and assistant messages the conversation; system messages
// are ignored (imyrag's own prompts decide how the model answers). The
// answer text carries the [n] markers and ends with the source list; the
// sources, sentences and flags are also in a top-level "imyrag" field.

// ModelName is the model name imyrag answers as.
const ModelName = "imyrag"

// sourcesHeading starts the source list appended to an answer's text; an
// assistant message in the history is cut there.
const sourcesHeading = "\n\nKällor:\n"

type chatRequest struct {
	Model    string        `json:"model"`
	Messages []chatMessage `json:"messages"`
	Stream   bool          `json:"stream"`
	// Imyrag holds our own options, for clients that can send extra body
	// fields: filters and the judge, as in POST /api/ask.
	Imyrag *struct {
		Filters *filterInput `json:"filters"`
		Judge   bool         `json:"judge"`
	} `json:"imyrag"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns a message's content: a string, or an array of parts of
// which only text parts are accepted.
func (m chatMessage) text() (string, error) {
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(m.Content, &s); err == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", errBadRequest("message content must be a string or an array of text parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", errBadRequest("message content part of type %q is not supported (text only)", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// imyragExtra is the top-level "imyrag" field of a completion.
type imyragExtra struct {
	Sources    []imyrag.Source   `json:"sources"`
	Sentences  []imyrag.Sentence `json:"sentences"`
	Abstained  bool              `json:"abstained"`
	Reason     string            `json:"reason,omitempty"`
	Problems   []string          `json:"problems,omitempty"`
	Mode       string            `json:"mode"`
	Standalone string            `json:"standalone,omitempty"`
	Model      string            `json:"model,omitempty"`
}

func extra(a *imyrag.Answer) *imyragExtra {
	return &imyragExtra{Sources: a.Sources, Sentences: a.Sentences, Abstained: a.Abstained, Reason: a.Reason,
		Problems: a.Problems, Mode: a.Mode, Standalone: a.Standalone, Model: a.Model}
}

// sourceList is the text appended to an answer: its numbered sources.
func sourceList(a *imyrag.Answer) string {
	if a.Abstained || len(a.Sources) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(sourcesHeading)
	for _, s := range a.Sources {
		fmt.Fprintf(&b, "[%d] %s", s.N, s.Title)
		if s.Date != "" {
			fmt.Fprintf(&b, " (%s)", s.Date)
		}
		if len(s.HeadingPath) > 0 {
			fmt.Fprintf(&b, ", § %s", strings.Join(s.HeadingPath, " › "))
		}
		if s.PageStart > 0 {
			if s.PageEnd > s.PageStart {
				fmt.Fprintf(&b, ", s. %d–%d", s.PageStart, s.PageEnd)
			} else {
				fmt.Fprintf(&b, ", s. %d", s.PageStart)
			}
		}
		fmt.Fprintf(&b, " — %s/%s\n", s.DocID, s.ChunkID)
	}
	return strings.TrimRight(b.String(), "\n")
}

type completion struct {
	ID      string         `json:"id"`
	Object  string         `json:"object"`
	Created int64          `json:"created"`
	Model   string         `json:"model"`
	Choices []choice       `json:"choices"`
	Imyrag  *imyragExtra   `json:"imyrag,omitempty"`
	Usage   map[string]int `json:"usage,omitempty"`
}

type choice struct {
	Index        int             `json:"index"`
	Message      *chatMessageOut `json:"message,omitempty"`
	Delta        *chatMessageOut `json:"delta,omitempty"`
	FinishReason *string         `json:"finish_reason"`
}

type chatMessageOut struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

func completionID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "chatcmpl-" + hex.EncodeToString(b[:])
}

// models are the names the endpoint answers to.
func (s *Server) models() []string {
	names := []string{ModelName}
	if s.deps.Chatter != nil {
		names = append(names, s.deps.Chatter.ChatModel())
	}
	return names
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	var data []model
	for _, n := range s.models() {
		data = append(data, model{ID: n, Object: "model", OwnedBy: "imyrag"})
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data})
	return nil
}

// parseChat turns an OpenAI request into a question.
func (s *Server) parseChat(req chatRequest) (answer.Request, bool, string, error) {
	model := req.Model
	if model == "" {
		model = ModelName
	}
	known := false
	for _, n := range s.models() {
		known = known || n == model
	}
	if !known {
		return answer.Request{}, false, "", &apiError{status: http.StatusNotFound, code: "model_not_found",
			msg: fmt.Sprintf("model %q does not exist here; use %q", req.Model, ModelName)}
	}
	if len(req.Messages) == 0 {
		return answer.Request{}, false, "", errBadRequest("messages is empty")
	}
	if len(req.Messages) > 2*maxHistory {
		return answer.Request{}, false, "", errBadRequest("too many messages (at most %d)", 2*maxHistory)
	}
	last := req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return answer.Request{}, false, "", errBadRequest("the last message must be the user's question, not %q", last.Role)
	}
	q, err := last.text()
	if err != nil {
		return answer.Request{}, false, "", err
	}
	if err := checkQuestion(q); err != nil {
		return answer.Request{}, false, "", err
	}
	var hist []turn
	for i, m := range req.Messages[:len(req.Messages)-1] {
		t, err := m.text()
		if err != nil {
			return answer.Request{}, false, "", err
		}
		switch m.Role {
		case "system", "developer", "tool":
			// imyrag's own prompts decide how the model answers.
		case "user":
			hist = append(hist, turn{Role: m.Role, Content: t})
		case "assistant":
			t, _, _ = strings.Cut(t, sourcesHeading)
			hist = append(hist, turn{Role: m.Role, Content: t})
		default:
			return answer.Request{}, false, "", errBadRequest("messages[%d].role %q is not supported", i, m.Role)
		}
	}
	turns, err := checkHistory(hist)
	if err != nil {
		return answer.Request{}, false, "", err
	}
	areq := answer.Request{Question: q, History: turns}
	judge := false
	if req.Imyrag != nil {
		if areq.Filter, err = req.Imyrag.Filters.filter(); err != nil {
			return answer.Request{}, false, "", err
		}
		judge = req.Imyrag.Judge
	}
	return areq, judge, model, nil
}

// handleChatCompletions is POST /v1/chat/completions.
func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) error {
	var req chatRequest
	if err := decodeBody(w, r, &req, false); err != nil {
		return err
	}
	areq, judge, model, err := s.parseChat(req)
	if err != nil {
		return err
	}
	release, err := s.admit(r.Context())
	if err != nil {
		return err
	}
	defer release()
	id, created := completionID(), time.Now().Unix()
	stop := "stop"

	if !req.Stream {
		res, err := s.runAnswer(w, r, areq, judge, nil, nil)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, completion{
			ID: id, Object: "chat.completion", Created: created, Model: model,
			Choices: []choice{{Message: &chatMessageOut{Role: "assistant", Content: res.Text + sourceList(res.Answer)}, FinishReason: &stop}},
			Imyrag:  extra(res.Answer),
		})
		return nil
	}

	ev := startSSE(w)
	defer ev.stop()
	chunk := func(delta chatMessageOut, finish *string, x *imyragExtra) error {
		data, err := json.Marshal(completion{ID: id, Object: "chat.completion.chunk", Created: created, Model: model,
			Choices: []choice{{Delta: &delta, FinishReason: finish}}, Imyrag: x})
		if err != nil {
			return err
		}
		return ev.data(string(data))
	}
	if err := chunk(chatMessageOut{Role: "assistant"}, nil, nil); err != nil {
		return nil
	}
	streamed := false
	res, err := s.runAnswer(w, r, areq, judge, nil, func(text string) error {
		streamed = true
		return chunk(chatMessageOut{Content: text}, nil, nil)
	})
	if err != nil {
		if r.Context().Err() == nil {
			ae := toAPIError(err)
			if ae == errInternal {
				s.log.Error("answer failed", "err", err)
			}
			data, _ := json.Marshal(errorBody{Error: errorDetail{Code: ae.code, Message: ae.msg, Type: ae.code}})
			_ = ev.data(string(data))
		}
		return nil
	}
	rest := sourceList(res.Answer)
	if !streamed {
		rest = res.Text + rest
	}
	if rest != "" {
		_ = chunk(chatMessageOut{Content: rest}, nil, nil)
	}
	_ = chunk(chatMessageOut{}, &stop, extra(res.Answer))
	_ = ev.data("[DONE]")
	return nil
}
