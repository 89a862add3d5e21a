// Package store defines the index contract that every backend implements:
// the embedded single-file store (package local) and Qdrant. Ingest writes
// through it and retrieval reads through it.
package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/imy/imyrag"
)

// Errors callers branch on. Backends wrap them with context.
var (
	// ErrNotFound: the document or chunk does not exist.
	ErrNotFound = errors.New("not found")
	// ErrSchema: the index was written by an incompatible (newer) version.
	ErrSchema = errors.New("incompatible index schema")
	// ErrEmbeddingModel: vectors of one embedding model (or dimension) were
	// offered to an index that holds another's. Vectors of two models are
	// never mixed; re-embed everything (`imyrag ingest --reembed`).
	ErrEmbeddingModel = errors.New("embedding model mismatch")
)

// Entry is a chunk as it is indexed: the chunk and its analyzed terms.
type Entry struct {
	Chunk imyrag.Chunk
	// Terms are the analyzed terms of the chunk text with their frequencies
	// (a sparse vector; see retrieval/analyze).
	Terms map[string]int
	// HeadTerms are the analyzed terms of the document title and the
	// chunk's heading path, scored with a boost.
	HeadTerms map[string]int
	// EmbedHash is EmbedHash(EmbedInput(doc.Title, chunk.HeadingPath,
	// chunk.Text)): the key of the chunk's vector. A store computes it when
	// it is empty.
	EmbedHash string
}

// EmbeddingSpec says which embedding model made an index's vectors and
// their dimension. The zero value means the index holds no vectors and is
// bound to no model yet.
type EmbeddingSpec struct {
	Model string `json:"model"`
	Dim   int    `json:"dim"`
}

// IsZero reports whether the spec names no model.
func (s EmbeddingSpec) IsZero() bool { return s == EmbeddingSpec{} }

// Pending is a chunk whose embedding input has no vector yet: what an
// embedder needs to make one.
type Pending struct {
	ChunkID     string
	DocID       string
	Title       string
	HeadingPath []string
	Text        string
	Tokens      int
	EmbedHash   string
}

// Input is the text to embed for the chunk: EmbedInput of its title,
// heading path and text.
func (p Pending) Input() string { return EmbedInput(p.Title, p.HeadingPath, p.Text) }

// Vector is the embedding of one embedding input, keyed by its EmbedHash.
type Vector struct {
	EmbedHash string
	Values    []float32
}

// DocumentInfo summarises an indexed document without its text.
type DocumentInfo struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	Kind       imyrag.Kind `json:"kind"`
	Date       string      `json:"date,omitempty"`
	Source     string      `json:"source"`
	SourceHash string      `json:"source_hash"`
	Format     string      `json:"format"`
	Pages      int         `json:"pages,omitempty"`
	Chunks     int         `json:"chunks"`
	Tokens     int         `json:"tokens"`
	// Pipeline identifies the ingest settings (analyzer, chunker) that made
	// the chunks; ingest re-processes a document when it changes.
	Pipeline   string    `json:"pipeline"`
	IngestedAt time.Time `json:"ingested_at"`
}

// Stats describes the whole index.
type Stats struct {
	Documents int            `json:"documents"`
	Chunks    int            `json:"chunks"`
	Tokens    int            `json:"tokens"`
	ByKind    map[string]int `json:"by_kind"`
	// Bytes is the size of the index on disk, where that is known.
	Bytes         int64  `json:"bytes,omitempty"`
	SchemaVersion int    `json:"schema_version"`
	Location      string `json:"location"`
	// Vectors counts the chunks that have a vector; Embedding says whose.
	Vectors   int           `json:"vectors"`
	Embedding EmbeddingSpec `json:"embedding"`
}

// Problem is one integrity problem found by Check.
type Problem struct {
	DocID   string `json:"doc_id,omitempty"`
	ChunkID string `json:"chunk_id,omitempty"`
	What    string `json:"what"`
}

// Store is the index contract. Every method takes a context and returns
// errors wrapped with the operation; a canceled context aborts the call and
// leaves the index as it was before it. Every write advances the index's
// change generation, so that search structures derived from it rebuild.
//
// Dense vectors are keyed by EmbedHash, not by chunk: a re-ingested
// passage whose embedding input is unchanged keeps its vector, and a vector
// is deleted with the last chunk that has its hash.
type Store interface {
	// ReplaceDocument stores doc and its chunks, replacing any earlier
	// version of the document with the same ID, in one atomic step: readers
	// see either the old chunks or the new ones, never none or both.
	// The entries must belong to doc (Chunk.DocID == doc.ID). Vectors of
	// the old version's passages that no chunk has any more are deleted;
	// those of unchanged passages are kept.
	ReplaceDocument(ctx context.Context, doc imyrag.Document, pipeline string, entries []Entry) error
	// DeleteDocument removes a document, its chunks and the vectors no
	// other chunk has. Deleting a missing document returns an error
	// wrapping ErrNotFound.
	DeleteDocument(ctx context.Context, id string) error
	// Document returns a document with its text, or ErrNotFound.
	Document(ctx context.Context, id string) (imyrag.Document, error)
	// Documents lists every document, ordered by ID.
	Documents(ctx context.Context) ([]DocumentInfo, error)
	// Chunks returns a document's chunks in ordinal order (ErrNotFound for
	// an unknown document).
	Chunks(ctx context.Context, docID string) ([]imyrag.Chunk, error)
	// Chunk returns one chunk by ID, or ErrNotFound.
	Chunk(ctx context.Context, id string) (imyrag.Chunk, error)
	// Stats describes the index.
	Stats(ctx context.Context) (Stats, error)
	// Check verifies the index's integrity and returns the problems found;
	// an error means the check itself could not run.
	Check(ctx context.Context) ([]Problem, error)

	// Embedding returns the model and dimension of the index's vectors; the
	// zero spec when it has none and is bound to no model.
	Embedding(ctx context.Context) (EmbeddingSpec, error)
	// PendingEmbeddings lists the chunks whose EmbedHash has no vector,
	// ordered by document ID and ordinal, at most limit of them (limit ≤ 0:
	// all). Chunks that share an EmbedHash are each listed; one vector
	// serves them all.
	PendingEmbeddings(ctx context.Context, limit int) ([]Pending, error)
	// PutVectors stores vectors made by spec's model, in one transaction:
	// all of them or, on error, none. The first vectors bind the index to
	// spec; vectors of another model or dimension than the index's are
	// refused with an error wrapping ErrEmbeddingModel (re-embed with
	// `imyrag ingest --reembed`, which calls ResetEmbeddings). A vector of
	// the wrong length, with a NaN or infinite value, or of zero length is
	// an error. Vectors are stored L2-normalized. A vector whose EmbedHash
	// no chunk has (its chunk was re-ingested meanwhile) is dropped
	// without error; one whose hash already has a vector replaces it.
	PutVectors(ctx context.Context, spec EmbeddingSpec, vs []Vector) error
	// ResetEmbeddings deletes every vector and binds the index to spec
	// (the zero spec: to no model), in one transaction: for re-embedding
	// the whole index, after a change of model. A spec with a model but no
	// dimension, or the reverse, is an error.
	ResetEmbeddings(ctx context.Context, spec EmbeddingSpec) error

	// Close releases the store. It is safe to call more than once.
	Close() error
}

// EmbedInput is the text embedded for a chunk: the document title and the
// heading path give a passage the context a reader has, then the chunk
// text. Ingest and every store use this one function, so that a stored
// vector always matches its EmbedHash.
func EmbedInput(title string, headingPath []string, text string) string {
	var b strings.Builder
	b.WriteString(title)
	for _, h := range headingPath {
		if h == title {
			continue
		}
		b.WriteString(" — ")
		b.WriteString(h)
	}
	b.WriteString("\n\n")
	b.WriteString(text)
	return b.String()
}

// EmbedHash identifies an embedding input: the hex SHA-256 of the input.
// Vectors are keyed by it, so an unchanged passage keeps its vector across
// re-ingests and a changed one is embedded again.
func EmbedHash(input string) string {
	sum := sha256.Sum256([]byte(input))
	return hex.EncodeToString(sum[:])
}
