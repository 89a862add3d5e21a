package extract

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCleanPDFText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"CRLF", "a\r\nb\rc", "a\nb\nc"},
		{"hyphen marker from GetText", "hälso\ufffeoch sjukvården", "hälso-\noch sjukvården"},
		{"hyphen marker from GetUnicode", "dataskydds\x02förordningen", "dataskydds-\nförordningen"},
		{"hyphen marker before a line end", "it\ufffe\r\nsäkerhet", "it-\nsäkerhet"},
		{"soft hyphen", "integ\u00adritet och skydds\u00ad\nåtgärd", "integritet och skydds-\nåtgärd"},
		{"unicode ligatures", "\ufb01nns \ufb02era e\ufb00ekt", "finns flera effekt"},
		{"lines trimmed, blank edges dropped", "\n  rad 1  \n\trad 2\n\n", "rad 1\nrad 2"},
		{"control characters dropped", "a\x00b\x07c\u0085d\ufeffe", "abcde"},
		{"ghostscript fi", "de昀椀nierat 昀椀nns", "definierat finns"},
		{"ghostscript fl and ff", "昀氀era o昀昀entliga", "flera offentliga"},
		{"ghostscript ffi", "e昀昀椀cient", "efficient"},
		{"cjk text left alone", "中文昀椀文 and 昀椀", "中文昀椀文 and 昀椀"},
		{"lone shifted char left alone", "椀n", "椀n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, cleanPDFText(tc.in)); diff != "" {
				t.Errorf("cleanPDFText(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestPlausibleTitle(t *testing.T) {
	tests := map[string]string{
		"Beslut efter tillsyn":              "Beslut efter tillsyn",
		"005_hard_beslut":                   "",
		"000_7ead0fc4fd96b567":              "",
		"Microsoft Word - Beslut om avgift": "Beslut om avgift",
		"Microsoft Word - beslut.docx":      "",
		"Untitled":                          "",
		"  ":                                "",
		"Rapport 2024:3 – Integritetsskydd": "Rapport 2024:3 – Integritetsskydd",
		"C:\\temp\\x":                       "",
	}
	for in, want := range tests {
		if got := plausibleTitle(in); got != want {
			t.Errorf("plausibleTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func flateStream(num int, dict string, content []byte) string {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(content)
	w.Close()
	return fmt.Sprintf("%d 0 obj\n<< /Length %d /Filter /FlateDecode%s >>\nstream\n%s\nendstream\nendobj\n", num, b.Len(), dict, b.Bytes())
}

func TestScanStreams(t *testing.T) {
	page := flateStream(4, "", []byte("BT /F1 12 Tf (Hej) Tj ET"))
	big := flateStream(5, "", bytes.Repeat([]byte{' '}, 3<<20))
	image := flateStream(6, " /Subtype /Image /Width 10", bytes.Repeat([]byte{0}, 3<<20))
	damaged := flateStream(7, "", []byte(strings.Repeat("BT (text) Tj ET ", 200)))
	damaged = strings.Replace(damaged, "stream\n", "stream\n\x00\x01", 1)
	tests := []struct {
		name string
		pdf  string
		want streamScan
	}{
		{"clean", "%PDF-1.7\n" + page, streamScan{streams: 1, bomb: -1}},
		{"bomb", "%PDF-1.7\n" + page + big, streamScan{streams: 2, bomb: 9 + len(page) + strings.Index(big, "stream")}},
		{"images are not inflated", "%PDF-1.7\n" + image, streamScan{bomb: -1}},
		{"damaged", "%PDF-1.7\n" + page + damaged, streamScan{streams: 2, damaged: 1, bomb: -1}},
		{"encrypted files are skipped", "%PDF-1.7\n" + damaged + "trailer << /Encrypt 9 0 R >>", streamScan{bomb: -1}},
		{"truncated stream", "%PDF-1.7\n" + page[:len(page)-40], streamScan{streams: 1, damaged: 1, bomb: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanStreams([]byte(tc.pdf), 1<<20, 4<<20)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(streamScan{})); diff != "" {
				t.Errorf("scan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendTrailer(t *testing.T) {
	pdf := "%PDF-1.7\n1 0 obj\n<< /Type /Pages >>\nendobj\n12 0 obj\n<</Type /Catalog /Pages 1 0 R>>\nendobj\n3 0 obj\n<< /Len"
	got := string(appendTrailer([]byte(pdf)))
	if want := pdf + "\ntrailer\n<</Root 12 0 R>>\nstartxref\n0\n%%EOF\n"; got != want {
		t.Errorf("appendTrailer = %q, want %q", got, want)
	}
	if appendTrailer([]byte("%PDF-1.7\n1 0 obj\n<< /Type /Pages >>\n")) != nil {
		t.Errorf("appendTrailer without a catalog: want nil")
	}
}
