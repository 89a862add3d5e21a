package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// corpusText returns the bundled corpus (../../corpus/*.txt) as one string.
func corpusText(tb testing.TB) string {
	tb.Helper()
	files, err := filepath.Glob("../../corpus/*.txt")
	if err != nil || len(files) == 0 {
		tb.Skip("no corpus at ../../corpus")
	}
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(data)
		b.WriteByte('\n')
	}
	return b.String()
}

// chunks cuts text into pieces of about n bytes at spaces, like the chunker.
func chunks(text string, n int) []string {
	var out []string
	for len(text) > n {
		i := strings.IndexByte(text[n:], ' ')
		if i < 0 {
			break
		}
		out = append(out, text[:n+i])
		text = text[n+i:]
	}
	return append(out, text)
}

// BenchmarkTermFreqs analyzes the corpus chunk by chunk (1,500 bytes, about
// 350 tokens) with compound splitting, as ingest does. The first iteration
// fills the caches; b.N makes that negligible.
func BenchmarkTermFreqs(b *testing.B) {
	text := corpusText(b)
	cs := chunks(text, 1500)
	for _, bc := range []struct {
		name string
		lex  *Lexicon
	}{{"compounds", NewSwedishLexicon()}, {"nocompounds", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			a := New(Options{Lexicon: bc.lex})
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				for _, c := range cs {
					_ = a.TermFreqs(c)
				}
			}
		})
	}
}

// BenchmarkTermFreqsCold measures analysis with empty caches: every word is
// stemmed and split afresh (the worst case, a corpus of unseen words).
func BenchmarkTermFreqsCold(b *testing.B) {
	text := corpusText(b)
	lex := NewSwedishLexicon()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		lex.changed()
		a := New(Options{Lexicon: lex})
		_ = a.TermFreqs(text)
	}
}

// BenchmarkTermFreqsParallel runs TermFreqs from all cores on one Analyzer.
func BenchmarkTermFreqsParallel(b *testing.B) {
	text := corpusText(b)
	cs := chunks(text, 1500)
	a := New(Options{Lexicon: NewSwedishLexicon()})
	b.SetBytes(int64(len(text) / len(cs)))
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_ = a.TermFreqs(cs[i%len(cs)])
			i++
		}
	})
}

// BenchmarkLoadWordList measures parsing the embedded word list, which
// NewSwedishLexicon does once per process.
func BenchmarkLoadWordList(b *testing.B) {
	for b.Loop() {
		embeddedOnce = sync.Once{}
		embeddedWords()
	}
}
