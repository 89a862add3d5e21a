package ingest

import (
	"path/filepath"
	"strings"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/ingest/extract"
	"github.com/imy/imyrag/ingest/legal"
	"github.com/imy/imyrag/ingest/normalize"
)

// describe fills a document's title, kind, date and identifiers: from its
// manifest entry where there is one, otherwise from what the reader and the
// text say.
func describe(doc *imyrag.Document, src Source, ex extract.Result, norm normalize.Document) {
	if e := src.Entry; e != nil {
		doc.Title, doc.Kind, doc.Date = e.Title, e.Kind, e.Date
		doc.Identifiers = append([]string(nil), e.Identifiers...)
	}
	if doc.Title == "" {
		doc.Title = guessTitle(ex, norm, src.Name)
	}
	if doc.Kind == "" {
		doc.Kind = guessKind(src.Name, ex.Format, doc.Title, norm.Text)
	}
	if doc.Date == "" {
		// The first date stated near the top is usually the document's own
		// (a decision's "Datum", a report's cover page).
		head := norm.Text
		if len(head) > 3000 {
			head = head[:3000]
		}
		if ds := legal.FirstDate(head); ds != "" {
			doc.Date = ds
		}
	}
}

func guessTitle(ex extract.Result, norm normalize.Document, name string) string {
	if t := strings.TrimSpace(ex.Title); t != "" {
		return t
	}
	for _, b := range norm.Blocks {
		if b.Kind == normalize.Heading {
			return b.Text
		}
	}
	b := filepath.Base(name)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// kindWords maps words in a file name or title to a document kind, most
// specific first.
var kindWords = []struct {
	words []string
	kind  imyrag.Kind
}{
	{[]string{"tillsynsbeslut", "beslut"}, imyrag.KindBeslut},
	{[]string{"sandlåda", "sandlada", "sandlåde", "sandlade"}, imyrag.KindSandlada},
	{[]string{"vägledning", "vagledning", "riktlinje"}, imyrag.KindVagledning},
	{[]string{"skrivelse", "skr-", "skr."}, imyrag.KindSkrivelse},
	{[]string{"strategi"}, imyrag.KindStrategi},
	{[]string{"rapport", "redovisning"}, imyrag.KindRapport},
	{[]string{"presentation", "bilder"}, imyrag.KindPresentation},
}

func guessKind(name, format, title, text string) imyrag.Kind {
	hay := strings.ToLower(filepath.Base(name) + " " + title)
	for _, kw := range kindWords {
		for _, w := range kw.words {
			if strings.Contains(hay, w) {
				return kw.kind
			}
		}
	}
	// A decision says so in its first lines.
	first := strings.ToLower(text)
	if len(first) > 400 {
		first = first[:400]
	}
	if strings.Contains(first, "beslut") && strings.Contains(first, "diarienummer") {
		return imyrag.KindBeslut
	}
	if format == "html" {
		return imyrag.KindWebbsida
	}
	return imyrag.KindOvrigt
}
