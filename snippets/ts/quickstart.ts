// Quickstart: embed with Jina AI, store in Chroma, query.
// Needs a Chroma server (`chroma run --path ./chroma-data` serves http://localhost:8000)
// and your key in the JINA_API_KEY environment variable.
import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction } from "@chroma-core/jina";

const embedder = new JinaEmbeddingFunction({
  modelName: "jina-embeddings-v2-base-en",
});

const vectors = await embedder.generate(["Chroma stores embeddings."]);
console.log(vectors.length, vectors[0].length);
//> 1 768

const client = new ChromaClient({ host: "localhost", port: 8000 });
const collection = await client.getOrCreateCollection({
  name: "quickstart",
  embeddingFunction: embedder,
});

await collection.add({
  ids: ["doc1", "doc2", "doc3"],
  documents: [
    "Chroma is an open-source vector database.",
    "Jina AI makes embedding models for text and images.",
    "The Great Wall of China is over 20,000 km long.",
  ],
});

const results = await collection.query({
  queryTexts: ["Which database stores vectors?"],
  nResults: 2,
});
console.log(results.ids[0]);
//> [ 'doc1', 'doc2' ]
