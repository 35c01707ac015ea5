import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

const documents: Record<string, string> = {
  tea: "绿茶的冲泡水温在 80 摄氏度左右。",
  coffee: "意式浓缩咖啡是用高压热水冲过咖啡粉萃取而成的。",
  bread: "酸种面包靠野生酵母发酵。",
};

// 密钥从 JINA_API_KEY 读取。modelName 一定要写：
// 默认模型是 jina-clip-v2。
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
});

// 连接用 `chroma run --path ./chroma-data` 启动的 Chroma 服务器。
const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "kitchen-notes",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: Object.keys(documents),
  documents: Object.values(documents),
});

// @chroma-core/jina 不能给查询单独设任务：问题要交给
// 另一个设了查询任务的嵌入函数来向量化。
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
const [question] = await queries.generate(["泡绿茶用多少度的水？"]);
console.log(question.length);
//> 1024

const result = await collection.query({
  queryEmbeddings: [question],
  nResults: 1,
});
console.log(result.ids[0], result.documents[0]);
//> [ 'tea' ] [ '绿茶的冲泡水温在 80 摄氏度左右。' ]
