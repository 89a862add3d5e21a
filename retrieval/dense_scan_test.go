package retrieval

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// randomVectors makes n unit vectors of dim values, every fifth chunk
// without one, and some vectors repeated so that scores tie.
func randomVectors(r *rand.Rand, n, dim int) vectors {
	v := vectors{dim: dim}
	for c := range n {
		if c%5 == 4 {
			v.row = append(v.row, -1)
			continue
		}
		x := make([]float32, dim)
		if c%7 == 3 && c > 10 {
			copy(x, v.vector(c-10)) // a tie with an earlier chunk
		} else {
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			x, _ = unit(x)
		}
		v.row = append(v.row, int32(len(v.chunk)))
		v.chunk = append(v.chunk, int32(c))
		v.slab = append(v.slab, x...)
	}
	return v
}

// bruteForce scores every allowed chunk and sorts.
func bruteForce(v *vectors, q []float32, k int, allow *allowSet) []denseHit {
	var all []denseHit
	for r, c := range v.chunk {
		if allow == nil || allow.bits[c] {
			all = append(all, denseHit{c, dot(q, v.slab[r*v.dim:(r+1)*v.dim])})
		}
	}
	slices.SortFunc(all, func(a, b denseHit) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	return all[:min(k, len(all))]
}

// TestDenseSearchSplit: the top k is the same whether the scan runs in one
// goroutine or is split, and equals scoring everything and sorting;
// filters apply and ties go to the lower chunk number.
func TestDenseSearchSplit(t *testing.T) {
	defer func(m, p int) { denseParallelMin = m; runtime.GOMAXPROCS(p) }(denseParallelMin, runtime.GOMAXPROCS(0))
	runtime.GOMAXPROCS(5) // more parts than this machine may have cores
	r := rand.New(rand.NewPCG(3, 4))
	v := randomVectors(r, 2003, 24)
	q, _ := unit(v.vector(1))
	evens := &allowSet{bits: make([]bool, len(v.row))}
	for c := range evens.bits {
		evens.bits[c] = c%2 == 0
	}
	for _, tt := range []struct {
		name  string
		k     int
		allow *allowSet
	}{
		{"k=1", 1, nil},
		{"k=10", 10, nil},
		{"k=150", 150, nil},
		{"k above n", 5000, nil},
		{"filtered", 50, evens},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := bruteForce(&v, q, tt.k, tt.allow)
			for _, min := range []int{1 << 30, 1000, 1} {
				denseParallelMin = min
				got := v.search(q, tt.k, tt.allow)
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(denseHit{})); diff != "" {
					t.Errorf("parallel min %d (-want +got):\n%s", min, diff)
				}
			}
			if tt.allow == nil && (want[0].chunk != 1 || want[0].score < 0.9999) {
				t.Errorf("the query's own vector is not first: %+v", want[0])
			}
		})
	}
	// Ties: chunk 17 repeats chunk 7's vector; 7 comes first.
	q7, _ := unit(v.vector(7))
	got := v.search(q7, 2, nil)
	if got[0].chunk != 7 || got[1].chunk != 17 || got[0].score != got[1].score {
		t.Errorf("tie: %+v, want chunks 7 then 17 with equal scores", got)
	}
	if got := (&vectors{dim: 4}).search(q[:4], 10, nil); got != nil {
		t.Errorf("search without vectors = %v", got)
	}
}

func TestUnit(t *testing.T) {
	for _, tt := range []struct {
		in   []float32
		want []float32
		ok   bool
	}{
		{[]float32{3, 4}, []float32{0.6, 0.8}, true},
		{[]float32{0, 0}, nil, false},
		{[]float32{1e30, 1e30}, []float32{0.70710677, 0.70710677}, true},
	} {
		got, ok := unit(tt.in)
		if ok != tt.ok || !slices.Equal(got, tt.want) {
			t.Errorf("unit(%v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
