package local

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"
)

// TermBlob is a chunk's analyzed terms as stored.
type TermBlob []byte

// Each calls fn for every term and its frequency. The term slice is only
// valid during the call.
func (b TermBlob) Each(fn func(term []byte, freq int)) error { return decodeTerms(b, fn) }

// ChunkTerms is what a search index needs of one chunk.
type ChunkTerms struct {
	ChunkID string
	DocID   string
	Ordinal int
	Body    TermBlob
	Head    TermBlob
}

// SearchVisitor receives what a search index is built from.
type SearchVisitor struct {
	// Document is called for every document, ordered by ID.
	Document func(store.DocumentInfo)
	// Chunk is called for every chunk in (document ID, ordinal) order with
	// its analyzed terms; the blobs are valid only during the call. An
	// error stops the load.
	Chunk func(ChunkTerms) error
	// Ref is called for every (kind, value, chunk ID) row of the reference
	// index: kind is "dnr", "gov", "date" or "ref".
	Ref func(kind, value, chunkID string)
}

// LoadSearchData reads the documents, the chunks' terms and the reference
// index in one read transaction, so that they describe the same state of
// the index even while an ingest writes, and returns that state's
// generation.
func (s *Store) LoadSearchData(ctx context.Context, v SearchVisitor) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	defer tx.Rollback()
	var gen int64
	if err := tx.QueryRowContext(ctx, `SELECT generation FROM state WHERE id = 1`).Scan(&gen); err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	docs, err := listDocuments(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	for _, d := range docs {
		v.Document(d)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, doc_id, ordinal, terms, head_terms FROM chunks ORDER BY doc_id, ordinal`)
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	for rows.Next() {
		var c ChunkTerms
		var body, head []byte
		if err := rows.Scan(&c.ChunkID, &c.DocID, &c.Ordinal, &body, &head); err != nil {
			rows.Close()
			return 0, fmt.Errorf("load search data: %w", err)
		}
		c.Body, c.Head = body, head
		if err := v.Chunk(c); err != nil {
			rows.Close()
			return 0, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	refs, err := tx.QueryContext(ctx, `SELECT kind, value, chunk_id FROM chunk_refs`)
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	defer refs.Close()
	for refs.Next() {
		var k, val, c string
		if err := refs.Scan(&k, &val, &c); err != nil {
			return 0, fmt.Errorf("load search data: %w", err)
		}
		v.Ref(k, val, c)
	}
	if err := refs.Err(); err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	return gen, nil
}

// ChunksByID returns the chunks with the given IDs, in the given order;
// IDs that do not exist are left out.
func (s *Store) ChunksByID(ctx context.Context, ids []string) ([]imyrag.Chunk, error) {
	byID := make(map[string]imyrag.Chunk, len(ids))
	const batch = 200
	for i := 0; i < len(ids); i += batch {
		part := ids[i:min(i+batch, len(ids))]
		args := make([]any, len(part))
		for j, id := range part {
			args[j] = id
		}
		q := `SELECT ` + chunkCols + ` FROM chunks WHERE id IN (?` + strings.Repeat(",?", len(part)-1) + `)`
		rows, err := s.r.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("chunks by id: %w", err)
		}
		for rows.Next() {
			c, err := scanChunk(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("chunks by id: %w", err)
			}
			byID[c.ID] = c
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("chunks by id: %w", err)
		}
	}
	out := make([]imyrag.Chunk, 0, len(ids))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}
