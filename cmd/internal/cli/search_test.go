package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/imy/imyrag/retrieval"
)

func TestSearchShowsSynonyms(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runWith(t, dir, offline, "", "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	// "dispens" is not in the corpus; its synonym "undantag" is.
	code, stdout, stderr := runWith(t, dir, offline, "", "search", "dispens från GDPR", "--json")
	var res retrieval.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 {
		t.Fatalf("search: code %d, err %v\n%s", code, err, stderr)
	}
	if !slices.ContainsFunc(res.Expansions, func(x retrieval.Expansion) bool {
		return x.Term == "undantag" && x.From == "disp" && x.FromWord == "dispens"
	}) {
		t.Errorf("expansions %+v, want undantag for disp", res.Expansions)
	}
	if !strings.Contains(stdout, `"expansions"`) {
		t.Errorf("JSON lacks expansions:\n%s", stdout)
	}
	code, stdout, _ = runWith(t, dir, offline, "", "search", "dispens från GDPR")
	if code != 0 || !strings.Contains(stdout, "Sökte även synonymer") || !strings.Contains(stdout, "undantag (för ”dispens”)") {
		t.Errorf("plain search: code %d\n%s", code, stdout)
	}
}
