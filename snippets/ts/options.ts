import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// Documents: passage task, 256 of 1024 dimensions, late chunking.
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
  dimensions: 256,
  lateChunking: true,
});
// Queries: query task, the same dimensions, no late chunking.
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

// One upsert() is one request and, with late chunking, one context: upsert one
// document's chunks at a time (together within 8,192 tokens on jina-embeddings-v3).
const documents = [
  "Berlin is the capital of Germany.",
  "The city has a population of 3.85 million.",
  "It is the most populous city in the European Union.",
  "Berlin is known for its art scene and cultural institutions.",
];
await collection.upsert({
  ids: documents.map((_, i) => `berlin-${i}`),
  documents,
});

const questions = await queries.generate([
  "How many people live in Berlin?",
  "Which city is the most populous in the EU?",
]);
console.log(questions[0].length);
//> 256

const results = await collection.query({
  queryEmbeddings: questions,
  nResults: 1,
});
console.log(results.ids);
//> [ [ 'berlin-1' ], [ 'berlin-2' ] ]
