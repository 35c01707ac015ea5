// Options: task, dimensions and late chunking with jina-embeddings-v3.
// Needs a Chroma server on http://localhost:8000 and JINA_API_KEY.
import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

// Documents: the passage task, 256-dimensional vectors (Matryoshka), and
// late chunking: the texts of one generate() call are embedded in one context,
// so "Its" and "The city" below still know they are about Berlin.
const passages = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.passage",
  dimensions: 256,
  lateChunking: true,
});

// Queries: @chroma-core/jina has no query task of its own, so embed queries
// with a second function that uses the query task and the same dimensions.
const queries = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v3",
  task: "retrieval.query",
  dimensions: 256,
});

const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "berlin",
  embeddingFunction: passages,
});

// One add() = one generate() call = one late-chunking context: add the
// chunks of one document together.
await collection.add({
  ids: ["berlin-1", "berlin-2", "berlin-3"],
  documents: [
    "Berlin is the capital and largest city of Germany.",
    "Its more than 3.85 million inhabitants make it the most populous city of the EU.",
    "The city is also one of the states of Germany.",
  ],
});

const [queryVector] = await queries.generate(["How many people live in Berlin?"]);
console.log(queryVector.length);
//> 256

const results = await collection.query({
  queryEmbeddings: [queryVector],
  nResults: 1,
});
console.log(results.ids[0], results.documents[0]);
//> [ 'berlin-2' ] [ 'Its more than 3.85 million inhabitants make it the most populous city of the EU.' ]
