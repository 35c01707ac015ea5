import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

const documents: Record<string, string> = {
  tea: "Green tea is brewed at about 80 degrees Celsius.",
  coffee: "Espresso is brewed by forcing hot water through ground coffee.",
  bread: "Sourdough bread rises with wild yeast.",
};

// The key comes from JINA_API_KEY. Always pass modelName:
// the default model is jina-clip-v2.
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
});

// A server started with `chroma run --path ./chroma-data`.
const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "kitchen-notes",
  embeddingFunction: passages,
});
await collection.upsert({
  ids: Object.keys(documents),
  documents: Object.values(documents),
});

// @chroma-core/jina cannot give queries their own task: embed questions
// with a second function that uses the query task.
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
const [question] = await queries.generate([
  "At what temperature is green tea brewed?",
]);
console.log(question.length);
//> 1024

const result = await collection.query({
  queryEmbeddings: [question],
  nResults: 1,
});
console.log(result.ids[0], result.documents[0]);
//> [ 'tea' ] [ 'Green tea is brewed at about 80 degrees Celsius.' ]
