package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestBundledMatchesManifest(t *testing.T) {
	m := Bundled()
	files := Files()
	if len(files) != 5 {
		t.Fatalf("bundled files = %d, want 5", len(files))
	}
	if len(m.Documents) != len(files) {
		t.Fatalf("manifest has %d entries for %d files", len(m.Documents), len(files))
	}
	for _, f := range files {
		if _, ok := m.Lookup(f.ID); !ok {
			t.Errorf("file %s has no manifest entry", f.Name)
		}
		if len(f.Data) == 0 {
			t.Errorf("file %s is empty", f.Name)
		}
	}
}

// The bundled corpus must stay byte-identical to the shared copy it was taken
// from; the check runs only where that copy is present (developer machines).
func TestByteIdenticalToShared(t *testing.T) {
	shared := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared corpus at %s", shared)
	}
	for _, f := range Files() {
		want, err := os.ReadFile(filepath.Join(shared, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, f.Data) {
			t.Errorf("%s differs from the shared corpus", f.Name)
		}
	}
}

func TestParseManifestErrors(t *testing.T) {
	tests := []struct {
		name, json string
	}{
		{"unknown field", `{"documents":[{"id":"a","title":"t","kind":"rapport","x":1}]}`},
		{"missing id", `{"documents":[{"title":"t","kind":"rapport"}]}`},
		{"duplicate", `{"documents":[{"id":"a","title":"t","kind":"rapport"},{"id":"a","title":"t","kind":"rapport"}]}`},
		{"bad kind", `{"documents":[{"id":"a","title":"t","kind":"roman"}]}`},
		{"not json", `{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseManifest([]byte(tt.json)); err == nil {
				t.Errorf("ParseManifest(%s) succeeded, want error", tt.json)
			}
		})
	}
}
