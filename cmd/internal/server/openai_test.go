package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientDir holds the Node script and its locked dependencies.
var clientDir = filepath.Join("..", "..", "..", "scripts", "openai-client-test")

// nodeClient returns the node binary, with the script's dependencies
// installed (npm ci) when they are not yet. Without node or npm the test
// is skipped, or fails when CI is set.
func nodeClient(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err != nil || err2 != nil {
		const msg = "node and npm are needed to run the official openai client (apt-get install nodejs npm)"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg + "; skipping")
	}
	if _, err := os.Stat(filepath.Join(clientDir, "node_modules", "openai", "package.json")); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = clientDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", clientDir, err, out)
		}
	}
	return node
}

// runClient runs the openai client against the server at base.
func runClient(t *testing.T, node, base, token string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "client.mjs")
	cmd.Dir = clientDir
	cmd.Env = append(os.Environ(), "IMYRAG_BASE_URL="+base+"/v1", "IMYRAG_TOKEN="+token)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	if err != nil {
		t.Fatalf("openai client: %v\n%s\n%s", err, out, stderr)
	}
	var seen map[string]any
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &seen); err != nil || seen["ok"] != true {
		t.Fatalf("openai client said %s (%v)", out, err)
	}
	return seen
}

// The official openai npm client talks to /v1: models, a completion, a
// streamed completion, a follow-up, a wrong token and an unknown model.
func TestOpenAIClient(t *testing.T) {
	node := nodeClient(t)
	t.Run("extractive", func(t *testing.T) {
		s := newServer(t, Config{Token: testToken}, extractiveDeps(t))
		seen := runClient(t, node, serve(t, s), testToken)
		t.Logf("%v", seen)
	})
	t.Run("generative", func(t *testing.T) {
		d, _ := ollamaDeps(t)
		s := newServer(t, Config{Token: testToken}, d)
		seen := runClient(t, node, serve(t, s), testToken)
		t.Logf("%v", seen)
		if st, _ := seen["stream"].(map[string]any); st["mode"] != "generative" {
			t.Errorf("streamed answer not generative: %v", seen)
		}
	})
}
