package chunk

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/normalize"
)

// corpusDoc is one file of the bundled corpus.
type corpusDoc struct {
	id   string
	text string
}

func loadCorpus(tb testing.TB) []corpusDoc {
	tb.Helper()
	files, err := filepath.Glob("../../corpus/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no corpus files: %v", err)
	}
	var out []corpusDoc
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, corpusDoc{id: strings.TrimSuffix(filepath.Base(f), ".txt"), text: string(b)})
	}
	return out
}

// normalizeText builds the Document the pipeline would: one unpaged page
// through the normalizer.
func normalizeText(text string) normalize.Document {
	return normalize.Normalize([]imyrag.Page{{Number: 0, Text: text}})
}

// blk describes a block of a hand-built document.
type blk struct {
	kind  normalize.BlockKind
	level int // for headings
	text  string
	page  int
}

func para(s string) blk            { return blk{kind: normalize.Paragraph, text: s} }
func item(s string) blk            { return blk{kind: normalize.ListItem, text: s} }
func head(level int, s string) blk { return blk{kind: normalize.Heading, level: level, text: s} }
func onPage(b blk, page int) blk   { b.page = page; return b }

// mkDoc builds a Document by hand: blocks joined by "\n\n", heading paths
// from heading levels.
func mkDoc(blocks ...blk) normalize.Document {
	var d normalize.Document
	var sb strings.Builder
	var path []string
	for i, b := range blocks {
		if i > 0 {
			sb.WriteString("\n\n")
		}
		if b.kind == normalize.Heading {
			lvl := max(b.level, 1)
			if len(path) >= lvl {
				path = path[:lvl-1]
			}
			path = append(path[:len(path):len(path)], b.text)
		}
		start := sb.Len()
		sb.WriteString(b.text)
		d.Blocks = append(d.Blocks, normalize.Block{
			Kind: b.kind, Level: b.level, Text: b.text,
			Start: start, End: sb.Len(), PageStart: b.page, PageEnd: b.page,
			HeadingPath: append([]string(nil), path...),
		})
	}
	d.Text = sb.String()
	return d
}
