package legal

import (
	"strings"
	"unicode/utf8"
)

// A name of a statute or EU act that the text may use instead of its
// number.
type name struct {
	stem     string   // lowercase; the first letter may be upper case in the text
	suffixes []string // allowed endings after stem ("" for none)
	ref      string   // canonical reference
	exact    bool     // match stem exactly as written (abbreviations: GDPR, OSL)
	before   []string // if set, one of these must precede (matchBack keywords)
	// caseFree is how many leading runes of stem may be in either case in
	// the text; the rest is searched for as written. 0 means 1.
	caseFree int
}

var (
	lagSuffixes  = []string{"", "en", "ens", "s"}
	formSuffixes = []string{"", "en", "ens", "s"}
	dirSuffixes  = []string{"", "et", "ets"}
)

// names are found anywhere in the text (scanNames) and after section and
// article references.
var names = []name{
	{stem: "dataskyddsförordning", suffixes: formSuffixes, ref: "EU 2016/679"},
	{stem: "GDPR", ref: "EU 2016/679", exact: true},
	{stem: "gdpr", ref: "EU 2016/679", exact: true},
	{stem: "ai-förordning", suffixes: formSuffixes, ref: "EU 2024/1689", caseFree: 2},
	{stem: "ai\u2011förordning", suffixes: formSuffixes, ref: "EU 2024/1689", caseFree: 2},
	{stem: "dataskyddsdirektiv", suffixes: dirSuffixes, ref: "dir. 95/46/EG"},
	{stem: "brottsdatadirektiv", suffixes: dirSuffixes, ref: "dir. EU 2016/680"},
	{stem: "dataskyddslag", suffixes: lagSuffixes, ref: "SFS 2018:218"},
	{stem: "brottsdatalag", suffixes: lagSuffixes, ref: "SFS 2018:1177"},
	{stem: "kamerabevakningslag", suffixes: lagSuffixes, ref: "SFS 2018:1200"},
	{stem: "förvaltningslag", suffixes: lagSuffixes, ref: "SFS 2017:900"},
	{stem: "patientdatalag", suffixes: lagSuffixes, ref: "SFS 2008:355"},
	{stem: "sekretesslag", suffixes: lagSuffixes, ref: "SFS 2009:400",
		before: []string{"offentlighets- och ", "offentlighets-och ", "offentlighets och "}},
	{stem: "OSL", ref: "SFS 2009:400", exact: true},
	{stem: "tryckfrihetsförordning", suffixes: formSuffixes, ref: "SFS 1949:105"},
	{stem: "regeringsform", suffixes: formSuffixes, ref: "SFS 1974:152"},
	{stem: "yttrandefrihetsgrundlag", suffixes: lagSuffixes, ref: "SFS 1991:1469"},
}

// lawAbbrevs are statutes' abbreviations, trusted only right after a
// section reference ("26 kap. 1 § OSL", "2 kap. 1 § TF"): alone they are
// too short to be sure of.
var lawAbbrevs = map[string]string{
	"OSL": "SFS 2009:400", "TF": "SFS 1949:105", "RF": "SFS 1974:152", "YGL": "SFS 1991:1469",
	"FL": "SFS 2017:900", "PDL": "SFS 2008:355", "BrB": "SFS 1962:700", "RB": "SFS 1942:740",
	"LEK": "SFS 2022:482", "BDL": "SFS 2018:1177",
}

// scanNames finds every known name in the text. Each name is one fast
// substring search over the whole text (without its first letter, which may
// be upper case).
func (c *collector) scanNames() {
	s := c.text
	for i := range names {
		n := &names[i]
		needle := n.stem
		skip := 0
		if !n.exact {
			for range max(n.caseFree, 1) {
				_, w := utf8.DecodeRuneInString(n.stem[skip:])
				skip += w
			}
			needle = n.stem[skip:]
		}
		for off := 0; off < len(s); {
			k := strings.Index(s[off:], needle)
			if k < 0 {
				break
			}
			k += off
			off = k + len(needle)
			start := k - skip
			if start < 0 {
				continue
			}
			if end, ok := n.at(s, start); ok {
				c.add(listRef, n.ref, start, end)
				off = end
			}
		}
	}
}

// at reports whether the name is written at s[i:], and where it ends.
func (n *name) at(s string, i int) (int, bool) {
	if i < 0 || i >= len(s) || letterBefore(s, i) {
		return 0, false
	}
	var end int
	if n.exact {
		if !strings.HasPrefix(s[i:], n.stem) {
			return 0, false
		}
		end = i + len(n.stem)
		// "GDPR:s" is fine; "GDPRX" is not.
		if letterAt(s, end) {
			return 0, false
		}
	} else {
		var ok bool
		if end, ok = stemAt(s, i, n.stem, n.suffixes); !ok {
			return 0, false
		}
	}
	if len(n.before) > 0 {
		if _, _, ok := matchBackAny(s, i, n.before); !ok {
			return 0, false
		}
	}
	return end, true
}

// stemAt matches stem at s[i:] case-insensitively, followed by one of
// suffixes and then no letter, and returns the end.
func stemAt(s string, i int, stem string, suffixes []string) (int, bool) {
	j := i
	for k := 0; k < len(stem); {
		kr, kn := utf8.DecodeRuneInString(stem[k:])
		if j >= len(s) {
			return 0, false
		}
		r, n := utf8.DecodeRuneInString(s[j:])
		if r != kr && toLower(r) != kr {
			return 0, false
		}
		j += n
		k += kn
	}
	le := j
	for letterAt(s, le) {
		_, n := utf8.DecodeRuneInString(s[le:])
		le += n
	}
	suf := strings.ToLower(s[j:le])
	for _, x := range suffixes {
		if suf == x {
			return le, true
		}
	}
	return 0, false
}

func toLower(r rune) rune {
	switch {
	case r >= 'A' && r <= 'Z':
		return r + ('a' - 'A')
	case r == 'Å':
		return 'å'
	case r == 'Ä':
		return 'ä'
	case r == 'Ö':
		return 'ö'
	case r == 'É':
		return 'é'
	}
	return r
}

// nameAt returns the reference of the known name written at s[i:].
func nameAt(s string, i int) (ref string, end int, ok bool) {
	for k := range names {
		if end, ok := names[k].at(s, i); ok {
			return names[k].ref, end, true
		}
	}
	return "", 0, false
}
