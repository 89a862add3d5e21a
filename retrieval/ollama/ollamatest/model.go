package ollamatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/fs/ggml"
)

// The models that [Server.Models] creates.
const (
	// ChatModel answers /api/chat and /api/generate (and /api/embed, with
	// the hidden state of the last token, as Ollama does for any model).
	ChatModel = "imyrag-test-chat"
	// EmbedModel is an embedding model: /api/show lists the capability
	// "embedding" and Ollama refuses to chat with it.
	EmbedModel = "imyrag-test-embed"
)

// ChatTemplate is the template of the models CreateModel creates: one
// "role: content" line per message, then "assistant:".
const ChatTemplate = `{{- if .System }}system: {{ .System }}
{{ end }}
{{- range .Messages }}{{ .Role }}: {{ .Content }}
{{ end }}assistant:`

// ModelOptions shapes a model written by [Server.CreateModel]. The zero
// value is a 2048-token chat model with 64-dimensional embeddings.
type ModelOptions struct {
	// ContextLength is the model's trained context (llama.context_length),
	// which caps num_ctx; 0 means 2048.
	ContextLength int
	// EmbeddingDim is the width of the model and so the length of its
	// embeddings (llama.embedding_length); 0 means 64. A multiple of 8.
	EmbeddingDim int
	// Embedding makes it an embedding model (mean pooling): Ollama then
	// reports the capability "embedding" instead of "completion".
	Embedding bool
}

func (o ModelOptions) withDefaults() ModelOptions {
	if o.ContextLength == 0 {
		o.ContextLength = 2048
	}
	if o.EmbeddingDim == 0 {
		o.EmbeddingDim = 64
	}
	return o
}

// The fixed shape of every test model: a llama with 2 blocks of 4 heads and
// a feed-forward width of 128, and a SentencePiece vocabulary.
const (
	blockCount  = 2
	headCount   = 4
	feedForward = 128
)

// CreateModel writes a tiny llama-architecture GGUF model with random
// weights (about 0.5 MB with the defaults), uploads it as a blob and creates
// the model name from it, with [ChatTemplate]. Creating a model that exists
// replaces it. It fails tb on error.
func (s *Server) CreateModel(tb testing.TB, name string, opts ModelOptions) {
	tb.Helper()
	if err := s.createModel(tb, name, opts); err != nil {
		tb.Fatalf("ollamatest: create model %s: %v", name, err)
	}
}

// Models creates [ChatModel] and [EmbedModel] with the default options,
// once per server. It fails tb on error.
func (s *Server) Models(tb testing.TB) {
	tb.Helper()
	s.modelsOnce.Do(func() {
		s.modelsErr = s.createModel(tb, ChatModel, ModelOptions{})
		if s.modelsErr == nil {
			s.modelsErr = s.createModel(tb, EmbedModel, ModelOptions{Embedding: true})
		}
	})
	if s.modelsErr != nil {
		tb.Fatalf("ollamatest: create the test models: %v", s.modelsErr)
	}
}

func (s *Server) createModel(tb testing.TB, name string, opts ModelOptions) error {
	gguf, err := modelFile(opts)
	if err != nil {
		return err
	}
	digest := fmt.Sprintf("sha256:%x", sha256.Sum256(gguf))

	ctx, cancel := context.WithTimeout(tb.Context(), time.Minute)
	defer cancel()
	client := s.Client()
	if err := client.CreateBlob(ctx, digest, bytes.NewReader(gguf)); err != nil {
		return fmt.Errorf("upload blob: %w", err)
	}
	stream := false
	err = client.Create(ctx, &api.CreateRequest{
		Model:    name,
		Files:    map[string]string{"model.gguf": digest},
		Template: ChatTemplate,
		Stream:   &stream,
	}, func(api.ProgressResponse) error { return nil })
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	return nil
}

// modelFiles caches the GGUF bytes per options: they are deterministic.
var modelFiles sync.Map // ModelOptions → []byte

// modelFile returns the GGUF file for opts.
func modelFile(opts ModelOptions) ([]byte, error) {
	opts = opts.withDefaults()
	if b, ok := modelFiles.Load(opts); ok {
		return b.([]byte), nil
	}
	if opts.ContextLength < 1 || opts.EmbeddingDim < 8 || opts.EmbeddingDim%8 != 0 {
		return nil, fmt.Errorf("invalid model options %+v: want ContextLength ≥ 1 and EmbeddingDim a positive multiple of 8", opts)
	}
	kv, tensors := model(opts)

	// WriteGGUF wants an *os.File.
	dir, err := os.MkdirTemp("", "imyrag-gguf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "model.gguf"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := ggml.WriteGGUF(f, kv, tensors); err != nil {
		return nil, fmt.Errorf("write gguf: %w", err)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return nil, err
	}
	modelFiles.Store(opts, b)
	return b, nil
}

// Token types of a SentencePiece vocabulary (llama.cpp's llama_token_type).
const (
	tokenNormal  = 1
	tokenUnknown = 2
	tokenControl = 3
	tokenByte    = 6
)

// pieces are the vocabulary's normal tokens, after <unk>, <s>, </s> and the
// 256 byte tokens. The model only ever generates these, so its noise reads
// as Swedish-looking words rather than bytes of broken UTF-8.
var pieces = []string{
	"▁", "▁och", "▁att", "▁i", "▁det", "▁som", "▁en", "▁är", "▁av", "▁för",
	"▁personuppgifter", "▁lag", "▁data", "a", "e", "n", "r", "t", "s",
}

// model returns the metadata and the tensors of a llama model shaped by
// opts, with weights from a fixed seed.
func model(opts ModelOptions) (ggml.KV, []*ggml.Tensor) {
	var (
		tokens []string
		scores []float32
		types  []int32
	)
	add := func(tok string, score float32, typ int32) {
		tokens = append(tokens, tok)
		scores = append(scores, score)
		types = append(types, typ)
	}
	add("<unk>", 0, tokenUnknown)
	add("<s>", 0, tokenControl)
	add("</s>", 0, tokenControl)
	for b := range 256 {
		add(fmt.Sprintf("<0x%02X>", b), 0, tokenByte)
	}
	firstPiece := len(tokens)
	for i, p := range pieces {
		// SentencePiece prefers higher scores: longer pieces first.
		add(p, float32(len(p))-float32(i)/100, tokenNormal)
	}
	vocab := uint64(len(tokens))

	embd := uint64(opts.EmbeddingDim)
	headDim := embd / headCount
	kv := ggml.KV{
		"general.architecture":                   "llama",
		"general.name":                           "imyrag-test",
		"general.file_type":                      uint32(0), // all F32
		"llama.context_length":                   uint32(opts.ContextLength),
		"llama.embedding_length":                 uint32(embd),
		"llama.block_count":                      uint32(blockCount),
		"llama.feed_forward_length":              uint32(feedForward),
		"llama.attention.head_count":             uint32(headCount),
		"llama.attention.head_count_kv":          uint32(headCount),
		"llama.attention.layer_norm_rms_epsilon": float32(1e-5),
		"llama.rope.dimension_count":             uint32(headDim),
		"llama.rope.freq_base":                   float32(10000),
		"llama.vocab_size":                       uint32(vocab),
		"tokenizer.ggml.model":                   "llama",
		"tokenizer.ggml.tokens":                  tokens,
		"tokenizer.ggml.scores":                  scores,
		"tokenizer.ggml.token_type":              types,
		"tokenizer.ggml.unknown_token_id":        uint32(0),
		"tokenizer.ggml.bos_token_id":            uint32(1),
		"tokenizer.ggml.eos_token_id":            uint32(2),
		"tokenizer.ggml.add_bos_token":           true,
		"tokenizer.ggml.add_eos_token":           false,
	}
	if opts.Embedding {
		kv["llama.pooling_type"] = uint32(1) // mean
	}

	rng := rand.New(rand.NewPCG(uint64(opts.ContextLength), embd))
	random := func(scale float64, shape ...uint64) f32s {
		n := uint64(1)
		for _, d := range shape {
			n *= d
		}
		v := make(f32s, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	ones := func(n uint64) f32s {
		v := make(f32s, n)
		for i := range v {
			v[i] = 1
		}
		return v
	}
	var tensors []*ggml.Tensor
	tensor := func(name string, data f32s, shape ...uint64) {
		tensors = append(tensors, &ggml.Tensor{Name: name, Kind: 0, Shape: shape, WriterTo: data})
	}

	// Shapes are in ggml order: the input dimension first.
	tensor("token_embd.weight", random(1, embd, vocab), embd, vocab)
	for i := range blockCount {
		blk := fmt.Sprintf("blk.%d.", i)
		in := 1 / math.Sqrt(float64(embd))
		tensor(blk+"attn_norm.weight", ones(embd), embd)
		tensor(blk+"attn_q.weight", random(in, embd, embd), embd, embd)
		tensor(blk+"attn_k.weight", random(in, embd, embd), embd, embd)
		tensor(blk+"attn_v.weight", random(in, embd, embd), embd, embd)
		tensor(blk+"attn_output.weight", random(in, embd, embd), embd, embd)
		tensor(blk+"ffn_norm.weight", ones(embd), embd)
		tensor(blk+"ffn_gate.weight", random(in, embd, feedForward), embd, feedForward)
		tensor(blk+"ffn_up.weight", random(in, embd, feedForward), embd, feedForward)
		tensor(blk+"ffn_down.weight", random(1/math.Sqrt(feedForward), feedForward, embd), feedForward, embd)
	}
	tensor("output_norm.weight", ones(embd), embd)
	// Only the pieces get output weights; every other token has a logit of
	// 0 and so almost never wins against them: the model does not stop
	// early with </s>, and it writes text, not stray bytes.
	out := make(f32s, embd*vocab)
	copy(out[uint64(firstPiece)*embd:], random(1, embd, vocab-uint64(firstPiece)))
	tensor("output.weight", out, embd, vocab)
	return kv, tensors
}

// f32s is the data of an F32 tensor.
type f32s []float32

func (v f32s) WriteTo(w io.Writer) (int64, error) {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	n, err := w.Write(b)
	return int64(n), err
}
