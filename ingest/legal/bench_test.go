package legal

import (
	"strings"
	"testing"
)

// BenchmarkExtract runs Extract over the bundled corpus repeated to about
// 10 MB, as one text and as chunks of about 1,500 bytes (the chunker's
// size).
func BenchmarkExtract(b *testing.B) {
	corpus := corpusText(b)
	text := strings.Repeat(corpus, 10<<20/len(corpus)+1)
	b.Run("whole", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			_ = Extract(text)
		}
	})
	var chunks []string
	for t := corpus; len(t) > 0; {
		n := min(1500, len(t))
		for n < len(t) && t[n] != ' ' {
			n++
		}
		chunks = append(chunks, t[:n])
		t = t[n:]
	}
	b.Run("chunks", func(b *testing.B) {
		b.SetBytes(int64(len(corpus)))
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range chunks {
				_ = Extract(c)
			}
		}
	})
	dense := strings.Repeat("Enligt artikel 6.1 e GDPR och 2 kap. 3 § lag (2018:218), se prop. 2017/18:105 s. 45 och beslut DI-2021-5817 den 28 mars 2023. ", 10000)
	b.Run("dense", func(b *testing.B) {
		b.SetBytes(int64(len(dense)))
		for b.Loop() {
			_ = Extract(dense)
		}
	})
}
