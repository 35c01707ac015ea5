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

// Record the task of each request to the Jina API.
const sent: string[] = [];
const send = globalThis.fetch;
globalThis.fetch = (input, init) => {
  if (String(input).startsWith("https://api.jina.ai/")) {
    sent.push(JSON.parse(String(init?.body)).task);
  }
  return send(input, init);
};

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
await collection.query({
  queryEmbeddings: await queries.generate([question]),
  nResults: 3,
});
// queryTexts embeds the question with the collection's function: the passage task.
await collection.query({ queryTexts: [question], nResults: 3 });
console.log(`upsert: ${sent[0]}, queryEmbeddings: ${sent[1]}, queryTexts: ${sent[2]}`);
//> upsert: retrieval.passage, queryEmbeddings: retrieval.query, queryTexts: retrieval.passage
