package lexical

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fuzzCase is an index, a query and search parameters decoded from bytes.
type fuzzCase struct {
	chunks []tinyChunk
	terms  []QueryTerm
	k      int
	head   float64
	allow  []bool // nil: no Allow function
}

// decodeCase turns arbitrary bytes into a small search problem over the
// vocabulary t0..t5; queries may also use t6 and t7, which no chunk holds.
func decodeCase(data []byte) fuzzCase {
	i := 0
	next := func() byte {
		if i >= len(data) {
			return 0
		}
		i++
		return data[i-1]
	}
	var c fuzzCase
	n := int(next() % 12)
	for range n {
		ch := tinyChunk{body: map[string]int{}, head: map[string]int{}}
		for range next() % 5 {
			ch.body[fmt.Sprintf("t%d", next()%6)] += int(next()%4) + 1
		}
		for range next() % 3 {
			ch.head[fmt.Sprintf("t%d", next()%6)] += int(next()%4) + 1
		}
		c.chunks = append(c.chunks, ch)
	}
	for range next() % 5 {
		c.terms = append(c.terms, QueryTerm{Term: fmt.Sprintf("t%d", next()%8), Weight: float64(int8(next())) / 16})
	}
	c.k = int(next()%9) - 1
	c.head = float64(next()%3) / 2
	if mask := next(); mask&1 == 1 {
		c.allow = make([]bool, n)
		for j := range n {
			c.allow[j] = mask>>(1+j%7)&1 == 1
		}
	}
	return c
}

func (c fuzzCase) build() *Index {
	b := NewBuilder()
	for _, ch := range c.chunks {
		b.Add(ch.body, ch.head)
	}
	return b.Build()
}

func (c fuzzCase) params() Params {
	p := Params{HeadWeight: c.head}
	if c.allow != nil {
		p.Allow = func(chunk int) bool { return c.allow[chunk] }
	}
	return p
}

// reference scores every chunk in float64, straight from the BM25 formula.
func (c fuzzCase) reference() []float64 {
	n := len(c.chunks)
	out := make([]float64, n)
	field := func(get func(tinyChunk) map[string]int, t QueryTerm, weight float64) {
		var df int
		var sum float64
		for _, ch := range c.chunks {
			if get(ch)[t.Term] > 0 {
				df++
			}
			for _, f := range get(ch) {
				sum += float64(f)
			}
		}
		if df == 0 {
			return
		}
		avg := 1.0
		if sum > 0 {
			avg = sum / float64(n)
		}
		idf := math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
		for j, ch := range c.chunks {
			tf := float64(get(ch)[t.Term])
			if tf == 0 {
				continue
			}
			var l float64
			for _, f := range get(ch) {
				l += float64(f)
			}
			out[j] += idf * t.Weight * weight * tf * (K1 + 1) / (tf + K1*(1-B+B*l/avg))
		}
	}
	for _, t := range c.terms {
		field(func(ch tinyChunk) map[string]int { return ch.body }, t, 1)
		if c.head > 0 {
			field(func(ch tinyChunk) map[string]int { return ch.head }, t, c.head)
		}
	}
	return out
}

// checkInvariants checks one search result against the invariants of
// Search and against the float64 reference.
func checkInvariants(t *testing.T, c fuzzCase, got []Scored) {
	t.Helper()
	if len(got) > max(c.k, 0) {
		t.Fatalf("%d results for k=%d", len(got), c.k)
	}
	seen := map[int]bool{}
	for i, s := range got {
		if s.Chunk < 0 || s.Chunk >= len(c.chunks) {
			t.Fatalf("result %d: chunk %d out of range", i, s.Chunk)
		}
		if seen[s.Chunk] {
			t.Fatalf("chunk %d returned twice: %v", s.Chunk, got)
		}
		seen[s.Chunk] = true
		if !(s.Score > 0) || math.IsInf(s.Score, 0) {
			t.Fatalf("result %d has score %v: %v", i, s.Score, got)
		}
		if c.allow != nil && !c.allow[s.Chunk] {
			t.Fatalf("chunk %d returned but not allowed", s.Chunk)
		}
		if i > 0 && !better(got[i-1], s) {
			t.Fatalf("results not sorted at %d: %v", i, got)
		}
	}
	// Against the reference: returned scores match, and nothing better was
	// left out. Scores within tol of each other or of zero are too close
	// to call in float32.
	ref := c.reference()
	const tol = 1e-4
	for _, s := range got {
		if math.Abs(s.Score-ref[s.Chunk]) > tol*max(1, math.Abs(ref[s.Chunk])) {
			t.Fatalf("chunk %d score %v, reference %v", s.Chunk, s.Score, ref[s.Chunk])
		}
	}
	if c.k <= 0 {
		return
	}
	floor := 0.0
	if len(got) == c.k {
		floor = got[len(got)-1].Score
	}
	for j, r := range ref {
		if seen[j] || (c.allow != nil && !c.allow[j]) {
			continue
		}
		if r > floor+tol*max(1, math.Abs(floor)) && r > tol {
			t.Fatalf("chunk %d (reference score %v) left out; results %v", j, r, got)
		}
	}
}

var fuzzSeeds = [][]byte{
	{},
	{0},
	{3, 2, 0, 1, 1, 2, 0, 0, 1, 1, 0, 2, 2, 1, 0, 16, 5, 0, 0},
	{6, 4, 0, 1, 1, 2, 2, 3, 3, 0, 1, 0, 1, 1, 1, 2, 0, 1, 2, 3, 2, 1, 0, 2, 1, 0, 0, 0, 1, 4, 1, 16, 0, 16, 3, 2, 6, 5},
	{11, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 4, 1, 16, 0, 240, 6, 16, 7, 32, 8, 2, 0xff},
	{5, 4, 0, 3, 1, 3, 2, 3, 3, 3, 2, 4, 3, 5, 3, 4, 0, 0, 1, 1, 2, 2, 3, 3, 0, 1, 4, 0, 0, 0, 2, 4, 1, 5, 2, 0, 0, 3, 0, 16, 1, 0x90, 2, 16, 8, 1, 0x55},
}

func FuzzSearchDeterministic(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := decodeCase(data)
		ix := c.build()
		first := ix.Search(c.terms, c.k, c.params())
		second := ix.Search(c.terms, c.k, c.params())
		if diff := cmp.Diff(first, second); diff != "" {
			t.Fatalf("same index, same query, different results (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(first, c.build().Search(c.terms, c.k, c.params())); diff != "" {
			t.Fatalf("same input, rebuilt index, different results (-first +rebuilt):\n%s", diff)
		}
		checkInvariants(t, c, first)
	})
}
