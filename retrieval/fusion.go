package retrieval

import (
	"cmp"
	"sort"
)

// Fusion configures reciprocal-rank fusion of the lexical and dense legs:
// a chunk's fused score is the sum over legs of weight / (K + rank), rank
// starting at 1.
type Fusion struct {
	// K damps the advantage of the top ranks. Default 60 (Cormack et al.
	// 2009). Both stores fuse client-side with Fuse.
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

// Ranked is one leg's result list, best first, and its weight in the
// fusion. ID is whatever identifies an item (the embedded engine's chunk
// numbers, the Qdrant engine's point keys); ties are broken by it.
type Ranked[ID cmp.Ordered] struct {
	Weight float64
	IDs    []ID
}

// Fused is an item of a fused list: its RRF score and its best rank in any
// leg.
type Fused[ID cmp.Ordered] struct {
	ID       ID
	Score    float64
	BestRank int
}

// Fuse combines ranked lists by reciprocal-rank fusion: an item scores
// the sum over legs of weight/(k + rank), rank from 1. Ties are broken by
// the best rank in any leg, then by ID, so fusion is deterministic. Every
// store fuses with it, so that they rank alike.
func Fuse[ID cmp.Ordered](k float64, legs ...Ranked[ID]) []Fused[ID] {
	// Each item's contributions are summed in a canonical order (largest
	// first), so the result does not depend on the order of the legs.
	parts := map[ID][]float64{}
	var order []*Fused[ID]
	byID := map[ID]*Fused[ID]{}
	for _, leg := range legs {
		for r, id := range leg.IDs {
			f := byID[id]
			if f == nil {
				f = &Fused[ID]{ID: id, BestRank: r + 1}
				byID[id] = f
				order = append(order, f)
			}
			parts[id] = append(parts[id], leg.Weight/(k+float64(r+1)))
			f.BestRank = min(f.BestRank, r+1)
		}
	}
	out := make([]Fused[ID], len(order))
	for i, f := range order {
		ps := parts[f.ID]
		sort.Sort(sort.Reverse(sort.Float64Slice(ps)))
		for _, p := range ps {
			f.Score += p
		}
		out[i] = *f
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.BestRank != b.BestRank {
			return a.BestRank < b.BestRank
		}
		return a.ID < b.ID
	})
	return out
}
