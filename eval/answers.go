package eval

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/grounding"
)

// Judge decides whether passages support a sentence.
//
// An error is a failed judgement (a timeout, an unreadable reply): the
// scoring counts it as "not supported" and records the failure, so a judge
// that cannot answer never makes an answer look better.
type Judge interface {
	// Name is the judge's short name in metric names ("lexical", "llm").
	Name() string
	Supports(ctx context.Context, sentence string, passages []string) (bool, error)
}

// LexicalJudge is the deterministic judge: grounding.Support at the
// calibrated threshold grounding.DefaultMinSupport.
type LexicalJudge struct {
	Analyzer *analyze.Analyzer
	// MinSupport defaults to grounding.DefaultMinSupport.
	MinSupport float64
}

// Name implements Judge.
func (LexicalJudge) Name() string { return "lexical" }

// Supports implements Judge; it never fails.
func (j LexicalJudge) Supports(_ context.Context, sentence string, passages []string) (bool, error) {
	min := j.MinSupport
	if min <= 0 {
		min = grounding.DefaultMinSupport
	}
	if len(passages) == 0 {
		return false, nil
	}
	return grounding.Support(sentence, passages, j.Analyzer) >= min, nil
}

// SentenceEval is one claim of an answer as a judge scored it.
type SentenceEval struct {
	Text      string `json:"text"`
	Citations []int  `json:"citations"`
	// Shown is the pipeline's own verdict (Sentence.Supported): what the
	// user saw.
	Shown bool `json:"shown_supported"`
	// Supported: the cited passages together support it (ALCE citation
	// recall of the sentence).
	Supported bool `json:"supported"`
	// Precise and Irrelevant count its citations by ALCE's rule.
	Precise    int `json:"precise_citations"`
	Irrelevant int `json:"irrelevant_citations"`
	// Faithful: all the answer's sources together support it (RAGAS).
	Faithful bool `json:"faithful"`
	// Failures are judgements that failed (counted as "not supported").
	Failures []string `json:"failures,omitempty"`
}

// AnswerScores are one judge's scores of one answer.
type AnswerScores struct {
	Judge string `json:"judge"`
	// Claims are the sentences that state something: those with citations
	// or flagged for lacking one.
	Claims []SentenceEval `json:"claims"`
	// CitationRecall is the share of claims whose citations support them;
	// CitationPrecision the share of citations that are not irrelevant
	// (Gao et al. 2023, ALCE). Faithfulness is the share of claims the
	// answer's sources support (RAGAS). FalseSupport is the share of the
	// claims shown as supported that the judge finds unsupported. A nil
	// value is undefined (no claims, no citations, nothing shown as
	// supported).
	CitationRecall    *float64 `json:"citation_recall"`
	CitationPrecision *float64 `json:"citation_precision"`
	Faithfulness      *float64 `json:"faithfulness"`
	FalseSupport      *float64 `json:"false_support"`
	Failures          int      `json:"failures"`
}

// CitationCounts are the citations of an answer by validity.
type CitationCounts struct {
	Valid   int `json:"valid"`
	Invalid int `json:"invalid"`
}

var missingSource = regexp.MustCompile(`^källa \[(\d+)\] finns inte$`)

// CountCitations counts an answer's citations: valid when they name one of
// its sources, invalid when they name one that does not exist (grounding's
// flag "källa [n] finns inte") or are malformed.
func CountCitations(a *imyrag.Answer) CitationCounts {
	var c CitationCounts
	have := map[int]bool{}
	for _, s := range a.Sources {
		have[s.N] = true
	}
	for _, s := range a.Sentences {
		for _, n := range s.Citations {
			if have[n] {
				c.Valid++
			} else {
				c.Invalid++
			}
		}
		for _, f := range s.Flags {
			if m := missingSource.FindStringSubmatch(f); m != nil {
				if n, _ := strconv.Atoi(m[1]); !slices.Contains(s.Citations, n) {
					c.Invalid++
				}
			} else if strings.HasPrefix(f, grounding.FlagMalformed) {
				c.Invalid++
			}
		}
	}
	return c
}

// isClaim reports whether a sentence states something to check: it cites,
// or the grounding check flagged it for not citing or for a bad citation.
func isClaim(s imyrag.Sentence) bool {
	if len(s.Citations) > 0 {
		return true
	}
	for _, f := range s.Flags {
		if f == grounding.FlagNoCitation || strings.HasPrefix(f, grounding.FlagMalformed) || missingSource.MatchString(f) {
			return true
		}
	}
	return false
}

// ScoreAnswer scores an answer's claims with a judge. An abstained answer
// has no claims. The context is passed to the judge; its cancellation is
// returned as an error, any other judge error is a failure in the scores.
func ScoreAnswer(ctx context.Context, a *imyrag.Answer, j Judge) (AnswerScores, error) {
	sc := AnswerScores{Judge: j.Name(), Claims: []SentenceEval{}}
	if a == nil || a.Abstained {
		return sc, nil
	}
	byN := map[int]string{}
	var all []string
	for _, s := range a.Sources {
		byN[s.N] = s.Quote
		all = append(all, s.Quote)
	}
	// Judgements are cached by sentence and passage set: ALCE asks about
	// the same subsets more than once.
	cache := map[string]bool{}
	var ctxErr error
	ask := func(se *SentenceEval, sentence string, ns []int, texts []string) bool {
		key := sentence + "\x00" + fmt.Sprint(ns)
		if v, ok := cache[key]; ok {
			return v
		}
		ok, err := j.Supports(ctx, sentence, texts)
		if err != nil {
			if ctx.Err() != nil {
				ctxErr = ctx.Err()
			}
			se.Failures = append(se.Failures, err.Error())
			ok = false
		}
		cache[key] = ok
		return ok
	}
	passages := func(ns []int) []string {
		out := make([]string, 0, len(ns))
		for _, n := range ns {
			out = append(out, byN[n])
		}
		return out
	}
	var recall, precise, cites, faithful, shown, falseSup int
	for _, s := range a.Sentences {
		if !isClaim(s) {
			continue
		}
		text := strings.TrimSpace(grounding.StripCitations(s.Text))
		var valid []int
		for _, n := range s.Citations {
			if _, ok := byN[n]; ok {
				valid = append(valid, n)
			}
		}
		se := SentenceEval{Text: s.Text, Citations: s.Citations, Shown: s.Supported}
		if len(valid) > 0 {
			se.Supported = ask(&se, text, valid, passages(valid))
		}
		// ALCE precision: with joint support, a citation is irrelevant when
		// it alone does not support the sentence and the others still do;
		// without joint support every citation counts as imprecise.
		switch {
		case !se.Supported:
		case len(valid) == 1:
			se.Precise = 1
		default:
			for i, n := range valid {
				if ask(&se, text, []int{n}, passages([]int{n})) {
					se.Precise++
					continue
				}
				rest := slices.Concat(valid[:i], valid[i+1:])
				if ask(&se, text, rest, passages(rest)) {
					se.Irrelevant++
				} else {
					se.Precise++
				}
			}
		}
		cites += len(s.Citations)
		precise += se.Precise
		if len(all) > 0 {
			se.Faithful = se.Supported || ask(&se, text, []int{-1}, all)
		}
		recall += b2i(se.Supported)
		faithful += b2i(se.Faithful)
		if se.Shown {
			shown++
			falseSup += b2i(!se.Supported)
		}
		sc.Failures += len(se.Failures)
		sc.Claims = append(sc.Claims, se)
		if ctxErr != nil {
			return sc, ctxErr
		}
	}
	sc.CitationRecall = ratio(recall, len(sc.Claims))
	sc.CitationPrecision = ratio(precise, cites)
	sc.Faithfulness = ratio(faithful, len(sc.Claims))
	sc.FalseSupport = ratio(falseSup, shown)
	return sc, nil
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	v := float64(n) / float64(d)
	return &v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
