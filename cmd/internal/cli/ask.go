package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/extractive"
)

func newAskCmd(e *env) *cobra.Command {
	var o searchOptions
	cmd := &cobra.Command{
		Use:   `ask "fråga"`,
		Short: "Answer a question with quotes from the sources and numbered citations",
		Long: `Answer a question from the indexed sources. Without a language model the
answer is extractive: the sentences of the best passages that answer the
question, each with a citation [n] to the exact passage, and the list of
sources. When the sources do not support an answer it says so
("Jag hittar inget stöd för det i källorna.").`,
		Example: "  imyrag ask \"Vilka förutsättningar gäller för att delta i sandlådan?\"\n  imyrag ask \"Vad säger IMY om artikel 6.1 e?\" --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.query = args[0]
			return runAsk(e, o)
		},
	}
	addFilterFlags(cmd, &o)
	return cmd
}

func runAsk(e *env, o searchOptions) error {
	eng, done, err := e.engine()
	if err != nil {
		return err
	}
	defer done()
	ans, err := extractive.New(eng, analyze.Default(), extractive.Options{Filter: o.filter()}).Answer(e.ctx, o.query)
	if errors.Is(err, retrieval.ErrBadQuery) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(e.stdout, ans)
	}
	w := e.stdout
	fmt.Fprintln(w, ans.Text)
	if ans.Abstained {
		fmt.Fprintf(w, "(%s)\n", ans.Reason)
		return nil
	}
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
	fmt.Fprintln(w, "\nSvaret är citat ur källorna (ingen språkmodell användes).")
	return nil
}
