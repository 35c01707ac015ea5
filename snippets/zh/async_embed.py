import asyncio

import numpy as np

from chroma_jina import JinaEmbeddingFunction


async def main():
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    texts = ["Chroma 负责存储向量。", "Jina 负责计算向量。"]
    documents, [query] = await asyncio.gather(  # (1)!
        jina.aembed(texts),
        jina.aembed_query(["向量由谁来计算？"]),
    )
    scores = np.array(documents) @ query
    print(texts[int(np.argmax(scores))])
    #> Jina 负责计算向量。


asyncio.run(main())
