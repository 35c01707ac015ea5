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
        "Visitors often ask when the Eiffel Tower was built and why it was built.",
        "Gustave Eiffel's company finished the tower in March 1889, for the World's Fair.",
        "The Eiffel Tower is 330 metres tall.",
        "The Louvre is the world's most visited museum.",
        "About seven million people visit the Eiffel Tower every year.",
    ],
)
reranker = JinaReranker()  # (1)!


async def search(question: str) -> str | None:  # (2)!
    try:  # (3)!
        [vector] = await asyncio.wait_for(jina.aembed_query([question]), timeout=1)
    except (JinaError, TimeoutError, ValueError) as error:
        logging.getLogger(__name__).warning("search unavailable: %r", error)
        return None  # answer 503 in a real handler
    found = await asyncio.to_thread(
        collection.query, query_embeddings=[vector], n_results=4
    )
    try:  # (4)!
        reranked = await asyncio.wait_for(
            reranker.arerank_results(question, found, top_n=1), timeout=2
        )
    except (JinaError, TimeoutError, ValueError) as error:
        logging.getLogger(__name__).warning("rerank skipped: %r", error)
        reranked = found  # Chroma's order
    ids = reranked["ids"][0]
    return ids[0] if ids else None


async def main() -> None:
    questions = [
        "When was the Eiffel Tower built?",
        "How tall is the Eiffel Tower?",
        "How many people visit the Eiffel Tower?",
    ]
    print(await asyncio.gather(*(search(q) for q in questions)))  # (5)!
    #> ['built', 'height', 'visits']


asyncio.run(main())
