package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
)

// Config is every setting of the program. It is filled from defaults, then
// the config file, then IMYRAG_* environment variables, then flags, and
// validated before use.
type Config struct {
	Index string `json:"index"`
	// StoreConfig chooses the backend (store.go).
	StoreConfig
	Workers   int    `json:"workers"`
	MaxSizeMB int    `json:"max_size_mb"`
	LogLevel  string `json:"log_level"`
	LogFormat string `json:"log_format"`

	// LLM is "auto" (use Ollama when it answers, say so and fall back when
	// it does not) or "off" (lexical search, extractive answers).
	LLM         string `json:"llm"`
	OllamaHost  string `json:"ollama_host"`
	ChatModel   string `json:"chat_model"`
	EmbedModel  string `json:"embed_model"`
	AllowRemote bool   `json:"allow_remote_llm"`
	NumCtx      int    `json:"num_ctx"`
	// LLMTimeout bounds one streamed answer, in seconds.
	LLMTimeout int `json:"llm_timeout_s"`
	// Judge has the model check each cited sentence against its sources.
	Judge bool `json:"judge"`
	// Passages is how many passages the model reads; AnswerTokens the room
	// kept for (and the cap on) the answer.
	Passages     int `json:"passages"`
	AnswerTokens int `json:"answer_tokens"`
	// AuditLog, when set, is a file that records every question, who asked
	// it, and which sources, model and prompt version answered it.
	AuditLog string `json:"audit_log"`

	// Addr is the address `imyrag serve` listens on; Token, when set, is
	// the bearer token every API request must carry (required when Addr is
	// not loopback). MaxConcurrent answers may use the model at once, Queue
	// more wait; ShutdownTimeout (seconds) lets requests finish on exit.
	Addr            string `json:"addr"`
	Token           string `json:"token"`
	MaxConcurrent   int    `json:"max_concurrent"`
	Queue           int    `json:"queue"`
	ShutdownTimeout int    `json:"shutdown_timeout_s"`
}

// setting describes one configuration value: its flag, environment variable
// and config-file key. The one table feeds flags, env parsing and `--help`.
type setting struct {
	flag, env, help string
	get             func(*Config) string
	set             func(*Config, string) error
}

func intSetter(field func(*Config) *int, min int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < min {
			return fmt.Errorf("want a whole number ≥ %d, got %q", min, v)
		}
		*field(c) = n
		return nil
	}
}

var settings = []setting{
	{"index", "IMYRAG_INDEX", "index file (embedded store)",
		func(c *Config) string { return c.Index },
		func(c *Config, v string) error { c.Index = v; return nil }},
	{"workers", "IMYRAG_WORKERS", "sources processed at once during ingest",
		func(c *Config) string { return strconv.Itoa(c.Workers) },
		intSetter(func(c *Config) *int { return &c.Workers }, 1)},
	{"max-size", "IMYRAG_MAX_SIZE_MB", "largest source file accepted, in MiB",
		func(c *Config) string { return strconv.Itoa(c.MaxSizeMB) },
		intSetter(func(c *Config) *int { return &c.MaxSizeMB }, 1)},
	{"log-level", "IMYRAG_LOG_LEVEL", "log level: debug, info, warn, error",
		func(c *Config) string { return c.LogLevel },
		func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{"log-format", "IMYRAG_LOG_FORMAT", "log format: text or json",
		func(c *Config) string { return c.LogFormat },
		func(c *Config, v string) error { c.LogFormat = v; return nil }},
	{"llm", "IMYRAG_LLM", "language model: auto (Ollama when it answers) or off",
		func(c *Config) string { return c.LLM },
		func(c *Config, v string) error { c.LLM = v; return nil }},
	{"ollama-host", "IMYRAG_OLLAMA_HOST", "Ollama server (default $OLLAMA_HOST, then 127.0.0.1:11434)",
		func(c *Config) string { return c.OllamaHost },
		func(c *Config, v string) error { c.OllamaHost = v; return nil }},
	{"chat-model", "IMYRAG_CHAT_MODEL", "Ollama model that writes answers",
		func(c *Config) string { return c.ChatModel },
		func(c *Config, v string) error { c.ChatModel = v; return nil }},
	{"embed-model", "IMYRAG_EMBED_MODEL", "Ollama model that embeds passages and questions",
		func(c *Config) string { return c.EmbedModel },
		func(c *Config, v string) error { c.EmbedModel = v; return nil }},
	{"allow-remote-llm", "IMYRAG_ALLOW_REMOTE_LLM", "allow an Ollama host that is not loopback or private",
		func(c *Config) string { return strconv.FormatBool(c.AllowRemote) },
		boolSetter(func(c *Config) *bool { return &c.AllowRemote })},
	{"num-ctx", "IMYRAG_NUM_CTX", "context length (tokens) requested for answers",
		func(c *Config) string { return strconv.Itoa(c.NumCtx) },
		intSetter(func(c *Config) *int { return &c.NumCtx }, 512)},
	{"llm-timeout", "IMYRAG_LLM_TIMEOUT", "seconds one answer may take, model loading included",
		func(c *Config) string { return strconv.Itoa(c.LLMTimeout) },
		intSetter(func(c *Config) *int { return &c.LLMTimeout }, 1)},
	{"passages", "IMYRAG_PASSAGES", "passages the model reads for an answer (1–20)",
		func(c *Config) string { return strconv.Itoa(c.Passages) },
		intSetter(func(c *Config) *int { return &c.Passages }, 1)},
	{"answer-tokens", "IMYRAG_ANSWER_TOKENS", "tokens kept for the answer, and its length limit",
		func(c *Config) string { return strconv.Itoa(c.AnswerTokens) },
		intSetter(func(c *Config) *int { return &c.AnswerTokens }, 16)},
	{"judge", "IMYRAG_JUDGE", "have the model check every cited sentence against its sources",
		func(c *Config) string { return strconv.FormatBool(c.Judge) },
		boolSetter(func(c *Config) *bool { return &c.Judge })},
	{"audit-log", "IMYRAG_AUDIT_LOG", "file recording questions, askers, sources and models (off when empty)",
		func(c *Config) string { return c.AuditLog },
		func(c *Config, v string) error { c.AuditLog = v; return nil }},
	{"addr", "IMYRAG_ADDR", "address `imyrag serve` listens on (host:port)",
		func(c *Config) string { return c.Addr },
		func(c *Config, v string) error { c.Addr = v; return nil }},
	{"token", "IMYRAG_TOKEN", "bearer token the HTTP API requires (needed off loopback)",
		func(c *Config) string { return c.Token },
		func(c *Config, v string) error { c.Token = v; return nil }},
	{"max-concurrent", "IMYRAG_MAX_CONCURRENT", "answers generated at once by `imyrag serve`",
		func(c *Config) string { return strconv.Itoa(c.MaxConcurrent) },
		intSetter(func(c *Config) *int { return &c.MaxConcurrent }, 1)},
	{"queue", "IMYRAG_QUEUE", "answers waiting for a turn before 429",
		func(c *Config) string { return strconv.Itoa(c.Queue) },
		intSetter(func(c *Config) *int { return &c.Queue }, 0)},
	{"shutdown-timeout", "IMYRAG_SHUTDOWN_TIMEOUT", "seconds `imyrag serve` lets requests finish on exit",
		func(c *Config) string { return strconv.Itoa(c.ShutdownTimeout) },
		intSetter(func(c *Config) *int { return &c.ShutdownTimeout }, 0)},
}

func boolSetter(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*field(c) = b
		return nil
	}
}

// defaultIndexPath is $XDG_DATA_HOME/imyrag/index.db, or
// ~/.local/share/imyrag/index.db.
func defaultIndexPath(getenv func(string) string) string {
	dir := getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "imyrag-index.db"
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "imyrag", "index.db")
}

// defaultConfigPath is $XDG_CONFIG_HOME/imyrag/config.json.
func defaultConfigPath(getenv func(string) string) string {
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "imyrag", "config.json")
}

func defaults(getenv func(string) string) Config {
	return Config{
		Index:        defaultIndexPath(getenv),
		Workers:      4,
		MaxSizeMB:    64,
		LogLevel:     "warn",
		LogFormat:    "text",
		LLM:          "auto",
		ChatModel:    ollama.DefaultChatModel,
		EmbedModel:   ollama.DefaultEmbedModel,
		NumCtx:       ollama.DefaultNumCtx,
		LLMTimeout:   int(ollama.DefaultChatTimeout / time.Second),
		Passages:     answer.DefaultOptions.Passages,
		AnswerTokens: answer.DefaultOptions.AnswerTokens,

		Addr:            "127.0.0.1:8080",
		MaxConcurrent:   2,
		Queue:           8,
		ShutdownTimeout: 30,
	}
}

// loadConfig builds the configuration from defaults, the config file (path,
// or the default location when path is empty and the file exists) and the
// environment. Flags are applied by the caller.
func loadConfig(path string, explicit bool, getenv func(string) string) (Config, error) {
	c := defaults(getenv)
	if path == "" {
		path = defaultConfigPath(getenv)
	}
	if path != "" {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			dec := json.NewDecoder(strings.NewReader(string(data)))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&c); err != nil {
				return c, fmt.Errorf("config file %s: %w", path, err)
			}
		case errors.Is(err, fs.ErrNotExist) && !explicit:
		default:
			return c, fmt.Errorf("config file: %w", err)
		}
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.set(&c, v); err != nil {
				return c, fmt.Errorf("%s: %w", s.env, err)
			}
		}
	}
	return c, nil
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Index) == "":
		return errors.New("index: empty path (set --index or IMYRAG_INDEX)")
	case c.Workers < 1:
		return fmt.Errorf("workers: %d, want ≥ 1", c.Workers)
	case c.MaxSizeMB < 1:
		return fmt.Errorf("max-size: %d MiB, want ≥ 1", c.MaxSizeMB)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level: %q, want debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format: %q, want text or json", c.LogFormat)
	}
	switch c.LLM {
	case "auto", "off":
	default:
		return fmt.Errorf("llm: %q, want auto or off", c.LLM)
	}
	if c.OllamaHost != "" {
		if _, err := ollama.ParseHost(c.OllamaHost); err != nil {
			return fmt.Errorf("ollama-host: %w", err)
		}
	}
	switch {
	case c.Passages < 1 || c.Passages > 20:
		return fmt.Errorf("passages: %d, want 1–20", c.Passages)
	case c.AnswerTokens >= c.NumCtx:
		return fmt.Errorf("answer-tokens %d leaves no room in num-ctx %d", c.AnswerTokens, c.NumCtx)
	case strings.TrimSpace(c.ChatModel) == "":
		return errors.New("chat-model: empty")
	case strings.TrimSpace(c.EmbedModel) == "":
		return errors.New("embed-model: empty")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr: %q, want host:port (e.g. 127.0.0.1:8080): %v", c.Addr, err)
	}
	switch {
	case c.MaxConcurrent < 1:
		return fmt.Errorf("max-concurrent: %d, want ≥ 1", c.MaxConcurrent)
	case c.Queue < 0:
		return fmt.Errorf("queue: %d, want ≥ 0", c.Queue)
	case c.ShutdownTimeout < 0:
		return fmt.Errorf("shutdown-timeout: %d, want ≥ 0", c.ShutdownTimeout)
	}
	return nil
}
