package extract

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// streamScan is what a pass over a PDF's raw Flate streams found.
type streamScan struct {
	streams int // Flate streams checked
	damaged int // streams that do not inflate to their end
	bomb    int // byte offset of a stream that inflates past the limit; -1 if none
}

// scanStreams inflates every non-image Flate stream of a PDF to check, before
// PDFium sees the file, that none is a decompression bomb (content that
// inflates past limit bytes) and to count damaged streams, which PDFium skips
// silently. It needs no PDF parser: streams are found by their keywords.
// Encrypted files are not scanned, as their streams cannot be inflated
// without decrypting them. budget bounds the total bytes inflated.
func scanStreams(data []byte, limit, budget int64) streamScan {
	res := streamScan{bomb: -1}
	if bytes.Contains(data, []byte("/Encrypt")) {
		return res
	}
	buf := make([]byte, 32<<10)
	for pos := 0; pos < len(data) && budget > 0; {
		i := bytes.Index(data[pos:], []byte("stream"))
		if i < 0 {
			break
		}
		kw := pos + i
		pos = kw + len("stream")
		// The keyword must end the stream's dictionary and be followed by EOL.
		if kw >= 3 && string(data[kw-3:kw]) == "end" {
			continue
		}
		start := pos
		switch {
		case bytes.HasPrefix(data[start:], []byte("\r\n")):
			start += 2
		case bytes.HasPrefix(data[start:], []byte("\n")), bytes.HasPrefix(data[start:], []byte("\r")):
			start++
		default:
			continue
		}
		dict := streamDict(data, kw)
		if dict == nil || !isPlainFlate(dict) {
			continue
		}
		end := bytes.Index(data[start:], []byte("endstream"))
		if end < 0 {
			end = len(data) - start
		}
		pos = start + end
		res.streams++
		n, err := inflateCount(data[start:start+end], min(limit, budget)+1, buf)
		budget -= n
		switch {
		case n > limit:
			res.bomb = kw
			return res
		case err != nil && !errors.Is(err, zlib.ErrChecksum):
			res.damaged++
		}
	}
	return res
}

// streamDict returns the dictionary before the stream keyword at kw, with
// white space removed, or nil if there is none within 4 KiB.
func streamDict(data []byte, kw int) []byte {
	lo := max(0, kw-4096)
	head := bytes.TrimRight(data[lo:kw], " \t\r\n\f\x00")
	if !bytes.HasSuffix(head, []byte(">>")) {
		return nil
	}
	i := bytes.LastIndex(head, []byte("obj"))
	if i < 0 {
		return nil
	}
	return bytes.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', '\f', 0:
			return -1
		}
		return r
	}, head[i+3:])
}

// isPlainFlate reports whether a stream dictionary names FlateDecode as its
// only or first filter and is not an image, which text extraction never
// decodes.
func isPlainFlate(dict []byte) bool {
	if bytes.Contains(dict, []byte("/Subtype/Image")) {
		return false
	}
	return bytes.Contains(dict, []byte("/Filter/FlateDecode")) ||
		bytes.Contains(dict, []byte("/Filter[/FlateDecode"))
}

// inflateCount inflates z and returns how many bytes it gives, reading at
// most limit; err is nil when the stream ends cleanly.
func inflateCount(z []byte, limit int64, buf []byte) (int64, error) {
	r, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		return 0, err
	}
	defer r.Close()
	// CopyBuffer turns a clean end (checksum verified) into a nil error.
	return io.CopyBuffer(io.Discard, io.LimitReader(r, limit), buf)
}

func bombError(offset int, limit int64) error {
	return fmt.Errorf("stream at byte %d inflates past %d MiB (decompression bomb?): %w", offset, limit>>20, ErrTooLarge)
}
