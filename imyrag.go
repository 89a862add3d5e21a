// Package imyrag holds the domain types shared by every part of the assistant:
// documents and their pages, chunks with the coordinates a citation needs, and
// the legal metadata that filters and exact matches use.
//
// The packages under ingest/ produce these values, the stores under
// retrieval/store keep them, and the retrieval and answer layers read them.
package imyrag

// Kind says what sort of document a text is. The values are Swedish because
// they are shown to IMY staff and used in filters.
type Kind string

// The document kinds IMY works with.
const (
	KindBeslut       Kind = "beslut"       // a decision, e.g. a supervision decision
	KindVagledning   Kind = "vagledning"   // guidance
	KindSandlada     Kind = "sandlada"     // a regulatory sandbox report
	KindRapport      Kind = "rapport"      // a report, e.g. to the Government
	KindSkrivelse    Kind = "skrivelse"    // a Government communication to the Riksdag
	KindPresentation Kind = "presentation" // slides
	KindStrategi     Kind = "strategi"     // a strategy or policy
	KindWebbsida     Kind = "webbsida"     // a web page
	KindOvrigt       Kind = "ovrigt"       // anything else
)

// Kinds lists every known kind, in the order they are shown.
var Kinds = []Kind{KindBeslut, KindVagledning, KindSandlada, KindRapport, KindSkrivelse,
	KindPresentation, KindStrategi, KindWebbsida, KindOvrigt}

// ValidKind reports whether k is one of Kinds.
func ValidKind(k Kind) bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// Page is the raw text of one page of a source, as a reader extracted it.
// Number is 1-based; it is 0 for sources that have no pages (text, HTML).
type Page struct {
	Number int    `json:"number"`
	Text   string `json:"text"`
	// Flag is set when the page could not be read faithfully, e.g. "no text
	// layer (scanned?)" or "damaged stream". Empty when the page is fine.
	Flag string `json:"flag,omitempty"`
}

// Metadata is the legal metadata found in a text, each list normalized,
// de-duplicated and sorted so that values can be filtered on and matched
// exactly.
type Metadata struct {
	// Diarienummer are IMY case numbers: "DI-2021-5817", "IMY-2023-1234".
	Diarienummer []string `json:"diarienummer,omitempty"`
	// GovRefs are Government Offices reference numbers: "N2021/01266".
	GovRefs []string `json:"gov_refs,omitempty"`
	// Dates are dates written in the text, as ISO 8601 (YYYY-MM-DD).
	Dates []string `json:"dates,omitempty"`
	// LegalRefs are references to legal sources in canonical form, e.g.
	// "GDPR art. 6.1 e", "SFS 2018:218", "SFS 2018:218 2 kap. 3 §",
	// "SOU 2016:41", "dir. 2021:110", "prop. 2017/18:105", "skr. 2021/22:1".
	LegalRefs []string `json:"legal_refs,omitempty"`
}

// Empty reports whether m holds nothing.
func (m Metadata) Empty() bool {
	return len(m.Diarienummer) == 0 && len(m.GovRefs) == 0 && len(m.Dates) == 0 && len(m.LegalRefs) == 0
}

// Document is one ingested source after normalization.
type Document struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Kind  Kind   `json:"kind"`
	// Date is the document's own date as stated in the text or manifest:
	// "YYYY-MM-DD", "YYYY-MM" or "YYYY"; empty when unknown.
	Date string `json:"date,omitempty"`
	// Source says where the document came from: a file path, or
	// "corpus:ID" for the bundled corpus.
	Source string `json:"source"`
	// SourceHash is the SHA-256 (hex) of the source bytes; ingest uses it to
	// skip unchanged sources.
	SourceHash string `json:"source_hash"`
	// Format is the reader that extracted the text: "text", "markdown",
	// "html" or "pdf".
	Format string `json:"format"`
	// Pages is the number of pages of a paginated source, 0 otherwise.
	Pages int `json:"pages,omitempty"`
	// Text is the normalized document text. Chunk offsets point into it.
	Text string   `json:"text,omitempty"`
	Meta Metadata `json:"meta"`
	// Identifiers are the document's own identifiers from the manifest
	// (diarienummer, Government reference, report number).
	Identifiers []string `json:"identifiers,omitempty"`
	// Warnings are problems met while reading the source that did not stop
	// it from being indexed, e.g. a damaged page.
	Warnings []string `json:"warnings,omitempty"`
}

// Chunk is a token-bounded passage of a document: the unit that is indexed,
// retrieved and cited.
type Chunk struct {
	// ID is derived from the document ID and the chunk's content, so that
	// re-ingesting unchanged text keeps every ID and citations survive.
	ID      string `json:"id"`
	DocID   string `json:"doc_id"`
	Ordinal int    `json:"ordinal"`
	// HeadingPath lists the headings in effect, outermost first.
	HeadingPath []string `json:"heading_path,omitempty"`
	// PageStart and PageEnd are the 1-based page range; 0 when the source
	// has no pages.
	PageStart int `json:"page_start,omitempty"`
	PageEnd   int `json:"page_end,omitempty"`
	// Start and End are byte offsets into Document.Text: Text ==
	// Document.Text[Start:End].
	Start  int `json:"start"`
	End    int `json:"end"`
	Tokens int `json:"tokens"`
	// Hash is the SHA-256 (hex) of Text.
	Hash string   `json:"hash"`
	Text string   `json:"text"`
	Meta Metadata `json:"meta"`
}

// Source is a passage an answer cites: the chunk, where it sits, and its
// text so that a reader can check the claim in one click.
type Source struct {
	// N is the citation number used in the answer text ("[1]").
	N           int      `json:"n"`
	ChunkID     string   `json:"chunk_id"`
	DocID       string   `json:"doc_id"`
	Title       string   `json:"title"`
	Kind        Kind     `json:"kind"`
	Date        string   `json:"date,omitempty"`
	HeadingPath []string `json:"heading_path,omitempty"`
	PageStart   int      `json:"page_start,omitempty"`
	PageEnd     int      `json:"page_end,omitempty"`
	// Start and End locate the passage in the document's normalized text.
	Start int    `json:"start"`
	End   int    `json:"end"`
	Quote string `json:"quote"`
}

// Sentence is one sentence of an answer with the sources it cites.
type Sentence struct {
	Text      string `json:"text"`
	Citations []int  `json:"citations"`
	// Supported is true only when the cited sources were checked to support
	// the sentence. An extractive sentence is a verbatim quote of its
	// source and so always supported.
	Supported bool `json:"supported"`
	// Support is the lexical support score in [0, 1].
	Support float64 `json:"support"`
	// Judged is "supported" or "unsupported" when a language-model judge
	// checked the sentence against its sources, empty when none did.
	Judged string `json:"judged,omitempty"`
	// Flags name what is wrong with the sentence, in Swedish, for example
	// "saknar källhänvisning" (no citation) or "källa [9] finns inte"
	// (a citation to a source that does not exist). Empty when nothing is.
	Flags []string `json:"flags,omitempty"`
}

// Answer is the reply to a question.
type Answer struct {
	Question string `json:"question"`
	// Text is the answer with [n] citation markers.
	Text      string     `json:"answer"`
	Sentences []Sentence `json:"sentences"`
	Sources   []Source   `json:"sources"`
	// Abstained is true when the sources do not support an answer; Text
	// then says so.
	Abstained bool `json:"abstained"`
	// Reason explains an abstention.
	Reason string `json:"reason,omitempty"`
	// Mode is "extractive" (sentences quoted from the sources) or
	// "generative" (written by the language model).
	Mode string `json:"mode"`
	// Evidence is the strength of the best evidence found, in [0, 1]: the
	// share of the question's informative terms that the best passage
	// covers. Abstention compares it with a calibrated threshold.
	Evidence float64 `json:"evidence"`
	// Problems are answer-level problems, in Swedish: a stream that was cut
	// off, an answer without any citation, a context that had to be cut to
	// fit the model. The answer is returned with them, never cleaned up.
	Problems []string `json:"problems,omitempty"`
	// Standalone is the question as searched when a follow-up question was
	// rewritten from the conversation; empty when it was not rewritten.
	Standalone string `json:"standalone,omitempty"`
	// Model and PromptVersion say what wrote a generative answer.
	Model         string `json:"model,omitempty"`
	PromptVersion string `json:"prompt_version,omitempty"`
}
