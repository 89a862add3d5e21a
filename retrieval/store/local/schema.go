package local

// migrations are applied in order; PRAGMA user_version records how many have
// run. Never edit a released migration: append a new one.
var migrations = []string{
	// 1: documents, chunks with their analyzed terms, reference index, change
	// generation.
	`
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
`,
}
