package cli

import (
	"strings"
	"testing"
)

// Without a Qdrant server the qdrant store fails with a hint and a
// documented exit code; a remote host needs --allow-remote-qdrant.
func TestQdrantStoreErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--llm", "off", "--store", "qdrant", "--qdrant-url", "127.0.0.1:1", "search", "x"}, exitFailure, "docker compose"},
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
