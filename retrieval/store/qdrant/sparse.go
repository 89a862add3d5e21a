package qdrant

import (
	"hash/fnv"
	"slices"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/lexical"
)

// The lexical leg is a sparse vector per chunk ("lexical") whose weights
// are computed here, from our Swedish analyzer's terms, and whose IDF
// Qdrant applies at query time (the collection's sparse vector has the
// IDF modifier: ln(1 + (N − n + 0.5)/(n + 0.5)), the same formula as the
// embedded store's BM25). Qdrant's own bm25 inference is English and is
// not used.
//
// A term's weight in a chunk is the BM25 term-frequency part,
//
//	tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))
//
// for the chunk text plus HeadWeight times the same for the title and
// heading field, with k1 0.9 and b 0.75 as the embedded engine. len is the
// field's term count. avglen cannot follow the corpus as the embedded
// engine's does (the weights are stored, not computed per query): it is
// fixed per collection, recorded in the collection's metadata, and a
// collection built by `imyrag index migrate` uses the source index's
// actual average. A drifted corpus gets the true average back with a
// re-index into a new collection version.
//
// Term IDs are the 32-bit FNV-1a hash of the term. Two terms that collide
// share one dimension: their weights add up in the chunk's vector and in
// the query's, and their document frequencies merge, so a query for one
// also matches chunks that contain only the other, with the merged (lower)
// IDF. With the ~100,000 distinct terms of a large index the chance that a
// given query term collides with any other is about 2·10⁻⁵; the cost of a
// collision is a slightly different ranking, never an error.
//
// Legal references and identifiers in a chunk's metadata are extra
// dimensions ("\x00ref\x00SFS 2018:218", weight 1), and a query that names
// them carries them with weight RefQueryWeight: the sparse analogue of the
// embedded engine's exact-reference boost (which adds a share of the best
// score and so cannot be expressed as a stored weight).

// BM25 are the sparse weighting parameters of a collection.
type BM25 struct {
	K1, B float64
	// AvgLen and AvgHeadLen are the average term counts of the chunk text
	// and of the title-and-heading field.
	AvgLen, AvgHeadLen float64
	// HeadWeight scales the title-and-heading field.
	HeadWeight float64
}

// DefaultBM25 are the parameters of a new collection: the embedded
// engine's k1, b and head weight, and average lengths measured on the
// bundled corpus with the default chunker.
var DefaultBM25 = BM25{K1: 0.9, B: 0.75, AvgLen: 140, AvgHeadLen: 12, HeadWeight: 0.5}

// RefQueryWeight is the query weight of a reference or identifier the
// query names.
const RefQueryWeight = 2.0

func (b BM25) withDefaults() BM25 {
	d := DefaultBM25
	if b.K1 <= 0 {
		b.K1 = d.K1
	}
	if b.B <= 0 {
		b.B = d.B
	}
	if b.AvgLen <= 0 {
		b.AvgLen = d.AvgLen
	}
	if b.AvgHeadLen <= 0 {
		b.AvgHeadLen = d.AvgHeadLen
	}
	if b.HeadWeight <= 0 {
		b.HeadWeight = d.HeadWeight
	}
	return b
}

// TermID is the sparse dimension of a term: its 32-bit FNV-1a hash.
func TermID(term string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(term))
	return h.Sum32()
}

func refKey(kind, value string) string { return "\x00" + kind + "\x00" + value }

// refKeys lists the metadata of m as sparse reference terms.
func refKeys(m imyrag.Metadata) []string {
	var out []string
	for _, l := range []struct {
		kind string
		vals []string
	}{{"dnr", m.Diarienummer}, {"gov", m.GovRefs}, {"ref", m.LegalRefs}} {
		for _, v := range l.vals {
			out = append(out, refKey(l.kind, v))
		}
	}
	return out
}

// sparse accumulates weights by dimension.
type sparse map[uint32]float64

func (s sparse) vector() ([]uint32, []float32) {
	idx := make([]uint32, 0, len(s))
	for k := range s {
		idx = append(idx, k)
	}
	slices.Sort(idx)
	val := make([]float32, len(idx))
	for i, k := range idx {
		val[i] = float32(s[k])
	}
	return idx, val
}

func (b BM25) field(s sparse, tf map[string]int, avg, scale float64) {
	n := 0
	for _, f := range tf {
		n += f
	}
	norm := b.K1 * (1 - b.B + b.B*float64(n)/avg)
	for t, f := range tf {
		x := float64(f)
		s[TermID(t)] += scale * x * (b.K1 + 1) / (x + norm)
	}
}

// ChunkVector is a chunk's sparse vector: sorted dimensions and weights.
func (b BM25) ChunkVector(body, head map[string]int, meta imyrag.Metadata) ([]uint32, []float32) {
	s := make(sparse, len(body)+len(head))
	b.field(s, body, b.AvgLen, 1)
	b.field(s, head, b.AvgHeadLen, b.HeadWeight)
	for _, k := range refKeys(meta) {
		s[TermID(k)] += 1
	}
	return s.vector()
}

// QueryVector is a query's sparse vector: each term's weight (identifier
// boost included) and the references it names.
func QueryVector(terms []lexical.QueryTerm, refs imyrag.Metadata) ([]uint32, []float32) {
	s := make(sparse, len(terms))
	for _, t := range terms {
		s[TermID(t.Term)] += t.Weight
	}
	for _, k := range refKeys(refs) {
		s[TermID(k)] += RefQueryWeight
	}
	return s.vector()
}
