package server_test

// Browser tests of the chat page: the real server over the bundled corpus,
// driven through headless Chromium with chromedp.
//
// They need a Chromium (or Chrome) binary: $IMYRAG_CHROMIUM, else chromium,
// chromium-browser, google-chrome or headless-shell on $PATH. Without one they
// are skipped, or fail when the environment variable CI is set (.ci/run
// installs Debian's chromium). Screenshots go to $IMYRAG_ARTIFACTS (default: a
// temporary directory); the path is logged.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/imy/imyrag"
	"github.com/imy/imyrag/cmd/internal/server"
	"github.com/imy/imyrag/ingest/chunk"
	"github.com/imy/imyrag/ingest/ingesttest"
	"github.com/imy/imyrag/retrieval"
	"github.com/imy/imyrag/retrieval/analyze"
	"github.com/imy/imyrag/retrieval/answer"
	"github.com/imy/imyrag/retrieval/ollama"
	"github.com/imy/imyrag/retrieval/ollama/ollamatest"
)

const (
	e2eQuestion = "Vilka förutsättningar gäller för att delta i sandlådan?"
	e2eToken    = "e2e-secret-token"
	// browserTimeout bounds everything one test does in the browser.
	browserTimeout = 60 * time.Second
)

// TestChatPage asks a question on the extractive path (no language model),
// checks the answer and its sources, opens a citation in the side panel,
// checks the highlighted passage and the focus, and closes the panel with
// Esc.
func TestChatPage(t *testing.T) {
	chrome := chromiumPath(t)
	deps := bundledDeps(t)
	base := startServer(t, server.Config{Token: e2eToken}, deps)
	want := askJSON(t, base, e2eQuestion)
	if want.Abstained || len(want.Sources) == 0 {
		t.Fatalf("the API abstained or cited nothing for %q; the page test needs sources", e2eQuestion)
	}
	shots := artifactDir(t)
	ctx, problems := newBrowser(t, chrome, 1280, 900)

	// The token in the URL is kept in sessionStorage and sent as a bearer
	// token; the page drops it from the address bar.
	do(t, ctx, "load the page",
		chromedp.Navigate(base+"/?token="+e2eToken),
		chromedp.WaitVisible(chromedp.CSS("#banner")),
		chromedp.WaitVisible(chromedp.CSS("#question")))
	if got := get(t, ctx, "read the banner", chromedp.Text(chromedp.CSS("#banner-text"))); !strings.Contains(got, "Ingen språkmodell nåbar") {
		t.Errorf("banner = %q, want the no-language-model notice", got)
	}
	if got := get(t, ctx, "read the URL", chromedp.Evaluate[string](`location.search`)); got != "" {
		t.Errorf("location.search = %q after load, want the token removed", got)
	}

	// Shift+Enter is a new line; Enter sends.
	do(t, ctx, "type with Shift+Enter",
		chromedp.SendKeys(chromedp.CSS("#question"), "rad ett"),
		pressEnter(chromedp.ModifierShift),
		chromedp.SendKeys(chromedp.CSS("#question"), "rad två"))
	if got := get(t, ctx, "read the draft", chromedp.Value(chromedp.CSS("#question"))); got != "rad ett\nrad två" {
		t.Errorf("textarea after Shift+Enter = %q, want two lines", got)
	}
	do(t, ctx, "ask with Enter",
		chromedp.Evaluate[chromedp.Void](`document.getElementById('question').value = ''; undefined`),
		chromedp.SendKeys(chromedp.CSS("#question"), e2eQuestion),
		pressEnter(),
		chromedp.WaitVisible(chromedp.CSS(".turn .answer .source-list")))
	titles := get(t, ctx, "read the sources",
		chromedp.Evaluate[[]string](`[...document.querySelectorAll('.turn .source-list .source-title')].map(b => b.textContent)`))
	if len(titles) != len(want.Sources) {
		t.Errorf("the page lists %d sources, the API %d", len(titles), len(want.Sources))
	}
	for i, s := range want.Sources {
		if i < len(titles) && titles[i] != s.Title {
			t.Errorf("source %d title = %q, want %q", i+1, titles[i], s.Title)
		}
	}
	answerText := get(t, ctx, "read the answer", chromedp.Text(chromedp.CSS(".turn .answer-text")))
	if first := firstRunes(want.Sentences[0].Text, 30); !strings.Contains(answerText, first) {
		t.Errorf("answer text %q does not contain the first sentence's start %q", answerText, first)
	}
	if got := get(t, ctx, "read the mode", chromedp.Text(chromedp.CSS(".turn .answer-meta .badge"))); got != "Citat ur källorna" {
		t.Errorf("mode badge = %q, want Citat ur källorna", got)
	}
	if got := get(t, ctx, "read the question box", chromedp.Value(chromedp.CSS("#question"))); got != "" {
		t.Errorf("the question box holds %q after sending, want it empty", got)
	}
	screenshot(t, ctx, shots, "1-answer.png")

	// Open the first citation in the answer text.
	cite := chromedp.CSS(".turn .answer-text button.cite")
	citeN := get(t, ctx, "find a citation", chromedp.AttributeValue(cite, "data-n")).Value
	do(t, ctx, "open the citation",
		chromedp.Click(cite, chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#panel mark.highlight")))
	src := sourceN(t, want, citeN)
	highlight := get(t, ctx, "read the highlight", chromedp.TextContent(chromedp.CSS("#panel mark.highlight")))
	if head := firstRunes(src.Quote, 40); !strings.HasPrefix(highlight, head) {
		t.Errorf("highlighted text starts %q, want the source quote's start %q", firstRunes(highlight, 60), head)
	}
	if got := get(t, ctx, "read the panel title", chromedp.Text(chromedp.CSS("#panel-title"))); !strings.Contains(got, src.Title) {
		t.Errorf("panel title = %q, want it to name %q", got, src.Title)
	}
	meta := get(t, ctx, "read the panel metadata", chromedp.Text(chromedp.CSS("#panel .panel-meta")))
	for _, w := range []string{kindLabels[src.Kind], src.ChunkID, src.DocID} {
		if !strings.Contains(meta, w) {
			t.Errorf("panel metadata %q does not show %q", meta, w)
		}
	}
	if got := get(t, ctx, "read the focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != "panel-title" {
		t.Errorf("focus after opening the panel is on #%s, want #panel-title", got)
	}
	inView := get(t, ctx, "check the scroll", chromedp.Evaluate[bool](`(() => {
		const m = document.querySelector('#panel mark.highlight').getBoundingClientRect();
		const v = document.querySelector('#panel .doc-text').getBoundingClientRect();
		return m.top >= v.top - 1 && m.top < v.bottom;
	})()`))
	if !inView {
		t.Error("the highlighted passage is not scrolled into the panel's view")
	}
	screenshot(t, ctx, shots, "2-panel.png")

	do(t, ctx, "close the panel with Esc",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS("#panel")))
	if got := get(t, ctx, "read the focus", chromedp.Evaluate[string](`document.activeElement.dataset.n || ''`)); got != citeN {
		t.Errorf("focus after Esc is on citation %q, want the opener [%s]", got, citeN)
	}

	do(t, ctx, "copy the answer", chromedp.Click(chromedp.CSS(".turn .copy"), chromedp.NodeVisible))
	copied := get(t, ctx, "read the copy feedback", chromedp.Poll[string](
		`document.querySelector('.turn .copy-status').textContent`, chromedp.WithPollingTimeout(5*time.Second)))
	if copied == "" {
		t.Error("no feedback after Kopiera svar med källor")
	}
	screenshot(t, ctx, shots, "3-closed.png")

	// A narrow screen: the panel covers the conversation.
	do(t, ctx, "narrow screen",
		chromedp.EmulateViewport(390, 844),
		chromedp.Click(chromedp.CSS(".turn .source-list .source-title"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#panel mark.highlight")))
	if got := get(t, ctx, "read the panel's position", chromedp.Evaluate[string](`getComputedStyle(document.getElementById('panel')).position`)); got != "fixed" {
		t.Errorf("panel position on a narrow screen = %q, want fixed (an overlay)", got)
	}
	screenshot(t, ctx, shots, "4-narrow-panel.png")

	do(t, ctx, "new conversation",
		chromedp.KeyEvent(kb.Escape),
		chromedp.WaitNotVisible(chromedp.CSS("#panel")),
		chromedp.Click(chromedp.CSS("#new-conversation"), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS("#empty")))
	if n := get(t, ctx, "count the turns", chromedp.Evaluate[int](`document.querySelectorAll('.turn').length`)); n != 0 {
		t.Errorf("%d turns left after Ny konversation", n)
	}

	// A filter that leaves no document: the answer abstains.
	do(t, ctx, "ask with a filter",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("#filters summary"), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS("#kind-beslut"), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.CSS("#question"), e2eQuestion),
		pressEnter(),
		chromedp.WaitVisible(chromedp.CSS(".turn .abstention")))
	if got := get(t, ctx, "read the filter summary", chromedp.Text(chromedp.CSS("#filter-summary"))); got != "(Beslut)" {
		t.Errorf("filter summary = %q, want (Beslut)", got)
	}
	if got := get(t, ctx, "read the abstention", chromedp.Text(chromedp.CSS(".turn .abstention"))); !strings.Contains(got, "Inget stöd i källorna") {
		t.Errorf("abstention = %q", got)
	}
	screenshot(t, ctx, shots, "5-abstention.png")
	for _, p := range problems() {
		t.Errorf("browser: %s", p)
	}
}

// TestChatPageStreaming asks the test Ollama server (random weights: the
// text is noise) and checks that the answer's text streams into the page
// before the final, checked answer replaces it.
func TestChatPageStreaming(t *testing.T) {
	chrome := chromiumPath(t)
	srv := ollamatest.Start(t)
	srv.Models(t)
	// An 8k context, two passages and 32 answer tokens keep the byte-level
	// test model to seconds (see cmd/internal/cli/llm_test.go).
	const chatModel = "imyrag-web-chat-8k"
	srv.CreateModel(t, chatModel, ollamatest.ModelOptions{ContextLength: 8192})
	client, err := ollama.New(t.Context(), ollama.Config{
		Host: srv.Host(), ChatModel: chatModel, EmbedModel: ollamatest.EmbedModel, NumCtx: 8192,
	})
	if err != nil {
		t.Fatal(err)
	}
	deps := bundledDeps(t)
	deps.Chatter, deps.LLM = client, client
	deps.Answer = answer.Options{Passages: 2, AnswerTokens: 32}
	base := startServer(t, server.Config{}, deps)
	shots := artifactDir(t)
	ctx, problems := newBrowser(t, chrome, 1280, 900)

	do(t, ctx, "load the page",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#question")),
		// The footer is filled in by the status check.
		chromedp.Poll[chromedp.Void](`document.getElementById('index-info').textContent !== ''`,
			chromedp.WithPollingTimeout(10*time.Second)))
	if hidden := get(t, ctx, "read the banner", chromedp.Evaluate[bool](`document.getElementById('banner').hidden`)); !hidden {
		t.Error("the no-language-model banner shows although the model answers")
	}
	// Record whether streamed text ever shows before the final answer.
	do(t, ctx, "ask",
		chromedp.Evaluate[chromedp.Void](`window.sawStream = false;
			new MutationObserver(() => {
				const b = document.querySelector('.answer-body.streaming');
				if (b && b.textContent.trim() !== '') window.sawStream = true;
			}).observe(document.getElementById('conversation'), {subtree: true, childList: true, characterData: true});
			undefined`),
		chromedp.SendKeys(chromedp.CSS("#question"), e2eQuestion),
		pressEnter(),
		chromedp.WaitVisible(chromedp.CSS(".turn .answer .answer-actions")))
	if !get(t, ctx, "read the stream flag", chromedp.Evaluate[bool](`window.sawStream`)) {
		t.Error("no streamed text showed before the final answer")
	}
	if got := get(t, ctx, "read the mode", chromedp.Text(chromedp.CSS(".turn .answer-meta .badge"))); got != "Skrivet av språkmodell" {
		t.Errorf("mode badge = %q, want Skrivet av språkmodell", got)
	}
	screenshot(t, ctx, shots, "6-generative.png")
	for _, p := range problems() {
		t.Errorf("browser: %s", p)
	}
}

var kindLabels = map[imyrag.Kind]string{
	imyrag.KindBeslut: "Beslut", imyrag.KindVagledning: "Vägledning", imyrag.KindSandlada: "Sandlåderapport",
	imyrag.KindRapport: "Rapport", imyrag.KindSkrivelse: "Skrivelse", imyrag.KindPresentation: "Presentation",
	imyrag.KindStrategi: "Strategi", imyrag.KindWebbsida: "Webbsida", imyrag.KindOvrigt: "Övrigt",
}

// chromiumPath finds the browser, or skips t (fails it under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("IMYRAG_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	const msg = "no Chromium found (set IMYRAG_CHROMIUM or install it: apt-get install chromium)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + "; skipping the browser test")
	return ""
}

// bundledDeps is the server's extractive setup over a fresh index of the
// bundled corpus.
func bundledDeps(t *testing.T) server.Deps {
	t.Helper()
	st, err := ingesttest.Bundled(t.Context(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatalf("ingest the bundled corpus: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	tok, err := chunk.DefaultTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	a := analyze.Default()
	return server.Deps{
		Store:    st,
		Engine:   retrieval.NewEngine(st, a, retrieval.Options{}),
		Counter:  tok,
		Analyzer: a,
	}
}

// startServer serves on a loopback port until t ends and returns the base
// URL.
func startServer(t *testing.T, cfg server.Config, deps server.Deps) string {
	t.Helper()
	cfg.ShutdownTimeout = 2 * time.Second
	s, err := server.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// askJSON asks the API directly, for the answer the page should show (the
// extractive answer is deterministic).
func askJSON(t *testing.T, base, question string) imyrag.Answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"question": question})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+"/api/ask", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /api/ask: %s", res.Status)
	}
	var a imyrag.Answer
	if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
		t.Fatalf("decode the answer: %v", err)
	}
	return a
}

func sourceN(t *testing.T, a imyrag.Answer, n string) imyrag.Source {
	t.Helper()
	for _, s := range a.Sources {
		if fmt.Sprint(s.N) == n {
			return s
		}
	}
	t.Fatalf("the page cites [%s], which the API's answer does not have", n)
	return imyrag.Source{}
}

// newBrowser starts headless Chromium for t and returns a tab's context
// (bounded by browserTimeout) and a function that lists the JavaScript
// exceptions, console errors and CSP violations seen so far.
func newBrowser(t *testing.T, path string, width, height int) (context.Context, func() []string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI containers
		chromedp.WindowSize(width, height),
		chromedp.Flag("lang", "sv-SE"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc)
	// The timeout bounds the browser's whole life, start-up included.
	tctx, cancelTimeout := context.WithTimeout(actx, browserTimeout)
	t.Cleanup(cancelTimeout)
	ctx, cancelTab := chromedp.NewContext(tctx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)

	var (
		mu   sync.Mutex
		seen []string
	)
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				msg += " " + x.Description
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value))
				}
				msg = "console.error: " + strings.Join(args, " ")
			}
		case *cdplog.EventEntryAdded:
			if e.Entry.Level == cdplog.EntryLevelError {
				msg = "log: " + e.Entry.Text + " " + e.Entry.URL
			}
		}
		if msg != "" {
			mu.Lock()
			seen = append(seen, msg)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// pressEnter presses Enter as a keyboard does: one keyDown that carries the
// text, so that preventDefault in a keydown handler stops the new line.
// (chromedp.KeyEvent sends the text as a separate char event, which a page
// cannot cancel from keydown.)
func pressEnter(mods ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var m int64
		for _, x := range mods {
			m |= int64(x)
		}
		down := input.DispatchKeyEventParams{
			Type: kb.KeyDown, Key: "Enter", Code: "Enter", Modifiers: m,
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13, Text: "\r", UnmodifiedText: "\r",
		}
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return err
		}
		up := input.DispatchKeyEventParams{
			Type: kb.KeyUp, Key: "Enter", Code: "Enter", Modifiers: m,
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		}
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up)
		return err
	})
}

// do runs steps in the browser and fails t if they fail, with the page's
// HTML.
func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		failStep(t, ctx, step, err)
	}
}

// get runs one action that returns a value, failing t if it fails.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		failStep(t, ctx, step, err)
	}
	return v
}

func failStep(t *testing.T, ctx context.Context, step string, err error) {
	t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (the browser test's budget is %v)", err, browserTimeout)
	}
	html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
	t.Fatalf("%s: %v\npage: %s", step, err, firstRunes(html, 3000))
}

// artifactDir is where screenshots go: $IMYRAG_ARTIFACTS/<test>, or a
// temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("IMYRAG_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, t.Name())
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots: %s", dir)
	return dir
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

func firstRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
