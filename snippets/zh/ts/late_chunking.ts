import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

const documents: Record<string, string[]> = {
  shanghai: [
    "上海是长江入海口的港口城市。",
    "这座城市有 2487.5 万常住人口。",
    "它的集装箱吞吐量连续多年位居世界第一。",
  ],
  beijing: [
    "北京是中国的首都。",
    "这座城市有 2185.8 万常住人口。",
    "它以故宫和胡同闻名。",
  ],
};
// 问题用查询任务向量化，不开延迟分块。
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
const question = await queries.generate(["上海有多少常住人口？"]);

const client = new ChromaClient({ host: "localhost", port: 8000 });
for (const lateChunking of [false, true]) {
  const passages = new JinaEmbeddingFunction({
    modelName: "jina-embeddings-v3",
    task: "retrieval.passage",
    lateChunking,
  });
  const collection = await client.getOrCreateCollection({
    name: `cities-late-chunking-${lateChunking}`,
    embeddingFunction: passages,
  });
  // 每篇文档单独 upsert 一次：一次调用一个请求；开了延迟分块时，同一篇文档的片段共享一段上下文。
  for (const [city, chunks] of Object.entries(documents)) {
    await collection.upsert({
      ids: chunks.map((_, i) => `${city}-${i}`),
      documents: chunks,
    });
  }
  const found = await collection.query({ queryEmbeddings: question, nResults: 2 });
  console.log(`lateChunking=${lateChunking}:`, found.ids[0]);
  //> lateChunking=false: [ 'beijing-1', 'shanghai-1' ]
  //> lateChunking=true: [ 'shanghai-1', 'beijing-1' ]
}
