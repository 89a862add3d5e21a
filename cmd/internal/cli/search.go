package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/answer"
)

type searchOptions struct {
	query      string
	k          int
	kinds      []string
	from, to   string
	docs       []string
	dnr        []string
	refs       []string
	perDoc     int
	neighbours int
	json       bool
}

// addFilterFlags binds the filter flags shared by search and ask.
func addFilterFlags(cmd *cobra.Command, o *searchOptions) {
	f := cmd.Flags()
	f.StringSliceVar(&o.kinds, "kind", nil, "only these document kinds: "+kindNames())
	f.StringVar(&o.from, "from", "", "only documents dated on or after DATE (YYYY[-MM[-DD]])")
	f.StringVar(&o.to, "to", "", "only documents dated on or before DATE")
	f.StringSliceVar(&o.docs, "doc", nil, "only these document IDs")
	f.StringSliceVar(&o.dnr, "dnr", nil, "only passages that mention this diarienummer")
	f.StringSliceVar(&o.refs, "ref", nil, `only passages that cite this legal reference ("artikel 6.1 e GDPR", "SFS 2018:218")`)
	f.BoolVar(&o.json, "json", false, "print JSON")
}

func kindNames() string {
	s := make([]string, len(imyrag.Kinds))
	for i, k := range imyrag.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (o searchOptions) filter() retrieval.Filter {
	f := retrieval.Filter{From: o.from, To: o.to, DocIDs: o.docs, Diarienummer: o.dnr, LegalRefs: o.refs}
	for _, k := range o.kinds {
		f.Kinds = append(f.Kinds, imyrag.Kind(strings.ToLower(strings.TrimSpace(k))))
	}
	return f
}

func newSearchCmd(e *env) *cobra.Command {
	var o searchOptions
	cmd := &cobra.Command{
		Use:   `search "fråga"`,
		Short: "Find the passages that best match a question",
		Long: `Search the index with Swedish-aware BM25: compounds, inflections and legal
identifiers (DI-2021-5817, 2018:218, artikel 6.1 e) are matched; "quoted
phrases" rank passages that contain them word for word first.`,
		Example: "  imyrag search \"regulatorisk sandlåda\" --k 5\n  imyrag search \"artikel 6.1 e\" --kind beslut --from 2022 --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.query = args[0]
			return runSearch(e, o)
		},
	}
	cmd.Flags().IntVarP(&o.k, "k", "k", 10, "number of hits (1–100)")
	cmd.Flags().IntVar(&o.perDoc, "per-doc", 3, "at most this many hits per document (-1: no cap)")
	cmd.Flags().IntVar(&o.neighbours, "neighbours", 0, "attach this many neighbouring chunks to each hit (JSON)")
	addFilterFlags(cmd, &o)
	return cmd
}

func runSearch(e *env, o searchOptions) error {
	eng, done, err := e.searcher()
	if err != nil {
		return err
	}
	defer done()
	q := retrieval.Query{Text: o.query, Limit: o.k, PerDoc: o.perDoc, Neighbours: o.neighbours, Filter: o.filter()}
	var note string
	if c, err := e.llm(); err != nil {
		return err
	} else if c != nil {
		// Hybrid when the index holds vectors of the configured model.
		var vec []float32
		if vec, note, _ = answer.QueryVector(e.ctx, eng, c, o.query); vec != nil {
			q.Vector, q.VectorModel = vec, c.EmbedModel()
		}
	}
	res, err := eng.Search(e.ctx, q)
	if err == nil && note != "" {
		res.Notes = append(res.Notes, note)
	}
	if errors.Is(err, retrieval.ErrBadQuery) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(e.stdout, res)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stderr, "Obs: %s\n", n)
	}
	if len(res.Hits) == 0 {
		fmt.Fprintf(e.stdout, "Inga träffar: %s\n", res.Reason)
		return nil
	}
	w := e.stdout
	marked := res.Terms
	if len(res.Expansions) > 0 {
		// Say which synonyms were searched too, so that a passage without
		// the question's words explains itself.
		var syn []string
		for _, x := range res.Expansions {
			syn = append(syn, fmt.Sprintf("%s (för ”%s”)", x.Word, x.FromWord))
			marked = append(slices.Clip(marked), x.Term)
		}
		fmt.Fprintf(w, "Sökte även synonymer: %s\n\n", strings.Join(syn, ", "))
	}
	hybrid := slices.Contains(res.Legs, "dense")
	if hybrid {
		fmt.Fprintln(w, "Hybridsökning (ord + betydelse); poäng = sammanvägd rang (RRF).")
		fmt.Fprintln(w)
	}
	for _, h := range res.Hits {
		score := h.Lexical
		if hybrid {
			score = h.Score
		}
		fmt.Fprintf(w, "%2d. %.3f  %s", h.Rank, score, h.Document.ID)
		if h.Chunk.PageStart > 0 {
			fmt.Fprintf(w, "  s. %s", pageRange(h.Chunk.PageStart, h.Chunk.PageEnd))
		}
		fmt.Fprintf(w, "  [%s]\n", h.Chunk.ID)
		if len(h.Chunk.HeadingPath) > 0 {
			fmt.Fprintf(w, "    § %s\n", strings.Join(h.Chunk.HeadingPath, " › "))
		}
		fmt.Fprintf(w, "    %s\n\n", snippet(h.Chunk.Text, marked, 240, e.stdoutTTY()))
	}
	return nil
}

// stdoutTTY reports whether stdout is a terminal (for highlighting).
func (e *env) stdoutTTY() bool { return e.stdoutIsTTY }
