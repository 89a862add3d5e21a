package analyze

import (
	"hash/maphash"
	"sync"
)

// cacheShards is the number of independently locked parts of a termCache. A
// power of two; enough that concurrent ingest workers rarely meet on a lock.
const cacheShards = 64

// termCache memoizes the analysis of one word: its terms and the lexicon
// generation they were computed under. It is bounded: a shard that grows past
// its share of the limit is emptied, which is cheap and keeps the words that
// recur most (they come straight back).
type termCache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]cacheEntry
	_  [40]byte // keep shards on separate cache lines
}

type cacheEntry struct {
	terms []string
	gen   uint64
}

func newTermCache(limit int) *termCache {
	c := &termCache{seed: maphash.MakeSeed(), perShard: max(limit/cacheShards, 16)}
	for i := range c.shards {
		c.shards[i].m = make(map[string]cacheEntry)
	}
	return c
}

func (c *termCache) shard(key []byte) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)&(cacheShards-1)]
}

// get returns the terms cached for key under generation gen. It does not
// allocate.
func (c *termCache) get(key []byte, gen uint64) ([]string, bool) {
	sh := c.shard(key)
	sh.mu.RLock()
	e, ok := sh.m[string(key)]
	sh.mu.RUnlock()
	if !ok || e.gen != gen {
		return nil, false
	}
	return e.terms, true
}

// put stores terms for key (copied). The terms slice must not be changed
// afterwards: it is handed out to every later caller.
func (c *termCache) put(key []byte, terms []string, gen uint64) {
	sh := c.shard(key)
	sh.mu.Lock()
	if len(sh.m) >= c.perShard {
		sh.m = make(map[string]cacheEntry, c.perShard/4)
	}
	sh.m[string(key)] = cacheEntry{terms: terms, gen: gen}
	sh.mu.Unlock()
}

// reset drops every entry.
func (c *termCache) reset() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.m = make(map[string]cacheEntry)
		sh.mu.Unlock()
	}
}
