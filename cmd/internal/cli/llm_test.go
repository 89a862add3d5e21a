package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

// runWith runs the command line with extra environment variables and input.
func runWith(t *testing.T, dir string, vars map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	all := map[string]string{
		"XDG_DATA_HOME":   filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME": filepath.Join(dir, "config"),
	}
	for k, v := range vars {
		all[k] = v
	}
	e := &env{ctx: context.Background(), stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		getenv: func(k string) string { return all[k] }}
	code = run(e, args)
	return code, out.String(), errb.String()
}

// testLLM is the environment that points imyrag at the test Ollama server.
func testLLM(t *testing.T) map[string]string {
	t.Helper()
	srv := ollamatest.Start(t)
	srv.Models(t)
	// The test models read Swedish byte by byte (about 4 tokens per cl100k
	// token) and slow down sharply with long prompts: an 8k context, two
	// passages and short answers keep each answer to seconds.
	srv.CreateModel(t, "imyrag-cli-chat-8k", ollamatest.ModelOptions{ContextLength: 8192})
	return map[string]string{
		"IMYRAG_OLLAMA_HOST":   srv.Host(),
		"IMYRAG_CHAT_MODEL":    "imyrag-cli-chat-8k",
		"IMYRAG_EMBED_MODEL":   ollamatest.EmbedModel,
		"IMYRAG_NUM_CTX":       "8192",
		"IMYRAG_PASSAGES":      "2",
		"IMYRAG_ANSWER_TOKENS": "32",
	}
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

const sandboxQ = "Vilka förutsättningar gäller för att delta i sandlådan?"

// smallCorpus is the two short bundled documents about the regulatory
// sandbox (8 passages): embedding the whole corpus with the byte-level test
// model would take minutes on two cores.
var smallCorpus = []string{
	filepath.Join("..", "..", "..", "corpus", "imy-2023-slutredovisning-innovationssystemet.txt"),
	filepath.Join("..", "..", "..", "corpus", "imy-2025-innovationshubben-regulatorisk-sandlada.txt"),
}

func ingestArgs(extra ...string) []string {
	return append(append([]string{"ingest"}, smallCorpus...), extra...)
}

func TestWithOllama(t *testing.T) {
	dir := t.TempDir()
	llm := testLLM(t)

	// Ingest stores vectors.
	code, _, stderr := runWith(t, dir, llm, "", ingestArgs()...)
	if code != 0 || !strings.Contains(stderr, "vectors ("+ollamatest.EmbedModel+", 64 dims)") {
		t.Fatalf("ingest: code %d\n%s", code, stderr)
	}
	code, _, stderr = runWith(t, dir, llm, "", ingestArgs()...)
	if code != 0 || !strings.Contains(stderr, "every passage already has one") {
		t.Fatalf("second ingest: code %d\n%s", code, stderr)
	}

	// Search is hybrid.
	code, stdout, stderr := runWith(t, dir, llm, "", "search", "regulatorisk sandlåda", "--json")
	var res struct {
		Legs []string
		Hits []struct {
			DenseRank int `json:"dense_rank"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 || !slices.Contains(res.Legs, "dense") {
		t.Fatalf("search: code %d, err %v, legs %v\n%s", code, err, res.Legs, stderr)
	}
	code, stdout, _ = runWith(t, dir, llm, "", "search", "regulatorisk sandlåda")
	if code != 0 || !strings.Contains(stdout, "Hybridsökning") {
		t.Fatalf("plain search: code %d\n%s", code, stdout)
	}

	// Ask streams an answer, then flags and sources.
	code, stdout, stderr = runWith(t, dir, llm, "", "ask", sandboxQ)
	if code != 0 || !strings.Contains(stdout, "Källor:") || !strings.Contains(stdout, "Skrivet av imyrag-cli-chat-8k") {
		t.Fatalf("ask: code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runWith(t, dir, llm, "", "ask", sandboxQ, "--json")
	var ans struct {
		Mode      string
		Abstained bool
		Sentences []struct {
			Supported bool
			Flags     []string
		}
		Sources []struct {
			ChunkID string `json:"chunk_id"`
		}
		Timings map[string]int64
	}
	if err := json.Unmarshal([]byte(stdout), &ans); err != nil || code != 0 || ans.Mode != "generative" || len(ans.Sources) == 0 || ans.Timings["total_ns"] == 0 {
		t.Fatalf("ask --json: code %d err %v\n%s", code, err, stdout)
	}

	// A context too small for any source: the extractive answer, with the
	// problem said.
	code, stdout, _ = runWith(t, dir, llm, "", "ask", sandboxQ, "--num-ctx", "2048")
	if code != 0 || !strings.Contains(stdout, "modellens kontext") || !strings.Contains(stdout, "citat ur källorna") {
		t.Fatalf("ask with a small context: code %d\n%s", code, stdout)
	}

	// A conversation: the follow-up goes through the rewrite prompt.
	code, stdout, stderr = runWith(t, dir, llm, "Vad är en regulatorisk sandlåda?\nVem får delta?\n", "chat", "--json")
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("chat: code %d, %d lines\n%s\n%s", code, len(lines), stdout, stderr)
	}
	var second struct {
		Timings  map[string]int64
		Question string
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil || second.Question != "Vem får delta?" || second.Timings["rewrite_ns"] == 0 {
		t.Fatalf("chat second answer: %v\n%s", err, lines[1])
	}

	// A different embedding model needs an explicit re-embed.
	srv := ollamatest.Start(t)
	srv.CreateModel(t, "imyrag-cli-embed-b", ollamatest.ModelOptions{Embedding: true, EmbeddingDim: 32})
	other := map[string]string{}
	for k, v := range llm {
		other[k] = v
	}
	other["IMYRAG_EMBED_MODEL"] = "imyrag-cli-embed-b"
	code, _, stderr = runWith(t, dir, other, "", ingestArgs()...)
	if code != 1 || !strings.Contains(stderr, "--reembed") {
		t.Fatalf("ingest with another embed model: code %d\n%s", code, stderr)
	}
	code, stdout, _ = runWith(t, dir, other, "", "search", "sandlåda", "--json")
	if code != 0 || !strings.Contains(stdout, "imyrag-cli-embed-b") {
		t.Fatalf("search with a mismatched model should run lexical with a note: code %d\n%s", code, stdout)
	}
	code, _, stderr = runWith(t, dir, other, "", ingestArgs("--reembed")...)
	if code != 0 || !strings.Contains(stderr, "vectors (imyrag-cli-embed-b, 32 dims)") {
		t.Fatalf("ingest --reembed: code %d\n%s", code, stderr)
	}
}

func TestModelsCheck(t *testing.T) {
	dir := t.TempDir()
	llm := testLLM(t)
	code, stdout, stderr := runWith(t, dir, llm, "", "models", "check")
	if code != 0 || !strings.Contains(stdout, "embedding dimension 64") || !strings.Contains(stdout, "context 8192") {
		t.Fatalf("models check: code %d\n%s\n%s", code, stdout, stderr)
	}
	llm["IMYRAG_CHAT_MODEL"] = "no-such-model"
	code, stdout, _ = runWith(t, dir, llm, "", "models", "check", "--json")
	var r struct {
		Chat     struct{ Present bool }
		Problems []string
	}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || code != 1 || r.Chat.Present || len(r.Problems) == 0 {
		t.Fatalf("models check with a missing model: code %d err %v\n%s", code, err, stdout)
	}
}

func TestWithoutOllama(t *testing.T) {
	dir := t.TempDir()
	none := map[string]string{"OLLAMA_HOST": closedPort(t)}
	code, _, stderr := runWith(t, dir, none, "", "ingest")
	if code != 0 || !strings.Contains(stderr, "5 added") || !strings.Contains(stderr, "vectors: not computed") || !strings.Contains(stderr, "ollama serve") {
		t.Fatalf("ingest without Ollama: code %d\n%s", code, stderr)
	}
	code, stdout, stderr := runWith(t, dir, none, "", "ask", sandboxQ)
	if code != 0 || !strings.Contains(stderr, "ingen språkmodell") || !strings.Contains(stdout, "citat ur källorna") {
		t.Fatalf("ask without Ollama: code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = runWith(t, dir, none, "", "models", "check")
	if code != 1 || !strings.Contains(stderr, "no Ollama server answers") {
		t.Fatalf("models check without Ollama: code %d\n%s", code, stderr)
	}
	// --llm off: no note, no attempt.
	code, _, stderr = runWith(t, dir, none, "", "ask", sandboxQ, "--llm", "off")
	if code != 0 || strings.Contains(stderr, "språkmodell") {
		t.Fatalf("ask --llm off: code %d\n%s", code, stderr)
	}
}

func TestRemoteLLMHostRefused(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runWith(t, dir, nil, "", "models", "check", "--ollama-host", "8.8.8.8")
	if code != 2 || !strings.Contains(stderr, "--allow-remote-llm") {
		t.Fatalf("remote host: code %d\n%s", code, stderr)
	}
}

// Question text stays out of the logs, even at debug level; it is written
// only to the audit log, when one is configured.
func TestQuestionsOnlyInTheAuditLog(t *testing.T) {
	dir := t.TempDir()
	llm := testLLM(t)
	if code, _, stderr := runWith(t, dir, llm, "", ingestArgs()...); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	secret := "Får Anna Andersson 19800101-1234 delta i sandlådan?"
	code, _, stderr := runWith(t, dir, llm, "", "ask", secret, "--log-level", "debug")
	if code != 0 || strings.Contains(stderr, "Anna") || strings.Contains(stderr, "19800101") {
		t.Fatalf("the question reached the log: code %d\n%s", code, stderr)
	}
	audit := filepath.Join(dir, "audit.jsonl")
	if code, _, stderr = runWith(t, dir, llm, "", "ask", secret, "--audit-log", audit); code != 0 {
		t.Fatalf("ask with audit log: %s", stderr)
	}
	data, err := os.ReadFile(audit)
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Question, User, Mode, Model string
		PromptVersion               string `json:"prompt_version"`
	}
	if err := json.Unmarshal(data, &rec); err != nil || rec.Question != secret || rec.User == "" || rec.Model != "imyrag-cli-chat-8k" || rec.PromptVersion == "" {
		t.Fatalf("audit record %v: %s", err, data)
	}
}

// This machine has no route to a model registry: the real server's failure
// comes back as a clear error naming the model, after the progress output.
func TestModelsPullWithoutRegistry(t *testing.T) {
	dir := t.TempDir()
	llm := testLLM(t)
	llm["IMYRAG_CHAT_MODEL"] = "imyrag-not-in-any-registry"
	code, _, stderr := runWith(t, dir, llm, "", "models", "pull", "--only", "chat")
	if code != 1 || !strings.Contains(stderr, "imyrag-not-in-any-registry") || !strings.Contains(stderr, "pull") {
		t.Fatalf("models pull: code %d\n%s", code, stderr)
	}
	if code, _, stderr = runWith(t, dir, llm, "", "models", "pull", "--only", "both"); code != 2 {
		t.Fatalf("models pull --only both: code %d\n%s", code, stderr)
	}
}
