import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// @chroma-core/jina 没有 query_config：一个任务对应一个嵌入函数。
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
});
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});

// 记下每个发往 Jina API 的请求用的任务。
const sent: string[] = [];
const send = globalThis.fetch;
globalThis.fetch = (input, init) => {
  if (String(input).startsWith("https://api.jina.ai/")) {
    sent.push(JSON.parse(String(init?.body)).task);
  }
  return send(input, init);
};

const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "task-setup",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: ["wall", "1961", "capital"],
  documents: [
    "柏林墙将柏林分隔为东西两半。",
    "1961 年 8 月开始动工。",
    "柏林是德国的首都。",
  ],
});

const question = "柏林墙是哪一年建的？";
// 查询任务：自己向量化问题，再传入 queryEmbeddings。
await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 3,
});
// 用 queryTexts 的话，问题由集合的嵌入函数向量化，用的是段落任务。
await collection.query({ queryTexts: [question], nResults: 3 });
console.log(`upsert: ${sent[0]}, queryEmbeddings: ${sent[1]}, queryTexts: ${sent[2]}`);
//> upsert: retrieval.passage, queryEmbeddings: retrieval.query, queryTexts: retrieval.passage
