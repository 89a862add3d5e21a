package retrieval

import "sort"

// Fusion configures reciprocal-rank fusion of the lexical and dense legs:
// a chunk's fused score is the sum over legs of weight / (K + rank), rank
// starting at 1.
type Fusion struct {
	// K damps the advantage of the top ranks. Default 60 (Cormack et al.
	// 2009); Qdrant's server default is 2, so the Qdrant store sets it
	// explicitly.
	K float64 `json:"k"`
	// LexicalWeight and DenseWeight scale each leg. Defaults 1 and 1.
	LexicalWeight float64 `json:"lexical_weight"`
	DenseWeight   float64 `json:"dense_weight"`
}

// DefaultFusion is used when a query leaves Fusion zero.
var DefaultFusion = Fusion{K: 60, LexicalWeight: 1, DenseWeight: 1}

// check rejects values that would invert or break the ranking.
func (f Fusion) check() error {
	if f.K < 0 || f.LexicalWeight < 0 || f.DenseWeight < 0 {
		return badQuery("fusion k and weights must not be negative (k %g, lexical %g, dense %g)", f.K, f.LexicalWeight, f.DenseWeight)
	}
	return nil
}

func (f Fusion) withDefaults() Fusion {
	if f.K <= 0 {
		f.K = DefaultFusion.K
	}
	if f.LexicalWeight <= 0 && f.DenseWeight <= 0 {
		f.LexicalWeight, f.DenseWeight = DefaultFusion.LexicalWeight, DefaultFusion.DenseWeight
	}
	return f
}

// ranked is one leg's result list, best first.
type ranked struct {
	weight float64
	ids    []int
}

// fuse combines ranked lists by reciprocal-rank fusion. Ties are broken by
// the best rank in any leg, then by chunk number, so fusion is
// deterministic.
func fuse(k float64, legs ...ranked) []fused {
	// Each chunk's contributions are summed in a canonical order (largest
	// first), so the result does not depend on the order of the legs.
	parts := map[int][]float64{}
	var order []*fused
	byID := map[int]*fused{}
	for _, leg := range legs {
		for r, id := range leg.ids {
			f := byID[id]
			if f == nil {
				f = &fused{chunk: id, bestRank: r + 1}
				byID[id] = f
				order = append(order, f)
			}
			parts[id] = append(parts[id], leg.weight/(k+float64(r+1)))
			f.bestRank = min(f.bestRank, r+1)
		}
	}
	out := make([]fused, len(order))
	for i, f := range order {
		ps := parts[f.chunk]
		sort.Sort(sort.Reverse(sort.Float64Slice(ps)))
		for _, p := range ps {
			f.score += p
		}
		out[i] = *f
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.score != b.score {
			return a.score > b.score
		}
		if a.bestRank != b.bestRank {
			return a.bestRank < b.bestRank
		}
		return a.chunk < b.chunk
	})
	return out
}

type fused struct {
	chunk    int
	score    float64
	bestRank int
}
