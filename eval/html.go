package eval

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// HTML renders the report as one self-contained page: inline CSS, inline
// SVG charts drawn here (metrics per kind, recall at k, deltas against the
// previous run), no scripts and nothing fetched over the network.
func HTML(r *Report) ([]byte, error) {
	type kindRow struct {
		Kind   string
		Values []string
	}
	type metricRow struct {
		Name, Value, Spread, Prev, Delta string
		Worse                            bool
	}
	data := struct {
		R         *Report
		Settings  [][2]string
		Metrics   []metricRow
		Cols      []string
		Kinds     []kindRow
		KindChart template.HTML
		KChart    template.HTML
		DChart    template.HTML
		Worst     []ItemResult
	}{R: r, Settings: settingsRows(r.Settings), Cols: kindColumns(r), Worst: Worst(r, 5)}
	prev := map[string]Delta{}
	if r.Compare != nil {
		for _, d := range r.Compare.Metrics {
			prev[d.Metric] = d
		}
	}
	for _, name := range MetricNames(r.Metrics) {
		row := metricRow{Name: name, Value: fmtMetric(name, r.Metrics[name])}
		if s, ok := r.Spread[name]; ok {
			row.Spread = fmt.Sprintf("%s–%s (σ %.3f)", fmtMetric(name, s.Min), fmtMetric(name, s.Max), s.Stddev)
		}
		if d, ok := prev[name]; ok {
			row.Prev, row.Delta, row.Worse = fmtOpt(name, d.Prev), fmtDelta(d), d.Worse()
		}
		data.Metrics = append(data.Metrics, row)
	}
	for _, kind := range sortedKinds(r) {
		row := kindRow{Kind: kind}
		for _, c := range data.Cols {
			if v, ok := r.ByKind[kind][c]; ok {
				row.Values = append(row.Values, fmtMetric(c, v))
			} else {
				row.Values = append(row.Values, "–")
			}
		}
		data.Kinds = append(data.Kinds, row)
	}
	data.KindChart = kindChart(r)
	data.KChart = recallChart(r)
	if r.Compare != nil {
		data.DChart = deltaChart(r.Compare.Metrics)
	}
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("render report.html: %w", err)
	}
	return b.Bytes(), nil
}

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"clip":     clipText,
	"firstHit": firstHit,
	"deref":    func(p *float64) float64 { return *p },
}).Parse(`<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Utvärdering: {{.R.Settings.Set}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d5dae1}h3{font-size:1.05rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d5dae1;padding:.25rem .5rem;vertical-align:top}
th{background:#f1f3f6;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.worse{color:#b3261e;font-weight:600}.better{color:#1e7b34}
blockquote{margin:.5rem 0;padding:.25rem .75rem;border-left:3px solid #8a94a6;color:#3b4556}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts figure{margin:0}
figcaption{font-size:.85rem;color:#3b4556}
.ev{color:#1e7b34;font-weight:700}.passage{max-width:40rem}
</style>
</head>
<body>
<h1>Utvärdering: {{.R.Settings.Set}}</h1>
<table>{{range .Settings}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>

<h2>Sammanfattning</h2>
<table>
<tr><th>mått</th><th>värde</th>{{if gt .R.Settings.Runs 1}}<th>spridning över körningar</th>{{end}}{{if .R.Compare}}<th>föregående</th><th>Δ</th>{{end}}</tr>
{{range .Metrics}}<tr><td>{{.Name}}</td><td class="n">{{.Value}}</td>{{if gt $.R.Settings.Runs 1}}<td class="n">{{.Spread}}</td>{{end}}{{if $.R.Compare}}<td class="n">{{.Prev}}</td><td class="n{{if .Worse}} worse{{end}}">{{.Delta}}</td>{{end}}</tr>
{{end}}</table>

<div class="charts">
<figure>{{.KindChart}}<figcaption>Mått per frågetyp</figcaption></figure>
<figure>{{.KChart}}<figcaption>Träff, täckning och dokumentåterkallning vid k</figcaption></figure>
{{if .R.Compare}}<figure>{{.DChart}}<figcaption>Förändring mot föregående körning</figcaption></figure>{{end}}
</div>

<h2>Per frågetyp</h2>
<table>
<tr><th>typ</th>{{range .Cols}}<th>{{.}}</th>{{end}}</tr>
{{range .Kinds}}<tr><td>{{.Kind}}</td>{{range .Values}}<td class="n">{{.}}</td>{{end}}</tr>
{{end}}</table>
{{with .R.Compare}}
<h2>Jämfört med föregående körning</h2>
<p>Föregående: <code>{{.Against}}</code> ({{.Settings.Mode}}, promptversion {{.Settings.PromptVersion}}).</p>
{{if .Items}}<table><tr><th>fråga</th><th>typ</th><th>ändring</th></tr>
{{range .Items}}<tr><td>{{.ID}}</td><td>{{.Kind}}</td><td>{{.Note}}{{range .Metrics}} {{.Metric}}: {{if .Prev}}{{printf "%.3f" (deref .Prev)}}{{else}}–{{end}} → {{if .Cur}}{{printf "%.3f" (deref .Cur)}}{{else}}–{{end}};{{end}}</td></tr>
{{end}}</table>{{else}}<p>Inga frågor ändrades.</p>{{end}}
{{end}}
<h2>Sämsta frågorna</h2>
{{if not .Worst}}<p>Inga frågor med fel.</p>{{end}}
{{range .Worst}}<h3>{{.ID}} ({{.Kind}}, rad {{.Line}})</h3>
<blockquote>{{.Question}}</blockquote>
{{if .Error}}<p class="worse">Fel: {{.Error}}</p>{{end}}
<p>{{if .Retrieval}}Första träff med belägg: {{firstHit .Retrieval.FirstHit}}.{{else}}Obesvarbar fråga.{{end}}
{{with .Runs}}{{with index . 0}}{{if not .Error}} Svar ({{.Mode}}{{if .Abstained}}, avstod{{end}}): {{clip .Answer 300}}{{end}}{{end}}{{end}}</p>
{{if .Retrieved}}<table><tr><th>#</th><th>dokument</th><th>passage</th><th>belägg</th><th>text</th></tr>
{{range $i, $p := .Retrieved}}{{if lt $i 5}}<tr><td class="n">{{$p.Rank}}</td><td>{{$p.DocID}}</td><td><code>{{$p.ChunkID}}</code></td><td>{{if $p.Evidence}}<span class="ev">✓</span>{{end}}</td><td class="passage">{{clip $p.Text 240}}</td></tr>
{{end}}{{end}}</table>{{end}}
{{end}}
{{if .R.Problems}}<h2>Problem i utvärderingsmängden</h2>
<ul>{{range .R.Problems}}<li>{{.Error}}</li>{{end}}</ul>{{end}}
</body>
</html>
`))

// palette colours chart series.
var palette = []string{"#2f6db5", "#e08a1e", "#2e9a5c", "#b3261e", "#7a4fb0", "#5b6b7f", "#c2a01f", "#1c8c96"}

// kindChart draws a grouped bar chart: per kind, a bar for each of a few
// headline metrics (all in [0, 1]).
func kindChart(r *Report) template.HTML {
	ks := r.Settings.Ks
	if len(ks) == 0 {
		ks = Ks
	}
	top := strconv.Itoa(ks[len(ks)-1])
	metrics := []string{"hit@" + strconv.Itoa(ks[len(ks)/2]), "coverage@" + top, "mrr", "answered", "faithfulness.lexical"}
	kinds := sortedKinds(r)
	const h, left, bottom, top0 = 250.0, 36.0, 52.0, 12.0
	bar := 10.0
	group := bar*float64(len(metrics)) + 14
	w := max(left+group*float64(len(kinds))+10, 420)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="Mått per frågetyp">`, w, h+40, w, h+40)
	axis(&b, left, top0, w-10, h-bottom)
	for gi, kind := range kinds {
		x0 := left + 7 + group*float64(gi)
		for mi, name := range metrics {
			v, ok := r.ByKind[kind][name]
			if !ok {
				continue
			}
			bh := v * (h - bottom - top0)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %.3f</title></rect>`,
				x0+bar*float64(mi), h-bottom-bh, bar-1, bh, palette[mi%len(palette)], html.EscapeString(kind), name, v)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end" transform="rotate(-30 %.1f %.1f)">%s</text>`,
			x0+group/2, h-bottom+14, x0+group/2, h-bottom+14, html.EscapeString(kind))
	}
	legend(&b, metrics, left, h+8, w)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// recallChart draws hit, coverage and document recall against k.
func recallChart(r *Report) template.HTML {
	ks := r.Settings.Ks
	if len(ks) == 0 {
		ks = Ks
	}
	series := []string{"hit@", "coverage@", "doc_recall@"}
	const w, h, left, bottom, top0 = 300.0, 240.0, 36.0, 30.0, 12.0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="Träff vid k">`, w, h+40, w, h+40)
	axis(&b, left, top0, w-10, h-bottom)
	x := func(i int) float64 {
		if len(ks) == 1 {
			return left + (w-10-left)/2
		}
		return left + 14 + float64(i)*(w-10-left-28)/float64(len(ks)-1)
	}
	y := func(v float64) float64 { return h - bottom - v*(h-bottom-top0) }
	for i, k := range ks {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">k=%d</text>`, x(i), h-bottom+14, k)
	}
	for si, s := range series {
		var pts []string
		for i, k := range ks {
			if v, ok := r.Metrics[s+strconv.Itoa(k)]; ok {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(v)))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s%d: %.3f</title></circle>`, x(i), y(v), palette[si], s, k, v)
			}
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.Join(pts, " "), palette[si])
		}
	}
	legend(&b, []string{"hit@k", "coverage@k", "doc_recall@k"}, left, h+8, w)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// deltaChart draws one horizontal bar per metric that changed: right for
// better, left for worse.
func deltaChart(ds []Delta) template.HTML {
	var rows []Delta
	for _, d := range ds {
		if d.Prev != nil && d.Cur != nil && d.Metric != "items" && !strings.HasPrefix(d.Metric, "judge_failures.") {
			rows = append(rows, d)
		}
	}
	maxAbs := 0.05
	for _, d := range rows {
		maxAbs = math.Max(maxAbs, math.Abs(d.Delta))
	}
	const w, label, rowH = 420.0, 150.0, 16.0
	h := rowH*float64(len(rows)) + 30
	mid := label + (w-label-10)/2
	half := (w - label - 10) / 2
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="Förändring">`, w, h, w, h)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="4" x2="%.1f" y2="%.1f" stroke="#5b6b7f"/>`, mid, mid, h-22)
	for i, d := range rows {
		yy := 6 + rowH*float64(i)
		bw := math.Abs(d.Delta) / maxAbs * half
		x := mid
		if d.Delta < 0 {
			x = mid - bw
		}
		col := "#2e9a5c"
		if d.Worse() {
			col = "#b3261e"
		} else if math.Abs(d.Delta) <= 1e-9 {
			col = "#8a94a6"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%s</text>`, label-4, yy+10, html.EscapeString(d.Metric))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %+.3f</title></rect>`, x, yy+2, math.Max(bw, 0.5), rowH-5, col, html.EscapeString(d.Metric), d.Delta)
	}
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%+.2f</text>`, label+5, h-8, -maxAbs)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="middle">%+.2f</text>`, w-15, h-8, maxAbs)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// axis draws a y axis from 0 to 1 with grid lines, and the x axis.
func axis(b *strings.Builder, x0, y0, x1, y1 float64) {
	for i := 0; i <= 4; i++ {
		v := float64(i) / 4
		y := y1 - v*(y1-y0)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e7ec"/>`, x0, y, x1, y)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" font-size="10" text-anchor="end">%.2f</text>`, x0-4, y+3, v)
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#5b6b7f"/>`, x0, y1, x1, y1)
}

// legend draws coloured labels in one row (wrapping when needed).
func legend(b *strings.Builder, names []string, x0, y, w float64) {
	x := x0
	for i, n := range names {
		width := 18 + 6*float64(len(n))
		if x+width > w && x > x0 {
			x, y = x0, y+14
		}
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f" font-size="10">%s</text>`,
			x, y, palette[i%len(palette)], x+13, y+9, html.EscapeString(n))
		x += width
	}
}
