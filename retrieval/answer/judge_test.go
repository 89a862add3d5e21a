package answer

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/prompts"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/grounding"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

// The judge asks the real server about every sentence with a valid
// citation and records a verdict, or flags a reply that is neither yes nor
// no (the noise model's usual reply); sentences without a valid citation
// are not judged.
func TestJudge(t *testing.T) {
	srv := ollamatest.Start(t)
	srv.Models(t)
	c, err := ollama.New(context.Background(), ollama.Config{Host: srv.Host(), ChatModel: ollamatest.ChatModel, NumCtx: 2048})
	if err != nil {
		t.Fatal(err)
	}
	a := New(nil, nil, c, nil, analyze.Default(), Options{Judge: true})
	passages := []grounding.Passage{
		{N: 1, Text: "Sandlådan tar emot projekt som rör personuppgifter och innovation."},
		{N: 2, Text: "Deltagarna ska kunna avsätta tid för arbetet."},
	}
	sents := []imyrag.Sentence{
		{Text: "Sandlådan tar emot projekt. [1]", Citations: []int{1}, Supported: true},
		{Text: "Deltagarna ska avsätta tid. [1][2]", Citations: []int{1, 2}},
		{Text: "Detta står ingenstans. [9]", Citations: []int{9}, Flags: []string{"källa [9] finns inte"}},
		{Text: "Ingen källa alls.", Flags: []string{grounding.FlagNoCitation}},
	}
	if err := a.judge(context.Background(), prompts.Swedish, sents, passages); err != nil {
		t.Fatal(err)
	}
	for i, s := range sents[:2] {
		verdict := s.Judged == "supported" || s.Judged == "unsupported"
		flagged := slices.ContainsFunc(s.Flags, func(f string) bool { return strings.HasPrefix(f, "granskningen gav inget ja eller nej") })
		if verdict == flagged {
			t.Errorf("sentence %d: judged %q, flags %v: want a verdict or a flag", i, s.Judged, s.Flags)
		}
		if s.Judged == "unsupported" && s.Supported {
			t.Errorf("sentence %d judged unsupported but marked supported", i)
		}
	}
	for i, s := range sents[2:] {
		if s.Judged != "" {
			t.Errorf("sentence %d without a valid citation was judged %q", i+2, s.Judged)
		}
	}
}
