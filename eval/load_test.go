package eval

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadAll(t *testing.T) {
	good := `{"id":"a","question":"Vad?","answerable":true,"expected_docs":["d1"],"evidence":["ett två tre"],"reference_answer":"x","kind":"fact"}`
	tests := []struct {
		name     string
		in       string
		ids      []string
		problems []Problem
	}{
		{"valid", good + "\n\n" + `{"id":"b","question":"Hur?","answerable":false,"expected_docs":[],"evidence":[],"kind":"unanswerable"}`, []string{"a", "b"}, nil},
		{"unknown field", `{"id":"a","question":"Vad?","answerabel":true}`, nil,
			[]Problem{{Line: 1, Reason: `json: unknown field "answerabel"`}}},
		{"malformed line among good ones", good + "\n{not json\n" + strings.Replace(good, `"a"`, `"c"`, 1), []string{"a", "c"},
			[]Problem{{Line: 2, Reason: "invalid character 'n' looking for beginning of object key string"}}},
		{"missing evidence", `{"id":"a","question":"Vad?","answerable":true,"expected_docs":["d1"],"evidence":[]}`, nil,
			[]Problem{{Line: 1, ID: "a", Reason: "answerable item without expected_docs or evidence"}}},
		{"duplicate id", good + "\n" + good, []string{"a"},
			[]Problem{{Line: 2, ID: "a", Reason: "duplicate id a (first on line 1)"}}},
		{"empty question", `{"id":"a","question":"  "}`, nil, []Problem{{Line: 1, ID: "a", Reason: "empty question"}}},
		{"missing id", `{"question":"Vad?"}`, nil, []Problem{{Line: 1, Reason: "missing id"}}},
		{"evidence without words", `{"id":"a","question":"Vad?","answerable":true,"expected_docs":["d1"],"evidence":["•"]}`, nil,
			[]Problem{{Line: 1, ID: "a", Reason: `evidence "•" has no words`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, problems, err := LoadAll(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range items {
				ids = append(ids, it.ID)
			}
			if diff := cmp.Diff(tt.ids, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.problems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			// Load fails on any problem and names its line.
			_, lerr := Load(strings.NewReader(tt.in))
			if (lerr != nil) != (len(tt.problems) > 0) {
				t.Errorf("Load error = %v, want one iff there are problems", lerr)
			}
			if len(tt.problems) > 0 && !strings.Contains(lerr.Error(), "line ") {
				t.Errorf("Load error %q does not name the line", lerr)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	docs := map[string]string{
		"d1": "Första stycket.\n\n• Projektets idé innebär samhälls-\nnytta, enligt IMY.",
		"d2": "Ett annat dokument om kamerabevakning.",
	}
	lookup := func(_ context.Context, id string) (string, bool, error) {
		if id == "broken" {
			return "", false, errors.New("disk on fire")
		}
		t, ok := docs[id]
		return t, ok, nil
	}
	item := func(id string, expected []string, evidence ...string) Item {
		return Item{ID: id, Question: "?", Answerable: true, ExpectedDocs: expected, Evidence: evidence, Line: len(id)}
	}
	items := []Item{
		item("ok", []string{"d1"}, "Projektets idé innebär"),
		item("ok2", []string{"d2", "d1"}, "innebär samhälls- nytta"),
		item("unknown", []string{"d1", "d9"}, "Projektets idé"),
		item("notfound", []string{"d2"}, "Projektets idé innebär"),
		{ID: "unanswerable", Question: "?", Line: 12},
	}
	good, problems, err := Validate(context.Background(), items, lookup)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range good {
		ids = append(ids, it.ID)
	}
	if diff := cmp.Diff([]string{"ok", "ok2", "unanswerable"}, ids); diff != "" {
		t.Errorf("valid items (-want +got):\n%s", diff)
	}
	want := []Problem{
		{Line: 7, ID: "unknown", Reason: "unknown document ID in expected_docs: d9"},
		{Line: 8, ID: "notfound", Reason: `evidence "Projektets idé innebär" not found in the text of d2`},
	}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if _, _, err := Validate(context.Background(), []Item{item("x", []string{"broken"}, "a")}, lookup); err == nil {
		t.Error("an index read error was not returned")
	}
}

// The development set is valid against the bundled corpus.
func TestDevSetValid(t *testing.T) {
	items := loadDev(t)
	s := devIndex(t)
	_, problems, err := Validate(context.Background(), items, func(ctx context.Context, id string) (string, bool, error) {
		d, err := s.Document(ctx, id)
		if err != nil {
			return "", false, nil
		}
		return d.Text, true, nil
	})
	if err != nil || len(problems) > 0 {
		t.Fatalf("err %v, problems %v", err, problems)
	}
}
