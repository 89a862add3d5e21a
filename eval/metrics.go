package eval

import (
	"math"
	"sort"
)

// Retrieved is one ranked chunk as the metrics see it.
type Retrieved struct {
	DocID string
	Text  string
}

// ItemScores are the retrieval scores of one answerable item.
type ItemScores struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// FirstHit is the 1-based rank of the first chunk that hits any
	// evidence quote, 0 when none does.
	FirstHit int `json:"first_hit"`
	// HitAt[k] and CoverAt[k]: at least one / every quote hit in the top k.
	HitAt   map[int]bool `json:"hit_at"`
	CoverAt map[int]bool `json:"coverage_at"`
	// DocRecallAt[k] is the share of expected documents among the top k.
	DocRecallAt map[int]float64 `json:"doc_recall_at"`
	NDCG10      float64         `json:"ndcg10"`
}

// Ks are the default cut-offs the metrics are computed at.
var Ks = []int{1, 3, 5, 10}

// ScoreRetrieval scores one item's ranked chunks at the cut-offs Ks.
func ScoreRetrieval(it Item, ranked []Retrieved) ItemScores {
	return ScoreRetrievalAt(it, ranked, Ks)
}

// ScoreRetrievalAt scores one item's ranked chunks at the cut-offs ks.
// nDCG is always at 10.
func ScoreRetrievalAt(it Item, ranked []Retrieved, ks []int) ItemScores {
	s := ItemScores{ID: it.ID, Kind: it.Kind, HitAt: map[int]bool{}, CoverAt: map[int]bool{}, DocRecallAt: map[int]float64{}}
	quotes := make([][]string, len(it.Evidence))
	for i, q := range it.Evidence {
		quotes[i] = Words(q)
	}
	// hitBy[q] is the first rank that hits quote q.
	hitBy := make([]int, len(quotes))
	gains := make([]float64, len(ranked))
	for r, c := range ranked {
		w := Words(c.Text)
		any := false
		for qi, q := range quotes {
			if Hits(w, q) {
				any = true
				if hitBy[qi] == 0 {
					hitBy[qi] = r + 1
				}
			}
		}
		if any {
			gains[r] = 1
			if s.FirstHit == 0 {
				s.FirstHit = r + 1
			}
		}
	}
	for _, k := range ks {
		all := len(quotes) > 0
		for _, h := range hitBy {
			if h == 0 || h > k {
				all = false
			}
		}
		s.HitAt[k] = s.FirstHit > 0 && s.FirstHit <= k
		s.CoverAt[k] = all
		docs := map[string]bool{}
		for r := 0; r < k && r < len(ranked); r++ {
			docs[ranked[r].DocID] = true
		}
		found := 0
		for _, d := range it.ExpectedDocs {
			if docs[d] {
				found++
			}
		}
		if len(it.ExpectedDocs) > 0 {
			s.DocRecallAt[k] = float64(found) / float64(len(it.ExpectedDocs))
		}
	}
	// nDCG@10 with binary gains: a chunk is relevant when it hits evidence.
	var dcg, ideal float64
	rel := 0
	for r := 0; r < 10 && r < len(gains); r++ {
		if gains[r] > 0 {
			dcg += 1 / math.Log2(float64(r+2))
			rel++
		}
	}
	relevant := 0
	for _, g := range gains {
		if g > 0 {
			relevant++
		}
	}
	for r := 0; r < min(10, max(relevant, 1)); r++ {
		ideal += 1 / math.Log2(float64(r+2))
	}
	if relevant > 0 {
		s.NDCG10 = dcg / ideal
	}
	return s
}

// Summary aggregates item scores.
type Summary struct {
	Items       int             `json:"items"`
	HitAt       map[int]float64 `json:"hit_at"`
	CoverAt     map[int]float64 `json:"coverage_at"`
	DocRecallAt map[int]float64 `json:"doc_recall_at"`
	MRR         float64         `json:"mrr"`
	NDCG10      float64         `json:"ndcg10"`
}

// Summarize averages scores, overall and per kind ("all" is the overall),
// at the cut-offs the scores were computed at.
func Summarize(scores []ItemScores) map[string]Summary {
	groups := map[string][]ItemScores{"all": scores}
	for _, s := range scores {
		groups[s.Kind] = append(groups[s.Kind], s)
	}
	ks := CutOffs(scores)
	out := map[string]Summary{}
	for kind, ss := range groups {
		sum := Summary{Items: len(ss), HitAt: map[int]float64{}, CoverAt: map[int]float64{}, DocRecallAt: map[int]float64{}}
		if len(ss) == 0 {
			out[kind] = sum
			continue
		}
		for _, s := range ss {
			for _, k := range ks {
				sum.HitAt[k] += b2f(s.HitAt[k])
				sum.CoverAt[k] += b2f(s.CoverAt[k])
				sum.DocRecallAt[k] += s.DocRecallAt[k]
			}
			if s.FirstHit > 0 {
				sum.MRR += 1 / float64(s.FirstHit)
			}
			sum.NDCG10 += s.NDCG10
		}
		n := float64(len(ss))
		for _, k := range ks {
			sum.HitAt[k] /= n
			sum.CoverAt[k] /= n
			sum.DocRecallAt[k] /= n
		}
		sum.MRR /= n
		sum.NDCG10 /= n
		out[kind] = sum
	}
	return out
}

// CutOffs returns the cut-offs the scores were computed at, ascending.
func CutOffs(scores []ItemScores) []int {
	set := map[int]bool{}
	for _, s := range scores {
		for k := range s.HitAt {
			set[k] = true
		}
	}
	ks := make([]int, 0, len(set))
	for k := range set {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}

// Kinds returns the group names of a summary map, "all" first.
func Kinds(m map[string]Summary) []string {
	var ks []string
	for k := range m {
		if k != "all" {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return append([]string{"all"}, ks...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
