package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is every setting of the program. It is filled from defaults, then
// the config file, then IMYRAG_* environment variables, then flags, and
// validated before use.
type Config struct {
	Index     string `json:"index"`
	Workers   int    `json:"workers"`
	MaxSizeMB int    `json:"max_size_mb"`
	LogLevel  string `json:"log_level"`
	LogFormat string `json:"log_format"`
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
		Index:     defaultIndexPath(getenv),
		Workers:   4,
		MaxSizeMB: 64,
		LogLevel:  "warn",
		LogFormat: "text",
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
	return nil
}
