package server

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// loadResult is what a load run saw.
type loadResult struct {
	n       int
	codes   map[int]int
	errs    []error
	took    time.Duration
	lat     []time.Duration // of the 200s, sorted
	noRetry int             // 429s without Retry-After
}

func (r loadResult) perSecond() float64 { return float64(r.n) / r.took.Seconds() }

func (r loadResult) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests in %v (%.0f/s), codes %v, p50 %v, p95 %v, errors %d",
		r.n, r.took.Round(time.Millisecond), r.perSecond(), r.codes, r.pct(0.5), r.pct(0.95), len(r.errs))
}

// load sends n requests from conc clients at once, each made by mk, and
// reads every body to the end.
func load(c *http.Client, n, conc int, mk func(i int) *http.Request) loadResult {
	var (
		mu   sync.Mutex
		res  = loadResult{n: n, codes: map[int]int{}}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				r, err := c.Do(mk(i))
				if err == nil {
					_, err = io.Copy(io.Discard, r.Body)
					r.Body.Close()
				}
				took := time.Since(t0)
				mu.Lock()
				if err != nil {
					res.errs = append(res.errs, err)
				} else {
					res.codes[r.StatusCode]++
					if r.StatusCode == 200 {
						res.lat = append(res.lat, took)
					}
					if r.StatusCode == 429 && r.Header.Get("Retry-After") == "" {
						res.noRetry++
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	slices.Sort(res.lat)
	return res
}

func askLoad(base, question string) func(int) *http.Request {
	return func(int) *http.Request {
		r, _ := http.NewRequest("POST", base+"/api/ask", strings.NewReader(`{"question": "`+question+`"}`))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
}

func getRequest(url string) func(int) *http.Request {
	return func(int) *http.Request {
		r, _ := http.NewRequest("GET", url, nil)
		return r
	}
}

// checkDrained closes the client's idle connections and waits until the
// server has no open connection and the goroutines are back to before.
func checkDrained(t *testing.T, s *Server, tr *http.Transport, before int) {
	t.Helper()
	tr.CloseIdleConnections()
	waitFor(t, "the server's connections to close", func() bool { return s.OpenConns() == 0 })
	settle(t, before)
}

// 500 extractive answers and 500 searches, 32 at a time: all succeed, and
// afterwards no connection or goroutine is left.
func TestLoadExtractive(t *testing.T) {
	s := newServer(t, Config{}, extractiveDeps(t))
	base := serve(t, s)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c := &http.Client{Transport: tr, Timeout: time.Minute}
	warm(t, c, base)
	tr.CloseIdleConnections()
	waitFor(t, "no connections", func() bool { return s.OpenConns() == 0 })
	before := runtime.NumGoroutine()

	for name, mk := range map[string]func(int) *http.Request{
		"ask":    askLoad(base, "Vilka förutsättningar gäller för att delta i sandlådan?"),
		"search": getRequest(base + "/api/search?q=regulatorisk+sandl%C3%A5da&k=10"),
	} {
		res := load(c, 500, 32, mk)
		t.Logf("%s: %v", name, res)
		if len(res.errs) > 0 || res.codes[200] != 500 {
			t.Errorf("%s: %v; first error %v", name, res, append(res.errs, nil)[0])
		}
	}
	checkDrained(t, s, tr, before)
}
