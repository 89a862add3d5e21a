package local

import (
	"context"
	"fmt"

	"github.com/imy/imyrag"
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

// ScanTerms calls fn for every chunk in (document ID, ordinal) order, with
// its analyzed terms. The blobs are only valid during the call. It stops at
// the first error fn returns.
func (s *Store) ScanTerms(ctx context.Context, fn func(ChunkTerms) error) error {
	rows, err := s.r.QueryContext(ctx, `SELECT id, doc_id, ordinal, terms, head_terms FROM chunks ORDER BY doc_id, ordinal`)
	if err != nil {
		return fmt.Errorf("scan terms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ChunkTerms
		var body, head []byte
		if err := rows.Scan(&c.ChunkID, &c.DocID, &c.Ordinal, &body, &head); err != nil {
			return fmt.Errorf("scan terms: %w", err)
		}
		c.Body, c.Head = body, head
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan terms: %w", err)
	}
	return nil
}

// ScanRefs calls fn for every (kind, value, chunk ID) row of the reference
// index: kind is "dnr", "gov", "date" or "ref".
func (s *Store) ScanRefs(ctx context.Context, fn func(kind, value, chunkID string)) error {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, value, chunk_id FROM chunk_refs`)
	if err != nil {
		return fmt.Errorf("scan references: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v, c string
		if err := rows.Scan(&k, &v, &c); err != nil {
			return fmt.Errorf("scan references: %w", err)
		}
		fn(k, v, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan references: %w", err)
	}
	return nil
}

// ChunksByID returns the chunks with the given IDs, in the given order;
// IDs that do not exist are left out.
func (s *Store) ChunksByID(ctx context.Context, ids []string) ([]imyrag.Chunk, error) {
	out := make([]imyrag.Chunk, 0, len(ids))
	stmt, err := s.r.PrepareContext(ctx, `SELECT `+chunkCols+` FROM chunks WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("chunks by id: %w", err)
	}
	defer stmt.Close()
	for _, id := range ids {
		c, err := scanChunk(stmt.QueryRowContext(ctx, id))
		if err != nil {
			if isNoRows(err) {
				continue
			}
			return nil, fmt.Errorf("chunks by id: %w", err)
		}
		out = append(out, c)
	}
	return out, nil
}
