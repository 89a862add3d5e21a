package server

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are kept in memory and written in Prometheus' text format by
// hand: a handful of counters, one histogram family and two gauges do not
// need a client library.
type metrics struct {
	mu       sync.Mutex
	requests map[reqKey]uint64
	latency  map[string]*histogram

	tokens      atomic.Uint64 // answer pieces streamed to clients
	answers     [2]atomic.Uint64
	abstained   atomic.Uint64
	unsupported atomic.Uint64
	rejected    atomic.Uint64 // 429s from the gate
}

type reqKey struct {
	route string
	code  int
}

// buckets are the latency histogram's upper bounds, in seconds: search
// takes milliseconds, a generated answer seconds to minutes.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[reqKey]uint64{}, latency: map[string]*histogram{}}
}

func (m *metrics) request(route string, code int, took time.Duration) {
	sec := took.Seconds()
	i := sort.SearchFloat64s(buckets, sec)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[reqKey{route, code}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets)+1)}
		m.latency[route] = h
	}
	h.counts[i]++
	h.sum += sec
	h.n++
}

// write writes every metric; the gate's gauges are read now.
func (m *metrics) write(w io.Writer, g *gate) {
	m.mu.Lock()
	keys := make([]reqKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].code < keys[j].code
	})
	fmt.Fprintln(w, "# HELP imyrag_http_requests_total HTTP requests by route and status code.")
	fmt.Fprintln(w, "# TYPE imyrag_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "imyrag_http_requests_total{route=%s,code=\"%d\"} %d\n", quote(k.route), k.code, m.requests[k])
	}
	routes := make([]string, 0, len(m.latency))
	for r := range m.latency {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	fmt.Fprintln(w, "# HELP imyrag_http_request_duration_seconds Time to serve a request, by route.")
	fmt.Fprintln(w, "# TYPE imyrag_http_request_duration_seconds histogram")
	for _, r := range routes {
		h := m.latency[r]
		var cum uint64
		for i, b := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "imyrag_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", quote(r), strconv.FormatFloat(b, 'g', -1, 64), cum)
		}
		cum += h.counts[len(buckets)]
		fmt.Fprintf(w, "imyrag_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", quote(r), cum)
		fmt.Fprintf(w, "imyrag_http_request_duration_seconds_sum{route=%s} %g\n", quote(r), h.sum)
		fmt.Fprintf(w, "imyrag_http_request_duration_seconds_count{route=%s} %d\n", quote(r), h.n)
	}
	m.mu.Unlock()

	counter := func(name, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v int) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	fmt.Fprintln(w, "# HELP imyrag_answers_total Answers given, by mode.")
	fmt.Fprintln(w, "# TYPE imyrag_answers_total counter")
	fmt.Fprintf(w, "imyrag_answers_total{mode=\"extractive\"} %d\n", m.answers[0].Load())
	fmt.Fprintf(w, "imyrag_answers_total{mode=\"generative\"} %d\n", m.answers[1].Load())
	counter("imyrag_tokens_streamed_total", "Pieces of answer text streamed from the language model to clients.", m.tokens.Load())
	counter("imyrag_abstentions_total", "Answers that abstained: the sources did not support an answer.", m.abstained.Load())
	counter("imyrag_unsupported_sentences_total", "Answer sentences flagged as not supported by the sources they cite.", m.unsupported.Load())
	counter("imyrag_generations_rejected_total", "Questions refused with 429 because the generation queue was full.", m.rejected.Load())
	gauge("imyrag_generations_in_flight", "Answers being generated now.", g.inFlight())
	gauge("imyrag_generations_queued", "Answers waiting for a generation slot.", g.queued())
}

// quote quotes a label value (Prometheus escapes \, " and newline).
func quote(s string) string { return strconv.Quote(s) }

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w, s.gate)
	return nil
}
