// Package ingesttest builds real indexes for tests of the packages that read
// them: the bundled corpus ingested into an embedded store.
package ingesttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval/store/local"
)

// Bundled opens (creating) an embedded store at path and ingests the bundled
// corpus into it. The caller closes the store.
func Bundled(ctx context.Context, path string) (*local.Store, error) {
	s, err := local.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	p, err := ingest.New(ctx, s, ingest.Options{})
	if err != nil {
		s.Close()
		return nil, err
	}
	defer p.Close()
	res, err := p.Run(ctx, ingest.Bundled())
	if err == nil && len(res.Failed) > 0 {
		err = fmt.Errorf("ingest %s: %s", res.Failed[0].Source, res.Failed[0].Reason)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Shared is a bundled-corpus index built once per test binary and shared by
// the tests that only read it. Declare one per package and Close it from
// TestMain.
type Shared struct {
	once  sync.Once
	dir   string
	store *local.Store
	err   error
}

// Store returns the shared index, building it on first use. Tests must not
// write to it.
func (s *Shared) Store(t testing.TB) *local.Store {
	t.Helper()
	s.once.Do(func() {
		if s.dir, s.err = os.MkdirTemp("", "imyrag-test-index-"); s.err != nil {
			return
		}
		s.store, s.err = Bundled(context.Background(), filepath.Join(s.dir, "index.db"))
	})
	if s.err != nil {
		t.Fatalf("ingest the bundled corpus: %v", s.err)
	}
	return s.store
}

// Close closes the index and removes its files.
func (s *Shared) Close() {
	if s.store != nil {
		s.store.Close()
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}
