package qdrant

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/qdrant/go-client/qdrant"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"
)

// batchSize is the number of points per upsert and of keys per lookup.
const batchSize = 128

// scroll reads every point matching f, page by page.
func (s *Store) scroll(ctx context.Context, op string, f *qdrant.Filter, with *qdrant.WithPayloadSelector, vectors bool) ([]*qdrant.RetrievedPoint, error) {
	var out []*qdrant.RetrievedPoint
	var offset *qdrant.PointId
	for {
		req := &qdrant.ScrollPoints{CollectionName: s.coll, Filter: f, Offset: offset, Limit: qdrant.PtrOf(uint32(256)),
			WithPayload: with}
		if vectors {
			req.WithVectors = qdrant.NewWithVectorsInclude(denseName)
		}
		var page []*qdrant.RetrievedPoint
		var next *qdrant.PointId
		err := s.do(ctx, op, func(ctx context.Context) error {
			var err error
			page, next, err = s.client.ScrollAndOffset(ctx, req)
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == nil || len(page) == 0 {
			return out, nil
		}
		offset = next
	}
}

func (s *Store) get(ctx context.Context, op string, ids []string, with *qdrant.WithPayloadSelector, vectors bool) ([]*qdrant.RetrievedPoint, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pids := make([]*qdrant.PointId, len(ids))
	for i, id := range ids {
		pids[i] = qdrant.NewIDUUID(id)
	}
	req := &qdrant.GetPoints{CollectionName: s.coll, Ids: pids, WithPayload: with}
	if vectors {
		req.WithVectors = qdrant.NewWithVectorsInclude(denseName)
	}
	var out []*qdrant.RetrievedPoint
	err := s.do(ctx, op, func(ctx context.Context) error {
		var err error
		out, err = s.client.Get(ctx, req)
		return err
	})
	return out, err
}

func (s *Store) upsert(ctx context.Context, op string, points []*qdrant.PointStruct) error {
	for _, req := range upsertRequests(s.coll, points, batchSize) {
		if err := s.do(ctx, op, func(ctx context.Context) error {
			_, err := s.client.Upsert(ctx, req)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) deletePoints(ctx context.Context, op string, req *qdrant.DeletePoints) error {
	return s.do(ctx, op, func(ctx context.Context) error {
		_, err := s.client.Delete(ctx, req)
		return err
	})
}

// docPoints returns the document points of ids, by document ID.
func (s *Store) docPoints(ctx context.Context, ids []string, with *qdrant.WithPayloadSelector) (map[string]payload, error) {
	pids := make([]string, len(ids))
	for i, id := range ids {
		pids[i] = DocumentPointID(id)
	}
	out := map[string]payload{}
	for i := 0; i < len(pids); i += batchSize {
		pts, err := s.get(ctx, "get documents", pids[i:min(i+batchSize, len(pids))], with, false)
		if err != nil {
			return nil, err
		}
		for _, p := range pts {
			pl := payload(p.GetPayload())
			out[pl.str("doc_id")] = pl
		}
	}
	return out, nil
}

// liveVersions maps each document ID to its live version; documents
// without a document point are missing from the map.
func (s *Store) liveVersions(ctx context.Context, docIDs []string) (map[string]string, error) {
	docs, err := s.docPoints(ctx, docIDs, qdrant.NewWithPayloadInclude("doc_id", "version"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(docs))
	for id, p := range docs {
		out[id] = p.str("version")
	}
	return out, nil
}

// vectorsByHash returns the stored dense vectors of the given embed
// hashes (from any chunk that has one).
func (s *Store) vectorsByHash(ctx context.Context, hashes []string) (map[string][]float32, error) {
	out := map[string][]float32{}
	for i := 0; i < len(hashes); i += batchSize {
		f := filterOf(isType(typeChunk), qdrant.NewMatchKeywords("embed_hash", hashes[i:min(i+batchSize, len(hashes))]...),
			qdrant.NewHasVector(denseName))
		pts, err := s.scroll(ctx, "find vectors", f, qdrant.NewWithPayloadInclude("embed_hash"), true)
		if err != nil {
			return nil, err
		}
		for _, p := range pts {
			if v := denseOf(p.GetVectors()); v != nil {
				out[payload(p.GetPayload()).str("embed_hash")] = v
			}
		}
	}
	return out, nil
}

func denseOf(v *qdrant.VectorsOutput) []float32 {
	vo := v.GetVectors().GetVectors()[denseName]
	if vo == nil {
		return nil
	}
	if d := vo.GetDenseVector(); d != nil {
		return d.GetData()
	}
	return vo.GetData() //nolint:staticcheck // older servers fill the deprecated field
}

// ReplaceDocument implements store.Store: the new version's chunk points
// first, then the document point that makes them live, then the removal
// of other versions' points (see the package comment). Passages whose
// embed hash already has a vector keep it.
func (s *Store) ReplaceDocument(ctx context.Context, doc imyrag.Document, pipeline string, entries []store.Entry) error {
	hashes := make([]string, len(entries))
	for i, e := range entries {
		if e.Chunk.DocID != doc.ID {
			return fmt.Errorf("replace document %s: chunk %s belongs to %q", doc.ID, e.Chunk.ID, e.Chunk.DocID)
		}
		hashes[i] = e.EmbedHash
		if hashes[i] == "" {
			hashes[i] = store.EmbedHash(store.EmbedInput(doc.Title, e.Chunk.HeadingPath, e.Chunk.Text))
		}
	}
	version := docVersion(doc, pipeline, entries)
	vecs, err := s.vectorsByHash(ctx, uniq(hashes))
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	points := make([]*qdrant.PointStruct, len(entries))
	for i, e := range entries {
		points[i] = chunkPoint(doc, version, e, hashes[i], s.meta.BM25, vecs[hashes[i]])
	}
	if err := s.upsert(ctx, "upsert chunks of "+doc.ID, points); err != nil {
		return fmt.Errorf("replace document %s (the old version stays live; ingest again to finish): %w", doc.ID, err)
	}
	if err := s.upsert(ctx, "upsert document "+doc.ID, []*qdrant.PointStruct{documentPoint(doc, pipeline, version, entries, time.Now())}); err != nil {
		return fmt.Errorf("replace document %s (the old version stays live; ingest again to finish): %w", doc.ID, err)
	}
	if err := s.deletePoints(ctx, "delete old chunks of "+doc.ID, staleRequest(s.coll, doc.ID, version)); err != nil {
		return fmt.Errorf("replace document %s: the new version is live, removing the old one's points failed (the next write removes them): %w", doc.ID, err)
	}
	// Another document may hold this source (a renamed ID); the source
	// belongs to the new version now.
	others, err := s.scroll(ctx, "find documents of source", filterOf(isType(typeDocument), qdrant.NewMatchKeyword("source", doc.Source)),
		qdrant.NewWithPayloadInclude("doc_id"), false)
	if err != nil {
		return fmt.Errorf("replace document %s: %w", doc.ID, err)
	}
	for _, p := range others {
		if id := payload(p.GetPayload()).str("doc_id"); id != doc.ID {
			if err := s.DeleteDocument(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("replace document %s: %w", doc.ID, err)
			}
		}
	}
	return nil
}

func uniq(ss []string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// DeleteDocument implements store.Store: the document point first (its
// chunks stop being searchable at once), then every chunk point of it.
func (s *Store) DeleteDocument(ctx context.Context, id string) error {
	docs, err := s.docPoints(ctx, []string{id}, qdrant.NewWithPayloadInclude("doc_id"))
	if err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	if _, ok := docs[id]; !ok {
		return fmt.Errorf("delete document %s: %w", id, store.ErrNotFound)
	}
	del := &qdrant.DeletePoints{CollectionName: s.coll, Wait: qdrant.PtrOf(true),
		Points: qdrant.NewPointsSelector(qdrant.NewIDUUID(DocumentPointID(id)))}
	if err := s.deletePoints(ctx, "delete document "+id, del); err != nil {
		return fmt.Errorf("delete document %s: %w", id, err)
	}
	if err := s.deletePoints(ctx, "delete chunks of "+id, staleRequest(s.coll, id, "")); err != nil {
		return fmt.Errorf("delete document %s: the document is gone, removing its chunks failed (Check reports them): %w", id, err)
	}
	return nil
}

// Document implements store.Store.
func (s *Store) Document(ctx context.Context, id string) (imyrag.Document, error) {
	docs, err := s.docPoints(ctx, []string{id}, qdrant.NewWithPayload(true))
	if err != nil {
		return imyrag.Document{}, fmt.Errorf("document %s: %w", id, err)
	}
	p, ok := docs[id]
	if !ok {
		return imyrag.Document{}, fmt.Errorf("document %s: %w", id, store.ErrNotFound)
	}
	return p.document(), nil
}

// Documents implements store.Store.
func (s *Store) Documents(ctx context.Context) ([]store.DocumentInfo, error) {
	pts, err := s.scroll(ctx, "list documents", filterOf(isType(typeDocument)), qdrant.NewWithPayloadInclude(docInfoFields...), false)
	if err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	out := make([]store.DocumentInfo, len(pts))
	for i, p := range pts {
		out[i] = payload(p.GetPayload()).info()
	}
	slices.SortFunc(out, func(a, b store.DocumentInfo) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Chunks implements store.Store: the live version's chunks.
func (s *Store) Chunks(ctx context.Context, docID string) ([]imyrag.Chunk, error) {
	live, err := s.liveVersions(ctx, []string{docID})
	if err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	v, ok := live[docID]
	if !ok {
		return nil, fmt.Errorf("chunks of %s: %w", docID, store.ErrNotFound)
	}
	pts, err := s.scroll(ctx, "chunks of "+docID, filterOf(isType(typeChunk), qdrant.NewMatchKeyword("doc_id", docID),
		qdrant.NewMatchKeyword("version", v)), qdrant.NewWithPayload(true), false)
	if err != nil {
		return nil, fmt.Errorf("chunks of %s: %w", docID, err)
	}
	out := make([]imyrag.Chunk, len(pts))
	for i, p := range pts {
		out[i] = payload(p.GetPayload()).chunk()
	}
	slices.SortFunc(out, func(a, b imyrag.Chunk) int { return cmp.Compare(a.Ordinal, b.Ordinal) })
	return out, nil
}

// Chunk implements store.Store.
func (s *Store) Chunk(ctx context.Context, id string) (imyrag.Chunk, error) {
	cs, err := s.ChunksByID(ctx, []string{id})
	if err != nil {
		return imyrag.Chunk{}, fmt.Errorf("chunk %s: %w", id, err)
	}
	if len(cs) == 0 {
		return imyrag.Chunk{}, fmt.Errorf("chunk %s: %w", id, store.ErrNotFound)
	}
	return cs[0], nil
}

// ChunksByID returns the live chunks with the given IDs, in the given
// order; IDs that do not exist are left out.
func (s *Store) ChunksByID(ctx context.Context, ids []string) ([]imyrag.Chunk, error) {
	var pts []*qdrant.RetrievedPoint
	for i := 0; i < len(ids); i += batchSize {
		p, err := s.scroll(ctx, "chunks by id", filterOf(isType(typeChunk), qdrant.NewMatchKeywords("chunk_id", ids[i:min(i+batchSize, len(ids))]...)),
			qdrant.NewWithPayload(true), false)
		if err != nil {
			return nil, err
		}
		pts = append(pts, p...)
	}
	live, err := s.liveVersions(ctx, docIDsOf(pts))
	if err != nil {
		return nil, err
	}
	byID := map[string]imyrag.Chunk{}
	for _, p := range pts {
		pl := payload(p.GetPayload())
		if v, ok := live[pl.str("doc_id")]; ok && v == pl.str("version") {
			byID[pl.str("chunk_id")] = pl.chunk()
		}
	}
	out := make([]imyrag.Chunk, 0, len(ids))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func docIDsOf[P interface {
	GetPayload() map[string]*qdrant.Value
}](pts []P) []string {
	var ids []string
	for _, p := range pts {
		ids = append(ids, payload(p.GetPayload()).str("doc_id"))
	}
	return uniq(ids)
}

// Stats implements store.Store. Bytes is not known (the server's disk).
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	coll, err := s.Collection(ctx)
	if err != nil {
		return store.Stats{}, fmt.Errorf("index stats: %w", err)
	}
	st := store.Stats{ByKind: map[string]int{}, SchemaVersion: schemaVersion,
		Location: fmt.Sprintf("qdrant://%s/%s (collection %s)", s.cfg.Addr, s.cfg.Alias, coll)}
	docs, err := s.Documents(ctx)
	if err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	for _, d := range docs {
		st.Documents++
		st.ByKind[string(d.Kind)]++
		st.Chunks += d.Chunks
		st.Tokens += d.Tokens
	}
	if st.Embedding, err = s.Embedding(ctx); err != nil {
		return st, fmt.Errorf("index stats: %w", err)
	}
	if !st.Embedding.IsZero() {
		n, err := s.count(ctx, filterOf(isType(typeChunk), qdrant.NewHasVector(denseName)))
		if err != nil {
			return st, fmt.Errorf("index stats: %w", err)
		}
		st.Vectors = min(int(n), st.Chunks)
	}
	return st, nil
}

func (s *Store) count(ctx context.Context, f *qdrant.Filter) (uint64, error) {
	var n uint64
	err := s.do(ctx, "count", func(ctx context.Context) error {
		var err error
		n, err = s.client.Count(ctx, &qdrant.CountPoints{CollectionName: s.coll, Filter: f, Exact: qdrant.PtrOf(true)})
		return err
	})
	return n, err
}

// Check implements store.Store: for every document, the live chunks
// against the recorded count, contiguous ordinals, each chunk's text equal
// to its slice of the document text and its content hash; then points
// that no reader can reach (of an old version, or of no document: left
// by an interrupted write) and vectors without a bound model.
func (s *Store) Check(ctx context.Context) ([]store.Problem, error) {
	var problems []store.Problem
	docs, err := s.Documents(ctx)
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	for _, info := range docs {
		doc, err := s.Document(ctx, info.ID)
		if err != nil {
			return nil, fmt.Errorf("check index: %w", err)
		}
		chunks, err := s.Chunks(ctx, info.ID)
		if err != nil {
			return nil, fmt.Errorf("check index: %w", err)
		}
		add := func(chunkID, format string, args ...any) {
			problems = append(problems, store.Problem{DocID: info.ID, ChunkID: chunkID, What: fmt.Sprintf(format, args...)})
		}
		for i, c := range chunks {
			if c.Ordinal != i {
				add(c.ID, "ordinal %d where %d was expected", c.Ordinal, i)
			}
			if c.Start < 0 || c.End > len(doc.Text) || c.Start > c.End {
				add(c.ID, "offsets [%d,%d) outside the document text (%d bytes)", c.Start, c.End, len(doc.Text))
			} else if doc.Text[c.Start:c.End] != c.Text {
				add(c.ID, "chunk text differs from the document text at [%d,%d)", c.Start, c.End)
			}
			if sum := sha256.Sum256([]byte(c.Text)); hex.EncodeToString(sum[:]) != c.Hash {
				add(c.ID, "content hash does not match the text")
			}
		}
		if len(chunks) != info.Chunks {
			add("", "%d chunks stored, %d recorded", len(chunks), info.Chunks)
		}
	}
	all, err := s.scroll(ctx, "check chunks", filterOf(isType(typeChunk)), qdrant.NewWithPayloadInclude("doc_id", "version"), false)
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	live, err := s.liveVersions(ctx, docIDsOf(all))
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	stale := 0
	for _, p := range all {
		pl := payload(p.GetPayload())
		if v, ok := live[pl.str("doc_id")]; !ok || v != pl.str("version") {
			stale++
		}
	}
	if stale > 0 {
		problems = append(problems, store.Problem{What: fmt.Sprintf("%d chunk points belong to no live document version (an interrupted write; the next ingest of those documents removes them)", stale)})
	}
	spec, err := s.Embedding(ctx)
	if err != nil {
		return nil, fmt.Errorf("check index: %w", err)
	}
	if spec.IsZero() {
		if n, err := s.count(ctx, filterOf(isType(typeChunk), qdrant.NewHasVector(denseName))); err != nil {
			return nil, fmt.Errorf("check index: %w", err)
		} else if n > 0 {
			problems = append(problems, store.Problem{What: fmt.Sprintf("%d chunks have vectors but no embedding model is recorded", n)})
		}
	}
	return problems, nil
}

// Embedding implements store.Store: the config point's model binding.
func (s *Store) Embedding(ctx context.Context) (store.EmbeddingSpec, error) {
	pts, err := s.get(ctx, "embedding config", []string{configPointID}, qdrant.NewWithPayload(true), false)
	if err != nil || len(pts) == 0 {
		return store.EmbeddingSpec{}, err
	}
	p := payload(pts[0].GetPayload())
	return store.EmbeddingSpec{Model: p.str("embed_model"), Dim: p.int("embed_dim")}, nil
}

// PendingEmbeddings implements store.Store over the live chunks.
func (s *Store) PendingEmbeddings(ctx context.Context, limit int) ([]store.Pending, error) {
	f := &qdrant.Filter{Must: []*qdrant.Condition{isType(typeChunk)}, MustNot: []*qdrant.Condition{qdrant.NewHasVector(denseName)}}
	pts, err := s.scroll(ctx, "pending embeddings", f, qdrant.NewWithPayloadInclude("chunk_id", "doc_id", "version", "ordinal",
		"title", "heading_path", "text", "tokens", "embed_hash"), false)
	if err != nil {
		return nil, fmt.Errorf("pending embeddings: %w", err)
	}
	live, err := s.liveVersions(ctx, docIDsOf(pts))
	if err != nil {
		return nil, fmt.Errorf("pending embeddings: %w", err)
	}
	type item struct {
		p   store.Pending
		ord int
	}
	var items []item
	for _, pt := range pts {
		pl := payload(pt.GetPayload())
		if v, ok := live[pl.str("doc_id")]; !ok || v != pl.str("version") {
			continue
		}
		items = append(items, item{store.Pending{ChunkID: pl.str("chunk_id"), DocID: pl.str("doc_id"), Title: pl.str("title"),
			HeadingPath: pl.list("heading_path"), Text: pl.str("text"), Tokens: pl.int("tokens"), EmbedHash: pl.str("embed_hash")}, pl.int("ordinal")})
	}
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.p.DocID, b.p.DocID), cmp.Compare(a.ord, b.ord))
	})
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	out := make([]store.Pending, len(items))
	for i, it := range items {
		out[i] = it.p
	}
	return out, nil
}

func checkSpec(spec store.EmbeddingSpec) error {
	if (spec.Model == "") != (spec.Dim == 0) || spec.Dim < 0 {
		return fmt.Errorf("embedding spec %q with %d dimensions: want a model and a positive dimension, or neither", spec.Model, spec.Dim)
	}
	return nil
}

// sizeError is the error for vectors of another size than the
// collection's, which is fixed when the collection is created.
func (s *Store) sizeError(spec store.EmbeddingSpec) error {
	return fmt.Errorf("the Qdrant collection was created for %d-dimensional vectors, %s makes %d; re-index into a new collection version (imyrag index migrate --to qdrant, with the new model's vectors): %w",
		s.meta.Dim, spec.Model, spec.Dim, store.ErrEmbeddingModel)
}

// unitVector checks v and returns it at unit length.
func unitVector(v []float32, dim int) ([]float32, error) {
	if len(v) != dim {
		return nil, fmt.Errorf("%d values, want %d", len(v), dim)
	}
	var sum float64
	for i, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("value %d is %v", i, x)
		}
		sum += f * f
	}
	if sum == 0 || math.IsInf(sum, 0) {
		return nil, fmt.Errorf("length %v cannot be normalized", math.Sqrt(sum))
	}
	inv := 1 / math.Sqrt(sum)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) * inv)
	}
	return out, nil
}

// PutVectors implements store.Store. All vectors are checked before any
// is written; a failure while writing leaves the vectors written so far
// (each a valid vector of the bound model), and PendingEmbeddings lists
// the rest: Qdrant has no multi-request transaction.
func (s *Store) PutVectors(ctx context.Context, spec store.EmbeddingSpec, vs []store.Vector) error {
	if err := checkSpec(spec); err != nil || spec.IsZero() {
		return fmt.Errorf("put vectors: %w", cmp.Or(err, errors.New("no embedding model named")))
	}
	bound, err := s.Embedding(ctx)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	switch {
	case spec.Dim != s.meta.Dim:
		return fmt.Errorf("put vectors: %w", s.sizeError(spec))
	case !bound.IsZero() && bound != spec:
		return fmt.Errorf("put vectors of %s (%d dimensions) into an index of %s (%d): re-embed with `imyrag ingest --reembed`: %w",
			spec.Model, spec.Dim, bound.Model, bound.Dim, store.ErrEmbeddingModel)
	}
	unit := make(map[string][]float32, len(vs))
	for _, v := range vs {
		u, err := unitVector(v.Values, spec.Dim)
		if err != nil {
			return fmt.Errorf("put vectors: vector %s: %w", v.EmbedHash, err)
		}
		unit[v.EmbedHash] = u
	}
	if bound.IsZero() {
		if err := s.upsert(ctx, "bind embedding model", []*qdrant.PointStruct{configPoint(spec)}); err != nil {
			return fmt.Errorf("put vectors: %w", err)
		}
	}
	hashes := make([]string, 0, len(unit))
	for h := range unit {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	for i := 0; i < len(hashes); i += batchSize {
		batch := hashes[i:min(i+batchSize, len(hashes))]
		err := s.putVectors(ctx, batch, unit)
		if errors.Is(err, ErrNoIndex) {
			// UpdateVectors answers NotFound for a point deleted since the
			// scroll (a concurrent re-ingest); find the points again.
			err = s.putVectors(ctx, batch, unit)
		}
		if err != nil {
			return fmt.Errorf("put vectors: %w", err)
		}
	}
	return nil
}

// putVectors writes the vectors of one batch of embed hashes into the
// chunk points that have them.
func (s *Store) putVectors(ctx context.Context, hashes []string, unit map[string][]float32) error {
	pts, err := s.scroll(ctx, "find chunks of vectors", filterOf(isType(typeChunk), qdrant.NewMatchKeywords("embed_hash", hashes...)),
		qdrant.NewWithPayloadInclude("embed_hash"), false)
	if err != nil || len(pts) == 0 {
		return err // none: re-ingested meanwhile, dropped
	}
	req := updateVectorsRequest(s.coll, pts, unit)
	return s.do(ctx, "update vectors", func(ctx context.Context) error {
		_, err := s.client.UpdateVectors(ctx, req)
		return err
	})
}

func updateVectorsRequest(coll string, pts []*qdrant.RetrievedPoint, unit map[string][]float32) *qdrant.UpdatePointVectors {
	req := &qdrant.UpdatePointVectors{CollectionName: coll, Wait: qdrant.PtrOf(true)}
	for _, p := range pts {
		v := unit[payload(p.GetPayload()).str("embed_hash")]
		if v == nil {
			continue
		}
		req.Points = append(req.Points, &qdrant.PointVectors{Id: p.GetId(),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{denseName: qdrant.NewVectorDense(v)})})
	}
	return req
}

// ResetEmbeddings implements store.Store. The dense vector size is the
// collection's: a spec of another dimension is refused with
// ErrEmbeddingModel (re-index into a new collection version).
func (s *Store) ResetEmbeddings(ctx context.Context, spec store.EmbeddingSpec) error {
	if err := checkSpec(spec); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	if !spec.IsZero() && spec.Dim != s.meta.Dim {
		return fmt.Errorf("reset embeddings: %w", s.sizeError(spec))
	}
	del := &qdrant.DeletePointVectors{CollectionName: s.coll, Wait: qdrant.PtrOf(true),
		PointsSelector: qdrant.NewPointsSelectorFilter(filterOf(isType(typeChunk))), Vectors: &qdrant.VectorsSelector{Names: []string{denseName}}}
	if err := s.do(ctx, "delete vectors", func(ctx context.Context) error {
		_, err := s.client.DeleteVectors(ctx, del)
		return err
	}); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	if spec.IsZero() {
		return s.deletePoints(ctx, "unbind embedding model", &qdrant.DeletePoints{CollectionName: s.coll, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelector(qdrant.NewIDUUID(configPointID))})
	}
	if err := s.upsert(ctx, "bind embedding model", []*qdrant.PointStruct{configPoint(spec)}); err != nil {
		return fmt.Errorf("reset embeddings: %w", err)
	}
	return nil
}

// VectorsByHash returns the stored dense vectors (unit length) of the
// given embed hashes; hashes without one are left out. For copying an
// index without re-embedding it.
func (s *Store) VectorsByHash(ctx context.Context, hashes []string) (map[string][]float32, error) {
	return s.vectorsByHash(ctx, uniq(hashes))
}
