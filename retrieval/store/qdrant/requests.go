package qdrant

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/store"
)

// Vector names and point types.
const (
	denseName  = "dense"
	sparseName = "lexical"

	typeChunk    = "chunk"
	typeDocument = "document"
	typeConfig   = "config"
)

// Every request below is built by a pure function, so that the golden
// tests (testdata/golden) pin exactly what is sent.

func createCollectionRequest(name string, cfg Config) *qdrant.CreateCollection {
	req := &qdrant.CreateCollection{
		CollectionName: name,
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			denseName: {Size: uint64(cfg.Dim), Distance: qdrant.Distance_Cosine},
		}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			sparseName: {Modifier: qdrant.Modifier_Idf.Enum()},
		}),
		Metadata: map[string]*qdrant.Value{
			"imyrag_schema":     qdrant.NewValueInt(schemaVersion),
			"dense_dim":         qdrant.NewValueInt(int64(cfg.Dim)),
			"bm25_k1":           qdrant.NewValueDouble(cfg.BM25.K1),
			"bm25_b":            qdrant.NewValueDouble(cfg.BM25.B),
			"bm25_avg_len":      qdrant.NewValueDouble(cfg.BM25.AvgLen),
			"bm25_avg_head_len": qdrant.NewValueDouble(cfg.BM25.AvgHeadLen),
			"bm25_head_weight":  qdrant.NewValueDouble(cfg.BM25.HeadWeight),
		},
	}
	if cfg.Shards > 0 {
		req.ShardNumber = qdrant.PtrOf(cfg.Shards)
	}
	if cfg.Replicas > 0 {
		req.ReplicationFactor = qdrant.PtrOf(cfg.Replicas)
	}
	return req
}

// fieldIndexRequests are the payload indexes: every field a filter, a
// lookup or a version check uses.
func fieldIndexRequests(coll string) []*qdrant.CreateFieldIndexCollection {
	kw := qdrant.FieldType_FieldTypeKeyword
	in := qdrant.FieldType_FieldTypeInteger
	dt := qdrant.FieldType_FieldTypeDatetime
	fields := []struct {
		name string
		typ  qdrant.FieldType
	}{
		{"type", kw}, {"doc_id", kw}, {"chunk_id", kw}, {"version", kw}, {"kind", kw}, {"source", kw},
		{"embed_hash", kw}, {"diarienummer", kw}, {"legal_refs", kw}, {"gov_refs", kw}, {"terms", kw},
		{"ordinal", in}, {"date_from", dt}, {"date_to", dt},
	}
	out := make([]*qdrant.CreateFieldIndexCollection, len(fields))
	for i, f := range fields {
		out[i] = &qdrant.CreateFieldIndexCollection{CollectionName: coll, FieldName: f.name,
			FieldType: f.typ.Enum(), Wait: qdrant.PtrOf(true)}
	}
	return out
}

func parseMeta(info *qdrant.CollectionInfo) (collectionMeta, error) {
	md := info.GetConfig().GetMetadata()
	m := collectionMeta{Schema: int(md["imyrag_schema"].GetIntegerValue())}
	if m.Schema == 0 {
		return m, fmt.Errorf("not an imyrag collection (no imyrag_schema in its metadata): %w", store.ErrSchema)
	}
	if m.Schema > schemaVersion {
		return m, fmt.Errorf("schema %d is newer than this program's %d (upgrade imyrag): %w", m.Schema, schemaVersion, store.ErrSchema)
	}
	m.BM25 = BM25{K1: number(md["bm25_k1"]), B: number(md["bm25_b"]),
		AvgLen: number(md["bm25_avg_len"]), AvgHeadLen: number(md["bm25_avg_head_len"]),
		HeadWeight: number(md["bm25_head_weight"])}.withDefaults()
	if p := info.GetConfig().GetParams().GetVectorsConfig().GetParamsMap().GetMap()[denseName]; p != nil {
		m.Dim = int(p.GetSize())
	}
	if m.Dim == 0 {
		return m, fmt.Errorf("no dense vector %q in the collection: %w", denseName, store.ErrSchema)
	}
	return m, nil
}

// number reads a metadata number whether the server returns it as a
// double or as an integer (the metadata is stored as JSON, where 140.0
// and 140 may come back either way).
func number(v *qdrant.Value) float64 {
	if _, ok := v.GetKind().(*qdrant.Value_IntegerValue); ok {
		return float64(v.GetIntegerValue())
	}
	return v.GetDoubleValue()
}

// pointUUID is a name-based UUID (version 5 layout over SHA-1) in the
// imyrag namespace: the same name always gives the same point ID.
func pointUUID(name string) string {
	h := sha1.Sum([]byte("imyrag/qdrant\x00" + name))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	x := hex.EncodeToString(h[:16])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// ChunkPointID is the point ID of a chunk in one version of its document.
func ChunkPointID(chunkID, version string) string {
	return pointUUID("chunk\x00" + chunkID + "\x00" + version)
}

// DocumentPointID is the point ID of a document.
func DocumentPointID(docID string) string { return pointUUID("document\x00" + docID) }

var configPointID = pointUUID("config")

// docVersion identifies the content of one write of a document: its ID,
// pipeline, source hash, title and chunk IDs (which hash the chunk texts).
func docVersion(doc imyrag.Document, pipeline string, entries []store.Entry) string {
	h := sha256.New()
	for _, s := range []string{doc.ID, pipeline, doc.SourceHash, doc.Title, string(doc.Kind), doc.Date, doc.Source} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, e := range entries {
		h.Write([]byte(e.Chunk.ID))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Payload values are built by hand: qdrant.NewValueMap panics on []string
// and time.Time, and a chunk's text is arbitrary data.

func vStr(s string) *qdrant.Value { return qdrant.NewValueString(s) }
func vInt(n int) *qdrant.Value    { return qdrant.NewValueInt(int64(n)) }
func vList(ss []string) *qdrant.Value {
	vs := make([]*qdrant.Value, len(ss))
	for i, s := range ss {
		vs[i] = qdrant.NewValueString(s)
	}
	return qdrant.NewValueFromList(vs...)
}

func metaValue(m imyrag.Metadata) *qdrant.Value {
	return qdrant.NewValueFromFields(map[string]*qdrant.Value{
		"diarienummer": vList(m.Diarienummer), "gov_refs": vList(m.GovRefs),
		"dates": vList(m.Dates), "legal_refs": vList(m.LegalRefs),
	})
}

// dateBounds gives a document date's span as RFC 3339 instants (the first
// and last day it may mean), empty when the date is missing or malformed.
func dateBounds(date string) (from, to string) {
	lo, hi := retrieval.DateSpan(date)
	if lo == "" {
		return "", ""
	}
	return lo + "T00:00:00Z", hi + "T00:00:00Z"
}

// chunkPoint builds the point of one chunk. vec, when set, is its dense
// vector (unit length).
func chunkPoint(doc imyrag.Document, version string, e store.Entry, embedHash string, bm BM25, vec []float32) *qdrant.PointStruct {
	c := e.Chunk
	terms := make([]string, 0, len(e.Terms))
	for t := range e.Terms {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	p := map[string]*qdrant.Value{
		"type": vStr(typeChunk), "chunk_id": vStr(c.ID), "doc_id": vStr(c.DocID), "version": vStr(version),
		"ordinal": vInt(c.Ordinal), "heading_path": vList(c.HeadingPath),
		"page_start": vInt(c.PageStart), "page_end": vInt(c.PageEnd), "start": vInt(c.Start), "end": vInt(c.End),
		"tokens": vInt(c.Tokens), "hash": vStr(c.Hash), "text": vStr(c.Text), "meta": metaValue(c.Meta),
		"diarienummer": vList(c.Meta.Diarienummer), "legal_refs": vList(c.Meta.LegalRefs), "gov_refs": vList(c.Meta.GovRefs),
		"title": vStr(doc.Title), "kind": vStr(string(doc.Kind)), "date": vStr(doc.Date),
		"embed_hash": vStr(embedHash), "terms": vList(terms),
	}
	if from, to := dateBounds(doc.Date); from != "" {
		p["date_from"], p["date_to"] = vStr(from), vStr(to)
	}
	idx, val := bm.ChunkVector(e.Terms, e.HeadTerms, c.Meta)
	vecs := map[string]*qdrant.Vector{sparseName: qdrant.NewVectorSparse(idx, val)}
	if vec != nil {
		vecs[denseName] = qdrant.NewVectorDense(vec)
	}
	return &qdrant.PointStruct{Id: qdrant.NewIDUUID(ChunkPointID(c.ID, version)), Payload: p, Vectors: qdrant.NewVectorsMap(vecs)}
}

// documentPoint builds a document's point: metadata, full text and the
// live version, without vectors.
func documentPoint(doc imyrag.Document, pipeline, version string, entries []store.Entry, at time.Time) *qdrant.PointStruct {
	tokens := 0
	for _, e := range entries {
		tokens += e.Chunk.Tokens
	}
	p := map[string]*qdrant.Value{
		"type": vStr(typeDocument), "doc_id": vStr(doc.ID), "version": vStr(version), "complete": qdrant.NewValueBool(true),
		"title": vStr(doc.Title), "kind": vStr(string(doc.Kind)), "date": vStr(doc.Date), "source": vStr(doc.Source),
		"source_hash": vStr(doc.SourceHash), "format": vStr(doc.Format), "pages": vInt(doc.Pages), "text": vStr(doc.Text),
		"meta": metaValue(doc.Meta), "identifiers": vList(doc.Identifiers), "warnings": vList(doc.Warnings),
		"chunks": vInt(len(entries)), "tokens": vInt(tokens), "pipeline": vStr(pipeline),
		"ingested_at":  vStr(at.UTC().Format(time.RFC3339Nano)),
		"diarienummer": vList(doc.Meta.Diarienummer), "legal_refs": vList(doc.Meta.LegalRefs),
	}
	if from, to := dateBounds(doc.Date); from != "" {
		p["date_from"], p["date_to"] = vStr(from), vStr(to)
	}
	return &qdrant.PointStruct{Id: qdrant.NewIDUUID(DocumentPointID(doc.ID)), Payload: p,
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{})}
}

func configPoint(spec store.EmbeddingSpec) *qdrant.PointStruct {
	return &qdrant.PointStruct{Id: qdrant.NewIDUUID(configPointID), Payload: map[string]*qdrant.Value{
		"type": vStr(typeConfig), "embed_model": vStr(spec.Model), "embed_dim": vInt(spec.Dim),
	}, Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{})}
}

// Decoding payloads. A missing or mistyped field reads as its zero value;
// Check reports points whose payload does not describe a chunk.

type payload map[string]*qdrant.Value

func (p payload) str(k string) string { return p[k].GetStringValue() }
func (p payload) int(k string) int    { return int(p[k].GetIntegerValue()) }
func (p payload) list(k string) []string {
	vs := p[k].GetListValue().GetValues()
	if len(vs) == 0 {
		return nil
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.GetStringValue()
	}
	return out
}
func (p payload) meta(k string) imyrag.Metadata {
	f := payload(p[k].GetStructValue().GetFields())
	return imyrag.Metadata{Diarienummer: f.list("diarienummer"), GovRefs: f.list("gov_refs"), Dates: f.list("dates"),
		LegalRefs: f.list("legal_refs")}
}

func (p payload) chunk() imyrag.Chunk {
	return imyrag.Chunk{ID: p.str("chunk_id"), DocID: p.str("doc_id"), Ordinal: p.int("ordinal"),
		HeadingPath: p.list("heading_path"), PageStart: p.int("page_start"), PageEnd: p.int("page_end"),
		Start: p.int("start"), End: p.int("end"), Tokens: p.int("tokens"), Hash: p.str("hash"), Text: p.str("text"),
		Meta: p.meta("meta")}
}

func (p payload) document() imyrag.Document {
	return imyrag.Document{ID: p.str("doc_id"), Title: p.str("title"), Kind: imyrag.Kind(p.str("kind")), Date: p.str("date"),
		Source: p.str("source"), SourceHash: p.str("source_hash"), Format: p.str("format"), Pages: p.int("pages"),
		Text: p.str("text"), Meta: p.meta("meta"), Identifiers: p.list("identifiers"), Warnings: p.list("warnings")}
}

func (p payload) info() store.DocumentInfo {
	at, _ := time.Parse(time.RFC3339Nano, p.str("ingested_at"))
	return store.DocumentInfo{ID: p.str("doc_id"), Title: p.str("title"), Kind: imyrag.Kind(p.str("kind")), Date: p.str("date"),
		Source: p.str("source"), SourceHash: p.str("source_hash"), Format: p.str("format"), Pages: p.int("pages"),
		Chunks: p.int("chunks"), Tokens: p.int("tokens"), Pipeline: p.str("pipeline"), IngestedAt: at}
}

// docInfoFields are the payload fields DocumentInfo needs (not the text).
var docInfoFields = []string{"doc_id", "title", "kind", "date", "source", "source_hash", "format", "pages", "chunks",
	"tokens", "pipeline", "ingested_at", "version", "complete"}

// Filters.

func isType(t string) *qdrant.Condition { return qdrant.NewMatchKeyword("type", t) }

func filterOf(must ...*qdrant.Condition) *qdrant.Filter { return &qdrant.Filter{Must: must} }

// searchFilter turns a normalized retrieval.Filter into the conditions
// every leg carries: chunk points only; kinds; a date span overlapping
// [From, To]; document IDs; each diarienummer and legal reference.
func searchFilter(f retrieval.Filter) *qdrant.Filter {
	must := []*qdrant.Condition{isType(typeChunk)}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		must = append(must, qdrant.NewMatchKeywords("kind", ks...))
	}
	if f.From != "" {
		t, _ := time.Parse("2006-01-02", f.From)
		must = append(must, qdrant.NewDatetimeRange("date_to", &qdrant.DatetimeRange{Gte: timestamppb.New(t)}))
	}
	if f.To != "" {
		t, _ := time.Parse("2006-01-02", f.To)
		must = append(must, qdrant.NewDatetimeRange("date_from", &qdrant.DatetimeRange{Lte: timestamppb.New(t)}))
	}
	if len(f.DocIDs) > 0 {
		must = append(must, qdrant.NewMatchKeywords("doc_id", f.DocIDs...))
	}
	for _, d := range f.Diarienummer {
		must = append(must, qdrant.NewMatchKeyword("diarienummer", d))
	}
	for _, r := range f.LegalRefs {
		must = append(must, qdrant.NewMatchKeyword("legal_refs", r))
	}
	return filterOf(must...)
}

// hitFields are the payload fields a candidate needs before the
// per-document cap.
var hitFields = []string{"doc_id", "version", "chunk_id", "ordinal"}

// legRequest is one leg of the search: its query vector against its named
// vector, with the filter and cands (≥ the number of hits) as limit.
func legRequest(coll string, f *qdrant.Filter, q *qdrant.Query, using string, cands int) *qdrant.QueryPoints {
	limit := uint64(cands)
	return &qdrant.QueryPoints{CollectionName: coll, Query: q, Using: qdrant.PtrOf(using), Filter: f, Limit: &limit,
		WithPayload: qdrant.NewWithPayloadInclude(hitFields...)}
}

// searchRequest is the search's one round trip: the lexical leg (when
// sparseIdx is set), then the dense leg (when dense is set), each alone;
// fuse combines them.
func searchRequest(coll string, f *qdrant.Filter, sparseIdx []uint32, sparseVal []float32, dense []float32, cands int) *qdrant.QueryBatchPoints {
	req := &qdrant.QueryBatchPoints{CollectionName: coll}
	if sparseIdx != nil {
		req.QueryPoints = append(req.QueryPoints, legRequest(coll, f, qdrant.NewQuerySparse(sparseIdx, sparseVal), sparseName, cands))
	}
	if dense != nil {
		req.QueryPoints = append(req.QueryPoints, legRequest(coll, f, qdrant.NewQueryDense(dense), denseName, cands))
	}
	return req
}

// upsertRequests splits points into batches of at most n, each waited
// for.
func upsertRequests(coll string, points []*qdrant.PointStruct, n int) []*qdrant.UpsertPoints {
	var out []*qdrant.UpsertPoints
	for i := 0; i < len(points); i += n {
		out = append(out, &qdrant.UpsertPoints{CollectionName: coll, Wait: qdrant.PtrOf(true), Points: points[i:min(i+n, len(points))]})
	}
	return out
}

// staleRequest deletes a document's chunk points of every version but
// keep ("" deletes them all).
func staleRequest(coll, docID, keep string) *qdrant.DeletePoints {
	f := &qdrant.Filter{Must: []*qdrant.Condition{isType(typeChunk), qdrant.NewMatchKeyword("doc_id", docID)}}
	if keep != "" {
		f.MustNot = []*qdrant.Condition{qdrant.NewMatchKeyword("version", keep)}
	}
	return &qdrant.DeletePoints{CollectionName: coll, Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelectorFilter(f)}
}
