package cli

import (
	"encoding/json"
	"os"
	"os/user"
	"time"

	"github.com/imy/imyrag/retrieval/answer"
)

// auditRecord is one line of the audit log. Question text is personal data
// as far as we know, so it is written only here, and only when the operator
// switched the audit log on.
type auditRecord struct {
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

// audit appends a record of res to the audit log when one is configured.
// A failure to write it is logged as an error: the answer has been given.
func (e *env) audit(res *answer.Result) {
	if e.cfg.AuditLog == "" || res == nil || res.Answer == nil {
		return
	}
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	ans := res.Answer
	rec := auditRecord{
		Time: time.Now().UTC(), User: name, Question: ans.Question, Standalone: ans.Standalone,
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
	line, err := json.Marshal(rec)
	if err == nil {
		var f *os.File
		if f, err = os.OpenFile(e.cfg.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err == nil {
			_, err = f.Write(append(line, '\n'))
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	}
	if err != nil {
		e.log.Error("audit log not written", "path", e.cfg.AuditLog, "err", err)
	}
}
