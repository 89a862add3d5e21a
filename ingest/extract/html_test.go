package extract

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestHTMLPage reads an imy.se-like page (header with navigation, search
// and a cookie banner, breadcrumbs, an article with headings, lists and a
// table, a site footer) and compares its text with a golden file.
func TestHTMLPage(t *testing.T) {
	src := filepath.Join("testdata", "html", "imy-slutredovisning.html")
	golden := strings.TrimSuffix(src, ".html") + ".golden.txt"
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	res, err := shared.Extract(context.Background(), filepath.Base(src), data)
	if err != nil {
		t.Fatal(err)
	}
	got := res.Text() + "\n"
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	if want := "Kunskapshöjande insatser till innovationssystemet om integritets- och dataskyddsfrågor"; res.Title != want {
		t.Errorf("Title = %q, want %q", res.Title, want)
	}
	if res.Format != FormatHTML || len(res.Pages) != 1 || res.Pages[0].Number != 0 {
		t.Errorf("Format %q, pages %+v", res.Format, res.Pages)
	}
	for _, noise := range []string{"Hoppa till", "kakor", "Godkänn", "Verksamhet", "Sök", "Startsida", "Publikationer",
		"LinkedIn", "Box 8114", "Kontakta oss", "dataLayer", "visually-hidden"} {
		if strings.Contains(got, noise) {
			t.Errorf("text contains %q", noise)
		}
	}
}

func TestHTML(t *testing.T) {
	tests := []struct {
		name  string
		html  string
		want  string
		title string
		err   error
	}{
		{
			name:  "no main element: body without site chrome",
			html:  `<html><head><title>Beslut - IMY</title></head><body><header><nav><a href="/">Start</a></nav></header><h1>Beslut</h1><p>Text &amp; mer&nbsp;text.</p><footer>Sidfot</footer></body></html>`,
			want:  "# Beslut\n\nText & mer text.",
			title: "Beslut",
		},
		{
			name:  "role main wins over body",
			html:  `<body><div class="menu">Meny</div><div role="main"><h2>Rubrik</h2><p>Brödtext</p></div><div>Annat</div></body>`,
			want:  "## Rubrik\n\nBrödtext",
			title: "", // no <title>, no h1
		},
		{
			name: "content div with most text",
			html: `<body><div id="sidebar">Kort</div><div class="content"><p>Första stycket.</p><p>Andra
			       stycket   med    radbrytning.</p></div><div class="content">x</div></body>`,
			want: "Första stycket.\n\nAndra stycket med radbrytning.",
		},
		{
			name:  "og:title before title, site suffix stripped",
			html:  `<head><meta property="og:title" content="Vägledning om kameror"><title>Något annat | IMY</title></head><main><p>Text</p></main>`,
			want:  "Text",
			title: "Vägledning om kameror",
		},
		{
			name:  "title suffix with known site after dash",
			html:  `<head><title>Dataskyddsförordningen – Integritetsskyddsmyndigheten</title></head><main><h1>Rubrik</h1><p>Text</p></main>`,
			want:  "# Rubrik\n\nText",
			title: "Dataskyddsförordningen",
		},
		{
			name:  "first h1 when there is no title",
			html:  `<main><h1>  Huvud<em>rubrik</em> </h1><h3>Under</h3><p>a<br>b</p></main>`,
			want:  "# Huvudrubrik\n\n### Under\n\na\nb",
			title: "Huvudrubrik",
		},
		{
			name: "lists and nested lists",
			html: `<main><ul><li>Ett</li><li><p>Två</p><ol><li>Två a</li></ol></li></ul><p>Efter</p></main>`,
			want: "• Ett\n• Två\n• Två a\n\nEfter",
		},
		{
			name: "table with header, empty row and caption",
			html: `<main><table><caption>Avgifter</caption><tr><th>Art.</th><th>Belopp</th></tr><tr><td></td><td></td></tr><tr><td>32.1</td><td>1 500 000 kr</td></tr></table></main>`,
			want: "Avgifter\n\nArt. | Belopp\n32.1 | 1 500 000 kr",
		},
		{
			name: "pre keeps its lines",
			html: "<main><pre>rad 1\n  rad 2</pre></main>",
			want: "rad 1\n  rad 2",
		},
		{
			name: "hidden, scripts, forms, svg dropped",
			html: `<main><p hidden>dold</p><p style="display: none">dold</p><span aria-hidden="true">ikon</span><script>var x</script><form><label>Namn</label></form><svg><text>svg</text></svg><p>synlig</p></main>`,
			want: "synlig",
		},
		{
			name: "skip link and breadcrumbs dropped",
			html: `<body><a href="#innehall">Hoppa till innehåll</a><ol class="breadcrumb"><li>Start</li></ol><div id="content"><p>Innehåll</p><a href="#top">Till toppen</a></div></body>`,
			want: "Innehåll\n\nTill toppen",
		},
		{
			name: "consent banner dropped, article section about consent kept",
			html: `<body><div class="consent-banner"><p>Vi använder kakor</p></div><div id="gdpr-consent"><p>Samtycke?</p><button>Ja</button></div>
			       <main><section id="samtycke"><h2>Samtycke</h2><p>Samtycke enligt artikel 7.</p></section><section class="cookies"><h2>Kakor</h2><p>Om kakor.</p></section></main></body>`,
			want: "## Samtycke\n\nSamtycke enligt artikel 7.\n\n## Kakor\n\nOm kakor.",
		},
		{
			name:  "article header kept inside main",
			html:  `<body><header>Webbplats</header><main><article><header><h1>Artikel</h1></header><p>Text</p><footer>Publicerad 2024</footer></article></main></body>`,
			want:  "# Artikel\n\nText\n\nPublicerad 2024",
			title: "Artikel",
		},
		{
			name:  "article header kept without main",
			html:  `<body><header>Webbplats</header><article><header><h1>A</h1></header><p>x</p></article><article><p>y</p></article><footer>Sidfot</footer></body>`,
			want:  "# A\n\nx\n\ny",
			title: "A",
		},
		{
			name: "empty main falls back to body",
			html: `<body><main></main><p>Innehåll</p></body>`,
			want: "Innehåll",
		},
		{
			name: "entities, soft hyphen and zero-width space",
			html: `<main><p>&lt;tagg&gt; &quot;citat&quot; integritets&shy;skydd noll&#8203;bredd &#229;&#228;&#246;</p></main>`,
			want: `<tagg> "citat" integritetsskydd nollbredd åäö`,
		},
		{
			name:  "declared windows-1252 charset",
			html:  "<html><head><meta charset=\"windows-1252\"><title>R\xe4ttslig v\xe4gledning</title></head><main><p>\xc5tg\xe4rder f\xf6r \x80</p></main></html>",
			want:  "Åtgärder för €",
			title: "Rättslig vägledning",
		},
		{
			name: "declared iso-8859-1 in http-equiv",
			html: "<head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"></head><body><p>h\xe4lso- och sjukv\xe5rden</p></body>",
			want: "hälso- och sjukvården",
		},
		{
			name: "utf-8 BOM",
			html: "\xef\xbb\xbf<p>Hej</p>",
			want: "Hej",
		},
		{
			name: "utf-16 with BOM",
			html: "\xff\xfe<\x00p\x00>\x00H\x00\xe4\x00j\x00<\x00/\x00p\x00>\x00",
			want: "Häj",
		},
		{
			name: "invalid utf-8 without a declared charset",
			html: "<p>bra</p><p>fr\xe5ga</p>",
			err:  ErrInvalidUTF8,
		},
		{
			name: "NUL bytes",
			html: "<p>a\x00b</p>",
			err:  ErrBinary,
		},
		{
			name: "no text",
			html: "<html><head><title>Tom</title></head><body><nav>meny</nav><script>x()</script></body></html>",
			err:  ErrEmpty,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, ok := extractCase(t, "page.html", tc.html, tc.err, "", tc.want)
			if !ok {
				return
			}
			if res.Title != tc.title {
				t.Errorf("Title = %q, want %q", res.Title, tc.title)
			}
		})
	}
}

func TestStripSiteSuffix(t *testing.T) {
	tests := map[string]string{
		"Beslut | IMY":                                "Beslut",
		"Beslut – Region Exempelstad":                 "Beslut – Region Exempelstad",
		"Sanktionsavgift - imy.se":                    "Sanktionsavgift",
		"Om oss | Integritetsskyddsmyndigheten":       "Om oss",
		"A | B | En webbplats med ett långt namn här": "A | B | En webbplats med ett långt namn här",
		"Kameraövervakning":                           "Kameraövervakning",
	}
	for in, want := range tests {
		if got := stripSiteSuffix(in); got != want {
			t.Errorf("stripSiteSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}
