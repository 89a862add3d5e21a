package peers

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/eval"
	"github.com/imy/imyrag/ingest"
	"github.com/imy/imyrag/retrieval/store/local"
)

var printTable = flag.Bool("table", false, "print the quality table (Markdown) on stdout")

// tmpRoot holds every corpus and index this process builds; corpora are
// built once per process and shared by the tests and benchmarks.
var tmpRoot string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "imyrag-peers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	closeCorpora()
	os.RemoveAll(dir)
	os.Exit(code)
}

// engineNames are the engines compared, in report order.
var engineNames = []string{"imyrag", "fts5", "bleve"}

// buildStat is what building one engine's index cost.
type buildStat struct {
	dur    time.Duration
	heapMB float64 // Go heap in use after minus before (after a GC)
	rssMB  float64 // resident set after minus before, freed memory returned to the OS first
	diskMB float64 // files of the index (0 for ours: it is derived in memory from the store)
	segs   uint64  // bleve: file segments after merging
}

// corpusData is one corpus ingested into our store, with every engine built
// over its chunks.
type corpusData struct {
	name      string
	store     *local.Store
	chunks    []imyrag.Chunk // chunk number → chunk
	queries   []string       // the latency query set
	engines   map[string]searcher
	build     map[string]buildStat
	srcBytes  int64
	ingestDur time.Duration
}

// residentAfterGC returns the resident set after returning freed memory to
// the OS, so that a difference of two counts what is still in use: Go heap,
// SQLite's own allocations, touched pages of mapped files (bleve).
func residentAfterGC() int64 {
	debug.FreeOSMemory()
	return ProcStatus("VmRSS")
}

type corpusOnce struct {
	once sync.Once
	c    *corpusData
	err  error
}

var (
	corporaMu sync.Mutex
	corpora   = map[string]*corpusOnce{}
)

// corpusSize returns the chunks to generate for a corpus name ("10k",
// "100k"), or 0 for "bundled".
func corpusSize(name string) (int, error) {
	if name == "bundled" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(name, "k"))
	if err != nil || !strings.HasSuffix(name, "k") || n <= 0 {
		return 0, fmt.Errorf("corpus %q: want bundled or a size like 10k", name)
	}
	return n * 1000, nil
}

// getCorpus builds (once per process) and returns a corpus.
func getCorpus(tb testing.TB, name string) *corpusData {
	tb.Helper()
	corporaMu.Lock()
	co, ok := corpora[name]
	if !ok {
		co = &corpusOnce{}
		corpora[name] = co
	}
	corporaMu.Unlock()
	co.once.Do(func() { co.c, co.err = buildCorpus(context.Background(), name) })
	if co.err != nil {
		tb.Fatal(co.err)
	}
	return co.c
}

func closeCorpora() {
	for _, co := range corpora {
		if co.c == nil {
			continue
		}
		for _, e := range co.c.engines {
			e.close()
		}
		co.c.store.Close()
	}
}

// devItems loads the development set.
func devItems() ([]eval.Item, error) {
	f, err := os.Open(filepath.Join("..", "..", "eval", "testdata", "dev.jsonl"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return eval.Load(f)
}

func buildCorpus(ctx context.Context, name string) (*corpusData, error) {
	n, err := corpusSize(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmpRoot, name)
	c := &corpusData{name: name, engines: map[string]searcher{}, build: map[string]buildStat{}}
	var srcs []ingest.Source
	if n == 0 {
		srcs = ingest.Bundled()
		for _, s := range srcs {
			c.srcBytes += int64(len(s.Data))
		}
	} else {
		if c.srcBytes, err = WriteCorpus(filepath.Join(dir, "src"), 1, FilesFor(n)); err != nil {
			return nil, err
		}
		var fails []ingest.Failure
		if srcs, fails = ingest.Discover([]string{filepath.Join(dir, "src")}); len(fails) > 0 {
			return nil, fmt.Errorf("discover: %v", fails)
		}
	}
	if c.store, err = local.Open(ctx, filepath.Join(dir, "index.db")); err != nil {
		return nil, err
	}
	p, err := ingest.New(ctx, c.store, ingest.Options{Workers: 2})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := p.Run(ctx, srcs)
	p.Close()
	if err != nil {
		return nil, err
	}
	if len(res.Failed) > 0 {
		return nil, fmt.Errorf("ingest %s: %s: %s", name, res.Failed[0].Source, res.Failed[0].Reason)
	}
	c.ingestDur = time.Since(start)

	docs, err := c.store.Documents(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for _, d := range docs {
		cs, err := c.store.Chunks(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		for _, ch := range cs {
			byID[ch.ID] = len(c.chunks)
			c.chunks = append(c.chunks, ch)
		}
	}
	texts := make([]string, len(c.chunks))
	for i, ch := range c.chunks {
		texts[i] = ch.Text
	}

	measure := func(engine, path string, build func() (searcher, error)) error {
		heap0, rss0 := HeapInuse(), residentAfterGC()
		t0 := time.Now()
		s, err := build()
		if err != nil {
			return fmt.Errorf("%s on %s: %w", engine, name, err)
		}
		st := buildStat{dur: time.Since(t0)}
		st.heapMB = float64(int64(HeapInuse())-int64(heap0)) / 1e6
		st.rssMB = float64(residentAfterGC()-rss0) / 1e6
		if path != "" {
			st.diskMB = float64(dirSize(path)) / 1e6
		}
		if bl, ok := s.(*bleveIdx); ok {
			st.segs = bl.segments()
		}
		c.engines[engine], c.build[engine] = s, st
		return nil
	}
	if err := measure("imyrag", "", func() (searcher, error) { return newOurs(ctx, c.store, byID) }); err != nil {
		return nil, err
	}
	ftsPath := filepath.Join(dir, "fts5.db")
	if err := measure("fts5", ftsPath, func() (searcher, error) { return newFTS5(ctx, ftsPath, texts) }); err != nil {
		return nil, err
	}
	blevePath := filepath.Join(dir, "bleve")
	if err := measure("bleve", blevePath, func() (searcher, error) { return newBleve(ctx, blevePath, texts) }); err != nil {
		return nil, err
	}

	items, err := devItems()
	if err != nil {
		return nil, err
	}
	var qs []string
	for _, it := range items {
		qs = append(qs, it.Question)
	}
	if n > 0 {
		qs = append(qs, Queries(7, 512-len(qs))...)
	}
	c.queries = qs
	return c, nil
}
