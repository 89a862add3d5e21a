package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Report file names in the output directory.
const (
	ReportJSON     = "report.json"
	ReportMarkdown = "report.md"
	ReportHTML     = "report.html"
)

// WriteFiles writes report.json, report.md and report.html into dir
// (created when missing). Each file is written to a temporary name and
// renamed, so a reader never sees half a report.
func WriteFiles(ctx context.Context, dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	html, err := HTML(r)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
	}{{ReportJSON, append(js, '\n')}, {ReportMarkdown, []byte(Markdown(r))}, {ReportHTML, html}}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path+".tmp", f.data, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// fmtMetric formats a metric value: counts as integers, the rest with
// three decimals.
func fmtMetric(name string, v float64) string {
	if name == "items" || strings.HasPrefix(name, "judge_failures.") {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func fmtDelta(d Delta) string {
	switch {
	case d.Prev == nil:
		return "ny"
	case d.Cur == nil:
		return "saknas"
	}
	return fmt.Sprintf("%+.3f", d.Delta)
}

func fmtOpt(name string, v *float64) string {
	if v == nil {
		return "–"
	}
	return fmtMetric(name, *v)
}

// kindColumns are the metrics shown per kind.
func kindColumns(r *Report) []string {
	ks := r.Settings.Ks
	if len(ks) == 0 {
		ks = Ks
	}
	top := strconv.Itoa(ks[len(ks)-1])
	var cols []string
	for _, k := range ks {
		cols = append(cols, "hit@"+strconv.Itoa(k))
	}
	cols = append(cols, "coverage@"+top, "doc_recall@"+top, "mrr", "ndcg@10", "answered", "abstain_recall")
	for _, j := range r.Settings.Judges {
		cols = append(cols, "citation_recall."+j, "faithfulness."+j)
	}
	return cols
}

// sortedKinds returns the kinds of a report in name order.
func sortedKinds(r *Report) []string {
	out := make([]string, 0, len(r.ByKind))
	for k := range r.ByKind {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// badness orders items from worst to best for the report: errors first,
// then missed evidence, poor ranking, unsupported claims, wrong abstention.
func badness(it ItemResult) float64 {
	if it.Error != "" {
		return 100
	}
	m := it.Metrics
	b := 0.0
	if it.Answerable {
		b += 1 - m["mrr"]
		b += 1 - m["ndcg@10"]
		for name, v := range m {
			if strings.HasPrefix(name, "coverage@") {
				b += (1 - v) / 4
			}
		}
		if v, ok := m["answered"]; ok {
			b += 1 - v
		}
		if v, ok := m["citation_recall.lexical"]; ok {
			b += 1 - v
		}
	} else if v, ok := m["abstain_recall"]; ok {
		b += 2 * (1 - v)
	}
	return b
}

// Worst returns up to n items with something wrong, worst first.
func Worst(r *Report, n int) []ItemResult {
	var items []ItemResult
	for _, it := range r.Items {
		if badness(it) > 1e-9 {
			items = append(items, it)
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		ba, bb := badness(items[a]), badness(items[b])
		if ba != bb {
			return ba > bb
		}
		return items[a].ID < items[b].ID
	})
	return items[:min(n, len(items))]
}

// settingsRows lists the settings as label/value pairs.
func settingsRows(s Settings) [][2]string {
	ks := make([]string, len(s.Ks))
	for i, k := range s.Ks {
		ks[i] = strconv.Itoa(k)
	}
	rows := [][2]string{
		{"utvärderingsmängd", s.Set}, {"frågor", strconv.Itoa(s.Items)}, {"k", strings.Join(ks, ", ")},
		{"körningar", strconv.Itoa(s.Runs)}, {"läge", s.Mode}, {"modell", orDash(s.Model)},
		{"promptversion", s.PromptVersion}, {"domare", strings.Join(s.Judges, ", ")},
		{"domarmodell", orDash(s.JudgeModel)}, {"domarprompt", orDash(s.JudgePromptVersion)},
		{"index", orDash(s.Index)}, {"commit", orDash(s.Commit)},
		{"start", s.Started.UTC().Format("2006-01-02 15:04:05 UTC")}, {"tid", fmt.Sprintf("%.1f s", s.Took)},
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func clipText(s string, n int) string {
	return clip(strings.Join(strings.Fields(s), " "), n)
}

// Markdown renders the report for reading in a terminal or a merge request:
// settings, the summary, a table per kind, the comparison with an earlier
// run, the worst items with their retrieved passages, and the problems.
func Markdown(r *Report) string {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	p("# Utvärdering: %s\n\n", cell(r.Settings.Set))
	p("| inställning | värde |\n|---|---|\n")
	for _, row := range settingsRows(r.Settings) {
		p("| %s | %s |\n", row[0], cell(row[1]))
	}

	p("\n## Sammanfattning\n\n")
	head, sep := "| mått | värde |", "|---|---:|"
	if r.Settings.Runs > 1 {
		head, sep = head+" min | max | stdavvikelse |", sep+"---:|---:|---:|"
	}
	var prev map[string]Delta
	if r.Compare != nil {
		head, sep = head+" föregående | Δ |", sep+"---:|---:|"
		prev = map[string]Delta{}
		for _, d := range r.Compare.Metrics {
			prev[d.Metric] = d
		}
	}
	p("%s\n%s\n", head, sep)
	for _, name := range MetricNames(r.Metrics) {
		v := r.Metrics[name]
		p("| %s | %s |", name, fmtMetric(name, v))
		if r.Settings.Runs > 1 {
			if s, ok := r.Spread[name]; ok {
				p(" %s | %s | %.3f |", fmtMetric(name, s.Min), fmtMetric(name, s.Max), s.Stddev)
			} else {
				p(" – | – | – |")
			}
		}
		if prev != nil {
			d := prev[name]
			p(" %s | %s |", fmtOpt(name, d.Prev), fmtDelta(d))
		}
		p("\n")
	}

	p("\n## Per frågetyp\n\n")
	cols := kindColumns(r)
	p("| typ | frågor | %s |\n|---|---:|%s\n", strings.Join(cols, " | "), strings.Repeat("---:|", len(cols)))
	for _, kind := range sortedKinds(r) {
		m := r.ByKind[kind]
		p("| %s | %s |", cell(kind), fmtMetric("items", m["items"]))
		for _, c := range cols {
			if v, ok := m[c]; ok {
				p(" %s |", fmtMetric(c, v))
			} else {
				p(" – |")
			}
		}
		p("\n")
	}

	if c := r.Compare; c != nil {
		p("\n## Jämfört med föregående körning\n\n")
		p("Föregående: `%s` (%s, %s, promptversion %s).\n\n", c.Against, c.Settings.Started.UTC().Format("2006-01-02 15:04"), orDash(c.Settings.Mode), orDash(c.Settings.PromptVersion))
		var worse []string
		for _, d := range c.Metrics {
			if d.Worse() {
				worse = append(worse, fmt.Sprintf("%s (%s)", d.Metric, fmtDelta(d)))
			}
		}
		if len(worse) > 0 {
			p("Sämre: %s.\n\n", strings.Join(worse, ", "))
		} else {
			p("Inget mått blev sämre.\n\n")
		}
		if len(c.Items) == 0 {
			p("Inga frågor ändrades.\n")
		} else {
			p("| fråga | typ | ändring |\n|---|---|---|\n")
			for _, it := range c.Items {
				var ch []string
				if it.Note != "" {
					ch = append(ch, it.Note)
				}
				for _, d := range it.Metrics {
					ch = append(ch, fmt.Sprintf("%s %s → %s", d.Metric, fmtOpt(d.Metric, d.Prev), fmtOpt(d.Metric, d.Cur)))
				}
				p("| %s | %s | %s |\n", cell(it.ID), cell(it.Kind), cell(strings.Join(ch, "; ")))
			}
		}
	}

	p("\n## Sämsta frågorna\n")
	worst := Worst(r, 5)
	if len(worst) == 0 {
		p("\nInga frågor med fel.\n")
	}
	for _, it := range worst {
		p("\n### %s (%s, rad %d)\n\n", it.ID, it.Kind, it.Line)
		p("> %s\n\n", cell(it.Question))
		if it.Error != "" {
			p("Fel: %s\n\n", cell(it.Error))
		}
		var line []string
		if it.Retrieval != nil {
			line = append(line, "Första träff med belägg: "+firstHit(it.Retrieval.FirstHit)+".")
		} else {
			line = append(line, "Obesvarbar fråga.")
		}
		if len(it.Runs) > 0 && it.Runs[0].Error == "" {
			run := it.Runs[0]
			state := "besvarad"
			if run.Abstained {
				state = "avstod"
			}
			line = append(line, fmt.Sprintf("Svar (%s, %s): %s", run.Mode, state, cell(clipText(run.Answer, 300))))
		}
		p("%s\n\n", strings.Join(line, " "))
		if len(it.Retrieved) > 0 {
			p("| # | dokument | passage | belägg | text |\n|---:|---|---|:-:|---|\n")
			for _, ps := range it.Retrieved[:min(5, len(it.Retrieved))] {
				mark := ""
				if ps.Evidence {
					mark = "✓"
				}
				p("| %d | %s | %s | %s | %s |\n", ps.Rank, cell(ps.DocID), cell(ps.ChunkID), mark, cell(clipText(ps.Text, 160)))
			}
		}
	}

	errs := 0
	for _, it := range r.Items {
		if it.Error != "" {
			errs++
		}
	}
	if len(r.Problems) > 0 || errs > 0 {
		p("\n## Problem\n\n")
		for _, pr := range r.Problems {
			p("- %s\n", cell(pr.Error()))
		}
		for _, it := range r.Items {
			if it.Error != "" {
				p("- rad %d (%s): %s\n", it.Line, it.ID, cell(it.Error))
			}
		}
	}
	return b.String()
}

func firstHit(rank int) string {
	if rank == 0 {
		return "ingen"
	}
	return "plats " + strconv.Itoa(rank)
}
