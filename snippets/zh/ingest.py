import chromadb

from chroma_jina import JinaEmbeddingFunction, ingest

jina = JinaEmbeddingFunction(  # (1)!
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
    dimensions=256,
)
client = chromadb.EphemeralClient()
collection = client.create_collection("tickets", embedding_function=jina)


def tickets(count):  # (2)!
    return (f"工单 {n}：{n % 7 + 1} 楼的打印机卡纸了。" for n in range(count))


def ticket_ids(count):
    return (f"ticket-{n}" for n in range(count))


stopped = ingest(collection, ids=ticket_ids(600), documents=tickets(600), progress=False)  # (3)!
again = ingest(collection, ids=ticket_ids(1000), documents=tickets(1000), progress=False)  # (4)!
for r in (stopped, again):
    print(f"新增 {r.added} 条，跳过 {r.skipped} 条，{r.requests} 个请求，{r.tokens} 个 token")
    #> 新增 600 条，跳过 0 条，2 个请求，9600 个 token
    #> 新增 400 条，跳过 600 条，1 个请求，6400 个 token
