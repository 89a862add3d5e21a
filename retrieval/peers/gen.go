// Package peers holds benchmark-only code: a generator of Swedish-like
// corpora and queries built from the bundled corpus, shared by the ingest
// benchmarks (ingest/bench_test.go) and by this package's benchmarks, which
// compare our search engine with two peers, SQLite FTS5 and bleve, on the
// same chunks and queries. Nothing in the product imports it.
//
// The generated text is made of the bundled corpus's own sentences with 30 %
// of their words replaced by words drawn from the corpus (so word
// frequencies stay Zipf-like), plus made-up Swedish compounds and legal
// identifiers (1.5 % and 0.5 % of words) so that the vocabulary keeps
// growing with the corpus as a real one does: by Heaps' law (V ≈ K·n^0.5)
// about 1 % of the words late in an 18-million-word corpus are new ones.
// Files have numbered headings and lines wrapped at ~85 columns, like text
// extracted from a PDF. Everything is deterministic for a seed.
package peers

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/imy/imyrag/corpus"
)

// BytesPerChunk is the measured average of generated source bytes per chunk
// with the default chunk sizes (calibrated with BenchmarkIngestGenerated;
// re-measure it when the chunker changes).
const BytesPerChunk = 1015

// vocab is the material the generator draws from.
type vocab struct {
	sentences [][]string // corpus sentences as words (with punctuation)
	words     []string   // every word occurrence, for frequency-weighted draws
	long      []string   // distinct words of ≥ 7 letters, compound parts
	headings  []string   // short noun phrases for headings
}

var (
	vocabOnce sync.Once
	theVocab  *vocab
)

func loadVocab() *vocab {
	vocabOnce.Do(func() {
		v := &vocab{}
		seenLong := map[string]bool{}
		for _, f := range corpus.Files() {
			// De-wrap: the bundled files are PDF text with one line per
			// printed line and blank lines between them.
			text := strings.Join(strings.Fields(string(f.Data)), " ")
			for _, s := range splitSentences(text) {
				ws := strings.Fields(s)
				if len(ws) < 5 || len(ws) > 60 {
					continue
				}
				v.sentences = append(v.sentences, ws)
				for _, w := range ws {
					v.words = append(v.words, w)
					bare := strings.ToLower(strings.TrimFunc(w, notLetter))
					if utf8.RuneCountInString(bare) >= 7 && isLetters(bare) && !seenLong[bare] {
						seenLong[bare] = true
						v.long = append(v.long, bare)
					}
				}
				if len(ws) >= 6 {
					v.headings = append(v.headings, strings.Join(ws[:2+len(ws)%3], " "))
				}
			}
		}
		theVocab = v
	})
	return theVocab
}

// splitSentences cuts de-wrapped text after ". ", "? " or "! " followed by
// an upper-case letter or a digit.
func splitSentences(text string) []string {
	var out []string
	start := 0
	for i := 0; i+2 < len(text); i++ {
		c := text[i]
		if (c == '.' || c == '?' || c == '!') && text[i+1] == ' ' {
			r, _ := utf8.DecodeRuneInString(text[i+2:])
			if unicode.IsUpper(r) || unicode.IsDigit(r) {
				out = append(out, strings.TrimSpace(text[start:i+1]))
				start = i + 2
			}
		}
	}
	if start < len(text) {
		out = append(out, strings.TrimSpace(text[start:]))
	}
	return out
}

func notLetter(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// sentence writes one generated sentence.
func (v *vocab) sentence(r *rand.Rand, b *bytes.Buffer) {
	src := v.sentences[r.IntN(len(v.sentences))]
	for i, w := range src {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch p := r.Float64(); {
		case i == 0 || i == len(src)-1:
			// keep the sentence's first and last word: capital and full stop
		case p < 0.30:
			w = strings.TrimFunc(v.words[r.IntN(len(v.words))], notLetter)
			if w == "" {
				w = "och"
			}
			w = strings.ToLower(w)
		case p < 0.315:
			a, c := v.long[r.IntN(len(v.long))], v.long[r.IntN(len(v.long))]
			w = a + "s" + c // a Swedish-style compound, almost always new
		case p < 0.32:
			w = v.identifier(r)
		}
		b.WriteString(w)
	}
}

// identifier returns a diarienummer, SFS number or article reference.
func (v *vocab) identifier(r *rand.Rand) string {
	switch r.IntN(3) {
	case 0:
		return fmt.Sprintf("DI-%d-%d", 2018+r.IntN(8), 1000+r.IntN(9000))
	case 1:
		return fmt.Sprintf("SFS %d:%d", 1990+r.IntN(35), 1+r.IntN(1200))
	default:
		return fmt.Sprintf("artikel %d.%d", 1+r.IntN(99), 1+r.IntN(4))
	}
}

// File returns generated document i of a corpus: 20–60 KB of numbered
// sections of paragraphs, lines wrapped at about 85 columns.
func File(seed uint64, i int) []byte {
	v := loadVocab()
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	size := 20<<10 + r.IntN(40<<10)
	var out, para bytes.Buffer
	title := v.headings[r.IntN(len(v.headings))]
	fmt.Fprintf(&out, "%s – dokument %d\n\n", capitalize(title), i)
	section := 0
	for out.Len() < size {
		section++
		fmt.Fprintf(&out, "%d. %s\n\n", section, capitalize(v.headings[r.IntN(len(v.headings))]))
		for range 2 + r.IntN(5) {
			para.Reset()
			for range 2 + r.IntN(6) {
				if para.Len() > 0 {
					para.WriteByte(' ')
				}
				v.sentence(r, &para)
			}
			wrap(&out, para.String(), 85)
			out.WriteString("\n\n")
		}
	}
	return out.Bytes()
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// wrap writes s in lines of at most width bytes, breaking at spaces.
func wrap(out *bytes.Buffer, s string, width int) {
	line := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(w) > width {
				out.WriteByte('\n')
				line = 0
			} else {
				out.WriteByte(' ')
				line++
			}
		}
		out.WriteString(w)
		line += len(w)
	}
}

// FilesFor returns how many generated files make about chunks chunks.
func FilesFor(chunks int) int {
	const avgFile = 43 << 10 // measured mean of a generated file
	return max(1, (chunks*BytesPerChunk+avgFile/2)/avgFile)
}

// WriteCorpus writes files generated documents (gen-00000.txt, …) into dir
// and returns the bytes written.
func WriteCorpus(dir string, seed uint64, files int) (int64, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	var total int64
	for i := range files {
		data := File(seed, i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("gen-%05d.txt", i)), data, 0o644); err != nil {
			return total, err
		}
		total += int64(len(data))
	}
	return total, nil
}

// Queries returns n generated queries drawn from the corpus vocabulary: half
// are keyword queries (3–6 consecutive words of a corpus sentence), half
// questions wrapping such words ("Vad gäller för …?").
func Queries(seed uint64, n int) []string {
	v := loadVocab()
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	lead := []string{"Vad gäller för", "Hur ser IMY på", "Vad säger dokumenten om", "När krävs", "Vilka krav finns på"}
	out := make([]string, 0, n)
	for len(out) < n {
		s := v.sentences[r.IntN(len(v.sentences))]
		k := 3 + r.IntN(4)
		if len(s) < k {
			continue
		}
		at := r.IntN(len(s) - k + 1)
		ws := make([]string, 0, k)
		for _, w := range s[at : at+k] {
			if w = strings.TrimFunc(w, notLetter); w != "" {
				ws = append(ws, strings.ToLower(w))
			}
		}
		if len(ws) < 2 {
			continue
		}
		q := strings.Join(ws, " ")
		if r.IntN(2) == 0 {
			q = lead[r.IntN(len(lead))] + " " + q + "?"
		}
		out = append(out, q)
	}
	return out
}
