import { JinaEmbeddingFunction } from "@chroma-core/jina";

// @chroma-core/jina always posts to https://api.jina.ai/v1/embeddings, ignores JINA_API_BASE_URL
// and sets no timeout. Below, its requests go to JINA_API_BASE_URL when it is set (the offline
// emulator: python -m chroma_jina.testing --port 8080, then JINA_API_BASE_URL=http://127.0.0.1:8080/v1;
// or a gateway, or a reverse proxy); each gets 30 s, and the package's errors name the HTTP status.
// Run this before the first request.
const JINA_BASE = "https://api.jina.ai/v1";
const baseUrl = (process.env.JINA_API_BASE_URL ?? JINA_BASE).replace(/\/+$/, "");
const send = globalThis.fetch;
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!url.startsWith(JINA_BASE + "/")) return send(input, init);
  const moved = baseUrl + url.slice(JINA_BASE.length);
  const timed = { ...init, signal: init?.signal ?? AbortSignal.timeout(30_000) };
  const response = await send(input instanceof Request ? new Request(moved, input) : moved, timed);
  if (!response.ok && moved.endsWith("/embeddings")) {
    // @chroma-core/jina drops the status and Jina's message: keep both in the error.
    // Your own requests (reranking, say) get the answer as it came, Retry-After included.
    throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  }
  return response;
};

// Your code, unchanged. The key comes from JINA_API_KEY (for a reopened collection, from the
// variable its saved api_key_env_var names); for the emulator, any value starting with jina_ will do.
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
});
const vectors = await passages.generate(["Chroma stores vectors.", "Jina computes vectors."]);
console.log(vectors.length, "vectors of", vectors[0].length, "dimensions");
//> 2 vectors of 1024 dimensions
