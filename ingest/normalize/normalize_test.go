package normalize

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/imy/imyrag"
	"golang.org/x/text/unicode/norm"
)

// text normalizes one unpaginated page.
func text(s string) Document {
	return Normalize([]imyrag.Page{{Number: 0, Text: s}})
}

// texts returns the blocks' texts.
func texts(d Document) []string {
	out := make([]string, len(d.Blocks))
	for i, b := range d.Blocks {
		out[i] = b.Text
	}
	return out
}

// brief is a block without offsets and pages, for comparing structure.
type brief struct {
	Kind  BlockKind
	Level int
	Text  string
	Path  string
}

func briefs(d Document) []brief {
	out := make([]brief, len(d.Blocks))
	for i, b := range d.Blocks {
		out[i] = brief{b.Kind, b.Level, b.Text, strings.Join(b.HeadingPath, " > ")}
	}
	return out
}

func TestCleanCharacters(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"NFC: decomposed ä and å compose",
			"Integritetsskyddsmyndigheten a\u0308r en myndighet som fa\u030Ar ta\u0308nka.",
			[]string{"Integritetsskyddsmyndigheten är en myndighet som får tänka."}},
		{"NBSP and narrow NBSP become spaces",
			"Under 2021 har 1\u00A0493\u202Ftkr förbrukats.",
			[]string{"Under 2021 har 1 493 tkr förbrukats."}},
		{"zero-width characters and BOM vanish",
			"\uFEFFIMY\u200B har\u2060 arbetat med uppdraget sedan augusti 2021.",
			[]string{"IMY har arbetat med uppdraget sedan augusti 2021."}},
		{"soft hyphens inside a line vanish",
			"Integritets\u00ADskydds\u00ADmyndigheten lämnade sin första rapport.",
			[]string{"Integritetsskyddsmyndigheten lämnade sin första rapport."}},
		{"soft hyphen at a line end joins the word",
			"I januari 2021 lämnade Integritetsskydds\u00AD\nmyndigheten (IMY) sin första rapport.",
			[]string{"I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första rapport."}},
		{"CRLF, tabs and runs of spaces",
			"Arbetet med uppdraget planerades under våren 2021\toch startade i augusti samma år, \r\nda  integritetsskyddsrapporten   var en viktig utgångspunkt.\r\nÄven detta.\rOch detta.\r\n",
			[]string{"Arbetet med uppdraget planerades under våren 2021 och startade i augusti samma år, da integritetsskyddsrapporten var en viktig utgångspunkt.", "Även detta.", "Och detta."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := text(tt.in)
			if diff := cmp.Diff(tt.want, texts(d)); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
			if !norm.NFC.IsNormalString(d.Text) {
				t.Errorf("text is not NFC: %q", d.Text)
			}
		})
	}
}

func TestDewrap(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"hard-wrapped paragraph, blank line between paragraphs (delredovisning)",
			"I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första \n" +
				"integritetsskyddsrapport till regeringen. Enligt vår instruktion ska en redovisning av \n" +
				"utvecklingen på it-området när det gäller frågor som rör integritet och ny teknik lämnas \n" +
				"till regeringen vart fjärde år.  \n\n" +
				"I rapporten konstaterade vi att datadriven innovation inom en rad områden ger hopp \n" +
				"om att bättre kunna möta samtidens stora globala och nationella utmaningar. \n",
			[]string{
				"I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första integritetsskyddsrapport till regeringen. Enligt vår instruktion ska en redovisning av utvecklingen på it-området när det gäller frågor som rör integritet och ny teknik lämnas till regeringen vart fjärde år.",
				"I rapporten konstaterade vi att datadriven innovation inom en rad områden ger hopp om att bättre kunna möta samtidens stora globala och nationella utmaningar.",
			}},
		{"a wrap after a sentence end when the next word would not fit (delredovisning)",
			"Kunskapen om AI ökar sakta men många är fortfarande osäkra på hur AI fungerar. \n" +
				"Mest positiva är man till smarta produkter i hemmet och förbättrad kvalitet på \n" +
				"samhällstjänster.  \n\n" +
				"Undersökningen visar dock tydligt att det finns en utbredd oro att AI kan påverka den \n" +
				"personliga integriteten negativt. Andelen som tycker det är okej att AI-baserade \n" +
				"system fattar beslut om dem minskar. Hela 86 procent av de som svarat anser att \n" +
				"företag som utvecklar AI-lösningar ska vara bundna till etiska riktlinjer. \n",
			[]string{
				"Kunskapen om AI ökar sakta men många är fortfarande osäkra på hur AI fungerar. Mest positiva är man till smarta produkter i hemmet och förbättrad kvalitet på samhällstjänster.",
				"Undersökningen visar dock tydligt att det finns en utbredd oro att AI kan påverka den personliga integriteten negativt. Andelen som tycker det är okej att AI-baserade system fattar beslut om dem minskar. Hela 86 procent av de som svarat anser att företag som utvecklar AI-lösningar ska vara bundna till etiska riktlinjer.",
			}},
		{"slide text with blank lines inside a wrapped bullet (sandlåda)",
			" Vilka är Innovationshubben?\n\n" +
				"• Enheten inrättades officiellt den 1 januari 2025 \n\n" +
				"• En plattform för aktörer att testa innovationsidéer i dialog med \n\n" +
				"oss och blir ett stöd för innovation och utveckling under \n\n" +
				"projektets gång\n\n" +
				"• Ett team bestående av tech-jurister som samarbetar tätt med \n\n" +
				"specialister inom AI och cybersäkerhet \n",
			[]string{
				"Vilka är Innovationshubben?",
				"• Enheten inrättades officiellt den 1 januari 2025",
				"• En plattform för aktörer att testa innovationsidéer i dialog med oss och blir ett stöd för innovation och utveckling under projektets gång",
				"• Ett team bestående av tech-jurister som samarbetar tätt med specialister inom AI och cybersäkerhet",
			}},
		{"double-spaced text: blank line after every line (ai-strategi)",
			"Integritetsskyddsmyndigheten (IMY) bedömer att användning av AI-teknik kan bidra till \n\n" +
				"en betydande effektivisering av myndighetens verksamhet. Denna strategi syftar till att \n\n" +
				"på ett övergripande sätt redogöra för myndighetens behov, fastslå principerna för det \n\n" +
				"fortsatta arbetet. \n\n \n\n" +
				"Införandet av AI kan påverka kulturen och kräver en strategi för förändringshantering \n\n" +
				"för att säkerställa att alla är engagerade och positiva till förändringen. Med ett \n\n" +
				"strategiskt förfarande kommer införande av AI att leda till att vi blir en mer attraktiv \n\n" +
				"arbetsgivare i tiden. Implementeringen av \n\n" +
				"AI kommer att kräva att personalen erbjuds utbildning och kompetensutveckling. \n\n" +
				"Denna princip förutsätter att vi arbetar med det. Det gäller alla som arbetar på \n\n" +
				"myndigheten, oavsett roll, och alla verktyg och tjänster som vi tar i bruk. \n",
			[]string{
				"Integritetsskyddsmyndigheten (IMY) bedömer att användning av AI-teknik kan bidra till en betydande effektivisering av myndighetens verksamhet. Denna strategi syftar till att på ett övergripande sätt redogöra för myndighetens behov, fastslå principerna för det fortsatta arbetet.",
				"Införandet av AI kan påverka kulturen och kräver en strategi för förändringshantering för att säkerställa att alla är engagerade och positiva till förändringen. Med ett strategiskt förfarande kommer införande av AI att leda till att vi blir en mer attraktiv arbetsgivare i tiden. Implementeringen av AI kommer att kräva att personalen erbjuds utbildning och kompetensutveckling. Denna princip förutsätter att vi arbetar med det. Det gäller alla som arbetar på myndigheten, oavsett roll, och alla verktyg och tjänster som vi tar i bruk.",
			}},
		{"one paragraph per line, unwrapped (skr)",
			"Regeringen instämmer i att enskilda individers rättigheter och möjligheter att kontrollera sina data bör förbättras.\n" +
				"Det behövs fortsatt arbete för att stärka samhällets hantering av informations- och cybersäkerhetshot. Det kan finnas behov av att se över och uppdatera den nationella strategin för samhällets informations- och cybersäkerhet.\n" +
				"Regeringen har för avsikt att fortsätta att bedriva ett systematiskt och aktivt arbete för att förstärka skyddet för den enskildes personliga integritet samtidigt som tjänster som ökar medborgarnas livskvalitet och näringslivets konkurrenskraft utvecklas.\n" +
				"I och med denna skrivelse anser regeringen att Integritetsskyddsmyndighetens rapport är slutbehandlad.\n" +
				"Integritetsskyddsmyndigheten konstaterar att den regulatoriska utvecklingen i huvudsak är EU-gemensam, varför det är centralt att Sverige tar en aktiv roll i det EU-gemensamma arbetet.\n",
			[]string{
				"Regeringen instämmer i att enskilda individers rättigheter och möjligheter att kontrollera sina data bör förbättras.",
				"Det behövs fortsatt arbete för att stärka samhällets hantering av informations- och cybersäkerhetshot. Det kan finnas behov av att se över och uppdatera den nationella strategin för samhällets informations- och cybersäkerhet.",
				"Regeringen har för avsikt att fortsätta att bedriva ett systematiskt och aktivt arbete för att förstärka skyddet för den enskildes personliga integritet samtidigt som tjänster som ökar medborgarnas livskvalitet och näringslivets konkurrenskraft utvecklas.",
				"I och med denna skrivelse anser regeringen att Integritetsskyddsmyndighetens rapport är slutbehandlad.",
				"Integritetsskyddsmyndigheten konstaterar att den regulatoriska utvecklingen i huvudsak är EU-gemensam, varför det är centralt att Sverige tar en aktiv roll i det EU-gemensamma arbetet.",
			}},
		{"a paragraph continues across a page break and past the footnotes (delredovisning)",
			"samverkan. Det sammanfattades i ett inlägg på IMY-bloggen.11 \n\n" +
				"Ministern inledningstalade om hur integritet är en grundläggande rättighet, att data i \n" +
				"vår tid är en strategisk resurs och att digital innovation måste gå hand i hand med \n" +
				"digital trygghet. Under industrialiseringen var tillgången till arbetskraft den viktigaste \n" +
				"tillgången och Sverige har en stolt tradition som föregångsland när det gäller att \n" +
				"organisera skyddet för arbetstagare. När data nu utgör den viktigaste resursen \n\n \n" +
				"10 https://www.imy.se/blogg/forskarhearing-om-inbyggt-dataskydd/ \n" +
				"11 https://www.imy.se/blogg/digital-innovation-maste-ga-hand-i-hand-med-digital-trygghet/ \n" +
				" behöver Sverige gå i bräschen för en digital omställning som säkerställer ett starkt \n" +
				"skydd för människors data, menade digitaliseringsministern.  \n",
			[]string{
				"samverkan. Det sammanfattades i ett inlägg på IMY-bloggen.[11]",
				"Ministern inledningstalade om hur integritet är en grundläggande rättighet, att data i vår tid är en strategisk resurs och att digital innovation måste gå hand i hand med digital trygghet. Under industrialiseringen var tillgången till arbetskraft den viktigaste tillgången och Sverige har en stolt tradition som föregångsland när det gäller att organisera skyddet för arbetstagare. När data nu utgör den viktigaste resursen behöver Sverige gå i bräschen för en digital omställning som säkerställer ett starkt skydd för människors data, menade digitaliseringsministern.",
				"[10] https://www.imy.se/blogg/forskarhearing-om-inbyggt-dataskydd/",
				"[11] https://www.imy.se/blogg/digital-innovation-maste-ga-hand-i-hand-med-digital-trygghet/",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, texts(text(tt.in))); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDehyphenate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"line-end hyphenation is undone",
			"Kraftfull teknik för att samla in data är en risk för integritets-\nskyddet för enskilda.",
			"Kraftfull teknik för att samla in data är en risk för integritetsskyddet för enskilda."},
		{"across a blank line on a slide (sandlåda)",
			"• Sker någon personuppgiftsbehandling?! Dataskydds-\n\nmyndigheten ska då involveras i sandlådeprojektet\n",
			"• Sker någon personuppgiftsbehandling?! Dataskyddsmyndigheten ska då involveras i sandlådeprojektet"},
		{"suspended compound: hyphen and space kept before och",
			"• Datadelning upplevs som särskilt komplicerat av aktörer inom hälso-\noch sjukvården, som ofta hanterar känsliga personuppgifter.",
			"• Datadelning upplevs som särskilt komplicerat av aktörer inom hälso- och sjukvården, som ofta hanterar känsliga personuppgifter."},
		{"suspended compound mid-line is untouched (delredovisning)",
			"• Datadelning upplevs som särskilt komplicerat av aktörer inom hälso- och \n\nsjukvården, som ofta hanterar känsliga personuppgifter vilka omfattas av stark \n\nsekretess.  \n",
			"• Datadelning upplevs som särskilt komplicerat av aktörer inom hälso- och sjukvården, som ofta hanterar känsliga personuppgifter vilka omfattas av stark sekretess."},
		{"suspended compound before eller and a comma",
			"Det gäller personuppgifts-\neller integritetsincidenter och innovations-\n, utvecklings och genomförandeprocesser.",
			"Det gäller personuppgifts- eller integritetsincidenter och innovations- , utvecklings och genomförandeprocesser."},
		{"acronym before the hyphen keeps it: IMY-bloggen (delredovisning)",
			"I februari anordnade IMY ett webbsänt seminarium. Även detta sammanfattades på IMY-\nbloggen.",
			"I februari anordnade IMY ett webbsänt seminarium. Även detta sammanfattades på IMY-bloggen."},
		{"acronym before the hyphen keeps it: EU-kommissionen",
			"Frågan har behandlats av EU-\nkommissionen under våren.",
			"Frågan har behandlats av EU-kommissionen under våren."},
		{"upper case or digit after the hyphen keeps it",
			"Det gäller även Covid-\n19-pandemin och Schrems-\nII-domen i sin helhet.",
			"Det gäller även Covid-19-pandemin och Schrems-II-domen i sin helhet."},
		{"AI-strategi in a title (ai-strategi)",
			" Integritetsskyddsmyndighetens AI-\nstrategi \n\nInledning \n\nIntegritetsskyddsmyndigheten (IMY) bedömer att användning av AI-teknik kan bidra.",
			"Integritetsskyddsmyndighetens AI-strategi"},
		{"a word the text also writes with a hyphen keeps it",
			"Man önskar också fördjupad case-baserad vägledning och mer case-\nbaserad dialog.",
			"Man önskar också fördjupad case-baserad vägledning och mer case-baserad dialog."},
		{"a dash at the line end is a dash",
			"prioritering i den målbild och strategiska inriktning vi fastslagit för IMY för åren 2022 - \n2025.",
			"prioritering i den målbild och strategiska inriktning vi fastslagit för IMY för åren 2022 - 2025."},
		{"hyphen inside a URL is kept (delredovisning footnote)",
			"Vi har haft möten med ICO.7 Dialogen fortsätter under uppdragets gång.\n\n \n" +
				"7 https://ico.org.uk/about-the-ico/news-and-events/news-and-blogs/2021/04/how-the-ico-innovation-hub-is-enabling-\n" +
				"innovation-and-economic-growth-through-cross-regulatory-collaboration/ \n",
			"[7] https://ico.org.uk/about-the-ico/news-and-events/news-and-blogs/2021/04/how-the-ico-innovation-hub-is-enabling-innovation-and-economic-growth-through-cross-regulatory-collaboration/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := texts(text(tt.in))
			for _, g := range got {
				if g == tt.want {
					return
				}
			}
			t.Errorf("no block %q in\n%q", tt.want, got)
		})
	}
}

// pdfPages lays out paragraphs as PDF pages with a running header and a
// page-number footer in the given style.
func pdfPages(header string, footer func(n, total int) string, bodies ...string) []imyrag.Page {
	var pages []imyrag.Page
	for i, b := range bodies {
		var s strings.Builder
		if header != "" {
			s.WriteString(header + "\n")
		}
		s.WriteString(b)
		if footer != nil {
			s.WriteString("\n" + footer(i+1, len(bodies)))
		}
		pages = append(pages, imyrag.Page{Number: i + 1, Text: s.String()})
	}
	return pages
}

var delredovisningPages = []string{
	"1. Bakgrund \nI januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första \nintegritetsskyddsrapport till regeringen. Enligt vår instruktion ska en redovisning av \nutvecklingen på it-området lämnas till regeringen vart fjärde år.",
	"2. Genomförda åtgärder \nArbetet med uppdraget planerades under våren 2021 och startade i augusti samma år. \nIntegritetsskyddsrapporten som IMY lämnat till regeringen tidigare samma år var en \nviktig utgångspunkt i vår planering av uppdraget.",
	"Uppdraget kan sägas ha två huvudsakliga delar; att utveckla IMY:s förmåga att följa \noch analysera den tekniska utvecklingen och tillhandahålla vägledning och stöd, samt \natt genomföra utåtriktade insatser i syfte att brett höja kunskapen om integritets- och \ndataskyddsfrågor i innovationssystemet.",
	"3. IMY:s erfarenheter under första fasen \nDet är för tidigt att säga att IMY:s arbete med vägledning och stöd till \ninnovationsaktörer ännu har lett till ökad kunskap om integritets- och dataskyddsfrågor.",
}

var wantDelredovisningPages = []string{
	"1. Bakgrund",
	"I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första integritetsskyddsrapport till regeringen. Enligt vår instruktion ska en redovisning av utvecklingen på it-området lämnas till regeringen vart fjärde år.",
	"2. Genomförda åtgärder",
	"Arbetet med uppdraget planerades under våren 2021 och startade i augusti samma år. Integritetsskyddsrapporten som IMY lämnat till regeringen tidigare samma år var en viktig utgångspunkt i vår planering av uppdraget.",
	"Uppdraget kan sägas ha två huvudsakliga delar; att utveckla IMY:s förmåga att följa och analysera den tekniska utvecklingen och tillhandahålla vägledning och stöd, samt att genomföra utåtriktade insatser i syfte att brett höja kunskapen om integritets- och dataskyddsfrågor i innovationssystemet.",
	"3. IMY:s erfarenheter under första fasen",
	"Det är för tidigt att säga att IMY:s arbete med vägledning och stöd till innovationsaktörer ännu har lett till ökad kunskap om integritets- och dataskyddsfrågor.",
}

func TestPageNumbers(t *testing.T) {
	styles := map[string]func(n, total int) string{
		"bare":    func(n, _ int) string { return fmt.Sprint(n) },
		"sida":    func(n, total int) string { return fmt.Sprintf("Sida %d av %d", n, total) },
		"paren":   func(n, total int) string { return fmt.Sprintf("%d (%d)", n, total) },
		"dashes":  func(n, _ int) string { return fmt.Sprintf("- %d -", n) },
		"slash":   func(n, total int) string { return fmt.Sprintf("%d/%d", n, total) },
		"spacey ": func(n, total int) string { return fmt.Sprintf("  %d  ", n) },
	}
	for name, footer := range styles {
		t.Run(name, func(t *testing.T) {
			d := Normalize(pdfPages("", footer, delredovisningPages...))
			if diff := cmp.Diff(wantDelredovisningPages, texts(d)); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("page number at the top", func(t *testing.T) {
		var pages []imyrag.Page
		for i, b := range delredovisningPages {
			pages = append(pages, imyrag.Page{Number: i + 1, Text: fmt.Sprintf("%d\n%s", i+1, b)})
		}
		if diff := cmp.Diff(wantDelredovisningPages, texts(Normalize(pages))); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
	})
	t.Run("numbers in the body are kept", func(t *testing.T) {
		in := "IMY har för genomförande av uppdraget kunnat rekvirera särskild finansiering, upp till \n2 miljoner kronor för 2021. Under 2021 har 1 493 tkr förbrukats.  \n"
		want := []string{"IMY har för genomförande av uppdraget kunnat rekvirera särskild finansiering, upp till 2 miljoner kronor för 2021. Under 2021 har 1 493 tkr förbrukats."}
		if diff := cmp.Diff(want, texts(text(in))); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
	})
}

func TestHeaderFooter(t *testing.T) {
	pages := pdfPages("Integritetsskyddsmyndigheten        Delredovisning N2021/01266",
		func(n, total int) string { return fmt.Sprintf("IMY rapport 2022:%d    %d (%d)", n, n, total) },
		delredovisningPages...)
	d := Normalize(pages)
	if diff := cmp.Diff(wantDelredovisningPages, texts(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	wantFurniture := []string{"Integritetsskyddsmyndigheten Delredovisning N2021/01266", "IMY rapport 2022:1 1 (4)"}
	if diff := cmp.Diff(wantFurniture, d.Furniture); diff != "" {
		t.Errorf("Furniture (-want +got):\n%s", diff)
	}
	for _, b := range d.Blocks {
		if b.PageStart < 1 || b.PageEnd < b.PageStart || b.PageEnd > len(pages) {
			t.Errorf("block %q: pages %d-%d", b.Text, b.PageStart, b.PageEnd)
		}
	}
	if got := d.Blocks[len(d.Blocks)-1].PageStart; got != 4 {
		t.Errorf("last block on page %d, want 4", got)
	}

	t.Run("two pages: nothing counts as furniture", func(t *testing.T) {
		d := Normalize(pdfPages("Delredovisning N2021/01266", nil, delredovisningPages[:2]...))
		if len(d.Furniture) != 0 || !strings.Contains(d.Text, "Delredovisning N2021/01266") {
			t.Errorf("Furniture = %q; text kept the header: %v", d.Furniture, strings.Contains(d.Text, "Delredovisning"))
		}
	})
	t.Run("web boilerplate", func(t *testing.T) {
		d := text("Hoppa till innehåll på sidan\n\nKunskapshöjande insatser till innovationssystemet om integritets- och dataskyddsfrågor\n\nSlutredovisning av regeringsuppdrag\n")
		if diff := cmp.Diff([]string{"Hoppa till innehåll på sidan"}, d.Furniture); diff != "" {
			t.Errorf("Furniture (-want +got):\n%s", diff)
		}
		if strings.Contains(d.Text, "Hoppa") {
			t.Errorf("boilerplate left in text: %q", d.Text)
		}
	})
}

// A paragraph cut by a page break continues on the next PDF page, and the
// PDF pages normalize to the same text as the unpaginated extraction.
func TestPDFPagesMatchText(t *testing.T) {
	src := readCorpus(t, "imy-2022-delredovisning-innovationssystemet")
	var pages []imyrag.Page
	var cur strings.Builder
	for i, l := range strings.Split(src, "\n") {
		if i > 0 && strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "  ") && strings.TrimSpace(l) != "" {
			pages = append(pages, imyrag.Page{Number: len(pages) + 1, Text: cur.String()})
			cur.Reset()
		}
		cur.WriteString(l + "\n")
	}
	pages = append(pages, imyrag.Page{Number: len(pages) + 1, Text: cur.String()})
	if len(pages) != 16 {
		t.Fatalf("split into %d pages, want 16", len(pages))
	}
	for i := range pages {
		pages[i].Text = fmt.Sprintf("Integritetsskyddsmyndigheten  N2021/01266\n%s\n%d (16)\n", pages[i].Text, i+1)
	}
	pdf := Normalize(pages)
	plain := text(src)
	if diff := cmp.Diff(plain.Text, pdf.Text); diff != "" {
		t.Errorf("PDF pages and plain text differ (-plain +pdf):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Integritetsskyddsmyndigheten N2021/01266"}, pdf.Furniture); diff != "" {
		t.Errorf("Furniture (-want +got):\n%s", diff)
	}
	// "När data nu utgör den viktigaste resursen" ends page 8, the sentence
	// ends on page 9.
	for _, b := range pdf.Blocks {
		if strings.HasPrefix(b.Text, "Ministern inledningstalade") {
			if b.PageStart != 8 || b.PageEnd != 9 {
				t.Errorf("paragraph across the page break: pages %d-%d, want 8-9", b.PageStart, b.PageEnd)
			}
			return
		}
	}
	t.Error("paragraph across the page break not found")
}

func TestBookmarks(t *testing.T) {
	in := "I skrivelsen kommenterar regeringen även rapportens slutsatser, iakttagelser och rekommendationer. \n" +
		"[bookmark: _Toc99010619]Integritetsskyddsmyndighetens rapport \n" +
		"[bookmark: _Toc99010620]Allmänt om innehållet\n" +
		"Vid framtagandet av rapporten har Integritetsskyddsmyndigheten genomfört ett tiotal intervjuer med experter inom integritet, ny teknik, dataskydd och angränsande områden.\n" +
		"[bookmark: _Toc99010627][bookmark: _Toc490212276]Privata och offentliga verksamheters dataskyddsarbete\n" +
		"Regeringens bedömning: Det är angeläget att verksamheter i privat och offentlig sektor fortsätter att förbättra sitt grundläggande dataskyddsarbete.\n" +
		"Ett stycke med ett [bookmark: _Hlk1234]bokmärke mitt i texten.\n"
	want := []brief{
		{Paragraph, 0, "I skrivelsen kommenterar regeringen även rapportens slutsatser, iakttagelser och rekommendationer.", ""},
		{Heading, 1, "Integritetsskyddsmyndighetens rapport", "Integritetsskyddsmyndighetens rapport"},
		{Heading, 2, "Allmänt om innehållet", "Integritetsskyddsmyndighetens rapport > Allmänt om innehållet"},
		{Paragraph, 0, "Vid framtagandet av rapporten har Integritetsskyddsmyndigheten genomfört ett tiotal intervjuer med experter inom integritet, ny teknik, dataskydd och angränsande områden.", "Integritetsskyddsmyndighetens rapport > Allmänt om innehållet"},
		{Heading, 2, "Privata och offentliga verksamheters dataskyddsarbete", "Integritetsskyddsmyndighetens rapport > Privata och offentliga verksamheters dataskyddsarbete"},
		{Paragraph, 0, "Regeringens bedömning: Det är angeläget att verksamheter i privat och offentlig sektor fortsätter att förbättra sitt grundläggande dataskyddsarbete.", "Integritetsskyddsmyndighetens rapport > Privata och offentliga verksamheters dataskyddsarbete"},
		{Paragraph, 0, "Ett stycke med ett bokmärke mitt i texten.", "Integritetsskyddsmyndighetens rapport > Privata och offentliga verksamheters dataskyddsarbete"},
	}
	d := text(in)
	if diff := cmp.Diff(want, briefs(d)); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
	if strings.Contains(d.Text, "bookmark") || strings.Contains(d.Text, "_Toc") {
		t.Errorf("bookmark left in text")
	}
	for _, id := range corpusIDs {
		if strings.Contains(normalizeCorpus(t, id).Text, "[bookmark") {
			t.Errorf("%s: bookmark left in text", id)
		}
	}
}

func TestFootnotes(t *testing.T) {
	t.Run("Word footnote reference and text", func(t *testing.T) {
		in := "Många organisationer uppvisar fortfarande brister i de grundläggande skyldigheter som följer av EU:s dataskyddsförordning[footnoteRef:2]. Att tolka och tillämpa regelverket innebär utmaningar.\n" +
			"[2:  Europaparlamentets och rådets förordning (EU) 2016/679 av den 27 april 2016 om skydd för fysiska personer med avseende på behandling av personuppgifter.]\n" +
			"Regeringen instämmer i vikten av att verksamheter fortsätter att förbättra sitt dataskyddsarbete.\n"
		want := []brief{
			{Paragraph, 0, "Många organisationer uppvisar fortfarande brister i de grundläggande skyldigheter som följer av EU:s dataskyddsförordning[2]. Att tolka och tillämpa regelverket innebär utmaningar.", ""},
			{Footnote, 0, "[2] Europaparlamentets och rådets förordning (EU) 2016/679 av den 27 april 2016 om skydd för fysiska personer med avseende på behandling av personuppgifter.", ""},
			{Paragraph, 0, "Regeringen instämmer i vikten av att verksamheter fortsätter att förbättra sitt dataskyddsarbete.", ""},
		}
		if diff := cmp.Diff(want, briefs(text(in))); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
	})
	t.Run("Word footnote text over several lines", func(t *testing.T) {
		in := "Text med fotnot[footnoteRef:3] i sig.\n[3:  Se prop. 2017/18:105\noch SFS 2018:218.]\nMer text efteråt.\n"
		want := []string{"Text med fotnot[3] i sig.", "[3] Se prop. 2017/18:105 och SFS 2018:218.", "Mer text efteråt."}
		if diff := cmp.Diff(want, texts(text(in))); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
	})
	t.Run("page-foot footnotes of the delredovisning", func(t *testing.T) {
		in := " 1. Bakgrund \n" +
			"I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första \n" +
			"integritetsskyddsrapport till regeringen.1 Enligt vår instruktion ska en redovisning av \n" +
			"utvecklingen på it-området när det gäller frågor som rör integritet och ny teknik lämnas \n" +
			"till regeringen vart fjärde år.  \n\n" +
			"I april 2021 fick IMY i uppdrag av regeringen att genomföra kunskapshöjande insatser \n" +
			"om integritets- och dataskyddsfrågor inom innovations-, utvecklings och genomförande \n" +
			"processer. 3  Enligt uppdraget ska IMY genomföra utåtriktade insatser enligt SFS 2018:218.  \n\n \n\n \n" +
			"1 IMY rapport 2021:1, Integritetsskyddsrapport 2020 (imy.se) \n" +
			"2 Teknik för att samla data: sensorer och sändare, teknik för interaktion mellan människa och dator, sakernas \n" +
			"internet/Internet of Things (IoT), webbskrapning samt insamling av biometriska uppgifter. Teknik för att bearbeta och \n" +
			"3 Ert diarienummer N2021/01266 \n\n" +
			"https://www.imy.se/globalassets/dokument/rapporter/integritetsskyddsrapport2020.pdf\n" +
			" Av uppdraget framgår att IMY ska lämna en delredovisning av uppdraget till \n" +
			"regeringen senast den 31 mars 2022. Vi har haft möten med den brittiska dataskyddsmyndigheten (ICO) och \n" +
			"norska Datatilsynet9, som båda har sådan verksamhet.4 \n\n \n" +
			"4 https://www.datatilsynet.no/regelverk-og-verktoy/sandkasse-for-kunstig-intelligens/ \n"
		want := []brief{
			{Heading, 1, "1. Bakgrund", "1. Bakgrund"},
			{Paragraph, 0, "I januari 2021 lämnade Integritetsskyddsmyndigheten (IMY) sin första integritetsskyddsrapport till regeringen.[1] Enligt vår instruktion ska en redovisning av utvecklingen på it-området när det gäller frågor som rör integritet och ny teknik lämnas till regeringen vart fjärde år.", "1. Bakgrund"},
			{Paragraph, 0, "I april 2021 fick IMY i uppdrag av regeringen att genomföra kunskapshöjande insatser om integritets- och dataskyddsfrågor inom innovations-, utvecklings och genomförande processer. [3] Enligt uppdraget ska IMY genomföra utåtriktade insatser enligt SFS 2018:218.", "1. Bakgrund"},
			{Footnote, 0, "[1] IMY rapport 2021:1, Integritetsskyddsrapport 2020 (imy.se)", "1. Bakgrund"},
			{Footnote, 0, "[2] Teknik för att samla data: sensorer och sändare, teknik för interaktion mellan människa och dator, sakernas internet/Internet of Things (IoT), webbskrapning samt insamling av biometriska uppgifter. Teknik för att bearbeta och", "1. Bakgrund"},
			{Footnote, 0, "[3] Ert diarienummer N2021/01266", "1. Bakgrund"},
			{Paragraph, 0, "https://www.imy.se/globalassets/dokument/rapporter/integritetsskyddsrapport2020.pdf", "1. Bakgrund"},
			// "Datatilsynet9" is a number glued to a word, but footnote 9
			// is not on this page: it stays as it is.
			{Paragraph, 0, "Av uppdraget framgår att IMY ska lämna en delredovisning av uppdraget till regeringen senast den 31 mars 2022. Vi har haft möten med den brittiska dataskyddsmyndigheten (ICO) och norska Datatilsynet9, som båda har sådan verksamhet.[4]", "1. Bakgrund"},
			{Footnote, 0, "[4] https://www.datatilsynet.no/regelverk-og-verktoy/sandkasse-for-kunstig-intelligens/", "1. Bakgrund"},
		}
		if diff := cmp.Diff(want, briefs(text(in))); diff != "" {
			t.Errorf("blocks (-want +got):\n%s", diff)
		}
	})
	t.Run("references in the corpus", func(t *testing.T) {
		d := normalizeCorpus(t, "imy-2022-delredovisning-innovationssystemet")
		for _, ref := range []string{
			"till regeringen.[1] Enligt", "den personliga integriteten.[2] Många", "genomförande processer. [3] Enligt",
			"i sitt dataskyddsarbete.[4]", "inställning till AI.[5] I undersökningen", "ett innovationscenter.[6] De",
			"sitt innovationscenter[7]. Vi", "libertés (CNIL)[8] och", "norska Datatilsynet[9], som",
			"på IMY-bloggen.[10]", "på IMY-bloggen.[11]", "på IMY-bloggen.[12] Ansiktsigenkänning",
			"digitaliseringsfrågor. [13] I sin", "ICO tagit fram.[14]", "för åren 2022 - 2025.[15]",
		} {
			if !strings.Contains(d.Text, ref) {
				t.Errorf("reference %q not marked", ref)
			}
		}
		n := 0
		for _, b := range d.Blocks {
			if b.Kind == Footnote {
				n++
				if want := fmt.Sprintf("[%d] ", n); !strings.HasPrefix(b.Text, want) {
					t.Errorf("footnote %d is %q", n, b.Text)
				}
			}
		}
		if n != 15 {
			t.Errorf("%d footnotes, want 15", n)
		}
		skr := normalizeCorpus(t, "skr-2022-integritet-och-ny-teknik")
		for _, keep := range []string{"EU:s dataskyddsförordning[2]. Att tolka", "(SOU 2016:41)", "förordningen [2007:975] med", "(I2021/02739)", "(Ds 2000:1)"} {
			if !strings.Contains(skr.Text, keep) {
				t.Errorf("skr: %q not in text", keep)
			}
		}
	})
}

func TestHeadingsCorpus(t *testing.T) {
	find := func(t *testing.T, d Document, prefix string) (int, Block) {
		t.Helper()
		for i, b := range d.Blocks {
			if strings.HasPrefix(b.Text, prefix) {
				return i, b
			}
		}
		t.Fatalf("no block starting %q", prefix)
		return 0, Block{}
	}
	tests := []struct {
		doc, prefix string
		kind        BlockKind
		level       int
		path        []string
	}{
		{"imy-2022-delredovisning-innovationssystemet", "Sammanfattning", Heading, 1, []string{"Sammanfattning"}},
		{"imy-2022-delredovisning-innovationssystemet", "1. Bakgrund", Heading, 1, []string{"1. Bakgrund"}},
		{"imy-2022-delredovisning-innovationssystemet", "I januari 2021 lämnade", Paragraph, 0, []string{"1. Bakgrund"}},
		{"imy-2022-delredovisning-innovationssystemet", "2.1. Kartläggning", Heading, 2, []string{"2. Genomförda åtgärder", "2.1. Kartläggning av innovationsaktörernas behov"}},
		{"imy-2022-delredovisning-innovationssystemet", "2.2. Arbete för att", Heading, 2, []string{"2. Genomförda åtgärder", "2.2. Arbete för att identifiera centrala samverkanspartners och lära av andra"}},
		{"imy-2022-delredovisning-innovationssystemet", "2.1.3. Rundabordssamtal", Heading, 3, []string{"2. Genomförda åtgärder", "2.1. Kartläggning av innovationsaktörernas behov", "2.1.3. Rundabordssamtal med startupbolag"}},
		{"imy-2022-delredovisning-innovationssystemet", "Startupbolag är företag", Paragraph, 0, []string{"2. Genomförda åtgärder", "2.1. Kartläggning av innovationsaktörernas behov", "2.1.3. Rundabordssamtal med startupbolag"}},
		{"imy-2022-delredovisning-innovationssystemet", "2.4. Utåtriktade insatser", Heading, 2, []string{"2. Genomförda åtgärder", "2.4. Utåtriktade insatser för att höja kunskapen om integritets- och dataskyddsfrågor i innovationssystemet"}},
		{"imy-2022-delredovisning-innovationssystemet", "5. Ekonomisk uppföljning", Heading, 1, []string{"5. Ekonomisk uppföljning"}},
		{"imy-2022-delredovisning-innovationssystemet", "Lena Lindgren Schelin", Paragraph, 0, []string{"5. Ekonomisk uppföljning"}},
		{"skr-2022-integritet-och-ny-teknik", "Ärendet och dess beredning", Heading, 1, []string{"Ärendet och dess beredning"}},
		{"skr-2022-integritet-och-ny-teknik", "I september 2019 infördes", Paragraph, 0, []string{"Ärendet och dess beredning"}},
		{"skr-2022-integritet-och-ny-teknik", "Integritetsskyddsmyndighetens rapport", Heading, 1, []string{"Integritetsskyddsmyndighetens rapport"}},
		{"skr-2022-integritet-och-ny-teknik", "Allmänt om innehållet", Heading, 2, []string{"Integritetsskyddsmyndighetens rapport", "Allmänt om innehållet"}},
		{"skr-2022-integritet-och-ny-teknik", "1. De flesta känner till", ListItem, 0, []string{"Integritetsskyddsmyndighetens rapport", "Integritetsskyddsmyndighetens övergripande slutsatser och iakttagelser"}},
		{"skr-2022-integritet-och-ny-teknik", "3. Insamling av biometrisk data ökar", ListItem, 0, []string{"Integritetsskyddsmyndighetens rapport", "Integritetsskyddsmyndighetens övergripande slutsatser och iakttagelser"}},
		{"skr-2022-integritet-och-ny-teknik", "Sverige behöver en integritetsskyddspolitik", Heading, 3, []string{"Integritetsskyddsmyndighetens rapport", "Integritetsskyddsmyndighetens rekommendationer", "Sverige behöver en integritetsskyddspolitik"}},
		{"skr-2022-integritet-och-ny-teknik", "Regeringens kommentarer med anledning", Heading, 1, []string{"Regeringens kommentarer med anledning av Integritetsskyddsmyndighetens slutsatser, iakttagelser och rekommendationer"}},
		{"skr-2022-integritet-och-ny-teknik", "En tydligare integritetsskyddspolitik", Heading, 2, []string{"Regeringens kommentarer med anledning av Integritetsskyddsmyndighetens slutsatser, iakttagelser och rekommendationer", "En tydligare integritetsskyddspolitik"}},
		{"skr-2022-integritet-och-ny-teknik", "Föredragande: statsrådet Johansson", Paragraph, 0, []string{"Justitiedepartementet", "Utdrag ur protokoll vid regeringssammanträde den 24 mars 2022"}},
		{"imy-2025-ai-strategi", "Integritetsskyddsmyndighetens AI-strategi", Heading, 1, []string{"Integritetsskyddsmyndighetens AI-strategi"}},
		{"imy-2025-ai-strategi", "Styrande principer", Heading, 2, []string{"Integritetsskyddsmyndighetens AI-strategi", "Styrande principer"}},
		{"imy-2025-ai-strategi", "1. Effektivitet", Heading, 3, []string{"Integritetsskyddsmyndighetens AI-strategi", "Styrande principer", "1. Effektivitet"}},
		{"imy-2025-ai-strategi", "Effekter", Heading, 2, []string{"Integritetsskyddsmyndighetens AI-strategi", "Effekter"}},
		{"imy-2025-ai-strategi", "Bilaga - Potentiella användningsområden", Heading, 1, []string{"Bilaga - Potentiella användningsområden i IMY:s verksamhet"}},
		{"imy-2025-ai-strategi", "Intern rättsdatabas", Heading, 2, []string{"Bilaga - Potentiella användningsområden i IMY:s verksamhet", "Intern rättsdatabas"}},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "Vad menar IMY med regulatorisk sandlåda?", Heading, 1, []string{"Vad menar IMY med regulatorisk sandlåda?"}},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "Vägledningsfrågor om dataskydd och integritet", Heading, 1, []string{"Vägledningsfrågor om dataskydd och integritet"}},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "1. Projektets idé innebär samhällsnytta,", ListItem, 0, []string{"Information till intresserade aktörer"}},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "Innovationshubben Sandlådan Projekt", Paragraph, 0, []string{"Vad menar IMY med regulatorisk sandlåda?"}},
		{"imy-2023-slutredovisning-innovationssystemet", "Sammanfattning", Heading, 1, []string{"Sammanfattning"}},
	}
	docs := map[string]Document{}
	for _, tt := range tests {
		t.Run(tt.doc+"/"+tt.prefix, func(t *testing.T) {
			d, ok := docs[tt.doc]
			if !ok {
				d = normalizeCorpus(t, tt.doc)
				docs[tt.doc] = d
			}
			_, b := find(t, d, tt.prefix)
			if b.Kind != tt.kind || b.Level != tt.level {
				t.Errorf("%q is %v/%d, want %v/%d", b.Text, b.Kind, b.Level, tt.kind, tt.level)
			}
			if diff := cmp.Diff(tt.path, b.HeadingPath); diff != "" {
				t.Errorf("HeadingPath (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHeadingRules(t *testing.T) {
	tests := []struct {
		name, in string
		want     []brief
	}{
		{"markdown headings and bullets from the HTML reader",
			"# Kunskapshöjande insatser till innovationssystemet\n\nSlutredovisning av regeringsuppdrag\n\n## Sammanfattning\n\n• Våren 2021 fick IMY ett särskilt uppdrag från regeringen.\n• Två huvudprinciper har präglat vårt arbete.\n\n1. Ett numrerat stycke som inte är en rubrik\n\n### Slutrapport\n\n28 mars 2023\n",
			[]brief{
				{Heading, 1, "Kunskapshöjande insatser till innovationssystemet", "Kunskapshöjande insatser till innovationssystemet"},
				{Paragraph, 0, "Slutredovisning av regeringsuppdrag", "Kunskapshöjande insatser till innovationssystemet"},
				{Heading, 2, "Sammanfattning", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning"},
				{ListItem, 0, "• Våren 2021 fick IMY ett särskilt uppdrag från regeringen.", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning"},
				{ListItem, 0, "• Två huvudprinciper har präglat vårt arbete.", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning"},
				{ListItem, 0, "1. Ett numrerat stycke som inte är en rubrik", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning"},
				{Heading, 3, "Slutrapport", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning > Slutrapport"},
				{Paragraph, 0, "28 mars 2023", "Kunskapshöjande insatser till innovationssystemet > Sammanfattning > Slutrapport"},
			}},
		{"numbered headings without a final period, 2.1 and 2.1.",
			"1 Inledning\nDetta dokument utgör IMY:s delredovisning av regeringsuppdraget.\n2.1 Syfte\nSyftet med intervjuerna var att inhämta information.\n2.1.1. Metod\nIntervjuerna genomfördes digitalt under vintern 2021.\n",
			[]brief{
				{Heading, 1, "1 Inledning", "1 Inledning"},
				{Paragraph, 0, "Detta dokument utgör IMY:s delredovisning av regeringsuppdraget.", "1 Inledning"},
				{Heading, 2, "2.1 Syfte", "1 Inledning > 2.1 Syfte"},
				{Paragraph, 0, "Syftet med intervjuerna var att inhämta information.", "1 Inledning > 2.1 Syfte"},
				{Heading, 3, "2.1.1. Metod", "1 Inledning > 2.1 Syfte > 2.1.1. Metod"},
				{Paragraph, 0, "Intervjuerna genomfördes digitalt under vintern 2021.", "1 Inledning > 2.1 Syfte > 2.1.1. Metod"},
			}},
		{"numbered list after a colon, items ending in commas (sandlåda)",
			" Information till intresserade aktörer \n\nVi förutsätter att:\n\n1. Projektets idé innebär samhällsnytta,\n\n2. Det är värdefullt för många att IMY belyser \n\ndataskyddsfrågorna som kommer upp.\n\n3. Deltagaren/deltagarna kan avsätta tid för att delta,\n",
			[]brief{
				{Heading, 1, "Information till intresserade aktörer", "Information till intresserade aktörer"},
				{Paragraph, 0, "Vi förutsätter att:", "Information till intresserade aktörer"},
				{ListItem, 0, "1. Projektets idé innebär samhällsnytta,", "Information till intresserade aktörer"},
				{ListItem, 0, "2. Det är värdefullt för många att IMY belyser dataskyddsfrågorna som kommer upp.", "Information till intresserade aktörer"},
				{ListItem, 0, "3. Deltagaren/deltagarna kan avsätta tid för att delta,", "Information till intresserade aktörer"},
			}},
		{"short numbered items in a run are a list, not headings (skr)",
			"Integritetsskyddsmyndigheten sammanfattar sina slutsatser under följande rubriker. \n\n2. Med Internet of things flyttar spårningen på nätet ut i städer och hem \n3. Insamling av biometrisk data ökar\n4. Höga ambitioner när det gäller datadriven innovation behöver kombineras med kraftfulla åtgärder\nSverige behöver en integritetsskyddspolitik\nIntegritetsskyddsmyndigheten konstaterar att regeringen de senaste åren har gjort ambitiösa satsningar.\n",
			[]brief{
				{Paragraph, 0, "Integritetsskyddsmyndigheten sammanfattar sina slutsatser under följande rubriker.", ""},
				{ListItem, 0, "2. Med Internet of things flyttar spårningen på nätet ut i städer och hem", ""},
				{ListItem, 0, "3. Insamling av biometrisk data ökar", ""},
				{ListItem, 0, "4. Höga ambitioner när det gäller datadriven innovation behöver kombineras med kraftfulla åtgärder", ""},
				{Heading, 1, "Sverige behöver en integritetsskyddspolitik", "Sverige behöver en integritetsskyddspolitik"},
				{Paragraph, 0, "Integritetsskyddsmyndigheten konstaterar att regeringen de senaste åren har gjort ambitiösa satsningar.", "Sverige behöver en integritetsskyddspolitik"},
			}},
		{"a signature, a label and a menu line are not titles",
			"Prognosen är att vi kommer att rekvirera hela beloppet.\n\nLena Lindgren Schelin \n\nGeneraldirektör IMY \n\nFöredragande: statsrådet Johansson\n\nDetta är en vanlig mening som avslutar texten.\n",
			[]brief{
				{Paragraph, 0, "Prognosen är att vi kommer att rekvirera hela beloppet.", ""},
				{Paragraph, 0, "Lena Lindgren Schelin", ""},
				{Paragraph, 0, "Generaldirektör IMY", ""},
				{Paragraph, 0, "Föredragande: statsrådet Johansson", ""},
				{Paragraph, 0, "Detta är en vanlig mening som avslutar texten.", ""},
			}},
		{"unnumbered title inside a numbered section nests below it",
			"2. Genomförda åtgärder\nArbetet med uppdraget planerades under våren 2021.\n\nErfarenheter från pilotfallet\n\nVi har lärt oss mycket av pilotfallet under hösten.\n\n3. Fortsatt arbete\nUnder 2022 kommer arbetet inriktas mot vägledning.\n",
			[]brief{
				{Heading, 1, "2. Genomförda åtgärder", "2. Genomförda åtgärder"},
				{Paragraph, 0, "Arbetet med uppdraget planerades under våren 2021.", "2. Genomförda åtgärder"},
				{Heading, 2, "Erfarenheter från pilotfallet", "2. Genomförda åtgärder > Erfarenheter från pilotfallet"},
				{Paragraph, 0, "Vi har lärt oss mycket av pilotfallet under hösten.", "2. Genomförda åtgärder > Erfarenheter från pilotfallet"},
				{Heading, 1, "3. Fortsatt arbete", "3. Fortsatt arbete"},
				{Paragraph, 0, "Under 2022 kommer arbetet inriktas mot vägledning.", "3. Fortsatt arbete"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, briefs(text(tt.in))); diff != "" {
				t.Errorf("blocks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListItems(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "• Ett team bestående av tech-jurister som samarbetar tätt med specialister inom AI och cybersäkerhet"},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "◦ IMY och innovationsaktörerna tillsammans identifierar de rättsliga frågor som vägledningen ska fokusera på"},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "• Federerad maskininlärning mellan två vårdgivare (Sahlgrenska, Region Halland, AI Sweden)"},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "• Trusted Execution Environment, TEE (CanaryBit, Ericsson och Volvo)"},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "• Vidarebehandling av personuppgifter i vårdnadsärenden för att träna en AI-modell (Familjens Jurist)"},
		{"imy-2025-innovationshubben-regulatorisk-sandlada", "◦ 3 Mkr för 2026"},
		{"imy-2022-delredovisning-innovationssystemet", "• Om utvecklingen sker med stöd av samtycke medför rätten att dra tillbaka samtycke ett problem för produktutvecklingen."},
		{"imy-2022-delredovisning-innovationssystemet", "• vilka åtgärder som genomförts,"},
		{"imy-2022-delredovisning-innovationssystemet", "• Pilotfall avseende regulatorisk testverksamhet."},
		{"imy-2025-ai-strategi", "• Främjar transparens och ansvarstagande: Vi är öppna med hur AI-system fungerar och vilka data de använder och tränas på."},
		{"imy-2023-slutredovisning-innovationssystemet", "• Två huvudprinciper har präglat vårt arbete med regeringsuppdraget; att ha ett utforskande arbetssätt och att utföra aktiviteter i samskapande och tillsammans med andra."},
		{"skr-2022-integritet-och-ny-teknik", "2. Med Internet of things flyttar spårningen på nätet ut i städer och hem"},
	}
	docs := map[string]Document{}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			d, ok := docs[tt.doc]
			if !ok {
				d = normalizeCorpus(t, tt.doc)
				docs[tt.doc] = d
			}
			for _, b := range d.Blocks {
				if b.Text == tt.want {
					if b.Kind != ListItem {
						t.Errorf("kind %v, want list-item", b.Kind)
					}
					return
				}
			}
			t.Errorf("no block %q", tt.want)
		})
	}
}

// checkInvariants checks what every Document promises.
func checkInvariants(t testing.TB, d Document, paginated bool) {
	t.Helper()
	var b strings.Builder
	for i, blk := range d.Blocks {
		if i > 0 {
			b.WriteString("\n\n")
		}
		if blk.Start != b.Len() || blk.End != blk.Start+len(blk.Text) {
			t.Fatalf("block %d %q: offsets %d:%d, want %d:%d", i, blk.Text, blk.Start, blk.End, b.Len(), b.Len()+len(blk.Text))
		}
		b.WriteString(blk.Text)
		if blk.End > len(d.Text) || d.Text[blk.Start:blk.End] != blk.Text {
			t.Fatalf("block %d: Text[%d:%d] != block text %q", i, blk.Start, blk.End, blk.Text)
		}
		if blk.Text == "" || strings.ContainsAny(blk.Text, "\n\t\u00AD") || strings.Contains(blk.Text, "  ") || strings.TrimSpace(blk.Text) != blk.Text {
			t.Fatalf("block %d: whitespace not collapsed: %q", i, blk.Text)
		}
		if (blk.Kind == Heading) != (blk.Level > 0) {
			t.Fatalf("block %d: kind %v with level %d", i, blk.Kind, blk.Level)
		}
		if blk.Kind == Heading && (len(blk.HeadingPath) == 0 || blk.HeadingPath[len(blk.HeadingPath)-1] != blk.Text) {
			t.Fatalf("heading %q: path %q does not end with it", blk.Text, blk.HeadingPath)
		}
		if blk.PageEnd < blk.PageStart || paginated != (blk.PageStart > 0) {
			t.Fatalf("block %d: pages %d-%d", i, blk.PageStart, blk.PageEnd)
		}
	}
	if b.String() != d.Text {
		t.Fatalf("Text is not the blocks joined by blank lines")
	}
	if !utf8.ValidString(d.Text) || !norm.NFC.IsNormalString(d.Text) {
		t.Fatalf("Text is not valid NFC")
	}
}

func TestInvariantsCorpus(t *testing.T) {
	for _, id := range corpusIDs {
		t.Run(id, func(t *testing.T) {
			d := normalizeCorpus(t, id)
			checkInvariants(t, d, false)
			if len(d.Blocks) == 0 {
				t.Fatal("no blocks")
			}
			checkLetters(t, []imyrag.Page{{Text: readCorpus(t, id)}}, d)
		})
	}
}

// Normalizing the normalized text again changes nothing: its blocks are
// already joined and separated by blank lines.
func TestIdempotent(t *testing.T) {
	for _, id := range corpusIDs {
		t.Run(id, func(t *testing.T) {
			d := normalizeCorpus(t, id)
			again := text(d.Text)
			if diff := cmp.Diff(d.Text, again.Text); diff != "" {
				t.Errorf("second pass changed the text (-first +second):\n%s", diff)
			}
			if len(again.Blocks) != len(d.Blocks) {
				t.Errorf("second pass: %d blocks, first %d", len(again.Blocks), len(d.Blocks))
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	src := readCorpus(t, "imy-2025-innovationshubben-regulatorisk-sandlada")
	first := text(src)
	for range 3 {
		if diff := cmp.Diff(first, text(src)); diff != "" {
			t.Fatalf("Normalize is not deterministic:\n%s", diff)
		}
	}
}

func TestEmpty(t *testing.T) {
	for _, pages := range [][]imyrag.Page{nil, {{Number: 1, Text: ""}}, {{Text: " \n\n \f\n"}}, {{Number: 1, Text: "12"}, {Number: 2, Flag: "no text layer (scanned?)"}}} {
		d := Normalize(pages)
		if d.Text != "" || len(d.Blocks) != 0 {
			t.Errorf("Normalize(%+v) = %q, %d blocks", pages, d.Text, len(d.Blocks))
		}
	}
}
