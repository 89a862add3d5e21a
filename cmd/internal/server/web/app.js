// imyrag chat page: a conversation with streamed, cited answers.
//
// Plain modern JavaScript, no build step and no dependencies; the server's
// CSP allows only same-origin scripts and styles, so nothing here writes
// inline styles or event-handler attributes.
//
// The API (see README "HTTP API"):
//   POST /api/ask            question + history + filters; SSE with Accept: text/event-stream
//   GET  /api/documents/{id} document metadata, normalized text, chunks (UTF-8 byte offsets)
//   GET  /api/status         language model and index state

const KIND_LABELS = {
  beslut: 'Beslut',
  vagledning: 'Vägledning',
  sandlada: 'Sandlåderapport',
  rapport: 'Rapport',
  skrivelse: 'Skrivelse',
  presentation: 'Presentation',
  strategi: 'Strategi',
  webbsida: 'Webbsida',
  ovrigt: 'Övrigt',
};

const STAGE_LABELS = {
  search: 'Söker i källorna…',
  generate: 'Skriver svaret…',
  check: 'Kontrollerar källhänvisningarna…',
};

// MAX_HISTORY is how many earlier messages (user and assistant together)
// go with a question: the last three exchanges.
const MAX_HISTORY = 6;
const TOKEN_KEY = 'imyrag.token';
const DATE_RE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const NO_LLM_TEXT = 'Ingen språkmodell nåbar – svaren är citat ur källorna.';
const SERVER_DOWN_TEXT = 'Servern svarar inte. Frågor kan inte besvaras just nu – sidan försöker igen av sig själv.';
// STALL_MS: a stream that has started gets a heartbeat every 15 s, so this
// long a silence means the server or the connection is gone.
const STALL_MS = 45000;
// SLOW_MS: how long before an answer that has not started says so (the
// server may be queueing the question behind others).
const SLOW_MS = 15000;
const STATUS_RETRY_MS = 10000;


const $ = (id) => document.getElementById(id);

const els = {
  layout: $('layout'),
  conversation: $('conversation'),
  empty: $('empty'),
  form: $('ask-form'),
  question: $('question'),
  send: $('send'),
  cancel: $('cancel'),
  formError: $('form-error'),
  filters: $('filters'),
  filterSummary: $('filter-summary'),
  kindOptions: $('kind-options'),
  dateFrom: $('date-from'),
  dateTo: $('date-to'),
  clearFilters: $('clear-filters'),
  newConversation: $('new-conversation'),
  banner: $('banner'),
  bannerText: $('banner-text'),
  indexInfo: $('index-info'),
  panel: $('panel'),
  panelTitle: $('panel-title'),
  panelClose: $('panel-close'),
  panelContent: $('panel-content'),
  announcer: $('announcer'),
};

const state = {
  history: [],          // [{role, content}] of finished exchanges
  turns: 0,             // number of questions asked in this conversation
  controller: null,     // AbortController of the question in flight
  panelOpener: null,    // the element focus returns to when the panel closes
  panelKey: '',         // "turn:n" of the source shown in the panel
  documents: new Map(), // doc_id -> Promise of {document, text, bytes}
};

// ---------- small DOM helpers ----------

// h builds an element: h('p', {class: 'x'}, 'text', child, ...). Attributes
// whose value is null, undefined or false are left out; strings are text.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function announce(text) {
  // Clear first so that the same message is announced again.
  els.announcer.textContent = '';
  window.setTimeout(() => { els.announcer.textContent = text; }, 50);
}

function kindLabel(kind) {
  return KIND_LABELS[kind] || kind || 'Okänd typ';
}

function pagesLabel(start, end) {
  if (!start) return '';
  return end && end !== start ? `s. ${start}–${end}` : `s. ${start}`;
}

function headingLabel(path) {
  return (path || []).filter(Boolean).join(' › ');
}

function plural(n, one, many) {
  return `${n.toLocaleString('sv-SE')} ${n === 1 ? one : many}`;
}

// ---------- authentication and API ----------

function initToken() {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  try { window.sessionStorage.setItem(TOKEN_KEY, token); } catch { /* storage disabled */ }
  // Keep the token out of the address bar, history and screenshots.
  url.searchParams.delete('token');
  window.history.replaceState(null, '', url.pathname + url.search + url.hash);
}

function token() {
  try { return window.sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

function apiHeaders(extra) {
  const headers = new Headers(extra);
  const t = token();
  if (t) headers.set('Authorization', `Bearer ${t}`);
  return headers;
}

class APIError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message || `HTTP ${status}`);
    this.name = 'APIError';
    this.status = status;
    this.code = code || '';
    this.serverMessage = message || '';
    this.retryAfter = retryAfter || '';
  }
}

async function errorFrom(res) {
  let code = '';
  let message = '';
  try {
    const body = await res.json();
    code = body?.error?.code || '';
    message = body?.error?.message || '';
  } catch { /* not JSON */ }
  return new APIError(res.status, code, message, res.headers.get('Retry-After'));
}

async function getJSON(path) {
  const res = await fetch(path, { headers: apiHeaders({ Accept: 'application/json' }) });
  if (!res.ok) throw await errorFrom(res);
  return res.json();
}

function errorText(err) {
  if (err?.name === 'AbortError') return 'Frågan avbröts.';
  if (err instanceof APIError) {
    const secs = parseInt(err.retryAfter, 10);
    const later = secs > 0 ? `om ${plural(secs, 'sekund', 'sekunder')}` : 'om en stund';
    if (err.status === 401 || err.status === 403 || err.code === 'unauthorized') {
      return 'Behörighet saknas. Öppna sidan med den länk (med ?token=…) som du har fått av förvaltaren.';
    }
    if (err.status === 429 || err.code === 'rate_limited') {
      return `Tjänsten är upptagen med andra frågor. Försök igen ${later}.`;
    }
    if (err.code === 'llm_overloaded') return `Språkmodellen är överbelastad. Försök igen ${later}.`;
    if (err.code === 'timeout' || err.status === 504) return 'Svaret tog för lång tid och avbröts. Försök igen, gärna med en smalare fråga.';
    if (err.code === 'internal' || err.status >= 500) return `Ett fel uppstod på servern (${err.status || err.code}). Försök igen.`;
    // The server's own message says what was wrong with the request.
    if (err.serverMessage) return `Frågan kunde inte besvaras: ${err.serverMessage}`;
    return `Frågan kunde inte besvaras (${err.status}).`;
  }
  if (err instanceof TypeError) return 'Kunde inte nå servern. Kontrollera anslutningen och försök igen.';
  return err?.message || String(err);
}

// ---------- server-sent events over fetch ----------

// sseEvents yields {event, data} for each event of a text/event-stream body,
// calling onChunk for everything read (heartbeat comments included).
// EventSource cannot POST, so the stream is read and parsed here.
async function* sseEvents(body, onChunk) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk?.();
      buf += value;
      let m;
      while ((m = /\r?\n\r?\n/.exec(buf)) !== null) {
        const block = buf.slice(0, m.index);
        buf = buf.slice(m.index + m[0].length);
        const ev = parseEventBlock(block);
        if (ev) yield ev;
      }
    }
    const ev = parseEventBlock(buf);
    if (ev) yield ev;
  } finally {
    reader.releaseLock();
  }
}

function parseEventBlock(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length ? { event, data: data.join('\n') } : null;
}

// ---------- filters ----------

function buildKindOptions() {
  for (const [kind, label] of Object.entries(KIND_LABELS)) {
    const id = `kind-${kind}`;
    els.kindOptions.append(h('label', { for: id },
      h('input', { type: 'checkbox', id, name: 'kind', value: kind, onchange: updateFilterSummary }),
      label));
  }
}

function selectedKinds() {
  return [...els.kindOptions.querySelectorAll('input[name="kind"]:checked')].map((i) => i.value);
}

// readFilters returns the filters for a request, or null (after marking the
// field) when a date is malformed or the range is reversed.
function readFilters() {
  const filters = {};
  const kinds = selectedKinds();
  if (kinds.length) filters.kind = kinds;
  let ok = true;
  for (const [input, key] of [[els.dateFrom, 'from'], [els.dateTo, 'to']]) {
    const v = input.value.trim();
    input.removeAttribute('aria-invalid');
    if (!v) continue;
    if (!DATE_RE.test(v)) {
      input.setAttribute('aria-invalid', 'true');
      ok = false;
      continue;
    }
    filters[key] = v;
  }
  if (!ok) {
    els.filters.open = true;
    showFormError('Skriv datum som ÅÅÅÅ, ÅÅÅÅ-MM eller ÅÅÅÅ-MM-DD.');
    (els.dateFrom.getAttribute('aria-invalid') ? els.dateFrom : els.dateTo).focus();
    return null;
  }
  const n = Math.min(filters.from?.length ?? 0, filters.to?.length ?? 0);
  if (n && filters.from.slice(0, n) > filters.to.slice(0, n)) {
    els.filters.open = true;
    els.dateTo.setAttribute('aria-invalid', 'true');
    showFormError('Slutdatumet ligger före startdatumet.');
    els.dateTo.focus();
    return null;
  }
  return filters;
}

function updateFilterSummary() {
  const parts = [];
  const kinds = selectedKinds();
  if (kinds.length) parts.push(kinds.map(kindLabel).join(', '));
  const from = els.dateFrom.value.trim();
  const to = els.dateTo.value.trim();
  if (from || to) parts.push(`${from || '…'} – ${to || '…'}`);
  els.filterSummary.textContent = parts.length ? `(${parts.join('; ')})` : '';
}

function clearFilters() {
  for (const i of els.kindOptions.querySelectorAll('input')) i.checked = false;
  els.dateFrom.value = '';
  els.dateTo.value = '';
  els.dateFrom.removeAttribute('aria-invalid');
  els.dateTo.removeAttribute('aria-invalid');
  updateFilterSummary();
  showFormError('');
  announce('Filtren är rensade.');
}

function showFormError(text) {
  els.formError.textContent = text;
}

// ---------- status ----------

function showBanner(text, error) {
  els.bannerText.textContent = text;
  els.banner.classList.toggle('error', !!error);
  els.banner.hidden = !text;
}

let statusRetry = 0;

async function refreshStatus() {
  window.clearTimeout(statusRetry);
  try {
    const st = await getJSON('/api/status');
    const llm = st.llm || {};
    const idx = st.index || {};
    showBanner(llm.reachable === false ? NO_LLM_TEXT : '', false);
    const parts = [];
    if (typeof idx.documents === 'number') parts.push(plural(idx.documents, 'dokument', 'dokument'));
    if (typeof idx.chunks === 'number') parts.push(plural(idx.chunks, 'passage', 'passager'));
    let info = parts.length ? `Index: ${parts.join(', ')}` : '';
    if (llm.reachable && llm.chat_model) info += `${info ? ' · ' : ''}Språkmodell: ${llm.chat_model}`;
    else if (llm.reachable === false) info += `${info ? ' · ' : ''}Språkmodell: ej nåbar`;
    els.indexInfo.textContent = info;
  } catch (err) {
    if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
      showBanner(errorText(err), true);
    } else if (err instanceof TypeError || (err instanceof APIError && err.status >= 502)) {
      // The server (or the proxy in front of it) is away: say so until it is back.
      showBanner(SERVER_DOWN_TEXT, true);
      statusRetry = window.setTimeout(refreshStatus, STATUS_RETRY_MS);
    }
  }
}

// ---------- the conversation ----------

function setBusy(busy) {
  els.send.disabled = busy;
  els.send.textContent = busy ? 'Svarar…' : 'Skicka';
  els.cancel.hidden = !busy;
  els.conversation.setAttribute('aria-busy', busy ? 'true' : 'false');
}

function scrollToEnd() {
  els.conversation.scrollTop = els.conversation.scrollHeight;
}

async function submitQuestion() {
  if (state.controller) return;
  const question = els.question.value.trim();
  showFormError('');
  if (!question) {
    showFormError('Skriv en fråga först.');
    els.question.focus();
    return;
  }
  const filters = readFilters();
  if (!filters) return;

  const history = state.history.slice(-MAX_HISTORY);
  state.turns += 1;
  const turn = new Turn(state.turns, question);
  els.empty.hidden = true;
  els.conversation.append(turn.el);
  els.question.value = '';
  scrollToEnd();

  const controller = new AbortController();
  state.controller = controller;
  setBusy(true);
  // The watchdog: a slow start is reported, a stream gone silent is ended.
  let started = false;
  let stalled = false;
  let stallTimer = 0;
  const slowTimer = window.setTimeout(() => {
    if (!started) turn.setStageText('Servern har inte börjat svara än – den kan vara upptagen. Vänta, eller tryck Avbryt (Esc).');
  }, SLOW_MS);
  const alive = () => {
    window.clearTimeout(stallTimer);
    stallTimer = window.setTimeout(() => { stalled = true; controller.abort(); }, STALL_MS);
  };
  try {
    const res = await fetch('/api/ask', {
      method: 'POST',
      headers: apiHeaders({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
      body: JSON.stringify({ question, history, filters, judge: false }),
      signal: controller.signal,
    });
    started = true;
    window.clearTimeout(slowTimer);
    if (!res.ok) throw await errorFrom(res);
    let answer = null;
    if ((res.headers.get('Content-Type') || '').includes('text/event-stream')) {
      alive();
      for await (const ev of sseEvents(res.body, alive)) {
        let data;
        try { data = JSON.parse(ev.data); } catch { continue; }
        if (ev.event === 'status') turn.setStage(data.stage);
        else if (ev.event === 'token') turn.appendToken(data.text || '');
        else if (ev.event === 'answer') answer = data;
        else if (ev.event === 'error') {
          throw new APIError(0, data?.error?.code, data?.error?.message || 'Ett fel uppstod när svaret skrevs.');
        }
      }
    } else {
      answer = await res.json();
    }
    window.clearTimeout(stallTimer);
    if (!answer) throw new Error('Svaret avbröts innan det var klart. Försök igen.');
    turn.showAnswer(answer, history.length > 0);
    // Show the new answer from its question down, not the end of the list.
    els.conversation.scrollTop = Math.max(0, turn.el.offsetTop - 16);
    state.history.push({ role: 'user', content: question }, { role: 'assistant', content: answer.answer || '' });
    announce(answer.abstained ? 'Inget stöd hittades i källorna.' : 'Svaret är klart.');
  } catch (err) {
    if (state.controller === controller) {
      let text = errorText(err);
      if (stalled) text = 'Servern slutade svara innan svaret var klart. Försök igen.';
      else if (started && err instanceof TypeError) text = 'Anslutningen till servern bröts innan svaret var klart. Försök igen.';
      // Give the question back, so that it need not be typed again.
      if (!els.question.value.trim()) {
        els.question.value = question;
        text += ' Din fråga står kvar i rutan.';
      }
      turn.showError(text);
      announce(text);
    }
  } finally {
    window.clearTimeout(slowTimer);
    window.clearTimeout(stallTimer);
    if (state.controller === controller) {
      state.controller = null;
      setBusy(false);
      refreshStatus();
    }
  }
}

function cancelQuestion() {
  if (state.controller) {
    state.controller.abort();
    els.question.focus();
  }
}

function newConversation() {
  if (state.controller) {
    const c = state.controller;
    state.controller = null;
    c.abort();
    setBusy(false);
  }
  closePanel(false);
  state.history = [];
  state.turns = 0;
  for (const t of els.conversation.querySelectorAll('.turn')) t.remove();
  els.empty.hidden = false;
  showFormError('');
  els.question.value = '';
  els.question.focus();
  announce('Ny konversation. Tidigare frågor och svar är borttagna.');
}

// Turn is one question and its answer in the conversation.
class Turn {
  constructor(n, question) {
    this.n = n;
    this.question = question;
    this.raw = '';
    this.answer = null;
    this.stage = h('div', { class: 'stage' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', {}, 'Skickar frågan…'));
    // aria-busy keeps screen readers from reading every streamed token; the
    // finished answer is read once it is set to false.
    this.body = h('div', { class: 'answer-body', 'aria-live': 'polite', 'aria-busy': 'true' });
    this.answerEl = h('section', { class: 'answer', 'aria-labelledby': `answer-h-${n}` },
      h('h2', { id: `answer-h-${n}`, class: 'visually-hidden' }, `Svar ${n}`),
      this.stage, this.body);
    this.el = h('article', { class: 'turn', id: `turn-${n}`, 'aria-labelledby': `question-h-${n}` },
      h('div', { class: 'question-bubble' },
        h('h2', { id: `question-h-${n}`, class: 'visually-hidden' }, `Fråga ${n}`),
        h('p', {}, question)),
      this.answerEl);
  }

  setStage(stage) {
    this.setStageText(STAGE_LABELS[stage] || 'Arbetar…');
  }

  setStageText(text) {
    this.stage.lastChild.textContent = text;
  }

  appendToken(text) {
    if (!this.streamText) {
      this.body.classList.add('streaming');
      this.streamText = document.createTextNode('');
      this.body.append(this.streamText, h('span', { class: 'caret', 'aria-hidden': 'true' }));
    }
    this.raw += text;
    this.streamText.data = this.raw;
    const c = els.conversation;
    if (c.scrollHeight - c.scrollTop - c.clientHeight < 120) scrollToEnd();
  }

  showError(message) {
    this.stage.remove();
    this.body.classList.remove('streaming');
    this.body.replaceChildren();
    if (this.raw) {
      this.body.append(h('p', { class: 'answer-text' }, this.raw));
    }
    this.body.append(h('div', { class: 'error-box', role: 'alert' }, h('p', {}, message)));
    this.body.setAttribute('aria-busy', 'false');
  }

  showAnswer(a, followUp) {
    this.answer = a;
    this.stage.remove();
    const sources = new Map((a.sources || []).map((s) => [s.n, s]));
    this.sources = sources;

    const meta = h('div', { class: 'answer-meta' });
    if (a.mode === 'generative') {
      meta.append(h('span', { class: 'badge generative' }, 'Skrivet av språkmodell'));
      if (a.model) meta.append(h('span', {}, `${a.model}${a.prompt_version ? ` · prompt ${a.prompt_version}` : ''}`));
    } else if (a.mode === 'extractive' && !a.abstained) {
      meta.append(h('span', { class: 'badge' }, 'Citat ur källorna'));
    }
    const total = a.timings?.total_ns;
    if (typeof total === 'number' && total > 0) {
      const ms = total / 1e6;
      meta.append(h('span', { title: 'Svarstid' }, ms < 1000 ? `${Math.max(1, Math.round(ms))} ms`
        : `${(ms / 1000).toLocaleString('sv-SE', { maximumFractionDigits: 1 })} s`));
    }

    const parts = [];
    if (meta.childNodes.length) parts.push(meta);
    if (a.standalone) {
      parts.push(h('p', { class: 'standalone' }, 'Tolkad som: ', h('em', {}, a.standalone)));
    } else if (followUp && a.mode === 'extractive' && looksLikeFollowUp(this.question)) {
      // Without a language model the question is not rewritten against the
      // conversation: a follow-up such as "Vad menas med det?" is searched as is.
      parts.push(h('p', { class: 'followup-note' },
        'Utan språkmodell tolkas frågan inte mot tidigare frågor och svar – den söktes som den står. '
        + 'Skriv ut vad en följdfråga gäller om svaret inte passar.'));
    }
    if (a.abstained) {
      parts.push(h('div', { class: 'abstention' },
        h('span', { class: 'abstention-icon', 'aria-hidden': 'true' }, 'i'),
        h('div', {},
          h('h3', {}, 'Inget stöd i källorna'),
          h('p', {}, a.answer || 'Jag hittar inget stöd för det i källorna.'),
          a.reason ? h('p', { class: 'reason' }, reasonText(a.reason)) : null,
          h('p', { class: 'advice' }, hasFilters() ? 'Pröva att ta bort eller vidga filtren, eller formulera frågan med andra ord.'
            : 'Pröva att formulera frågan med andra ord, t.ex. med de termer som används i IMY:s dokument.'))));
    } else {
      parts.push(this.renderText(a, sources));
    }

    const flagged = (a.sentences || []).filter(isFlagged);
    if (flagged.length) {
      parts.push(h('div', { class: 'notes review' },
        h('h3', {}, flagged.length === 1 ? 'En mening att granska' : `${flagged.length} meningar att granska`),
        h('ul', {}, flagged.map((s) => h('li', {},
          h('q', {}, stripMarkers(s.text)), ' – ', flagText(s).join('; '), '.')))));
    }
    if (a.problems?.length) {
      parts.push(h('div', { class: 'notes problems' },
        h('h3', {}, 'Anmärkningar om svaret'),
        h('ul', {}, a.problems.map((p) => h('li', {}, p)))));
    }
    if (sources.size && !a.abstained) parts.push(this.renderSources(a.sources));

    const copyStatus = h('span', { class: 'copy-status', role: 'status' });
    const copy = h('button', { type: 'button', class: 'button secondary small copy' },
      sources.size && !a.abstained ? 'Kopiera svar med källor' : 'Kopiera svaret');
    copy.addEventListener('click', async () => {
      const ok = await copyToClipboard(copyText(this.question, a));
      copyStatus.textContent = ok ? 'Kopierat till urklipp.' : 'Kunde inte kopiera – markera texten och kopiera själv.';
      window.setTimeout(() => { copyStatus.textContent = ''; }, 4000);
    });
    parts.push(h('div', { class: 'answer-actions' }, copy, copyStatus));

    this.body.classList.remove('streaming');
    this.body.replaceChildren(...parts);
    this.body.setAttribute('aria-busy', 'false');
  }

  // renderText renders the answer sentence by sentence, keeping the answer's
  // paragraph breaks, with citation buttons and marks on flagged sentences.
  renderText(a, sources) {
    const text = a.answer || '';
    const sentences = a.sentences || [];
    if (a.mode === 'extractive' && sentences.length > 1) {
      // Quotations from different places are not one paragraph: one a line.
      return h('ul', { class: 'answer-text quotes' },
        sentences.map((s, i) => h('li', {}, this.renderSentence(s, i, sources))));
    }
    const p = h('p', { class: 'answer-text' });
    if (!sentences.length) {
      appendWithCitations(p, text, [], sources, this);
      return p;
    }
    let cursor = 0;
    sentences.forEach((s, i) => {
      const at = text.indexOf(s.text, cursor);
      if (i > 0) {
        const gap = at >= 0 ? text.slice(cursor, at) : ' ';
        p.append(gap.includes('\n\n') ? '\n\n' : gap.includes('\n') ? '\n' : ' ');
      }
      if (at >= 0) cursor = at + s.text.length;
      p.append(this.renderSentence(s, i, sources));
    });
    return p;
  }

  renderSentence(s, i, sources) {
    const flagged = isFlagged(s);
    const span = h('span', { class: `sentence${flagged ? ' unsupported' : ''}`, dataset: { index: String(i) } });
    if (flagged) span.title = `Att granska: ${flagText(s).join('; ')}`;
    appendWithCitations(span, s.text, s.citations || [], sources, this);
    if (flagged) {
      span.append(h('span', { class: 'flag-mark', 'aria-hidden': 'true' }, '!'),
        h('span', { class: 'visually-hidden' }, ` (Att granska: ${flagText(s).join('; ')}.)`));
    }
    return span;
  }

  renderSources(list) {
    return h('section', { class: 'sources', 'aria-labelledby': `sources-h-${this.n}` },
      h('h3', { id: `sources-h-${this.n}` }, 'Källor'),
      h('ol', { class: 'source-list' }, list.map((s) => {
        const meta = [kindLabel(s.kind), s.date, pagesLabel(s.page_start, s.page_end), headingLabel(s.heading_path)]
          .filter(Boolean).join(' · ');
        return h('li', { class: 'source', id: `source-${this.n}-${s.n}`, dataset: { n: String(s.n) } },
          citeButton(s, this),
          h('div', {},
            h('button', { type: 'button', class: 'source-title', 'aria-label': `${s.title || s.doc_id} – visa passagen i dokumentet`, onclick: (e) => openSource(this, s.n, e.currentTarget) },
              s.title || s.doc_id),
            h('span', { class: 'source-meta' }, meta),
            h('span', { class: 'source-ids' }, 'Passage ', h('code', {}, s.chunk_id), ' i dokument ', h('code', {}, s.doc_id))));
      })));
  }
}

// looksLikeFollowUp: a question that leans on the conversation, with words
// such as "det", "dessa" or "samma" (Swedish has no reliable test).
const FOLLOW_UP_RE = /(^|[^\p{L}])(det|detta|den|denna|dessa|de|dem|där|då|sådan|sådant|sådana|samma|ovan|också|även|mer|fler)(?![\p{L}])/iu;

function looksLikeFollowUp(question) {
  return FOLLOW_UP_RE.test(question);
}

function reasonText(reason) {
  // The server's reasons are Swedish (retrieval.Reason*): start them with
  // a capital and end them with a full stop.
  const r = String(reason).trim();
  return r.charAt(0).toUpperCase() + r.slice(1) + (/[.!?]$/.test(r) ? '' : '.');
}

function hasFilters() {
  return selectedKinds().length > 0 || !!els.dateFrom.value.trim() || !!els.dateTo.value.trim();
}

function isFlagged(s) {
  return s.supported === false || (s.flags?.length ?? 0) > 0 || s.judged === 'unsupported';
}

function flagText(s) {
  const out = [...(s.flags || [])];
  if (s.judged === 'unsupported') out.push('språkmodellens granskning fann inget stöd i källan');
  if (!out.length && s.supported === false) out.push('källan stöder inte meningen');
  return out;
}

const MARKER_RE = /\[\s*(\d+(?:\s*(?:,|;|–|-|och)\s*\d+)*)\s*\]/g;

function markerNumbers(inner) {
  const out = [];
  for (const part of inner.split(/\s*(?:,|;|och)\s*/)) {
    const range = part.split(/\s*[–-]\s*/).map((x) => parseInt(x, 10));
    if (range.length === 2 && range[1] >= range[0] && range[1] - range[0] < 20) {
      for (let n = range[0]; n <= range[1]; n++) out.push(n);
    } else if (!Number.isNaN(range[0])) {
      out.push(range[0]);
    }
  }
  return out;
}

function stripMarkers(text) {
  return text.replace(MARKER_RE, '').replace(/\s+([.,;:!?])/g, '$1').replace(/\s{2,}/g, ' ').trim();
}

// appendWithCitations appends text to el with its [n] markers as buttons,
// then a button for each citation the text did not show inline.
function appendWithCitations(el, text, citations, sources, turn) {
  const shown = new Set();
  let last = 0;
  for (const m of text.matchAll(MARKER_RE)) {
    el.append(text.slice(last, m.index).replace(/\s+$/, m.index > 0 ? ' ' : ''));
    for (const n of markerNumbers(m[1])) {
      shown.add(n);
      const src = sources.get(n);
      el.append(src ? citeButton(src, turn)
        : h('span', { class: 'cite missing', title: `Källa [${n}] finns inte` }, `[${n}]`));
    }
    last = m.index + m[0].length;
  }
  el.append(text.slice(last));
  const rest = citations.filter((n) => !shown.has(n) && sources.has(n));
  if (rest.length) {
    el.append(' ');
    for (const n of rest) el.append(citeButton(sources.get(n), turn));
  }
}

function citeButton(src, turn) {
  return h('button', {
    type: 'button',
    class: 'cite',
    'aria-label': `Källa ${src.n}: ${src.title || src.doc_id}`,
    'aria-controls': 'panel',
    'aria-expanded': 'false',
    title: `${src.title || src.doc_id}${src.page_start ? `, ${pagesLabel(src.page_start, src.page_end)}` : ''}`,
    dataset: { n: String(src.n), turn: String(turn.n) },
    onclick: (e) => openSource(turn, src.n, e.currentTarget),
  }, `[${src.n}]`);
}

// ---------- copying ----------

function copyText(question, a) {
  const lines = [`Fråga: ${question}`];
  if (a.standalone) lines.push(`Tolkad som: ${a.standalone}`);
  if (a.mode === 'extractive' && (a.sentences?.length ?? 0) > 1) {
    lines.push('', 'Citat ur källorna:');
    for (const s of a.sentences) {
      const text = s.text.trim();
      const refs = new RegExp(MARKER_RE.source).test(text) ? '' : (s.citations || []).map((n) => ` [${n}]`).join('');
      lines.push(`– ${text}${refs}`);
    }
  } else {
    lines.push('', (a.answer || '').trim());
  }
  const flagged = (a.sentences || []).filter(isFlagged);
  if (flagged.length) {
    lines.push('', 'Meningar att granska:');
    for (const s of flagged) lines.push(`- "${stripMarkers(s.text)}": ${flagText(s).join('; ')}`);
  }
  if (a.problems?.length) {
    lines.push('', 'Anmärkningar:');
    for (const p of a.problems) lines.push(`- ${p}`);
  }
  if (a.sources?.length) {
    lines.push('', 'Källor:');
    for (const s of a.sources) {
      const where = [kindLabel(s.kind), s.date, pagesLabel(s.page_start, s.page_end), headingLabel(s.heading_path)]
        .filter(Boolean).join(', ');
      lines.push(`[${s.n}] ${s.title || s.doc_id}${where ? ` (${where})` : ''}. Dokument: ${s.doc_id}, passage: ${s.chunk_id}`);
    }
  }
  if (a.mode === 'generative' && a.model) lines.push('', `Skrivet av ${a.model}${a.prompt_version ? `, prompt ${a.prompt_version}` : ''}.`);
  return lines.join('\n');
}

async function copyToClipboard(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall through to the old way */ }
  // Plain http on an intranet host is not a secure context: use a hidden
  // textarea and execCommand, which still works there.
  const ta = h('textarea', { class: 'visually-hidden', 'aria-hidden': 'true', readonly: true });
  ta.value = text;
  document.body.append(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

// ---------- the source panel ----------

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function loadDocument(id) {
  let p = state.documents.get(id);
  if (!p) {
    p = getJSON(`/api/documents/${encodeURIComponent(id)}`).then((d) => ({
      document: d.document || {},
      text: d.text || '',
      bytes: encoder.encode(d.text || ''),
    }));
    p.catch(() => state.documents.delete(id));
    state.documents.set(id, p);
  }
  return p;
}

// passageRange converts the source's UTF-8 byte offsets into string indexes
// of doc.text. It checks the result against the quote and falls back to
// finding the quote, in case the document changed since the answer.
function passageRange(doc, src) {
  const { text, bytes } = doc;
  const quoteHead = (src.quote || '').slice(0, 60);
  if (src.start >= 0 && src.end > src.start && src.end <= bytes.length) {
    const s = decoder.decode(bytes.subarray(0, src.start)).length;
    const e = s + decoder.decode(bytes.subarray(src.start, src.end)).length;
    if (!quoteHead || text.slice(s, e).startsWith(quoteHead)) return { start: s, end: e, exact: true };
  }
  if (src.quote) {
    const at = text.indexOf(src.quote);
    if (at >= 0) return { start: at, end: at + src.quote.length, exact: false };
  }
  return null;
}

async function openSource(turn, n, opener) {
  const src = turn.sources?.get(n);
  if (!src) return;
  const key = `${turn.n}:${n}`;
  if (!els.panel.hidden && state.panelKey === key) {
    // A second click on the open source just moves focus there.
    els.panelTitle.focus();
    return;
  }
  markActive(turn.n, n);
  state.panelOpener = opener || null;
  state.panelKey = key;
  els.panelTitle.textContent = `Källa ${n}: ${src.title || src.doc_id}`;
  els.panelContent.replaceChildren(h('p', { class: 'panel-loading', role: 'status' }, 'Hämtar dokumentet…'));
  els.panel.hidden = false;
  els.layout.classList.add('panel-open');
  updateOverlay();
  els.panelTitle.focus();

  let doc;
  try {
    doc = await loadDocument(src.doc_id);
  } catch (err) {
    if (state.panelKey !== key) return;
    els.panelContent.replaceChildren(metaList(src, null),
      h('p', { class: 'panel-error', role: 'alert' }, `Dokumentet kunde inte hämtas: ${errorText(err)}`),
      h('h3', { class: 'visually-hidden' }, 'Passagen'),
      h('blockquote', { class: 'panel-quote' }, src.quote || ''));
    return;
  }
  if (state.panelKey !== key) return; // another source was opened meanwhile
  renderPanel(turn, src, doc);
}

// DNR_RE: IMY's case numbers (DI-2021-1234, IMY-2022-567) and
// Regeringskansliet's (I2021/01639, Ju2022/00123).
const DNR_RE = /^(?:(?:DI|IMY)-\d{4}-\d+|[A-ZÅÄÖ][a-zåäö]{0,2}\d{4}\/\d+)/;

// BOOKMARK_RE: Word bookmark residue left in some converted documents.
const BOOKMARK_RE = /\[bookmark: [^\]\n]*\]/g;

function readable(text) {
  return text.replace(BOOKMARK_RE, '');
}

function metaList(src, d) {
  const rows = [];
  const add = (term, ...value) => {
    if (value.some((v) => v !== '' && v !== null && v !== undefined)) rows.push(h('dt', {}, term), h('dd', {}, ...value));
  };
  add('Typ', kindLabel(d?.kind || src.kind));
  add('Datum', d?.date || src.date || '');
  // The document's own case numbers first (IMY's DI-/IMY- numbers and
  // Regeringskansliet's, such as I2021/01639), then those its text mentions.
  const own = (d?.identifiers || []).filter((x) => DNR_RE.test(x));
  const dnr = [...new Set([...own, ...(d?.meta?.diarienummer || [])])];
  if (d) add('Diarienummer', dnr.length ? dnr.join(', ') : h('span', { class: 'none' }, 'anges inte i dokumentet'));
  const other = (d?.identifiers || []).filter((x) => !own.includes(x));
  add('Övriga beteckningar', other.join(', '));
  add('Sida', pagesLabel(src.page_start, src.page_end) || (d && d.format && d.format !== 'pdf'
    ? h('span', { class: 'none' }, 'dokumentet har inga sidnummer') : ''));
  add('Rubrik', headingLabel(src.heading_path));
  add('Passage', h('code', {}, src.chunk_id));
  add('Dokument', h('code', {}, src.doc_id));
  return h('dl', { class: 'panel-meta' }, rows);
}

function renderPanel(turn, src, doc) {
  const d = doc.document;
  els.panelTitle.textContent = `Källa ${src.n}: ${d.title || src.title || src.doc_id}`;
  const parts = [metaList(src, d)];

  const claims = (turn.answer?.sentences || []).filter((s) => (s.citations || []).includes(src.n));
  if (claims.length) {
    parts.push(h('div', { class: 'panel-claims' },
      h('h3', {}, claims.length === 1 ? 'Påstående som hänvisar hit' : 'Påståenden som hänvisar hit'),
      h('ul', {}, claims.map((s) => h('li', {}, stripMarkers(s.text), isFlagged(s) ? ` (att granska: ${flagText(s).join('; ')})` : '')))));
  }

  const range = passageRange(doc, src);
  if (!range) {
    parts.push(h('p', { class: 'panel-notice', role: 'note' },
      'Passagen finns inte längre i dokumentets text (dokumentet kan ha ändrats sedan svaret). Så här löd den:'),
    h('blockquote', { class: 'panel-quote' }, src.quote || ''));
    els.panelContent.replaceChildren(...parts);
    return;
  }
  if (!range.exact) {
    parts.push(h('p', { class: 'panel-notice', role: 'note' },
      'Dokumentet har ändrats sedan svaret; passagen har hittats på ett nytt ställe.'));
  }
  const mark = h('mark', { class: 'highlight', id: 'highlight' });
  appendCited(mark, readable(doc.text.slice(range.start, range.end)), claims);
  const body = h('div', {
    class: 'doc-text',
    tabindex: '0',
    role: 'document',
    'aria-label': `Dokumentets text, passagen för källa ${src.n} är markerad`,
  }, readable(doc.text.slice(0, range.start)), mark, readable(doc.text.slice(range.end)));
  parts.push(body);
  els.panelContent.replaceChildren(...parts);
  // Bring the passage's start to the upper third of the document view,
  // without moving the page; when the answer's sentence lies further down,
  // scroll on as far as keeps the start in view, so that both show if they fit.
  const markTop = mark.offsetTop - body.offsetTop;
  let top = markTop - body.clientHeight / 3;
  const cited = mark.querySelector('.cited-sentence');
  if (cited) {
    const citedBottom = cited.offsetTop - body.offsetTop + cited.offsetHeight;
    if (citedBottom > top + body.clientHeight - 24) top = Math.min(markTop - 8, citedBottom - body.clientHeight + 24);
  }
  body.scrollTop = Math.max(0, top);
}

// appendCited appends the passage text to mark, underlining the sentences
// of the answer that it contains word for word (an extractive answer's).
function appendCited(mark, text, claims) {
  const spans = [];
  for (const s of claims) {
    const needle = stripMarkers(s.text);
    if (needle.length < 12) continue;
    const at = text.indexOf(needle);
    if (at >= 0) spans.push([at, at + needle.length]);
  }
  spans.sort((x, y) => x[0] - y[0]);
  let last = 0;
  for (const [s, e] of spans) {
    if (s < last) continue;
    mark.append(text.slice(last, s), h('span', { class: 'cited-sentence' }, text.slice(s, e)));
    last = e;
  }
  mark.append(text.slice(last));
}

function markActive(turnN, n) {
  for (const b of document.querySelectorAll('.cite[aria-expanded="true"]')) b.setAttribute('aria-expanded', 'false');
  for (const li of document.querySelectorAll('.source.active')) li.classList.remove('active');
  if (turnN === null) return;
  for (const b of document.querySelectorAll(`#turn-${turnN} .cite[data-n="${n}"]`)) b.setAttribute('aria-expanded', 'true');
  document.getElementById(`source-${turnN}-${n}`)?.classList.add('active');
}

// On a narrow screen the panel covers the page: what lies under it is made
// inert, so that Tab stays in the panel and screen readers see only it.
const overlayQuery = window.matchMedia('(max-width: 900px)');

function updateOverlay() {
  const covered = !els.panel.hidden && overlayQuery.matches;
  for (const el of document.querySelectorAll('.skip-link, body > header, #banner, #main, body > footer')) el.inert = covered;
  if (covered) els.panel.setAttribute('aria-modal', 'true');
  else els.panel.removeAttribute('aria-modal');
  els.panel.setAttribute('role', covered ? 'dialog' : 'complementary');
}

function closePanel(restoreFocus = true) {
  if (els.panel.hidden) return;
  els.panel.hidden = true;
  els.layout.classList.remove('panel-open');
  updateOverlay();
  els.panelContent.replaceChildren();
  state.panelKey = '';
  markActive(null);
  const opener = state.panelOpener;
  state.panelOpener = null;
  if (restoreFocus) {
    if (opener && opener.isConnected) opener.focus();
    else els.question.focus();
  }
}

// ---------- wiring ----------

function init() {
  initToken();
  buildKindOptions();

  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submitQuestion();
  });
  els.question.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submitQuestion();
    }
  });
  els.question.addEventListener('input', () => showFormError(''));
  els.cancel.addEventListener('click', cancelQuestion);
  els.newConversation.addEventListener('click', newConversation);
  els.clearFilters.addEventListener('click', clearFilters);
  for (const input of [els.dateFrom, els.dateTo]) {
    input.addEventListener('input', () => {
      input.removeAttribute('aria-invalid');
      updateFilterSummary();
    });
  }
  els.panelClose.addEventListener('click', () => closePanel());
  overlayQuery.addEventListener('change', updateOverlay);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    if (!els.panel.hidden) {
      e.preventDefault();
      closePanel();
    } else if (state.controller && document.activeElement === els.question) {
      e.preventDefault();
      cancelQuestion();
    }
  });
  for (const b of document.querySelectorAll('.example')) {
    b.addEventListener('click', () => {
      els.question.value = b.textContent;
      submitQuestion();
    });
  }

  refreshStatus();
  els.question.focus();
}

init();
