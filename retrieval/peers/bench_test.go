package peers

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchCorpora lists the corpora to benchmark: IMYRAG_BENCH_CORPORA,
// comma-separated, default "bundled,10k,100k".
func benchCorpora() []string {
	if v := os.Getenv("IMYRAG_BENCH_CORPORA"); v != "" {
		return strings.Split(v, ",")
	}
	return []string{"bundled", "10k", "100k"}
}

// benchQueries is the number of queries in one timed pass:
// IMYRAG_BENCH_QUERIES, default 500.
func benchQueries(b *testing.B) int {
	n := 500
	if v := os.Getenv("IMYRAG_BENCH_QUERIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("IMYRAG_BENCH_QUERIES=%q: want a positive number", v)
		}
	}
	return n
}

// BenchmarkSearch measures search latency of each engine on each corpus,
// with one client and with four concurrent clients. One iteration is a pass
// of IMYRAG_BENCH_QUERIES queries (default 500: the development questions,
// and for generated corpora queries drawn from the corpus vocabulary, cycled)
// split between the clients; p50/p95/p99 are over every query of every
// pass, qps is queries per second of the pass. ns/op is per query. Index
// build cost and memory are reported on the clients=1 line.
//
// Every corpus is built once per process (generate, ingest, then each
// engine's index), which takes under a minute at 100,000 chunks;
// -benchtime 1x runs one pass per configuration (FTS5's two passes at
// 100,000 chunks take about 2.5 minutes).
func BenchmarkSearch(b *testing.B) {
	for _, name := range benchCorpora() {
		b.Run("corpus="+name, func(b *testing.B) {
			c := getCorpus(b, name)
			for _, engine := range engineNames {
				b.Run("engine="+engine, func(b *testing.B) {
					for _, clients := range []int{1, 4} {
						b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
							benchSearch(b, c, engine, clients)
						})
					}
				})
			}
		})
	}
}

func benchSearch(b *testing.B, c *corpusData, engine string, clients int) {
	ctx := context.Background()
	e := c.engines[engine]
	n := benchQueries(b)
	qs := make([]string, n)
	for i := range qs {
		qs[i] = c.queries[i%len(c.queries)]
	}
	// Warm up: every distinct query once, untimed.
	for _, q := range c.queries {
		if _, err := e.search(ctx, q); err != nil {
			b.Fatalf("%q: %v", q, err)
		}
	}
	var lat []time.Duration
	var busy time.Duration
	for b.Loop() {
		per := make([][]time.Duration, clients)
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		t0 := time.Now()
		for w := range clients {
			wg.Go(func() {
				for i := w; i < n; i += clients {
					s := time.Now()
					if _, err := e.search(ctx, qs[i]); err != nil {
						errs <- err
						return
					}
					per[w] = append(per[w], time.Since(s))
				}
			})
		}
		wg.Wait()
		busy += time.Since(t0)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		for _, p := range per {
			lat = append(lat, p...)
		}
	}
	slices.Sort(lat)
	ms := func(q float64) float64 {
		i := max(int(math.Ceil(q*float64(len(lat))))-1, 0)
		return float64(lat[i]) / 1e6
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(len(lat)), "ns/op")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.95), "p95-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
	b.ReportMetric(float64(len(lat))/busy.Seconds(), "qps")
	if clients == 1 {
		st := c.build[engine]
		b.ReportMetric(float64(len(c.chunks)), "chunks")
		b.ReportMetric(st.dur.Seconds(), "build-s")
		b.ReportMetric(st.heapMB, "index-heap-MB")
		b.ReportMetric(st.rssMB, "index-RSS-MB")
		b.ReportMetric(st.diskMB, "disk-MB")
		if engine == "bleve" {
			b.ReportMetric(float64(st.segs), "segments")
		}
	}
}
