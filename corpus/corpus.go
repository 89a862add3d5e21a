// Package corpus embeds the bundled IMY documents and their manifest, so that
// `imyrag ingest` with no path indexes them on any machine.
package corpus

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/imy/imyrag"
)

//go:embed *.txt manifest.json
var files embed.FS

// Entry describes one document of a corpus: what the text states about it.
type Entry struct {
	ID          string      `json:"id"`
	Title       string      `json:"title"`
	Kind        imyrag.Kind `json:"kind"`
	Date        string      `json:"date,omitempty"`
	DateNote    string      `json:"date_note,omitempty"`
	Identifiers []string    `json:"identifiers,omitempty"`
	Source      string      `json:"source,omitempty"`
}

// Manifest lists a corpus's documents by ID.
type Manifest struct {
	Documents []Entry `json:"documents"`
}

// Lookup returns the entry for id.
func (m Manifest) Lookup(id string) (Entry, bool) {
	for _, e := range m.Documents {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Validate checks that every entry has an ID, a title and a known kind, and
// that IDs are unique.
func (m Manifest) Validate() error {
	seen := map[string]bool{}
	for i, e := range m.Documents {
		switch {
		case e.ID == "":
			return fmt.Errorf("manifest entry %d: missing id", i+1)
		case seen[e.ID]:
			return fmt.Errorf("manifest entry %d: duplicate id %q", i+1, e.ID)
		case e.Title == "":
			return fmt.Errorf("manifest entry %q: missing title", e.ID)
		case !imyrag.ValidKind(e.Kind):
			return fmt.Errorf("manifest entry %q: unknown kind %q", e.ID, e.Kind)
		}
		seen[e.ID] = true
	}
	return nil
}

// ParseManifest decodes a manifest and validates it.
func ParseManifest(data []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("parse manifest: %w", err)
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Bundled returns the manifest of the bundled corpus.
func Bundled() Manifest {
	data, err := files.ReadFile("manifest.json")
	if err != nil {
		panic("corpus: manifest.json is not embedded: " + err.Error())
	}
	m, err := ParseManifest(data)
	if err != nil {
		panic("corpus: bundled " + err.Error())
	}
	return m
}

// File is one bundled source file.
type File struct {
	ID   string // document ID: the file name without .txt
	Name string // file name, e.g. "imy-2025-ai-strategi.txt"
	Data []byte
}

// Files returns the bundled documents sorted by ID.
func Files() []File {
	names, err := fs.Glob(files, "*.txt")
	if err != nil {
		panic(err)
	}
	sort.Strings(names)
	out := make([]File, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil {
			panic(err)
		}
		out = append(out, File{ID: strings.TrimSuffix(n, path.Ext(n)), Name: n, Data: data})
	}
	return out
}
