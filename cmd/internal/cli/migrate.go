package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
	"github.com/imy/imyrag/retrieval/store/qdrant"
)

type migrateOptions struct {
	to      string
	dropOld bool
}

func newIndexMigrateCmd(e *env) *cobra.Command {
	var o migrateOptions
	cmd := &cobra.Command{
		Use:   "migrate --to qdrant|local",
		Short: "Copy the index between the embedded file and Qdrant, vectors included (no re-embedding)",
		Long: `Copy every document, chunk and vector, and the embedding model binding.

--to qdrant reads the embedded index (--index) and builds a new Qdrant
collection version (ALIAS_v1_N), then points the alias at it in one request:
searches keep running on the old version until the swap (zero-downtime
re-index). The old collection is kept for rollback unless --drop-old.

--to local reads the Qdrant index (the alias) into an empty --index file.`,
		Example: "  imyrag index migrate --to qdrant\n  imyrag index migrate --to local --index ./backup.db",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.to {
			case "qdrant", "local":
			default:
				return usageError{fmt.Errorf("--to %q: want qdrant or local", o.to)}
			}
			return runMigrate(e, o)
		},
	}
	cmd.Flags().StringVar(&o.to, "to", "", "destination store: qdrant or local")
	cmd.Flags().BoolVar(&o.dropOld, "drop-old", false, "delete the previous Qdrant collection after the alias swap")
	return cmd
}

// copied is one document as read from the source.
type copied struct {
	doc      imyrag.Document
	pipeline string
	entries  []store.Entry
}

func runMigrate(e *env, o migrateOptions) error {
	ctx := e.ctx
	if o.to == "qdrant" {
		src, err := e.openExistingIndex()
		if err != nil {
			return err
		}
		defer src.Close()
		spec, vecs, err := localVectors(ctx, src)
		if err != nil {
			return err
		}
		docs, bm, err := readDocuments(ctx, src)
		if err != nil {
			return err
		}
		q, err := e.openQdrant(true)
		if err != nil {
			return err
		}
		defer q.Close()
		dst, err := q.NewVersion(ctx, spec.Dim, bm)
		if err != nil {
			return err
		}
		coll, _ := dst.Collection(ctx)
		fmt.Fprintf(e.stderr, "copying %d documents into Qdrant collection %s\n", len(docs), coll)
		n, err := copyIndex(ctx, dst, docs, spec, func(hashes []string) (map[string][]float32, error) { return pick(vecs, hashes), nil })
		if err != nil {
			return fmt.Errorf("%w (the alias still points at the old collection; %s is incomplete and can be dropped)", err, coll)
		}
		old, err := dst.Publish(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "alias %s → %s: %d documents, %d vectors\n", e.qdrantConfig(false).Alias, coll, len(docs), n)
		if old != "" && old != coll {
			if o.dropOld {
				if err := q.DropCollection(ctx, old); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "dropped %s\n", old)
			} else {
				fmt.Fprintf(e.stdout, "previous collection %s kept for rollback (imyrag index migrate --drop-old deletes it next time)\n", old)
			}
		}
		return nil
	}
	src, err := e.openQdrant(false)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := local.Open(ctx, e.cfg.Index)
	if err != nil {
		return err
	}
	defer dst.Close()
	if have, err := dst.Documents(ctx); err != nil {
		return err
	} else if len(have) > 0 {
		return hintError{fmt.Errorf("the index %s already holds %d documents", e.cfg.Index, len(have)), "imyrag index migrate --to local --index NEW-FILE"}
	}
	spec, err := src.Embedding(ctx)
	if err != nil {
		return err
	}
	docs, _, err := readDocuments(ctx, src)
	if err != nil {
		return err
	}
	n, err := copyIndex(ctx, dst, docs, spec, func(hashes []string) (map[string][]float32, error) { return src.VectorsByHash(ctx, hashes) })
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %d documents and %d vectors into %s\n", len(docs), n, e.cfg.Index)
	return nil
}

// readDocuments reads every document with its chunks, analyzed as ingest
// analyzes them, and the average term counts of the chunk text and of the
// title-and-heading field (the BM25 lengths of a new Qdrant collection).
func readDocuments(ctx context.Context, src store.Store) ([]copied, qdrant.BM25, error) {
	a := analyze.Default()
	infos, err := src.Documents(ctx)
	if err != nil {
		return nil, qdrant.BM25{}, err
	}
	var out []copied
	var bodyLen, headLen, n float64
	for _, info := range infos {
		doc, err := src.Document(ctx, info.ID)
		if err != nil {
			return nil, qdrant.BM25{}, err
		}
		chunks, err := src.Chunks(ctx, info.ID)
		if err != nil {
			return nil, qdrant.BM25{}, err
		}
		titleTerms := a.TermFreqs(doc.Title)
		c := copied{doc: doc, pipeline: info.Pipeline}
		for _, ch := range chunks {
			head := a.TermFreqs(strings.Join(ch.HeadingPath, " "))
			for t, f := range titleTerms {
				head[t] += f
			}
			body := a.TermFreqs(ch.Text)
			for _, f := range body {
				bodyLen += float64(f)
			}
			for _, f := range head {
				headLen += float64(f)
			}
			n++
			c.entries = append(c.entries, store.Entry{Chunk: ch, Terms: body, HeadTerms: head,
				EmbedHash: store.EmbedHash(store.EmbedInput(doc.Title, ch.HeadingPath, ch.Text))})
		}
		out = append(out, c)
	}
	bm := qdrant.BM25{}
	if n > 0 {
		bm.AvgLen, bm.AvgHeadLen = bodyLen/n, headLen/n
	}
	return out, bm, nil
}

// copyIndex writes docs into dst, binds it to spec and copies the vectors
// that vectorsOf finds; it returns the number of vectors written.
func copyIndex(ctx context.Context, dst store.Store, docs []copied, spec store.EmbeddingSpec,
	vectorsOf func([]string) (map[string][]float32, error)) (int, error) {
	if err := dst.ResetEmbeddings(ctx, spec); err != nil {
		return 0, err
	}
	var hashes []string
	for _, d := range docs {
		if err := dst.ReplaceDocument(ctx, d.doc, d.pipeline, d.entries); err != nil {
			return 0, err
		}
		for _, en := range d.entries {
			hashes = append(hashes, en.EmbedHash)
		}
	}
	if spec.IsZero() {
		return 0, nil
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	n := 0
	for i := 0; i < len(hashes); i += 256 {
		vm, err := vectorsOf(hashes[i:min(i+256, len(hashes))])
		if err != nil {
			return n, err
		}
		vs := make([]store.Vector, 0, len(vm))
		for h, v := range vm {
			vs = append(vs, store.Vector{EmbedHash: h, Values: v})
		}
		if err := dst.PutVectors(ctx, spec, vs); err != nil {
			return n, err
		}
		n += len(vs)
	}
	return n, nil
}

func pick(all map[string][]float32, hashes []string) map[string][]float32 {
	out := make(map[string][]float32, len(hashes))
	for _, h := range hashes {
		if v, ok := all[h]; ok {
			out[h] = v
		}
	}
	return out
}

// localVectors reads the embedded index's vectors by embed hash.
func localVectors(ctx context.Context, s *local.Store) (store.EmbeddingSpec, map[string][]float32, error) {
	spec, err := s.Embedding(ctx)
	if err != nil || spec.IsZero() {
		return spec, nil, err
	}
	byChunk := map[string][]float32{}
	if _, err := s.LoadSearchData(ctx, local.SearchVisitor{
		Document: func(store.DocumentInfo) {},
		Chunk: func(c local.ChunkTerms) error {
			if c.Vector != nil {
				byChunk[c.ChunkID] = slices.Clone(c.Vector)
			}
			return nil
		},
		Ref: func(string, string, string) {},
	}); err != nil {
		return spec, nil, err
	}
	docs, err := s.Documents(ctx)
	if err != nil {
		return spec, nil, err
	}
	out := map[string][]float32{}
	for _, d := range docs {
		chunks, err := s.Chunks(ctx, d.ID)
		if err != nil {
			return spec, nil, err
		}
		for _, c := range chunks {
			if v, ok := byChunk[c.ID]; ok {
				out[store.EmbedHash(store.EmbedInput(d.Title, c.HeadingPath, c.Text))] = v
			}
		}
	}
	return spec, out, nil
}
