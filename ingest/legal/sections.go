package legal

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

const maxListItems = 30 // a list or range of sections, articles or points expands to at most this many

// sectionSign is "§" in UTF-8.
const sectionSign = "\u00a7"

// section reads a Swedish statute reference: "2 kap. 3 §", "3 a §",
// "3 och 4 §§", "5–7 §§", or a chapter alone ("2 kap."), followed by the
// statute ("lag (2018:218)", "dataskyddslagen", "förordningen [2007:975]",
// "OSL"), possibly after "första stycket", "punkt 2", "i" and the like; or
// preceded by an SFS number ("SFS 2018:218 2 kap. 3 §").
func (c *collector) section(p, e int) int {
	s := c.text
	chapter := ""
	var secs []string
	end := 0
	if x, ok := matchFwd(s, skipSpace(s, e), "kap."); ok {
		chapter, end = s[p:e], x
	} else if x, ok := matchFwd(s, skipSpace(s, e), "kap"); ok {
		chapter, end = s[p:e], x
	}
	if chapter != "" {
		if j := skipSpace(s, end); isDigit(byteAt(s, j)) {
			if list, x, ok := sectionList(s, j); ok {
				secs, end = list, x
			}
		}
	} else {
		list, x, ok := sectionList(s, p)
		if !ok {
			return 0
		}
		secs, end = list, x
	}

	sfs, lawEnd, ok := lawAt(s, skipQualifiers(s, end))
	if !ok {
		// "SFS 2018:218 2 kap. 3 §": the statute came first.
		if c.lastSFS == "" || skipSpaceBack(s, p) != c.lastSFSEnd {
			return 0
		}
		sfs, lawEnd = c.lastSFS, end
		p = c.lastSFSStart // the reference spans the SFS number too
	}
	c.add(listRef, sfs, p, lawEnd)
	prefix := sfs + " "
	if chapter != "" {
		prefix += chapter + " kap."
		if len(secs) == 0 {
			c.add(listRef, prefix, p, lawEnd)
		}
		prefix += " "
	}
	for _, sec := range secs {
		c.add(listRef, prefix+sec+" §", p, lawEnd)
	}
	c.lastSFS, c.lastSFSStart, c.lastSFSEnd = sfs, p, lawEnd
	return lawEnd
}

// sectionList reads "3 §", "3 a §", "3 och 4 §§", "3, 4 och 6 §§", "5–7 §§"
// at s[i:] and returns the sections and the end of the last "§".
func sectionList(s string, i int) ([]string, int, bool) {
	var secs []string
	rangeFrom := -1
	for len(secs) < maxListItems {
		ne := digitsAt(s, i)
		if ne == i || ne-i > 3 {
			return nil, 0, false
		}
		num := s[i:ne]
		k := ne
		// "3 a §": a letter that is a section's own.
		if j := skipSpace(s, k); j > k && byteAt(s, j) >= 'a' && byteAt(s, j) <= 'z' && !letterAt(s, j+1) {
			if l := skipSpace(s, j+1); strings.HasPrefix(s[l:], sectionSign) || byteAt(s, l) == ',' || dashAt(s, l) > 0 {
				num += " " + s[j:j+1]
				k = j + 1
			} else if x, ok := matchFwd(s, l, "och "); ok && isDigit(byteAt(s, x)) {
				num += " " + s[j:j+1]
				k = j + 1
			}
		}
		if rangeFrom >= 0 {
			to, err := strconv.Atoi(num)
			if err != nil || to <= rangeFrom || to-rangeFrom > maxListItems {
				return nil, 0, false
			}
			for n := rangeFrom + 1; n < to; n++ {
				secs = append(secs, strconv.Itoa(n))
			}
			rangeFrom = -1
		}
		secs = append(secs, num)
		j := skipSpace(s, k)
		if strings.HasPrefix(s[j:], sectionSign) {
			j += len(sectionSign)
			if strings.HasPrefix(s[j:], sectionSign) {
				j += len(sectionSign)
			}
			return secs, j, true
		}
		switch {
		case byteAt(s, j) == ',':
			i = skipSpace(s, j+1)
		case dashAt(s, j) > 0:
			n, err := strconv.Atoi(num)
			if err != nil {
				return nil, 0, false
			}
			rangeFrom = n
			i = skipSpace(s, j+dashAt(s, j))
		default:
			x, ok := matchFwd(s, j, "och ")
			if !ok {
				return nil, 0, false
			}
			i = x
		}
	}
	return nil, 0, false
}

// qualifiers are the words that may stand between a section and its
// statute: "1 § andra stycket 3 förordningen …".
var qualifiers = []string{
	"första", "andra", "tredje", "fjärde", "femte", "sjätte", "sjunde", "åttonde", "nionde", "tionde",
	"stycket", "st.", "punkten", "punkt", "p.", "meningen", "led", "ledet",
}

// skipQualifiers skips qualifiers and a following "i" or comma.
func skipQualifiers(s string, i int) int {
	for range 8 {
		j := skipSpace(s, i)
		if isDigit(byteAt(s, j)) {
			// a point number: only after a qualifier ("stycket 3")
			if ne := digitsAt(s, j); ne-j <= 2 && i != j && !alnumAt(s, ne) && byteAt(s, ne) != ':' && isQualifierEnd(s, i) {
				i = ne
				continue
			}
			break
		}
		matched := false
		for _, q := range qualifiers {
			if x, ok := matchFwd(s, j, q); ok {
				i, matched = x, true
				break
			}
		}
		if !matched {
			break
		}
	}
	j := skipSpace(s, i)
	if byteAt(s, j) == ',' {
		return skipSpace(s, j+1)
	}
	if x, ok := matchFwd(s, j, "i "); ok {
		return x
	}
	return j
}

// isQualifierEnd reports whether a qualifier word ends at i.
func isQualifierEnd(s string, i int) bool {
	for _, q := range qualifiers {
		if _, ok := matchBack(s, i, q); ok {
			return true
		}
	}
	return false
}

// statuteWords end the name of a statute that is followed by its number:
// "lag (2018:218)", "personuppgiftslagen (1998:204)".
var statuteWords = []string{"lag", "lagen", "förordning", "förordningen", "balk", "balken",
	"kungörelse", "kungörelsen", "grundlag", "grundlagen", "ordning", "ordningen", "instruktion", "instruktionen"}

// lawAt reads the statute at s[i:] and returns its canonical SFS reference.
func lawAt(s string, i int) (string, int, bool) {
	if i >= len(s) || letterBefore(s, i) {
		return "", 0, false
	}
	// "SFS 2018:218"
	if x, ok := matchFwd(s, i, "sfs~"); ok {
		if num, end, ok := sfsNumberAt(s, x, false); ok {
			return "SFS " + num, end, true
		}
	}
	// A known name, perhaps with its number after it.
	if ref, end, ok := nameAt(s, i); ok {
		if num, nend, ok := sfsNumberAt(s, skipSpace(s, end), true); ok {
			return "SFS " + num, nend, true
		}
		if strings.HasPrefix(ref, "SFS ") {
			return ref, end, true
		}
		return "", 0, false
	}
	// A name with words before it: "offentlighets- och sekretesslagen".
	for k := range names {
		for _, b := range names[k].before {
			if x, ok := matchFwd(s, i, b); ok {
				if end, ok := names[k].at(s, x); ok {
					return names[k].ref, end, true
				}
			}
		}
	}
	// An abbreviation: "OSL", "TF".
	we := i
	for letterAt(s, we) {
		_, n := utf8.DecodeRuneInString(s[we:])
		we += n
	}
	if ref, ok := lawAbbrevs[s[i:we]]; ok {
		return ref, we, true
	}
	// Any statute by its number: "lagen (2018:218)", "förordningen [2007:975]".
	word := strings.ToLower(s[i:we])
	for _, w := range statuteWords {
		if strings.HasSuffix(word, w) {
			if num, end, ok := sfsNumberAt(s, skipSpace(s, we), true); ok {
				return "SFS " + num, end, true
			}
			break
		}
	}
	return "", 0, false
}

// sfsNumberAt reads "2018:218", or "(2018:218)" / "[2007:975]" when
// bracketed, at s[i:].
func sfsNumberAt(s string, i int, bracketed bool) (string, int, bool) {
	closing := byte(0)
	if bracketed {
		switch byteAt(s, i) {
		case '(':
			closing = ')'
		case '[':
			closing = ']'
		default:
			return "", 0, false
		}
		i++
	}
	ye := digitsAt(s, i)
	if ye-i != 4 || byteAt(s, ye) != ':' || !plausibleYear(atoi(s[i:ye]), 1600) {
		return "", 0, false
	}
	ne := digitsAt(s, ye+1)
	if ne == ye+1 || ne-(ye+1) > 5 || alnumAt(s, ne) {
		return "", 0, false
	}
	end := ne
	if closing != 0 {
		if byteAt(s, ne) != closing {
			return "", 0, false
		}
		end++
	}
	return s[i:ne], end, true
}
