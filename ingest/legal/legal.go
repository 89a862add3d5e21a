// Package legal finds the legal metadata of a Swedish text — IMY case
// numbers, Government Offices reference numbers, dates and references to
// legal sources — and writes each in one canonical form, so that filters and
// exact matches work whatever way the text wrote it.
//
// # Canonical forms
//
// Diarienummer (IMY, formerly Datainspektionen):
//
//	"DI-2021-5817", "Dnr DI 2021-5817", "di-2021-5817"  → "DI-2021-5817"
//	"IMY-2023-1234", "dnr IMY-2022-55"                  → "IMY-2023-1234", "IMY-2022-55"
//
// Government Offices reference numbers (ministry code + year / number; a
// trailing unit code as in "Ju2019/01234/L6" is dropped; known codes are
// written as the Government Offices write them, others with an upper-case
// first letter):
//
//	"N2021/01266", "ju2019/01234", "Fi2020/00123"  → "N2021/01266", "Ju2019/01234", "Fi2020/00123"
//
// Dates, validated (the day must exist; years 1900–2099):
//
//	"28 mars 2023", "den 1 januari 2025", "1 sept. 2022", "2023-03-28"  → "2023-03-28", …
//	"1–3 mars 2023"                                                       → "2023-03-01", "2023-03-03"
//
// Legal references (LegalRefs):
//
//	"lag (2018:218)", "SFS 2018:218", "förordningen [2007:975]",
//	"dataskyddslagen (2018:218)"                     → "SFS 2018:218"
//	"2 kap. 3 § lag (2018:218)", "3 kap. 5 § dataskyddslagen",
//	"1 § andra stycket förordningen [2007:975]"      → "SFS 2018:218 2 kap. 3 §", "SFS 2018:218 3 kap. 5 §",
//	                                                    "SFS 2007:975 1 §" (and the bare "SFS …")
//	"3 a § OSL", "2 kap. dataskyddslagen"            → "SFS 2009:400 3 a §", "SFS 2018:218 2 kap."
//	"SOU 2016:41", "Ds 2021:3"                       → "SOU 2016:41", "Ds 2021:3"
//	"dir. 2021:110", "(dir 2021:110)", "kommittédirektiv 2021:110" → "dir. 2021:110"
//	"prop. 2017/18:105", "skr. 2021/22:1", "skrivelse 2021/22:1",
//	"bet. 2017/18:KU23", "rskr. 2017/18:224"         → "prop. 2017/18:105", "skr. 2021/22:1", "bet. 2017/18:KU23", …
//	"IMY rapport 2021:1", "IMY Rapport 2021:1",
//	"Datainspektionen rapport 2019:2"                → "IMY rapport 2021:1", "IMY rapport 2019:2"
//	"förordning (EU) 2016/679"                       → "EU 2016/679"
//	"direktiv (EU) 2016/680"                         → "dir. EU 2016/680"
//	"direktiv 95/46/EG"                              → "dir. 95/46/EG"
//	"beslut 2010/87/EU"                              → "beslut 2010/87/EU"
//	"förordning (EG) nr 45/2001"                     → "EG 45/2001"
//	"C-311/18", "mål T-604/18"                       → "C-311/18", "T-604/18"
//	"HFD 2019 ref. 21", "RÅ 2010 ref. 5", "NJA 2019 s. 123" → the same
//
// A statute or EU act named without its number is referred to by number:
// "dataskyddslagen" → "SFS 2018:218", "offentlighets- och sekretesslagen" and
// "OSL" → "SFS 2009:400", "brottsdatalagen" → "SFS 2018:1177",
// "kamerabevakningslagen" → "SFS 2018:1200", "tryckfrihetsförordningen" →
// "SFS 1949:105", "förvaltningslagen" → "SFS 2017:900", "regeringsformen" →
// "SFS 1974:152", "yttrandefrihetsgrundlagen" → "SFS 1991:1469",
// "patientdatalagen" → "SFS 2008:355", "GDPR" and "dataskyddsförordningen" →
// "EU 2016/679", "AI-förordningen" → "EU 2024/1689",
// "dataskyddsdirektivet" → "dir. 95/46/EG", "brottsdatadirektivet" →
// "dir. EU 2016/680". A bare "sekretesslagen" is left alone: it may mean the
// old act (1980:100) or, colloquially, OSL.
//
// Articles: "artikel 6.1 e", "art. 6.1 e", "artikel 6 1 e", "artikel
// 6(1)(e)", "artikel 6.1e" all read as article 6, paragraph 1, point e;
// lists and ranges expand ("artiklarna 13 och 14", "artikel 5.1 a–c",
// "artiklarna 12–22", at most 30 each). An article is attributed to the act
// named right after it ("artikel 9.2 g i dataskyddsförordningen", "artikel
// 6.1 e GDPR", "artikel 57 i AI-förordningen", "artikel 5 i förordning (EU)
// 2022/868"), else to GDPR or the AI Act when one of them is named within
// 200 bytes (the nearer wins), else to none:
//
//	"GDPR art. 6.1 e", "GDPR art. 13", "AI Act art. 57", "EU 2022/868 art. 5",
//	"EKMR art. 8", "Stadgan art. 8", "FEUF art. 16", "art. 6.1 e" (unattributed)
//
// Extract is conservative: a number without the words that say what it is
// ("2.1", "6.1 e", "2021", "08-657 61 00", "kl. 10.30", "(2018:218)" after
// no statute) is nothing.
//
// Extract runs in one pass over the digits of the text plus a fast substring
// search per known name: no regular expressions. It never panics, whatever
// the input.
package legal

import (
	"slices"
	"strings"

	"github.com/imy/imyrag"
)

// Extract finds the legal metadata in text. Every list is normalized,
// de-duplicated and sorted.
func Extract(text string) imyrag.Metadata {
	c := collector{text: text}
	c.scan()
	return c.metadata()
}

// Merge returns the union of ms, each list de-duplicated and sorted.
func Merge(ms ...imyrag.Metadata) imyrag.Metadata {
	var out imyrag.Metadata
	for _, m := range ms {
		out.Diarienummer = append(out.Diarienummer, m.Diarienummer...)
		out.GovRefs = append(out.GovRefs, m.GovRefs...)
		out.Dates = append(out.Dates, m.Dates...)
		out.LegalRefs = append(out.LegalRefs, m.LegalRefs...)
	}
	out.Diarienummer = sortedSet(out.Diarienummer)
	out.GovRefs = sortedSet(out.GovRefs)
	out.Dates = sortedSet(out.Dates)
	out.LegalRefs = sortedSet(out.LegalRefs)
	return out
}

// Normalize canonicalizes one reference as a user types it in a filter or a
// question, so that it matches Extract's output exactly: "2018:218" and "sfs
// 2018:218" → "SFS 2018:218", "art 6.1e" → "GDPR art. 6.1 e",
// "di 2021-5817" → "DI-2021-5817", "dataskyddslagen" → "SFS 2018:218",
// "28 mars 2023" → "2023-03-28". The canonical forms of the four lists never
// look alike, so the result can be matched against all of them.
//
// Normalize reads more boldly than Extract, because the input is known to
// be a reference: a bare "YYYY:N" is an SFS number, a bare "YYYY/N" (from
// 2015 on) an EU act, and an article with no act named is a GDPR article
// (this is IMY's tool). When the input holds several references, the one
// that spans most of it wins. ok is false when no reference is found
// ("6.1 e", "hej").
func Normalize(ref string) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", false
	}
	c := collector{text: ref, query: true}
	c.scan()
	if len(c.spans) == 0 {
		return "", false
	}
	best := c.spans[0]
	for _, sp := range c.spans[1:] {
		if w, bw := sp.end-sp.start, best.end-best.start; w > bw || w == bw && len(sp.value) > len(best.value) {
			best = sp
		}
	}
	return best.value, true
}

// FirstDate returns the date that text states first (ISO 8601), or "" when
// it states none. A document's own date is usually the first one on its
// first page.
func FirstDate(text string) string {
	c := collector{text: text, track: true}
	c.scan()
	first := -1
	for i, sp := range c.spans {
		if first < 0 || sp.start < c.spans[first].start {
			first = i
		}
	}
	if first < 0 {
		return ""
	}
	return c.spans[first].value
}

// list names one of the Metadata lists.
type list uint8

const (
	listDnr list = iota
	listGov
	listDate
	listRef
)

type span struct {
	value      string
	start, end int
}

// collector gathers what the scanners find.
type collector struct {
	text  string
	query bool // Normalize: read bare numbers boldly, keep spans
	track bool // keep spans (FirstDate)

	lists [4][]string
	spans []span
	// lastSFS is the last SFS number found and where its text ends, so
	// that "SFS 2018:218 2 kap. 3 §" can attach the section to it.
	lastSFS                  string
	lastSFSStart, lastSFSEnd int
}

func (c *collector) add(l list, value string, start, end int) {
	c.lists[l] = append(c.lists[l], value)
	if c.query || c.track && l == listDate {
		c.spans = append(c.spans, span{value, start, end})
	}
}

func (c *collector) metadata() imyrag.Metadata {
	return imyrag.Metadata{
		Diarienummer: sortedSet(c.lists[listDnr]),
		GovRefs:      sortedSet(c.lists[listGov]),
		Dates:        sortedSet(c.lists[listDate]),
		LegalRefs:    sortedSet(c.lists[listRef]),
	}
}

func (c *collector) scan() {
	c.scanDigits()
	c.scanNames()
}

// sortedSet sorts and de-duplicates ss in place; nil when empty.
func sortedSet(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	slices.Sort(ss)
	return slices.Compact(ss)
}
