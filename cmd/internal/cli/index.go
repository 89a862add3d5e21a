package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newIndexCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Inspect and check the index",
	}
	var statsJSON, checkJSON bool
	stats := &cobra.Command{
		Use:   "stats",
		Short: "Show documents, chunks and size of the index",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return runIndexStats(e, statsJSON) },
	}
	stats.Flags().BoolVar(&statsJSON, "json", false, "print JSON")
	check := &cobra.Command{
		Use:   "check",
		Short: "Verify the index's integrity (exit 1 when a problem is found)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, args []string) error { return runIndexCheck(e, checkJSON) },
	}
	check.Flags().BoolVar(&checkJSON, "json", false, "print JSON")
	cmd.AddCommand(stats, check, newIndexMigrateCmd(e))
	return cmd
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runIndexStats(e *env, asJSON bool) error {
	idx, err := e.openStore(false)
	if err != nil {
		return err
	}
	defer idx.Close()
	st, err := idx.Stats(e.ctx)
	if err != nil {
		return err
	}
	docs, err := idx.Documents(e.ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(e.stdout, struct {
			Stats     any `json:"stats"`
			Documents any `json:"documents"`
		}{st, docs})
	}
	fmt.Fprintf(e.stdout, "index      %s (schema v%d, %.1f MB)\n", st.Location, st.SchemaVersion, float64(st.Bytes)/1e6)
	fmt.Fprintf(e.stdout, "documents  %d\nchunks     %d\ntokens     %d\n", st.Documents, st.Chunks, st.Tokens)
	kinds := make([]string, 0, len(st.ByKind))
	for k := range st.ByKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(e.stdout, "  %-12s %d\n", k, st.ByKind[k])
	}
	if len(docs) > 0 {
		fmt.Fprintln(e.stdout)
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DOCUMENT\tKIND\tDATE\tCHUNKS\tTOKENS")
		for _, d := range docs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\n", d.ID, d.Kind, d.Date, d.Chunks, d.Tokens)
		}
		tw.Flush()
	}
	return nil
}

func runIndexCheck(e *env, asJSON bool) error {
	idx, err := e.openStore(false)
	if err != nil {
		return err
	}
	defer idx.Close()
	problems, err := idx.Check(e.ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if err := writeJSON(e.stdout, struct {
			OK       bool `json:"ok"`
			Problems any  `json:"problems"`
		}{len(problems) == 0, problems}); err != nil {
			return err
		}
	} else if len(problems) == 0 {
		fmt.Fprintf(e.stdout, "ok: %s\n", idx.Location())
	} else {
		for _, p := range problems {
			switch {
			case p.ChunkID != "":
				fmt.Fprintf(e.stdout, "%s / %s: %s\n", p.DocID, p.ChunkID, p.What)
			case p.DocID != "":
				fmt.Fprintf(e.stdout, "%s: %s\n", p.DocID, p.What)
			default:
				fmt.Fprintln(e.stdout, p.What)
			}
		}
		fmt.Fprintf(e.stderr, "%d problems found; re-index the affected documents with: imyrag ingest --force PATH\n", len(problems))
	}
	if len(problems) > 0 {
		return silentError{exitFailure}
	}
	return nil
}
