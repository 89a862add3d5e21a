package extract

import (
	"strings"
	"unicode"
)

// cleanPDFText turns PDFium's page text into plain text: "\n" line ends,
// line-end hyphens restored, ligatures spelled out, control characters
// dropped and each line trimmed.
func cleanPDFText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = repairShiftedLigatures(s)

	var b strings.Builder
	b.Grow(len(s) + 16)
	rs := []rune(s)
	for i, r := range rs {
		next := rune(0)
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		switch {
		case r == 0x02 || r == 0xFFFE:
			// PDFium marks a hyphen at a line end, where it has joined the
			// two lines, as U+0002 (U+FFFE from FPDFText_GetText). Put the
			// hyphen and the line break back; the normalizer decides
			// whether the word is joined ("dataskydds-\nförordningen") or
			// not ("hälso- och").
			b.WriteByte('-')
			if next != '\n' {
				b.WriteByte('\n')
			}
		case r == 0xAD: // soft hyphen: visible only at a line end
			if next == '\n' {
				b.WriteByte('-')
			}
		case r >= 0xFB00 && r <= 0xFB06:
			b.WriteString(ligatures[r-0xFB00])
		case r == 0xFEFF || r == 0xFFFF:
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 && r != '\n', r == 0x7F, r >= 0x80 && r < 0xA0:
		default:
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

var ligatures = [...]string{"ff", "fi", "fl", "ffi", "ffl", "st", "st"}

// shiftedLigature maps the characters Ghostscript writes for ligature
// glyphs: it puts each letter's code in the high byte of a UTF-16 unit, so
// "fi" becomes U+6600 U+6900 ("昀椀"), "fl" "昀氀", "ff" "昀昀".
var shiftedLigature = map[rune]rune{
	0x6600: 'f', // 昀
	0x6900: 'i', // 椀
	0x6C00: 'l', // 氀
	0x7300: 's', // 猀
	0x7400: 't', // 琀
}

// repairShiftedLigatures undoes Ghostscript's ligature defect. A run of the
// shifted characters is only replaced when it is short, starts like a
// ligature (f or s) and touches a Latin letter, as inside "de昀椀nierat",
// so that real CJK text is left alone.
func repairShiftedLigatures(s string) string {
	if !strings.ContainsAny(s, "昀猀") {
		return s
	}
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if _, ok := shiftedLigature[rs[i]]; !ok {
			i++
			continue
		}
		j := i
		for j < len(rs) {
			if _, ok := shiftedLigature[rs[j]]; !ok {
				break
			}
			j++
		}
		latinBefore := i > 0 && isLatinLetter(rs[i-1])
		latinAfter := j < len(rs) && isLatinLetter(rs[j])
		if j-i <= 3 && (rs[i] == 0x6600 || rs[i] == 0x7300) && (latinBefore || latinAfter) {
			for k := i; k < j; k++ {
				rs[k] = shiftedLigature[rs[k]]
			}
		}
		i = j
	}
	return string(rs)
}

func isLatinLetter(r rune) bool {
	return r < 0x250 && unicode.IsLetter(r)
}

// dropControl is a strings.Map function that drops control characters
// other than newline and tab.
func dropControl(r rune) rune {
	if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
		return -1
	}
	return r
}
