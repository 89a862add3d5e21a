// Package extractive answers a question without a language model: it picks
// the sentences of the best passages that cover the question's informative
// terms, quotes them in a readable order with numbered citations, and
// abstains when the evidence is too weak.
//
// Every sentence is a verbatim quote of the passage it cites, so it is
// supported by construction; what can go wrong is relevance, which the
// evidence threshold guards.
package extractive

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/sentence"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
)

// maxListItems bounds the list items that follow a chosen lead-in.
const maxListItems = 8

// AbstainMessage is what the assistant says when the sources do not answer.
const AbstainMessage = "Jag hittar inget stöd för det i källorna."

// Options tune answering.
type Options struct {
	// Passages is how many search hits are read (default 6).
	Passages int
	// MaxSentences bounds the sentences chosen by score (default 4); a
	// chosen sentence that introduces a list brings up to maxListItems of
	// its items on top.
	MaxSentences int
	// MinEvidence is the abstention threshold on Answer.Evidence: below it
	// the answer abstains. Default DefaultMinEvidence.
	MinEvidence float64
	// Filter restricts the search.
	Filter retrieval.Filter
}

// DefaultMinEvidence was calibrated on the development set (see
// docs/BENCHMARKS.md), counting a wrong abstention as an error just like a
// wrong answer. Lexical evidence does not separate the set's unanswerable
// questions from its answerable ones (their coverage ranges overlap almost
// completely: 0.29–0.58 against 0.16–0.87), so every higher threshold costs
// more wrong abstentions than it saves; 0.15 abstains only when the best
// passage shares (almost) nothing informative with the question. Reliable
// abstention on near-miss questions needs the language model's check.
const DefaultMinEvidence = 0.15

// Searcher finds passages.
type Searcher interface {
	Search(ctx context.Context, q retrieval.Query) (*retrieval.Result, error)
}

// Answerer builds extractive answers.
type Answerer struct {
	search   Searcher
	analyzer *analyze.Analyzer
	opts     Options
}

// New returns an Answerer.
func New(s Searcher, a *analyze.Analyzer, opts Options) *Answerer {
	if opts.Passages <= 0 {
		opts.Passages = 6
	}
	if opts.MaxSentences <= 0 {
		opts.MaxSentences = 4
	}
	if opts.MinEvidence <= 0 {
		opts.MinEvidence = DefaultMinEvidence
	}
	return &Answerer{search: s, analyzer: a, opts: opts}
}

// questionWords are interrogatives and fillers that say what kind of answer
// is wanted, not what it is about; they do not count as evidence.
var questionWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`vad vilken vilket vilka hur när var varför vem vems många mycket
		finns gäller enligt beskriv beskrivs ange anger säger kan ska skall får what which how when why who`) {
		questionWords[analyze.Stem(w)] = true
	}
}

type candidate struct {
	hit      int // hit index
	span     sentence.Span
	text     string
	coverage float64
	score    float64
	terms    map[string]bool
}

// Answer answers question from the sources.
func (a *Answerer) Answer(ctx context.Context, question string) (*imyrag.Answer, error) {
	res, err := a.search.Search(ctx, retrieval.Query{Text: question, Limit: a.opts.Passages, Filter: a.opts.Filter, PerDoc: 3})
	if err != nil {
		return nil, err
	}
	return a.FromResult(question, res), nil
}

// FromResult answers question from a search result the caller already has
// (the generative answerer's hybrid search, say): the same sentence choice,
// evidence and abstention as Answer.
func (a *Answerer) FromResult(question string, res *retrieval.Result) *imyrag.Answer {
	ans := &imyrag.Answer{Question: question, Mode: "extractive", Sentences: []imyrag.Sentence{}, Sources: []imyrag.Source{}}
	// The informative query terms and their weights, in query order so
	// that sums are computed the same way every time.
	var qterms []string
	var qweights []float64
	var total float64
	have := map[string]bool{}
	for i, t := range res.Terms {
		if questionWords[t] || have[t] || res.IDF[i] <= 0 {
			continue
		}
		have[t] = true
		qterms = append(qterms, t)
		qweights = append(qweights, res.IDF[i])
		total += res.IDF[i]
	}
	if len(res.Hits) == 0 || total == 0 {
		return abstain(ans, reasonFor(res))
	}
	cover := func(terms map[string]bool) float64 {
		var got float64
		for i, t := range qterms {
			if terms[t] {
				got += qweights[i]
			}
		}
		return min(got/total, 1)
	}
	// Score every sentence of every passage.
	var cands []candidate
	seen := map[string]bool{}
	for hi, h := range res.Hits {
		prior := 1 / (1 + 0.15*float64(hi))
		for _, sp := range sentence.Split(h.Chunk.Text) {
			text := strings.TrimLeft(h.Chunk.Text[sp.Start:sp.End], "•◦▪–- ")
			if seen[text] || len(strings.Fields(text)) < 4 || strings.HasSuffix(text, "?") || isHeading(text, h.Chunk.HeadingPath) || isTitleLike(text) {
				continue // repeats (chunks overlap), fragments, questions, headings and agenda lines answer nothing
			}
			seen[text] = true
			terms := setOf(a.analyzer.Terms(text))
			c := cover(terms)
			cands = append(cands, candidate{hit: hi, span: sp, text: text, coverage: c, score: c * prior, terms: terms})
		}
	}
	// Evidence: the best coverage by one sentence or two adjacent ones.
	ans.Evidence = evidence(cands, cover)
	if ans.Evidence < a.opts.MinEvidence {
		return abstain(ans, fmt.Sprintf("den bästa passagen täcker %.0f %% av frågans informativa ord; %.0f %% behövs",
			100*ans.Evidence, 100*a.opts.MinEvidence))
	}
	picked := pick(cands, a.opts.MaxSentences)
	// Readable order: by passage rank, then by position in the passage.
	sort.SliceStable(picked, func(i, j int) bool {
		if picked[i].hit != picked[j].hit {
			return picked[i].hit < picked[j].hit
		}
		return picked[i].span.Start < picked[j].span.Start
	})
	picked = withLists(picked, res.Hits, a.opts.MaxSentences+maxListItems, a.analyzer, cover)
	num := map[int]int{}
	var text strings.Builder
	var prev string
	for _, c := range picked {
		n, ok := num[c.hit]
		if !ok {
			n = len(ans.Sources) + 1
			num[c.hit] = n
			ans.Sources = append(ans.Sources, Source(n, res.Hits[c.hit]))
		}
		ans.Sentences = append(ans.Sentences, imyrag.Sentence{Text: c.text, Citations: []int{n}, Supported: true, Support: c.coverage})
		if text.Len() > 0 {
			// A quotation that does not end a sentence (a list item, a
			// heading-like line) gets a line of its own rather than
			// running into the next one.
			text.WriteByte(separator(prev))
		}
		fmt.Fprintf(&text, "%s [%d]", c.text, n)
		prev = c.text
	}
	ans.Text = text.String()
	return ans
}

// isTitleLike reports a short line without closing punctuation: an agenda
// item or slide title rather than a statement.
func isTitleLike(text string) bool {
	if len(strings.Fields(text)) >= 8 {
		return false
	}
	r := text[len(text)-1]
	return !strings.ContainsRune(".!:;,)", rune(r))
}

func isHeading(text string, path []string) bool {
	for _, h := range path {
		if strings.TrimSpace(h) == text {
			return true
		}
	}
	return false
}

// withLists follows a picked sentence that introduces a list ("…
// följande förutsättningar:") with the list's items from the same passage,
// so that a list question gets the whole list. At most limit sentences in all.
func withLists(picked []candidate, hits []retrieval.Hit, limit int, an *analyze.Analyzer, cover func(map[string]bool) float64) []candidate {
	var out []candidate
	have := map[string]bool{}
	for _, c := range picked {
		have[c.text] = true
	}
	for _, c := range picked {
		out = append(out, c)
		if !strings.HasSuffix(c.text, ":") {
			continue
		}
		chunk := hits[c.hit].Chunk.Text
		rest := chunk[c.span.End:]
		for _, sp := range sentence.Split(rest) {
			item := strings.TrimSpace(rest[sp.Start:sp.End])
			if !isListItem(item) || len(out) >= limit {
				break
			}
			t := strings.TrimLeft(item, "•◦▪–- ")
			if have[t] {
				continue
			}
			have[t] = true
			cv := cover(setOf(an.Terms(t)))
			out = append(out, candidate{hit: c.hit, span: sentence.Span{Start: c.span.End + sp.Start, End: c.span.End + sp.End},
				text: t, coverage: cv, score: c.score})
		}
	}
	return out
}

// isListItem reports a bullet or numbered list item.
func isListItem(s string) bool {
	if strings.HasPrefix(s, "•") || strings.HasPrefix(s, "◦") || strings.HasPrefix(s, "- ") || strings.HasPrefix(s, "– ") {
		return true
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i > 0 && i < len(s)-1 && (s[i] == '.' || s[i] == ')') && s[i+1] == ' '
}

func reasonFor(res *retrieval.Result) string {
	if res.Reason != "" {
		return res.Reason
	}
	return "ingen passage stämmer med frågan"
}

// separator is what follows a quoted sentence in an answer's text: a space
// after a sentence that ends (. ! ? : ; …, also before a closing quote or
// bracket), a newline after one that does not.
func separator(sentence string) byte {
	t := strings.TrimRight(sentence, " \t\"'”’»)]")
	if r, _ := utf8.DecodeLastRuneInString(t); strings.ContainsRune(".!?:;…", r) {
		return ' '
	}
	return '\n'
}

func abstain(ans *imyrag.Answer, reason string) *imyrag.Answer {
	ans.Abstained = true
	ans.Text = AbstainMessage
	ans.Reason = reason
	ans.Sentences = []imyrag.Sentence{}
	ans.Sources = []imyrag.Source{}
	return ans
}

// evidence is the best coverage of the question by one sentence or by two
// adjacent sentences of the same passage.
func evidence(cands []candidate, cover func(map[string]bool) float64) float64 {
	best := 0.0
	for i, c := range cands {
		best = max(best, c.coverage)
		if i+1 < len(cands) && cands[i+1].hit == c.hit {
			both := map[string]bool{}
			for t := range c.terms {
				both[t] = true
			}
			for t := range cands[i+1].terms {
				both[t] = true
			}
			best = max(best, cover(both))
		}
	}
	return best
}

// pick chooses up to n sentences by score, skipping near-duplicates and
// sentences much weaker than the best.
func pick(cands []candidate, n int) []candidate {
	order := make([]int, len(cands))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return cands[order[i]].score > cands[order[j]].score })
	var out []candidate
	if len(order) == 0 {
		return out
	}
	best := cands[order[0]].score
	for _, i := range order {
		c := cands[i]
		if len(out) == n || c.score < 0.5*best || c.coverage == 0 {
			break
		}
		dup := false
		for _, o := range out {
			if jaccard(o.terms, c.terms) > 0.7 {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c)
		}
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	union := len(a) + len(b) - inter
	if union == 0 {
		return 0
	}
	return float64(inter) / float64(union)
}

func setOf(terms []string) map[string]bool {
	m := make(map[string]bool, len(terms))
	for _, t := range terms {
		m[t] = true
	}
	return m
}

// Source describes hit h as the source numbered n of an answer.
func Source(n int, h retrieval.Hit) imyrag.Source {
	c := h.Chunk
	return imyrag.Source{N: n, ChunkID: c.ID, DocID: c.DocID, Title: h.Document.Title, Kind: h.Document.Kind,
		Date: h.Document.Date, HeadingPath: c.HeadingPath, PageStart: c.PageStart, PageEnd: c.PageEnd,
		Start: c.Start, End: c.End, Quote: c.Text}
}
