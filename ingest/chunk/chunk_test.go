package chunk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/normalize"
	"github.com/imy/imyrag/ingest/sentence"
)

func mustChunker(tb testing.TB, o Options) *Chunker {
	tb.Helper()
	c, err := NewChunker(o)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestNewChunkerOptions(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		want    Options
		wantErr bool
	}{
		{"defaults", Options{}, Options{Target: 350, Max: 512, Overlap: 40}, false},
		{"no overlap", Options{Overlap: -1}, Options{Target: 350, Max: 512, Overlap: 0}, false},
		{"custom", Options{Target: 100, Max: 128, Overlap: 10}, Options{Target: 100, Max: 128, Overlap: 10}, false},
		{"target over max", Options{Target: 600}, Options{}, true},
		{"max too small", Options{Target: 8, Max: 8}, Options{}, true},
		{"negative target", Options{Target: -1}, Options{}, true},
		{"overlap too big", Options{Target: 100, Overlap: 100}, Options{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := NewChunker(tt.in)
			if tt.wantErr {
				if !errors.Is(err, ErrOptions) {
					t.Fatalf("err = %v, want ErrOptions", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Options()); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

var idPattern = regexp.MustCompile(`^c_[0-9a-f]{20}$`)

func TestChunkID(t *testing.T) {
	id := ChunkID("doc", "text", 0)
	// Pinned: changing the scheme changes every stored ID.
	if want := "c_" + sha256hex("3:doc0:text")[:20]; id != want {
		t.Errorf("ChunkID = %s, want %s", id, want)
	}
	if !idPattern.MatchString(id) {
		t.Errorf("ChunkID %q does not match %s", id, idPattern)
	}
	distinct := map[string]string{}
	for _, c := range []struct {
		doc, text string
		occ       int
	}{
		{"doc", "text", 0}, {"doc", "text", 1}, {"doc", "text", 10}, {"doc", "Text", 0},
		{"doc2", "text", 0}, {"do", "ctext", 0}, {"doc", "0:text", 0}, {"", "", 0},
		{"doc", "1:text", 0}, {"doc", "text", 01},
	} {
		id := ChunkID(c.doc, c.text, c.occ)
		if id != ChunkID(c.doc, c.text, c.occ) {
			t.Errorf("ChunkID(%q, %q, %d) not stable", c.doc, c.text, c.occ)
		}
		key := c.doc + "|" + c.text + "|" + string(rune('0'+c.occ))
		if prev, ok := distinct[id]; ok && prev != key {
			t.Errorf("ChunkID collision: %s and %s", prev, key)
		}
		distinct[id] = key
	}
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// nonSpaceCovered reports the first non-space byte of text that no chunk
// covers, or -1.
func uncovered(text string, chunks []imyrag.Chunk) int {
	covered := make([]bool, len(text)+1)
	for _, c := range chunks {
		for i := c.Start; i < c.End; i++ {
			covered[i] = true
		}
	}
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsSpace(r) && !covered[i] {
			return i
		}
		i += w
	}
	return -1
}

// checkInvariants checks what every Split result must satisfy.
func checkInvariants(t *testing.T, c *Chunker, docID string, doc normalize.Document, chunks []imyrag.Chunk) {
	t.Helper()
	o := c.Options()
	tk := mustTokenizer(t)
	ids := map[string]int{}
	for i, ch := range chunks {
		switch {
		case ch.Ordinal != i:
			t.Errorf("chunk %d: ordinal %d", i, ch.Ordinal)
		case ch.DocID != docID:
			t.Errorf("chunk %d: doc ID %q", i, ch.DocID)
		case ch.Start < 0 || ch.End > len(doc.Text) || ch.Start >= ch.End:
			t.Fatalf("chunk %d: bad range [%d,%d) of %d", i, ch.Start, ch.End, len(doc.Text))
		case ch.Text != doc.Text[ch.Start:ch.End]:
			t.Errorf("chunk %d: text is not doc.Text[%d:%d]", i, ch.Start, ch.End)
		case ch.Tokens > o.Max:
			t.Errorf("chunk %d: %d tokens, over max %d", i, ch.Tokens, o.Max)
		case ch.Hash != sha256hex(ch.Text):
			t.Errorf("chunk %d: hash %s", i, ch.Hash)
		case !idPattern.MatchString(ch.ID):
			t.Errorf("chunk %d: ID %q", i, ch.ID)
		}
		if exact := len(tk.Encode(ch.Text)); ch.Tokens != exact {
			t.Errorf("chunk %d: Tokens = %d, tiktoken counts %d in %q", i, ch.Tokens, exact, ch.Text)
		}
		if j, dup := ids[ch.ID]; dup {
			t.Errorf("chunks %d and %d share ID %s", j, i, ch.ID)
		}
		ids[ch.ID] = i
		if i > 0 {
			p := chunks[i-1]
			if ch.Start <= p.Start || ch.End <= p.End {
				t.Errorf("chunk %d [%d,%d) does not move forward from [%d,%d)", i, ch.Start, ch.End, p.Start, p.End)
			}
			if ch.Start < p.End {
				if ov := tk.Count(doc.Text[ch.Start:p.End]); ov > o.Overlap {
					t.Errorf("chunk %d overlaps the previous by %d tokens, over %d", i, ov, o.Overlap)
				}
			}
		}
		if r, _ := utf8.DecodeRuneInString(ch.Text); unicode.IsSpace(r) {
			t.Errorf("chunk %d starts with white space", i)
		}
		if r, _ := utf8.DecodeLastRuneInString(ch.Text); unicode.IsSpace(r) {
			t.Errorf("chunk %d ends with white space", i)
		}
	}
	if at := uncovered(doc.Text, chunks); at >= 0 {
		t.Errorf("byte %d (%.20q) is in no chunk", at, doc.Text[at:])
	}
	// A heading block never ends a chunk, unless nothing follows it or it
	// cannot: the headings and the first sentence (or piece of one) after
	// them are over Max together.
	for i, ch := range chunks {
		for bi, b := range doc.Blocks {
			if b.Kind != normalize.Heading || b.End != ch.End || strings.TrimSpace(doc.Text[b.End:]) == "" {
				continue
			}
			if !headingFits(t, c, doc, bi) {
				continue
			}
			t.Errorf("chunk %d ends with heading %q", i, b.Text)
		}
	}
}

// headingFits reports whether the heading block bi, the headings right
// after it and the first sentence after those fit in one chunk.
func headingFits(t *testing.T, c *Chunker, doc normalize.Document, bi int) bool {
	tk := mustTokenizer(t)
	start := doc.Blocks[bi].Start
	for bi < len(doc.Blocks) && doc.Blocks[bi].Kind == normalize.Heading {
		bi++
	}
	if bi == len(doc.Blocks) { // only headings follow
		return tk.Count(doc.Text[start:doc.Blocks[bi-1].End]) <= c.Options().Max
	}
	next := doc.Blocks[bi]
	spans := sentence.Split(next.Text)
	if len(spans) == 0 {
		return true
	}
	if tk.Count(next.Text[:spans[0].End]) > c.splitAbove {
		// The sentence is cut into pieces of at most pieceMax tokens; allow
		// a token for the join.
		return tk.Count(doc.Text[start:next.Start])+c.pieceMax+1 <= c.Options().Max
	}
	return tk.Count(doc.Text[start:next.Start+spans[0].End]) <= c.Options().Max
}

func TestSplitHandBuilt(t *testing.T) {
	long := strings.Repeat("Den personuppgiftsansvarige ska vidta lämpliga tekniska och organisatoriska åtgärder. ", 40)
	noStop := strings.Repeat("behandling av personuppgifter i samband med tillsyn ", 120) // one sentence, ~1000 tokens
	url := "https://www.imy.se/" + strings.Repeat("a1b2c3d4e5f6g7h8", 200)
	tests := []struct {
		name  string
		opts  Options
		doc   normalize.Document
		check func(t *testing.T, doc normalize.Document, got []imyrag.Chunk)
	}{
		{
			name: "empty",
			doc:  mkDoc(),
			check: func(t *testing.T, _ normalize.Document, got []imyrag.Chunk) {
				if got != nil {
					t.Errorf("got %d chunks, want none", len(got))
				}
			},
		},
		{
			name: "only white space",
			doc:  normalize.Document{Text: " \n\n \t"},
			check: func(t *testing.T, _ normalize.Document, got []imyrag.Chunk) {
				if got != nil {
					t.Errorf("got %d chunks, want none", len(got))
				}
			},
		},
		{
			name: "one paragraph",
			doc:  mkDoc(head(1, "Inledning"), onPage(para("IMY har tillsyn. Det är viktigt."), 3)),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				text := "Inledning\n\nIMY har tillsyn. Det är viktigt."
				want := []imyrag.Chunk{{
					ID: ChunkID("d", text, 0), DocID: "d", Ordinal: 0, HeadingPath: []string{"Inledning"},
					PageStart: 3, PageEnd: 3, Start: 0, End: len(text), Tokens: Count(text),
					Hash: sha256hex(text), Text: text,
				}}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("chunks (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "blocks missing",
			doc:  normalize.Document{Text: "Text utan block. Ännu en mening."},
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) != 1 || got[0].Text != doc.Text {
					t.Errorf("got %+v, want the whole text", got)
				}
			},
		},
		{
			name: "text between blocks",
			doc: func() normalize.Document {
				d := mkDoc(para("Första stycket."), para("Tappat stycke."), para("Sista stycket."))
				d.Blocks = append(d.Blocks[:1], d.Blocks[2])
				return d
			}(),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) != 1 || got[0].Text != doc.Text {
					t.Errorf("got %+v, want the whole text", got)
				}
			},
		},
		{
			name: "sentence over max",
			doc:  mkDoc(head(1, "Rubrik"), para(noStop)),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) < 2 {
					t.Fatalf("got %d chunks, want the sentence split", len(got))
				}
				if !strings.HasPrefix(got[0].Text, "Rubrik\n\nbehandling") {
					t.Errorf("first chunk %.40q does not start with the heading and its paragraph", got[0].Text)
				}
				for _, c := range got {
					if strings.HasPrefix(c.Text, "av ") || strings.HasSuffix(c.Text, " av") {
						continue
					}
					// Cut at word boundaries only.
					if !strings.HasPrefix(doc.Text[c.Start:], "behandling") && !strings.HasPrefix(doc.Text[c.Start:], "Rubrik") {
						if doc.Text[c.Start-1] != ' ' {
							t.Errorf("chunk %d starts inside a word: %.20q", c.Ordinal, c.Text)
						}
					}
				}
			},
		},
		{
			name: "word over max",
			doc:  mkDoc(para("Se " + url + " för mer.")),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) < 3 {
					t.Errorf("got %d chunks, want the URL cut at token boundaries", len(got))
				}
			},
		},
		{
			name: "heading starts a new chunk when the current one is half full",
			doc:  mkDoc(head(1, "Ett"), para(long[:len(long)/4]), head(1, "Två"), para(long[:len(long)/4])),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) != 2 || !strings.HasPrefix(got[1].Text, "Två") {
					t.Fatalf("got %d chunks, second %.20q; want two, split at the heading", len(got), got[len(got)-1].Text)
				}
				if got[1].Start != strings.Index(doc.Text, "Två") {
					t.Errorf("no overlap before a heading expected")
				}
				if diff := cmp.Diff([]string{"Två"}, got[1].HeadingPath); diff != "" {
					t.Errorf("heading path (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "small sections share a chunk",
			doc:  mkDoc(head(1, "Ett"), para("Kort."), head(1, "Två"), para("Också kort.")),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) != 1 {
					t.Errorf("got %d chunks, want 1", len(got))
				}
			},
		},
		{
			name: "overlap repeats whole sentences",
			doc:  mkDoc(para(long)),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) < 2 {
					t.Fatalf("got %d chunks", len(got))
				}
				for i := 1; i < len(got); i++ {
					if got[i].Start >= got[i-1].End {
						t.Errorf("chunk %d does not overlap the previous one", i)
					}
					if !strings.HasPrefix(got[i].Text, "Den ") {
						t.Errorf("chunk %d does not start at a sentence: %.20q", i, got[i].Text)
					}
				}
			},
		},
		{
			name: "no overlap",
			opts: Options{Overlap: -1},
			doc:  mkDoc(para(long)),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				for i := 1; i < len(got); i++ {
					if got[i].Start < got[i-1].End {
						t.Errorf("chunk %d overlaps the previous one", i)
					}
				}
			},
		},
		{
			name: "list kept together",
			doc: func() normalize.Document {
				blocks := []blk{para(long[:len(long)*2/5]), para("Följande gäller:")}
				for range 8 {
					blocks = append(blocks, item("• En punkt om lagring av personuppgifter och hur länge de får sparas."))
				}
				return mkDoc(append(blocks, para(long[:len(long)/4]))...)
			}(),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				first := strings.Index(doc.Text, "• ")
				last := strings.LastIndex(doc.Text, "• ")
				for _, c := range got {
					if c.Start <= first && c.End > last {
						return
					}
				}
				t.Errorf("no chunk holds the whole list")
			},
		},
		{
			name: "pages",
			doc:  mkDoc(onPage(para("Sida ett."), 1), onPage(para("Sida två."), 2), onPage(para("Sida tre."), 3)),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				if len(got) != 1 || got[0].PageStart != 1 || got[0].PageEnd != 3 {
					t.Errorf("got %+v, want one chunk on pages 1-3", got)
				}
			},
		},
		{
			name: "identical chunks get distinct IDs",
			opts: Options{Target: 20, Max: 32, Overlap: -1},
			doc: func() normalize.Document {
				var bl []blk
				for range 4 {
					bl = append(bl, head(1, "A"), para(strings.Repeat("Samma mening upprepas här. ", 3)))
				}
				return mkDoc(bl...)
			}(),
			check: func(t *testing.T, doc normalize.Document, got []imyrag.Chunk) {
				texts := map[string]bool{}
				dup := false
				for _, c := range got {
					dup = dup || texts[c.Text]
					texts[c.Text] = true
				}
				if !dup {
					t.Errorf("test needs identical chunk texts; got %d chunks", len(got))
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustChunker(t, tt.opts)
			got := c.Split("d", tt.doc)
			checkInvariants(t, c, "d", tt.doc, got)
			tt.check(t, tt.doc, got)
		})
	}
}

// TestDocTokensExact compares the count of arbitrary ranges of the corpus,
// including ranges that start and end inside pre-tokenizer pieces, with
// tiktoken.
func TestDocTokensExact(t *testing.T) {
	tk := mustTokenizer(t)
	for _, d := range loadCorpus(t) {
		text := normalizeText(d.text).Text
		dt := newDocTokens(tk, text)
		step := max(len(text)/300, 1)
		for a := 0; a < len(text); a += step {
			for _, n := range []int{1, 2, 7, 100, 1500} {
				b := min(a+n, len(text))
				if !utf8.RuneStart(text[a]) || b < len(text) && !utf8.RuneStart(text[b]) {
					continue
				}
				if got, want := dt.count(a, b), len(tk.Encode(text[a:b])); got != want {
					t.Fatalf("%s: count(%d,%d) = %d, tiktoken %d for %q", d.id, a, b, got, want, text[a:b])
				}
			}
		}
	}
}
