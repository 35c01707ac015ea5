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
const withQueryTask = await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 3,
});
// 用 queryTexts 的话，问题由集合的嵌入函数向量化，用的是段落任务。
const withPassageTask = await collection.query({ queryTexts: [question], nResults: 3 });
console.log(withQueryTask.ids[0], withPassageTask.ids[0]);
//> [ '1961', 'wall', 'capital' ] [ 'wall', '1961', 'capital' ]
