package local

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/retrieval/store"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "sub", "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testDoc builds a document whose chunks are its paragraphs.
func testDoc(id, source string, paras ...string) (imyrag.Document, []store.Entry) {
	text := strings.Join(paras, "\n\n")
	doc := imyrag.Document{ID: id, Title: "Titel " + id, Kind: imyrag.KindBeslut, Date: "2023-03-28", Source: source,
		SourceHash: "h-" + text, Format: "text", Text: text,
		Meta: imyrag.Metadata{Diarienummer: []string{"DI-2021-5817"}}}
	var entries []store.Entry
	off := 0
	for i, p := range paras {
		sum := sha256.Sum256([]byte(p))
		c := imyrag.Chunk{ID: fmt.Sprintf("%s-%d-%x", id, i, sum[:4]), DocID: id, Ordinal: i, HeadingPath: []string{"1. Bakgrund"},
			Start: off, End: off + len(p), Tokens: len(strings.Fields(p)), Hash: hex.EncodeToString(sum[:]), Text: p,
			Meta: imyrag.Metadata{LegalRefs: []string{"SFS 2018:218"}}}
		entries = append(entries, store.Entry{Chunk: c, Terms: map[string]int{"personuppgift": 2, "di-2021-5817": 1}, HeadTerms: map[string]int{"bakgrund": 1}})
		off += len(p) + 2
	}
	return doc, entries
}

func TestReplaceAndRead(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	doc, entries := testDoc("a", "/src/a.txt", "Första stycket om personuppgifter.", "Andra stycket.")
	if err := s.ReplaceDocument(ctx, doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
	got, err := s.Document(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	doc.Identifiers, doc.Warnings = []string{}, []string{}
	if diff := cmp.Diff(doc, got); diff != "" {
		t.Errorf("Document (-want +got):\n%s", diff)
	}
	chunks, err := s.Chunks(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	var want []imyrag.Chunk
	for _, e := range entries {
		want = append(want, e.Chunk)
	}
	if diff := cmp.Diff(want, chunks); diff != "" {
		t.Errorf("Chunks (-want +got):\n%s", diff)
	}
	c, err := s.Chunk(ctx, entries[1].Chunk.ID)
	if err != nil || c.Text != "Andra stycket." {
		t.Errorf("Chunk = %+v, %v", c, err)
	}
	infos, err := s.Documents(ctx)
	if err != nil || len(infos) != 1 || infos[0].Chunks != 2 || infos[0].Pipeline != "p1" || infos[0].IngestedAt.IsZero() {
		t.Errorf("Documents = %+v, %v", infos, err)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Documents != 1 || st.Chunks != 2 || st.ByKind["beslut"] != 1 || st.Bytes == 0 {
		t.Errorf("Stats = %+v, %v", st, err)
	}
	if ps, err := s.Check(ctx); err != nil || len(ps) != 0 {
		t.Errorf("Check = %v, %v", ps, err)
	}
}

func TestReplaceSwapsChunksAndKeepsOthers(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	a1, ea1 := testDoc("a", "/src/a.txt", "Ett.", "Två.", "Tre.")
	b, eb := testDoc("b", "/src/b.txt", "Annat dokument.")
	for _, d := range []struct {
		doc imyrag.Document
		e   []store.Entry
	}{{a1, ea1}, {b, eb}} {
		if err := s.ReplaceDocument(ctx, d.doc, "p1", d.e); err != nil {
			t.Fatal(err)
		}
	}
	a2, ea2 := testDoc("a", "/src/a.txt", "Nytt.")
	if err := s.ReplaceDocument(ctx, a2, "p1", ea2); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Chunks(ctx, "a"); len(cs) != 1 || cs[0].Text != "Nytt." {
		t.Errorf("chunks of a after replace = %+v", cs)
	}
	if cs, _ := s.Chunks(ctx, "b"); len(cs) != 1 {
		t.Errorf("chunks of b = %+v", cs)
	}
	var refs int
	s.r.QueryRow(`SELECT count(*) FROM chunk_refs`).Scan(&refs)
	if refs != 2 { // one SFS reference per chunk, two chunks
		t.Errorf("reference rows = %d, want 2 (stale rows left behind?)", refs)
	}
	// The same source under a new ID replaces the old document.
	a3, ea3 := testDoc("a-renamed", "/src/a.txt", "Omdöpt.")
	if err := s.ReplaceDocument(ctx, a3, "p1", ea3); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Document(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("old ID still there after its source moved: %v", err)
	}
}

func TestReplaceRejectsForeignChunk(t *testing.T) {
	s := openTemp(t)
	doc, entries := testDoc("a", "/src/a.txt", "Ett.")
	entries[0].Chunk.DocID = "b"
	if err := s.ReplaceDocument(context.Background(), doc, "p1", entries); err == nil {
		t.Fatal("ReplaceDocument accepted a chunk of another document")
	}
}

func TestFailedReplaceKeepsOldVersion(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	doc, entries := testDoc("a", "/src/a.txt", "Ett.", "Två.")
	if err := s.ReplaceDocument(ctx, doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
	bad, be := testDoc("a", "/src/a.txt", "Nytt ett.", "Nytt två.")
	be[1].Chunk.Ordinal = 0 // violates UNIQUE(doc_id, ordinal) halfway through
	if err := s.ReplaceDocument(ctx, bad, "p1", be); err == nil {
		t.Fatal("ReplaceDocument with duplicate ordinals succeeded")
	}
	cs, err := s.Chunks(ctx, "a")
	if err != nil || len(cs) != 2 || cs[0].Text != "Ett." {
		t.Errorf("after a failed replace: chunks = %+v, %v; want the old two", cs, err)
	}
}

func TestCanceledContextWritesNothing(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	doc, entries := testDoc("a", "/src/a.txt", "Ett.")
	if err := s.ReplaceDocument(ctx, doc, "p1", entries); err == nil {
		t.Fatal("ReplaceDocument with a canceled context succeeded")
	}
	if docs, _ := s.Documents(context.Background()); len(docs) != 0 {
		t.Errorf("documents after canceled write = %+v", docs)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	for name, err := range map[string]error{
		"Document": func() error { _, err := s.Document(ctx, "x"); return err }(),
		"Chunk":    func() error { _, err := s.Chunk(ctx, "x"); return err }(),
		"Chunks":   func() error { _, err := s.Chunks(ctx, "x"); return err }(),
		"Delete":   s.DeleteDocument(ctx, "x"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s(missing) = %v, want ErrNotFound", name, err)
		}
	}
}

func TestDeleteCascades(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	doc, entries := testDoc("a", "/src/a.txt", "Ett.", "Två.")
	if err := s.ReplaceDocument(ctx, doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	var chunks, refs int
	s.r.QueryRow(`SELECT count(*) FROM chunks`).Scan(&chunks)
	s.r.QueryRow(`SELECT count(*) FROM chunk_refs`).Scan(&refs)
	if chunks != 0 || refs != 0 {
		t.Errorf("after delete: %d chunks, %d refs left", chunks, refs)
	}
}

func TestCheckFindsDamage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, sql, want string
	}{
		{"text differs", `UPDATE chunks SET text = 'x' WHERE ordinal = 0`, "differs from the document text"},
		{"hash", `UPDATE chunks SET hash = 'bad' WHERE ordinal = 0`, "hash does not match"},
		{"offsets", `UPDATE chunks SET end_off = 999999 WHERE ordinal = 0`, "outside the document text"},
		{"count", `UPDATE documents SET chunk_count = 5`, "2 chunks stored, 5 recorded"},
		{"ordinal gap", `UPDATE chunks SET ordinal = 7 WHERE ordinal = 1`, "ordinal 7"},
		{"terms", `UPDATE chunks SET terms = x'ff' WHERE ordinal = 0`, "term index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTemp(t)
			doc, entries := testDoc("a", "/src/a.txt", "Ett stycke.", "Två stycken.")
			if err := s.ReplaceDocument(ctx, doc, "p1", entries); err != nil {
				t.Fatal(err)
			}
			if _, err := s.w.Exec(tt.sql); err != nil {
				t.Fatal(err)
			}
			ps, err := s.Check(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range ps {
				found = found || strings.Contains(p.What, tt.want)
			}
			if !found {
				t.Errorf("Check = %+v, want a problem containing %q", ps, tt.want)
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path); !errors.Is(err, store.ErrSchema) {
		t.Errorf("Open(newer schema) = %v, want ErrSchema", err)
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	doc, entries := testDoc("a", "/src/a.txt", "Ett.")
	if err := s.ReplaceDocument(ctx, doc, "p1", entries); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if d, err := s2.Document(ctx, "a"); err != nil || d.Text != "Ett." {
		t.Errorf("after reopen: %+v, %v", d, err)
	}
}

// Readers running while a document is replaced over and over see either the
// old chunks or the new ones: never none, never both.
func TestReadersNeverSeeAPartialDocument(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	d3, e3 := testDoc("a", "/src/a.txt", "Ett.", "Två.", "Tre.")
	d5, e5 := testDoc("a", "/src/a.txt", "1.", "2.", "3.", "4.", "5.")
	if err := s.ReplaceDocument(ctx, d3, "p1", e3); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	bad := make(chan string, 1)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chunks WHERE doc_id = 'a'`).Scan(&n); err != nil {
					select {
					case bad <- err.Error():
					default:
					}
					return
				}
				if n != 3 && n != 5 {
					select {
					case bad <- fmt.Sprintf("saw %d chunks", n):
					default:
					}
					return
				}
			}
		}()
	}
	for i := range 50 {
		d, e := d3, e3
		if i%2 == 0 {
			d, e = d5, e5
		}
		if err := s.ReplaceDocument(ctx, d, "p1", e); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	select {
	case msg := <-bad:
		t.Fatal(msg)
	default:
	}
}

func TestTermsRoundTrip(t *testing.T) {
	tests := []map[string]int{
		{},
		{"a": 1},
		{"personuppgift": 3, "di-2021-5817": 1, "förordning": 12, "2018:218": 2},
	}
	for _, tf := range tests {
		got := map[string]int{}
		if err := decodeTerms(encodeTerms(tf), func(term []byte, f int) { got[string(term)] = f }); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tf, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	for _, b := range [][]byte{nil, {0xff}, {1, 5, 'a'}, {1, 1, 'a'}, {0, 0}} {
		if err := decodeTerms(b, func([]byte, int) {}); err == nil {
			t.Errorf("decodeTerms(%v) succeeded", b)
		}
	}
}
