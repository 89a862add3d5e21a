package extractive_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/extractive"
	"github.com/imy/imyrag/retrieval/store/local"
)

func TestZZExplore(t *testing.T) {
	ctx := context.Background()
	s, _ := local.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	defer s.Close()
	p, _ := ingest.New(ctx, s, ingest.Options{})
	defer p.Close()
	p.Run(ctx, ingest.Bundled())
	e := retrieval.NewEngine(s, analyze.Default(), retrieval.Options{})
	a := extractive.New(e, analyze.Default(), extractive.Options{})
	for _, q := range []string{"Vad kostar en pizza i Neapel?", "Vad är en regulatorisk sandlåda?", "Vilket diarienummer har slutredovisningen?", "När startade innovationshubben?", "Vad?", "Hur många workshops hölls?"} {
		ans, err := a.Answer(ctx, q)
		b, _ := json.MarshalIndent(ans, "", " ")
		fmt.Println(q, err, string(b)[:min(1500, len(b))])
	}
}
