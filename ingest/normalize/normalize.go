package normalize

import (
	"strings"

	"github.com/imy/imyrag"
)

// Normalize cleans and structures the pages a reader extracted from one
// source. It is pure and deterministic. Pages with Number ≥ 1 are PDF pages;
// a single page with Number 0 is unpaginated text, HTML or Markdown.
func Normalize(pages []imyrag.Page) Document {
	segs := splitSegments(pages)
	dropPageNumbers(segs)
	furniture := dropFurniture(segs)
	hyph := hyphenatedWords(segs)
	fn := &footnoter{hyph: hyph}
	for _, s := range segs {
		fn.extract(s)
	}
	width, wrapped := lineWidth(segs)
	g := &grouper{hyph: hyph, width: width, wrapped: wrapped, double: doubleSpaced(segs), md: hasMarkdownHeadings(segs)}
	blocks := structure(g.run(segs), g.md)

	var b strings.Builder
	size := 0
	for _, blk := range blocks {
		size += len(blk.Text) + 2
	}
	b.Grow(size)
	for i := range blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		blocks[i].Start = b.Len()
		b.WriteString(blocks[i].Text)
		blocks[i].End = b.Len()
	}
	return Document{Text: b.String(), Blocks: blocks, Furniture: furniture}
}

// hasMarkdownHeadings reports whether the text marks its headings with "#":
// then it is Markdown (or HTML rendered as Markdown) and its structure is
// taken from the markup alone.
func hasMarkdownHeadings(segs []*segment) bool {
	for _, s := range segs {
		for _, l := range s.lines {
			if l.drop || !strings.HasPrefix(l.text, "#") {
				continue
			}
			if m := mdHeadingRe.FindStringSubmatch(l.text); m != nil && letterCount(m[2]) > 0 {
				return true
			}
		}
	}
	return false
}
