package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/peers"
	"github.com/imy/imyrag/retrieval/store/local"
)

// BenchmarkHTTP measures requests per second and latency of /api/search
// and extractive /api/ask over loopback HTTP, with 1, 8 and 32 clients at
// once, on the bundled corpus and a generated one (IMYRAG_BENCH_CORPORA,
// default "bundled,100k"; any "Nk" works). One pass is 500 requests,
// cycling through 500 questions: the development set's for the bundled
// corpus, generated ones for a generated corpus.
func BenchmarkHTTP(b *testing.B) {
	corpora := os.Getenv("IMYRAG_BENCH_CORPORA")
	if corpora == "" {
		corpora = "bundled,100k"
	}
	for _, name := range strings.Split(corpora, ",") {
		st, questions := benchCorpus(b, name)
		s := newServer(b, Config{}, Deps{Store: st, Engine: retrieval.NewEngine(st, analyze.Default(), retrieval.Options{}), Analyzer: analyze.Default()})
		base := serve(b, s)
		tr := &http.Transport{MaxIdleConnsPerHost: 64}
		c := &http.Client{Transport: tr, Timeout: time.Minute}
		warm(b, c, base)
		for _, ep := range []string{"search", "ask"} {
			for _, conc := range []int{1, 8, 32} {
				b.Run(fmt.Sprintf("corpus=%s/%s/clients=%d", name, ep, conc), func(b *testing.B) {
					mk := func(i int) *http.Request {
						q := questions[i%len(questions)]
						if ep == "search" {
							r, _ := http.NewRequest("GET", base+"/api/search?k=10&q="+url.QueryEscape(q), nil)
							return r
						}
						body, _ := json.Marshal(map[string]string{"question": q})
						r, _ := http.NewRequest("POST", base+"/api/ask", strings.NewReader(string(body)))
						r.Header.Set("Content-Type", "application/json")
						return r
					}
					var res loadResult
					for b.Loop() {
						res = load(c, 500, conc, mk)
					}
					if len(res.errs) > 0 || res.codes[200]+res.codes[400] != 500 {
						b.Fatalf("%v; first error %v", res, append(res.errs, nil)[0])
					}
					b.ReportMetric(res.perSecond(), "req/s")
					b.ReportMetric(float64(res.pct(0.5).Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(res.pct(0.95).Microseconds())/1000, "p95-ms")
					b.ReportMetric(0, "ns/op")
				})
			}
		}
		tr.CloseIdleConnections()
	}
}

// benchCorpus returns an index of the named corpus and questions for it.
func benchCorpus(b *testing.B, name string) (*local.Store, []string) {
	b.Helper()
	if name == "bundled" {
		f, err := os.Open(filepath.Join("..", "..", "..", "eval", "testdata", "dev.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		var qs []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var it struct{ Question string }
			if json.Unmarshal(sc.Bytes(), &it) == nil && it.Question != "" {
				qs = append(qs, it.Question)
			}
		}
		return bundledStore(b), qs
	}
	var n int
	if _, err := fmt.Sscanf(name, "%dk", &n); err != nil || n <= 0 {
		b.Fatalf("corpus %q: want bundled or a size like 100k", name)
	}
	dir := b.TempDir()
	ctx := context.Background()
	t0 := time.Now()
	if _, err := peers.WriteCorpus(filepath.Join(dir, "src"), 1, peers.FilesFor(n*1000)); err != nil {
		b.Fatal(err)
	}
	srcs, fails := ingest.Discover([]string{filepath.Join(dir, "src")})
	if len(fails) > 0 {
		b.Fatalf("discover: %v", fails)
	}
	st, err := local.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	p, err := ingest.New(ctx, st, ingest.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if res, err := p.Run(ctx, srcs); err != nil || len(res.Failed) > 0 {
		b.Fatalf("ingest: %v %v", err, res.Failed)
	}
	stats, _ := st.Stats(ctx)
	b.Logf("corpus %s: %d chunks, built in %v", name, stats.Chunks, time.Since(t0).Round(time.Second))
	return st, peers.Queries(1, 500)
}

// BenchmarkFirstToken measures, with the test Ollama server, the time from
// sending a streamed question to the first byte of the response (the
// "search" status event) and to the first token of the model's answer.
// The model is loaded by a first answer that is not measured.
func BenchmarkFirstToken(b *testing.B) {
	d, _ := ollamaDeps(b)
	s := newServer(b, Config{}, d)
	base := serve(b, s)
	c := &http.Client{}
	first := func() (time.Duration, time.Duration) {
		t0 := time.Now()
		res, err := c.Do(sseRequest(context.Background(), base, `{"question": "Vad är en regulatorisk sandlåda?"}`))
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		var firstByte, firstToken time.Duration
		br := bufio.NewReader(res.Body)
		if _, err := br.Peek(1); err != nil {
			b.Fatal(err)
		}
		firstByte = time.Since(t0)
		for ev := range readEvents(br, "") {
			if ev.name == "token" && firstToken == 0 {
				firstToken = time.Since(t0)
			}
			if ev.name == "error" {
				b.Fatalf("error event: %s", ev.data)
			}
		}
		return firstByte, firstToken
	}
	first() // loads the model
	var fb, ft time.Duration
	n := 0
	for b.Loop() {
		x, y := first()
		fb, ft, n = fb+x, ft+y, n+1
	}
	b.ReportMetric(float64(fb.Microseconds())/1000/float64(n), "first-byte-ms")
	b.ReportMetric(float64(ft.Microseconds())/1000/float64(n), "first-token-ms")
}
