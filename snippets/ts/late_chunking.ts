import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

const documents: Record<string, string[]> = {
  berlin: [
    "Berlin is the capital of Germany.",
    "The city has 3.7 million inhabitants.",
    "It is known for its museums and night life.",
  ],
  hamburg: [
    "Hamburg is a port on the river Elbe.",
    "The city has 1.9 million inhabitants.",
    "Its harbour is the largest in Germany.",
  ],
};
// Queries: the query task, never late chunking.
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
});
const question = await queries.generate(["How many inhabitants does Berlin have?"]);

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
  // One upsert per document: one request each, so with late chunking its chunks share one context.
  for (const [city, chunks] of Object.entries(documents)) {
    await collection.upsert({
      ids: chunks.map((_, i) => `${city}-${i}`),
      documents: chunks,
    });
  }
  const found = await collection.query({ queryEmbeddings: question, nResults: 2 });
  console.log(`lateChunking=${lateChunking}:`, found.ids[0]);
  //> lateChunking=false: [ 'hamburg-1', 'berlin-1' ]
  //> lateChunking=true: [ 'berlin-1', 'hamburg-1' ]
}
