import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction, type JinaArgs } from "@chroma-core/jina";

// The package never retries, and Chroma's client calls the function's own generate() for
// add()/upsert() with documents and for query({ queryTexts }): so the retry goes inside the
// function: at most 3 tries with a doubling pause (0.5, 1 s), for a 429, a 5xx or no answer. The
// package's error names no status: with the fetch replacement (Another base URL) it says
// "HTTP <status>", without it every failure is tried again. A limiter on requests in flight
// (p-limit, say) belongs in this method too; left out here.
class RetryingJina extends JinaEmbeddingFunction {
  private readonly queries?: RetryingJina;

  constructor(args: Partial<JinaArgs>, queryTask?: string) {
    super(args);
    if (queryTask) this.queries = new RetryingJina({ ...args, task: queryTask });
  }

  async generate(texts: string[]): Promise<number[][]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.generate(texts);
      } catch (error) {
        // "HTTP 429: ..." comes from the fetch replacement; no status: a timeout or network error.
        const status = Number(/\bHTTP (\d{3})\b/.exec(String(error))?.[1] ?? 0);
        const retriable = status === 0 || status === 429 || status >= 500;
        if (!retriable || attempt + 1 >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  // Chroma's client embeds queryTexts with generateForQueries() when the function has one.
  async generateForQueries(texts: string[]): Promise<number[][]> {
    return (this.queries ?? this).generate(texts);
  }
}

const client = new ChromaClient({ host: "localhost", port: 8000 });
// Created and filled from Python with chroma-jina: jina-embeddings-v3,
// retrieval.passage, query_config {"task": "retrieval.query"},
// api_key_env_var "JINA_API_KEY" (the variable both languages read).
// Pass your own function, with the same model, task and dimensions.
const collection = await client.getCollection({
  name: "handbook",
  // The second argument is the query task, which the package cannot read from query_config.
  embeddingFunction: new RetryingJina(
    { modelName: "jina-embeddings-v3", task: "retrieval.passage" },
    "retrieval.query",
  ),
});
const result = await collection.query({
  queryTexts: ["How does a team ship a release?"],
  nResults: 2,
});
console.log(result.ids[0]);
//> [ 'release', 'laptop' ]
