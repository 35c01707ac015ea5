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
  name: "eiffel-facts",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: ["faq", "built", "height", "louvre", "visits"],
  documents: [
    "Visitors often ask when the Eiffel Tower was built and why it was built.",
    "Gustave Eiffel's company finished the tower in March 1889, for the World's Fair.",
    "The Eiffel Tower is 330 metres tall.",
    "The Louvre is the world's most visited museum.",
    "About seven million people visit the Eiffel Tower every year.",
  ],
});

const question = "When was the Eiffel Tower built?";
const found = await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 4,
});
const ids = found.ids[0];
console.log("before:", ids);
//> before: [ 'faq', 'height', 'visits', 'built' ]

// Send only results that have a document: an empty string would be ranked too.
const candidates = ids.flatMap((id, i) => {
  const document = found.documents[0][i];
  return document == null ? [] : [{ id, document }];
});

// Chroma's TypeScript client has no reranker: POST the candidates to /v1/rerank.
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
// Results come best first; `index` is the position in the documents sent.
console.log("after:", results.map((result) => candidates[result.index].id));
//> after: [ 'built', 'faq' ]
console.log("tokens billed:", usage.total_tokens);
//> tokens billed: 71
