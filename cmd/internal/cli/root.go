// Package cli implements the imyrag command line: one file per command, each
// binding its options into a struct and calling a plain function that tests
// call directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store/local"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command failed, or (with --strict) some input did
	exitUsage   = 2 // bad flags, arguments or configuration
)

// usageError is a mistake in how the command was called.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// hintError carries a suggestion for what to do next.
type hintError struct {
	err  error
	hint string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

// silentError sets the exit code; its message has already been printed.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// env holds what a command needs from the world, so tests can supply it.
type env struct {
	ctx         context.Context
	stdin       io.Reader
	stdout      io.Writer
	stderr      io.Writer
	getenv      func(string) string
	stderrTTY   bool
	stdoutIsTTY bool
	cfg         Config
	configPath  string
	log         *slog.Logger
}

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if f, ok := stderr.(*os.File); ok {
		e.stderrTTY = term.IsTerminal(int(f.Fd()))
	}
	if f, ok := stdout.(*os.File); ok {
		e.stdoutIsTTY = term.IsTerminal(int(f.Fd()))
	}
	return run(e, args)
}

func run(e *env, args []string) int {
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	err := root.ExecuteContext(e.ctx)
	if err == nil {
		return exitOK
	}
	var se silentError
	if errors.As(err, &se) {
		return se.code
	}
	fmt.Fprintf(e.stderr, "imyrag: %v\n", err)
	var he hintError
	if errors.As(err, &he) {
		fmt.Fprintf(e.stderr, "try: %s\n", he.hint)
	}
	var ue usageError
	if errors.As(err, &ue) || isFlagError(err) {
		fmt.Fprintln(e.stderr, "run 'imyrag --help' for usage")
		return exitUsage
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return exitFailure
}

func isFlagError(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand") ||
		strings.HasPrefix(msg, "unknown command") || strings.Contains(msg, "flag needs an argument") ||
		strings.HasPrefix(msg, "invalid argument") || strings.Contains(msg, "accepts ") || strings.Contains(msg, "requires at least")
}

func newRoot(e *env) *cobra.Command {
	flagCfg := defaults(e.getenv)
	root := &cobra.Command{
		Use:           "imyrag",
		Short:         "IMY:s juridiska kunskapsassistent: index, sök och svar med källhänvisningar",
		Long:          "imyrag ingests IMY's decisions, guidance and reports into a local index and\nsearches and answers from them with citations to the exact passages.\n\n" + envHelp(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(e.configPath, e.configPath != "", e.getenv)
			if err != nil {
				return usageError{err}
			}
			// Flags given on the command line win over everything else.
			var ferr error
			cmd.Flags().Visit(func(f *pflag.Flag) {
				for _, s := range settings {
					if s.flag == f.Name {
						if err := s.set(&cfg, f.Value.String()); err != nil && ferr == nil {
							ferr = fmt.Errorf("--%s: %w", s.flag, err)
						}
					}
				}
			})
			if ferr != nil {
				return usageError{ferr}
			}
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			e.cfg = cfg
			e.log = newLogger(e.stderr, cfg)
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&e.configPath, "config", "", "config file (JSON; default $XDG_CONFIG_HOME/imyrag/config.json)")
	pf.StringVar(&flagCfg.Index, "index", flagCfg.Index, "index file (embedded store) [IMYRAG_INDEX]")
	addStoreFlags(pf, &flagCfg)
	pf.StringVar(&flagCfg.LogLevel, "log-level", flagCfg.LogLevel, "log level: debug, info, warn, error [IMYRAG_LOG_LEVEL]")
	pf.StringVar(&flagCfg.LogFormat, "log-format", flagCfg.LogFormat, "log format: text or json [IMYRAG_LOG_FORMAT]")
	pf.StringVar(&flagCfg.LLM, "llm", flagCfg.LLM, "language model: auto (Ollama when it answers) or off [IMYRAG_LLM]")
	pf.StringVar(&flagCfg.OllamaHost, "ollama-host", "", "Ollama server, default $OLLAMA_HOST or 127.0.0.1:11434 [IMYRAG_OLLAMA_HOST]")
	pf.StringVar(&flagCfg.ChatModel, "chat-model", flagCfg.ChatModel, "Ollama model that writes answers [IMYRAG_CHAT_MODEL]")
	pf.StringVar(&flagCfg.EmbedModel, "embed-model", flagCfg.EmbedModel, "Ollama model that embeds passages and questions [IMYRAG_EMBED_MODEL]")
	pf.BoolVar(&flagCfg.AllowRemote, "allow-remote-llm", false, "allow an Ollama host that is not loopback or private [IMYRAG_ALLOW_REMOTE_LLM]")
	pf.IntVar(&flagCfg.NumCtx, "num-ctx", flagCfg.NumCtx, "context length in tokens requested for answers [IMYRAG_NUM_CTX]")
	pf.IntVar(&flagCfg.LLMTimeout, "llm-timeout", flagCfg.LLMTimeout, "seconds one answer may take, model loading included [IMYRAG_LLM_TIMEOUT]")
	pf.IntVar(&flagCfg.Passages, "passages", flagCfg.Passages, "passages the model reads for an answer [IMYRAG_PASSAGES]")
	pf.IntVar(&flagCfg.AnswerTokens, "answer-tokens", flagCfg.AnswerTokens, "tokens kept for the answer, and its length limit [IMYRAG_ANSWER_TOKENS]")
	pf.StringVar(&flagCfg.AuditLog, "audit-log", "", "append a record of every question, asker, sources and model to FILE [IMYRAG_AUDIT_LOG]")
	root.AddCommand(newIngestCmd(e), newIndexCmd(e), newDocsCmd(e), newSearchCmd(e), newAskCmd(e), newChatCmd(e), newModelsCmd(e), newServeCmd(e), newBatchCmd(e), newEvalCmd(e))
	return root
}

func envHelp() string {
	var b strings.Builder
	b.WriteString("Configuration (flags > environment > config file > defaults):\n")
	for _, s := range settings {
		fmt.Fprintf(&b, "  %-20s --%-12s %s\n", s.env, s.flag, s.help)
	}
	return b.String()
}

func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// llm returns a client for the configured Ollama server, or nil when the
// language model is switched off. It does not contact the server.
func (e *env) llm() (*ollama.Client, error) {
	if e.cfg.LLM == "off" {
		return nil, nil
	}
	host := e.cfg.OllamaHost
	if host == "" {
		host = e.getenv("OLLAMA_HOST")
	}
	c, err := ollama.New(e.ctx, ollama.Config{
		Host: host, AllowRemote: e.cfg.AllowRemote,
		ChatModel: e.cfg.ChatModel, EmbedModel: e.cfg.EmbedModel,
		NumCtx: e.cfg.NumCtx, ChatTimeout: time.Duration(e.cfg.LLMTimeout) * time.Second,
	})
	if err != nil {
		return nil, usageError{err}
	}
	return c, nil
}

// openIndex opens the configured embedded index.
func (e *env) openIndex() (*local.Store, error) {
	s, err := local.Open(e.ctx, e.cfg.Index)
	if err != nil {
		return nil, err
	}
	e.log.Debug("index opened", "path", e.cfg.Index)
	return s, nil
}

// openExistingIndex opens the index for reading and says what to do when
// there is none yet.
func (e *env) openExistingIndex() (*local.Store, error) {
	if _, err := os.Stat(e.cfg.Index); errors.Is(err, os.ErrNotExist) {
		return nil, hintError{fmt.Errorf("no index at %s", e.cfg.Index), "imyrag ingest   (indexes the bundled corpus)"}
	}
	return e.openIndex()
}
