package extract

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"github.com/imy/imyrag"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/html/charset"
)

// extractHTML returns the main content of an HTML page as block text:
// headings as "# Title" lines, list items as "• item", table rows as cells
// joined by " | ", blocks separated by blank lines. Navigation, headers,
// footers, cookie banners, breadcrumbs, scripts and forms are dropped.
func extractHTML(data []byte) (Result, error) {
	src, err := decodeHTML(data)
	if err != nil {
		return Result{}, err
	}
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return Result{}, fmt.Errorf("parse html: %w", err)
	}
	root, sectioned := mainContent(doc)
	r := &htmlRenderer{inSection: sectioned}
	r.children(root)
	r.flush()
	text := strings.TrimSpace(r.String())
	if body := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Body }); text == "" && body != nil && root != body {
		// An empty <main> (a page rendered by script): fall back to the body.
		r = &htmlRenderer{}
		r.children(body)
		r.flush()
		text = strings.TrimSpace(r.String())
	}
	if text == "" {
		return Result{}, fmt.Errorf("no text in html: %w", ErrEmpty)
	}
	title := pageTitle(doc)
	if title == "" {
		title = r.firstH1
	}
	return Result{Format: FormatHTML, Title: title, Pages: []imyrag.Page{{Number: 0, Text: text}}}, nil
}

// decodeHTML returns the page as UTF-8. UTF-8 (with or without a BOM) is
// used as it is; otherwise a charset declared by a BOM or a <meta> element
// is honoured; anything else must be valid UTF-8.
func decodeHTML(data []byte) (string, error) {
	if s, ok, err := decodeUTF16(data); ok {
		return s, err
	}
	data = bytes.TrimPrefix(data, bomUTF8)
	if err := checkBinary(data); err != nil {
		return "", err
	}
	utf8Err := checkUTF8(data)
	if utf8Err == nil {
		return string(data), nil
	}
	if m := metaCharset.FindSubmatch(data[:min(len(data), 1024)]); m != nil {
		if enc, name := charset.Lookup(string(m[1])); enc != nil && name != "utf-8" {
			out, err := enc.NewDecoder().Bytes(data)
			if err != nil {
				return "", fmt.Errorf("decode %s: %v: %w", name, err, ErrInvalidUTF8)
			}
			return string(out), nil
		}
	}
	return "", utf8Err
}

// metaCharset finds the charset of <meta charset=...> or <meta
// http-equiv="Content-Type" content="text/html; charset=...">.
var metaCharset = regexp.MustCompile(`(?i)<meta\b[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// mainContent picks the element that holds the page's main content:
// <main>, [role=main], a single <article>, or the #content/.content-like
// element with the most text; else <body>. sectioned reports whether the
// root is itself a content section, inside which <header> and <footer>
// belong to the article and are kept.
func mainContent(doc *html.Node) (root *html.Node, sectioned bool) {
	if n := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Main && !isNoise(n, true) }); n != nil {
		return n, true
	}
	if n := find(doc, func(n *html.Node) bool { return attr(n, "role") == "main" && !isNoise(n, true) }); n != nil {
		return n, true
	}
	if arts := findAll(doc, func(n *html.Node) bool { return n.DataAtom == atom.Article && !isNoise(n, true) }); len(arts) == 1 {
		return arts[0], true
	}
	var best *html.Node
	bestLen := 0
	for _, n := range findAll(doc, isContentContainer) {
		if l := len(strings.TrimSpace(textOf(n))); l > bestLen {
			best, bestLen = n, l
		}
	}
	if best != nil {
		return best, true
	}
	if body := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Body }); body != nil {
		return body, false
	}
	return doc, false
}

var contentNames = map[string]bool{
	"content": true, "main-content": true, "maincontent": true, "main": true, "primary": true,
	"page-content": true, "pagecontent": true, "article-body": true, "entry-content": true,
	"post-content": true, "innehall": true, "huvudinnehall": true, "main-body": true,
}

func isContentContainer(n *html.Node) bool {
	if n.Type != html.ElementNode || isNoise(n, true) {
		return false
	}
	switch n.DataAtom {
	case atom.Div, atom.Section, atom.Td:
	default:
		return false
	}
	if contentNames[strings.ToLower(attr(n, "id"))] {
		return true
	}
	for _, c := range strings.Fields(strings.ToLower(attr(n, "class"))) {
		if contentNames[c] {
			return true
		}
	}
	return false
}

// Elements dropped with everything in them.
var noiseTags = map[atom.Atom]bool{
	atom.Nav: true, atom.Aside: true, atom.Script: true, atom.Style: true, atom.Noscript: true,
	atom.Form: true, atom.Button: true, atom.Svg: true, atom.Math: true, atom.Iframe: true,
	atom.Template: true, atom.Select: true, atom.Input: true, atom.Textarea: true, atom.Object: true,
	atom.Embed: true, atom.Canvas: true, atom.Video: true, atom.Audio: true, atom.Map: true,
	atom.Dialog: true, atom.Head: true, atom.Title: true, atom.Meta: true, atom.Link: true,
}

var noiseRoles = map[string]bool{
	"navigation": true, "search": true, "complementary": true, "dialog": true, "alertdialog": true,
	"menu": true, "menubar": true, "toolbar": true,
}

// isNoise reports whether n (with its subtree) is not content. inSection
// says whether n is inside the page's main content, where <header> and
// <footer> are the article's own.
func isNoise(n *html.Node, inSection bool) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if noiseTags[n.DataAtom] {
		return true
	}
	role := strings.ToLower(attr(n, "role"))
	if noiseRoles[role] {
		return true
	}
	if !inSection && (n.DataAtom == atom.Header || n.DataAtom == atom.Footer || role == "banner" || role == "contentinfo") {
		return true
	}
	if _, ok := attrOK(n, "hidden"); ok || attr(n, "aria-hidden") == "true" {
		return true
	}
	style := strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", "")
	if strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
		return true
	}
	names := strings.ToLower(attr(n, "id") + " " + attr(n, "class") + " " + attr(n, "aria-label"))
	if strings.Contains(names, "breadcrumb") || strings.Contains(names, "brödsmul") ||
		strings.Contains(names, "brodsmul") || strings.Contains(names, "du är här") {
		return true
	}
	if isCookieBanner(n, names) {
		return true
	}
	if n.DataAtom == atom.A && isSkipLink(n) {
		return true
	}
	return false
}

// isCookieBanner reports whether n is a cookie or consent banner: a
// container named for cookies/consent that holds controls or is a
// dialog. Sections of an article about cookies or consent (IMY writes
// many) have no buttons, so they are kept.
func isCookieBanner(n *html.Node, names string) bool {
	if !strings.Contains(names, "cookie") && !strings.Contains(names, "consent") &&
		!strings.Contains(names, "samtycke") && !strings.Contains(names, "gdpr") && !strings.Contains(names, "kakor") {
		return false
	}
	switch n.DataAtom {
	case atom.Div, atom.Section, atom.Aside, atom.Dialog, atom.Form, atom.Footer, atom.Header:
	default:
		return false
	}
	if strings.Contains(names, "banner") || strings.Contains(names, "popup") || strings.Contains(names, "modal") ||
		attr(n, "aria-modal") == "true" || attr(n, "role") == "region" {
		return true
	}
	return find(n, func(c *html.Node) bool {
		return c.DataAtom == atom.Button || c.DataAtom == atom.Input || c.DataAtom == atom.Form
	}) != nil
}

// isSkipLink reports whether a is a "Hoppa till innehåll" / "Skip to
// content" link.
func isSkipLink(a *html.Node) bool {
	cls := strings.ToLower(attr(a, "class"))
	if strings.Contains(cls, "skip") {
		return true
	}
	if !strings.HasPrefix(attr(a, "href"), "#") {
		return false
	}
	t := strings.ToLower(strings.Join(strings.Fields(textOf(a)), " "))
	for _, p := range []string{"hoppa till", "gå till huvudinnehåll", "gå direkt till", "till huvudinnehåll", "skip to", "jump to"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// pageTitle returns og:title or <title>, without a site-name suffix.
func pageTitle(doc *html.Node) string {
	if m := find(doc, func(n *html.Node) bool {
		return n.DataAtom == atom.Meta && (attr(n, "property") == "og:title" || attr(n, "name") == "og:title")
	}); m != nil {
		if t := collapseSpace(attr(m, "content")); t != "" {
			return stripSiteSuffix(t)
		}
	}
	if t := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Title }); t != nil {
		return stripSiteSuffix(collapseSpace(textOf(t)))
	}
	return ""
}

var siteNames = []string{"imy", "imy.se", "integritetsskyddsmyndigheten", "regeringen", "regeringen.se",
	"regeringskansliet", "riksdagen", "riksdagen.se", "edpb", "datainspektionen", "lagrummet", "eur-lex"}

// stripSiteSuffix drops a trailing " | Site" (or " – Site", " - Site")
// when Site is a known site name or, after "|", short.
func stripSiteSuffix(t string) string {
	for _, sep := range []string{" | ", " – ", " — ", " - "} {
		i := strings.LastIndex(t, sep)
		if i <= 0 {
			continue
		}
		site := strings.ToLower(strings.TrimSpace(t[i+len(sep):]))
		known := false
		for _, s := range siteNames {
			if site == s {
				known = true
			}
		}
		if known || sep == " | " && len(strings.Fields(site)) <= 4 {
			return strings.TrimSpace(t[:i])
		}
	}
	return t
}

// htmlRenderer turns a content subtree into blocks of text.
type htmlRenderer struct {
	blocks    []string
	line      strings.Builder
	space     bool // a space is pending before the next word
	pre       int  // depth of <pre>
	inSection bool
	firstH1   string
}

func (r *htmlRenderer) String() string { return strings.Join(r.blocks, "\n\n") }

// flush ends the current block.
func (r *htmlRenderer) flush() {
	s := strings.TrimRight(r.line.String(), " \n")
	s = strings.TrimLeft(s, " \n")
	if s != "" {
		r.blocks = append(r.blocks, s)
	}
	r.line.Reset()
	r.space = false
}

func (r *htmlRenderer) text(s string) {
	if r.pre > 0 {
		r.line.WriteString(strings.Map(htmlRune, s))
		return
	}
	for _, c := range s {
		c = htmlRune(c)
		switch {
		case c < 0:
		case unicode.IsSpace(c):
			r.space = true
		default:
			if r.space && r.line.Len() > 0 && !strings.HasSuffix(r.line.String(), "\n") {
				r.line.WriteByte(' ')
			}
			r.space = false
			r.line.WriteRune(c)
		}
	}
}

// htmlRune maps no-break spaces to spaces and drops invisible characters.
func htmlRune(c rune) rune {
	switch c {
	case 0xA0, 0x202F, 0x2007:
		return ' '
	case 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF:
		return -1
	}
	if c < 0x20 && c != '\n' && c != '\t' {
		return -1
	}
	return c
}

func (r *htmlRenderer) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.node(c)
	}
}

func (r *htmlRenderer) node(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.ElementNode:
	default:
		return
	}
	if isNoise(n, r.inSection) {
		return
	}
	switch n.DataAtom {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		r.flush()
		t := r.inline(n)
		if t == "" {
			return
		}
		level := int(n.Data[1] - '0')
		if level == 1 && r.firstH1 == "" {
			r.firstH1 = t
		}
		r.blocks = append(r.blocks, strings.Repeat("#", level)+" "+t)
	case atom.Ul, atom.Ol, atom.Menu:
		r.flush()
		if lines := r.list(n); len(lines) > 0 {
			r.blocks = append(r.blocks, strings.Join(lines, "\n"))
		}
	case atom.Li:
		r.flush()
		if lines := r.item(n); len(lines) > 0 {
			r.blocks = append(r.blocks, strings.Join(lines, "\n"))
		}
	case atom.Table:
		r.flush()
		r.table(n)
	case atom.Br:
		r.line.WriteByte('\n')
		r.space = false
	case atom.Pre:
		r.flush()
		r.pre++
		r.children(n)
		r.pre--
		r.flush()
	case atom.Img, atom.Picture, atom.Source, atom.Track, atom.Wbr:
	case atom.Hr:
		r.flush()
	case atom.Article, atom.Main, atom.Section:
		// Inside these, <header> and <footer> belong to the content.
		r.flush()
		outer := r.inSection
		r.inSection = true
		r.children(n)
		r.inSection = outer
		r.flush()
	default:
		if isBlock(n.DataAtom) {
			r.flush()
			r.children(n)
			r.flush()
			return
		}
		r.children(n)
	}
}

// inline renders n's content as one line.
func (r *htmlRenderer) inline(n *html.Node) string {
	sub := &htmlRenderer{inSection: r.inSection}
	sub.children(n)
	sub.flush()
	return collapseSpace(strings.Join(sub.blocks, " "))
}

// list renders the items of a <ul>/<ol>, nested lists on lines of their own.
func (r *htmlRenderer) list(n *html.Node) []string {
	var lines []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && c.DataAtom == atom.Li:
			if !isNoise(c, r.inSection) {
				lines = append(lines, r.item(c)...)
			}
		case c.Type == html.ElementNode && (c.DataAtom == atom.Ul || c.DataAtom == atom.Ol):
			lines = append(lines, r.list(c)...)
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) == "":
		default: // stray content in a list
			if t := r.inlineNode(c); t != "" {
				lines = append(lines, "• "+t)
			}
		}
	}
	return lines
}

// item renders one <li>: its text after "• ", then any nested list's lines.
func (r *htmlRenderer) item(li *html.Node) []string {
	sub := &htmlRenderer{inSection: r.inSection}
	var nested []string
	for c := li.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == atom.Ul || c.DataAtom == atom.Ol) && !isNoise(c, r.inSection) {
			nested = append(nested, r.list(c)...)
			continue
		}
		sub.node(c)
	}
	sub.flush()
	var lines []string
	if t := collapseSpace(strings.Join(sub.blocks, " ")); t != "" {
		lines = append(lines, "• "+t)
	}
	return append(lines, nested...)
}

func (r *htmlRenderer) inlineNode(n *html.Node) string {
	sub := &htmlRenderer{inSection: r.inSection}
	sub.node(n)
	sub.flush()
	return collapseSpace(strings.Join(sub.blocks, " "))
}

// table renders a caption, then one line per row with cells joined by " | ".
func (r *htmlRenderer) table(t *html.Node) {
	var rows []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || isNoise(c, r.inSection) {
				continue
			}
			switch c.DataAtom {
			case atom.Caption:
				if s := r.inline(c); s != "" {
					r.blocks = append(r.blocks, s)
				}
			case atom.Thead, atom.Tbody, atom.Tfoot:
				walk(c)
			case atom.Tr:
				var cells []string
				empty := true
				for td := c.FirstChild; td != nil; td = td.NextSibling {
					if td.Type == html.ElementNode && (td.DataAtom == atom.Td || td.DataAtom == atom.Th) && !isNoise(td, r.inSection) {
						s := r.inline(td)
						empty = empty && s == ""
						cells = append(cells, s)
					}
				}
				if !empty {
					rows = append(rows, strings.TrimSpace(strings.Join(cells, " | ")))
				}
			}
		}
	}
	walk(t)
	if len(rows) > 0 {
		r.blocks = append(r.blocks, strings.Join(rows, "\n"))
	}
}

func isBlock(a atom.Atom) bool {
	switch a {
	case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer,
		atom.Blockquote, atom.Figure, atom.Figcaption, atom.Dl, atom.Dt, atom.Dd, atom.Address,
		atom.Details, atom.Summary, atom.Center, atom.Fieldset, atom.Legend, atom.Body, atom.Html,
		atom.Caption, atom.Hgroup, atom.Tr, atom.Td, atom.Th:
		return true
	}
	return false
}

// textOf returns all text under n, including noise.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteByte(' ')
		}
		if n.Type == html.ElementNode && (n.DataAtom == atom.Script || n.DataAtom == atom.Style) {
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(strings.Map(htmlRune, s), unicode.IsSpace), " ")
}

func attr(n *html.Node, key string) string {
	v, _ := attrOK(n, key)
	return v
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val, true
		}
	}
	return "", false
}

// find returns the first element under n (n included, document order) for
// which match is true.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if n.Type == html.ElementNode && match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}
