package qdrant

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
)

// The client-side cost of building requests; the server's cost is measured
// against a running Qdrant with `imyrag bench`-style search timing (see
// docs/BENCHMARKS.md, "Qdrant store").

func benchEntries(n int) (imyrag.Document, []store.Entry) {
	a := analyze.Default()
	para := strings.Repeat("Integritetsskyddsmyndigheten granskade personuppgiftsbehandlingen enligt artikel 6.1 e dataskyddsförordningen och kameraövervakningslagen. ", 8)
	doc := imyrag.Document{ID: "d", Title: "Beslut om tillsyn", Kind: imyrag.KindBeslut, Date: "2023-03-28"}
	entries := make([]store.Entry, n)
	for i := range entries {
		text := fmt.Sprintf("%s %d", para, i)
		entries[i] = store.Entry{Chunk: imyrag.Chunk{ID: fmt.Sprintf("d#%d", i), DocID: "d", Ordinal: i, Text: text,
			HeadingPath: []string{"Beslut", "Skäl"}, Meta: imyrag.Metadata{LegalRefs: []string{"GDPR art. 6.1 e"}}},
			Terms: a.TermFreqs(text), HeadTerms: a.TermFreqs("Beslut om tillsyn Beslut Skäl")}
	}
	return doc, entries
}

// BenchmarkChunkPoints builds the points of a 128-chunk batch (payload,
// sparse vector, 1024-dim dense vector) and marshals them as gRPC would.
func BenchmarkChunkPoints(b *testing.B) {
	doc, entries := benchEntries(128)
	vec := make([]float32, 1024)
	for i := range vec {
		vec[i] = float32(i%7) / 7
	}
	b.ReportAllocs()
	for b.Loop() {
		pts := make([]*qdrant.PointStruct, len(entries))
		for i, e := range entries {
			pts[i] = chunkPoint(doc, "v", e, "h", DefaultBM25, vec)
		}
		if _, err := proto.Marshal(&qdrant.UpsertPoints{CollectionName: "c", Points: pts}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/128, "ns/chunk")
}

// BenchmarkQueryRequest analyzes a question and builds and marshals the
// hybrid search (the two legs, each with a filter, in one batch).
func BenchmarkQueryRequest(b *testing.B) {
	a := analyze.Default()
	vec := make([]float32, 1024)
	for i := range vec {
		vec[i] = float32(i%5) / 5
	}
	b.ReportAllocs()
	for b.Loop() {
		p, err := retrieval.Prepare(retrieval.Query{Text: "Vilken rättslig grund har IMY för kameraövervakning enligt artikel 6.1 e?",
			Filter: retrieval.Filter{Kinds: []imyrag.Kind{"beslut"}, From: "2021"}})
		if err != nil {
			b.Fatal(err)
		}
		idx, val := QueryVector(retrieval.QueryTerms(a, p.Text, p.Refs), p.Refs)
		req := searchRequest("c", searchFilter(p.Filter), idx, val, vec, p.Candidates)
		if _, err := proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}
