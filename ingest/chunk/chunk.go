// Package chunk cuts a normalized document into token-bounded, citable chunks.
//
// A chunk is a contiguous slice of the document text (Chunk.Text ==
// Document.Text[Start:End]), so a citation opens the exact passage, and its
// size is counted exactly in cl100k_base tokens: it aims at Options.Target
// and never exceeds Options.Max.
//
// Blocks are split into sentences (package sentence); a sentence too long
// for a chunk is cut at word boundaries, and a word too long at token
// boundaries. Chunks end between sentences, at boundaries chosen by content
// alone (see selectCuts): each boundary has a strength (before a heading,
// between paragraphs, between sentences, inside a list) and a hash of the
// text before it, and a boundary is a cut when it is the strongest within
// Target/2 tokens on either side. So chunks start at headings when the one
// before would be at least half full, a heading is never cut off from what
// follows it, a list of up to Target tokens stays whole, and an edit moves
// only the cuts near it: chunk IDs elsewhere in the document survive
// re-ingesting it. A stretch between cuts that is over Max is cut again
// near its middle. The last whole sentences of a chunk, up to
// Options.Overlap tokens, are repeated at the start of the next one unless
// that one starts at a heading.
//
// Chunk IDs depend only on the document ID and the chunk text (ChunkID).
package chunk

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/normalize"
	"github.com/imy/imyrag/ingest/sentence"
)

// Defaults for the zero Options.
const (
	DefaultTarget  = 350
	DefaultMax     = 512
	DefaultOverlap = 40
)

// MinMax is the smallest Max accepted: room for any single character (at
// most 4 tokens) with a margin.
const MinMax = 16

// ErrOptions is returned by NewChunker for options it cannot honour.
var ErrOptions = errors.New("invalid chunk options")

// Options bound the size of chunks, in cl100k_base tokens. A zero field takes
// its default.
type Options struct {
	// Target is the size chunks aim at (default 350).
	Target int
	// Max is the hard limit no chunk exceeds (default 512).
	Max int
	// Overlap is the most tokens of trailing whole sentences of a chunk that
	// are repeated at the start of the next one (default 40; negative for
	// none). It is never more than Overlap, and no overlap is added when
	// the next chunk starts at a heading.
	Overlap int
}

// Chunker splits documents. It is safe for concurrent use.
type Chunker struct {
	opts Options
	tok  *Tokenizer
	// splitAbove is the size above which a sentence is cut at word
	// boundaries, leaving room for a heading in front of it.
	splitAbove int
	// pieceMax is the size of the pieces such a sentence is cut into.
	pieceMax int
	// window is the distance in tokens within which a cut must be the
	// strongest boundary (see selectCuts).
	window int
}

// NewChunker returns a Chunker for opts, with defaults filled in.
func NewChunker(opts Options) (*Chunker, error) {
	if opts.Target == 0 {
		opts.Target = DefaultTarget
	}
	if opts.Max == 0 {
		opts.Max = DefaultMax
	}
	switch {
	case opts.Overlap == 0:
		opts.Overlap = DefaultOverlap
	case opts.Overlap < 0:
		opts.Overlap = 0
	}
	switch {
	case opts.Max < MinMax:
		return nil, fmt.Errorf("%w: max %d is below %d", ErrOptions, opts.Max, MinMax)
	case opts.Target < 1 || opts.Target > opts.Max:
		return nil, fmt.Errorf("%w: target %d must be between 1 and max %d", ErrOptions, opts.Target, opts.Max)
	case opts.Overlap >= opts.Target:
		return nil, fmt.Errorf("%w: overlap %d must be below target %d", ErrOptions, opts.Overlap, opts.Target)
	}
	tok, err := DefaultTokenizer()
	if err != nil {
		return nil, err
	}
	c := &Chunker{opts: opts, tok: tok, splitAbove: opts.Max - opts.Max/8}
	c.pieceMax = min(opts.Target, c.splitAbove)
	c.window = max(opts.Target/2, 1)
	return c, nil
}

// Options returns the options in effect, defaults filled in.
func (c *Chunker) Options() Options { return c.opts }

// ChunkID returns the ID of a chunk of document docID with the given text;
// occurrence counts the earlier chunks of the same document with identical
// text (0 for the first). The ID is "c_" followed by the first 20 hex digits
// (80 bits) of the SHA-256 of
//
//	len(docID) ":" docID occurrence ":" text
//
// (lengths and occurrence in decimal), which is unambiguous for any docID.
// IDs use only [a-z0-9_], so they are safe in URLs and file names; a store
// that needs a UUID derives one from the ID (e.g. a name-based UUID).
func ChunkID(docID, text string, occurrence int) string {
	h := sha256.New()
	var buf [40]byte
	h.Write(strconv.AppendInt(buf[:0], int64(len(docID)), 10))
	h.Write([]byte{':'})
	h.Write([]byte(docID))
	h.Write(strconv.AppendInt(buf[:0], int64(occurrence), 10))
	h.Write([]byte{':'})
	h.Write([]byte(text))
	var sum [sha256.Size]byte
	var out [22]byte
	out[0], out[1] = 'c', '_'
	hex.Encode(out[2:], h.Sum(sum[:0])[:10])
	return string(out[:])
}

// Split cuts doc into chunks with ordinals 0..n-1. Text outside the blocks
// (if any) is chunked as paragraphs, so every non-space character of
// doc.Text is in some chunk. It returns nil for a document with no text.
func (c *Chunker) Split(docID string, doc normalize.Document) []imyrag.Chunk {
	s := &splitter{c: c, text: doc.Text}
	s.toks = newDocTokens(c.tok, doc.Text)
	s.sanitizeBlocks(doc)
	s.buildUnits()
	if len(s.units) == 0 {
		return nil
	}
	s.markGroups()
	return s.pack(docID)
}

// sblock is a block after sanitizing: offsets valid and increasing.
type sblock struct {
	kind               normalize.BlockKind
	start, end         int
	pageStart, pageEnd int
	path               []string
}

// unit is the smallest thing packed: a sentence, or a piece of one that was
// too long. Its range is trimmed of white space at both ends; consecutive
// units are separated by white space only.
type unit struct {
	start, end int
	block      int
	first      bool // first unit of its block
	partial    bool // a piece of a sentence cut at word or token boundaries
}

type splitter struct {
	c      *Chunker
	text   string
	toks   docTokens
	blocks []sblock
	units  []unit
	// For each unit: glued to the next one (part of a heading), and for
	// units in a list group, the unit range of the group.
	glued              []bool
	listFirst, listEnd []int
	// upos[i] is the tokens of units 0..i-1, each counted alone.
	upos []int
}

func isSpaceAt(s string, i int) (bool, int) {
	r, w := decode(s, i)
	return unicode.IsSpace(r), w
}

// trimRange shrinks [a,b) to exclude white space at both ends.
func (s *splitter) trimRange(a, b int) (int, int) {
	for a < b {
		sp, w := isSpaceAt(s.text, a)
		if !sp {
			break
		}
		a += w
	}
	for b > a {
		r, w := utf8.DecodeLastRuneInString(s.text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= w
	}
	return a, b
}

func (s *splitter) sanitizeBlocks(doc normalize.Document) {
	n := len(s.text)
	prev := 0
	var path []string
	gap := func(a, b int) {
		if a2, b2 := s.trimRange(a, b); a2 < b2 {
			s.blocks = append(s.blocks, sblock{kind: normalize.Paragraph, start: a2, end: b2, path: path})
		}
	}
	for _, b := range doc.Blocks {
		a, e := max(b.Start, prev), min(b.End, n)
		for a < e && !utf8.RuneStart(s.text[a]) {
			a++
		}
		for e < n && e > a && !utf8.RuneStart(s.text[e]) {
			e++
		}
		if a >= e {
			continue
		}
		gap(prev, a)
		s.blocks = append(s.blocks, sblock{kind: b.Kind, start: a, end: e,
			pageStart: b.PageStart, pageEnd: b.PageEnd, path: b.HeadingPath})
		path = b.HeadingPath
		prev = e
	}
	gap(prev, n)
}

// buildUnits splits blocks into sentences, and sentences too long for a
// chunk into pieces.
func (s *splitter) buildUnits() {
	var starts []int
	for bi, b := range s.blocks {
		a, e := s.trimRange(b.start, b.end)
		if a >= e {
			continue
		}
		starts = append(starts[:0], a)
		for _, sp := range sentence.Split(s.text[b.start:b.end]) {
			p := b.start + sp.Start
			if sp.Start < 0 || p >= e {
				continue
			}
			p, _ = s.trimRange(p, e)
			if p > starts[len(starts)-1] && utf8.RuneStart(s.text[p]) {
				starts = append(starts, p)
			}
		}
		first := true
		for i, p := range starts {
			q := e
			if i+1 < len(starts) {
				_, q = s.trimRange(p, starts[i+1])
			}
			if s.toks.count(p, q) > s.c.splitAbove {
				s.splitLong(bi, p, q, first)
			} else {
				s.units = append(s.units, unit{start: p, end: q, block: bi, first: first})
			}
			first = false
		}
	}
}

// splitLong cuts the sentence [a,b) into pieces at word boundaries, and a
// word too long for a piece (garbage, a long URL) at token boundaries.
func (s *splitter) splitLong(bi, a, b int, first bool) {
	limit := s.c.pieceMax
	// Balance the pieces: k pieces of about total/k tokens each.
	if total := s.toks.count(a, b); total > limit {
		k := (total + limit - 1) / limit
		limit = min(limit, total/k+16)
	}
	add := func(p, q int) {
		s.units = append(s.units, unit{start: p, end: q, block: bi, first: first, partial: true})
		first = false
	}
	for p := a; p < b; {
		q := s.wordEnd(p, b)
		if s.toks.count(p, q) > limit {
			s.splitWord(p, q, limit, add) // a word alone over the limit
		} else {
			// Extend [p,q) word by word while it stays within limit.
			for q < b {
				w, _ := s.trimRange(q, b)
				we := s.wordEnd(w, b)
				if s.toks.count(p, we) > limit {
					break
				}
				q = we
			}
			add(p, q)
		}
		p, _ = s.trimRange(q, b)
	}
}

// wordEnd returns the end of the word that starts at w: the next white
// space, or b.
func (s *splitter) wordEnd(w, b int) int {
	for w < b {
		sp, n := isSpaceAt(s.text, w)
		if sp {
			break
		}
		w += n
	}
	return w
}

// splitWord cuts the word [a,b), which has no white space, at token
// boundaries (moved to rune boundaries) into pieces of at most limit tokens,
// and adds them. It encodes the word once and counts each piece once or
// twice: encoding long pieces is quadratic in tiktoken-go.
func (s *splitter) splitWord(a, b, limit int, add func(p, q int)) {
	tk := s.c.tok
	type cut struct{ pos, tok int } // a cut after tok tokens of the word
	var cuts []cut
	pos := a
	for k, id := range tk.Encode(s.text[a:b]) {
		pos += len(tk.Decode([]int{id}))
		if pos == b || pos < b && utf8.RuneStart(s.text[pos]) {
			cuts = append(cuts, cut{pos, k + 1})
		}
	}
	if pos != b { // invalid UTF-8 was re-encoded: cut at runes instead
		cuts = cuts[:0]
		for i, k := a, 1; i < b; k++ {
			_, w := decode(s.text, i)
			i += w
			cuts = append(cuts, cut{i, k})
		}
	}
	for p, lo, base := a, 0, 0; p < b; {
		// The farthest cut within limit tokens by the word's encoding,
		// then fewer while the piece, counted alone, is over.
		hi := lo + sort.Search(len(cuts)-lo, func(i int) bool { return cuts[lo+i].tok-base > limit }) - 1
		hi = max(hi, lo)
		for hi > lo {
			n := s.toks.count(p, cuts[hi].pos)
			if n <= limit {
				break
			}
			hi = max(lo, lo+(hi-lo)*limit/n-1)
		}
		add(p, cuts[hi].pos)
		p, base, lo = cuts[hi].pos, cuts[hi].tok, hi+1
	}
}

// markGroups records the units' positions (see pos), which units are glued
// to the next (headings) and the unit ranges of lists (runs of list-item
// blocks).
func (s *splitter) markGroups() {
	n := len(s.units)
	s.upos = make([]int, n+1)
	for i, u := range s.units {
		s.upos[i+1] = s.upos[i] + s.toks.count(u.start, u.end)
	}
	s.glued = make([]bool, n)
	s.listFirst = make([]int, n)
	s.listEnd = make([]int, n)
	for i := range s.units {
		b := s.blocks[s.units[i].block]
		s.glued[i] = b.kind == normalize.Heading && i < n-1
		s.listFirst[i], s.listEnd[i] = -1, -1
		if b.kind != normalize.ListItem {
			continue
		}
		if i > 0 && s.listFirst[i-1] >= 0 {
			s.listFirst[i] = s.listFirst[i-1]
		} else {
			s.listFirst[i] = i
		}
	}
	for i := n - 1; i >= 0; i-- {
		if s.listFirst[i] < 0 {
			continue
		}
		if i+1 < n && s.listFirst[i+1] == s.listFirst[i] {
			s.listEnd[i] = s.listEnd[i+1]
		} else {
			s.listEnd[i] = i
		}
	}
}

func (s *splitter) tokens(i, j int) int { return s.toks.count(s.units[i].start, s.units[j].end) }

func (s *splitter) startsHeading(i int) bool {
	return s.units[i].first && s.blocks[s.units[i].block].kind == normalize.Heading
}

// Boundary priorities: a cut goes to the strongest boundary around.
const (
	prioWord      = iota // inside a sentence cut at word or token boundaries
	prioListItem         // between items of a list
	prioSentence         // between sentences of a paragraph
	prioParagraph        // between blocks
	prioHeading          // before a heading
)

// priority returns the strength of the boundary after unit i, or -1 where
// no cut may go: inside a heading or between a heading and what follows.
func (s *splitter) priority(i int) int {
	switch {
	case s.glued[i]:
		return -1
	case s.startsHeading(i + 1):
		return prioHeading
	case s.listFirst[i] >= 0 && s.listFirst[i] == s.listFirst[i+1]:
		return prioListItem
	case s.units[i+1].first:
		return prioParagraph
	case s.units[i].partial || s.units[i+1].partial:
		return prioWord
	}
	return prioSentence
}

// pos returns the position of the boundary after unit i: the tokens of
// units 0..i, each counted alone. Unlike offsets into the whole text's
// pieces it depends only on the units' own text and grows inside a long
// word cut into pieces.
func (s *splitter) pos(i int) int { return s.upos[i+1] }

// approx returns the tokens of units i..j counted alone, which is close to
// tokens(i, j) and costs nothing.
func (s *splitter) approx(i, j int) int { return s.upos[j+1] - s.upos[i] }

// selectCuts chooses where chunks end, as content-defined local maxima:
// the boundary after unit i is a cut when no boundary within window tokens
// of it, on either side, ranks higher by (priority, hash of unit i's text),
// and it is more than window tokens from either end of the text.
// Which boundaries are cuts thus depends only on the text near them: an
// edit moves the cuts within window tokens of it and no others, so the IDs
// of chunks away from an edit survive it. Cuts are at least window tokens
// apart; window is Target/2, so a chunk starts at a heading once the one
// before it would be half full.
// A list of at most Target tokens is never cut inside.
func (s *splitter) selectCuts() []int {
	type cand struct {
		i, pos int
		key    uint64
	}
	n := len(s.units)
	w := s.c.window
	var cs []cand
	for i := 0; i < n-1; i++ {
		p := s.priority(i)
		if p < 0 {
			continue
		}
		if lf := s.listFirst[i]; p == prioListItem && s.approx(lf, s.listEnd[lf]) <= s.c.opts.Target {
			continue
		}
		// Hash only the text before the boundary: an edit at the start of
		// a block then leaves the boundary before it alone.
		h := fnv64(fnvOffset, s.text[s.units[i].start:s.units[i].end])
		cs = append(cs, cand{i: i, pos: s.pos(i), key: uint64(p)<<56 | h>>8})
	}
	last := s.pos(n - 1)
	var cuts []int
	for k, c := range cs {
		if c.pos <= w || last-c.pos <= w {
			continue
		}
		ok := true
		for j := k - 1; ok && j >= 0 && c.pos-cs[j].pos <= w; j-- {
			ok = cs[j].key < c.key // on a tie the earlier boundary wins
		}
		for j := k + 1; ok && j < len(cs) && cs[j].pos-c.pos <= w; j++ {
			ok = cs[j].key <= c.key
		}
		if ok {
			cuts = append(cuts, c.i)
		}
	}
	return cuts
}

const fnvOffset = 14695981039346656037

func fnv64(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// splitSegment cuts the units [a..b] into ranges that fit in Max by
// measure (tokens or approx): into two at the strongest boundary near the
// point that leaves about Target tokens per piece, then each half the same
// way.
func (s *splitter) splitSegment(a, b int, measure func(i, j int) int, out [][2]int) [][2]int {
	total := measure(a, b)
	if a == b || total <= s.c.opts.Max {
		return append(out, [2]int{a, b})
	}
	t := s.c.opts.Target
	m := max((total+t-1)/t, 2)
	x := s.upos[a] + s.approx(a, b)*(m/2)/m
	// The strongest boundary within Target/4 of x, the nearest on a tie;
	// failing that, the nearest.
	best, bestIn, bestPrio, bestDist := -1, false, -1, 0
	for i := a; i < b; i++ {
		p := s.priority(i)
		if p < 0 {
			continue
		}
		d := abs(s.pos(i) - x)
		in := d <= t/4
		better := in != bestIn && in ||
			in == bestIn && (in && p > bestPrio || (!in || p == bestPrio) && d < bestDist)
		if best < 0 || better {
			best, bestIn, bestPrio, bestDist = i, in, p, d
		}
	}
	if best < 0 {
		// Only glued boundaries: Max wins over keeping headings with what
		// follows them. Cut before the first heading from which the rest
		// fits, else before the last one, else where the most fits.
		for i := a; i < b; i++ {
			if s.startsHeading(i + 1) {
				best = i
				if measure(i+1, b) <= s.c.opts.Max {
					break
				}
			}
		}
		if best < 0 {
			best = a
			for i := a + 1; i < b && measure(a, i) <= s.c.opts.Max; i++ {
				best = i
			}
		}
	}
	out = s.splitSegment(a, best, measure, out)
	return s.splitSegment(best+1, b, measure, out)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// overlapStart returns the unit the chunk after [from..e] starts at: the
// last whole sentences of [from+1..e] that fit in Overlap, never reaching
// back past a heading, or e+1.
func (s *splitter) overlapStart(from, e int) int {
	j := e + 1
	if s.c.opts.Overlap <= 0 || s.startsHeading(e+1) {
		return j
	}
	for k := e; k > from; k-- {
		u := s.units[k]
		if u.partial || s.tokens(k, e) > s.c.opts.Overlap {
			break
		}
		heading := s.blocks[u.block].kind == normalize.Heading
		if heading && !u.first {
			continue
		}
		j = k
		if heading {
			break
		}
	}
	return j
}

func (s *splitter) pack(docID string) []imyrag.Chunk {
	n := len(s.units)
	// Cut segments too long by the cheap measure, then check the pieces
	// exactly (the two differ by a token or so per sentence).
	var approx, ranges [][2]int
	a := 0
	for _, c := range append(s.selectCuts(), n-1) {
		approx = s.splitSegment(a, c, s.approx, approx)
		a = c + 1
	}
	for _, r := range approx {
		ranges = s.splitSegment(r[0], r[1], s.tokens, ranges)
	}
	out := make([]imyrag.Chunk, 0, len(ranges))
	seen := make(map[string]int, len(ranges))
	for k, r := range ranges {
		from := r[0]
		if k > 0 {
			// Overlap, dropping sentences of it while the chunk is over Max.
			from = s.overlapStart(ranges[k-1][0], ranges[k-1][1])
			for from < r[0] && (s.tokens(from, r[1]) > s.c.opts.Max || s.isHeadingTail(from)) {
				from++
			}
		}
		out = append(out, s.chunk(docID, k, from, r[1], seen))
	}
	return out
}

// isHeadingTail reports whether unit i is in a heading but not its start.
func (s *splitter) isHeadingTail(i int) bool {
	return !s.units[i].first && s.blocks[s.units[i].block].kind == normalize.Heading
}

func (s *splitter) chunk(docID string, ordinal, from, e int, seen map[string]int) imyrag.Chunk {
	a, b := s.units[from].start, s.units[e].end
	text := s.text[a:b]
	sum := sha256.Sum256([]byte(text))
	hash := hex.EncodeToString(sum[:])
	occ := seen[hash]
	seen[hash] = occ + 1
	c := imyrag.Chunk{
		ID:          ChunkID(docID, text, occ),
		DocID:       docID,
		Ordinal:     ordinal,
		HeadingPath: slices.Clone(s.blocks[s.units[from].block].path),
		Start:       a,
		End:         b,
		Tokens:      s.toks.count(a, b),
		Hash:        hash,
		Text:        text,
	}
	for bi := s.units[from].block; bi <= s.units[e].block; bi++ {
		bl := s.blocks[bi]
		if bl.pageStart > 0 && (c.PageStart == 0 || bl.pageStart < c.PageStart) {
			c.PageStart = bl.pageStart
		}
		if bl.pageEnd > c.PageEnd {
			c.PageEnd = bl.pageEnd
		}
	}
	if c.PageStart == 0 {
		c.PageStart = c.PageEnd
	}
	return c
}

// docTokens counts the tokens of any range of a text in about constant
// time: the text is pre-tokenized once, and a range that starts or ends
// inside a piece is re-tokenized only until its pieces realign.
type docTokens struct {
	tk   *Tokenizer
	text string
	// bounds are the piece starts followed by len(text); cum[k] is the
	// number of tokens in the pieces before bounds[k].
	bounds []int
	cum    []int
	memo   map[[2]int]int
}

func newDocTokens(tk *Tokenizer, text string) docTokens {
	d := docTokens{tk: tk, text: text}
	est := len(text)/4 + 2
	d.bounds = make([]int, 0, est)
	d.cum = make([]int, 0, est)
	total := 0
	for i := 0; i < len(text); {
		j := nextPiece(text, i)
		d.bounds = append(d.bounds, i)
		d.cum = append(d.cum, total)
		total += tk.pieceCount(text[i:j])
		i = j
	}
	d.bounds = append(d.bounds, len(text))
	d.cum = append(d.cum, total)
	return d
}

// count returns Count(text[a:b]) exactly.
//
// Pre-tokenizing depends only on the text from the current position on, so
// once the pieces of text[a:b] reach a boundary of the whole text's pieces
// they coincide with them, up to the last whole piece before b.
func (d *docTokens) count(a, b int) int {
	if a >= b {
		return 0
	}
	key := [2]int{a, b}
	if n, ok := d.memo[key]; ok {
		return n
	}
	k := sort.SearchInts(d.bounds, a)
	n, work := 0, 0
	if d.bounds[k] != a {
		s := d.text[a:b]
		i := 0
		for i < len(s) {
			j := nextPiece(s, i)
			n += d.tk.pieceCount(s[i:j])
			i = j
			for d.bounds[k] < a+i {
				k++
			}
			if d.bounds[k] == a+i {
				break
			}
		}
		work = i
		a += i
	}
	if a < b {
		m := sort.SearchInts(d.bounds, b)
		if d.bounds[m] != b {
			m--
		}
		n += d.cum[m] - d.cum[k]
		if d.bounds[m] < b {
			n += d.tk.Count(d.text[d.bounds[m]:b])
			work += b - d.bounds[m]
		}
	}
	// Re-tokenizing inside a long piece costs time quadratic in its
	// length (garbage, long runs of punctuation): remember such answers.
	if work > 256 {
		if d.memo == nil {
			d.memo = make(map[[2]int]int)
		}
		d.memo[key] = n
	}
	return n
}
