package chunk

import (
	"strings"
	"testing"

	"github.com/imy/imyrag/ingest/normalize"
)

func fuzzSeeds(f *testing.F) {
	for _, s := range tokenizerCases {
		f.Add(s)
	}
	f.Add("Rubrik\n\nEtt stycke. Två meningar.\n\n• punkt ett\n• punkt två\n\n1. Bakgrund\n\nText.")
	f.Add(strings.Repeat("ord ", 700))
	f.Add(strings.Repeat("x", 600))
	f.Add("https://" + strings.Repeat("ab/", 300))
	for _, d := range loadCorpus(f) {
		f.Add(d.text[:min(len(d.text), 3000)])
	}
}

// FuzzSplit: random text, normalized and split, never loses text, never
// exceeds Max, and has valid offsets and exact token counts; with the
// defaults and with small options that force long sentences and words to
// be cut.
func FuzzSplit(f *testing.F) {
	fuzzSeeds(f)
	def := mustChunker(f, Options{})
	small := mustChunker(f, Options{Target: 24, Max: 32, Overlap: 6})
	f.Fuzz(func(t *testing.T, text string) {
		doc := normalizeText(text)
		for _, c := range []*Chunker{def, small} {
			checkInvariants(t, c, "fuzz", doc, c.Split("fuzz", doc))
		}
	})
}

// FuzzSplitBlocks feeds Split blocks that need not make sense (out of
// range, overlapping, splitting runes, not covering the text): it must
// still cover the text and keep its limits.
func FuzzSplitBlocks(f *testing.F) {
	f.Add("Rubrik\n\nEtt stycke. Två.\n\nSista.", []byte{0, 6, 3, 8, 22, 0, 24, 40, 1})
	f.Add("åäö åäö. ÅÄÖ!", []byte{1, 2, 3, 200, 5, 1, 0, 0, 2})
	small := mustChunker(f, Options{Target: 24, Max: 32, Overlap: 6})
	f.Fuzz(func(t *testing.T, text string, spec []byte) {
		doc := normalize.Document{Text: text}
		for i := 0; i+2 < len(spec); i += 3 {
			a, b := int(spec[i])*len(text)/255, int(spec[i+1])*len(text)/255
			doc.Blocks = append(doc.Blocks, normalize.Block{
				Kind: normalize.BlockKind(spec[i+2] % 4), Start: a, End: b,
				PageStart: int(spec[i+2] % 3), PageEnd: int(spec[i+2] % 5),
				HeadingPath: []string{"h"},
			})
		}
		for _, c := range []*Chunker{small} {
			got := c.Split("fuzz", doc)
			// The heading rule needs sane blocks; check the rest.
			doc.Blocks = nil
			checkInvariants(t, c, "fuzz", doc, got)
		}
	})
}
