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
	// unit names the items; when it is set the bar counts only items
	// (no chunk count): "12/97 passages · 8.1/s".
	unit string
}

// New starts a bar for total items. On a terminal it redraws one line at
// most ten times a second; otherwise Line prints plain lines and the bar
// stays silent.
func New(w io.Writer, tty bool, total int, label string) *Bar {
	now := time.Now
	return &Bar{w: w, tty: tty, total: total, label: label, start: now(), now: now}
}

// NewItems starts a bar that counts items of one unit ("passages").
func NewItems(w io.Writer, tty bool, total int, label, unit string) *Bar {
	b := New(w, tty, total, label)
	b.unit = unit
	return b
}

// Set records done items out of total (for callers that know the count).
func (b *Bar) Set(done, total int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.total = done, total
	if b.tty && (b.now().Sub(b.last) >= 100*time.Millisecond || b.done == b.total) {
		b.last = b.now()
		b.draw()
	}
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
	filled := min(int(frac*width), width)
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
	if b.unit != "" {
		r := 0.0
		if s := elapsed.Seconds(); s > 0 {
			r = float64(b.done) / s
		}
		fmt.Fprintf(b.w, "\r\033[K%s [%s%s] %d/%d %s · %.1f/s · ETA %s",
			b.label, strings.Repeat("█", filled), strings.Repeat("░", width-filled), b.done, b.total, b.unit, r, eta)
		return
	}
	fmt.Fprintf(b.w, "\r\033[K%s [%s%s] %d/%d files · %d chunks · %.0f chunks/s · ETA %s",
		b.label, strings.Repeat("█", filled), strings.Repeat("░", width-filled), b.done, b.total, b.chunks, rate, eta)
}

// Transfer reports a download of known or unknown size.
type Transfer struct {
	mu     sync.Mutex
	w      io.Writer
	tty    bool
	label  string
	status string
	last   time.Time
	done   bool
}

// NewBytes starts a transfer display.
func NewBytes(w io.Writer, tty bool, label string) *Transfer {
	return &Transfer{w: w, tty: tty, label: label}
}

// Set records the transfer's status and bytes. On a terminal it redraws the
// line; otherwise it prints a line whenever the status text changes.
func (t *Transfer) Set(status string, completed, total int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.tty {
		if status != t.status {
			fmt.Fprintf(t.w, "%s: %s\n", t.label, status)
		}
		t.status = status
		return
	}
	t.status = status
	if time.Since(t.last) < 100*time.Millisecond && completed < total {
		return
	}
	t.last = time.Now()
	if total > 0 {
		const width = 24
		filled := min(int(float64(completed)/float64(total)*width), width)
		fmt.Fprintf(t.w, "\r\033[K%s [%s%s] %s / %s  %s", t.label, strings.Repeat("█", filled), strings.Repeat("░", width-filled),
			human(completed), human(total), status)
		return
	}
	fmt.Fprintf(t.w, "\r\033[K%s: %s", t.label, status)
}

// Finish ends the line.
func (t *Transfer) Finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tty && !t.done {
		fmt.Fprint(t.w, "\r\033[K")
	}
	t.done = true
}

func human(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
