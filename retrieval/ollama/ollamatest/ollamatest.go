// Package ollamatest runs a real Ollama server for tests, built from source
// at the version go.mod requires, with tiny models it writes itself.
//
// Tests of code that talks to Ollama call [Start] for the server shared by
// every test of the process, and [Server.Models] for the two test models:
//
//	srv := ollamatest.Start(t)
//	srv.Models(t)
//	client := myclient.New(srv.URL(), ollamatest.ChatModel, ollamatest.EmbedModel)
//
// The server binary comes from the environment variable IMYRAG_OLLAMA_BIN,
// which `make test` sets to the output of scripts/ollama-server. Without it
// the tests are skipped, or fail when the environment variable CI is set.
//
// The models have random weights, so what they say is noise: tests check
// the plumbing (requests, options, streaming, errors, model management,
// context lengths, embedding dimensions), never the quality of an answer.
//
// No TestMain is needed: a small watchdog process kills the server and
// removes its files when the test binary exits, however it exits.
package ollamatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// EnvBin names the environment variable that holds the path of the ollama
// binary, as printed by scripts/ollama-server.
const EnvBin = "IMYRAG_OLLAMA_BIN"

const (
	startTimeout = 60 * time.Second // from exec to a served /api/version
	stopTimeout  = 10 * time.Second
	logTailLines = 40
)

// Server is a running `ollama serve` on a loopback port with its own model
// folder. Its methods are safe for concurrent use.
type Server struct {
	host string
	dir  string // OLLAMA_MODELS, HOME and the log live here
	log  string

	serve    *exec.Cmd
	watchdog *exec.Cmd
	wdStdin  io.WriteCloser
	exited   chan struct{} // closed once serve has exited and been reaped

	stopOnce sync.Once

	modelsOnce sync.Once
	modelsErr  error
}

var shared struct {
	mu  sync.Mutex
	srv *Server
	err error
}

// Start returns the server shared by all tests of this process, starting it
// on first use, or again after it was stopped. The server outlives the test
// that started it: it runs until the test binary exits or someone calls
// [Server.Stop]. If tb fails, the tail of the server's log is logged.
//
// Start skips tb when IMYRAG_OLLAMA_BIN is empty, and fails it instead when
// the environment variable CI is set.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binPath(tb)

	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		tb.Fatalf("ollamatest: the shared server failed to start earlier: %v", shared.err)
	}
	if shared.srv == nil || shared.srv.Stopped() {
		t0 := time.Now()
		srv, err := start(bin)
		if err != nil {
			shared.err = err
			tb.Fatalf("ollamatest: %v", err)
		}
		tb.Logf("ollamatest: started %s on %s in %v", bin, srv.host, time.Since(t0).Round(time.Millisecond))
		shared.srv = srv
	}
	srv := shared.srv
	srv.logOnFailure(tb)
	return srv
}

// StartFresh starts a server of its own for tb and stops it when tb ends.
// Use it where a test kills the server (a server that goes away mid-stream)
// or needs a state nobody else touches. It skips or fails like [Start].
func StartFresh(tb testing.TB) *Server {
	tb.Helper()
	bin := binPath(tb)
	srv, err := start(bin)
	if err != nil {
		tb.Fatalf("ollamatest: %v", err)
	}
	srv.logOnFailure(tb)
	tb.Cleanup(srv.Stop)
	return srv
}

// Host returns the server's address, "127.0.0.1:port", the form of
// OLLAMA_HOST.
func (s *Server) Host() string { return s.host }

// URL returns the server's base URL, http://127.0.0.1:port. Each call
// returns a new value that the caller may change.
func (s *Server) URL() *url.URL {
	return &url.URL{Scheme: "http", Host: s.host}
}

// Client returns an Ollama API client for the server. Its HTTP client has
// no timeout: give each call a context with a deadline. Note that its Chat
// and Generate return nil when the server dies mid-stream; only the missing
// final Done response tells.
func (s *Server) Client() *api.Client {
	return api.NewClient(s.URL(), &http.Client{})
}

// Stop kills the server and the model runners it started at once, as a
// crash would: requests in flight see their connection drop. It then waits
// for them to exit and removes the server's files. Stop is idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		// Closing the watchdog's stdin makes it kill serve's process group
		// and remove the folder; the same happens when this process exits.
		s.wdStdin.Close()
		done := make(chan struct{})
		go func() { s.watchdog.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(stopTimeout):
			syscall.Kill(-s.serve.Process.Pid, syscall.SIGKILL)
			s.watchdog.Process.Kill()
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
		}
		os.RemoveAll(s.dir)
	})
}

// Stopped reports whether the server process has exited, by [Server.Stop]
// or on its own.
func (s *Server) Stopped() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// LogTail returns the last n lines of the server's log (its stdout and
// stderr, with the runners' output), or "" once the server is stopped.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return ""
	}
	lines := strings.SplitAfter(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "")
}

func (s *Server) logOnFailure(tb testing.TB) {
	tb.Cleanup(func() {
		if tb.Failed() {
			if tail := s.LogTail(logTailLines); tail != "" {
				tb.Logf("ollamatest: last lines of the server log (%s):\n%s", s.log, tail)
			}
		}
	})
}

// binPath returns the ollama binary named by IMYRAG_OLLAMA_BIN, or ends tb.
func binPath(tb testing.TB) string {
	tb.Helper()
	bin := os.Getenv(EnvBin)
	if bin == "" {
		const how = "run `make test`, or set " + EnvBin + "=$(scripts/ollama-server)"
		if os.Getenv("CI") != "" {
			tb.Fatal("ollamatest: " + EnvBin + " is empty, and CI must run the Ollama tests: " + how)
		}
		tb.Skip("ollamatest: no Ollama server to test against (" + EnvBin + " is empty); " + how)
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		tb.Fatalf("ollamatest: %s=%s is not an executable file; rebuild it with scripts/ollama-server", EnvBin, bin)
	}
	return bin
}

// start runs bin serve on a free loopback port and waits until it answers.
// The port is picked by binding :0 and closing it again, so another process
// can take it in between: then serve exits and start tries another port.
func start(bin string) (*Server, error) {
	var err error
	for range 3 {
		var srv *Server
		srv, err = startOnce(bin)
		if err == nil {
			return srv, nil
		}
		if !errors.Is(err, errAddrInUse) {
			return nil, err
		}
	}
	return nil, err
}

var errAddrInUse = errors.New("address already in use")

func startOnce(bin string) (_ *Server, err error) {
	host, err := freeHost()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "imyrag-ollamatest-")
	if err != nil {
		return nil, err
	}
	s := &Server{host: host, dir: dir, log: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	defer func() {
		if err != nil {
			if s.watchdog != nil {
				s.Stop()
			}
			os.RemoveAll(dir)
		}
	}()

	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the children hold their own descriptors

	s.serve = exec.Command(bin, "serve")
	s.serve.Env = append(environ(),
		"OLLAMA_HOST="+host,
		"OLLAMA_MODELS="+filepath.Join(dir, "models"),
		"HOME="+dir, // serve writes its key pair to ~/.ollama
	)
	s.serve.Stdout = logf
	s.serve.Stderr = logf
	// A process group of its own, which the runners join: one kill stops all.
	s.serve.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.serve.Start(); err != nil {
		return nil, fmt.Errorf("start %s serve: %w", bin, err)
	}
	go func() { s.serve.Wait(); close(s.exited) }()

	// The watchdog waits for EOF on stdin, which comes when Stop closes the
	// pipe or when this process exits for any reason, then kills the group
	// and removes the folder: no server outlives its tests.
	wd := exec.Command("/bin/sh", "-c", `read -r _; kill -KILL -"$1" 2>/dev/null; rm -rf "$2"`,
		"ollamatest-watchdog", fmt.Sprint(s.serve.Process.Pid), dir)
	stdin, err := wd.StdinPipe()
	if err == nil {
		err = wd.Start()
	}
	if err != nil {
		syscall.Kill(-s.serve.Process.Pid, syscall.SIGKILL)
		return nil, fmt.Errorf("start watchdog: %w", err)
	}
	s.watchdog, s.wdStdin = wd, stdin

	if err := s.waitReady(); err != nil {
		tail := s.LogTail(logTailLines)
		if strings.Contains(tail, "address already in use") {
			return nil, fmt.Errorf("%s: %w", host, errAddrInUse)
		}
		return nil, fmt.Errorf("%s serve on %s: %w; last lines of its log:\n%s", bin, host, err, tail)
	}
	return s, nil
}

// waitReady polls GET /api/version until it answers 200, serve exits or
// startTimeout passes.
func (s *Server) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	u := s.URL().JoinPath("api", "version").String()
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && bytes.Contains(body, []byte(`"version"`)) {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited during start-up: %v", s.serve.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("no answer from GET /api/version within %v", startTimeout)
		case <-tick.C:
		}
	}
}

// environ is this process's environment without OLLAMA_* settings, so that
// a developer's own Ollama configuration does not leak into the tests.
func environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OLLAMA_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return env
}

func freeHost() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}
