// Package store defines the index contract that every backend implements:
// the embedded single-file store (package local) and Qdrant. Ingest writes
// through it and retrieval reads through it.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/imy/imyrag"
)

// Errors callers branch on. Backends wrap them with context.
var (
	// ErrNotFound: the document or chunk does not exist.
	ErrNotFound = errors.New("not found")
	// ErrSchema: the index was written by an incompatible (newer) version.
	ErrSchema = errors.New("incompatible index schema")
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
}

// Problem is one integrity problem found by Check.
type Problem struct {
	DocID   string `json:"doc_id,omitempty"`
	ChunkID string `json:"chunk_id,omitempty"`
	What    string `json:"what"`
}

// Store is the index contract. Every method takes a context and returns
// errors wrapped with the operation; a canceled context aborts the call and
// leaves the index as it was before it.
type Store interface {
	// ReplaceDocument stores doc and its chunks, replacing any earlier
	// version of the document with the same ID, in one atomic step: readers
	// see either the old chunks or the new ones, never none or both.
	// The entries must belong to doc (Chunk.DocID == doc.ID).
	ReplaceDocument(ctx context.Context, doc imyrag.Document, pipeline string, entries []Entry) error
	// DeleteDocument removes a document and its chunks. Deleting a missing
	// document returns an error wrapping ErrNotFound.
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
	// Close releases the store. It is safe to call more than once.
	Close() error
}
