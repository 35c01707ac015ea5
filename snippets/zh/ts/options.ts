import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// 文档：段落任务，取 1024 维中的前 256 维，开启延迟分块。
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
  dimensions: 256,
  lateChunking: true,
});
// 查询：查询任务，维度相同，不开延迟分块。
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
  dimensions: 256,
});

const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "late-chunking",
  embeddingFunction: passages,
});

// 一次 upsert() 只发一个请求；开了延迟分块，这几个片段就在同一段上下文里向量化。
// 所以每次 upsert() 只放同一篇文档的片段（jina-embeddings-v3 上合计不超过 8192 个 token）。
const documents = [
  "柏林是德国的首都，也是德国最大的城市。",
  "这座城市有 12 个区。",
  "它是欧盟人口最多的城市。",
  "柏林以艺术氛围和众多文化机构闻名。",
];
await collection.upsert({
  ids: documents.map((_, i) => `berlin-${i}`),
  documents,
});

const questions = await queries.generate(["柏林有多少个区？", "欧盟哪座城市人口最多？"]);
console.log(questions[0].length);
//> 256

const results = await collection.query({
  queryEmbeddings: questions,
  nResults: 1,
});
console.log(results.ids);
//> [ [ 'berlin-1' ], [ 'berlin-2' ] ]
