package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag/cmd/internal/audit"
	"github.com/imy/imyrag/cmd/internal/server"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
)

func newServeCmd(e *env) *cobra.Command {
	d := defaults(e.getenv)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the chat page, the JSON API and an OpenAI-compatible endpoint over HTTP",
		Long: `Serve imyrag over HTTP: the chat page at /, the JSON API under /api/
(ask, search, documents, chunks, status), an OpenAI-compatible
/v1/chat/completions, and /healthz, /readyz and /metrics for operations.

The server listens on loopback by default. On any other address it needs a
bearer token (--token or IMYRAG_TOKEN), which every API request must then
carry; open the page once as http://HOST:PORT/?token=TOKEN.

Questions are not stored or logged unless --audit-log is set. At most
--max-concurrent answers use the language model at once, --queue more wait,
and further questions get 429 with Retry-After. SIGINT or SIGTERM stops the
server, letting answers in flight finish within --shutdown-timeout seconds.`,
		Example: "  imyrag serve\n  IMYRAG_TOKEN=$(openssl rand -hex 16) imyrag serve --addr 0.0.0.0:8080",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServe(e, nil)
		},
	}
	// The values are applied to the configuration by the root command's
	// settings table (flags > environment > file > defaults).
	f := cmd.Flags()
	f.String("addr", d.Addr, "address to listen on, host:port [IMYRAG_ADDR]")
	f.String("token", "", "bearer token required by the API; required off loopback [IMYRAG_TOKEN]")
	f.Int("max-concurrent", d.MaxConcurrent, "answers generated at once [IMYRAG_MAX_CONCURRENT]")
	f.Int("queue", d.Queue, "answers waiting for a turn before 429 [IMYRAG_QUEUE]")
	f.Int("shutdown-timeout", d.ShutdownTimeout, "seconds to let requests finish on exit [IMYRAG_SHUTDOWN_TIMEOUT]")
	return cmd
}

// runServe serves until e.ctx ends. listening, when set, receives the
// server's base URL once it accepts connections (tests use it).
func runServe(e *env, listening func(url string)) error {
	if !server.IsLoopback(e.cfg.Addr) && e.cfg.Token == "" {
		return usageError{fmt.Errorf("addr %s is not a loopback address: %w (set --token or IMYRAG_TOKEN)", e.cfg.Addr, server.ErrNoToken)}
	}
	idx, eng, err := e.openSearch()
	if err != nil {
		return err
	}
	defer idx.Close()
	if w, ok := eng.(interface{ Warm(context.Context) error }); ok {
		// Build the embedded store's search snapshot before the first
		// question rather than during it.
		if err := w.Warm(e.ctx); err != nil {
			return fmt.Errorf("load the index: %w", err)
		}
	}
	deps := server.Deps{Store: idx, Engine: eng, Analyzer: analyze.Default(),
		Answer: answer.Options{Passages: e.cfg.Passages, AnswerTokens: e.cfg.AnswerTokens},
		Audit:  &audit.Log{Path: e.cfg.AuditLog}}
	c, err := e.llm()
	if err != nil {
		return err
	}
	if c != nil {
		tok, err := chunk.DefaultTokenizer()
		if err != nil {
			return err
		}
		deps.Embedder, deps.Chatter, deps.LLM, deps.Counter = c, c, c, tok
		if _, err := c.Version(e.ctx); err != nil {
			if e.ctx.Err() != nil {
				return e.ctx.Err()
			}
			fmt.Fprintf(e.stderr, "Obs: ingen språkmodell svarar ännu – %v\nSvaren blir citat ur källorna tills den svarar.\n", err)
		}
	}
	queue := e.cfg.Queue
	if queue == 0 {
		queue = -1 // none wait
	}
	srv, err := server.New(server.Config{
		Token: e.cfg.Token, MaxConcurrent: e.cfg.MaxConcurrent, Queue: queue,
		AnswerTimeout:   answerTimeout(e.cfg),
		ShutdownTimeout: time.Duration(e.cfg.ShutdownTimeout) * time.Second,
		Log:             e.log,
	}, deps)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return hintError{fmt.Errorf("listen on %s: %w", e.cfg.Addr, err), "imyrag serve --addr 127.0.0.1:8081   (another port)"}
	}
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(e.stdout, "imyrag serve: %s  (Ctrl-C stops)\n", url)
	if e.cfg.Token != "" {
		fmt.Fprintf(e.stdout, "The API needs the token: open %s?token=TOKEN once, or send Authorization: Bearer TOKEN.\n", url)
	}
	e.log.Info("serving", "addr", ln.Addr().String(), "llm", c != nil, "token", e.cfg.Token != "",
		"max_concurrent", e.cfg.MaxConcurrent, "queue", e.cfg.Queue, "audit_log", e.cfg.AuditLog != "")
	if listening != nil {
		listening(url)
	}
	err = srv.Serve(e.ctx, ln)
	if errors.Is(err, server.ErrNoToken) {
		return usageError{err}
	}
	if err == nil && e.ctx.Err() != nil {
		fmt.Fprintln(e.stdout, "imyrag serve: stopped")
	}
	return err
}

// answerTimeout bounds one answer: the model's timeout for the answer,
// plus the rewrite and, with the judge, a few more calls.
func answerTimeout(cfg Config) time.Duration {
	t := time.Duration(cfg.LLMTimeout) * time.Second
	return 2*t + time.Minute
}
