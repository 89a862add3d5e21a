package peers

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/lang/sv"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	bleveindex "github.com/blevesearch/bleve_index_api"
	_ "modernc.org/sqlite"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store/local"
)

// searcher is one engine under test: it returns the chunk numbers (indexes
// into corpusData.chunks) of the top 10 hits for a query.
type searcher interface {
	search(ctx context.Context, q string) ([]int, error)
	close() error
}

// ours is imyrag's engine with its defaults (BM25 over chunk text plus the
// title-and-heading field, identifier and reference boosts, at most 3 hits
// per document).
type ours struct {
	eng    *retrieval.Engine
	byID   map[string]int
	perDoc int // retrieval.Query.PerDoc: 0 is the default cap of 3
}

func newOurs(ctx context.Context, s *local.Store, byID map[string]int) (*ours, error) {
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	if err := e.Warm(ctx); err != nil {
		return nil, err
	}
	return &ours{eng: e, byID: byID}, nil
}

func (o *ours) search(ctx context.Context, q string) ([]int, error) {
	res, err := o.eng.Search(ctx, retrieval.Query{Text: q, Limit: 10, PerDoc: o.perDoc})
	if err != nil {
		return nil, err
	}
	out := make([]int, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = o.byID[h.Chunk.ID]
	}
	return out, nil
}

func (o *ours) close() error { return nil }

// fts5 is SQLite FTS5 (modernc.org/sqlite) with its default tokenizer
// (unicode61) over the chunk texts, in a database file; the query is the
// question's words, each quoted, OR-ed, ranked by bm25().
type fts5 struct {
	db   *sql.DB
	stmt *sql.Stmt
}

func newFTS5(ctx context.Context, path string, texts []string) (*fts5, error) {
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	fail := func(err error) (*fts5, error) { db.Close(); return nil, fmt.Errorf("fts5: %w", err) }
	if _, err := db.ExecContext(ctx, `CREATE VIRTUAL TABLE chunks USING fts5(text)`); err != nil {
		return fail(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	ins, err := tx.PrepareContext(ctx, `INSERT INTO chunks(rowid, text) VALUES (?, ?)`)
	if err != nil {
		tx.Rollback()
		return fail(err)
	}
	for i, t := range texts {
		if _, err := ins.ExecContext(ctx, i+1, t); err != nil {
			tx.Rollback()
			return fail(err)
		}
	}
	ins.Close()
	if err := tx.Commit(); err != nil {
		return fail(err)
	}
	// Merge the b-trees the inserts left, as a deployment would once.
	if _, err := db.ExecContext(ctx, `INSERT INTO chunks(chunks) VALUES ('optimize')`); err != nil {
		return fail(err)
	}
	stmt, err := db.PrepareContext(ctx, `SELECT rowid FROM chunks WHERE chunks MATCH ? ORDER BY bm25(chunks) LIMIT 10`)
	if err != nil {
		return fail(err)
	}
	return &fts5{db: db, stmt: stmt}, nil
}

// ftsQuery turns text into an FTS5 query: its words (the runs of letters
// and digits, as unicode61 splits them), each quoted, OR-ed.
func ftsQuery(text string) string {
	seen := map[string]bool{}
	var terms []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if !seen[w] {
			seen[w] = true
			terms = append(terms, `"`+w+`"`)
		}
	}
	return strings.Join(terms, " OR ")
}

func (f *fts5) search(ctx context.Context, q string) ([]int, error) {
	fq := ftsQuery(q)
	if fq == "" {
		return nil, nil
	}
	rows, err := f.stmt.QueryContext(ctx, fq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id-1)
	}
	return out, rows.Err()
}

func (f *fts5) close() error { f.stmt.Close(); return f.db.Close() }

// bleveIdx is bleve v2 with its Swedish analyzer ("sv": Unicode
// segmentation, lower case, Swedish stop words, Snowball stemmer) and BM25
// scoring, on disk (scorch, the default index type: the in-memory
// upsidedown index has no BM25 field statistics), merged into one segment.
// Query: a match query (terms OR-ed) on the text field.
type bleveIdx struct {
	idx bleve.Index
}

func newBleve(ctx context.Context, path string, texts []string) (*bleveIdx, error) {
	im := bleve.NewIndexMapping()
	im.ScoringModel = bleveindex.BM25Scoring // "bm25"
	im.DefaultAnalyzer = sv.AnalyzerName
	text := bleve.NewTextFieldMapping()
	text.Analyzer = sv.AnalyzerName
	text.Store = false
	text.IncludeInAll = false
	text.IncludeTermVectors = false
	text.DocValues = false
	dm := bleve.NewDocumentStaticMapping()
	dm.AddFieldMappingsAt("text", text)
	im.DefaultMapping = dm
	idx, err := bleve.New(path, im)
	if err != nil {
		return nil, fmt.Errorf("bleve: %w", err)
	}
	batch := idx.NewBatch()
	for i, t := range texts {
		if err := batch.Index(strconv.Itoa(i), map[string]any{"text": t}); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bleve: %w", err)
		}
		if batch.Size() == 1000 || i == len(texts)-1 {
			if err := idx.Batch(batch); err != nil {
				idx.Close()
				return nil, fmt.Errorf("bleve: %w", err)
			}
			batch.Reset()
		}
	}
	settle(idx)
	// Merge into one segment, as FTS5 gets its 'optimize': the peer's best
	// read layout for an index built once.
	adv, err := idx.Advanced()
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("bleve: %w", err)
	}
	if sc, ok := adv.(*scorch.Scorch); ok {
		if err := sc.ForceMerge(ctx, &mergeplan.SingleSegmentMergePlanOptions); err != nil {
			idx.Close()
			return nil, fmt.Errorf("bleve: force merge: %w", err)
		}
		settle(idx)
	}
	return &bleveIdx{idx: idx}, nil
}

// settle waits (at most two minutes) until scorch has persisted and merged
// what was indexed, so that searches see the segments a long-running
// server would.
func settle(idx bleve.Index) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		st, _ := idx.StatsMap()["index"].(map[string]any)
		active, _ := st["index_bgthreads_active"].(bool)
		mem, _ := st["num_root_memorysegments"].(uint64)
		if st != nil && !active && mem == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// segments returns the number of file segments of a bleve index.
func (b *bleveIdx) segments() uint64 {
	st, _ := b.idx.StatsMap()["index"].(map[string]any)
	n, _ := st["num_root_filesegments"].(uint64)
	return n
}

func (b *bleveIdx) search(ctx context.Context, q string) ([]int, error) {
	mq := bleve.NewMatchQuery(q)
	mq.SetField("text")
	req := bleve.NewSearchRequestOptions(mq, 10, 0, false)
	res, err := b.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(res.Hits))
	for i, h := range res.Hits {
		if out[i], err = strconv.Atoi(h.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *bleveIdx) close() error { return b.idx.Close() }

// dirSize is the total size of the files under path.
func dirSize(path string) int64 {
	var n int64
	filepath.Walk(path, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
