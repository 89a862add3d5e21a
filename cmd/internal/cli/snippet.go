package cli

import (
	"strings"

	"github.com/imy/imyrag/retrieval/analyze"
)

// snippet returns the window of about width bytes of text that holds the
// most query terms, with matching words highlighted: bold on a terminal,
// *word* otherwise.
func snippet(text string, queryTerms []string, width int, tty bool) string {
	want := map[string]bool{}
	for _, t := range queryTerms {
		want[t] = true
	}
	a := analyze.Default()
	toks := a.Tokens(text)
	match := make([]bool, len(toks))
	for i, tok := range toks {
		for _, t := range a.Terms(tok.Text) {
			if want[t] {
				match[i] = true
				break
			}
		}
	}
	// Slide a window over the tokens; keep the start with most matches.
	bestStart, bestN, n, j := 0, -1, 0, 0
	for i := range toks {
		for j < len(toks) && toks[j].End-toks[i].Start <= width {
			if match[j] {
				n++
			}
			j++
		}
		if n > bestN {
			bestN, bestStart = n, i
		}
		if match[i] {
			n--
		}
	}
	start, end := 0, len(text)
	if len(toks) > 0 {
		start = toks[bestStart].Start
		end = start
		for k := bestStart; k < len(toks) && toks[k].End-start <= width; k++ {
			end = toks[k].End
		}
		if bestStart == 0 {
			start = 0
		}
	}
	var b strings.Builder
	if start > 0 {
		b.WriteString("…")
	}
	pos := start
	for i, tok := range toks {
		if tok.Start < start || tok.End > end || !match[i] {
			continue
		}
		b.WriteString(text[pos:tok.Start])
		if tty {
			b.WriteString("\033[1;33m" + text[tok.Start:tok.End] + "\033[0m")
		} else {
			b.WriteString("*" + text[tok.Start:tok.End] + "*")
		}
		pos = tok.End
	}
	b.WriteString(text[pos:end])
	if end < len(text) {
		b.WriteString("…")
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
