package local

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/imy/imyrag/retrieval/store"
)

// Vectors are stored as float32 little-endian blobs, L2-normalized, keyed by
// the embed hash of their input (table vectors); the state row records the
// model and dimension that made them.

// The index chunks_embed_hash finds the chunks of an embed hash: PutVectors
// drops the vectors no chunk has, and ReplaceDocument and DeleteDocument
// delete the vectors their old chunks leave unused, each by a lookup in it.
// It exists only while the index is bound to an embedding model: its keys
// are random, so keeping it costs a page write per inserted chunk, which
// measured 15 % of end-to-end ingest speed at 100,000 chunks; an index
// without vectors does not pay that.
const (
	createEmbedHashIndex = `CREATE INDEX IF NOT EXISTS chunks_embed_hash ON chunks(embed_hash)`
	dropEmbedHashIndex   = `DROP INDEX IF EXISTS chunks_embed_hash`
)

// encodeVector packs v, scaled by 1/norm, into a blob.
func encodeVector(v []float32, norm float64) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(float64(x)/norm)))
	}
	return b
}

// decodeVector unpacks a blob into dst, which must hold len(b)/4 values.
func decodeVector(dst []float32, b []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// checkVector returns v's L2 norm, or an error when v cannot be stored.
func checkVector(v []float32, dim int) (float64, error) {
	if len(v) != dim {
		return 0, fmt.Errorf("%d values, want %d", len(v), dim)
	}
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, fmt.Errorf("value %d is %v", i, x)
		}
		sum += f * f
	}
	if sum == 0 || math.IsInf(sum, 0) {
		return 0, fmt.Errorf("length %v cannot be normalized", math.Sqrt(sum))
	}
	return math.Sqrt(sum), nil
}

func checkSpec(spec store.EmbeddingSpec) error {
	if (spec.Model == "") != (spec.Dim == 0) || spec.Dim < 0 {
		return fmt.Errorf("embedding spec %q with %d dimensions: want a model and a positive dimension, or neither", spec.Model, spec.Dim)
	}
	return nil
}

func readSpec(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (store.EmbeddingSpec, error) {
	var spec store.EmbeddingSpec
	err := q.QueryRowContext(ctx, `SELECT embed_model, embed_dim FROM state WHERE id = 1`).Scan(&spec.Model, &spec.Dim)
	return spec, err
}

// Embedding implements store.Store.
func (s *Store) Embedding(ctx context.Context) (store.EmbeddingSpec, error) {
	spec, err := readSpec(ctx, s.r)
	if err != nil {
		return spec, fmt.Errorf("embedding spec: %w", err)
	}
	return spec, nil
}

// PendingEmbeddings implements store.Store.
func (s *Store) PendingEmbeddings(ctx context.Context, limit int) ([]store.Pending, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.r.QueryContext(ctx, `SELECT c.id, c.doc_id, d.title, c.heading_path, c.text, c.tokens, c.embed_hash
		FROM chunks c JOIN documents d ON d.id = c.doc_id
		WHERE NOT EXISTS (SELECT 1 FROM vectors v WHERE v.embed_hash = c.embed_hash)
		ORDER BY c.doc_id, c.ordinal LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("pending embeddings: %w", err)
	}
	defer rows.Close()
	var out []store.Pending
	for rows.Next() {
		var p store.Pending
		var hp string
		if err := rows.Scan(&p.ChunkID, &p.DocID, &p.Title, &hp, &p.Text, &p.Tokens, &p.EmbedHash); err != nil {
			return nil, fmt.Errorf("pending embeddings: %w", err)
		}
		if err := json.Unmarshal([]byte(hp), &p.HeadingPath); err != nil {
			return nil, fmt.Errorf("pending embeddings: heading path of chunk %s: %w", p.ChunkID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending embeddings: %w", err)
	}
	return out, nil
}

// PutVectors implements store.Store.
func (s *Store) PutVectors(ctx context.Context, spec store.EmbeddingSpec, vs []store.Vector) error {
	if err := checkSpec(spec); err != nil || spec.Dim == 0 {
		if err == nil {
			err = errors.New("no embedding model named")
		}
		return fmt.Errorf("put vectors: %w", err)
	}
	// Check every vector before writing any.
	blobs := make([][]byte, len(vs))
	for i, v := range vs {
		if v.EmbedHash == "" {
			return fmt.Errorf("put vectors: vector %d has no embed hash", i)
		}
		norm, err := checkVector(v.Values, spec.Dim)
		if err != nil {
			return fmt.Errorf("put vectors: vector %d (%.12s…) from %s: %w", i, v.EmbedHash, spec.Model, err)
		}
		blobs[i] = encodeVector(v.Values, norm)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer tx.Rollback()
	have, err := readSpec(ctx, tx)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	changed := false
	switch {
	case have.IsZero():
		if _, err := tx.ExecContext(ctx, `UPDATE state SET embed_model = ?, embed_dim = ? WHERE id = 1`, spec.Model, spec.Dim); err != nil {
			return fmt.Errorf("put vectors: %w", err)
		}
		changed = true
	case have != spec:
		return fmt.Errorf("put vectors: the index holds vectors of %s (%d dimensions), these are of %s (%d dimensions); re-embed the index with `imyrag ingest --reembed`: %w",
			have.Model, have.Dim, spec.Model, spec.Dim, store.ErrEmbeddingModel)
	}
	if _, err := tx.ExecContext(ctx, createEmbedHashIndex); err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	// Only hashes some chunk has: a vector for a passage re-ingested since
	// it was listed as pending is dropped.
	ins, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO vectors (embed_hash, vector)
		SELECT ?, ? WHERE EXISTS (SELECT 1 FROM chunks WHERE embed_hash = ?)`)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	defer ins.Close()
	for i, v := range vs {
		res, err := ins.ExecContext(ctx, v.EmbedHash, blobs[i], v.EmbedHash)
		if err != nil {
			return fmt.Errorf("put vectors: %.12s…: %w", v.EmbedHash, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed = true
		}
	}
	if !changed {
		return nil
	}
	if err := bump(ctx, tx); err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put vectors: commit: %w", err)
	}
	return nil
}

// ResetEmbeddings implements store.Store.
func (s *Store) ResetEmbeddings(ctx context.Context, spec store.EmbeddingSpec) error {
	if err := checkSpec(spec); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM vectors`); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE state SET embed_model = ?, embed_dim = ? WHERE id = 1`, spec.Model, spec.Dim); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	index := createEmbedHashIndex
	if spec.IsZero() {
		index = dropEmbedHashIndex
	}
	if _, err := tx.ExecContext(ctx, index); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	if err := bump(ctx, tx); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("reset embeddings: commit: %w", err)
	}
	return nil
}

// embedHashesOf returns the embed hashes of the chunks of the documents
// that ReplaceDocument or DeleteDocument is about to delete, selected by
// docs (SQL that yields document IDs); none when the index has no vectors.
func embedHashesOf(ctx context.Context, tx *sql.Tx, docs string, args ...any) ([]string, error) {
	spec, err := readSpec(ctx, tx)
	if err != nil || spec.IsZero() {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT embed_hash FROM chunks WHERE doc_id IN (`+docs+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// dropOrphanVectors deletes the vectors of hashes that no chunk has any
// more (each a lookup in chunks_embed_hash), skipping those in keep.
func dropOrphanVectors(ctx context.Context, tx *sql.Tx, hashes []string, keep map[string]bool) error {
	if len(hashes) == 0 {
		return nil
	}
	del, err := tx.PrepareContext(ctx, `DELETE FROM vectors WHERE embed_hash = ?
		AND NOT EXISTS (SELECT 1 FROM chunks WHERE embed_hash = ?)`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, h := range hashes {
		if h == "" || keep[h] {
			continue
		}
		if _, err := del.ExecContext(ctx, h, h); err != nil {
			return err
		}
	}
	return nil
}

// checkVectors verifies the vectors: a model recorded if there are any,
// each blob 4×dim bytes of finite values of unit length, each belonging to
// a chunk.
func (s *Store) checkVectors(ctx context.Context) ([]store.Problem, error) {
	var problems []store.Problem
	spec, err := readSpec(ctx, s.r)
	if err != nil {
		return nil, err
	}
	if err := checkSpec(spec); err != nil {
		problems = append(problems, store.Problem{What: err.Error()})
	}
	var count, orphans int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM vectors`).Scan(&count); err != nil {
		return nil, err
	}
	if count > 0 && spec.Dim <= 0 {
		return append(problems, store.Problem{What: fmt.Sprintf("%d vectors but no embedding model recorded", count)}), nil
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM vectors v
		WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.embed_hash = v.embed_hash)`).Scan(&orphans); err != nil {
		return nil, err
	}
	if orphans > 0 {
		problems = append(problems, store.Problem{What: fmt.Sprintf("%d vectors belong to no chunk", orphans)})
	}
	rows, err := s.r.QueryContext(ctx, `SELECT v.embed_hash, v.vector, coalesce(c.id, ''), coalesce(c.doc_id, '')
		FROM vectors v LEFT JOIN chunks c ON c.rowid = (SELECT min(rowid) FROM chunks WHERE embed_hash = v.embed_hash)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	buf := make([]float32, spec.Dim)
	for rows.Next() {
		var hash, chunkID, docID string
		var blob sql.RawBytes
		if err := rows.Scan(&hash, &blob, &chunkID, &docID); err != nil {
			return nil, err
		}
		add := func(format string, args ...any) {
			problems = append(problems, store.Problem{DocID: docID, ChunkID: chunkID,
				What: fmt.Sprintf("vector %.12s…: ", hash) + fmt.Sprintf(format, args...)})
		}
		if len(blob) != 4*spec.Dim {
			add("%d bytes, want %d (%d dimensions of %s)", len(blob), 4*spec.Dim, spec.Dim, spec.Model)
			continue
		}
		decodeVector(buf, blob)
		if norm, err := checkVector(buf, spec.Dim); err != nil {
			add("%v", err)
		} else if math.Abs(norm-1) > 1e-3 {
			add("length %.4f, want 1 (vectors are stored normalized)", norm)
		}
	}
	return problems, rows.Err()
}
