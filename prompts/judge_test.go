package prompts

import "testing"

func TestParseJudgement(t *testing.T) {
	tests := []struct {
		reply         string
		supported, ok bool
	}{
		{"JA", true, true},
		{"NEJ", false, true},
		{"YES", true, true},
		{"NO", false, true},
		{"ja", true, true},
		{"Nej", false, true},
		{"yes", true, true},
		{"No", false, true},
		{"  JA  \n", true, true},
		{"JA.", true, true},
		{"Nej!", false, true},
		{"Yes.", true, true},
		{"no.", false, true},
		{"**JA**", true, true},
		{"\"NEJ\"", false, true},
		{"JA – källan säger att hubben startar i april 2023.", true, true},
		{"Nej, källan nämner inte något datum.", false, true},
		{"NO. The passage does not mention a date.", false, true},
		{"YES\n\nThe passage states it.", true, true},
		{"Nej, nej.", false, true},
		{"", false, false},
		{"   ", false, false},
		{"Kanske", false, false},
		{"Maybe", false, false},
		{"Jag vet inte", false, false},
		{"Svar: JA", false, false},
		{"Nope", false, false},
		{"Japp", false, false},
		{"JA/NEJ", false, false},
		{"JA eller NEJ", false, false},
		{"Yes or no", false, false},
		{"Yes, no", false, false},
		{"1. JA", false, false},
		{"Källan stöder meningen: JA", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.reply, func(t *testing.T) {
			supported, ok := ParseJudgement(tt.reply)
			if supported != tt.supported || ok != tt.ok {
				t.Errorf("ParseJudgement(%q) = (%v, %v), want (%v, %v)", tt.reply, supported, ok, tt.supported, tt.ok)
			}
		})
	}
}
