package ollama

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ollama/ollama/api"
)

// The api package returns StatusError values for HTTP errors; classify maps
// them to the sentinels and to messages that say what to do. The real
// server's 404 and context errors are covered by the integration tests; a
// full queue (503) cannot be provoked reliably, so its value is built here.
func TestClassify(t *testing.T) {
	c, err := New(context.Background(), Config{Host: "127.0.0.1:11434"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
		want error
		hint string
	}{
		{"busy", api.StatusError{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable", ErrorMessage: "server busy, please try again.  maximum pending requests exceeded"}, ErrBusy, "try again"},
		{"missing", api.StatusError{StatusCode: http.StatusNotFound, ErrorMessage: `model "x" not found, try pulling it first`}, ErrModelMissing, "imyrag models pull"},
		{"context", api.StatusError{StatusCode: http.StatusBadRequest, ErrorMessage: "the input length exceeds the context length"}, ErrContextLength, "context"},
		{"wrapped missing", fmt.Errorf("call: %w", api.StatusError{StatusCode: http.StatusNotFound}), ErrModelMissing, "ollama pull"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.classify(context.Background(), "chat", "x", tt.err)
			if !errors.Is(got, tt.want) || !strings.Contains(got.Error(), tt.hint) {
				t.Fatalf("classify(%v) = %v, want %v mentioning %q", tt.err, got, tt.want, tt.hint)
			}
		})
	}
	if got := c.classify(context.Background(), "chat", "x", errors.New("odd")); errors.Is(got, ErrBusy) || errors.Is(got, ErrModelMissing) || !strings.Contains(got.Error(), "odd") {
		t.Fatalf("an unknown error was misclassified: %v", got)
	}
}
