//go:build analyze_nowordlist

package analyze

// wordlistTxt is empty in builds tagged analyze_nowordlist: load a word list
// with (*Lexicon).LoadWordList.
var wordlistTxt string
