import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// 文档和查询用同样的 dimensions：1024 维里取前 256 维。
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
  dimensions: 256,
});
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
  dimensions: 256,
});

const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "kitchen-notes-256",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: ["tea", "coffee", "bread"],
  documents: [
    "绿茶的冲泡水温在 80 摄氏度左右。",
    "意式浓缩咖啡是用高压热水冲过咖啡粉萃取而成的。",
    "酸种面包靠野生酵母发酵。",
  ],
});

const question = ["面包靠什么发酵？"];
const short = await queries.generate(question);
const found = await collection.query({ queryEmbeddings: short, nResults: 1 });
console.log(short[0].length, found.ids[0]);
//> 256 [ 'bread' ]

// 用完整的 1024 维查询向量去查这个 256 维的集合，Chroma 会拒绝。
const full = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
try {
  await collection.query({ queryEmbeddings: await full.generate(question), nResults: 1 });
} catch (error) {
  // 报错信息里 `status: ` 之后是 Chroma 自己的报错：集合要求的维度和实际收到的维度。
  console.log((error as Error).message.split("status: ")[1]);
  //> Collection expecting embedding with dimension of 256, got 1024
}
