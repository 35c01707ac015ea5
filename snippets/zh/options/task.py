import json

import chromadb
import httpx

from chroma_jina import JinaEmbeddingFunction

sent = []
http = httpx.Client(event_hooks={"request": [lambda r: sent.append(json.loads(r.content))]})

documents = {
    "wall": "柏林墙将柏林分隔为东西两半。",
    "1961": "1961 年 8 月开始动工。",
    "capital": "柏林是德国的首都。",
}
question = "柏林墙是哪一年建的？"
setups = {  # (1)!
    "段落任务 + 查询任务": {
        "task": "retrieval.passage",
        "query_config": {"task": "retrieval.query"},
    },
    "两边都用段落任务": {"task": "retrieval.passage"},
    "两边都用 text-matching": {"task": "text-matching"},
}
client = chromadb.EphemeralClient()
for number, (setup, options) in enumerate(setups.items()):
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", http_client=http, **options)
    collection = client.create_collection(f"task-setup-{number}", embedding_function=jina)
    collection.add(ids=list(documents), documents=list(documents.values()))
    collection.query(query_texts=[question], n_results=3)
    add_task, query_task = sent[-2]["task"], sent[-1]["task"]  # add() 和 query() 各自发送的任务
    print(f"{setup}：add() 发送 {add_task}，query() 发送 {query_task}")  # (2)!
    #> 段落任务 + 查询任务：add() 发送 retrieval.passage，query() 发送 retrieval.query
    #> 两边都用段落任务：add() 发送 retrieval.passage，query() 发送 retrieval.passage
    #> 两边都用 text-matching：add() 发送 text-matching，query() 发送 text-matching

try:
    JinaEmbeddingFunction(model_name="jina-clip-v2", task="retrieval.passage")  # (3)!
except ValueError as error:
    print(error)
    """
    task='retrieval.passage' is not accepted by model 'jina-clip-v2'; allowed: ['retrieval.query']
    """
