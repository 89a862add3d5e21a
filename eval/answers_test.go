package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag"
)

// setJudge supports a sentence when the passages contain every word the
// table gives for it: a judge whose verdicts the test controls exactly.
type setJudge struct {
	needs map[string][]string // sentence → passage texts that must all be present (any one set)
	fail  map[string]bool     // sentences whose judgement fails
}

func (setJudge) Name() string { return "set" }

func (j setJudge) Supports(_ context.Context, sentence string, passages []string) (bool, error) {
	if j.fail[sentence] {
		return false, errors.New("judge timed out")
	}
	have := map[string]bool{}
	for _, p := range passages {
		have[p] = true
	}
	for _, alt := range j.needs[sentence] {
		ok := true
		for _, need := range strings.Split(alt, "+") {
			ok = ok && have[need]
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

func f(v float64) *float64 { return &v }

func TestScoreAnswerALCE(t *testing.T) {
	sources := []imyrag.Source{{N: 1, Quote: "P1"}, {N: 2, Quote: "P2"}, {N: 3, Quote: "P3"}}
	sent := func(text string, supported bool, cites ...int) imyrag.Sentence {
		return imyrag.Sentence{Text: text + " [x]", Citations: cites, Supported: supported}
	}
	tests := []struct {
		name  string
		sents []imyrag.Sentence
		judge setJudge
		want  AnswerScores
	}{
		{
			name:  "one citation that supports",
			sents: []imyrag.Sentence{sent("A", true, 1)},
			judge: setJudge{needs: map[string][]string{"A [x]": {"P1"}}},
			want:  AnswerScores{CitationRecall: f(1), CitationPrecision: f(1), Faithfulness: f(1), FalseSupport: f(0)},
		},
		{
			// A is supported by P1 alone; P2 is irrelevant: it does not
			// support A alone, and A is supported without it.
			name:  "irrelevant second citation",
			sents: []imyrag.Sentence{sent("A", true, 1, 2)},
			judge: setJudge{needs: map[string][]string{"A [x]": {"P1"}}},
			want:  AnswerScores{CitationRecall: f(1), CitationPrecision: f(0.5), Faithfulness: f(1), FalseSupport: f(0)},
		},
		{
			// Only P1+P2 together support B: both citations are needed.
			name:  "joint support",
			sents: []imyrag.Sentence{sent("B", true, 1, 2)},
			judge: setJudge{needs: map[string][]string{"B [x]": {"P1+P2"}}},
			want:  AnswerScores{CitationRecall: f(1), CitationPrecision: f(1), Faithfulness: f(1), FalseSupport: f(0)},
		},
		{
			// C cites P1 but only P3 supports it: recall 0, precision 0,
			// faithful to the context, and shown as supported wrongly.
			name:  "wrong citation",
			sents: []imyrag.Sentence{sent("C", true, 1)},
			judge: setJudge{needs: map[string][]string{"C [x]": {"P3"}}},
			want:  AnswerScores{CitationRecall: f(0), CitationPrecision: f(0), Faithfulness: f(1), FalseSupport: f(1)},
		},
		{
			name: "claim without a citation, heading ignored",
			sents: []imyrag.Sentence{
				{Text: "## Rubrik", Citations: []int{}},
				{Text: "D utan källa.", Citations: []int{}, Flags: []string{"saknar källhänvisning"}},
				sent("A", false, 1),
			},
			judge: setJudge{needs: map[string][]string{"A [x]": {"P1"}, "D utan källa.": {"P2"}}},
			want:  AnswerScores{CitationRecall: f(0.5), CitationPrecision: f(1), Faithfulness: f(1), FalseSupport: nil},
		},
		{
			name:  "failed judgement counts as unsupported",
			sents: []imyrag.Sentence{sent("A", true, 1)},
			judge: setJudge{needs: map[string][]string{"A [x]": {"P1"}}, fail: map[string]bool{"A [x]": true}},
			want:  AnswerScores{CitationRecall: f(0), CitationPrecision: f(0), Faithfulness: f(0), FalseSupport: f(1), Failures: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &imyrag.Answer{Sentences: tt.sents, Sources: sources}
			// The judge sees the sentence without its citation marker.
			j := tt.judge
			fix := map[string][]string{}
			for k, v := range j.needs {
				fix[strings.TrimSpace(strings.TrimSuffix(k, "[x]"))] = v
			}
			fails := map[string]bool{}
			for k := range j.fail {
				fails[strings.TrimSpace(strings.TrimSuffix(k, "[x]"))] = true
			}
			j.needs, j.fail = fix, fails
			got, err := ScoreAnswer(context.Background(), a, j)
			if err != nil {
				t.Fatal(err)
			}
			got.Claims = nil
			tt.want.Judge = "set"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestScoreAnswerAbstainedAndCancelled(t *testing.T) {
	got, err := ScoreAnswer(context.Background(), &imyrag.Answer{Abstained: true}, LexicalJudge{})
	if err != nil || len(got.Claims) != 0 || got.CitationRecall != nil {
		t.Errorf("abstained answer: %+v, %v", got, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := &imyrag.Answer{Sources: []imyrag.Source{{N: 1, Quote: "P1"}}, Sentences: []imyrag.Sentence{{Text: "A [1]", Citations: []int{1}}}}
	if _, err := ScoreAnswer(ctx, a, ctxJudge{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

type ctxJudge struct{}

func (ctxJudge) Name() string { return "ctx" }
func (ctxJudge) Supports(ctx context.Context, _ string, _ []string) (bool, error) {
	return false, ctx.Err()
}

func TestLexicalJudge(t *testing.T) {
	j := LexicalJudge{}
	passage := "IMY som en statlig myndighet har skyldighet att lämna ut handlingar som inkommit till oss, förutsatt att lagstadgade sekretesskäl inte finns."
	ok, _ := j.Supports(context.Background(), "IMY är skyldig att lämna ut handlingar som inkommit.", []string{passage})
	if !ok {
		t.Error("a paraphrase sharing the passage's words was not supported")
	}
	ok, _ = j.Supports(context.Background(), "Kamerabevakning i skolor kräver tillstånd från länsstyrelsen.", []string{passage})
	if ok {
		t.Error("an unrelated sentence was supported")
	}
}

func TestCountCitations(t *testing.T) {
	a := &imyrag.Answer{
		Sources: []imyrag.Source{{N: 1}, {N: 2}},
		Sentences: []imyrag.Sentence{
			{Citations: []int{1, 2}},
			{Citations: []int{1}, Flags: []string{"källa [9] finns inte"}},
			{Citations: []int{}, Flags: []string{"felaktig källhänvisning: [^1]"}},
			{Citations: []int{3}}, // not among the sources
		},
	}
	if diff := cmp.Diff(CitationCounts{Valid: 3, Invalid: 3}, CountCitations(a)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
