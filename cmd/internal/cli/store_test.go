package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Without a Qdrant server the qdrant store fails with a hint and a
// documented exit code; a remote host needs --allow-remote-qdrant. Every
// command that reads the index goes to the configured store, never
// silently to the embedded file.
func TestQdrantStoreErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, []byte(`{"id":"q1","question":"Vad är en sandlåda?"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := filepath.Abs("../../../eval/testdata/dev.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	down := []string{"--llm", "off", "--store", "qdrant", "--qdrant-url", "127.0.0.1:1"}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{append(slices.Clone(down), "search", "x"), exitFailure, "docker compose"},
		{append(slices.Clone(down), "ask", "x"), exitFailure, "docker compose"},
		{append(slices.Clone(down), "docs", "list"), exitFailure, "docker compose"},
		{append(slices.Clone(down), "serve", "--addr", "127.0.0.1:0"), exitFailure, "docker compose"},
		{append(slices.Clone(down), "batch", in, "-o", filepath.Join(dir, "out.jsonl")), exitFailure, "docker compose"},
		{append(slices.Clone(down), "eval", "--set", set, "-o", filepath.Join(dir, "eval")), exitFailure, "docker compose"},
		{[]string{"--store", "qdrant", "--qdrant-url", "8.8.8.8:6334", "index", "stats"}, exitUsage, "--allow-remote-qdrant"},
		{[]string{"--store", "mongo", "index", "stats"}, exitUsage, "want local or qdrant"},
		{[]string{"--qdrant-url", "http://h:6333", "index", "stats"}, exitUsage, "not a URL"},
		{[]string{"index", "migrate", "--to", "elsewhere"}, exitUsage, "want qdrant or local"},
	} {
		code, _, stderr := runCLI(t, dir, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.want) {
			t.Errorf("imyrag %s: exit %d, stderr %q; want exit %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.want)
		}
	}
}
