import { ChromaClient } from "chromadb";
import { JinaEmbeddingFunction, type JinaArgs } from "@chroma-core/jina";

// 这个包从不重试；Chroma 的客户端在带文档的 add()/upsert()
// 和 query({ queryTexts }) 里，也会调用嵌入函数自己的 generate()。
// 所以重试要写进嵌入函数：遇到 429、5xx 或没有响应时最多试 3 次，间隔每次翻倍（0.5 秒、1 秒）。
// 这个包的报错不带状态码。导入了替换 fetch 的代码（见“换一个 base URL”）时，
// 报错里会有 "HTTP 429: ..." 这样的状态码；没导入时，任何失败都会重试。
// 限制在途请求数的代码（比如用 p-limit）也应放进 generate()，本示例从略。
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
        // "HTTP 429: ..." 来自替换 fetch 的代码；没有状态码的是超时或网络错误。
        const status = Number(/\bHTTP (\d{3})\b/.exec(String(error))?.[1] ?? 0);
        const retriable = status === 0 || status === 429 || status >= 500;
        if (!retriable || attempt + 1 >= 3) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
      }
    }
  }

  // Chroma 的客户端用 queryTexts 查询时，会调用嵌入函数的 generateForQueries()（有的话）。
  async generateForQueries(texts: string[]): Promise<number[][]> {
    return (this.queries ?? this).generate(texts);
  }
}

const client = new ChromaClient({ host: "localhost", port: 8000 });
// 这个集合由 Python 端用 chroma-jina 创建并写入：jina-embeddings-v3、
// retrieval.passage、query_config {"task": "retrieval.query"}，
// api_key_env_var 为 "JINA_API_KEY"（两种语言都读这个变量）。
// 传入自己的嵌入函数，模型、任务和维度都和 Python 端相同。
const collection = await client.getCollection({
  name: "handbook-zh",
  // 第二个参数是查询任务：这个包读不到 query_config。
  embeddingFunction: new RetryingJina(
    { modelName: "jina-embeddings-v3", task: "retrieval.passage" },
    "retrieval.query",
  ),
});
const result = await collection.query({
  queryTexts: ["团队怎样发布新版本？"],
  nResults: 2,
});
console.log(result.ids[0]);
//> [ 'release', 'laptop' ]
