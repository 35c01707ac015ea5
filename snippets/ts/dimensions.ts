import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// Documents and queries: the same dimensions, 256 of 1024.
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
    "Green tea is brewed at about 80 degrees Celsius.",
    "Espresso is brewed by forcing hot water through ground coffee.",
    "Sourdough bread rises with wild yeast.",
  ],
});

const question = ["What makes bread rise?"];
const short = await queries.generate(question);
const found = await collection.query({ queryEmbeddings: short, nResults: 1 });
console.log(short[0].length, found.ids[0]);
//> 256 [ 'bread' ]

// A query at full size does not fit a collection of 256-dimensional vectors.
const full = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
try {
  await collection.query({ queryEmbeddings: await full.generate(question), nResults: 1 });
} catch (error) {
  // Chroma's message, after the request URL: what the collection expects.
  console.log((error as Error).message.split("status: ")[1]);
  //> Collection expecting embedding with dimension of 256, got 1024
}
