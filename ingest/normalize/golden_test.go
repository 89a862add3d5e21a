package normalize

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/imy/imyrag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// corpusDir holds the bundled corpus, read as the text reader does: one
// unpaginated page per file.
const corpusDir = "../../corpus"

var corpusIDs = []string{
	"imy-2022-delredovisning-innovationssystemet",
	"imy-2023-slutredovisning-innovationssystemet",
	"imy-2025-ai-strategi",
	"imy-2025-innovationshubben-regulatorisk-sandlada",
	"skr-2022-integritet-och-ny-teknik",
}

func readCorpus(t testing.TB, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, id+".txt"))
	if err != nil {
		t.Fatalf("read corpus: %v", err)
	}
	return string(b)
}

func normalizeCorpus(t testing.TB, id string) Document {
	t.Helper()
	return Normalize([]imyrag.Page{{Number: 0, Text: readCorpus(t, id)}})
}

// dump renders a document one block per line: kind/level, pages, heading
// path and text.
func dump(d Document) string {
	var b strings.Builder
	counts := map[BlockKind]int{}
	for _, blk := range d.Blocks {
		counts[blk.Kind]++
	}
	fmt.Fprintf(&b, "# blocks=%d headings=%d paragraphs=%d list-items=%d footnotes=%d\n",
		len(d.Blocks), counts[Heading], counts[Paragraph], counts[ListItem], counts[Footnote])
	for _, f := range d.Furniture {
		fmt.Fprintf(&b, "# furniture: %s\n", f)
	}
	for _, blk := range d.Blocks {
		kind := blk.Kind.String()
		if blk.Kind == Heading {
			kind = fmt.Sprintf("%s/%d", kind, blk.Level)
		}
		pages := fmt.Sprintf("p%d", blk.PageStart)
		if blk.PageEnd != blk.PageStart {
			pages += fmt.Sprintf("-%d", blk.PageEnd)
		}
		fmt.Fprintf(&b, "%-12s %-5s [%s] %s\n", kind, pages, strings.Join(blk.HeadingPath, " > "), blk.Text)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, id := range corpusIDs {
		t.Run(id, func(t *testing.T) {
			got := dump(normalizeCorpus(t, id))
			path := filepath.Join("testdata", "golden", id+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("golden mismatch (-want +got); run go test -update and review:\n%s", diff)
			}
		})
	}
}
