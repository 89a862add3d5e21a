package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, dir, "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	vars := map[string]string{
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
		"IMYRAG_TOKEN":    "tok",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	e := &env{ctx: ctx, stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() {
		done <- run(e, []string{"serve", "--addr", "127.0.0.1:0", "--llm", "off", "--max-concurrent", "3"})
	}()

	var base string
	deadline := time.Now().Add(30 * time.Second)
	for base == "" {
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed:\n%s\n%s", out.String(), errb.String())
		}
		if i := strings.Index(out.String(), "http://"); i >= 0 {
			base = strings.Fields(out.String()[i:])[0]
		}
		time.Sleep(20 * time.Millisecond)
	}
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("api/status", "tok"); code != 200 || !strings.Contains(body, `"documents":5`) {
		t.Errorf("status: %d %s", code, body)
	}
	if code, _ := get("api/status", ""); code != 401 {
		t.Errorf("status without token: %d", code)
	}
	if code, _ := get("healthz", ""); code != 200 {
		t.Errorf("healthz: %d", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "stopped") {
			t.Errorf("serve exited %d\n%s\n%s", code, out.String(), errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeRefusesOpenAddressWithoutToken(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, dir, "serve", "--addr", "0.0.0.0:0", "--llm", "off")
	if code != 2 || !strings.Contains(stderr, "token") {
		t.Fatalf("serve on 0.0.0.0 without token: code %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, dir, "serve", "--addr", "nonsense", "--llm", "off")
	if code != 2 || !strings.Contains(stderr, "addr") {
		t.Fatalf("serve --addr nonsense: code %d\n%s", code, stderr)
	}
}
