package local

import (
	"encoding/binary"
	"errors"
	"sort"
)

// encodeTerms packs a term-frequency map into a compact, deterministic blob:
// a uvarint count, then for each term in sorted order a uvarint length, the
// term's bytes and a uvarint frequency.
func encodeTerms(tf map[string]int) []byte {
	keys := make([]string, 0, len(tf))
	size := binary.MaxVarintLen32
	for k := range tf {
		keys = append(keys, k)
		size += len(k) + 2*binary.MaxVarintLen32
	}
	sort.Strings(keys)
	buf := make([]byte, 0, size)
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = binary.AppendUvarint(buf, uint64(len(k)))
		buf = append(buf, k...)
		buf = binary.AppendUvarint(buf, uint64(tf[k]))
	}
	return buf
}

var errBadTerms = errors.New("malformed term blob")

// decodeTerms calls fn for each term of a blob made by encodeTerms.
func decodeTerms(b []byte, fn func(term []byte, freq int)) error {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return errBadTerms
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return errBadTerms
		}
		term := b[k : k+int(l)]
		b = b[k+int(l):]
		f, k := binary.Uvarint(b)
		if k <= 0 {
			return errBadTerms
		}
		b = b[k:]
		fn(term, int(f))
	}
	if len(b) != 0 {
		return errBadTerms
	}
	return nil
}
