package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"
)

// words is a small Swedish-like vocabulary for generated chunks.
var words = strings.Fields(`personuppgifter behandling integritet dataskydd myndighet beslut tillsyn
rättslig grund samtycke ändamål lagring säkerhet incident registrerade ansvarig biträde kamerabevakning
sanktionsavgift artikel förordning vägledning innovation sandlåda forskning hälsodata skola kommun region
överföring tredjeland konsekvensbedömning dataskyddsombud information rättigheter radering rättelse`)

// genEntries makes a document of n chunks of about 180 words each.
func genEntries(r *rand.Rand, id string, n int) (imyrag.Document, []store.Entry) {
	var text strings.Builder
	entries := make([]store.Entry, n)
	for i := range n {
		start := text.Len()
		tf := map[string]int{}
		for w := range 180 {
			word := words[r.IntN(len(words))]
			if w > 0 {
				text.WriteByte(' ')
			}
			text.WriteString(word)
			tf[word]++
		}
		end := text.Len()
		text.WriteString("\n\n")
		body := text.String()[start:end]
		sum := sha256.Sum256([]byte(body))
		entries[i] = store.Entry{
			Chunk: imyrag.Chunk{ID: fmt.Sprintf("%s-%d", id, i), DocID: id, Ordinal: i, HeadingPath: []string{"1. Bakgrund"},
				Start: start, End: end, Tokens: 350, Hash: hex.EncodeToString(sum[:]), Text: body,
				Meta: imyrag.Metadata{LegalRefs: []string{"GDPR art. 6.1 e"}}},
			Terms: tf, HeadTerms: map[string]int{"bakgrund": 1},
		}
	}
	return imyrag.Document{ID: id, Title: id, Kind: imyrag.KindBeslut, Source: "/gen/" + id, SourceHash: id,
		Format: "text", Text: text.String()}, entries
}

// BenchmarkReplaceDocument measures chunks/s written into the store, in
// documents of 100 chunks (one transaction each), on an index that grows to
// b.N×100 chunks: an index without vectors, and one bound to an embedding
// model (which keeps the index on chunks.embed_hash).
func BenchmarkReplaceDocument(b *testing.B) {
	ctx := context.Background()
	for _, bound := range []bool{false, true} {
		b.Run(fmt.Sprintf("embedding-model=%v", bound), func(b *testing.B) {
			s, err := Open(ctx, filepath.Join(b.TempDir(), "index.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if bound {
				if err := s.ResetEmbeddings(ctx, store.EmbeddingSpec{Model: "bench", Dim: 1024}); err != nil {
					b.Fatal(err)
				}
			}
			r := rand.New(rand.NewPCG(1, 2))
			const per = 100
			docs := make([]imyrag.Document, b.N)
			entries := make([][]store.Entry, b.N)
			for i := range b.N {
				docs[i], entries[i] = genEntries(r, fmt.Sprintf("doc-%d", i), per)
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := s.ReplaceDocument(ctx, docs[i], "bench", entries[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*per)/time.Since(start).Seconds(), "chunks/s")
		})
	}
}
