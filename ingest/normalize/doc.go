// Package normalize turns the raw pages a reader extracted from a source into
// clean, structured text: a sequence of headings, paragraphs, list items and
// footnotes, each with its heading path and page range, whose texts joined by
// blank lines are Document.Text.
//
// Normalize is pure and deterministic. It works in these steps.
//
// Cleaning. Text is made valid UTF-8 and NFC; line breaks become "\n";
// NBSP and other spaces become " "; zero-width characters, byte-order marks,
// control characters and soft hyphens are dropped (a soft hyphen at a line
// end joins the word). Word bookmarks "[bookmark: _Toc…]" are removed (a
// _Toc bookmark marks its line as a heading) and "[footnoteRef:2]" becomes
// "[2]".
//
// Pages. PDF pages (Number ≥ 1) are taken as given. An unpaginated text
// (Number 0) that was extracted from a PDF still shows its page breaks, a
// first line led by a single space, and form feeds; these split it into
// segments that play the role of pages (the blocks' pages stay 0). In the top
// and bottom two lines of each page, lines that are only a page number ("12",
// "Sida 3 av 10", "3 (12)", "- 4 -", "3/12") are dropped, and so are lines
// that recur there on at least three pages and 40% of them (digits ignored):
// running headers and footers, kept once in Document.Furniture with web
// boilerplate such as "Hoppa till innehåll".
//
// Footnotes. At the foot of a page, after a blank line or a rule, lines
// "N text" numbered on from the previous footnote (or from 1) are footnotes,
// with their continuation lines and the bare link lines PDF extraction puts
// after them. They become Footnote blocks "[N] text", placed after the block
// that is open at the page break (a paragraph that continues on the next page
// is not cut by its footnotes), and the reference in the body is marked "[N]"
// where it is unmistakable: "regeringen.1 Enligt" becomes "regeringen.[1]
// Enligt", "innovationscenter7." becomes "innovationscenter[7].". Numbers in
// identifiers ("2018:218", "N2021/01266", "WS1") are never taken for
// references, and a number is marked only when a footnote with that number
// stands on the same page. Word footnotes "[2:  text]" become Footnote blocks
// "[2] text".
//
// Joining lines. A line continues the open block unless it opens a new one
// (a bullet, a numbered line, a Markdown heading, a bookmarked line, a Word
// footnote). It continues when the line before ends with a hyphen, a comma,
// a dash or a function word ("och", "av", "för" …), when it starts in lower
// case (across blank lines and page breaks too, unless the line before ended
// a sentence), or inside open parentheses. A line that starts with a capital
// after a blank line or page break starts a new block; directly after the
// line before, it continues only when that line was nearly full (its length
// plus the next word exceeds 80% of the text's line width, 85% after a full
// stop), so that short last lines end paragraphs and short lines without
// final punctuation stand alone as titles. Text that puts a blank line after
// nearly every line, including before lower-case continuations, is read as
// double-spaced: one blank line there is no break. Text whose lines are far
// longer than a page line (over 160 runes) is read as one paragraph per line.
//
// Hyphenation. "integritets-" + "skydd" gives "integritetsskydd"; "hälso-" +
// "och" (or "eller", "samt", "respektive", "till", ",") gives "hälso- och";
// the hyphen is kept, without a space, after an upper-case letter or digit
// ("EU-kommissionen", "IMY-bloggen", "AI-strategi"), before one
// ("Covid-19"), inside URLs, and for words the document also writes with a
// hyphen elsewhere ("case-baserad").
//
// Lists. "•", "●", "·", "", "-", "–", "—", "*" items become ListItem blocks
// marked "• ", and the nested markers "▪", "◦", "○", "■", "" become "◦ ".
// "-", "–", "—" and "*" open an item only after a blank line, a finished
// sentence, a colon or another item. Numbered lines ("1. ", "2.1 ", "a) ",
// "3) ") that are not headings are list items and keep their number.
//
// Headings. A heading is one of:
//   - a Markdown "#" line; when a text has any, it is taken to be Markdown
//     or HTML and no other rule applies: numbered lines are list items;
//   - a line with a Word _Toc bookmark;
//   - a numbered line "1. Bakgrund", "2.1 Syfte", "2.1.3. Rundabordssamtal"
//     (or "1 Inledning", stricter) whose text is a title: capitalised, at
//     most 150 runes, one phrase with no final period, comma, colon or
//     semicolon; and not a list item: not followed or preceded by its next
//     or previous sibling number with nothing between ("1. De flesta…",
//     "2. Med Internet of things…" are a list) and not the last block;
//   - a title line: a block of at most 100 runes and 14 words, capitalised,
//     in Swedish sentence case (not "Lena Lindgren Schelin" or a menu line
//     "Innovationshubben Sandlådan Projekt"), without final punctuation (a
//     final "?" only on a page's first line: slide titles), not "Label:
//     value", not a link, not ending in a function word, followed on the same
//     page by a list item or running text (a paragraph that ends a sentence
//     or has 80 runes; for the document's first block any paragraph), or by
//     another heading when it is the page's or document's first block.
//
// Heading levels. Markdown headings have their "#" level. Numbered headings
// nest by the depth of their number: "2.1.3." is three below the level the
// numbering starts at. That is level 0 (so "1. Bakgrund" is level 1) unless
// the numbering starts inside an unnumbered section other than front matter
// ("Sammanfattning", "Innehåll", "Förord" …), under whose level it then
// nests: the principles "1. Effektivitet" … under "Styrande principer". An
// unnumbered title inside a numbered outline is one level below the open
// numbered heading; after a numbering nested in a section it is that
// section's sibling. Otherwise unnumbered titles are level 1, except that a
// title directly followed by another heading on the same page opens a group
// (it is level 1 and the unnumbered titles after it level 2: the document
// title over its sections, "Integritetsskyddsmyndighetens rapport" over
// "Allmänt om innehållet"), an annex ("Bilaga …", "Bilagor", "Referenser" …)
// is level 1 and opens a group, and in a document with bookmarked headings
// a title without a bookmark is one level below the last bookmarked one.
// Every block's heading path lists the open headings, outermost first; a
// heading's path ends with the heading itself.
package normalize
