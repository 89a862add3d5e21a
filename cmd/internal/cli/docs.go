package cli

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"
)

func newDocsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "docs",
		Short: "List and show indexed documents",
	}
	var listJSON bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List indexed documents",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return runDocsList(e, listJSON) },
	}
	list.Flags().BoolVar(&listJSON, "json", false, "print JSON")
	var o docsShowOptions
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show a document's metadata and text (or its chunks)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.id = args[0]
			return runDocsShow(e, o)
		},
	}
	show.Flags().BoolVar(&o.chunks, "chunks", false, "show the document's chunks instead of its text")
	show.Flags().BoolVar(&o.json, "json", false, "print JSON")
	cmd.AddCommand(list, show)
	return cmd
}

func runDocsList(e *env, asJSON bool) error {
	idx, err := e.openStore(false)
	if err != nil {
		return err
	}
	defer idx.Close()
	docs, err := idx.Documents(e.ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if docs == nil {
			docs = []store.DocumentInfo{}
		}
		return writeJSON(e.stdout, docs)
	}
	if len(docs) == 0 {
		fmt.Fprintln(e.stderr, "the index is empty; try: imyrag ingest")
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tDATE\tCHUNKS\tTITLE")
	for _, d := range docs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", d.ID, d.Kind, d.Date, d.Chunks, d.Title)
	}
	return tw.Flush()
}

type docsShowOptions struct {
	id     string
	chunks bool
	json   bool
}

func runDocsShow(e *env, o docsShowOptions) error {
	idx, err := e.openStore(false)
	if err != nil {
		return err
	}
	defer idx.Close()
	doc, err := idx.Document(e.ctx, o.id)
	if errors.Is(err, store.ErrNotFound) {
		return hintError{fmt.Errorf("no document %q in the index", o.id), "imyrag docs list"}
	}
	if err != nil {
		return err
	}
	var chunks []imyrag.Chunk
	if o.chunks {
		if chunks, err = idx.Chunks(e.ctx, o.id); err != nil {
			return err
		}
	}
	if o.json {
		if o.chunks {
			doc.Text = ""
			return writeJSON(e.stdout, struct {
				Document imyrag.Document `json:"document"`
				Chunks   []imyrag.Chunk  `json:"chunks"`
			}{doc, chunks})
		}
		return writeJSON(e.stdout, doc)
	}
	w := e.stdout
	fmt.Fprintf(w, "%s\n%s\n", doc.Title, strings.Repeat("=", min(len([]rune(doc.Title)), 78)))
	fmt.Fprintf(w, "id        %s\nkind      %s\n", doc.ID, doc.Kind)
	if doc.Date != "" {
		fmt.Fprintf(w, "date      %s\n", doc.Date)
	}
	fmt.Fprintf(w, "source    %s (%s", doc.Source, doc.Format)
	if doc.Pages > 0 {
		fmt.Fprintf(w, ", %d pages", doc.Pages)
	}
	fmt.Fprintln(w, ")")
	for _, l := range []struct {
		name string
		vals []string
	}{{"ids", doc.Identifiers}, {"dnr", doc.Meta.Diarienummer}, {"gov refs", doc.Meta.GovRefs},
		{"legal", doc.Meta.LegalRefs}, {"dates", doc.Meta.Dates}, {"warnings", doc.Warnings}} {
		if len(l.vals) > 0 {
			fmt.Fprintf(w, "%-9s %s\n", l.name, strings.Join(l.vals, "; "))
		}
	}
	fmt.Fprintln(w)
	if !o.chunks {
		fmt.Fprintln(w, doc.Text)
		return nil
	}
	for _, c := range chunks {
		fmt.Fprintf(w, "── chunk %d  %s  %d tokens  bytes %d–%d", c.Ordinal, c.ID, c.Tokens, c.Start, c.End)
		if c.PageStart > 0 {
			fmt.Fprintf(w, "  p. %s", pageRange(c.PageStart, c.PageEnd))
		}
		fmt.Fprintln(w)
		if len(c.HeadingPath) > 0 {
			fmt.Fprintf(w, "   § %s\n", strings.Join(c.HeadingPath, " › "))
		}
		fmt.Fprintf(w, "%s\n\n", c.Text)
	}
	return nil
}

func pageRange(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d–%d", a, b)
}
