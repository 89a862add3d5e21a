package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Comparison holds the deltas of a report against an earlier one.
type Comparison struct {
	// Against is the earlier report's path; Settings its settings.
	Against  string   `json:"against"`
	Settings Settings `json:"settings"`
	// Metrics are the overall deltas, ByKind the deltas per kind.
	Metrics []Delta            `json:"metrics"`
	ByKind  map[string][]Delta `json:"by_kind"`
	// Items are the per-item metrics that changed, and the items present
	// in only one of the reports.
	Items []ItemDelta `json:"items"`
}

// Delta is one metric then and now. Prev or Cur is nil when the metric is
// not in that report.
type Delta struct {
	Metric string   `json:"metric"`
	Prev   *float64 `json:"prev"`
	Cur    *float64 `json:"cur"`
	Delta  float64  `json:"delta"`
}

// Worse reports a change for the worse (a drop, or a rise of a metric where
// lower is better).
func (d Delta) Worse() bool {
	if LowerIsBetter(d.Metric) {
		return d.Delta > 1e-9
	}
	return d.Delta < -1e-9
}

// ItemDelta is one item's changed metrics.
type ItemDelta struct {
	ID      string  `json:"id"`
	Kind    string  `json:"kind"`
	Note    string  `json:"note,omitempty"` // "ny" (new) or "borttagen" (gone)
	Metrics []Delta `json:"metrics,omitempty"`
}

// LoadReport reads a report.json, given its path or its directory.
func LoadReport(ctx context.Context, path string) (*Report, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "report.json")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, path, fmt.Errorf("read report %s: %w", path, err)
	}
	if r.Metrics == nil {
		return nil, path, fmt.Errorf("read report %s: no metrics (not an imyrag eval report?)", path)
	}
	return &r, path, nil
}

// Compare computes the deltas of cur against prev.
func Compare(prev, cur *Report, against string) *Comparison {
	c := &Comparison{Against: against, Settings: prev.Settings, Metrics: deltas(prev.Metrics, cur.Metrics), ByKind: map[string][]Delta{}, Items: []ItemDelta{}}
	kinds := map[string]bool{}
	for k := range prev.ByKind {
		kinds[k] = true
	}
	for k := range cur.ByKind {
		kinds[k] = true
	}
	for k := range kinds {
		c.ByKind[k] = deltas(prev.ByKind[k], cur.ByKind[k])
	}
	before := map[string]ItemResult{}
	for _, it := range prev.Items {
		before[it.ID] = it
	}
	seen := map[string]bool{}
	for _, it := range cur.Items {
		seen[it.ID] = true
		p, ok := before[it.ID]
		if !ok {
			c.Items = append(c.Items, ItemDelta{ID: it.ID, Kind: it.Kind, Note: "ny"})
			continue
		}
		// Per item, only metrics both runs measured: a different --k is
		// a different question, shown in the overall deltas.
		var changed []Delta
		for _, d := range deltas(p.Metrics, it.Metrics) {
			if d.Prev != nil && d.Cur != nil && math.Abs(d.Delta) > 1e-9 {
				changed = append(changed, d)
			}
		}
		if len(changed) > 0 {
			c.Items = append(c.Items, ItemDelta{ID: it.ID, Kind: it.Kind, Metrics: changed})
		}
	}
	for _, it := range prev.Items {
		if !seen[it.ID] {
			c.Items = append(c.Items, ItemDelta{ID: it.ID, Kind: it.Kind, Note: "borttagen"})
		}
	}
	sort.Slice(c.Items, func(a, b int) bool { return c.Items[a].ID < c.Items[b].ID })
	return c
}

func deltas(prev, cur map[string]float64) []Delta {
	all := map[string]float64{}
	for k := range prev {
		all[k] = 0
	}
	for k := range cur {
		all[k] = 0
	}
	var out []Delta
	for _, name := range MetricNames(all) {
		d := Delta{Metric: name}
		if v, ok := prev[name]; ok {
			d.Prev = &v
		}
		if v, ok := cur[name]; ok {
			d.Cur = &v
		}
		if d.Prev != nil && d.Cur != nil {
			d.Delta = *d.Cur - *d.Prev
		}
		out = append(out, d)
	}
	return out
}

// Thresholds are minimum values per metric (for metrics where lower is
// better, maximum values).
type Thresholds map[string]float64

// ParseFailUnder parses "metric=value" pairs.
func ParseFailUnder(pairs []string) (Thresholds, error) {
	th := Thresholds{}
	for _, p := range pairs {
		name, val, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if !ok || name == "" || err != nil || math.IsNaN(v) {
			return nil, fmt.Errorf("fail-under %q: want metric=value, e.g. hit@5=0.8", p)
		}
		th[name] = v
	}
	return th, nil
}

// thresholdFile is the format of eval/testdata/thresholds.json: profiles of
// metrics, each with the gate (min, or max for lower-is-better metrics) and
// the value measured when it was set.
type thresholdFile struct {
	About    string                              `json:"about"`
	Profiles map[string]map[string]thresholdSpec `json:"profiles"`
}

type thresholdSpec struct {
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	Measured float64  `json:"measured"`
}

// LoadThresholds reads one profile of a thresholds file.
func LoadThresholds(path, profile string) (Thresholds, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	var f thresholdFile
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("thresholds %s: %w", path, err)
	}
	p, ok := f.Profiles[profile]
	if !ok {
		var names []string
		for n := range f.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("thresholds %s: no profile %q (have %s)", path, profile, strings.Join(names, ", "))
	}
	th := Thresholds{}
	for name, s := range p {
		switch {
		case s.Min != nil && !LowerIsBetter(name):
			th[name] = *s.Min
		case s.Max != nil && LowerIsBetter(name):
			th[name] = *s.Max
		default:
			return nil, fmt.Errorf("thresholds %s: %s: want %q", path, name, map[bool]string{true: "max", false: "min"}[LowerIsBetter(name)])
		}
	}
	return th, nil
}

// Failure is a metric that missed its threshold.
type Failure struct {
	Metric string   `json:"metric"`
	Value  *float64 `json:"value"`
	Limit  float64  `json:"limit"`
}

func (f Failure) String() string {
	if f.Value == nil {
		return fmt.Sprintf("%s was not measured (threshold %.3f)", f.Metric, f.Limit)
	}
	if LowerIsBetter(f.Metric) {
		return fmt.Sprintf("%s = %.3f, above the maximum %.3f", f.Metric, *f.Value, f.Limit)
	}
	return fmt.Sprintf("%s = %.3f, below the threshold %.3f", f.Metric, *f.Value, f.Limit)
}

// ErrThreshold is returned (wrapped) when a metric misses its threshold.
var ErrThreshold = errors.New("below threshold")

// Check returns the metrics of r that miss th, by name. A metric the report
// does not have is a failure: a gate must not pass by measuring nothing.
func (r *Report) Check(th Thresholds) []Failure {
	names := make([]string, 0, len(th))
	for n := range th {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Failure
	for _, n := range names {
		v, ok := r.Metrics[n]
		switch {
		case !ok:
			out = append(out, Failure{Metric: n, Limit: th[n]})
		case LowerIsBetter(n) && v > th[n]+1e-12, !LowerIsBetter(n) && v < th[n]-1e-12:
			out = append(out, Failure{Metric: n, Value: &v, Limit: th[n]})
		}
	}
	return out
}
