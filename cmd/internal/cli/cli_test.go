package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line with a private index and config location.
func runCLI(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	vars := map[string]string{
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
	}
	e := &env{ctx: context.Background(), stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return vars[k] }}
	code = run(e, args)
	return code, out.String(), errb.String()
}

func TestIngestStatsDocs(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCLI(t, dir, "ingest")
	if code != 0 || !strings.Contains(stderr, "5 added") {
		t.Fatalf("ingest: code %d, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "imyrag", "index.db")); err != nil {
		t.Errorf("index not at the default location: %v", err)
	}
	code, _, stderr = runCLI(t, dir, "ingest")
	if code != 0 || !strings.Contains(stderr, "5 unchanged") || !strings.Contains(stderr, "nothing changed") {
		t.Errorf("second ingest: code %d, stderr:\n%s", code, stderr)
	}

	code, stdout, _ := runCLI(t, dir, "index", "stats")
	if code != 0 || !strings.Contains(stdout, "documents  5") || !strings.Contains(stdout, "imy-2025-ai-strategi") {
		t.Errorf("index stats: code %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, dir, "index", "stats", "--json")
	var st struct {
		Stats struct {
			Documents, Chunks int
		}
		Documents []struct {
			ID     string
			Chunks int
		}
	}
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || code != 0 || st.Stats.Documents != 5 || len(st.Documents) != 5 {
		t.Errorf("index stats --json: code %d, err %v\n%s", code, err, stdout)
	}
	if code, stdout, _ = runCLI(t, dir, "index", "check"); code != 0 || !strings.HasPrefix(stdout, "ok:") {
		t.Errorf("index check: code %d\n%s", code, stdout)
	}
	if code, stdout, _ = runCLI(t, dir, "docs", "list"); code != 0 || strings.Count(stdout, "\n") != 6 {
		t.Errorf("docs list: code %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, dir, "docs", "show", "imy-2023-slutredovisning-innovationssystemet")
	if code != 0 || !strings.Contains(stdout, "DI-2021-5817") || !strings.Contains(stdout, "2023-03-28") {
		t.Errorf("docs show: code %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, dir, "docs", "show", "imy-2025-ai-strategi", "--chunks", "--json")
	var shown struct {
		Chunks []struct {
			ID   string
			Text string
		}
	}
	if err := json.Unmarshal([]byte(stdout), &shown); err != nil || code != 0 || len(shown.Chunks) == 0 {
		t.Errorf("docs show --chunks --json: code %d, err %v", code, err)
	}
}

func TestErrorsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"no index yet", []string{"index", "stats"}, exitFailure, "try: imyrag ingest"},
		{"unknown flag", []string{"ingest", "--nope"}, exitUsage, "unknown flag"},
		{"bad workers", []string{"ingest", "--workers", "0"}, exitUsage, "--workers"},
		{"bad log level", []string{"index", "stats", "--log-level", "loud"}, exitUsage, "log-level"},
		{"missing config", []string{"index", "stats", "--config", filepath.Join(dir, "none.json")}, exitUsage, "config file"},
		{"show needs an id", []string{"docs", "show"}, exitUsage, "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, dir, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.contains) {
				t.Errorf("code %d, want %d; stderr %q, want it to contain %q", code, tt.code, stderr, tt.contains)
			}
		})
	}
}

func TestIngestFailuresAndStrict(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "bra.txt"), []byte("Ett beslut om kamerabevakning.\n"), 0o644)
	os.WriteFile(filepath.Join(src, "tom.txt"), nil, 0o644)

	code, _, stderr := runCLI(t, dir, "ingest", src)
	if code != 0 || !strings.Contains(stderr, "tom.txt") || !strings.Contains(stderr, "1 failed") {
		t.Errorf("ingest with one bad file: code %d\n%s", code, stderr)
	}
	if code, _, _ = runCLI(t, dir, "ingest", "--strict", src); code != exitFailure {
		t.Errorf("--strict with a failed file: code %d, want %d", code, exitFailure)
	}
	code, _, stderr = runCLI(t, dir, "ingest", filepath.Join(src, "tom.txt"))
	if code != exitFailure || !strings.Contains(stderr, "nothing could be read") {
		t.Errorf("nothing readable: code %d\n%s", code, stderr)
	}
	code, stdout, _ := runCLI(t, dir, "ingest", "--json", src)
	var res struct {
		Unchanged int
		Failed    []struct{ Source, Reason string }
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Unchanged != 1 || len(res.Failed) != 1 {
		t.Errorf("ingest --json: %v\n%s", err, stdout)
	}
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "c.json")
	os.WriteFile(cfgFile, []byte(`{"index": "/from/file.db", "workers": 3}`), 0o644)
	env := map[string]string{"IMYRAG_WORKERS": "7"}
	cfg, err := loadConfig(cfgFile, true, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Index != "/from/file.db" || cfg.Workers != 7 || cfg.MaxSizeMB != 64 {
		t.Errorf("config = %+v; want index from file, workers from env, max size default", cfg)
	}
	os.WriteFile(cfgFile, []byte(`{"indx": "typo"}`), 0o644)
	if _, err := loadConfig(cfgFile, true, func(string) string { return "" }); err == nil {
		t.Error("unknown config key accepted")
	}
	if _, err := loadConfig("", false, func(k string) string { return map[string]string{"IMYRAG_WORKERS": "x"}[k] }); err == nil {
		t.Error("bad IMYRAG_WORKERS accepted")
	}
}
