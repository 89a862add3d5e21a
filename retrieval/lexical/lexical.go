// Package lexical is an in-memory inverted index with BM25 scoring over the
// analyzed terms that the store keeps for every chunk. It is derived data:
// built from the store at open, rebuilt whenever the store changes, and never
// the only copy of anything.
//
// Scoring is BM25 (k1 = 1.2, b = 0.75) over the chunk text plus a weighted
// BM25 over the chunk's title-and-heading field (BM25F-style, two fields
// scored separately and added). Query terms are scored term-at-a-time into a
// dense accumulator, which at 100,000 chunks costs a few milliseconds even
// for frequent terms, so no pruning heuristics that could lose results are
// needed.
package lexical

import (
	"container/heap"
	"math"
	"sync"
)

// Default BM25 parameters.
const (
	K1 = 1.2
	B  = 0.75
)

// posting packs a chunk number (high 24 bits) and the term's frequency in
// it (low 8 bits, capped at 255: BM25 saturates long before) into four
// bytes, half the size of a struct; the postings are most of the index's
// memory.
type posting uint32

// MaxChunks is the most chunks one Index holds.
const MaxChunks = 1 << 24

func newPosting(chunk int32, freq int) posting {
	return posting(uint32(chunk)<<8 | uint32(min(max(freq, 0), 255)))
}

func (p posting) chunk() int32 { return int32(uint32(p) >> 8) }
func (p posting) tf() float32  { return float32(uint32(p) & 0xff) }

type field struct {
	postings map[string][]posting
	lens     []float32
	avg      float32
}

// Index is an immutable inverted index over chunks numbered 0..N-1.
type Index struct {
	body, head field
	n          int
	pool       sync.Pool // *scratch, reused across searches
}

// Builder collects chunks for an Index. Not safe for concurrent use.
type Builder struct {
	body, head map[string][]posting
	bodyLens   []float32
	headLens   []float32
}

// NewBuilder returns an empty Builder.
func NewBuilder() *Builder {
	return &Builder{body: map[string][]posting{}, head: map[string][]posting{}}
}

func addPostings(m map[string][]posting, id int32, terms map[string]int) float32 {
	var n int
	for t, f := range terms {
		n += f
		m[t] = append(m[t], newPosting(id, f))
	}
	return float32(n)
}

// Add appends a chunk with its body and heading term frequencies and
// returns its number.
func (b *Builder) Add(body, head map[string]int) int {
	id := int32(len(b.bodyLens))
	b.bodyLens = append(b.bodyLens, addPostings(b.body, id, body))
	b.headLens = append(b.headLens, addPostings(b.head, id, head))
	return int(id)
}

// AddTerm appends one posting to the chunk most recently added; it lets
// callers stream terms without building maps. field is 0 for body, 1 for
// head.
func (b *Builder) AddTerm(fieldNo int, term string, freq int) {
	id := int32(len(b.bodyLens) - 1)
	m, lens := b.body, b.bodyLens
	if fieldNo == 1 {
		m, lens = b.head, b.headLens
	}
	m[term] = append(m[term], newPosting(id, freq))
	lens[id] += float32(freq)
}

// NewChunk starts a chunk whose terms are then given with AddTerm.
func (b *Builder) NewChunk() int {
	b.bodyLens = append(b.bodyLens, 0)
	b.headLens = append(b.headLens, 0)
	return len(b.bodyLens) - 1
}

// Build returns the Index. The Builder must not be used afterwards.
func (b *Builder) Build() *Index {
	ix := &Index{n: len(b.bodyLens), body: finish(b.body, b.bodyLens), head: finish(b.head, b.headLens)}
	n := ix.n
	ix.pool.New = func() any { return &scratch{acc: make([]float32, n), touched: make([]int32, 0, 1024)} }
	return ix
}

func finish(m map[string][]posting, lens []float32) field {
	var sum float64
	for _, l := range lens {
		sum += float64(l)
	}
	avg := float32(1)
	if len(lens) > 0 && sum > 0 {
		avg = float32(sum / float64(len(lens)))
	}
	return field{postings: m, lens: lens, avg: avg}
}

// scratch is one search's working memory: a score accumulator per chunk
// (all zero between searches) and the list of chunks it touched.
type scratch struct {
	acc     []float32
	touched []int32
}

// Len is the number of chunks.
func (ix *Index) Len() int { return ix.n }

// DocFreq returns how many chunks contain term in their body.
func (ix *Index) DocFreq(term string) int { return len(ix.body.postings[term]) }

// IDF is the BM25 inverse document frequency of term in the body field.
func (ix *Index) IDF(term string) float64 { return idf(ix.n, len(ix.body.postings[term])) }

func idf(n, df int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// QueryTerm is one weighted term of a query.
type QueryTerm struct {
	Term   string
	Weight float64 // 1 for an ordinary term
}

// Params tune one search.
type Params struct {
	// K1 and B are the BM25 parameters; zero means K1 and B.
	K1, B float64
	// HeadWeight scales the title-and-heading field's BM25 (0 ignores it).
	HeadWeight float64
	// Allow, when non-nil, restricts results to chunks for which it is true.
	Allow func(chunk int) bool
}

// Scored is a chunk number with its score.
type Scored struct {
	Chunk int
	Score float64
}

// Search returns the k best chunks for the query terms, best first; ties
// are broken by chunk number so that results are deterministic.
func (ix *Index) Search(terms []QueryTerm, k int, p Params) []Scored {
	if ix.n == 0 || k <= 0 || len(terms) == 0 {
		return nil
	}
	k1, b := float32(K1), float32(B)
	if p.K1 > 0 {
		k1 = float32(p.K1)
	}
	if p.B > 0 {
		b = float32(p.B)
	}
	sc := ix.pool.Get().(*scratch)
	acc, touched := sc.acc, sc.touched[:0]
	defer func() { sc.touched = touched[:0]; ix.pool.Put(sc) }()
	score := func(f *field, t QueryTerm, weight float64) {
		ps := f.postings[t.Term]
		if len(ps) == 0 {
			return
		}
		w := float32(idf(ix.n, len(ps)) * t.Weight * weight)
		avg := f.avg
		for _, p := range ps {
			c, tf := p.chunk(), p.tf()
			s := w * tf * (k1 + 1) / (tf + k1*(1-b+b*f.lens[c]/avg))
			if acc[c] == 0 {
				touched = append(touched, c)
			}
			acc[c] += s
		}
	}
	for _, t := range terms {
		score(&ix.body, t, 1)
		if p.HeadWeight > 0 {
			score(&ix.head, t, p.HeadWeight)
		}
	}
	h := make(minHeap, 0, k+1)
	for _, c := range touched {
		s := float64(acc[c])
		acc[c] = 0
		if s <= 0 || (p.Allow != nil && !p.Allow(int(c))) {
			continue
		}
		if len(h) < k {
			heap.Push(&h, Scored{int(c), s})
		} else if better(Scored{int(c), s}, h[0]) {
			h[0] = Scored{int(c), s}
			heap.Fix(&h, 0)
		}
	}
	out := make([]Scored, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(Scored)
	}
	return out
}

// better orders by score, then by lower chunk number.
func better(a, b Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Chunk < b.Chunk
}

// minHeap keeps the worst of the current top k at the root.
type minHeap []Scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(Scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
