// Package ingesttest builds real indexes for tests of the packages that read
// them: the bundled corpus ingested into an embedded store.
package ingesttest

import (
	"context"
	"fmt"

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
