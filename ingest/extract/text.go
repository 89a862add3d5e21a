package extract

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/imy/imyrag"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte("\xef\xbb\xbf")
	bomUTF16LE = []byte("\xff\xfe")
	bomUTF16BE = []byte("\xfe\xff")
)

// decodeText returns data as a UTF-8 string: a UTF-8 BOM is dropped, UTF-16
// with a BOM is converted, binary data and invalid UTF-8 are refused.
func decodeText(data []byte) (string, error) {
	if s, ok, err := decodeUTF16(data); ok {
		return s, err
	}
	data = bytes.TrimPrefix(data, bomUTF8)
	if err := checkBinary(data); err != nil {
		return "", err
	}
	if err := checkUTF8(data); err != nil {
		return "", err
	}
	return string(data), nil
}

// decodeUTF16 converts text that starts with a UTF-16 BOM; ok is false when
// there is none.
func decodeUTF16(data []byte) (s string, ok bool, err error) {
	var e = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	switch {
	case bytes.HasPrefix(data, bomUTF16LE):
	case bytes.HasPrefix(data, bomUTF16BE):
		e = unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	default:
		return "", false, nil
	}
	out, err := e.NewDecoder().Bytes(data)
	if err != nil {
		return "", true, fmt.Errorf("utf-16: %v: %w", err, ErrInvalidUTF8)
	}
	if err := checkBinary(out); err != nil {
		return "", true, err
	}
	return string(out), true, nil
}

// checkBinary refuses data with NUL bytes or many control characters.
func checkBinary(data []byte) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		hint := ""
		if looksUTF16(data) {
			hint = " (utf-16 without a byte-order mark?)"
		}
		return fmt.Errorf("nul byte at offset %d%s: %w", i, hint, ErrBinary)
	}
	sample := data[:min(len(data), 64<<10)]
	ctrl := 0
	for _, b := range sample {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\r' && b != '\f' && b != '\v' && b != 0x1b || b == 0x7f {
			ctrl++
		}
	}
	// A few stray controls (a bell, a vertical tab) are dropped later; many are binary.
	if ctrl > 0 && (ctrl >= 8 && ctrl*100 >= len(sample) || ctrl*10 >= len(sample)) {
		return fmt.Errorf("%d control characters in the first %d bytes: %w", ctrl, len(sample), ErrBinary)
	}
	return nil
}

func looksUTF16(data []byte) bool {
	sample := data[:min(len(data), 512)]
	zeros := bytes.Count(sample, []byte{0})
	return len(sample) >= 8 && zeros*3 >= len(sample)
}

// checkUTF8 names the offset of the first invalid byte.
func checkUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	off := 0
	for off < len(data) {
		r, size := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		off += size
	}
	return fmt.Errorf("byte 0x%02x at offset %d (not utf-8? try: iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8): %w",
		data[off], off, ErrInvalidUTF8)
}

// normalizeNewlines turns \r\n and \r into \n, form feeds into blank
// lines, and drops other control characters but tabs.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.ReplaceAll(s, "\f", "\n\n")
	return strings.Map(dropControl, s)
}

func extractText(data []byte) (Result, error) {
	s, err := decodeText(data)
	if err != nil {
		return Result{}, err
	}
	s = strings.TrimSpace(normalizeNewlines(s))
	if s == "" {
		return Result{}, ErrEmpty
	}
	return Result{Format: FormatText, Pages: []imyrag.Page{{Number: 0, Text: s}}}, nil
}

// Markdown syntax that is dropped or unwrapped.
var (
	mdComment    = regexp.MustCompile(`(?s)<!--.*?-->`)
	mdImage      = regexp.MustCompile(`!\[[^\]\n]*\]\([^)\n]*\)|!\[[^\]\n]*\]\[[^\]\n]*\]`)
	mdLink       = regexp.MustCompile(`\[([^\]\n]+)\]\([^)\n]*\)`)
	mdRefLink    = regexp.MustCompile(`\[([^\]\n]+)\]\[[^\]\n]*\]`)
	mdLinkDef    = regexp.MustCompile(`^ {0,3}\[[^\]\n]+\]:\s*\S+.*$`)
	mdAutolink   = regexp.MustCompile(`<((?:https?|mailto):[^>\s]+)>`)
	mdStrong     = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdEmStar     = regexp.MustCompile(`\*(\S(?:[^*\n]*?\S)?)\*`)
	mdEmUnder    = regexp.MustCompile(`(^|[^\p{L}\p{N}_])_(\S(?:[^_\n]*?\S)?)_($|[^\p{L}\p{N}_])`)
	mdStrike     = regexp.MustCompile(`~~(\S(?:.*?\S)?)~~`)
	mdCode       = regexp.MustCompile("`+([^`\n]+?)`+")
	mdInlineHTML = regexp.MustCompile(`(?i)</?(?:br|sup|sub|span|div|p|em|strong|b|i|u|a|img|small|mark|abbr|kbd)\b[^>\n]*>`)
	mdBullet     = regexp.MustCompile(`^\s{0,12}[-*+]\s+`)
	mdHeading    = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$`)
	mdFence      = regexp.MustCompile("^ {0,3}(```|~~~)")
	mdTableSep   = regexp.MustCompile(`^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$`)
	mdRule       = regexp.MustCompile(`^ {0,3}([-*_])(\s*[-*_]){2,}\s*$`)
	mdEscape     = regexp.MustCompile(`\\([\\` + "`" + `*_{}\[\]()#+\-.!|~<>])`)
	mdFrontTitle = regexp.MustCompile(`(?m)^title:\s*["']?(.*?)["']?\s*$`)
)

// extractMarkdown keeps heading lines ("# Title") and the text, and drops
// the markup: emphasis, links (their text stays), images, comments, code
// fences (the code stays), tables' separator rows. Bullets become "• ".
func extractMarkdown(data []byte) (Result, error) {
	s, err := decodeText(data)
	if err != nil {
		return Result{}, err
	}
	s = normalizeNewlines(s)
	var title string
	s, title = stripFrontMatter(s)
	s = mdComment.ReplaceAllString(s, "")

	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	fence := ""
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if m := mdFence.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[1]
				continue
			case fence == m[1]:
				fence = ""
				continue
			}
		}
		if fence != "" {
			out = append(out, line) // code is kept as it is
			continue
		}
		// Setext headings: a line underlined with === or ---.
		if i+1 < len(lines) && strings.TrimSpace(line) != "" && !mdBullet.MatchString(line) {
			u := strings.TrimSpace(lines[i+1])
			if len(u) >= 2 && strings.Trim(u, "=") == "" {
				line, i = "# "+strings.TrimSpace(line), i+1
			} else if len(u) >= 2 && strings.Trim(u, "-") == "" {
				line, i = "## "+strings.TrimSpace(line), i+1
			}
		}
		if line, keep := mdLine(line); keep {
			out = append(out, line)
		}
	}
	text := strings.TrimSpace(collapseBlankLines(strings.Join(out, "\n")))
	if text == "" {
		return Result{}, ErrEmpty
	}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "# ") {
			title = strings.TrimSpace(l[2:])
			break
		}
	}
	return Result{Format: FormatMarkdown, Title: title, Pages: []imyrag.Page{{Number: 0, Text: text}}}, nil
}

// mdLine converts one line outside code blocks; keep is false for lines
// that go entirely (link definitions, table separator rows).
func mdLine(line string) (_ string, keep bool) {
	switch {
	case mdLinkDef.MatchString(line), mdTableSep.MatchString(line):
		return "", false
	case mdRule.MatchString(line):
		return "", true
	}
	for { // block quotes
		t := strings.TrimLeft(line, " ")
		if !strings.HasPrefix(t, ">") {
			break
		}
		line = strings.TrimPrefix(strings.TrimPrefix(t, ">"), " ")
	}
	if m := mdHeading.FindStringSubmatch(line); m != nil {
		return m[1] + " " + mdInline(m[2]), true
	}
	if loc := mdBullet.FindStringIndex(line); loc != nil {
		return "• " + mdInline(line[loc[1]:]), true
	}
	if t := strings.TrimSpace(line); strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") && len(t) > 1 {
		cells := strings.Split(t[1:len(t)-1], "|")
		for i, c := range cells {
			cells[i] = mdInline(strings.TrimSpace(c))
		}
		return strings.Join(cells, " | "), true
	}
	return mdInline(strings.TrimRight(line, " \t")), true
}

// mdInline removes inline markup and keeps the text. Escaped characters
// ("\\*") are hidden in the private use area while the markup is removed.
func mdInline(s string) string {
	s = mdEscape.ReplaceAllStringFunc(s, func(m string) string { return string(rune(0xE000) + rune(m[1])) })
	s = mdImage.ReplaceAllString(s, "")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdRefLink.ReplaceAllString(s, "$1")
	s = mdAutolink.ReplaceAllString(s, "$1")
	s = mdInlineHTML.ReplaceAllString(s, "")
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdStrong.ReplaceAllString(s, "$2")
	s = mdStrike.ReplaceAllString(s, "$1")
	s = mdEmStar.ReplaceAllString(s, "$1")
	s = mdEmUnder.ReplaceAllString(s, "$1$2$3")
	return strings.Map(func(r rune) rune {
		if r > 0xE000 && r < 0xE080 {
			return r - 0xE000
		}
		return r
	}, s)
}

// stripFrontMatter removes a leading YAML front matter block and returns
// its title, if any.
func stripFrontMatter(s string) (string, string) {
	if !strings.HasPrefix(s, "---\n") {
		return s, ""
	}
	end := strings.Index(s[4:], "\n---")
	if end < 0 {
		return s, ""
	}
	front := s[4 : 4+end]
	rest := s[4+end+4:]
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		rest = rest[i+1:]
	} else {
		rest = ""
	}
	title := ""
	if m := mdFrontTitle.FindStringSubmatch(front); m != nil {
		title = strings.TrimSpace(m[1])
	}
	return rest, title
}

// collapseBlankLines trims trailing space on each line and keeps at most
// one blank line in a row.
func collapseBlankLines(s string) string {
	lines := strings.Split(s, "\n")
	out := lines[:0]
	blank := false
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
