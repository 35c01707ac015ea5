import asyncio

import numpy as np

from chroma_jina import JinaEmbeddingFunction


async def main():
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    texts = ["Chroma stores vectors.", "Jina computes vectors."]
    documents, [query] = await asyncio.gather(  # (1)!
        jina.aembed(texts),
        jina.aembed_query(["Who computes vectors?"]),
    )
    scores = np.array(documents) @ query
    print(texts[int(np.argmax(scores))])
    #> Jina computes vectors.


asyncio.run(main())
