import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// @chroma-core/jina has no query_config: one function per task.
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
    "The Berlin Wall divided the city.",
    "Construction began in August 1961.",
    "Berlin is the capital of Germany.",
  ],
});

const question = "When was the wall built?";
// The query task: embed the question yourself and pass queryEmbeddings.
const withQueryTask = await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 3,
});
// queryTexts embeds the question with the collection's function: the passage task.
const withPassageTask = await collection.query({ queryTexts: [question], nResults: 3 });
console.log(withQueryTask.ids[0], withPassageTask.ids[0]);
//> [ '1961', 'wall', 'capital' ] [ 'wall', '1961', 'capital' ]
