package normalize

// BlockKind says what a block of normalized text is.
type BlockKind int

// The kinds of block the structurer recognises.
const (
	Paragraph BlockKind = iota
	Heading
	ListItem
	Footnote
)

func (k BlockKind) String() string {
	switch k {
	case Heading:
		return "heading"
	case ListItem:
		return "list-item"
	case Footnote:
		return "footnote"
	default:
		return "paragraph"
	}
}

// Block is one structural unit of a normalized document: a heading, a
// paragraph, a list item or a footnote.
type Block struct {
	Kind BlockKind
	// Level is the heading depth (1 is outermost) for headings, 0 otherwise.
	Level int
	// Text is the block's normalized text: hard wraps joined, line-end
	// hyphenation undone, whitespace collapsed. Text == Document.Text[Start:End].
	// List items start with their marker ("• ", "◦ " for nested items, or
	// their number "1. "), footnotes with "[N] ".
	Text  string
	Start int
	End   int
	// PageStart and PageEnd are the 1-based pages the block spans; 0 when
	// the source has no pages.
	PageStart int
	PageEnd   int
	// HeadingPath lists the headings in effect for this block, outermost
	// first. For a heading it holds its parents and the heading itself.
	// Blocks under the same heading share one slice: treat it as read-only.
	HeadingPath []string
}

// Document is a normalized and structured text.
type Document struct {
	// Text is the normalized full text: the blocks' texts separated by
	// "\n\n".
	Text   string
	Blocks []Block
	// Furniture holds what was removed from the body as page furniture:
	// running headers and footers that recur on many pages, and web
	// boilerplate ("Hoppa till innehåll"), each text once in first-seen
	// order. Page numbers are dropped without a trace.
	Furniture []string
}
