package cli

import (
	"os/user"

	"github.com/imy/imyrag/cmd/internal/audit"
	"github.com/imy/imyrag/retrieval/answer"
)

// audit appends a record of res to the audit log when one is configured
// (package audit has the format). A failure to write it is logged as an
// error: the answer has been given.
func (e *env) audit(res *answer.Result) {
	if e.cfg.AuditLog == "" || res == nil || res.Answer == nil {
		return
	}
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	l := &audit.Log{Path: e.cfg.AuditLog}
	if err := l.Write(name, res.Answer); err != nil {
		e.log.Error("audit log not written", "path", e.cfg.AuditLog, "err", err)
	}
}
