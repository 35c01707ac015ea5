// Preload for running a TypeScript snippet offline: `node --import tsx --import ./tests/docs/ts/replay.mjs snippet.ts`.
//
// It replaces globalThis.fetch:
// - requests to https://api.jina.ai are answered from a vcrpy-format YAML cassette (replay mode), or
//   forwarded upstream (the offline emulator, the real API, or a stand-in for it) and written to that
//   cassette (record mode), with the key masked as *** and anything key-shaped as <JINA_API_KEY>;
// - requests to http://localhost:8000 (the Chroma server a reader runs) go to the test's own Chroma
//   server on loopback; other loopback traffic passes; anything else is blocked.
// It also records which source line printed each console.log line, so the test can compare the output
// with the `//> ` comments under each console.log call (and rewrite them when recording).
//
// Environment (set by tests/docs/test_typescript.py):
//   CHROMA_JINA_TS_SNIPPET   name shown in every error, e.g. snippets/ts/quickstart.ts
//   CHROMA_JINA_TS_CASSETTE  cassette path (cassettes/ts/<name>.yaml)
//   CHROMA_JINA_TS_MODE      "replay" (default) or "record"
//   CHROMA_JINA_TS_UPSTREAM  record mode: the base URL that answers, e.g. http://127.0.0.1:PORT/v1
//   JINA_API_KEY             the key the snippet sends; record mode masks it in cassette and output
//   CHROMA_JINA_TS_CHROMA    the test's Chroma server, e.g. http://127.0.0.1:PORT
//   CHROMA_JINA_TS_OUTPUT    file that receives one JSON line {line, text} per console.log call
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { format } from "node:util";
import YAML from "yaml";

const JINA_ORIGIN = "https://api.jina.ai";
const JINA_BASE = `${JINA_ORIGIN}/v1`;
const READER_CHROMA = ["http://localhost:8000", "http://127.0.0.1:8000"];
const RECORD_COMMAND = "make record-ts";

const env = process.env;
const snippet = env.CHROMA_JINA_TS_SNIPPET ?? "(unnamed snippet)";
const cassettePath = env.CHROMA_JINA_TS_CASSETTE;
const mode = env.CHROMA_JINA_TS_MODE ?? "replay";
if (!cassettePath) throw new Error(`[${snippet}] CHROMA_JINA_TS_CASSETTE is not set`);
if (mode !== "replay" && mode !== "record") throw new Error(`[${snippet}] unknown mode ${mode}`);
if (mode === "record" && !env.CHROMA_JINA_TS_UPSTREAM) {
  throw new Error(`[${snippet}] record mode needs CHROMA_JINA_TS_UPSTREAM (the base URL that answers)`);
}
const PROVENANCE_HEADER = "x-emulated-by";
// Never kept: cookies and per-request CDN noise. `date` is dropped from emulated responses only: on a
// real one it is the recording date the docs show.
const UNSTABLE_HEADERS = new Set(["set-cookie", "cf-ray", "report-to", "nel"]);
const KEY_SHAPED = /jina_[A-Za-z0-9]{20,}/g;
const SECRET = mode === "record" ? (env.JINA_API_KEY ?? "").trim() : "";

/** The text with the recording key shown as chroma-jina's errors show it, and other keys redacted. */
function mask(text) {
  const masked = SECRET ? text.split(SECRET).join("***") : text;
  return masked.replace(KEY_SHAPED, "<JINA_API_KEY>");
}

const realFetch = globalThis.fetch;

/** Fail loudly: print to stderr at once (the caller may swallow the exception) and mark the run failed. */
function fail(message) {
  const text = `[${snippet}] ${message}`;
  process.stderr.write(`chroma-jina replay: ${text}\n`);
  process.exitCode = 1;
  return new Error(text);
}

function loadInteractions() {
  if (!existsSync(cassettePath)) {
    if (mode === "record") return [];
    throw fail(`cassette ${cassettePath} does not exist; record it with: ${RECORD_COMMAND}`);
  }
  const doc = YAML.parse(readFileSync(cassettePath, "utf8")) ?? {};
  return (doc.interactions ?? []).map((item) => ({ ...item, played: false }));
}

const interactions = mode === "replay" ? loadInteractions() : [];
const recorded = [];

function sameBody(a, b) {
  try {
    return JSON.stringify(sortKeys(JSON.parse(a))) === JSON.stringify(sortKeys(JSON.parse(b)));
  } catch {
    return a === b;
  }
}

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

/** Request headers as vcrpy stores them: {name: [value]}, sorted, without Authorization. */
function requestHeaderLists(headers) {
  const out = {};
  for (const [name, value] of new Headers(headers)) {
    if (name !== "authorization") out[name] = [mask(value)];
  }
  return sortKeys(out);
}

/** Response headers as stored: without unstable ones, without an encoding the body no longer has. */
function responseHeaderLists(headers) {
  const all = new Headers(headers);
  const dropped = new Set(UNSTABLE_HEADERS);
  if (all.has(PROVENANCE_HEADER)) dropped.add("date");
  if (all.has("content-encoding")) ["content-encoding", "content-length"].forEach((h) => dropped.add(h));
  const out = {};
  for (const [name, value] of all) {
    if (!dropped.has(name)) out[name] = [mask(value)];
  }
  return sortKeys(out);
}

async function requestParts(input, init) {
  const request = new Request(input, init);
  const hasBody = !["GET", "HEAD"].includes(request.method);
  const body = hasBody ? await request.text() : undefined;
  // The caller's own signal: undici links a Request's signal to it only weakly, so a copy can
  // miss the abort once the Request is collected.
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  return { request, body, signal };
}

function replay(method, url, body) {
  const match = interactions.find(
    (item) =>
      !item.played &&
      item.request.method === method &&
      item.request.uri === url &&
      sameBody(item.request.body ?? "", body ?? ""),
  );
  if (!match) {
    throw fail(
      `no unplayed interaction in ${cassettePath} matches ${method} ${url} with body ${body}\n` +
        `  (the snippet's Jina request changed, or it sends more requests than were recorded)\n` +
        `  re-record with: ${RECORD_COMMAND}`,
    );
  }
  match.played = true;
  const headers = new Headers();
  for (const [name, values] of Object.entries(match.response.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower === "content-encoding" || lower === "content-length" || lower === "transfer-encoding") continue;
    for (const value of values) headers.append(name, value);
  }
  return new Response(match.response.body?.string ?? "", {
    status: match.response.status.code,
    statusText: match.response.status.message,
    headers,
  });
}

async function record(request, url, body) {
  const upstream = env.CHROMA_JINA_TS_UPSTREAM.replace(/\/$/, "") + url.slice(JINA_BASE.length);
  const response = await realFetch(upstream, { method: request.method, headers: request.headers, body });
  const text = await response.text();
  recorded.push({
    request: {
      body: body === undefined ? body : mask(body),
      headers: requestHeaderLists(request.headers),
      method: request.method,
      uri: url,
    },
    response: {
      body: { string: mask(text) },
      headers: responseHeaderLists(response.headers),
      status: { code: response.status, message: response.statusText },
    },
  });
  return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
}

globalThis.fetch = async function interceptingFetch(input, init) {
  const { request, body, signal } = await requestParts(input, init);
  const url = request.url;
  if (url.startsWith(JINA_ORIGIN + "/")) {
    if (!url.startsWith(JINA_BASE + "/")) throw fail(`unexpected Jina URL ${url}`);
    return mode === "record" ? record(request, url, body) : replay(request.method, url, body);
  }
  const reader = READER_CHROMA.find((origin) => url === origin || url.startsWith(origin + "/"));
  if (reader && env.CHROMA_JINA_TS_CHROMA) {
    const target = env.CHROMA_JINA_TS_CHROMA.replace(/\/$/, "") + url.slice(reader.length);
    return realFetch(target, { method: request.method, headers: request.headers, body, signal });
  }
  const host = new URL(url).hostname;
  if (host === "127.0.0.1" || host === "localhost" || host === "[::1]") {
    return realFetch(url, { method: request.method, headers: request.headers, body, signal });
  }
  throw fail(`network blocked: ${request.method} ${url} (only api.jina.ai from the cassette and loopback)`);
};

// Tag console.log output with the snippet line that printed it.
const outputPath = env.CHROMA_JINA_TS_OUTPUT;
if (outputPath) {
  writeFileSync(outputPath, "");
  // Stack frames name the file by path (tsx, with source maps) or by file:// URL (plain node).
  const names = [resolve(snippet), pathToFileURL(resolve(snippet)).href].map((name) => name + ":");
  const realLog = console.log.bind(console);
  console.log = (...args) => {
    let line = null;
    for (const frame of (new Error().stack ?? "").split("\n").slice(1)) {
      const name = names.find((n) => frame.includes(n));
      if (name) {
        line = Number(frame.slice(frame.indexOf(name) + name.length).split(":")[0]);
        break;
      }
    }
    appendFileSync(outputPath, JSON.stringify({ line, text: mask(format(...args)) }) + "\n");
    realLog(...args);
  };
}

process.on("exit", (code) => {
  if (mode === "record") {
    // A failed run leaves the old cassette alone.
    if (code === 0) writeFileSync(cassettePath, YAML.stringify({ interactions: recorded, version: 1 }, { lineWidth: 0 }));
    return;
  }
  const unplayed = interactions.filter((item) => !item.played).length;
  if (unplayed && process.exitCode !== 1) {
    fail(`${unplayed} of ${interactions.length} interactions in ${cassettePath} were never requested; re-record with: ${RECORD_COMMAND}`);
  }
});
