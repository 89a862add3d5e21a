package retrieval

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// The dense leg: exact cosine similarity between the query's embedding and
// every chunk's, as the dot product of unit vectors, over one contiguous
// slab of float32 (docs/BENCHMARKS.md, "Dense leg (exact cosine)").

// denseParallelMin is the least work (vector values to multiply) each
// goroutine of a split scan gets; a smaller scan runs in one goroutine.
// Measured with BenchmarkDenseScan on two cores: at 100 chunks × 1024
// values splitting costs 20 % (38 vs 32 µs), at 300 it saves 25 % (75 vs
// 99 µs), at 100,000 it saves 40 % (18 vs 30 ms; the scan is bound by
// memory bandwidth, not by the multiplications).
var denseParallelMin = 1 << 17

// denseHit is a chunk number and its cosine similarity to the query.
type denseHit struct {
	chunk int32
	score float32
}

// better orders by score, then by lower chunk number, so that ties are
// deterministic.
func (a denseHit) better(b denseHit) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.chunk < b.chunk
}

// vectors is the dense part of a snapshot.
type vectors struct {
	dim   int
	slab  []float32 // row r is slab[r*dim : (r+1)*dim], unit length
	chunk []int32   // row → chunk number
	row   []int32   // chunk number → row, -1 when the chunk has no vector
}

func (v *vectors) rows() int { return len(v.chunk) }

// vector returns chunk c's vector, nil when it has none.
func (v *vectors) vector(c int) []float32 {
	if c >= len(v.row) || v.row[c] < 0 {
		return nil
	}
	r := int(v.row[c])
	return v.slab[r*v.dim : (r+1)*v.dim]
}

// unit returns q scaled to unit length, or false when it has no direction
// (zero, NaN or infinite values).
func unit(q []float32) ([]float32, bool) {
	var sum float64
	for _, x := range q {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return nil, false
	}
	inv := 1 / math.Sqrt(sum)
	out := make([]float32, len(q))
	for i, x := range q {
		out[i] = float32(float64(x) * inv)
	}
	return out, true
}

// dot is the dot product of two vectors of equal length. Four independent
// sums let the CPU overlap the multiplications.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// search returns the k rows' chunks most similar to the unit vector q,
// best first, among the chunks allow admits (nil: all). The scan is split
// over GOMAXPROCS goroutines when the slab is large; the result does not
// depend on the split.
func (v *vectors) search(q []float32, k int, allow *allowSet) []denseHit {
	n := v.rows()
	if n == 0 || k <= 0 {
		return nil
	}
	parts := min(runtime.GOMAXPROCS(0), n*v.dim/denseParallelMin)
	if parts <= 1 {
		return v.scan(q, k, allow, 0, n)
	}
	tops := make([][]denseHit, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			tops[p] = v.scan(q, k, allow, p*n/parts, (p+1)*n/parts)
		})
	}
	wg.Wait()
	all := slices.Concat(tops...)
	slices.SortFunc(all, func(a, b denseHit) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	return all[:min(k, len(all))]
}

// scan scores rows [from, to) and returns their best k, best first.
func (v *vectors) scan(q []float32, k int, allow *allowSet, from, to int) []denseHit {
	dim := v.dim
	h := make(topK, 0, k)
	for r := from; r < to; r++ {
		c := v.chunk[r]
		if allow != nil && !allow.bits[c] {
			continue
		}
		x := denseHit{chunk: c, score: dot(q, v.slab[r*dim:(r+1)*dim])}
		if len(h) < k {
			h.push(x)
		} else if x.better(h[0]) {
			h[0] = x
			h.down(0)
		}
	}
	out := make([]denseHit, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = h.pop()
	}
	return out
}

// topK is a min-heap of the best hits so far: the worst of them at the
// root.
type topK []denseHit

func (h *topK) push(x denseHit) {
	*h = append(*h, x)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if !s[p].better(s[i]) {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *topK) pop() denseHit {
	s := *h
	x := s[0]
	s[0] = s[len(s)-1]
	*h = s[:len(s)-1]
	h.down(0)
	return x
}

// down restores the heap below i: a parent is never better than its
// children.
func (h topK) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		worst := l
		if r := l + 1; r < len(h) && h[l].better(h[r]) {
			worst = r
		}
		if !h[i].better(h[worst]) {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}
