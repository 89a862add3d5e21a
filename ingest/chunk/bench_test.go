package chunk

import (
	"testing"

	"github.com/imy/imyrag/ingest/normalize"
)

// BenchmarkSplit splits the five corpus documents (normalized beforehand)
// and reports chunks/s and MB/s of document text on one core.
func BenchmarkSplit(b *testing.B) {
	c := mustChunker(b, Options{})
	docs, size := corpusDocs(b)
	b.SetBytes(int64(size))
	chunks := 0
	for b.Loop() {
		for _, d := range docs {
			chunks += len(c.Split("bench", d))
		}
	}
	b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkSplitColdCache is BenchmarkSplit with an empty piece cache for
// every pass: text whose words the process has not seen yet.
func BenchmarkSplitColdCache(b *testing.B) {
	c := mustChunker(b, Options{})
	docs, size := corpusDocs(b)
	b.SetBytes(int64(size))
	chunks := 0
	for b.Loop() {
		cold := *c
		cold.tok = &Tokenizer{enc: c.tok.enc}
		cold.tok.cache.init()
		for _, d := range docs {
			chunks += len(cold.Split("bench", d))
		}
	}
	b.ReportMetric(float64(chunks)/b.Elapsed().Seconds(), "chunks/s")
}

// BenchmarkSplitParallel is BenchmarkSplit on all cores (-cpu 2 for the
// ingest goal of 5,000 chunks/s on two).
func BenchmarkSplitParallel(b *testing.B) {
	c := mustChunker(b, Options{})
	docs, size := corpusDocs(b)
	per := 0
	for _, d := range docs {
		per += len(c.Split("bench", d))
	}
	b.SetBytes(int64(size))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for _, d := range docs {
				c.Split("bench", d)
			}
		}
	})
	b.ReportMetric(float64(per*b.N)/b.Elapsed().Seconds(), "chunks/s")
}

func corpusText(b *testing.B) string {
	s := ""
	for _, d := range loadCorpus(b) {
		s += d.text
	}
	return s
}

// BenchmarkCount counts the corpus with a warm piece cache.
func BenchmarkCount(b *testing.B) {
	tk := mustTokenizer(b)
	s := corpusText(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk.Count(s)
	}
}

// BenchmarkCountColdCache counts the corpus with an empty piece cache each
// time: the cost of text never seen before.
func BenchmarkCountColdCache(b *testing.B) {
	enc := mustTokenizer(b).enc
	s := corpusText(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk := &Tokenizer{enc: enc}
		tk.cache.init()
		tk.Count(s)
	}
}

// BenchmarkTiktokenEncode is the baseline: tiktoken-go encoding the corpus.
func BenchmarkTiktokenEncode(b *testing.B) {
	tk := mustTokenizer(b)
	s := corpusText(b)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		tk.Encode(s)
	}
}

// corpusDocs normalizes the bundled corpus for the benchmarks and returns
// the documents and their total size in bytes.
func corpusDocs(b *testing.B) ([]normalize.Document, int) {
	var docs []normalize.Document
	size := 0
	for _, d := range loadCorpus(b) {
		doc := normalizeText(d.text)
		docs = append(docs, doc)
		size += len(doc.Text)
	}
	return docs, size
}
