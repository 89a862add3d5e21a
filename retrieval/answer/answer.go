// Package answer writes grounded answers: it rewrites a follow-up question
// into a standalone one, searches (hybrid when the index holds vectors),
// abstains before calling the model when the evidence is weak, selects
// passages within a counted token budget, streams the local model's answer,
// and checks every sentence against the passages it cites.
//
// When no language model is configured or reachable it answers
// extractively (package extractive) from the same search, and says why.
// Problems — a cut-off stream, a prompt that did not fit, citations to
// sources that do not exist — are returned with the answer, never cleaned
// up silently.
package answer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/extractive"
	"github.com/imy/imyrag/retrieval/grounding"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/store"
)

// Searcher is the search engine (retrieval.Engine).
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) (*retrieval.Result, error)
	// Embedding returns the index's embedding model and how many chunks
	// carry a vector.
	Embedding(ctx context.Context) (store.EmbeddingSpec, int, error)
}

// Embedder embeds queries (ollama.Client).
type Embedder interface {
	Embed(ctx context.Context, inputs []string) (ollama.Embedding, error)
	EmbedModel() string
}

// Chatter writes answers (ollama.Client).
type Chatter interface {
	Chat(ctx context.Context, req ollama.ChatRequest, onToken func(string) error) (ollama.ChatResult, error)
	ChatModel() string
	NumCtx() int
}

// Counter counts tokens (chunk.Tokenizer).
type Counter interface {
	Count(s string) int
}

// Options tune answering. Zero fields take the defaults.
type Options struct {
	// Passages is how many search hits are offered to the model (default 8).
	Passages int
	// AnswerTokens is the room kept in the context for the answer
	// (default 1,024); it is also the answer's token cap.
	AnswerTokens int
	// Margin is the share of the budget kept free because cl100k counts
	// are not the chat model's tokens (default 0.15).
	Margin float64
	// TokenRatio is the chat model's tokens per cl100k token to assume
	// before the server has reported any (default 1). The answerer learns
	// the real ratio from the server's prompt_eval_count and raises it when
	// the server finds a prompt too long.
	TokenRatio float64
	// MinEvidence is the abstention threshold (default
	// extractive.DefaultMinEvidence).
	MinEvidence float64
	// MinSupport is the lexical support threshold per sentence (default
	// grounding's).
	MinSupport float64
	// Judge asks the model, sentence by sentence, whether the cited
	// passages support it (one short call per cited sentence).
	Judge bool
	// Temperature for the answer (default 0: deterministic).
	Temperature float64
	// Seed for sampling; 0 leaves it to the server.
	Seed int
}

// DefaultOptions are the documented defaults.
var DefaultOptions = Options{Passages: 8, AnswerTokens: 1024, Margin: 0.15}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Passages <= 0 {
		o.Passages = d.Passages
	}
	if o.AnswerTokens <= 0 {
		o.AnswerTokens = d.AnswerTokens
	}
	if o.Margin <= 0 {
		o.Margin = d.Margin
	}
	if o.MinEvidence <= 0 {
		o.MinEvidence = extractive.DefaultMinEvidence
	}
	return o
}

// Answerer answers questions. Embedder and Chatter may be nil: without an
// embedder search is lexical, without a chatter answers are extractive.
type Answerer struct {
	search   Searcher
	embed    Embedder
	chat     Chatter
	count    Counter
	analyzer *analyze.Analyzer
	opts     Options

	// ratio is the chat model's tokens per cl100k token, as float64 bits:
	// learned from the server's prompt_eval_count, never below 1.
	ratio atomic.Uint64
}

// tokenRatio returns the current ratio of model tokens to cl100k tokens.
func (a *Answerer) tokenRatio() float64 {
	if r := math.Float64frombits(a.ratio.Load()); r >= 1 {
		return r
	}
	return 1
}

// setRatio records a ratio: one measured from the server's
// prompt_eval_count (a little headroom added), or a raised guess after the
// server found a prompt too long. Values outside [1, 16] are ignored.
func (a *Answerer) setRatio(r float64) {
	if r >= 1 && r <= 16 {
		a.ratio.Store(math.Float64bits(r))
	}
}

// New returns an Answerer.
func New(s Searcher, e Embedder, c Chatter, count Counter, a *analyze.Analyzer, opts Options) *Answerer {
	an := &Answerer{search: s, embed: e, chat: c, count: count, analyzer: a, opts: opts.withDefaults()}
	an.setRatio(opts.TokenRatio)
	return an
}

// Request is one question, with the conversation so far.
type Request struct {
	Question string
	// History is the earlier turns, oldest first; when set, the question is
	// rewritten into a standalone one before searching.
	History []prompts.Turn
	Filter  retrieval.Filter
	// OnToken receives the answer text as the model writes it.
	OnToken func(string) error
	// Lang forces the answer language; empty detects it from the question.
	Lang prompts.Lang
}

// Timings say where an answer's time went.
type Timings struct {
	Rewrite  time.Duration `json:"rewrite_ns"`
	Embed    time.Duration `json:"embed_ns"`
	Search   time.Duration `json:"search_ns"`
	Generate time.Duration `json:"generate_ns"`
	Judge    time.Duration `json:"judge_ns"`
	Total    time.Duration `json:"total_ns"`
}

// Overhead is the time spent outside the language model and embedding
// calls: the pipeline's own cost.
func (t Timings) Overhead() time.Duration {
	return t.Total - t.Rewrite - t.Embed - t.Generate - t.Judge
}

// Result is an answer with what it took and the search it rests on.
type Result struct {
	*imyrag.Answer
	Timings Timings           `json:"timings"`
	Search  *retrieval.Result `json:"-"`
	Lang    prompts.Lang      `json:"lang"`
}

// Answer answers req. Bad questions return an error wrapping
// retrieval.ErrBadQuery; a model that fails returns an extractive answer
// with the failure in Problems, not an error. The context's cancellation
// is returned as an error.
func (a *Answerer) Answer(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	out := &Result{Lang: req.Lang}
	question := strings.TrimSpace(req.Question)
	if out.Lang == "" {
		out.Lang = prompts.Detect(question)
	}
	var problems []string

	// 1. A follow-up becomes a standalone question.
	searchText := question
	if len(req.History) > 0 && a.chat != nil {
		t0 := time.Now()
		standalone, err := a.rewrite(ctx, out.Lang, req.History, question)
		out.Timings.Rewrite = time.Since(t0)
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			problems = append(problems, fmt.Sprintf("följdfrågan kunde inte skrivas om till en fristående fråga (%v); sökningen använder frågan som den står", err))
		default:
			searchText = standalone
		}
	}

	// 2. Search, hybrid when the index has vectors of our model.
	q := retrieval.Query{Text: searchText, Limit: a.opts.Passages, Filter: req.Filter, PerDoc: 3}
	if vec, note, took := QueryVector(ctx, a.search, a.embed, searchText); vec != nil {
		q.Vector, q.VectorModel = vec, a.embed.EmbedModel()
		out.Timings.Embed = took
	} else if note != "" {
		out.Timings.Embed = took
		problems = append(problems, note)
	}
	t0 := time.Now()
	res, err := a.search.Search(ctx, q)
	if errors.Is(err, retrieval.ErrBadQuery) && searchText != question {
		// The model's rewrite cannot be searched: search the question as
		// asked, and say so.
		problems = append(problems, fmt.Sprintf("den omskrivna frågan kunde inte sökas (%v); sökningen använder frågan som den står", err))
		searchText, q.Text, q.Vector, q.VectorModel = question, question, nil, ""
		res, err = a.search.Search(ctx, q)
	}
	out.Timings.Search = time.Since(t0)
	if err != nil {
		return nil, err
	}
	out.Search = res

	// 3. The extractive answer gives the evidence, and is the answer when
	// the evidence is weak or no model can be used.
	ext := extractive.New(nil, a.analyzer, extractive.Options{Passages: a.opts.Passages, MinEvidence: a.opts.MinEvidence}).FromResult(question, res)
	finish := func(ans *imyrag.Answer) (*Result, error) {
		ans.Question = question
		if searchText != question {
			ans.Standalone = searchText
		}
		ans.Problems = append(problems, ans.Problems...)
		if ans.Abstained && out.Lang == prompts.English {
			ans.Text = prompts.Abstain(prompts.English)
		}
		out.Answer = ans
		out.Timings.Total = time.Since(start)
		return out, nil
	}
	if ext.Abstained || a.chat == nil {
		return finish(ext)
	}

	// 4 and 5. Passages within the token budget, then generation. Our
	// count is cl100k; the model's tokenizer may need more tokens for the
	// same text. The ratio seen so far scales the count, and a prompt the
	// server still finds too long is sent again with fewer passages.
	var (
		system, user string
		used         []retrieval.Hit
		gen          ollama.ChatResult
		dropped      int
	)
	var guess float64 // a raised ratio for this question only
	for attempt := 0; ; attempt++ {
		ratio := max(a.tokenRatio(), guess)
		var ferr error
		system, user, used, dropped, ferr = a.fit(out.Lang, question, res.Hits, ratio)
		if ferr != nil {
			ext.Problems = append(ext.Problems, ferr.Error()+"; svaret är i stället citat ur källorna")
			return finish(ext)
		}
		t0 = time.Now()
		gen, err = a.chat.Chat(ctx, ollama.ChatRequest{
			Messages:    []ollama.Message{{Role: "system", Content: system}, {Role: "user", Content: user}},
			NumPredict:  a.opts.AnswerTokens,
			Temperature: a.opts.Temperature,
			Seed:        a.opts.Seed,
		}, req.OnToken)
		out.Timings.Generate += time.Since(t0)
		if errors.Is(err, ollama.ErrContextLength) && gen.Text == "" && attempt < 4 {
			// The model counts more tokens than we do: assume a larger
			// ratio for this question and fit again. Only a measured ratio
			// is kept for the next question.
			ratio = min(ratio*1.6, 16)
			guess = ratio
			continue
		}
		break
	}
	if err == nil && gen.PromptEvalCount > 0 {
		if n := a.count.Count(system) + a.count.Count(user); n > 0 {
			a.setRatio(max(1, 1.05*float64(gen.PromptEvalCount)/float64(n)))
		}
	}
	if dropped > 0 {
		problems = append(problems, fmt.Sprintf("%d av %d funna källor fick inte plats i modellens kontext (%d token) och lästes inte av modellen",
			dropped, dropped+len(used), a.chat.NumCtx()))
	}
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case strings.TrimSpace(gen.Text) == "":
		// Nothing was written (an error before the first token, a stream
		// that ended at once, or a model that spent its tokens thinking):
		// quote the sources instead of showing an empty answer.
		why := "språkmodellen skrev inget svar"
		if err != nil {
			why = "språkmodellen kunde inte användas: " + err.Error()
		} else if gen.DoneReason != "" {
			why += " (" + gen.DoneReason + ")"
		}
		ext.Problems = append(ext.Problems, why+"; svaret är i stället citat ur källorna")
		return finish(ext)
	case errors.Is(err, ollama.ErrCutOff):
		problems = append(problems, "svaret avbröts innan det var klart: "+err.Error())
	case err != nil:
		problems = append(problems, "svaret avbröts: "+err.Error())
	}
	if gen.DoneReason == "length" {
		problems = append(problems, fmt.Sprintf("svaret nådde gränsen på %d token och är avkortat", a.opts.AnswerTokens))
	}
	if want := a.count.Count(system) + a.count.Count(user); gen.PromptEvalCount > 0 && float64(gen.PromptEvalCount) < 0.5*float64(want) {
		problems = append(problems, fmt.Sprintf("modellen läste bara %d token av en prompt på omkring %d: den kan ha kortats av servern", gen.PromptEvalCount, want))
	}

	// 6. Check every sentence against what it cites.
	ans := &imyrag.Answer{
		Mode: "generative", Evidence: ext.Evidence, Model: gen.Model, PromptVersion: prompts.Version,
		Text: gen.Text, Sources: make([]imyrag.Source, len(used)),
	}
	passages := make([]grounding.Passage, len(used))
	for i, h := range used {
		ans.Sources[i] = extractive.Source(i+1, h)
		passages[i] = grounding.Passage{N: i + 1, Text: h.Chunk.Text}
	}
	rep := grounding.Check(gen.Text, passages, a.analyzer, grounding.Options{MinSupport: a.opts.MinSupport})
	ans.Sentences = rep.Sentences
	problems = append(problems, rep.Problems...)
	if a.opts.Judge {
		t0 = time.Now()
		if err := a.judge(ctx, out.Lang, ans.Sentences, passages); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			problems = append(problems, "granskningen med språkmodellen kunde inte göras: "+err.Error())
		}
		out.Timings.Judge = time.Since(t0)
	}
	if declined(gen.Text, out.Lang) {
		ans.Abstained = true
		ans.Reason = "språkmodellen fann inget svar i källorna"
	}
	return finish(ans)
}

// QueryVector embeds a search text when the index holds vectors of the
// embedder's model, so that search runs hybrid. It returns a note in
// Swedish instead when hybrid search is off for a reason the user should
// know, and the time spent embedding. A nil embedder means lexical search
// by choice: no vector, no note.
func QueryVector(ctx context.Context, s Searcher, em Embedder, text string) ([]float32, string, time.Duration) {
	if em == nil {
		return nil, "", 0
	}
	spec, n, err := s.Embedding(ctx)
	if err != nil || n == 0 || spec.Model == "" {
		return nil, "", 0
	}
	if spec.Model != em.EmbedModel() {
		return nil, fmt.Sprintf("indexets vektorer kommer från modellen %q, inte %q: sökningen är bara lexikal (byt modell eller kör `imyrag ingest --reembed`)", spec.Model, em.EmbedModel()), 0
	}
	t0 := time.Now()
	e, err := em.Embed(ctx, []string{text})
	if err != nil {
		return nil, "frågan kunde inte bäddas in (" + err.Error() + "); sökningen är bara lexikal", time.Since(t0)
	}
	return e.Vectors[0], "", time.Since(t0)
}

// fit renders the prompt with as many of the hits, best first, as fit the
// model's context with room for the answer. It counts every token itself:
// Ollama's own truncation would drop the start of the prompt silently.
func (a *Answerer) fit(lang prompts.Lang, question string, hits []retrieval.Hit, ratio float64) (system, user string, used []retrieval.Hit, dropped int, err error) {
	budget := int(float64(a.chat.NumCtx())*(1-a.opts.Margin)) - a.opts.AnswerTokens
	count := func(s string) int { return int(math.Ceil(float64(a.count.Count(s)) * ratio)) }
	sys, bare, err := prompts.Answer(lang, question, []prompts.Source{{N: 1}})
	if err != nil {
		return "", "", nil, 0, err
	}
	fixed := count(sys) + count(bare)
	if fixed > budget {
		return "", "", nil, 0, fmt.Errorf("frågan är för lång för modellens kontext: prompten utan källor är omkring %d token, utrymmet %d (num_ctx %d minus %d för svaret och %.0f %% marginal)",
			fixed, max(budget, 0), a.chat.NumCtx(), a.opts.AnswerTokens, 100*a.opts.Margin)
	}
	room := budget - fixed
	var srcs []prompts.Source
	for _, h := range hits {
		s := promptSource(len(srcs)+1, h)
		block, err := prompts.ContextBlock(lang, []prompts.Source{s})
		if err != nil {
			return "", "", nil, 0, err
		}
		n := count(block)
		if n > room {
			dropped++
			continue
		}
		room -= n
		srcs = append(srcs, s)
		used = append(used, h)
	}
	if len(srcs) == 0 {
		return "", "", nil, dropped, fmt.Errorf("ingen av de %d funna källorna får plats i modellens kontext (%d token kvar av num_ctx %d)", dropped, budget-fixed, a.chat.NumCtx())
	}
	// The rendered prompt is counted once more as a whole: its closing list
	// of allowed citations grows with the sources.
	for {
		system, user, err = prompts.Answer(lang, question, srcs)
		if err != nil || count(system)+count(user) <= budget || len(srcs) == 1 {
			return system, user, used, dropped, err
		}
		srcs, used, dropped = srcs[:len(srcs)-1], used[:len(used)-1], dropped+1
	}
}

func promptSource(n int, h retrieval.Hit) prompts.Source {
	return prompts.Source{
		N: n, Title: h.Document.Title, Kind: string(h.Document.Kind), Date: h.Document.Date,
		Diarienummer: h.Chunk.Meta.Diarienummer, HeadingPath: h.Chunk.HeadingPath,
		PageStart: h.Chunk.PageStart, PageEnd: h.Chunk.PageEnd, Text: h.Chunk.Text,
	}
}

// rewrite turns a follow-up into a standalone question.
func (a *Answerer) rewrite(ctx context.Context, lang prompts.Lang, history []prompts.Turn, followUp string) (string, error) {
	system, user, err := prompts.Rewrite(lang, history, followUp)
	if err != nil {
		return "", err
	}
	r, err := a.chat.Chat(ctx, ollama.ChatRequest{
		Messages:   []ollama.Message{{Role: "system", Content: system}, {Role: "user", Content: user}},
		NumPredict: 100, // a standalone question is one sentence
	}, nil)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(r.Text)
	s = strings.Trim(s, "\"'«»”“")
	if s == "" || strings.Count(s, "\n") > 2 || len([]rune(s)) > min(4*len([]rune(followUp))+800, retrieval.MaxQueryRunes) {
		return "", fmt.Errorf("modellen gav ingen användbar fråga")
	}
	return s, nil
}

// judge asks the model whether each cited sentence is supported by the
// passages it cites. The judge's verdict decides Supported for the
// sentences it checked; the lexical score stays in Support.
func (a *Answerer) judge(ctx context.Context, lang prompts.Lang, sents []imyrag.Sentence, passages []grounding.Passage) error {
	byN := map[int]string{}
	for _, p := range passages {
		byN[p.N] = p.Text
	}
	for i := range sents {
		s := &sents[i]
		var cited []prompts.Source
		for _, n := range s.Citations {
			if t, ok := byN[n]; ok {
				cited = append(cited, prompts.Source{N: n, Text: t})
			}
		}
		if len(cited) == 0 {
			continue
		}
		system, user, err := prompts.Judge(lang, grounding.StripCitations(s.Text), cited)
		if err != nil {
			return err
		}
		r, err := a.chat.Chat(ctx, ollama.ChatRequest{
			Messages:   []ollama.Message{{Role: "system", Content: system}, {Role: "user", Content: user}},
			NumPredict: 8,
		}, nil)
		if err != nil {
			return err
		}
		ok, valid := prompts.ParseJudgement(r.Text)
		switch {
		case !valid:
			s.Flags = append(s.Flags, fmt.Sprintf("granskningen gav inget ja eller nej (%q)", clip(r.Text, 40)))
		case ok:
			s.Judged = "supported"
			s.Supported = true
			s.Flags = dropSupportFlag(s.Flags)
		default:
			s.Judged = "unsupported"
			s.Supported = false
			s.Flags = append(s.Flags, "språkmodellens granskning: de citerade källorna stöder inte meningen")
		}
	}
	return nil
}

// dropSupportFlag removes the lexical "not supported" flag once the judge
// has found support: the score stays visible in Sentence.Support.
func dropSupportFlag(flags []string) []string {
	out := flags[:0]
	for _, f := range flags {
		if !strings.HasPrefix(f, "stöds inte av den citerade källan") {
			out = append(out, f)
		}
	}
	return out
}

// declined reports an answer that only says the sources do not answer.
func declined(text string, lang prompts.Lang) bool {
	t := strings.TrimSpace(grounding.StripCitations(text))
	for _, l := range []prompts.Lang{lang, prompts.Swedish, prompts.English} {
		p := prompts.NotInSources(l)
		if strings.EqualFold(strings.TrimRight(t, ". "), strings.TrimRight(p, ". ")) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n]) + "…"
}
