package prompts

import "testing"

func TestDetect(t *testing.T) {
	tests := []struct {
		name, text string
		want       Lang
	}{
		{"swedish with å ä ö", "Vad säger IMY om kameraövervakning i skolor?", Swedish},
		{"swedish without å ä ö", "Vad galler for kameraovervakning i skolor?", Swedish},
		{"swedish typed without diacritics, only ar", "Nar ar en DPIA obligatorisk?", Swedish},
		{"swedish question words", "Hur lang tid far en kommun spara loggar enligt DI-2021-5817?", Swedish},
		{"swedish kan jag", "Kan jag använda cookies utan samtycke?", Swedish},
		{"swedish imperative without function words", "Sammanfatta beslutet DI-2021-5817", Swedish},
		{"english question", "What does IMY say about camera surveillance in schools?", English},
		{"english yes/no question", "Is a DPIA required for the sandbox project?", English},
		{"english imperative", "Explain the decision DI-2021-5817", English},
		{"english contraction", "What's the fine in DI-2021-5817 and who appealed?", English},
		{"english upper case", "WHAT IS THE LEGAL BASIS UNDER ARTICLE 6(1)(e) GDPR?", English},
		{"english with pronoun I", "Can I use cookies without consent?", English},
		{"english with a Swedish term", "What does the decision say about kameraövervakning?", Swedish},
		{"mixed with och", "Which decisions mention DI-2021-5817 och IMY-2023-1234?", Swedish},
		{"mixed with Swedish preposition i", "Privacy by design i kommuner", Swedish},
		{"english term in swedish", "Vad innebär privacy by design?", Swedish},
		{"single english marker", "Privacy by design", Swedish},
		{"identifier only", "DI-2021-5817", Swedish},
		{"legal reference only", "GDPR art. 6.1 e", Swedish},
		{"numbers only", "2018:218", Swedish},
		{"empty", "", Swedish},
		{"blank", " \n\t ", Swedish},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.text); got != tt.want {
				t.Errorf("Detect(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
