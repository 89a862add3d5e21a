package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
)

// maxTurns is how many earlier questions a conversation remembers.
const maxTurns = 3

func newChatCmd(e *env) *cobra.Command {
	var o askOptions
	cmd := &cobra.Command{
		Use:   "chat",
		Short: "A conversation: follow-up questions read in the light of the earlier ones",
		Long: `Read questions from standard input, one per line, and answer each as 'ask'
does. A follow-up ("Och vad gäller för skolor?") is first rewritten by the
language model into a standalone question from the conversation so far; the
rewritten question is shown and searched. Without a language model each
question is answered on its own.

Type /ny to start a new conversation and /slut (or end the input) to stop.
With --json each answer is printed as one line of JSON.`,
		Example: "  imyrag chat\n  printf 'Vad är en regulatorisk sandlåda?\\nVem får delta?\\n' | imyrag chat --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.judge = o.judge || e.cfg.Judge
			return runChat(e, o)
		},
	}
	addFilterFlags(cmd, &o.searchOptions)
	cmd.Flags().BoolVar(&o.judge, "judge", false, "have the model check every cited sentence against its sources (slower) [IMYRAG_JUDGE]")
	return cmd
}

func runChat(e *env, o askOptions) error {
	a, _, done, err := e.answerer(o.judge)
	if err != nil {
		return err
	}
	defer done()
	in := bufio.NewScanner(e.stdin)
	in.Buffer(make([]byte, 64<<10), 1<<20)
	var prev []*imyrag.Answer
	prompt := func() {
		if !o.json {
			fmt.Fprint(e.stderr, "\nfråga> ")
		}
	}
	prompt()
	for in.Scan() {
		line := strings.TrimSpace(in.Text())
		switch line {
		case "":
			prompt()
			continue
		case "/slut", "/avsluta", "/quit", "/exit":
			return nil
		case "/ny", "/new":
			prev = nil
			fmt.Fprintln(e.stderr, "(ny konversation)")
			prompt()
			continue
		}
		req := answer.Request{Question: line, Filter: o.filter(), History: historyTurns(prev)}
		streamed := false
		if !o.json {
			req.OnToken = func(s string) error {
				streamed = true
				_, err := io.WriteString(e.stdout, s)
				return err
			}
		}
		res, err := a.Answer(e.ctx, req)
		switch {
		case errors.Is(err, retrieval.ErrBadQuery):
			fmt.Fprintf(e.stderr, "Frågan kan inte sökas: %v\n", err)
			prompt()
			continue
		case err != nil:
			return err
		}
		e.audit(res)
		if o.json {
			if err := json.NewEncoder(e.stdout).Encode(res); err != nil {
				return err
			}
		} else {
			printAnswer(e.stdout, res.Answer, streamed)
		}
		if !res.Abstained {
			prev = append(prev, res.Answer)
			if len(prev) > maxTurns {
				prev = prev[len(prev)-maxTurns:]
			}
		}
		prompt()
	}
	return in.Err()
}
