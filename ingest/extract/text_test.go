package extract

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestText(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    string
		err     error
		message string
	}{
		{name: "plain", data: "Rad ett\nRad två\n", want: "Rad ett\nRad två"},
		{name: "BOM stripped", data: "\xef\xbb\xbfÅtgärd", want: "Åtgärd"},
		{name: "CRLF and CR", data: "a\r\nb\rc\r\n\r\nd", want: "a\nb\nc\n\nd"},
		{name: "form feed and stray controls", data: "sida 1\fsida 2\x07", want: "sida 1\n\nsida 2"},
		{name: "utf-16 LE with BOM", data: "\xff\xfeh\x00\xe5\x00", want: "hå"},
		{name: "utf-16 BE with BOM", data: "\xfe\xff\x00h\x00\xe5", want: "hå"},
		{name: "invalid utf-8", data: "ok text\nfr\xe5ga", err: ErrInvalidUTF8,
			message: "byte 0xe5 at offset 10 (not utf-8? try: iconv -f WINDOWS-1252 -t UTF-8"},
		{name: "NUL byte", data: "abc\x00def", err: ErrBinary, message: "nul byte at offset 3"},
		{name: "utf-16 without BOM", data: "h\x00e\x00j\x00 \x00d\x00\xe5\x00", err: ErrBinary, message: "utf-16 without a byte-order mark?"},
		{name: "control characters", data: strings.Repeat("a\x01\x02\x03", 20), err: ErrBinary, message: "control characters"},
		{name: "empty after BOM", data: "\xef\xbb\xbf  \n", err: ErrEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, ok := extractCase(t, "notes.txt", tc.data, tc.err, tc.message, tc.want)
			if !ok {
				return
			}
			if res.Format != FormatText || res.Title != "" || len(res.Pages) != 1 || res.Pages[0].Number != 0 {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name  string
		md    string
		want  string
		title string
		err   error
	}{
		{
			name:  "headings kept, title from first h1",
			md:    "Inledning utan rubrik.\n\n# Vägledning om kameror #\n\n## Bakgrund\n\nText.",
			want:  "Inledning utan rubrik.\n\n# Vägledning om kameror\n\n## Bakgrund\n\nText.",
			title: "Vägledning om kameror",
		},
		{
			name:  "setext headings",
			md:    "Rubrik\n======\n\nUnderrubrik\n-----------\ntext",
			want:  "# Rubrik\n\n## Underrubrik\ntext",
			title: "Rubrik",
		},
		{
			name: "emphasis, code and strike",
			md:   "Det är **mycket** viktigt, *verkligen* _viktigt_ och ~~inte~~ `kod`. Filen heter snake_case_namn.md.",
			want: "Det är mycket viktigt, verkligen viktigt och inte kod. Filen heter snake_case_namn.md.",
		},
		{
			name: "links, images, autolinks and link definitions",
			md:   "Se [artikel 6](https://eur-lex.europa.eu/x \"titel\") och [IMY][imy]. ![logo](logo.png) <https://imy.se>\n\n[imy]: https://www.imy.se",
			want: "Se artikel 6 och IMY.  https://imy.se",
		},
		{
			name: "comments and inline html",
			md:   "Före<!-- dold\nkommentar --> efter<br/>rad <sup>1</sup>",
			want: "Före efterrad 1",
		},
		{
			name: "fenced code keeps its text",
			md:   "Text\n\n```go\nfunc main() { a := *p }\n```\n\n~~~\n**inte fet**\n~~~",
			want: "Text\n\nfunc main() { a := *p }\n\n**inte fet**",
		},
		{
			name: "bullets, block quotes, rules, tables",
			md:   "- ett\n* två\n  + tre\n1. numrerad\n\n> citat med **fet**\n\n---\n\n| Art. | Belopp |\n|---|---:|\n| 32.1 | 1 500 000 |",
			want: "• ett\n• två\n• tre\n1. numrerad\n\ncitat med fet\n\nArt. | Belopp\n32.1 | 1 500 000",
		},
		{
			name:  "front matter title and escapes",
			md:    "---\ntitle: \"Beslut om tillsyn\"\ndate: 2024-01-01\n---\nText med \\*stjärna\\* och 5 \\# tecken.",
			want:  "Text med *stjärna* och 5 # tecken.",
			title: "Beslut om tillsyn",
		},
		{
			name:  "CRLF",
			md:    "# R\r\n\r\nText\r\n",
			want:  "# R\n\nText",
			title: "R",
		},
		{name: "invalid utf-8", md: "# R\xe4ttsl\xe4ge", err: ErrInvalidUTF8},
		{name: "NUL", md: "# R\x00", err: ErrBinary},
		{name: "only a comment", md: "<!-- tom -->\n", err: ErrEmpty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, ok := extractCase(t, "doc.md", tc.md, tc.err, "", tc.want)
			if !ok {
				return
			}
			if res.Title != tc.title {
				t.Errorf("Title = %q, want %q", res.Title, tc.title)
			}
			if res.Format != FormatMarkdown {
				t.Errorf("Format = %q", res.Format)
			}
		})
	}
}

// extractCase extracts data as a file called name and checks the outcome:
// with wantErr set, an error wrapping it whose message contains message;
// otherwise the text want. ok is true when there is a result to check
// further.
func extractCase(t *testing.T, name, data string, wantErr error, message, want string) (res Result, ok bool) {
	t.Helper()
	res, err := shared.Extract(context.Background(), name, []byte(data))
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("err = %v, want %v", err, wantErr)
		}
		if !strings.Contains(err.Error(), message) {
			t.Errorf("err = %q, want it to contain %q", err, message)
		}
		return res, false
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, res.Text()); diff != "" {
		t.Errorf("text (-want +got):\n%s", diff)
	}
	return res, true
}
