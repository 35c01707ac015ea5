import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

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
  name: "eiffel-facts-zh",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: ["faq", "built", "height", "louvre", "visits"],
  documents: [
    "游客常问埃菲尔铁塔是什么时候建成的，又为什么要建。",
    "古斯塔夫·埃菲尔的公司在 1889 年 3 月完成了这座铁塔，赶上了世界博览会。",
    "埃菲尔铁塔高 330 米。",
    "卢浮宫是世界上参观人数最多的博物馆。",
    "每年约有 700 万人参观埃菲尔铁塔。",
  ],
});

const question = "埃菲尔铁塔是什么时候建成的？";
const found = await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 4,
});
const ids = found.ids[0];
console.log("重排前", ids);
//> 重排前 [ 'faq', 'height', 'visits', 'built' ]

// 没有文档的结果不要发送：即使换成空字符串，它也会被打分、参与排序。
const candidates = ids.flatMap((id, i) => {
  const document = found.documents[0][i];
  return document == null ? [] : [{ id, document }];
});

// Chroma 的 TypeScript 客户端没有重排功能：自己把候选结果 POST 到 /v1/rerank。
const response = await fetch("https://api.jina.ai/v1/rerank", {
  method: "POST",
  headers: {
    Authorization: `Bearer ${process.env.JINA_API_KEY}`,
    "Content-Type": "application/json",
  },
  body: JSON.stringify({
    model: "jina-reranker-v3.5",
    query: question,
    documents: candidates.map((candidate) => candidate.document),
    top_n: 2,
    return_documents: false,
  }),
});
if (!response.ok) {
  throw new Error(`Jina answered ${response.status}: ${await response.text()}`);
}
type Reranked = {
  results: { index: number; relevance_score: number }[];
  usage: { total_tokens: number };
};
const { results, usage } = (await response.json()) as Reranked;
// 结果按相关性从高到低排列；`index` 是文档在请求里的位置。
console.log("重排后", results.map((result) => candidates[result.index].id));
//> 重排后 [ 'built', 'faq' ]
console.log("计费 token 数", usage.total_tokens);
//> 计费 token 数 107
