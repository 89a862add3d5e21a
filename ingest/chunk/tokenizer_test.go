package chunk

import (
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"github.com/google/go-cmp/cmp"
)

// cl100kPattern is tiktoken-go's pattern for cl100k_base, copied so the
// tests can hold nextPiece to it.
const cl100kPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

var cl100kRegexp = regexp2.MustCompile(cl100kPattern, regexp2.None)

// regexpPieces splits s as tiktoken-go does: regexp2 over the runes of s.
func regexpPieces(s string) []string {
	runes := []rune(s)
	var out []string
	m, _ := cl100kRegexp.FindRunesMatch(runes)
	for m != nil {
		out = append(out, string(runes[m.Index:m.Index+m.Length]))
		m, _ = cl100kRegexp.FindNextMatch(m)
	}
	return out
}

// ourPieces splits s with nextPiece, each piece made valid UTF-8 the way
// the []rune conversion does, so that the two can be compared.
func ourPieces(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		j := nextPiece(s, i)
		if j <= i {
			panic("nextPiece made no progress")
		}
		out = append(out, string([]rune(s[i:j])))
		i = j
	}
	return out
}

var tokenizerCases = []string{
	"",
	"Hej",
	"Integritetsskyddsmyndigheten (IMY) bedömer att AI kan bidra.",
	"I april 2021 fick IMY i uppdrag av regeringen.\n\nFörsta kapitlet",
	"Ett.\n\nTvå.  Tre.   Fyra.\n",
	"ord\n\n  ord \n",
	"  inledande blanksteg",
	"slutar med blanksteg   ",
	"don't I'LL we've she'S 'Re 'x '",
	"12345678 1,5 mdkr 2021/22:1 DI-2021-5817 §§ 3–4",
	"art. 6.1 e GDPR, jfr SFS 2018:218 2 kap. 3 §.",
	"(Se bilaga.) \"Citat\" «guillemets» –tankstreck • punkt",
	"https://www.imy.se/verksamhet/dataskydd/?q=a&b=c#frag",
	"tab\there\r\nCRLF\r\n\r\nend",
	"\u00a0hårt\u00a0blanksteg\u2003em\u2028ls",
	"emoji 😀😀 kinesiska 中文字符 arabiska ١٢٣٤",
	"\u0130stanbul \u212Aelvin 'İ 'K",
	"invalid \xff\xfe utf8 \xc3",
	".\n\n\n",
	" \n \n x",
	"x \n",
	"!!!\r\n\r\nabc",
	"' 's",
	"ⅫⅫⅫⅫ ½¼",
}

func TestPretokenizerMatchesRegexp(t *testing.T) {
	inputs := append([]string{}, tokenizerCases...)
	for _, d := range loadCorpus(t) {
		inputs = append(inputs, d.text)
	}
	for _, s := range inputs {
		want := regexpPieces(s)
		got := ourPieces(s)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pieces of %.60q (-regexp +ours):\n%s", s, diff)
		}
	}
}

func TestCountMatchesTiktoken(t *testing.T) {
	tk := mustTokenizer(t)
	inputs := append([]string{}, tokenizerCases...)
	for _, d := range loadCorpus(t) {
		inputs = append(inputs, d.text)
		// Lines and paragraphs too, for many different cache states.
		inputs = append(inputs, strings.Split(d.text, "\n")...)
	}
	for _, s := range inputs {
		if got, want := tk.Count(s), len(tk.Encode(s)); got != want {
			t.Errorf("Count(%.60q) = %d, tiktoken says %d", s, got, want)
		}
	}
	if got, want := Count("Integritetsskyddsmyndigheten"), len(tk.Encode("Integritetsskyddsmyndigheten")); got != want {
		t.Errorf("package Count = %d, want %d", got, want)
	}
}

func FuzzPretokenizer(f *testing.F) {
	for _, s := range tokenizerCases {
		f.Add(s)
	}
	tk, err := DefaultTokenizer()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if diff := cmp.Diff(regexpPieces(s), ourPieces(s)); diff != "" {
			t.Fatalf("pieces of %q (-regexp +ours):\n%s", s, diff)
		}
		if got, want := tk.Count(s), len(tk.Encode(s)); got != want {
			t.Fatalf("Count(%q) = %d, tiktoken says %d", s, got, want)
		}
	})
}

// TestNoNetwork loads the tokenizer in a fresh process whose HTTP proxies
// point nowhere, whose tiktoken download cache is empty and whose default
// HTTP transport fails every request: loading and counting must still work,
// so the BPE table comes from the binary.
func TestNoNetwork(t *testing.T) {
	if os.Getenv("IMYRAG_CHUNK_NONET_CHILD") == "1" {
		http.DefaultTransport = failTransport{}
		http.DefaultClient.Transport = failTransport{}
		tk, err := DefaultTokenizer()
		if err != nil {
			t.Fatalf("DefaultTokenizer: %v", err)
		}
		if n := tk.Count("Integritetsskyddsmyndigheten"); n == 0 {
			t.Fatal("Count = 0")
		}
		return
	}
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoNetwork$", "-test.v")
	cmd.Env = append(os.Environ(),
		"IMYRAG_CHUNK_NONET_CHILD=1",
		"HTTP_PROXY=http://127.0.0.1:9", "HTTPS_PROXY=http://127.0.0.1:9",
		"http_proxy=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9",
		"NO_PROXY=", "no_proxy=",
		"TIKTOKEN_CACHE_DIR="+t.TempDir(), "DATA_GYM_CACHE_DIR="+t.TempDir(),
	)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestNoNetwork") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

type failTransport struct{}

func (failTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("network use forbidden in this test: " + r.URL.String())
}

func mustTokenizer(tb testing.TB) *Tokenizer {
	tb.Helper()
	tk, err := DefaultTokenizer()
	if err != nil {
		tb.Fatal(err)
	}
	return tk
}

func TestDecodeMatchesRuneConversion(t *testing.T) {
	s := "a\xffö\xe2\x82"
	var n int
	for i := 0; i < len(s); {
		_, w := decode(s, i)
		i += w
		n++
	}
	if want := utf8.RuneCountInString(s); n != want {
		t.Errorf("decoded %d runes, want %d", n, want)
	}
}
