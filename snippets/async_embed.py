import asyncio

from chroma_jina import JinaEmbeddingFunction


async def main():
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
    )
    documents, queries = await asyncio.gather(  # (1)!
        jina.aembed(["Chroma stores vectors.", "Jina computes vectors."]),
        jina.aembed_query(["Who computes vectors?"]),
    )
    print(len(documents), len(queries), queries[0].shape)
    #> 2 1 (1024,)


asyncio.run(main())
