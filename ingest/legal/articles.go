package legal

import (
	"strings"
	"unicode/utf8"
)

// articleKWs introduce an article reference.
var articleKWs = []string{"artikel ", "artikeln ", "artiklarna ", "artiklar ", "art. ", "art.", "art "}

// articles reads "artikel 6.1 e", "art. 9.2 g", "artiklarna 13 och 14",
// "artikel 5.1 a–c", "artikel 6(1)(e)", and attributes them to an act.
func (c *collector) articles(p, e int) int {
	s := c.text
	_, start, ok := matchBackAny(s, p, articleKWs)
	if !ok {
		return 0
	}
	items, end := articleList(s, p)
	if len(items) == 0 {
		return 0
	}
	act, actEnd, explicit := actAfter(s, end)
	if explicit {
		if ref := actRef(act); ref != "" {
			c.add(listRef, ref, start, actEnd)
		}
	} else if a, st, ok := actBefore(s, start); ok {
		act, start = a, st
	} else {
		act = c.nearbyAct(start, end)
		if act == "" && c.query {
			act = "GDPR"
		}
	}
	if actEnd > end {
		end = actEnd
	}
	prefix := "art. "
	if act != "" {
		prefix = act + " art. "
	}
	for _, it := range items {
		c.add(listRef, prefix+it, start, end)
	}
	return end
}

// articleList reads a list of articles at s[i:]: "6", "6.1", "6.1 e",
// "6.1 e och f", "5.1 a–c", "13 och 14", "13, 14 och 15", "12–22".
func articleList(s string, i int) ([]string, int) {
	var items []string
	end := i
	rangeFrom := -1
	for len(items) < maxListItems {
		ne := digitsAt(s, i)
		if ne == i || ne-i > 3 || byteAt(s, ne) == ':' || byteAt(s, ne) == '/' {
			break
		}
		art := s[i:ne]
		para, k := paragraphAt(s, ne)
		var points []string
		if para != "" {
			points, k = pointsAt(s, k)
		}
		if rangeFrom >= 0 {
			to := atoi(art)
			if para != "" || to <= rangeFrom || to-rangeFrom > maxListItems {
				break
			}
			for n := rangeFrom + 1; n < to; n++ {
				items = append(items, itoa(n))
			}
			rangeFrom = -1
		}
		switch {
		case para == "":
			items = append(items, art)
		case len(points) == 0:
			items = append(items, art+"."+para)
		default:
			for _, pt := range points {
				items = append(items, art+"."+para+" "+pt)
			}
		}
		end = k
		// More articles?
		j := skipSpace(s, k)
		switch {
		case byteAt(s, j) == ',' && isDigit(byteAt(s, skipSpace(s, j+1))):
			i = skipSpace(s, j+1)
		case dashAt(s, j) > 0 && para == "" && isDigit(byteAt(s, skipSpace(s, j+dashAt(s, j)))):
			rangeFrom = atoi(art)
			i = skipSpace(s, j+dashAt(s, j))
		default:
			if x, ok := matchFwd(s, j, "och "); ok && isDigit(byteAt(s, x)) {
				i = x
				continue
			}
			return items, end
		}
	}
	return items, end
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

// paragraphAt reads the paragraph of an article after its number at s[i:]:
// ".1", "(1)", or " 1" when a point follows ("artikel 6 1 e").
func paragraphAt(s string, i int) (string, int) {
	switch byteAt(s, i) {
	case '.':
		if pe := digitsAt(s, i+1); pe > i+1 && pe-(i+1) <= 2 && !isDigit(byteAt(s, pe)) && byteAt(s, pe) != '.' {
			return s[i+1 : pe], pe
		}
	case '(':
		if pe := digitsAt(s, i+1); pe > i+1 && pe-(i+1) <= 2 && byteAt(s, pe) == ')' {
			return s[i+1 : pe], pe + 1
		}
	}
	if j := skipSpace(s, i); j > i {
		if pe := digitsAt(s, j); pe > j && pe-j <= 2 && !alnumAt(s, pe) {
			if _, ok := pointAt(s, skipSpace(s, pe)); ok && skipSpace(s, pe) > pe {
				return s[j:pe], pe
			}
		}
	}
	return "", i
}

// pointAt reads one point letter at s[i:]: "e", "(e)". The letter i followed
// by a word is the preposition ("artikel 6.1 i dataskyddsförordningen").
func pointAt(s string, i int) (int, bool) {
	if byteAt(s, i) == '(' {
		if c := byteAt(s, i+1); c >= 'a' && c <= 'z' && byteAt(s, i+2) == ')' {
			return i + 3, true
		}
		return 0, false
	}
	c := byteAt(s, i)
	if c < 'a' || c > 'z' || alnumAt(s, i+1) {
		return 0, false
	}
	if c == 'i' {
		if j := skipSpace(s, i+1); j > i+1 && letterAt(s, j) {
			return 0, false
		}
	}
	return i + 1, true
}

// pointsAt reads the points after a paragraph at s[i:]: " e", "e", "(e)",
// " e och f", " a–c", " a, b och c".
func pointsAt(s string, i int) ([]string, int) {
	j := skipSpace(s, i)
	end, ok := pointAt(s, j)
	if !ok {
		return nil, i
	}
	letter := func(at, end int) byte { // the letter of a point at..end
		if s[at] == '(' {
			return s[at+1]
		}
		return s[at]
	}
	points := []string{string(letter(j, end))}
	for len(points) < 26 {
		k := skipSpace(s, end)
		if d := dashAt(s, k); d > 0 {
			l := skipSpace(s, k+d)
			if e2, ok := pointAt(s, l); ok {
				from, to := letter(j, end), letter(l, e2)
				if to > from {
					for ch := from + 1; ch <= to; ch++ {
						points = append(points, string(ch))
					}
					j, end = l, e2
					continue
				}
			}
			break
		}
		next := -1
		if byteAt(s, k) == ',' {
			next = skipSpace(s, k+1)
		} else if x, ok := matchFwd(s, k, "och "); ok {
			next = x
		}
		if next < 0 {
			break
		}
		e2, ok := pointAt(s, next)
		if !ok {
			break
		}
		points = append(points, string(letter(next, e2)))
		j, end = next, e2
	}
	return points, end
}

// actAfter reads the act named right after an article reference: "GDPR",
// "i dataskyddsförordningen", "i förordning (EU) 2022/868", "i
// Europakonventionen". explicit reports that some act is named there, even
// one this package does not know (then act is "").
func actAfter(s string, i int) (act string, end int, explicit bool) {
	j := skipSpace(s, i)
	if byteAt(s, j) == ',' {
		j = skipSpace(s, j+1)
	}
	for _, w := range []string{"i ", "enligt ", "in "} {
		if x, ok := matchFwd(s, j, w); ok {
			j = x
			break
		}
	}
	for _, w := range []string{"eu:s ", "den allmänna ", "allmänna ", "allmän "} {
		if x, ok := matchFwd(s, j, w); ok {
			j = x
			break
		}
	}
	if ref, e, ok := nameAt(s, j); ok {
		switch ref {
		case "EU 2016/679":
			return "GDPR", e, true
		case "EU 2024/1689":
			return "AI Act", e, true
		case "dir. 95/46/EG", "dir. EU 2016/680":
			return ref, e, true
		}
		return "", 0, true // a Swedish statute has no articles: leave it
	}
	if x, ok := matchFwd(s, j, "ai act"); ok {
		return "AI Act", x, true
	}
	// "förordning (EU) 2016/679", "förordningen 2022/868"
	for _, w := range []string{"förordning ", "förordningen ", "europaparlamentets och rådets förordning "} {
		x, ok := matchFwd(s, j, w)
		if !ok {
			continue
		}
		if y, ok := matchFwd(s, x, "(eu)~"); ok {
			x = y
		} else if y, ok := matchFwd(s, x, "(eu) nr~"); ok {
			x = y
		}
		ye := digitsAt(s, x)
		if ye-x == 4 && byteAt(s, ye) == '/' {
			ne := digitsAt(s, ye+1)
			if ne > ye+1 && !alnumAt(s, ne) {
				switch num := s[x:ne]; num {
				case "2016/679":
					return "GDPR", ne, true
				case "2024/1689":
					return "AI Act", ne, true
				default:
					return "EU " + num, ne, true
				}
			}
		}
	}
	for _, k := range []struct{ kw, act string }{
		{"europakonventionen", "EKMR"}, {"ekmr", "EKMR"},
		{"eu-stadgan", "Stadgan"}, {"rättighetsstadgan", "Stadgan"}, {"stadgan", "Stadgan"},
		{"europeiska unionens stadga", "Stadgan"}, {"feuf", "FEUF"}, {"euf-fördraget", "FEUF"},
		{"fördraget om europeiska unionens funktionssätt", "FEUF"},
	} {
		if x, ok := matchFwd(s, j, k.kw); ok {
			return k.act, x, true
		}
	}
	// Some other act: a capitalized name or a word for an instrument.
	if j > skipSpace(s, i) { // after "i", "enligt"
		we := j
		for letterAt(s, we) || byteAt(s, we) == '-' {
			_, n := utf8.DecodeRuneInString(s[we:])
			we += n
		}
		w := strings.ToLower(s[j:we])
		if r := byteAt(s, j); r >= 'A' && r <= 'Z' {
			return "", 0, true
		}
		for _, inst := range []string{"konvention", "direktiv", "fördrag", "stadga", "protokoll", "lag", "förordning"} {
			if strings.Contains(w, inst) && !strings.HasPrefix(w, "förordning") {
				return "", 0, true
			}
		}
	}
	return "", 0, false
}

// actRef returns the reference of an act that articles are attributed to,
// or "" when it has no number (EKMR, Stadgan, FEUF).
func actRef(act string) string {
	switch {
	case act == "GDPR":
		return "EU 2016/679"
	case act == "AI Act":
		return "EU 2024/1689"
	case strings.HasPrefix(act, "EU "), strings.HasPrefix(act, "dir. "):
		return act
	}
	return ""
}

// actsBefore are acts named right before an article keyword, as in the
// canonical forms ("GDPR art. 6.1 e", "EKMR art. 8") and in genitives
// ("Europakonventionens artikel 8").
var actsBefore = []struct{ kw, act string }{
	{"gdpr ", "GDPR"}, {"gdpr:s ", "GDPR"}, {"ai act ", "AI Act"}, {"ai act:s ", "AI Act"},
	{"ekmr ", "EKMR"}, {"ekmr:s ", "EKMR"}, {"europakonventionens ", "EKMR"},
	{"stadgan ", "Stadgan"}, {"stadgans ", "Stadgan"}, {"rättighetsstadgans ", "Stadgan"},
	{"feuf ", "FEUF"}, {"feuf:s ", "FEUF"},
}

// actBefore reads the act named right before an article keyword at start:
// one of actsBefore, or "EU 2022/868", "dir. 95/46/EG", "dir. EU 2016/680".
func actBefore(s string, start int) (act string, actStart int, ok bool) {
	for _, a := range actsBefore {
		if st, ok := matchBack(s, start, a.kw); ok {
			return a.act, st, true
		}
	}
	// A number: find the token that ends before the keyword.
	e := skipSpaceBack(s, start)
	if e == start {
		return "", 0, false
	}
	b := e
	for b > 0 && (isDigit(s[b-1]) || s[b-1] == '/' || isASCIILetter(s[b-1])) {
		b--
	}
	tok := s[b:e]
	slash := strings.IndexByte(tok, '/')
	if slash <= 0 || !isDigit(tok[0]) {
		return "", 0, false
	}
	if st, ok := matchBack(s, b, "dir. eu "); ok {
		return "dir. EU " + tok, st, true
	}
	if st, ok := matchBack(s, b, "dir. "); ok {
		return "dir. " + strings.ToUpper(tok), st, true
	}
	if st, ok := matchBack(s, b, "eu "); ok {
		switch tok {
		case "2016/679":
			return "GDPR", st, true
		case "2024/1689":
			return "AI Act", st, true
		}
		return "EU " + tok, st, true
	}
	return "", 0, false
}

// Markers of GDPR and the AI Act, searched for near an article that names
// no act.
var actMarkers = []struct {
	needle string
	first  string // the needle's text starts one byte earlier with one of these (case), or ""
	act    string
}{
	{"GDPR", "", "GDPR"},
	{"ataskyddsförordning", "dD", "GDPR"},
	{"2016/679", "", "GDPR"},
	{"I-förordning", "aA", "AI Act"},
	{"2024/1689", "", "AI Act"},
	{"AI Act", "", "AI Act"},
}

// nearbyAct returns the act (GDPR or AI Act) named nearest to s[start:end]
// within 200 bytes, or "".
func (c *collector) nearbyAct(start, end int) string {
	s := c.text
	lo, hi := max(0, start-200), min(len(s), end+200)
	win := s[lo:hi]
	best, bestDist := "", 1<<30
	for _, m := range actMarkers {
		for off := 0; off < len(win); {
			k := strings.Index(win[off:], m.needle)
			if k < 0 {
				break
			}
			k += off
			off = k + len(m.needle)
			ks := lo + k
			if m.first != "" {
				if k == 0 || !strings.ContainsRune(m.first, rune(win[k-1])) {
					continue
				}
				ks--
			}
			ke := lo + k + len(m.needle)
			var d int
			switch {
			case ke <= start:
				d = start - ke
			case ks >= end:
				d = ks - end
			}
			if d < bestDist {
				best, bestDist = m.act, d
			}
		}
	}
	return best
}
