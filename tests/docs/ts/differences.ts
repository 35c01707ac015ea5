// Probe the real @chroma-core/jina package for the behaviours docs/*/typescript.md describes.
// Run by tests/docs/test_typescript.py: `node --import tsx tests/docs/ts/differences.ts`; prints one JSON object.
// Jina traffic never leaves the process: globalThis.fetch is replaced by a scripted fake that records
// each request and answers with the response the case needs. Loopback traffic (the test's Chroma
// server, CHROMA_JINA_TS_CHROMA) passes through.
import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

interface Sent {
  url: string;
  body: Record<string, unknown>;
  authorization: string | null;
  signal: boolean;
}

const realFetch = globalThis.fetch;
const KEY = "jina_offline_emulator_key";
let sent: Sent[] = [];
let answer: () => Response = () => embeddings([[0.5, 0.5]]);
let delayMs = 0;
let inFlight = 0;
let maxInFlight = 0;

function embeddings(vectors: number[][], order?: number[]): Response {
  const data = (order ?? vectors.map((_, i) => i)).map((index) => ({
    object: "embedding",
    index,
    embedding: vectors[index],
  }));
  return Response.json({ model: "probe", object: "list", usage: { total_tokens: 1 }, data });
}

globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const url = input instanceof Request ? input.url : String(input);
  if (new URL(url).hostname !== "api.jina.ai") return realFetch(input, init);
  const request = new Request(input, init);
  sent.push({
    url: request.url,
    body: JSON.parse(await request.text()),
    authorization: request.headers.get("authorization"),
    signal: init?.signal != null || input instanceof Request,
  });
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return answer();
  } finally {
    inFlight--;
  }
};

/** Run one case: reset the recorded requests, set the fake answer, capture console.warn. */
async function probe<T>(reply: () => Response, run: () => Promise<T>) {
  sent = [];
  answer = reply;
  const warnings: string[] = [];
  const realWarn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
  try {
    return { result: await run(), error: null, warnings, sent };
  } catch (error) {
    return { result: null, error: String((error as Error).message), warnings, sent };
  } finally {
    console.warn = realWarn;
  }
}

function withEnv(vars: Record<string, string | undefined>) {
  for (const name of ["JINA_API_KEY", "CHROMA_JINA_API_KEY"]) delete process.env[name];
  Object.assign(process.env, vars);
}

const facts: Record<string, unknown> = {};

// Defaults: construct without options and look at what is sent.
withEnv({ JINA_API_KEY: KEY });
const plain = await probe(
  () => embeddings([[0.5, 0.5]]),
  () => new JinaEmbeddingFunction().generate(["hello"]),
);
facts.defaults = {
  url: plain.sent[0].url,
  body: plain.sent[0].body,
  authorization_from_JINA_API_KEY: plain.sent[0].authorization === `Bearer ${KEY}`,
  config: new JinaEmbeddingFunction().getConfig(),
  space: new JinaEmbeddingFunction().defaultSpace(),
};

// Our Python function's default key variable is not read.
withEnv({ CHROMA_JINA_API_KEY: KEY });
const chromaVar = await probe(
  () => embeddings([[0.5, 0.5]]),
  () => new JinaEmbeddingFunction().generate(["hello"]),
);
facts.chroma_jina_api_key_ignored = {
  authorization: chromaVar.sent[0].authorization,
  warnings: chromaVar.warnings,
};

// A missing key only warns; the request still goes out.
withEnv({});
const noKey = await probe(
  () => Response.json({ detail: "Invalid API key" }, { status: 401 }),
  async () => {
    const ef = new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" });
    return ef.generate(["hello"]);
  },
);
facts.missing_key = {
  warnings: noKey.warnings,
  requests_sent: noKey.sent.length,
  authorization: noKey.sent[0]?.authorization ?? null,
  error: noKey.error,
};
withEnv({ JINA_API_KEY: KEY });

// Option names: camelCase in, snake_case on the wire; legacy names are ignored.
const options = await probe(
  () => embeddings([[0.5, 0.5]]),
  () =>
    new JinaEmbeddingFunction({
      modelName: "jina-embeddings-v3",
      task: "retrieval.passage",
      dimensions: 256,
      lateChunking: true,
    }).generate(["hello"]),
);
facts.options_body = options.sent[0].body;
const legacyArgs = { model_name: "jina-embeddings-v3", jinaai_api_key: "jina_legacy_name" };
const legacy = await probe(
  () => embeddings([[0.5, 0.5]]),
  () => new JinaEmbeddingFunction(legacyArgs as object).generate(["hello"]),
);
facts.legacy_names = { model: legacy.sent[0].body.model, authorization: legacy.sent[0].authorization };

// No index sort: results come back in response order, not by `index`.
const shuffled = await probe(
  () => embeddings([[0, 0], [1, 1], [2, 2]], [2, 0, 1]),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(["a", "b", "c"]),
);
facts.index_order = { result: shuffled.result, error: shuffled.error };

// Fewer results than inputs: no count check.
const short = await probe(
  () => embeddings([[0, 0]]),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(["a", "b"]),
);
facts.count_check = { result: short.result, error: short.error };

// No HTTP status check: a 500 with a data field is taken as a success.
const status500 = await probe(
  () => Response.json({ data: [{ index: 0, embedding: [9, 9] }] }, { status: 500 }),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(["a"]),
);
facts.status_500_with_data = { result: status500.result, error: status500.error };

// An HTML 502 from a proxy surfaces as a JSON parse error, without the status.
const html502 = await probe(
  () => new Response("<html><body>502 Bad Gateway</body></html>", { status: 502, headers: { "content-type": "text/html" } }),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(["a"]),
);
facts.status_502_html = { result: html502.result, error: html502.error };

// A JSON error body (here 429) loses Jina's detail.
const status429 = await probe(
  () => Response.json({ detail: "Rate limit exceeded" }, { status: 429 }),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(["a"]),
);
facts.status_429_json = { result: status429.result, error: status429.error, requests: status429.sent.length };

// Embedding types are not decoded: base64 strings and packed bits come back as sent.
const base64 = await probe(
  () =>
    Response.json({
      data: [
        { index: 0, embedding: "AACAPwAAAEA=" },
        { index: 1, embedding: [201, 7] },
      ],
    }),
  () =>
    new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3", embeddingType: "base64" }).generate([
      "a",
      "b",
    ]),
);
facts.embedding_type = { body: base64.sent[0].body, result: base64.result, error: base64.error };

// No batching: one generate() call is one request, however many texts.
const many = Array.from({ length: 600 }, (_, i) => `text ${i}`);
const batch = await probe(
  () => embeddings(many.map(() => [0.5, 0.5])),
  () => new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" }).generate(many),
);
facts.batching = { requests: batch.sent.length, inputs_in_first: (batch.sent[0].body.input as string[]).length };

// No concurrency cap and no timeout: 20 generate() calls at once are 20 requests in flight at once,
// none with an AbortSignal.
delayMs = 50;
maxInFlight = 0;
const shared = new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3" });
const burst = await probe(
  () => embeddings([[0.5, 0.5]]),
  () => Promise.all(Array.from({ length: 20 }, (_, i) => shared.generate([`query ${i}`]))),
);
delayMs = 0;
facts.concurrency = {
  requests: burst.sent.length,
  max_in_flight: maxInFlight,
  with_signal: burst.sent.filter((request) => request.signal).length,
};

// No query side: no generateForQueries, no query_config.
const ef = new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3", task: "retrieval.passage" });
facts.query_side = {
  generateForQueries: typeof (ef as { generateForQueries?: unknown }).generateForQueries,
  config_keys: Object.keys(ef.getConfig()).sort(),
};

// A collection saved from Python with query_config, opened and queried from TypeScript.
const chromaUrl = process.env.CHROMA_JINA_TS_CHROMA;
const collectionName = process.env.CHROMA_JINA_TS_PYTHON_COLLECTION;
if (chromaUrl && collectionName) {
  const { hostname, port } = new URL(chromaUrl);
  const client = new ChromaClient({ host: hostname, port: Number(port) });
  const opened = await probe(
    () => embeddings([[0.5, 0.5]]),
    async () => {
      const collection = await client.getCollection({ name: collectionName });
      await collection.query({ queryTexts: ["a question"], nResults: 1 });
      return collection.configuration;
    },
  );
  facts.python_collection_query = {
    error: opened.error,
    warnings: opened.warnings,
    bodies: opened.sent.map((s) => s.body),
  };

  // A key passed as apiKey: the client rebuilds the function from the saved config (which never
  // holds the key) and warns, though it embeds with the function it was given.
  withEnv({});
  const passed = await probe(
    () => embeddings([[0.5, 0.5]]),
    async () => {
      const ef = new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3", apiKey: KEY });
      const collection = await client.getOrCreateCollection({ name: "api-key-passed", embeddingFunction: ef });
      await collection.upsert({ ids: ["a"], documents: ["a"] });
      const reopened = await client.getCollection({ name: "api-key-passed" });
      await reopened.query({ queryTexts: ["a question"], nResults: 1 });
    },
  );
  facts.api_key_passed = {
    error: passed.error,
    warnings: passed.warnings.length,
    authorizations: passed.sent.map((s) => s.authorization),
  };
  withEnv({ JINA_API_KEY: KEY });

  // Chroma's client calls the function's own generate() for documents, and generateForQueries()
  // for queryTexts when the function has one, so the page's RetryingJina covers Chroma's calls
  // and gives queries their own task.
  const calls: string[] = [];
  class CountingJina extends JinaEmbeddingFunction {
    async generate(texts: string[]): Promise<number[][]> {
      calls.push("generate");
      return super.generate(texts);
    }
    async generateForQueries(texts: string[]): Promise<number[][]> {
      calls.push("generateForQueries");
      return super.generate(texts);
    }
  }
  const subclassed = await probe(
    () => embeddings([[0.5, 0.5]]),
    async () => {
      const ef = new CountingJina({ modelName: "jina-embeddings-v3" });
      const collection = await client.getOrCreateCollection({ name: "subclass-calls", embeddingFunction: ef });
      await collection.upsert({ ids: ["a"], documents: ["a"] });
      await collection.query({ queryTexts: ["a question"], nResults: 1 });
    },
  );
  facts.subclass_generate = { error: subclassed.error, calls, requests: subclassed.sent.length };

  // What Chroma does with undecoded vectors: base64 strings are refused, packed bits are stored.
  const stored: Record<string, unknown> = {};
  for (const [embeddingType, vector] of [["base64", "AACAPwAAAEA="], ["binary", [201, 7]]] as const) {
    const outcome = await probe(
      () => Response.json({ data: [{ index: 0, embedding: vector }] }),
      async () => {
        const ef = new JinaEmbeddingFunction({ modelName: "jina-embeddings-v3", embeddingType });
        const name = `embedding-type-${embeddingType}`;
        const collection = await client.getOrCreateCollection({ name, embeddingFunction: ef });
        await collection.upsert({ ids: ["a"], documents: ["a"] });
        const got = await collection.get({ ids: ["a"], include: ["embeddings"] });
        return got.embeddings[0];
      },
    );
    stored[embeddingType] = { result: outcome.result, error: outcome.error };
  }
  facts.chroma_stores = stored;
}

// Text only, and no query method, in the package's own types: if a release adds either,
// these @ts-expect-error lines become unused and `make test` fails at type-checking: then update
// docs/en/typescript.md and docs/zh/typescript.md (#text-only, #query-task) and these pins.
function typeLevelPins(f: JinaEmbeddingFunction) {
  // @ts-expect-error generate() accepts string[] only: no image input.
  void f.generate([{ image: "https://example.org/cat.png" }]);
  // @ts-expect-error there is no generateForQueries method.
  void f.generateForQueries(["a question"]);
}
facts.type_level_pins = typeof typeLevelPins;

console.log(JSON.stringify(facts, null, 2));
