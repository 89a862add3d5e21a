package chunk

import (
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Encoding is the tiktoken encoding chunk sizes are measured in.
const Encoding = "cl100k_base"

// Tokenizer counts cl100k_base tokens. It wraps tiktoken-go with the BPE table
// embedded in the binary (tiktoken-go-loader), so nothing is downloaded, and
// adds two things tiktoken-go lacks: a hand-written pre-tokenizer that splits
// text exactly as cl100k's regular expression does, several times faster than
// the regexp2 engine, and a cache of per-piece counts. A count is the sum of
// the BPE counts of the pieces, which is how tiktoken itself encodes.
//
// A Tokenizer is safe for concurrent use. There is one per process; get it
// with DefaultTokenizer.
type Tokenizer struct {
	enc   *tiktoken.Tiktoken
	cache pieceCache
}

var defaultTokenizer = sync.OnceValues(func() (*Tokenizer, error) {
	// The loader must be set before the first GetEncoding: tiktoken-go's
	// default loader fetches the table over HTTP.
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	enc, err := tiktoken.GetEncoding(Encoding)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", Encoding, err)
	}
	t := &Tokenizer{enc: enc}
	t.cache.init()
	return t, nil
})

// DefaultTokenizer returns the process-wide cl100k_base tokenizer, loading
// the embedded BPE table on first use (about 0.1 s). It never touches the
// network.
func DefaultTokenizer() (*Tokenizer, error) { return defaultTokenizer() }

// Count returns the number of cl100k_base tokens in s, using the process-wide
// tokenizer. It panics if the embedded BPE table cannot be loaded, which is a
// build defect rather than a runtime condition.
func Count(s string) int {
	t, err := DefaultTokenizer()
	if err != nil {
		panic(err)
	}
	return t.Count(s)
}

// Count returns the number of cl100k_base tokens in s: the length of
// tiktoken's encoding of s with no special tokens recognised.
func (t *Tokenizer) Count(s string) int {
	n := 0
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		n += t.pieceCount(s[i:j])
		i = j
	}
	return n
}

// Encode returns tiktoken's token ids for s, special tokens treated as text.
func (t *Tokenizer) Encode(s string) []int { return t.enc.EncodeOrdinary(s) }

// Decode returns the bytes of the tokens.
func (t *Tokenizer) Decode(tokens []int) string { return t.enc.Decode(tokens) }

// pieceCount returns the BPE count of one pre-tokenized piece.
func (t *Tokenizer) pieceCount(p string) int {
	if n, ok := t.cache.get(p); ok {
		return n
	}
	// A piece pre-tokenizes to itself, so encoding it alone gives its BPE.
	n := len(t.enc.EncodeOrdinary(p))
	t.cache.put(p, n)
	return n
}

// pieceCache is a bounded, sharded map from piece to token count. Swedish
// text repeats its words a lot, so most pieces are hits after a few pages.
type pieceCache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

const (
	cacheShards   = 64
	cacheShardCap = 1 << 14 // entries per shard; a full shard is cleared
	cacheMaxKey   = 64      // longer pieces are rare and not worth keeping
)

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]int32
	_  [32]byte // keep shards on separate cache lines
}

func (c *pieceCache) init() {
	c.seed = maphash.MakeSeed()
	for i := range c.shards {
		c.shards[i].m = make(map[string]int32)
	}
}

func (c *pieceCache) shard(p string) *cacheShard {
	return &c.shards[maphash.String(c.seed, p)%cacheShards]
}

func (c *pieceCache) get(p string) (int, bool) {
	if len(p) > cacheMaxKey {
		return 0, false
	}
	s := c.shard(p)
	s.mu.RLock()
	n, ok := s.m[p]
	s.mu.RUnlock()
	return int(n), ok
}

func (c *pieceCache) put(p string, n int) {
	if len(p) > cacheMaxKey {
		return
	}
	s := c.shard(p)
	s.mu.Lock()
	if len(s.m) >= cacheShardCap {
		clear(s.m)
	}
	// Clone: p is usually a slice of a whole document.
	s.m[strings.Clone(p)] = int32(n)
	s.mu.Unlock()
}

// Character classes of cl100k's pre-tokenizer. Whitespace is what regexp2's
// \s matches (unicode.IsSpace); a rune with none of the bits is "other"
// (punctuation, symbols, invalid UTF-8).
const (
	clLetter  = 1 << iota // \p{L}
	clNumber              // \p{N}
	clSpace               // \s
	clNewline             // \r or \n (also clSpace)
)

var asciiClass = func() (t [utf8.RuneSelf]uint8) {
	for r := range rune(utf8.RuneSelf) {
		switch {
		case r == '\r' || r == '\n':
			t[r] = clSpace | clNewline
		case unicode.IsSpace(r):
			t[r] = clSpace
		case unicode.IsLetter(r):
			t[r] = clLetter
		case unicode.IsNumber(r):
			t[r] = clNumber
		}
	}
	return t
}()

func class(r rune) uint8 {
	if r < utf8.RuneSelf {
		return asciiClass[r]
	}
	switch {
	case unicode.IsLetter(r):
		return clLetter
	case unicode.IsNumber(r):
		return clNumber
	case unicode.IsSpace(r):
		return clSpace
	}
	return 0
}

// decode returns the rune at s[i] and its width. Invalid UTF-8 decodes as
// one U+FFFD per byte, as Go's []rune conversion (and so regexp2) does.
func decode(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(s[i:])
}

// nextPiece returns the end of the pre-tokenizer piece that starts at s[i],
// i < len(s). It implements cl100k_base's pattern
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with regexp2's leftmost-first semantics; TestPretokenizerMatchesRegexp and
// FuzzPretokenizer hold it to the real expression.
func nextPiece(s string, i int) int {
	r0, w0 := decode(s, i)
	c0 := class(r0)

	// (?i:'s|'t|'re|'ve|'m|'ll|'d). Only ASCII letters lower-case to these.
	if r0 == '\'' && i+1 < len(s) {
		switch s[i+1] | 0x20 {
		case 's', 't', 'm', 'd':
			return i + 2
		case 'r', 'v':
			if i+2 < len(s) && s[i+2]|0x20 == 'e' {
				return i + 3
			}
		case 'l':
			if i+2 < len(s) && s[i+2]|0x20 == 'l' {
				return i + 3
			}
		}
	}

	// [^\r\n\p{L}\p{N}]?\p{L}+
	if c0 == clLetter {
		return skipClass(s, i+w0, clLetter)
	}
	if c0&(clLetter|clNumber|clNewline) == 0 && i+w0 < len(s) {
		if r1, w1 := decode(s, i+w0); class(r1) == clLetter {
			return skipClass(s, i+w0+w1, clLetter)
		}
	}

	// \p{N}{1,3}
	if c0 == clNumber {
		j := i + w0
		for k := 1; k < 3 && j < len(s); k++ {
			r, w := decode(s, j)
			if class(r) != clNumber {
				break
			}
			j += w
		}
		return j
	}

	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	j := i
	if r0 == ' ' {
		j = i + 1
	}
	if j < len(s) {
		if r, w := decode(s, j); class(r) == 0 {
			j = skipClass(s, j+w, 0)
			for j < len(s) && (s[j] == '\r' || s[j] == '\n') {
				j++
			}
			return j
		}
	}

	// r0 is whitespace. Find the run and the end of its last \r or \n.
	end, afterNL, lastStart := i, -1, i
	for end < len(s) {
		r, w := decode(s, end)
		c := class(r)
		if c&clSpace == 0 {
			break
		}
		if c&clNewline != 0 {
			afterNL = end + w
		}
		lastStart = end
		end += w
	}
	switch {
	case afterNL > 0: // \s*[\r\n]+
		return afterNL
	case end == len(s) || lastStart == i: // \s+(?!\S) at the end, or \s+
		return end
	default: // \s+(?!\S): leave the last space to the next piece
		return lastStart
	}
}

// skipClass returns the end of the run of runes of class c starting at s[j].
func skipClass(s string, j int, c uint8) int {
	for j < len(s) {
		r, w := decode(s, j)
		if class(r) != c {
			break
		}
		j += w
	}
	return j
}
