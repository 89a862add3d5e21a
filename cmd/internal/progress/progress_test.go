package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBarPlainOutputHasNoControlCodes(t *testing.T) {
	var buf bytes.Buffer
	b := New(&buf, false, 2, "ingest")
	b.Add(1, 10)
	b.Line("indexed %s", "a.txt")
	b.Add(1, 5)
	b.Finish()
	if got, want := buf.String(), "indexed a.txt\n"; got != want {
		t.Errorf("plain output = %q, want %q", got, want)
	}
}

func TestBarTerminalDrawsCountsAndRate(t *testing.T) {
	var buf bytes.Buffer
	clock := time.Unix(0, 0)
	b := New(&buf, true, 4, "ingest")
	b.now = func() time.Time { return clock }
	b.start = clock
	clock = clock.Add(2 * time.Second)
	b.Add(2, 100)
	out := buf.String()
	for _, want := range []string{"2/4 files", "100 chunks", "50 chunks/s", "ETA 2s", "\r\033[K"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar %q lacks %q", out, want)
		}
	}
	b.Finish()
	if !strings.HasSuffix(buf.String(), "\r\033[K") {
		t.Errorf("Finish did not clear the line: %q", buf.String())
	}
}
