package local_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
	"github.com/imy/imyrag/retrieval/store/local"
	"github.com/imy/imyrag/retrieval/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Suite{Open: func(t *testing.T) (store.Store, retrieval.Searcher) {
		s, err := local.Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s, retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	}})
}
