package legal

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// scanDigits visits every run of digits once and asks the matchers, in
// turn, whether a reference starts there. The words that say what a number
// is ("SFS", "prop.", "artikel", "mars") are checked around the digits only,
// so the cost is one pass over the text plus a little work per number.
func (c *collector) scanDigits() {
	s := c.text
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		p := i
		e := digitsAt(s, p)
		if continuation(s, p) {
			i = e
			continue
		}
		if end := c.matchAt(p, e); end > e {
			i = end
		} else {
			i = e
		}
	}
}

// continuation reports whether the digits at p continue a number that
// started before ("218" in "2018:218", "5817" in "DI-2021-5817").
func continuation(s string, p int) bool {
	if p < 2 {
		return false
	}
	switch s[p-1] {
	case '.', ':', '/', ',', '-':
		return isDigit(s[p-2])
	}
	return false
}

// matchAt tries every matcher at the digits s[p:e] and returns the end of
// the longest reference found there, or 0.
func (c *collector) matchAt(p, e int) int {
	s := c.text
	// Letters glued to the number: N2021/01266, DI2021-5817.
	if letterBefore(s, p) {
		ls, whole := lettersBefore(s, p, 4)
		if !whole {
			return 0
		}
		letters := s[ls:p]
		if strings.EqualFold(letters, "di") || strings.EqualFold(letters, "imy") {
			return c.dnr(ls, p, e, letters)
		}
		if end := c.govRef(ls, p, e, letters); end > 0 {
			return end
		}
		// "SFS2018:218", "SOU2016:41": the keyword matchers allow it.
		return c.colonNumber(p, e)
	}
	// A letter and a hyphen before: DI-2021-5817, C-311/18.
	if h := hyphenBefore(s, p); h > 0 {
		ls, whole := lettersBefore(s, p-h, 4)
		if !whole {
			return 0
		}
		letters := s[ls : p-h]
		switch {
		case strings.EqualFold(letters, "di"), strings.EqualFold(letters, "imy"):
			return c.dnr(ls, p, e, letters)
		case strings.EqualFold(letters, "c"), strings.EqualFold(letters, "t"):
			return c.courtCase(ls, p, e, letters)
		}
		return 0
	}
	if alnumBefore(s, p) {
		return 0
	}
	end := 0
	for _, m := range matchers {
		if x := m(c, p, e); x > end {
			end = x
		}
	}
	return end
}

// The matchers for a number that stands on its own. Each returns the end of
// what it found, or 0. Several may find something (a date and an article
// list do not overlap, but "2 kap. 3 §" may also be a chapter-only match):
// all run.
var matchers = []func(c *collector, p, e int) int{
	(*collector).isoDate,
	(*collector).swedishDate,
	(*collector).dnrSpaced,
	(*collector).section,
	(*collector).articles,
	(*collector).colonNumber,
	(*collector).riksmote,
	(*collector).slashNumber,
	(*collector).caseLaw,
}

// dnr reads an IMY case number: the year at s[p:e], a hyphen, a number.
// start is where the prefix (DI, IMY) starts.
func (c *collector) dnr(start, p, e int, prefix string) int {
	s := c.text
	if e-p != 4 || !plausibleYear(atoi(s[p:e]), 1970) {
		return 0
	}
	h := dashAt(s, e)
	if h == 0 && spaceAt(s, e) == 0 {
		return 0
	}
	if h == 0 {
		h = spaceAt(s, e)
	}
	ne := digitsAt(s, e+h)
	if ne == e+h || ne-(e+h) > 6 || alnumAt(s, ne) {
		return 0
	}
	// 2023-03-28 after "IMY" is a date, not a case number.
	if dashAt(s, ne) > 0 && isDigit(byteAt(s, ne+dashAt(s, ne))) {
		return 0
	}
	c.add(listDnr, strings.ToUpper(prefix)+"-"+s[p:e]+"-"+s[e+h:ne], start, ne)
	return ne
}

// dnrSpaced reads "DI 2021-5817" (prefix as a separate word).
func (c *collector) dnrSpaced(p, e int) int {
	for _, kw := range []string{"di ", "imy "} {
		if st, ok := matchBack(c.text, p, kw); ok {
			return c.dnr(st, p, e, strings.TrimSpace(kw))
		}
	}
	return 0
}

func byteAt(s string, i int) byte {
	if i < 0 || i >= len(s) {
		return 0
	}
	return s[i]
}

func plausibleYear(y, from int) bool { return y >= from && y <= 2099 }

// ministries maps the Government Offices' ministry codes, lowercased, to how
// they are written.
var ministries = map[string]string{
	"a": "A", "fi": "Fi", "fö": "Fö", "i": "I", "ie": "IE", "ju": "Ju", "jo": "Jo", "kn": "KN",
	"ku": "Ku", "l": "L", "li": "LI", "m": "M", "n": "N", "s": "S", "sb": "SB", "u": "U", "ud": "UD",
}

// govRef reads a Government Offices reference number: letters at
// s[start:p], the year, a slash, a number of at least two digits.
func (c *collector) govRef(start, p, e int, letters string) int {
	s := c.text
	if utf8.RuneCountInString(letters) > 2 || e-p != 4 || !plausibleYear(atoi(s[p:e]), 1970) || byteAt(s, e) != '/' {
		return 0
	}
	ne := digitsAt(s, e+1)
	if ne-(e+1) < 2 || ne-(e+1) > 6 || letterAt(s, ne) {
		return 0
	}
	end := ne
	// A unit code after another slash ("Ju2019/01234/L6") is dropped.
	if byteAt(s, ne) == '/' && alnumAt(s, ne+1) {
		j := ne + 1
		for alnumAt(s, j) {
			_, n := utf8.DecodeRuneInString(s[j:])
			j += n
		}
		end = j
	}
	code, ok := ministries[strings.ToLower(letters)]
	if !ok {
		r, n := utf8.DecodeRuneInString(letters)
		code = string(unicode.ToUpper(r)) + letters[n:]
	}
	c.add(listGov, code+s[p:ne], start, end)
	return end
}

// courtCase reads an EU court case number: C or T at s[start:], a hyphen,
// the number at s[p:e], a slash, a two-digit year.
func (c *collector) courtCase(start, p, e int, letter string) int {
	s := c.text
	if e-p > 4 || byteAt(s, e) != '/' {
		return 0
	}
	ne := digitsAt(s, e+1)
	if ne-(e+1) != 2 || alnumAt(s, ne) {
		return 0
	}
	c.add(listRef, strings.ToUpper(letter)+"-"+s[p:e]+"/"+s[e+1:ne], start, ne)
	return ne
}

// isoDate reads 2023-03-28.
func (c *collector) isoDate(p, e int) int {
	s := c.text
	if e-p != 4 || byteAt(s, e) != '-' {
		return 0
	}
	me := digitsAt(s, e+1)
	if me-(e+1) != 2 || byteAt(s, me) != '-' {
		return 0
	}
	de := digitsAt(s, me+1)
	if de-(me+1) != 2 || alnumAt(s, de) || (byteAt(s, de) == '-' && isDigit(byteAt(s, de+1))) {
		return 0
	}
	iso, ok := isoOf(atoi(s[p:e]), atoi(s[e+1:me]), atoi(s[me+1:de]))
	if !ok {
		return 0
	}
	c.add(listDate, iso, p, de)
	return de
}

// months maps Swedish month names and abbreviations to month numbers.
var months = map[string]int{
	"januari": 1, "jan": 1, "februari": 2, "feb": 2, "febr": 2, "mars": 3, "mar": 3,
	"april": 4, "apr": 4, "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
	"augusti": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
	"november": 11, "nov": 11, "december": 12, "dec": 12,
}

// swedishDate reads "28 mars 2023", "1 sept. 2022" and "1–3 mars 2023".
func (c *collector) swedishDate(p, e int) int {
	s := c.text
	if e-p > 2 {
		return 0
	}
	days := []int{atoi(s[p:e])}
	j := e
	// "1–3 mars 2023"
	if d := dashAt(s, j); d > 0 {
		de := digitsAt(s, j+d)
		if de == j+d || de-(j+d) > 2 {
			return 0
		}
		days = append(days, atoi(s[j+d:de]))
		j = de
	}
	k := skipSpace(s, j)
	if k == j {
		return 0
	}
	me := k
	for me < len(s) && isASCIILetter(s[me]) && me-k <= 9 {
		me++
	}
	if me == k || letterAt(s, me) {
		return 0
	}
	month, ok := months[strings.ToLower(s[k:me])]
	if !ok {
		return 0
	}
	if byteAt(s, me) == '.' {
		me++
	}
	y := skipSpace(s, me)
	if y == me {
		return 0
	}
	ye := digitsAt(s, y)
	if ye-y != 4 || alnumAt(s, ye) {
		return 0
	}
	year := atoi(s[y:ye])
	found := false
	for _, d := range days {
		if iso, ok := isoOf(year, month, d); ok {
			c.add(listDate, iso, p, ye)
			found = true
		}
	}
	if !found {
		return 0
	}
	return ye
}

// isoOf validates a date and writes it as YYYY-MM-DD.
func isoOf(y, m, d int) (string, bool) {
	if y < 1900 || y > 2099 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return "", false
	}
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+m/10), byte('0'+m%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+d/10), byte('0'+d%10)
	return string(b[:]), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Keywords before a "YYYY:N" number, and what they make of it.
var colonKinds = []struct {
	kws    []string
	prefix string
}{
	{[]string{"sfs nr~", "sfs~"}, "SFS "},
	{[]string{"sou~"}, "SOU "},
	{[]string{"ds~"}, "Ds "},
	{[]string{"dir.~", "dir~", "kommittédirektiv~", "kommittédirektiven~", "direktiv~", "direktiven~"}, "dir. "},
	{[]string{"imy rapport ", "imy:s rapport ", "integritetsskyddsmyndighetens rapport ",
		"datainspektionen rapport ", "datainspektionens rapport "}, "IMY rapport "},
	// A statute: "lag (2018:218)", "dataskyddslagen (2018:218)",
	// "förordningen [2007:975]", "förordning 2007:975".
	{[]string{"*lag~(", "*lagen~(", "*lag~[", "*lagen~[", "*förordning~(", "*förordningen~(",
		"*förordning~[", "*förordningen~[", "*balk~(", "*balken~(", "*kungörelse~(", "*kungörelsen~(",
		"lag ", "lagen ", "förordning ", "förordningen ", "balken ", "grundlagen "}, "SFS "},
}

// colonNumber reads "YYYY:N" after a word that says what series it is in:
// SFS, SOU, Ds, dir., IMY rapport.
func (c *collector) colonNumber(p, e int) int {
	s := c.text
	if e-p != 4 || byteAt(s, e) != ':' {
		return 0
	}
	ne := digitsAt(s, e+1)
	if ne == e+1 || ne-(e+1) > 5 || alnumAt(s, ne) || byteAt(s, ne) == ':' {
		return 0
	}
	year := atoi(s[p:e])
	if !plausibleYear(year, 1600) {
		return 0
	}
	num := s[p:ne]
	for _, k := range colonKinds {
		if _, st, ok := matchBackAny(s, p, k.kws); ok {
			end := ne
			if b := byteAt(s, ne); (b == ')' || b == ']') && k.prefix == "SFS " {
				end++
			}
			c.addSeries(k.prefix, num, st, end)
			return end
		}
	}
	if c.query {
		c.addSeries("SFS ", num, p, ne)
		return ne
	}
	return 0
}

func (c *collector) addSeries(prefix, num string, start, end int) {
	v := prefix + num
	c.add(listRef, v, start, end)
	if prefix == "SFS " {
		c.lastSFS, c.lastSFSStart, c.lastSFSEnd = v, start, end
	}
}

// Keywords before a Riksdag session number "YYYY/YY:N".
var riksmoteKinds = []struct {
	kws    []string
	prefix string
}{
	{[]string{"prop.~", "prop~", "proposition~", "propositionen~", "regeringens proposition~"}, "prop. "},
	{[]string{"rskr.~", "rskr~", "riksdagsskrivelse~"}, "rskr. "},
	{[]string{"skr.~", "skr~", "skrivelse~", "skrivelsen~"}, "skr. "},
	{[]string{"bet.~", "bet~", "betänkande~", "betänkandet~", "utskottets betänkande~"}, "bet. "},
}

// riksmote reads "2017/18:105" or "2017/18:KU23" after prop., skr., bet. or
// rskr.
func (c *collector) riksmote(p, e int) int {
	s := c.text
	if e-p != 4 || byteAt(s, e) != '/' {
		return 0
	}
	ye := digitsAt(s, e+1)
	if ye-(e+1) != 2 || byteAt(s, ye) != ':' {
		return 0
	}
	j := ye + 1
	ls := j
	for j < len(s) && isASCIILetter(s[j]) && j-ls < 5 {
		j++
	}
	ne := digitsAt(s, j)
	if ne == j || ne-j > 4 || alnumAt(s, ne) {
		return 0
	}
	for _, k := range riksmoteKinds {
		if _, st, ok := matchBackAny(s, p, k.kws); ok {
			c.add(listRef, k.prefix+s[p:ne], st, ne)
			return ne
		}
	}
	return 0
}

// slashNumber reads EU acts: "(EU) 2016/679", "direktiv 95/46/EG",
// "beslut 2010/87/EU", "(EG) nr 45/2001".
func (c *collector) slashNumber(p, e int) int {
	s := c.text
	if byteAt(s, e) != '/' || e-p > 4 {
		return 0
	}
	ne := digitsAt(s, e+1)
	if ne == e+1 || ne-(e+1) > 5 {
		return 0
	}
	// Old style: 95/46/EG, 2010/87/EU.
	if byteAt(s, ne) == '/' {
		le := ne + 1
		for le < len(s) && isASCIILetter(s[le]) && le-ne <= 4 {
			le++
		}
		series := strings.ToUpper(s[ne+1 : le])
		if (series != "EG" && series != "EEG" && series != "EU") || alnumAt(s, le) {
			return 0
		}
		v := s[p:ne] + "/" + series
		if _, st, ok := matchBackAny(s, p, beslutKWs); ok {
			c.add(listRef, "beslut "+v, st, le)
		} else {
			c.add(listRef, "dir. "+v, c.backStart(p, "direktiv~", "direktivet~", "dir.~"), le)
		}
		return le
	}
	if alnumAt(s, ne) {
		return 0
	}
	// New style: YYYY/N after (EU).
	if e-p == 4 && plausibleYear(atoi(s[p:e]), 1950) {
		year := atoi(s[p:e])
		v := s[p:ne]
		if _, st, ok := matchBackAny(s, p, []string{"(eu)~", "(eu) nr~", "(eu, euratom)~", "eu~"}); ok {
			start := st
			prefix := "EU "
			if _, st2, ok := matchBackAny(s, st, []string{"direktiv~", "direktivet~", "dir.~"}); ok {
				prefix, start = "dir. EU ", st2
			} else if _, st2, ok := matchBackAny(s, st, beslutKWs); ok {
				prefix, start = "beslut EU ", st2
			} else if _, st2, ok := matchBackAny(s, st, []string{"förordning~", "förordningen~"}); ok {
				start = st2
			}
			c.add(listRef, prefix+v, start, ne)
			return ne
		}
		if year >= 2015 {
			if _, st, ok := matchBackAny(s, p, []string{"förordning~", "förordningen~"}); ok {
				c.add(listRef, "EU "+v, st, ne)
				return ne
			}
			if c.query {
				c.add(listRef, "EU "+v, p, ne)
				return ne
			}
		}
	}
	// Before 2015: "(EG) nr 45/2001".
	if ye := ne; ye-(e+1) == 4 || ye-(e+1) == 2 {
		if kw, st, ok := matchBackAny(s, p, []string{"(eg) nr~", "(eeg) nr~", "(eu) nr~", "(eg) nr.~", "(eeg) nr.~", "eg~", "eeg~"}); ok {
			series := strings.ToUpper(strings.Trim(kw[:strings.IndexAny(kw, ") ~")], "("))
			c.add(listRef, series+" "+s[p:ne], st, ne)
			return ne
		}
	}
	return 0
}

var beslutKWs = []string{"beslut~", "beslutet~", "genomförandebeslut~", "genomförandebeslutet~"}

// backStart returns where the first of kws that ends at p starts, or p.
func (c *collector) backStart(p int, kws ...string) int {
	if _, st, ok := matchBackAny(c.text, p, kws); ok {
		return st
	}
	return p
}

// caseLaw reads "HFD 2019 ref. 21", "RÅ 2010 ref. 5", "NJA 2019 s. 123".
func (c *collector) caseLaw(p, e int) int {
	s := c.text
	if e-p != 4 {
		return 0
	}
	var court, kind string
	start := 0
	for _, k := range []struct{ kw, court string }{{"hfd ", "HFD"}, {"rå ", "RÅ"}, {"nja ", "NJA"}} {
		if st, ok := matchBack(s, p, k.kw); ok {
			court, start = k.court, st
			break
		}
	}
	if court == "" {
		return 0
	}
	j := skipSpace(s, e)
	if j == e {
		return 0
	}
	for _, k := range []struct{ kw, kind string }{{"ref.", "ref."}, {"ref", "ref."}, {"not.", "not."}, {"s.", "s."}} {
		if x, ok := matchFwd(s, j, k.kw); ok {
			j, kind = x, k.kind
			break
		}
	}
	if kind == "" || (court == "NJA") != (kind == "s.") {
		return 0
	}
	n := skipSpace(s, j)
	ne := digitsAt(s, n)
	if ne == n || ne-n > 4 || alnumAt(s, ne) {
		return 0
	}
	c.add(listRef, court+" "+s[p:e]+" "+kind+" "+strconv.Itoa(atoi(s[n:ne])), start, ne)
	return ne
}
