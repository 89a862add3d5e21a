package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	mk := func(rel, data string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("a.txt", "a")
	mk("sub/b.pdf", "%PDF")
	mk("sub/c.HTML", "<p>c</p>")
	mk("sub/d.docx", "not supported")
	mk(".git/e.txt", "hidden directory")
	mk("m/f.md", "# F")
	mk("m/manifest.json", `{"documents":[{"id":"f","title":"Eff","kind":"vagledning","date":"2024-01-02"}]}`)
	mk("bad/manifest.json", `{"documents":[{"id":"x"}]}`)
	if err := os.Symlink(filepath.Join(dir, "a.txt"), filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere.txt"), filepath.Join(dir, "dangling.txt")); err != nil {
		t.Fatal(err)
	}
	srcs, fails := Discover([]string{dir, filepath.Join(dir, "a.txt")})
	var names []string
	for _, s := range srcs {
		names = append(names, strings.TrimPrefix(s.Name, dir+"/"))
	}
	want := []string{"a.txt", "link.txt", "m/f.md", "sub/b.pdf", "sub/c.HTML"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	for _, s := range srcs {
		if strings.HasSuffix(s.Name, "f.md") && (s.Entry == nil || s.Entry.Title != "Eff" || s.ID != "f") {
			t.Errorf("f.md not described by its directory's manifest: %+v", s)
		}
	}
	var failed []string
	for _, f := range fails {
		failed = append(failed, strings.TrimPrefix(f.Source, dir+"/"))
	}
	if diff := cmp.Diff([]string{"bad/manifest.json", "dangling.txt"}, failed); diff != "" {
		t.Errorf("failures (-want +got):\n%s\n%+v", diff, fails)
	}
}

func TestSlugAndUniqueID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Tillsynsbeslut Region Örebro län.pdf", "tillsynsbeslut-region-orebro-lan-pdf"},
		{"DI-2021-5817", "di-2021-5817"},
		{"___", "dokument"},
		{"Vägledning  (2024)", "vagledning-2024"},
	}
	for _, tt := range tests {
		if got := Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	taken := map[string]bool{"beslut": true}
	id := uniqueID("/b/beslut.pdf", func(s string) bool { return taken[s] })
	if !strings.HasPrefix(id, "beslut-") || len(id) != len("beslut-")+6 {
		t.Errorf("uniqueID for a taken slug = %q, want beslut-<6 hex>", id)
	}
	if id2 := uniqueID("/b/beslut.pdf", func(s string) bool { return taken[s] }); id2 != id {
		t.Errorf("uniqueID is not stable: %q then %q", id, id2)
	}
}
