package qdrant

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares the protojson form of msgs (re-indented with sorted
// keys: protojson's own whitespace is deliberately unstable) with
// testdata/golden/name.json.
func golden(t *testing.T, name string, msgs ...proto.Message) {
	t.Helper()
	var all []any
	for _, m := range msgs {
		b, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	var doc any = all
	if len(all) == 1 {
		doc = all[0]
	}
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

func sampleDoc() (imyrag.Document, []store.Entry) {
	a := analyze.Default()
	text := "Integritetsskyddsmyndigheten (IMY) beslutar enligt artikel 58.2 i dataskyddsförordningen.\n\nPersonuppgiftsbehandlingen i ärende DI-2021-5817 saknade rättslig grund enligt artikel 6.1 e GDPR."
	doc := imyrag.Document{ID: "imy-beslut-1", Title: "Beslut om tillsyn", Kind: imyrag.KindBeslut, Date: "2023-03",
		Source: "corpus:imy-beslut-1", SourceHash: "abc", Format: "text", Text: text,
		Meta:        imyrag.Metadata{Diarienummer: []string{"DI-2021-5817"}, LegalRefs: []string{"GDPR art. 6.1 e"}},
		Identifiers: []string{"DI-2021-5817"}}
	paras := strings.SplitAfter(text, "\n\n")
	var entries []store.Entry
	off := 0
	for i, p := range paras {
		c := imyrag.Chunk{ID: "imy-beslut-1#" + string(rune('a'+i)), DocID: doc.ID, Ordinal: i, HeadingPath: []string{"Beslut", "Skäl"},
			PageStart: 1, PageEnd: 1, Start: off, End: off + len(p), Tokens: 20, Hash: "h", Text: p}
		if i == 1 {
			c.Meta = imyrag.Metadata{Diarienummer: []string{"DI-2021-5817"}, LegalRefs: []string{"GDPR art. 6.1 e"}}
		}
		off += len(p)
		entries = append(entries, store.Entry{Chunk: c, Terms: a.TermFreqs(c.Text), HeadTerms: a.TermFreqs("Beslut om tillsyn Beslut Skäl")})
	}
	return doc, entries
}

func TestGoldenCollection(t *testing.T) {
	cfg := Config{Dim: 1024, Shards: 2, Replicas: 2}.withDefaults()
	msgs := []proto.Message{createCollectionRequest("imyrag_v1_3", cfg)}
	for _, r := range fieldIndexRequests("imyrag_v1_3") {
		msgs = append(msgs, r)
	}
	golden(t, "create_collection", msgs...)
	golden(t, "alias_swap", &qdrant.ChangeAliases{Actions: aliasSwap("imyrag", "imyrag_v1_2", "imyrag_v1_3")})
	golden(t, "alias_create", &qdrant.ChangeAliases{Actions: aliasSwap("imyrag", "", "imyrag_v1_1")})
}

func TestGoldenPoints(t *testing.T) {
	doc, entries := sampleDoc()
	version := docVersion(doc, "p1", entries)
	vec := []float32{0.6, 0.8, 0}
	var pts []*qdrant.PointStruct
	for i, e := range entries {
		var v []float32
		if i == 0 {
			v = vec
		}
		pts = append(pts, chunkPoint(doc, version, e, "hash-"+e.Chunk.ID, DefaultBM25, v))
	}
	reqs := upsertRequests("imyrag", pts, 1)
	if len(reqs) != 2 {
		t.Fatalf("%d batches, want 2", len(reqs))
	}
	golden(t, "chunk_points", reqs[0], reqs[1])
	golden(t, "document_point", &qdrant.UpsertPoints{CollectionName: "imyrag", Points: []*qdrant.PointStruct{
		documentPoint(doc, "p1", version, entries, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}})
	golden(t, "config_point", configPoint(store.EmbeddingSpec{Model: "bge-m3", Dim: 1024}))
	golden(t, "delete_stale", staleRequest("imyrag", doc.ID, version), staleRequest("imyrag", doc.ID, ""))
}

func TestGoldenFilters(t *testing.T) {
	for _, tt := range []struct {
		name string
		f    retrieval.Filter
	}{
		{"filter_none", retrieval.Filter{}},
		{"filter_all", retrieval.Filter{Kinds: []imyrag.Kind{"beslut", "vagledning"}, From: "2022", To: "2023-06",
			DocIDs: []string{"a", "b"}, Diarienummer: []string{"DI-2021-5817"}, LegalRefs: []string{"GDPR art. 6.1 e", "SFS 2018:218"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := retrieval.Prepare(retrieval.Query{Text: "x", Filter: tt.f})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, searchFilter(p.Filter))
		})
	}
}

func TestGoldenQueries(t *testing.T) {
	p, err := retrieval.Prepare(retrieval.Query{Text: "Vilken rättslig grund enligt artikel 6.1 e i ärende DI-2021-5817?", Limit: 5,
		Filter: retrieval.Filter{Kinds: []imyrag.Kind{"beslut"}}})
	if err != nil {
		t.Fatal(err)
	}
	idx, val := QueryVector(retrieval.QueryTerms(analyze.Default(), p.Text, p.Refs), p.Refs)
	f := searchFilter(p.Filter)
	dense := []float32{0.6, 0.8}
	golden(t, "query_hybrid", searchRequest("imyrag", f, idx, val, dense, p.Candidates))
	golden(t, "query_lexical", searchRequest("imyrag", f, idx, val, nil, p.Candidates))
	golden(t, "query_dense", searchRequest("imyrag", f, nil, nil, dense, p.Candidates))
}

// The traps of the client library and of Qdrant's defaults, pinned.
func TestRequestInvariants(t *testing.T) {
	p, _ := retrieval.Prepare(retrieval.Query{Text: "sandlåda", Limit: 7})
	req := searchRequest("c", searchFilter(p.Filter), []uint32{1}, []float32{1}, []float32{1}, p.Candidates)
	if len(req.GetQueryPoints()) != 2 {
		t.Fatalf("%d queries, want the two legs", len(req.GetQueryPoints()))
	}
	for i, q := range req.GetQueryPoints() {
		if q.GetLimit() < uint64(p.Limit) {
			t.Errorf("leg %d: limit %d < %d hits", i, q.GetLimit(), p.Limit)
		}
		if q.GetFilter() == nil {
			t.Errorf("leg %d without the filter", i)
		}
		if want := []string{sparseName, denseName}[i]; q.GetUsing() != want {
			t.Errorf("leg %d uses %q, want %q", i, q.GetUsing(), want)
		}
		if got := q.GetWithPayload().GetInclude().GetFields(); !cmp.Equal(got, hitFields) {
			t.Errorf("leg %d returns %v, want the hit fields %v", i, got, hitFields)
		}
	}
	// Arbitrary text, odd runes and empty lists encode without panicking.
	doc, entries := sampleDoc()
	doc.Title = "\x00\xff title"
	entries[0].Chunk.HeadingPath = nil
	entries[0].Chunk.Text = strings.Repeat("å", 3) + "\u2028"
	if pt := chunkPoint(doc, "v", entries[0], "h", DefaultBM25, nil); pt.GetPayload()["heading_path"].GetListValue() == nil {
		t.Error("an empty heading path is not an empty list")
	}
}

func scored(ids ...string) []*qdrant.ScoredPoint {
	out := make([]*qdrant.ScoredPoint, len(ids))
	for i, id := range ids {
		out[i] = &qdrant.ScoredPoint{Id: qdrant.NewIDUUID(id), Payload: map[string]*qdrant.Value{"chunk_id": vStr(id)}}
	}
	return out
}

// fuse is the embedded engine's formula: weight/(k+rank), rank from 1
// (Qdrant's own RRF ranks from 0 and weights the rank instead).
func TestFuse(t *testing.T) {
	got := fuse(60, leg{weight: 1, pts: scored("a", "b", "c")})
	for i, c := range got {
		if want := 1 / (60 + float64(i+1)); c.score != want || c.bestRank != i+1 {
			t.Errorf("one leg, rank %d: score %v, best rank %d; want %v", i+1, c.score, c.bestRank, want)
		}
	}
	got = fuse(60, leg{weight: 2, pts: scored("a", "b")}, leg{weight: 1, pts: scored("b", "c", "a")})
	var ids []string
	for _, c := range got {
		ids = append(ids, c.point.GetId().GetUuid())
	}
	// a: 2/61 + 1/63; b: 2/62 + 1/61; c: 1/62.
	if diff := cmp.Diff([]string{"a", "b", "c"}, ids); diff != "" {
		t.Errorf("weighted fusion order (-want +got):\n%s", diff)
	}
	if want := 2.0/61 + 1.0/63; abs64(got[0].score-want) > 1e-12 {
		t.Errorf("a's score %v, want %v", got[0].score, want)
	}
	// x and y tie (1/61 + 1/62, best rank 1): the smaller chunk ID first.
	got = fuse(60, leg{weight: 1, pts: scored("y", "x")}, leg{weight: 1, pts: scored("x", "y")}, leg{weight: 1, pts: scored("z")})
	ids = ids[:0]
	for _, c := range got {
		ids = append(ids, c.point.GetId().GetUuid())
	}
	if diff := cmp.Diff([]string{"x", "y", "z"}, ids); diff != "" {
		t.Errorf("tie order (-want +got):\n%s", diff)
	}
}

// Collection metadata numbers read back whether the server returns them
// as doubles or as integers.
func TestParseMeta(t *testing.T) {
	info := &qdrant.CollectionInfo{Config: &qdrant.CollectionConfig{
		Params: &qdrant.CollectionParams{VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			denseName: {Size: 4, Distance: qdrant.Distance_Cosine}})},
		Metadata: map[string]*qdrant.Value{"imyrag_schema": qdrant.NewValueInt(1), "bm25_avg_len": qdrant.NewValueInt(90),
			"bm25_k1": qdrant.NewValueDouble(1.2)}}}
	m, err := parseMeta(info)
	if err != nil {
		t.Fatal(err)
	}
	if m.Dim != 4 || m.BM25.AvgLen != 90 || m.BM25.K1 != 1.2 || m.BM25.B != DefaultBM25.B {
		t.Errorf("parseMeta = %+v", m)
	}
}

func TestSparse(t *testing.T) {
	if TermID("personuppgift") != TermID("personuppgift") || TermID("a") == TermID("b") {
		t.Fatal("TermID is not a stable hash")
	}
	bm := DefaultBM25
	idx, val := bm.ChunkVector(map[string]int{"a": 1, "b": 3}, map[string]int{"a": 1}, imyrag.Metadata{})
	if len(idx) != 2 || idx[0] > idx[1] {
		t.Fatalf("indices %v not sorted and unique", idx)
	}
	w := map[uint32]float32{}
	for i := range idx {
		w[idx[i]] = val[i]
	}
	// b's weight is the BM25 tf part; a's adds its head share.
	n := 4.0
	norm := bm.K1 * (1 - bm.B + bm.B*n/bm.AvgLen)
	wantB := 3 * (bm.K1 + 1) / (3 + norm)
	if got := float64(w[TermID("b")]); abs64(got-wantB) > 1e-5 {
		t.Errorf("weight of b = %v, want %v", got, wantB)
	}
	if w[TermID("a")] <= float32(1*(bm.K1+1)/(1+norm)) {
		t.Errorf("a %v has no head share", w[TermID("a")])
	}
}

func abs64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestPointIDs(t *testing.T) {
	a, b := ChunkPointID("c1", "v1"), ChunkPointID("c1", "v2")
	if a == b || a != ChunkPointID("c1", "v1") {
		t.Fatal("chunk point IDs are not deterministic per (chunk, version)")
	}
	if len(a) != 36 || a[14] != '5' {
		t.Fatalf("%s is not a version-5 UUID", a)
	}
	doc, entries := sampleDoc()
	if docVersion(doc, "p", entries) != docVersion(doc, "p", entries) || docVersion(doc, "p", entries) == docVersion(doc, "q", entries) {
		t.Fatal("docVersion is not a deterministic content hash")
	}
}

func TestNames(t *testing.T) {
	if got := nextName("imyrag", []string{"imyrag_v1_2", "imyrag_v1_10", "other", "imyrag_v1_x"}); got != "imyrag_v1_11" {
		t.Errorf("nextName = %s", got)
	}
	if got := nextName("imyrag", nil); got != "imyrag_v1_1" {
		t.Errorf("nextName = %s", got)
	}
	for _, tt := range []struct {
		addr string
		ok   bool
	}{{"127.0.0.1:6334", true}, {"qdrant", true}, {"http://x:6334", false}, {"x:6333", false}, {"x:notaport", false}, {"", false}} {
		if _, _, err := ParseAddr(tt.addr); (err == nil) != tt.ok {
			t.Errorf("ParseAddr(%q) = %v", tt.addr, err)
		}
	}
	for _, tt := range []struct {
		v  string
		ok bool
	}{{"1.17.1", true}, {"1.16.0", true}, {"v2.0.0", true}, {"1.15.3", false}, {"dev", false}} {
		err := checkVersion(tt.v)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrServerVersion)) {
			t.Errorf("checkVersion(%q) = %v", tt.v, err)
		}
	}
}

// Error injection: a fake call stands in for the server.
func TestRetry(t *testing.T) {
	s := &Store{cfg: Config{Retries: 3, Timeout: time.Second, Addr: "x:1"}.withDefaults()}
	calls := 0
	err := s.do(context.Background(), "op", func(context.Context) error {
		calls++
		if calls < 3 {
			return status.Error(codes.Unavailable, "down")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("transient errors: err %v after %d calls, want success after 3", err, calls)
	}
	calls = 0
	err = s.do(context.Background(), "op", func(context.Context) error { calls++; return status.Error(codes.Unauthenticated, "no") })
	if !errors.Is(err, ErrAuth) || calls != 1 {
		t.Fatalf("auth error: %v after %d calls, want ErrAuth at once", err, calls)
	}
	calls = 0
	err = s.do(context.Background(), "op", func(context.Context) error { calls++; return status.Error(codes.Unavailable, "down") })
	if !errors.Is(err, ErrUnreachable) || calls != 4 {
		t.Fatalf("unavailable: %v after %d calls, want ErrUnreachable after 4", err, calls)
	}
	err = s.do(context.Background(), "op", func(context.Context) error { return status.Error(codes.InvalidArgument, "bad") })
	if errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAuth) {
		t.Fatalf("invalid argument classified as %v", err)
	}
	// NotFound is Qdrant's answer for a missing collection, not for a
	// missing document.
	err = s.do(context.Background(), "op", func(context.Context) error {
		return status.Error(codes.NotFound, "Not found: Collection `imyrag` doesn't exist!")
	})
	if !errors.Is(err, ErrNoIndex) || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("NotFound classified as %v, want ErrNoIndex", err)
	}
	// A create whose first attempt timed out after the server made the
	// collection succeeds on the retry's AlreadyExists; a first
	// AlreadyExists is an error.
	calls = 0
	err = s.do(context.Background(), "create", idempotentCreate(func(context.Context) error {
		calls++
		if calls == 1 {
			return status.Error(codes.DeadlineExceeded, "slow")
		}
		return status.Error(codes.AlreadyExists, "Wrong input: Collection `x` already exists!")
	}))
	if err != nil || calls != 2 {
		t.Fatalf("retried create: %v after %d calls, want success after 2", err, calls)
	}
	err = s.do(context.Background(), "create", idempotentCreate(func(context.Context) error {
		return status.Error(codes.AlreadyExists, "exists")
	}))
	if err == nil {
		t.Fatal("a first AlreadyExists was taken for success")
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{Addr: "127.0.0.1:1", Retries: 1, Timeout: 2 * time.Second})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "docker-compose") {
		t.Fatalf("Open(closed port) = %v, want ErrUnreachable with a hint", err)
	}
	if _, err := Open(ctx, Config{Addr: "8.8.8.8:6334"}); err == nil || !strings.Contains(err.Error(), "--allow-remote-qdrant") {
		t.Fatalf("Open(remote) = %v, want a refusal naming --allow-remote-qdrant", err)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	doc, entries := sampleDoc()
	pt := chunkPoint(doc, "v", entries[1], "h", DefaultBM25, nil)
	got := payload(pt.GetPayload()).chunk()
	if diff := cmp.Diff(entries[1].Chunk, got); diff != "" {
		t.Errorf("chunk round trip (-want +got):\n%s", diff)
	}
	dp := documentPoint(doc, "p", "v", entries, time.Now())
	if diff := cmp.Diff(doc, payload(dp.GetPayload()).document()); diff != "" {
		t.Errorf("document round trip (-want +got):\n%s", diff)
	}
}
