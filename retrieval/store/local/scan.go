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
	// Vector is the chunk's embedding (unit length, of the index's
	// dimension), nil when it has none.
	Vector []float32
}

// SearchVisitor receives what a search index is built from.
type SearchVisitor struct {
	// Spec, when set, is called first with the index's embedding spec:
	// every vector passed to Chunk has Spec.Dim values.
	Spec func(store.EmbeddingSpec)
	// Document is called for every document, ordered by ID.
	Document func(store.DocumentInfo)
	// Chunk is called for every chunk in (document ID, ordinal) order with
	// its analyzed terms and vector; the blobs and the vector are valid
	// only during the call (the vector's buffer is reused). An error stops
	// the load.
	Chunk func(ChunkTerms) error
	// Ref is called for every (kind, value, chunk ID) row of the reference
	// index: kind is "dnr", "gov", "date" or "ref".
	Ref func(kind, value, chunkID string)
}

// LoadSearchData reads the embedding spec, the documents, the chunks'
// terms and vectors and the reference index in one read transaction, so
// that they describe the same state of the index even while an ingest
// writes, and returns that state's generation.
func (s *Store) LoadSearchData(ctx context.Context, v SearchVisitor) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	defer tx.Rollback()
	var gen int64
	var spec store.EmbeddingSpec
	if err := tx.QueryRowContext(ctx, `SELECT generation, embed_model, embed_dim FROM state WHERE id = 1`).Scan(&gen, &spec.Model, &spec.Dim); err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	if v.Spec != nil {
		v.Spec(spec)
	}
	docs, err := listDocuments(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	for _, d := range docs {
		v.Document(d)
	}
	// Without vectors, the chunks alone (the lexical load as it always
	// was); with them, each chunk's vector by its embed hash.
	q := `SELECT id, doc_id, ordinal, terms, head_terms, NULL FROM chunks ORDER BY doc_id, ordinal`
	if spec.Dim > 0 {
		q = `SELECT c.id, c.doc_id, c.ordinal, c.terms, c.head_terms, v.vector
			FROM chunks c LEFT JOIN vectors v ON v.embed_hash = c.embed_hash ORDER BY c.doc_id, c.ordinal`
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("load search data: %w", err)
	}
	vec := make([]float32, max(spec.Dim, 0))
	for rows.Next() {
		var c ChunkTerms
		var body, head, blob sql.RawBytes
		if err := rows.Scan(&c.ChunkID, &c.DocID, &c.Ordinal, &body, &head, &blob); err != nil {
			rows.Close()
			return 0, fmt.Errorf("load search data: %w", err)
		}
		c.Body, c.Head = TermBlob(body), TermBlob(head)
		if blob != nil {
			if len(blob) != 4*len(vec) {
				rows.Close()
				return 0, fmt.Errorf("load search data: chunk %s: vector of %d bytes, want %d (%d dimensions); run `imyrag index check`",
					c.ChunkID, len(blob), 4*len(vec), len(vec))
			}
			decodeVector(vec, blob)
			c.Vector = vec
		}
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
