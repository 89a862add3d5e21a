// Package audit writes the opt-in audit log: one JSON line per answered
// question, saying who asked, when, which sources were cited and which model
// and prompt version answered. Question text may be personal data, so it is
// written here and nowhere else, and only when the operator configured a
// file. The CLI and the HTTP server share the record format.
package audit

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/imy/imyrag"
)

// Record is one line of the audit log.
type Record struct {
	Time          time.Time `json:"time"`
	User          string    `json:"user"`
	Question      string    `json:"question"`
	Standalone    string    `json:"standalone,omitempty"`
	Mode          string    `json:"mode"`
	Model         string    `json:"model,omitempty"`
	PromptVersion string    `json:"prompt_version,omitempty"`
	Abstained     bool      `json:"abstained"`
	Cited         []string  `json:"cited"`
	Flagged       int       `json:"flagged_sentences"`
	Problems      []string  `json:"problems,omitempty"`
}

// New returns the record of ans, asked by user at t.
func New(t time.Time, user string, ans *imyrag.Answer) Record {
	rec := Record{
		Time: t.UTC(), User: user, Question: ans.Question, Standalone: ans.Standalone,
		Mode: ans.Mode, Model: ans.Model, PromptVersion: ans.PromptVersion, Abstained: ans.Abstained,
		Cited: []string{}, Problems: ans.Problems,
	}
	cited := map[int]bool{}
	for _, s := range ans.Sentences {
		for _, n := range s.Citations {
			cited[n] = true
		}
		if len(s.Flags) > 0 {
			rec.Flagged++
		}
	}
	for _, s := range ans.Sources {
		if cited[s.N] {
			rec.Cited = append(rec.Cited, s.ChunkID)
		}
	}
	return rec
}

// Log appends records to a file (created with mode 0600). The zero Log,
// or one with an empty Path, writes nothing. Safe for concurrent use: each
// record is one write of one line.
type Log struct {
	Path string
	mu   sync.Mutex
}

// Enabled reports whether records are written.
func (l *Log) Enabled() bool { return l != nil && l.Path != "" }

// Write appends the record of ans, asked by user, when the log is enabled.
func (l *Log) Write(user string, ans *imyrag.Answer) error {
	if !l.Enabled() || ans == nil {
		return nil
	}
	line, err := json.Marshal(New(time.Now(), user, ans))
	if err != nil {
		return fmt.Errorf("audit record: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.OpenFile(l.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit log %s: %w", l.Path, err)
	}
	return nil
}
