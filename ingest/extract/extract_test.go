package extract

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// shared is the Extractor all tests use, so that PDFium is compiled once
// per test binary.
var shared *Extractor

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	shared, err = New(context.Background(), Options{PDFTimeout: 20 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "new extractor:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := shared.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "close extractor:", err)
		code = 1
	}
	os.Exit(code)
}

func TestSupported(t *testing.T) {
	tests := map[string]bool{
		"a.pdf": true, "A.PDF": true, "b.html": true, "c.htm": true, "d.txt": true, "e.text": true,
		"f.md": true, "g.markdown": true, "dir.v2/h.Md": true, "x.xhtml": false,
		"i.docx": false, "j": false, "k.pdf.gz": false, ".pdfx": false,
	}
	for name, want := range tests {
		if got := Supported(name); got != want {
			t.Errorf("Supported(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestExtractErrors(t *testing.T) {
	small, err := New(context.Background(), Options{MaxBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	tests := []struct {
		name    string
		ex      *Extractor
		file    string
		data    string
		want    error
		message string // a substring of the error
	}{
		{"unknown extension", shared, "a.docx", "x", ErrUnsupported, `extension ".docx"`},
		{"no extension", shared, "README", "x", ErrUnsupported, "unsupported file type"},
		{"empty", shared, "a.txt", "", ErrEmpty, "a.txt: empty file"},
		{"whitespace only", shared, "a.md", " \n\t\r\n", ErrEmpty, "empty file"},
		{"empty pdf", shared, "a.pdf", "", ErrEmpty, "empty file"},
		{"too large", small, "a.txt", "hello world!", ErrTooLarge, "12 bytes, limit 10"},
		{"html named pdf", shared, "a.pdf", "<!DOCTYPE html><title>404</title>", ErrNotPDF, "content is html"},
		{"text named pdf", shared, "a.pdf", "just some text", ErrNotPDF, "no %PDF- header"},
		{"pdf named txt", shared, "a.txt", "%PDF-1.7\n\x00\x01binary", ErrBinary, "content is a pdf; rename the file to .pdf"},
		{"binary named md", shared, "a.md", "PK\x03\x04\x00\x00", ErrBinary, "nul byte at offset 4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.ex.Extract(context.Background(), tc.file, []byte(tc.data))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %q, want it to contain %q", err, tc.message)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := shared.Extract(ctx, "a.txt", []byte("hej"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestClosedExtractor(t *testing.T) {
	e, err := New(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := e.Extract(context.Background(), "a.pdf", []byte("%PDF-1.7\n")); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Extract after Close: err = %v, want a closed error", err)
	}
	// Non-PDF formats need no engine.
	if _, err := e.Extract(context.Background(), "a.txt", []byte("hej")); err != nil {
		t.Errorf("text after Close: %v", err)
	}
}
