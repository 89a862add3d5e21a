package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/imy/imyrag/corpus"
	"github.com/imy/imyrag/ingest/extract"
)

// Source is one file to ingest: a path on disk or a bundled document.
type Source struct {
	// Name identifies the source in the index and in messages: an absolute
	// path, or "corpus:ID" for the bundled corpus.
	Name string
	// Path is the file to read; empty for bundled documents.
	Path string
	// Data holds a bundled document's bytes.
	Data []byte
	// Entry is the manifest entry that describes the document, when one does.
	Entry *corpus.Entry
	// ID is the document ID to use; when empty the pipeline derives one.
	ID string
}

// Failure is a source that could not be ingested, and why.
type Failure struct {
	Source string `json:"source"`
	Reason string `json:"reason"`
	Err    error  `json:"-"`
}

// BundledPrefix marks the sources of the bundled corpus.
const BundledPrefix = "corpus:"

// Bundled returns the bundled corpus as sources, described by its manifest.
func Bundled() []Source {
	m := corpus.Bundled()
	var out []Source
	for _, f := range corpus.Files() {
		s := Source{Name: BundledPrefix + f.ID, Data: f.Data, ID: f.ID}
		if e, ok := m.Lookup(f.ID); ok {
			s.Entry = &e
		}
		out = append(out, s)
	}
	return out
}

// manifestName is the file that describes the documents of a directory.
const manifestName = "manifest.json"

// Discover expands paths (files and directories, walked recursively) into
// sources with a supported extension, sorted by name. A directory may hold a
// manifest.json (the corpus manifest format) describing its documents by ID.
// Paths that cannot be read are returned as failures; the rest still come
// back.
func Discover(paths []string) ([]Source, []Failure) {
	var out []Source
	var fails []Failure
	seen := map[string]bool{}
	fail := func(path string, err error) {
		fails = append(fails, Failure{Source: path, Reason: reason(err), Err: err})
	}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			fail(p, err)
			continue
		}
		fi, err := os.Stat(abs)
		if err != nil {
			fail(abs, err)
			continue
		}
		if !fi.IsDir() {
			if !seen[abs] {
				seen[abs] = true
				out = append(out, fileSource(abs, loadManifest(filepath.Dir(abs), fail)))
			}
			continue
		}
		manifests := map[string]*corpus.Manifest{}
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				fail(path, err)
				if d != nil && d.IsDir() && path != abs {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != abs && strings.HasPrefix(d.Name(), ".") {
					return fs.SkipDir
				}
				manifests[path] = loadManifest(path, fail)
				return nil
			}
			if d.Name() == manifestName || !extract.Supported(d.Name()) || seen[path] {
				return nil
			}
			if !d.Type().IsRegular() {
				// Follow links to files; skip devices, sockets and links to
				// directories (walking those could loop).
				fi, err := os.Stat(path)
				if err != nil {
					fail(path, err)
					return nil
				}
				if !fi.Mode().IsRegular() {
					return nil
				}
			}
			seen[path] = true
			out = append(out, fileSource(path, manifests[filepath.Dir(path)]))
			return nil
		})
		if err != nil {
			fail(abs, err)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, fails
}

func loadManifest(dir string, fail func(string, error)) *corpus.Manifest {
	path := filepath.Join(dir, manifestName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		fail(path, err)
		return nil
	}
	m, err := corpus.ParseManifest(data)
	if err != nil {
		fail(path, err)
		return nil
	}
	return &m
}

func fileSource(path string, m *corpus.Manifest) Source {
	s := Source{Name: path, Path: path}
	if m != nil {
		if e, ok := m.Lookup(baseID(path)); ok {
			s.Entry = &e
			s.ID = e.ID
		}
	}
	return s
}

// baseID is a file's name without its extension.
func baseID(path string) string {
	b := filepath.Base(path)
	return strings.TrimSuffix(b, filepath.Ext(b))
}

// Slug turns a file name into a document ID: lowercase ASCII letters, digits
// and hyphens (å, ä, ö become a, a, o).
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch r {
		case 'å', 'ä', 'á', 'à':
			r = 'a'
		case 'ö', 'ó', 'ø':
			r = 'o'
		case 'é', 'è', 'ë':
			r = 'e'
		case 'ü':
			r = 'u'
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		s = "dokument"
	}
	return s
}

// uniqueID derives an ID for source name from its file name, adding a short
// hash of the full name when another source already holds the plain one.
func uniqueID(name string, taken func(string) bool) string {
	id := Slug(baseID(name))
	if !taken(id) {
		return id
	}
	sum := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%s-%s", id, hex.EncodeToString(sum[:3]))
}
