// Package local is the embedded default store: one durable SQLite file in WAL
// mode (through the cgo-free modernc.org/sqlite driver) holding documents,
// chunks, their analyzed terms and a reference index, with a versioned
// schema. Every document is replaced in one transaction, so a crash at any
// moment leaves either the old or the new version of a document, never a mix.
package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Store is the embedded single-file index. It is safe for concurrent use;
// writes are serialized through one connection.
type Store struct {
	path string
	w    *sql.DB // one connection: all writes
	r    *sql.DB // a small pool of read-only connections
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the index file at path and migrates its
// schema to the current version. It refuses a file written by a newer
// version with an error wrapping store.ErrSchema.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open index: %w", err)
		}
	}
	w, err := openDB(path, 1, false)
	if err != nil {
		return nil, err
	}
	s := &Store{path: path, w: w}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if s.r, err = openDB(path, max(2, runtime.GOMAXPROCS(0)), true); err != nil {
		w.Close()
		return nil, err
	}
	return s, nil
}

func openDB(path string, conns int, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// Writers take the write lock when they begin, so two writers
		// wait for each other instead of failing halfway.
		q.Set("_txlock", "immediate")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", path, err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// SchemaVersion is the schema version this build writes.
var SchemaVersion = len(migrations)

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("open index %s: %w", s.path, err)
	}
	if v > len(migrations) {
		return fmt.Errorf("open index %s: schema version %d is newer than this program's %d (upgrade imyrag): %w",
			s.path, v, len(migrations), store.ErrSchema)
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate index to version %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i].sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate index to version %d: %w", i+1, err)
		}
		if fill := migrations[i].fill; fill != nil {
			if err := fill(ctx, tx); err != nil {
				tx.Rollback()
				return fmt.Errorf("migrate index to version %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migrate index to version %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migrate index to version %d: %w", i+1, err)
		}
	}
	return nil
}

// Path returns the index file's location.
func (s *Store) Path() string { return s.path }

// Close closes the store's connections. It is safe to call more than once.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
		s.r = nil
	}
	if s.w != nil {
		// SQLite folds the WAL back into the main file when the last
		// connection to it closes, so the index is one file at rest.
		errs = append(errs, s.w.Close())
		s.w = nil
	}
	return errors.Join(errs...)
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data is marshaled here
	}
	return string(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ReplaceDocument implements store.Store.
func (s *Store) ReplaceDocument(ctx context.Context, doc imyrag.Document, pipeline string, entries []store.Entry) error {
	tokens := 0
	embedHashes := make([]string, len(entries))
	keep := make(map[string]bool, len(entries))
	for i, e := range entries {
		if e.Chunk.DocID != doc.ID {
			return fmt.Errorf("replace document %s: chunk %s belongs to %q", doc.ID, e.Chunk.ID, e.Chunk.DocID)
		}
		tokens += e.Chunk.Tokens
		embedHashes[i] = e.EmbedHash
		if embedHashes[i] == "" {
			embedHashes[i] = store.EmbedHash(store.EmbedInput(doc.Title, e.Chunk.HeadingPath, e.Chunk.Text))
		}
		keep[embedHashes[i]] = true
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	defer tx.Rollback()
	old, err := embedHashesOf(ctx, tx, `SELECT id FROM documents WHERE id = ? OR source = ?`, doc.ID, doc.Source)
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	// Another document may hold this source (e.g. a renamed ID); the source
	// belongs to the new version now.
	if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ? OR source = ?`, doc.ID, doc.Source); err != nil {
		return fmt.Errorf("replace document %s: delete old version: %w", doc.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO documents
		(id, title, kind, date, source, source_hash, format, pages, text, meta, identifiers, warnings, chunk_count, tokens, pipeline, ingested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		doc.ID, doc.Title, string(doc.Kind), doc.Date, doc.Source, doc.SourceHash, doc.Format, doc.Pages, doc.Text,
		marshal(doc.Meta), marshal(nonNil(doc.Identifiers)), marshal(nonNil(doc.Warnings)), len(entries), tokens,
		pipeline, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	insChunk, err := tx.PrepareContext(ctx, `INSERT INTO chunks
		(id, doc_id, ordinal, heading_path, page_start, page_end, start_off, end_off, tokens, hash, text, meta, terms, head_terms, term_count, embed_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	defer insChunk.Close()
	insRef, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO chunk_refs (kind, value, chunk_id) VALUES (?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	defer insRef.Close()
	for i, e := range entries {
		c := e.Chunk
		n := 0
		for _, f := range e.Terms {
			n += f
		}
		if _, err := insChunk.ExecContext(ctx, c.ID, c.DocID, c.Ordinal, marshal(nonNil(c.HeadingPath)), c.PageStart, c.PageEnd,
			c.Start, c.End, c.Tokens, c.Hash, c.Text, marshal(c.Meta), encodeTerms(e.Terms), encodeTerms(e.HeadTerms), n, embedHashes[i]); err != nil {
			return fmt.Errorf("replace document %s: insert chunk %d (%s): %w", doc.ID, c.Ordinal, c.ID, err)
		}
		for _, r := range refRows(c.Meta) {
			if _, err := insRef.ExecContext(ctx, r[0], r[1], c.ID); err != nil {
				return fmt.Errorf("replace document %s: index references of chunk %s: %w", doc.ID, c.ID, err)
			}
		}
	}
	if err := dropOrphanVectors(ctx, tx, old, keep); err != nil {
		return fmt.Errorf("replace document %s: drop unused vectors: %w", doc.ID, err)
	}
	if err := bump(ctx, tx); err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace document %s: commit: %w", doc.ID, err)
	}
	return nil
}

// refRows lists a chunk's metadata as (kind, value) rows for chunk_refs.
func refRows(m imyrag.Metadata) [][2]string {
	var rows [][2]string
	for _, l := range []struct {
		kind string
		vals []string
	}{{"dnr", m.Diarienummer}, {"gov", m.GovRefs}, {"date", m.Dates}, {"ref", m.LegalRefs}} {
		for _, v := range l.vals {
			rows = append(rows, [2]string{l.kind, v})
		}
	}
	return rows
}

// DeleteDocument implements store.Store.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	defer tx.Rollback()
	old, err := embedHashesOf(ctx, tx, `SELECT ?`, id)
	if err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete document %s: %w", id, store.ErrNotFound)
	}
	if err := dropOrphanVectors(ctx, tx, old, nil); err != nil {
		return fmt.Errorf("delete document %s: drop unused vectors: %w", id, err)
	}
	if err := bump(ctx, tx); err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete document %s: commit: %w", id, err)
	}
	return nil
}

// bump advances the change generation inside a write transaction.
func bump(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE state SET generation = generation + 1 WHERE id = 1`)
	return err
}

// Generation returns a number that grows with every committed change.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := s.r.QueryRowContext(ctx, `SELECT generation FROM state WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("index generation: %w", err)
	}
	return g, nil
}

// Document implements store.Store.
func (s *Store) Document(ctx context.Context, id string) (imyrag.Document, error) {
	var d imyrag.Document
	var kind, meta, ids, warns string
	err := s.r.QueryRowContext(ctx, `SELECT id, title, kind, date, source, source_hash, format, pages, text, meta, identifiers, warnings
		FROM documents WHERE id = ?`, id).Scan(&d.ID, &d.Title, &kind, &d.Date, &d.Source, &d.SourceHash, &d.Format, &d.Pages,
		&d.Text, &meta, &ids, &warns)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("document %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("document %s: %w", id, err)
	}
	d.Kind = imyrag.Kind(kind)
	if err := errors.Join(json.Unmarshal([]byte(meta), &d.Meta), json.Unmarshal([]byte(ids), &d.Identifiers),
		json.Unmarshal([]byte(warns), &d.Warnings)); err != nil {
		return d, fmt.Errorf("document %s: decode: %w", id, err)
	}
	return d, nil
}

// Documents implements store.Store.
func (s *Store) Documents(ctx context.Context) ([]store.DocumentInfo, error) {
	docs, err := listDocuments(ctx, s.r)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	return docs, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listDocuments(ctx context.Context, q querier) ([]store.DocumentInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, title, kind, date, source, source_hash, format, pages, chunk_count, tokens, pipeline, ingested_at
		FROM documents ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.DocumentInfo
	for rows.Next() {
		var d store.DocumentInfo
		var kind, at string
		if err := rows.Scan(&d.ID, &d.Title, &kind, &d.Date, &d.Source, &d.SourceHash, &d.Format, &d.Pages, &d.Chunks,
			&d.Tokens, &d.Pipeline, &at); err != nil {
			return nil, err
		}
		d.Kind = imyrag.Kind(kind)
		d.IngestedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, d)
	}
	return out, rows.Err()
}

const chunkCols = `id, doc_id, ordinal, heading_path, page_start, page_end, start_off, end_off, tokens, hash, text, meta`

func scanChunk(sc interface{ Scan(...any) error }) (imyrag.Chunk, error) {
	var c imyrag.Chunk
	var hp, meta string
	if err := sc.Scan(&c.ID, &c.DocID, &c.Ordinal, &hp, &c.PageStart, &c.PageEnd, &c.Start, &c.End, &c.Tokens, &c.Hash,
		&c.Text, &meta); err != nil {
		return c, err
	}
	if err := errors.Join(json.Unmarshal([]byte(hp), &c.HeadingPath), json.Unmarshal([]byte(meta), &c.Meta)); err != nil {
		return c, fmt.Errorf("decode chunk %s: %w", c.ID, err)
	}
	return c, nil
}

// Chunks implements store.Store.
func (s *Store) Chunks(ctx context.Context, docID string) ([]imyrag.Chunk, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+chunkCols+` FROM chunks WHERE doc_id = ? ORDER BY ordinal`, docID)
	if err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	defer rows.Close()
	var out []imyrag.Chunk
	for rows.Next() {
		c, err := scanChunk(rows)
		if err != nil {
			return nil, fmt.Errorf("chunks of %s: %w", docID, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	if len(out) == 0 {
		var one int
		if err := s.r.QueryRowContext(ctx, `SELECT 1 FROM documents WHERE id = ?`, docID).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("chunks of %s: %w", docID, store.ErrNotFound)
		}
	}
	return out, nil
}

// Chunk implements store.Store.
func (s *Store) Chunk(ctx context.Context, id string) (imyrag.Chunk, error) {
	c, err := scanChunk(s.r.QueryRowContext(ctx, `SELECT `+chunkCols+` FROM chunks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("chunk %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("chunk %s: %w", id, err)
	}
	return c, nil
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{ByKind: map[string]int{}, SchemaVersion: SchemaVersion, Location: s.path}
	rows, err := s.r.QueryContext(ctx, `SELECT kind, count(*), coalesce(sum(chunk_count), 0), coalesce(sum(tokens), 0) FROM documents GROUP BY kind`)
	if err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var docs, chunks, tokens int
		if err := rows.Scan(&kind, &docs, &chunks, &tokens); err != nil {
			return st, fmt.Errorf("index stats: %w", err)
		}
		st.ByKind[kind] = docs
		st.Documents += docs
		st.Chunks += chunks
		st.Tokens += tokens
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	if st.Embedding, err = readSpec(ctx, s.r); err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	if !st.Embedding.IsZero() {
		if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chunks c
			WHERE EXISTS (SELECT 1 FROM vectors v WHERE v.embed_hash = c.embed_hash)`).Scan(&st.Vectors); err != nil {
			return st, fmt.Errorf("index stats: %w", err)
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			st.Bytes += fi.Size()
		}
	}
	return st, nil
}

// Check implements store.Store: SQLite's own integrity and foreign-key
// checks, then the index's invariants for every document: chunk count,
// contiguous ordinals, each chunk's text equal to its slice of the document
// text, content and embed hashes, and readable term blobs; then the
// vectors: an embedding model recorded when there are any, each of the
// model's dimension, finite, of unit length and belonging to a chunk.
func (s *Store) Check(ctx context.Context) ([]store.Problem, error) {
	var problems []store.Problem
	rows, err := s.r.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			rows.Close()
			return nil, fmt.Errorf("check index: %w", err)
		}
		if msg != "ok" {
			problems = append(problems, store.Problem{What: "sqlite: " + msg})
		}
	}
	rows.Close()
	var orphans int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chunks WHERE doc_id NOT IN (SELECT id FROM documents)`).Scan(&orphans); err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	if orphans > 0 {
		problems = append(problems, store.Problem{What: fmt.Sprintf("%d chunks belong to no document", orphans)})
	}
	docs, err := s.Documents(ctx)
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	for _, info := range docs {
		ps, err := s.checkDocument(ctx, info)
		if err != nil {
			return nil, fmt.Errorf("check index: %w", err)
		}
		problems = append(problems, ps...)
	}
	ps, err := s.checkVectors(ctx)
	if err != nil {
		return nil, fmt.Errorf("check index: vectors: %w", err)
	}
	return append(problems, ps...), nil
}

func (s *Store) checkDocument(ctx context.Context, info store.DocumentInfo) ([]store.Problem, error) {
	var problems []store.Problem
	add := func(chunkID, format string, args ...any) {
		problems = append(problems, store.Problem{DocID: info.ID, ChunkID: chunkID, What: fmt.Sprintf(format, args...)})
	}
	var text string
	if err := s.r.QueryRowContext(ctx, `SELECT text FROM documents WHERE id = ?`, info.ID).Scan(&text); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, ordinal, start_off, end_off, hash, text, terms, head_terms, heading_path, embed_hash
		FROM chunks WHERE doc_id = ? ORDER BY ordinal`, info.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, hash, ctext, hp, embedHash string
		var ord, start, end int
		var terms, head []byte
		if err := rows.Scan(&id, &ord, &start, &end, &hash, &ctext, &terms, &head, &hp, &embedHash); err != nil {
			return nil, err
		}
		if ord != n {
			add(id, "ordinal %d where %d was expected", ord, n)
		}
		n++
		if start < 0 || end > len(text) || start > end {
			add(id, "offsets [%d,%d) outside the document text (%d bytes)", start, end, len(text))
		} else if text[start:end] != ctext {
			add(id, "chunk text differs from the document text at [%d,%d)", start, end)
		}
		if sum := sha256.Sum256([]byte(ctext)); hex.EncodeToString(sum[:]) != hash {
			add(id, "content hash does not match the text")
		}
		if err := errors.Join(decodeTerms(terms, func([]byte, int) {}), decodeTerms(head, func([]byte, int) {})); err != nil {
			add(id, "term index: %v", err)
		}
		var path []string
		if err := json.Unmarshal([]byte(hp), &path); err != nil {
			add(id, "heading path: %v", err)
		} else if store.EmbedHash(store.EmbedInput(info.Title, path, ctext)) != embedHash {
			add(id, "embed hash does not match the title, headings and text")
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n != info.Chunks {
		add("", "%d chunks stored, %d recorded", n, info.Chunks)
	}
	if n == 0 && len(text) > 0 {
		add("", "document has text but no chunks")
	}
	return problems, nil
}
