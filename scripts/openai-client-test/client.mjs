// Drives imyrag's OpenAI-compatible endpoint with the official `openai`
// client, as any OpenAI application would: list the models, ask without and
// with streaming, ask a follow-up with the history, and check that a wrong
// token is refused. Prints one JSON line with what it saw; exits 1 on the
// first failed check.
//
//   IMYRAG_BASE_URL=http://127.0.0.1:8080/v1 IMYRAG_TOKEN=... node client.mjs
import OpenAI from "openai";

const baseURL = process.env.IMYRAG_BASE_URL;
const apiKey = process.env.IMYRAG_TOKEN || "no-token";
const question = process.env.IMYRAG_QUESTION || "Vad är en regulatorisk sandlåda?";
if (!baseURL) {
  console.error("set IMYRAG_BASE_URL (e.g. http://127.0.0.1:8080/v1)");
  process.exit(2);
}

function check(ok, what, detail) {
  if (!ok) {
    console.error(`FAIL: ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail).slice(0, 2000)}`);
    process.exit(1);
  }
}

const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 120_000 });
const seen = {};

// Models.
const models = [];
for await (const m of client.models.list()) models.push(m.id);
check(models.includes("imyrag"), "models list imyrag", models);
seen.models = models;

// Not streamed.
const done = await client.chat.completions.create({
  model: "imyrag",
  messages: [
    { role: "system", content: "Svara kort." },
    { role: "user", content: question },
  ],
});
const text = done.choices[0].message.content;
check(done.object === "chat.completion", "object", done.object);
check(done.choices[0].finish_reason === "stop", "finish_reason", done.choices[0].finish_reason);
check(done.choices[0].message.role === "assistant", "role", done.choices[0].message.role);
check(typeof text === "string" && text.length > 0, "content", text);
check(done.imyrag && Array.isArray(done.imyrag.sources), "imyrag field", done.imyrag);
if (!done.imyrag.abstained && done.imyrag.sources.length > 0) {
  check(text.includes("Källor:") && text.includes("[1]"), "source list in the text", text);
}
seen.plain = { mode: done.imyrag.mode, sources: done.imyrag.sources.length, chars: text.length };

// Streamed.
const stream = await client.chat.completions.create({
  model: "imyrag",
  messages: [{ role: "user", content: question }],
  stream: true,
});
let streamed = "";
let chunks = 0;
let finish = null;
let extra = null;
for await (const chunk of stream) {
  chunks++;
  check(chunk.object === "chat.completion.chunk", "chunk object", chunk.object);
  const c = chunk.choices[0];
  if (c.delta && c.delta.content) streamed += c.delta.content;
  if (c.finish_reason) finish = c.finish_reason;
  if (chunk.imyrag) extra = chunk.imyrag;
}
check(finish === "stop", "stream finish_reason", finish);
check(extra && Array.isArray(extra.sources), "imyrag field in the last chunk", extra);
check(streamed.length > 0, "streamed content", streamed);
if (extra.mode === "extractive") {
  check(streamed === text, "streamed extractive text equals the plain answer", { streamed, text });
}
seen.stream = { mode: extra.mode, chunks, chars: streamed.length };

// A follow-up carries the history (the assistant's source list included).
const follow = await client.chat.completions.create({
  model: "imyrag",
  messages: [
    { role: "user", content: question },
    { role: "assistant", content: text },
    { role: "user", content: "Vem får delta?" },
  ],
});
check(follow.choices[0].message.content.length > 0, "follow-up content", follow);
seen.followUp = { mode: follow.imyrag.mode };

// A wrong token is refused with the client's authentication error.
const wrong = new OpenAI({ baseURL, apiKey: "wrong-token", maxRetries: 0 });
try {
  await wrong.chat.completions.create({ model: "imyrag", messages: [{ role: "user", content: question }] });
  if (process.env.IMYRAG_TOKEN) check(false, "a wrong token was accepted");
  seen.wrongToken = "no token configured";
} catch (err) {
  check(err instanceof OpenAI.AuthenticationError, "wrong token gives AuthenticationError", String(err));
  seen.wrongToken = err.status;
}

// An unknown model is refused.
try {
  await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: question }] });
  check(false, "an unknown model was accepted");
} catch (err) {
  check(err instanceof OpenAI.NotFoundError, "unknown model gives NotFoundError", String(err));
  seen.unknownModel = err.status;
}

console.log(JSON.stringify({ ok: true, ...seen }));
