package grounding

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/imy/imyrag/retrieval/analyze"
)

var (
	supportPassage = "IMY beslutade den 3 maj 2023 att Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor " +
		"(DI-2021-5817) för att ha behandlat känsliga personuppgifter utan rättslig grund enligt artikel 9.2 a."
	otherPassage = "Samtycke ska vara frivilligt, specifikt, informerat och otvetydigt. " +
		"Den registrerade har rätt att när som helst återkalla sitt samtycke."
)

func TestSupportCases(t *testing.T) {
	a := analyze.Default()
	tests := []struct {
		name     string
		sentence string
		passages []string
		min, max float64
	}{
		{"verbatim", "Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor.", []string{supportPassage}, 1, 1},
		{"inflected and reordered", "Sanktionsavgiften som företaget ska betala beslutades av IMY.", []string{supportPassage}, 0.9, 1},
		{"compound against phrase", "Personuppgiftsbehandlingen saknade rättslig grund.", []string{"Behandlingen av personuppgifterna saknade rättslig grund."}, 0.8, 1},
		{"thousands separator", "Avgiften var 1000000 kronor.", []string{supportPassage}, 0.9, 1},
		{"number written otherwise", "Det följer av artikel 9(2) a.", []string{"Det följer av artikel 9.2 a."}, 0.9, 1},
		{"alias", "Integritetsskyddsmyndigheten beslutade om sanktionsavgiften.", []string{supportPassage}, 0.9, 1},
		{"wrong date", "IMY beslutade den 4 maj 2024 om en sanktionsavgift.", []string{supportPassage}, 0, 0.3},
		{"wrong case number", "Beslutet i ärende DI-2021-5818 gällde känsliga personuppgifter.", []string{supportPassage}, 0, 0.5},
		{"wrong amount", "Företaget ska betala en sanktionsavgift på 2 000 000 kronor.", []string{supportPassage}, 0, 0.5},
		{"wrong name", "Företaget ska betala en sanktionsavgift till Finansinspektionen.", []string{supportPassage}, 0, 0.5},
		{"wrong article", "Företaget saknade rättslig grund enligt artikel 6.1 a.", []string{supportPassage}, 0, 0.5},
		{"unrelated passage", "Företaget ska betala en sanktionsavgift på 1 000 000 kronor.", []string{otherPassage}, 0, 0.1},
		{"no passages", "Företaget ska betala en sanktionsavgift.", nil, 0, 0},
		{"only stopwords", "Det är och har varit så.", []string{supportPassage}, 0, 0},
		{"empty", "", []string{supportPassage}, 0, 0},
		{"citations ignored", "Företaget ska betala en sanktionsavgift [1][2].", []string{supportPassage}, 1, 1},
		{"english against english", "Consent shall be freely given and unambiguous.",
			[]string{"Consent shall be freely given, specific, informed and unambiguous."}, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Support(tt.sentence, tt.passages, a)
			if got < tt.min || got > tt.max {
				t.Errorf("Support(%q) = %.3f, want in [%.2f, %.2f]", tt.sentence, got, tt.min, tt.max)
			}
		})
	}
}

// supportSentences are sentences for the property tests.
var supportSentences = []string{
	"IMY beslutade den 3 maj 2023 att Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor.",
	"Samtycke ska vara frivilligt, specifikt, informerat och otvetydigt enligt artikel 6.1 a.",
	"Den registrerade har rätt att återkalla sitt samtycke till personuppgiftsbehandlingen.",
	"Beslutet DI-2021-5817 gällde känsliga personuppgifter utan rättslig grund.",
	"Vinnova och IMY samverkar om regulatoriska sandlådor för AI sedan 2021.",
	"Consent shall be freely given, specific, informed and unambiguous.",
}

var supportPassages = []string{supportPassage, otherPassage,
	"Vinnova finansierar innovationsprojekt. IMY driver en regulatorisk sandlåda för AI sedan 2023.",
	"Consent shall be freely given, specific, informed and unambiguous.",
	""}

func TestSupportProperties(t *testing.T) {
	a := analyze.Default()
	for _, s := range supportSentences {
		t.Run(s[:20], func(t *testing.T) {
			// A sentence supports itself fully.
			if got := Support(s, []string{s}, a); got != 1 {
				t.Errorf("self support %.3f, want 1", got)
			}
			// Adding a passage never lowers support; order does not matter.
			for i := range supportPassages {
				for j := range supportPassages {
					one := Support(s, supportPassages[i:i+1], a)
					two := Support(s, []string{supportPassages[i], supportPassages[j]}, a)
					rev := Support(s, []string{supportPassages[j], supportPassages[i]}, a)
					if two < one {
						t.Errorf("adding passage %d lowered support from %.3f to %.3f", j, one, two)
					}
					if two != rev {
						t.Errorf("passage order changes support: %.3f vs %.3f", two, rev)
					}
					if one < 0 || one > 1 {
						t.Errorf("support %.3f out of [0, 1]", one)
					}
				}
			}
			// Dropping words of a fully supported sentence keeps it fully supported.
			words := strings.Fields(s)
			rng := rand.New(rand.NewPCG(1, 2))
			for range 10 {
				// Words with digits stay: dropping "000" of "1 000 000"
				// changes the number.
				var kept []string
				for _, w := range words {
					if strings.ContainsAny(w, "0123456789") || rng.IntN(3) > 0 {
						kept = append(kept, w)
					}
				}
				sub := strings.Join(kept, " ")
				if Support(sub, []string{s}, a) == 0 && len(newSentenceTerms(sub, a).terms) > 0 {
					t.Errorf("subsentence %q of %q has support 0", sub, s)
				} else if got := Support(sub, []string{s}, a); len(newSentenceTerms(sub, a).terms) > 0 && got != 1 {
					t.Errorf("subsentence %q: support %.3f, want 1", sub, got)
				}
			}
			// Appending a claim the passage lacks lowers support.
			full := Support(s, []string{s}, a)
			if more := Support(s+" Dessutom gäller skadestånd enligt 4 kap. 2 §.", []string{s}, a); more >= full {
				t.Errorf("unsupported addition did not lower support: %.3f → %.3f", full, more)
			}
			// Deterministic.
			if Support(s, supportPassages, a) != Support(s, supportPassages, a) {
				t.Error("not deterministic")
			}
		})
	}
}

// TestMissingIdentifiersWeighHeavily changes one number, identifier or name
// of a long supported sentence: however much else it shares with the
// passage, it falls below the default threshold.
func TestMissingIdentifiersWeighHeavily(t *testing.T) {
	a := analyze.Default()
	base := "Integritetsskyddsmyndigheten beslutade den 3 maj 2023 i ärende DI-2021-5817 att Företaget AB, " +
		"som hade behandlat känsliga personuppgifter om hälsa utan rättslig grund och utan att informera de " +
		"registrerade, ska betala en sanktionsavgift på 1 000 000 kronor till staten enligt artikel 83 i " +
		"dataskyddsförordningen, med stöd av Vinnova."
	if got := Support(base, []string{base}, a); got != 1 {
		t.Fatalf("base support %.3f", got)
	}
	for _, change := range [][2]string{
		{"3 maj", "4 maj"}, {"2023", "2022"}, {"DI-2021-5817", "DI-2021-5871"}, {"1 000 000", "1 500 000"},
		{"artikel 83", "artikel 82"}, {"Vinnova", "Tillväxtverket"},
	} {
		changed := strings.Replace(base, change[0], change[1], 1)
		if got := Support(changed, []string{base}, a); got >= DefaultMinSupport {
			t.Errorf("%s → %s: support %.3f, want < %.2f", change[0], change[1], got, DefaultMinSupport)
		}
	}
}

func ExampleSupport() {
	passage := "IMY beslutade den 3 maj 2023 att Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor."
	for _, s := range []string{
		"Företaget AB ska betala en sanktionsavgift på 1 000 000 kronor [1].",
		"Företaget AB ska betala en sanktionsavgift på 2 000 000 kronor [1].",
	} {
		fmt.Printf("%.2f\n", Support(s, []string{passage}, nil))
	}
	// Output:
	// 1.00
	// 0.29
}
