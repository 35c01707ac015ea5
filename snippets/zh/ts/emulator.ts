import { JinaEmbeddingFunction } from "@chroma-core/jina";

// @chroma-core/jina 总是把请求发到 https://api.jina.ai/v1/embeddings，
// 不读 JINA_API_BASE_URL，也不设超时。下面这段代码：
// - 设了 JINA_API_BASE_URL 时，把请求改发到那里：可以是网关、反向代理，
//   也可以是离线模拟器（先运行 python -m chroma_jina.testing --port 8080，
//   再设 JINA_API_BASE_URL=http://127.0.0.1:8080/v1）；
// - 每个请求最多等 30 秒；
// - Jina 对这个包的请求返回非 2xx 时，把 HTTP 状态码和 Jina 的错误信息写进报错。
// 这段代码要在第一个请求之前运行。
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
    // @chroma-core/jina 会丢掉状态码和 Jina 的错误信息：把两者写进报错。
    // 你自己发的请求（比如重排）照常拿到原始响应，包括 Retry-After。
    throw new Error(`HTTP ${response.status}: ${(await response.text()).slice(0, 500)}`);
  }
  return response;
};

// 你自己的代码不用改。密钥从 JINA_API_KEY 读取（重新打开的集合，
// 则读取集合配置里 api_key_env_var 指定的变量）；对模拟器来说，任何以 jina_ 开头的值都行。
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
});
const vectors = await passages.generate(["Chroma 负责存储向量。", "Jina 负责计算向量。"]);
console.log(`${vectors.length} 个向量，每个 ${vectors[0].length} 维`);
//> 2 个向量，每个 1024 维
