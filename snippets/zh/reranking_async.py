import asyncio
import logging

import chromadb

from chroma_jina import JinaEmbeddingFunction, JinaError, JinaReranker

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",
    task="retrieval.passage",
    query_config={"task": "retrieval.query"},
)
collection = chromadb.EphemeralClient().create_collection(
    "eiffel-server", embedding_function=jina
)
collection.add(
    ids=["faq", "built", "height", "louvre", "visits"],
    documents=[
        "游客常问埃菲尔铁塔是什么时候建成的，又为什么要建。",
        "古斯塔夫·埃菲尔的公司在 1889 年 3 月完成了这座铁塔，赶上了世界博览会。",
        "埃菲尔铁塔高 330 米。",
        "卢浮宫是世界上参观人数最多的博物馆。",
        "每年约有 700 万人参观埃菲尔铁塔。",
    ],
)
reranker = JinaReranker()  # (1)!


async def search(question: str) -> str | None:  # (2)!
    try:  # (3)!
        [vector] = await asyncio.wait_for(jina.aembed_query([question]), timeout=1)
    except (JinaError, TimeoutError, ValueError) as error:
        logging.getLogger(__name__).warning("跳过检索：%r", error)
        return None  # 真实的服务在这里返回 503
    found = await asyncio.to_thread(
        collection.query, query_embeddings=[vector], n_results=4
    )
    try:  # (4)!
        reranked = await asyncio.wait_for(
            reranker.arerank_results(question, found, top_n=1), timeout=2
        )
    except (JinaError, TimeoutError, ValueError) as error:
        logging.getLogger(__name__).warning("跳过重排：%r", error)
        reranked = found  # 沿用 Chroma 的顺序
    ids = reranked["ids"][0]
    return ids[0] if ids else None


async def main() -> None:
    questions = [
        "埃菲尔铁塔是什么时候建成的？",
        "埃菲尔铁塔有多高？",
        "每年有多少人参观埃菲尔铁塔？",
    ]
    print(await asyncio.gather(*(search(q) for q in questions)))  # (5)!
    #> ['built', 'height', 'visits']


asyncio.run(main())
