package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

// apiError is an error with the status and code the client sees.
type apiError struct {
	status int
	code   string
	msg    string
	// retry, when set, is sent as Retry-After.
	retry bool
}

func (e *apiError) Error() string { return e.msg }

// errorBody is every error response: {"error": {"code", "message"}}.
// "type" repeats the code for OpenAI clients, which read error.type.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Type    string `json:"type,omitempty"`
}

func errBadRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "bad_request", msg: fmt.Sprintf(format, args...)}
}

func errNotFound(msg string) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", msg: msg}
}

var (
	errUnauthorized = &apiError{status: http.StatusUnauthorized, code: "unauthorized",
		msg: "missing or wrong bearer token (send Authorization: Bearer TOKEN)"}
	errInternal = &apiError{status: http.StatusInternalServerError, code: "internal", msg: "internal error; the server log has the details"}
	errBusy     = &apiError{status: http.StatusTooManyRequests, code: "rate_limited", retry: true,
		msg: "too many questions at once; try again shortly"}
	errLLMBusy = &apiError{status: http.StatusServiceUnavailable, code: "llm_overloaded", retry: true,
		msg: "the language model's server is overloaded; try again shortly"}
	errTimeout = &apiError{status: http.StatusGatewayTimeout, code: "timeout", msg: "the answer took too long"}
)

// toAPIError maps an error to what the client is told: one table for
// every handler.
func toAPIError(err error) *apiError {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "too_large",
			msg: fmt.Sprintf("the request body is over the limit of %d bytes", mbe.Limit)}
	case errors.Is(err, retrieval.ErrBadQuery):
		return &apiError{status: http.StatusBadRequest, code: "bad_request", msg: err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return errNotFound(err.Error())
	case errors.Is(err, ollama.ErrBusy):
		return errLLMBusy
	case errors.Is(err, context.DeadlineExceeded):
		return errTimeout
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this.
		return &apiError{status: 499, code: "canceled", msg: "the request was canceled"}
	}
	return errInternal
}

// fail writes err as a JSON error, unless the response has begun.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	if ae == errInternal {
		s.log.Error("request failed", "route", r.Pattern, "err", err)
	}
	if rec, ok := w.(*recorder); ok && rec.wrote {
		return
	}
	if ae.retry {
		w.Header().Set("Retry-After", s.retryAfter())
	}
	writeError(w, r, ae)
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae := toAPIError(err)
	body := errorBody{Error: errorDetail{Code: ae.code, Message: ae.msg}}
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		body.Error.Type = ae.code
	}
	writeJSON(w, ae.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"the response could not be encoded"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

// decodeBody reads a JSON request body into v. It wants a JSON content
// type, one JSON value, and (when strict) no unknown fields. Afterwards the
// connection has no read deadline: the answer may take a while and ends
// when the client goes away.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, strict bool) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || mt != "application/json" {
		return &apiError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			msg: "send the request body as JSON (Content-Type: application/json)"}
	}
	dec := json.NewDecoder(r.Body)
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return errBadRequest("the request body is empty")
		}
		return errBadRequest("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errBadRequest("malformed JSON: more than one value in the body")
	}
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	return nil
}
