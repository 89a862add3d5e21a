package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
)

type askOptions struct {
	searchOptions
	judge    bool
	noStream bool
}

func newAskCmd(e *env) *cobra.Command {
	var o askOptions
	cmd := &cobra.Command{
		Use:   `ask "fråga"`,
		Short: "Answer a question from the sources, with numbered citations",
		Long: `Answer a question from the indexed sources.

With a local language model (Ollama, see 'imyrag models check') the answer is
written by the model from the best passages and streamed as it is written;
then every sentence is checked: it must cite a source [n], the source must
exist, and the passage must support it. Sentences that fail are flagged.

Without a language model (--llm off, or no Ollama server answering) the
answer is extractive: the sentences of the best passages that answer the
question, each with a citation [n] to the exact passage.

Either way, when the sources do not support an answer it says so
("Jag hittar inget stöd för det i källorna.").`,
		Example: "  imyrag ask \"Vilka förutsättningar gäller för att delta i sandlådan?\"\n  imyrag ask \"Vad säger IMY om artikel 6.1 e?\" --json\n  imyrag ask \"Vad är en regulatorisk sandlåda?\" --llm off",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.query = args[0]
			o.judge = o.judge || e.cfg.Judge
			return runAsk(e, o)
		},
	}
	addFilterFlags(cmd, &o.searchOptions)
	cmd.Flags().BoolVar(&o.judge, "judge", false, "have the model check every cited sentence against its sources (slower) [IMYRAG_JUDGE]")
	cmd.Flags().BoolVar(&o.noStream, "no-stream", false, "print the answer when it is complete instead of as it is written")
	return cmd
}

// answerer builds the answering pipeline: the engine, and the Ollama client
// when the language model is on and its server answers. It tells the user
// on stderr when the model is on but unreachable.
func (e *env) answerer(judge bool) (*answer.Answerer, retrieval.Searcher, func(), error) {
	eng, done, err := e.searcher()
	if err != nil {
		return nil, nil, nil, err
	}
	a, _, err := e.newAnswerer(eng, answer.Options{Judge: judge})
	if err != nil {
		done()
		return nil, nil, nil, err
	}
	return a, eng, done, nil
}

// newAnswerer builds the answering pipeline over s, with opts on top of the
// configured passages and answer tokens. It returns the Ollama client too,
// nil when the model is off or its server does not answer.
func (e *env) newAnswerer(s answer.Searcher, opts answer.Options) (*answer.Answerer, *ollama.Client, error) {
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		return nil, nil, err
	}
	c, err := e.reachableLLM()
	if err != nil {
		return nil, nil, err
	}
	var (
		emb  answer.Embedder
		chat answer.Chatter
	)
	if c != nil { // never a nil *ollama.Client inside a non-nil interface
		emb, chat = c, c
	}
	opts.Passages, opts.AnswerTokens = e.cfg.Passages, e.cfg.AnswerTokens
	return answer.New(s, emb, chat, tok, analyze.Default(), opts), c, nil
}

// reachableLLM returns the Ollama client when the model is on and the
// server answers; nil (and a note on stderr) when it does not answer.
func (e *env) reachableLLM() (*ollama.Client, error) {
	c, err := e.llm()
	if err != nil || c == nil {
		return nil, err
	}
	if _, err := c.Version(e.ctx); err != nil {
		if e.ctx.Err() != nil {
			return nil, e.ctx.Err()
		}
		fmt.Fprintf(e.stderr, "Obs: ingen språkmodell – %v\nSvaret blir citat ur källorna. (--llm off tystar detta meddelande.)\n\n", err)
		return nil, nil
	}
	return c, nil
}

func runAsk(e *env, o askOptions) error {
	a, _, done, err := e.answerer(o.judge)
	if err != nil {
		return err
	}
	defer done()
	streamed := false
	req := answer.Request{Question: o.query, Filter: o.filter()}
	if !o.json && !o.noStream {
		req.OnToken = func(s string) error {
			streamed = true
			_, err := io.WriteString(e.stdout, s)
			return err
		}
	}
	res, err := a.Answer(e.ctx, req)
	if errors.Is(err, retrieval.ErrBadQuery) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	e.audit(res)
	if o.json {
		return writeJSON(e.stdout, res)
	}
	printAnswer(e.stdout, res.Answer, streamed)
	return nil
}

// printAnswer prints an answer for people: the text (unless it was already
// streamed), flagged sentences, problems and the sources.
func printAnswer(w io.Writer, ans *imyrag.Answer, streamed bool) {
	if streamed {
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w, ans.Text)
	}
	if ans.Standalone != "" {
		fmt.Fprintf(w, "\n(Tolkad som: %s)\n", ans.Standalone)
	}
	if ans.Abstained {
		if ans.Reason != "" {
			fmt.Fprintf(w, "(%s)\n", ans.Reason)
		}
	}
	var flagged []imyrag.Sentence
	for _, s := range ans.Sentences {
		if len(s.Flags) > 0 || (!s.Supported && ans.Mode == "generative") {
			flagged = append(flagged, s)
		}
	}
	if len(flagged) > 0 {
		fmt.Fprintf(w, "\n⚠ %d av %d meningar saknar belagt stöd i källorna:\n", len(flagged), len(ans.Sentences))
		for _, s := range flagged {
			fmt.Fprintf(w, "  • %q\n    %s\n", clipRunes(s.Text, 100), strings.Join(s.Flags, "; "))
		}
	}
	if len(ans.Problems) > 0 {
		fmt.Fprintln(w, "\n⚠ Problem:")
		for _, p := range ans.Problems {
			fmt.Fprintf(w, "  • %s\n", p)
		}
	}
	if len(ans.Sources) > 0 && !ans.Abstained {
		fmt.Fprintln(w, "\nKällor:")
		for _, s := range ans.Sources {
			fmt.Fprintf(w, "[%d] %s", s.N, s.Title)
			if s.Date != "" {
				fmt.Fprintf(w, " (%s)", s.Date)
			}
			fmt.Fprintln(w)
			var where []string
			if len(s.HeadingPath) > 0 {
				where = append(where, "§ "+strings.Join(s.HeadingPath, " › "))
			}
			if s.PageStart > 0 {
				where = append(where, "s. "+pageRange(s.PageStart, s.PageEnd))
			}
			where = append(where, s.DocID+" / "+s.ChunkID)
			fmt.Fprintf(w, "    %s\n", strings.Join(where, " · "))
		}
	}
	switch {
	case ans.Mode == "extractive" && !ans.Abstained:
		fmt.Fprintln(w, "\nSvaret är citat ur källorna (ingen språkmodell användes).")
	case ans.Mode == "generative":
		fmt.Fprintf(w, "\nSkrivet av %s (prompter %s); kontrollera påståendena mot källorna.\n", ans.Model, ans.PromptVersion)
	}
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// historyTurns converts answered questions into conversation turns.
func historyTurns(prev []*imyrag.Answer) []prompts.Turn {
	var t []prompts.Turn
	for _, a := range prev {
		t = append(t, prompts.Turn{Role: "user", Content: a.Question}, prompts.Turn{Role: "assistant", Content: a.Text})
	}
	return t
}
