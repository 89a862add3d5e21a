package retrieval

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFuseRRF(t *testing.T) {
	tests := []struct {
		name string
		k    float64
		legs []Ranked[int]
		want []Fused[int]
	}{
		{
			name: "no legs",
			k:    60,
			want: []Fused[int]{},
		},
		{
			name: "one leg keeps its order",
			k:    60,
			legs: []Ranked[int]{{Weight: 1, IDs: []int{7, 3, 9}}},
			want: []Fused[int]{{7, 1.0 / 61, 1}, {3, 1.0 / 62, 2}, {9, 1.0 / 63, 3}},
		},
		{
			name: "leg weight scales the score",
			k:    60,
			legs: []Ranked[int]{{Weight: 2.5, IDs: []int{4, 1}}},
			want: []Fused[int]{{4, 2.5 / 61, 1}, {1, 2.5 / 62, 2}},
		},
		{
			name: "k damps the top ranks",
			k:    2,
			legs: []Ranked[int]{{Weight: 1, IDs: []int{4, 1}}},
			want: []Fused[int]{{4, 1.0 / 3, 1}, {1, 1.0 / 4, 2}},
		},
		{
			name: "scores of both legs add up",
			k:    60,
			legs: []Ranked[int]{
				{Weight: 1, IDs: []int{1, 2, 3}},
				{Weight: 1, IDs: []int{3, 4}},
			},
			want: []Fused[int]{
				{3, 1.0/63 + 1.0/61, 1},
				{1, 1.0 / 61, 1},
				{2, 1.0 / 62, 2},
				{4, 1.0 / 62, 2},
			},
		},
		{
			name: "weighted legs",
			k:    10,
			legs: []Ranked[int]{
				{Weight: 1, IDs: []int{1, 2}},
				{Weight: 3, IDs: []int{2, 1}},
			},
			want: []Fused[int]{
				{2, 1.0/12 + 3.0/11, 1},
				{1, 1.0/11 + 3.0/12, 1},
			},
		},
		{
			// 5 is rank 1 in the second leg only; 8 is rank 1 in the first
			// leg only: equal scores, equal best rank, so the lower chunk
			// number wins.
			name: "equal score and best rank: lower chunk first",
			k:    60,
			legs: []Ranked[int]{
				{Weight: 1, IDs: []int{8, 2}},
				{Weight: 1, IDs: []int{5}},
			},
			want: []Fused[int]{{5, 1.0 / 61, 1}, {8, 1.0 / 61, 1}, {2, 1.0 / 62, 2}},
		},
		{
			name: "three legs",
			k:    0,
			legs: []Ranked[int]{
				{Weight: 1, IDs: []int{1, 2, 3}},   // 1: 1/1, 2: 1/2, 3: 1/3
				{Weight: 1, IDs: []int{9, 3, 2}},   // 9: 1/1, 3: 1/2, 2: 1/3
				{Weight: 0.5, IDs: []int{4, 7, 1}}, // 4: 1/2, 7: 1/4, 1: 1/6
			},
			// 2 and 3 both score 1/2 + 1/3 with best rank 2: chunk number.
			want: []Fused[int]{
				{1, 1 + 0.5/3, 1},
				{9, 1, 1},
				{2, 1.0/2 + 1.0/3, 2},
				{3, 1.0/3 + 1.0/2, 2},
				{4, 0.5, 1},
				{7, 0.25, 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Fuse(tt.k, tt.legs...)
			checkFused(t, tt.k, tt.legs, got)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-15)); diff != "" {
				t.Errorf("fuse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFuseTieBreakByBestRank pins the second tie-break: two chunks with
// bit-for-bit equal scores, the one with the better best rank first even
// though its chunk number is higher.
func TestFuseTieBreakByBestRank(t *testing.T) {
	// k = 0. Chunks 9 and 3: rank 1 in one leg of weight 1 → 1. Chunk 2:
	// rank 2 in both legs → 1/2 + 1/2 = 1 exactly. All three tie on score;
	// 2 has the lowest number but the worst best rank, so it goes last, and
	// 3 goes before 9 on chunk number.
	got := Fuse(0,
		Ranked[int]{Weight: 1, IDs: []int{9, 2}},
		Ranked[int]{Weight: 1, IDs: []int{3, 2}},
	)
	want := []Fused[int]{{3, 1, 1}, {9, 1, 1}, {2, 1, 2}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fuse mismatch (-want +got):\n%s", diff)
	}
}

// checkFused checks fuse's output against its contract: every input chunk
// once, the RRF score, the best rank, and the documented order.
func checkFused(t *testing.T, k float64, legs []Ranked[int], got []Fused[int]) {
	t.Helper()
	wantScore := map[int]float64{}
	wantBest := map[int]int{}
	for _, leg := range legs {
		for r, id := range leg.IDs {
			wantScore[id] += leg.Weight / (k + float64(r+1))
			if b, ok := wantBest[id]; !ok || r+1 < b {
				wantBest[id] = r + 1
			}
		}
	}
	if len(got) != len(wantScore) {
		t.Fatalf("fused %d chunks, the legs hold %d distinct ones: %v", len(got), len(wantScore), got)
	}
	seen := map[int]bool{}
	for i, f := range got {
		if seen[f.ID] {
			t.Fatalf("chunk %d fused twice: %v", f.ID, got)
		}
		seen[f.ID] = true
		ws, ok := wantScore[f.ID]
		if !ok {
			t.Fatalf("chunk %d is in no leg", f.ID)
		}
		if d := f.Score - ws; d > 1e-12 || d < -1e-12 {
			t.Errorf("chunk %d: score %v, want %v", f.ID, f.Score, ws)
		}
		if f.BestRank != wantBest[f.ID] {
			t.Errorf("chunk %d: best rank %d, want %d", f.ID, f.BestRank, wantBest[f.ID])
		}
		if i == 0 {
			continue
		}
		p := got[i-1]
		ordered := p.Score > f.Score ||
			p.Score == f.Score && (p.BestRank < f.BestRank || p.BestRank == f.BestRank && p.ID < f.ID)
		if !ordered {
			t.Errorf("results %d and %d out of order: %+v then %+v", i-1, i, p, f)
		}
	}
}

func TestFusionDefaults(t *testing.T) {
	tests := []struct {
		in, want Fusion
	}{
		{Fusion{}, Fusion{K: 60, LexicalWeight: 1, DenseWeight: 1}},
		{Fusion{K: -3}, Fusion{K: 60, LexicalWeight: 1, DenseWeight: 1}},
		{Fusion{K: 2}, Fusion{K: 2, LexicalWeight: 1, DenseWeight: 1}},
		{Fusion{LexicalWeight: 2}, Fusion{K: 60, LexicalWeight: 2}},
		{Fusion{DenseWeight: 0.5}, Fusion{K: 60, DenseWeight: 0.5}},
		{Fusion{K: 10, LexicalWeight: 0.3, DenseWeight: 0.7}, Fusion{K: 10, LexicalWeight: 0.3, DenseWeight: 0.7}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.in.withDefaults()); diff != "" {
			t.Errorf("%+v.withDefaults() (-want +got):\n%s", tt.in, diff)
		}
	}
}

// decodeLegs turns bytes into two ranked legs of distinct chunk numbers in
// 0..31 with weights in (0, 4], and k in 1..64.
func decodeLegs(data []byte) (float64, Ranked[int], Ranked[int]) {
	i := 0
	next := func() byte {
		if i >= len(data) {
			return 0
		}
		i++
		return data[i-1]
	}
	k := float64(next()%64) + 1
	leg := func() Ranked[int] {
		r := Ranked[int]{Weight: float64(next()%16+1) / 4}
		seen := map[int]bool{}
		for range next() % 24 {
			id := int(next() % 32)
			if !seen[id] {
				seen[id] = true
				r.IDs = append(r.IDs, id)
			}
		}
		return r
	}
	a := leg()
	b := leg()
	return k, a, b
}

func FuzzFuse(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{60, 4, 3, 1, 2, 3, 4, 3, 4, 3, 2, 1})
	f.Add([]byte{0, 0, 5, 9, 8, 7, 6, 5, 0, 5, 5, 6, 7, 8, 9})
	f.Add([]byte{1, 3, 8, 0, 1, 2, 3, 4, 5, 6, 7, 3, 8, 7, 6, 5, 4, 3, 2, 1, 0})
	f.Add([]byte{59, 0, 20, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1, 1, 31})
	f.Fuzz(func(t *testing.T, data []byte) {
		k, a, b := decodeLegs(data)
		got := Fuse(k, a, b)
		if diff := cmp.Diff(got, Fuse(k, a, b)); diff != "" {
			t.Fatalf("fuse is not deterministic (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(got, Fuse(k, b, a)); diff != "" {
			t.Fatalf("fuse depends on the order of the legs (-a,b +b,a):\n%s", diff)
		}
		checkFused(t, k, []Ranked[int]{a, b}, got)
		// A leg alone keeps its order.
		var ids []int
		for _, f := range Fuse(k, a) {
			ids = append(ids, f.ID)
		}
		if !slices.Equal(ids, a.IDs) {
			t.Fatalf("one leg reordered: %v → %v", a.IDs, ids)
		}
	})
}

// TestFuseThreeLegsOrderIndependent documents a limit of fuse with more
// than two legs: sums of three reciprocal ranks are not associative in
// floating point, so two chunks whose scores are equal in exact arithmetic
// can differ by one ulp, and which one wins depends on the order of the
// legs instead of on the documented tie-break (best rank, then chunk).
// The engine fuses at most two legs today, where a+b == b+a exactly.
func TestFuseThreeLegsOrderIndependent(t *testing.T) {
	t.Skip("known limitation: fuse is leg-order dependent with three or more legs (float sums); see the test comment")
	// Chunk 1 has ranks (1, 2, 8) and chunk 2 ranks (2, 8, 1) in the three
	// legs (10–16 are fillers): equal scores in exact arithmetic and best
	// rank 1 both, so chunk 1 should always come first.
	legs := []Ranked[int]{
		{Weight: 1, IDs: []int{1, 2}},
		{Weight: 1, IDs: []int{10, 1, 11, 12, 13, 14, 15, 2}},
		{Weight: 1, IDs: []int{2, 10, 11, 12, 13, 14, 15, 1}},
	}
	for _, order := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
		got := Fuse(60, legs[order[0]], legs[order[1]], legs[order[2]])
		if got[0].ID != 1 || got[1].ID != 2 {
			t.Errorf("legs in order %v: %+v then %+v, want chunk 1 then 2 (equal scores, equal best rank)", order, got[0], got[1])
		}
	}
}
