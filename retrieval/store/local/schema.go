package local

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/imy/imyrag/retrieval/store"
)

// migration is one step of the schema: SQL, then optionally Go code for the
// data changes SQL cannot make, in the same transaction.
type migration struct {
	sql  string
	fill func(ctx context.Context, tx *sql.Tx) error
}

// migrations are applied in order; PRAGMA user_version records how many have
// run. Never edit a released migration: append a new one.
var migrations = []migration{
	// 1: documents, chunks with their analyzed terms, reference index, change
	// generation.
	{sql: `
CREATE TABLE documents (
	id          TEXT PRIMARY KEY,
	title       TEXT NOT NULL,
	kind        TEXT NOT NULL,
	date        TEXT NOT NULL DEFAULT '',
	source      TEXT NOT NULL UNIQUE,
	source_hash TEXT NOT NULL,
	format      TEXT NOT NULL,
	pages       INTEGER NOT NULL DEFAULT 0,
	text        TEXT NOT NULL,
	meta        TEXT NOT NULL,
	identifiers TEXT NOT NULL DEFAULT '[]',
	warnings    TEXT NOT NULL DEFAULT '[]',
	chunk_count INTEGER NOT NULL,
	tokens      INTEGER NOT NULL,
	pipeline    TEXT NOT NULL,
	ingested_at TEXT NOT NULL
) STRICT;
CREATE INDEX documents_kind_date ON documents(kind, date);

CREATE TABLE chunks (
	id           TEXT PRIMARY KEY,
	doc_id       TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
	ordinal      INTEGER NOT NULL,
	heading_path TEXT NOT NULL,
	page_start   INTEGER NOT NULL,
	page_end     INTEGER NOT NULL,
	start_off    INTEGER NOT NULL,
	end_off      INTEGER NOT NULL,
	tokens       INTEGER NOT NULL,
	hash         TEXT NOT NULL,
	text         TEXT NOT NULL,
	meta         TEXT NOT NULL,
	terms        BLOB NOT NULL,
	head_terms   BLOB NOT NULL,
	term_count   INTEGER NOT NULL,
	UNIQUE (doc_id, ordinal)
) STRICT;

-- One row per normalized identifier or reference in a chunk, for exact
-- filters: kind is 'dnr', 'gov', 'date' or 'ref'.
CREATE TABLE chunk_refs (
	kind     TEXT NOT NULL,
	value    TEXT NOT NULL,
	chunk_id TEXT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
	PRIMARY KEY (kind, value, chunk_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX chunk_refs_chunk ON chunk_refs(chunk_id);

-- generation counts committed changes, so that derived search structures
-- know when to rebuild.
CREATE TABLE state (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	generation INTEGER NOT NULL
) STRICT;
INSERT INTO state (id, generation) VALUES (1, 0);
`},

	// 2: dense vectors. A chunk names its embedding input by hash; vectors
	// are keyed by that hash (float32 little-endian, L2-normalized), so an
	// unchanged passage keeps its vector across re-ingests. The state row
	// records which model made them. The index on chunks.embed_hash exists
	// while the index is bound to a model (createEmbedHashIndex).
	//
	// vectors is a rowid table, not WITHOUT ROWID: a 4 KB row overflows its
	// page, and a WITHOUT ROWID b-tree then copies whole records, overflow
	// pages included, to compare keys during each lookup. Measured at
	// 100,000 × 1024 dimensions: loading the vectors took 4.3 s that way,
	// 2.0 s through the separate key index; PutVectors 7,000 vs 12,000
	// vectors/s.
	{sql: `
ALTER TABLE chunks ADD COLUMN embed_hash TEXT NOT NULL DEFAULT '';

CREATE TABLE vectors (
	embed_hash TEXT PRIMARY KEY,
	vector     BLOB NOT NULL
) STRICT;

ALTER TABLE state ADD COLUMN embed_model TEXT NOT NULL DEFAULT '';
ALTER TABLE state ADD COLUMN embed_dim INTEGER NOT NULL DEFAULT 0;
`, fill: fillEmbedHashes},
}

// fillEmbedHashes gives the chunks of an index written before migration 2
// their embed hashes, so that they are pending for embedding.
func fillEmbedHashes(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT c.rowid, d.title, c.heading_path, c.text
		FROM chunks c JOIN documents d ON d.id = c.doc_id WHERE c.embed_hash = ''`)
	if err != nil {
		return err
	}
	type row struct {
		id   int64
		hash string
	}
	var todo []row
	for rows.Next() {
		var r row
		var title, hp, text string
		if err := rows.Scan(&r.id, &title, &hp, &text); err != nil {
			rows.Close()
			return err
		}
		var path []string
		if err := json.Unmarshal([]byte(hp), &path); err != nil {
			rows.Close()
			return fmt.Errorf("heading path of chunk row %d: %w", r.id, err)
		}
		r.hash = store.EmbedHash(store.EmbedInput(title, path, text))
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	upd, err := tx.PrepareContext(ctx, `UPDATE chunks SET embed_hash = ? WHERE rowid = ?`)
	if err != nil {
		return err
	}
	defer upd.Close()
	for _, r := range todo {
		if _, err := upd.ExecContext(ctx, r.hash, r.id); err != nil {
			return err
		}
	}
	return nil
}
