// Package progress draws a one-line progress bar on a terminal, or prints
// plain lines when the output is not a terminal.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Bar reports progress over a known number of items.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	total    int
	done     int
	chunks   int
	start    time.Time
	last     time.Time
	label    string
	finished bool
	now      func() time.Time
}

// New starts a bar for total items. On a terminal it redraws one line at
// most ten times a second; otherwise Line prints plain lines and the bar
// stays silent.
func New(w io.Writer, tty bool, total int, label string) *Bar {
	now := time.Now
	return &Bar{w: w, tty: tty, total: total, label: label, start: now(), now: now}
}

// Add records n more finished items and chunks more chunks.
func (b *Bar) Add(n, chunks int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done += n
	b.chunks += chunks
	if b.tty && (b.now().Sub(b.last) >= 100*time.Millisecond || b.done == b.total) {
		b.last = b.now()
		b.draw()
	}
}

// Line prints a message above the bar (or as a plain line).
func (b *Bar) Line(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K")
	}
	fmt.Fprintf(b.w, format+"\n", args...)
	if b.tty && !b.finished {
		b.draw()
	}
}

// Finish clears the bar line.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tty && !b.finished {
		fmt.Fprint(b.w, "\r\033[K")
	}
	b.finished = true
}

func (b *Bar) draw() {
	const width = 24
	frac := 1.0
	if b.total > 0 {
		frac = float64(b.done) / float64(b.total)
	}
	filled := int(frac * width)
	elapsed := b.now().Sub(b.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(b.chunks) / s
	}
	eta := "–"
	if b.done > 0 && b.done < b.total {
		left := time.Duration(float64(elapsed) / float64(b.done) * float64(b.total-b.done))
		eta = left.Round(time.Second).String()
	}
	fmt.Fprintf(b.w, "\r\033[K%s [%s%s] %d/%d files · %d chunks · %.0f chunks/s · ETA %s",
		b.label, strings.Repeat("█", filled), strings.Repeat("░", width-filled), b.done, b.total, b.chunks, rate, eta)
}
