from chroma_jina import JinaEmbeddingFunction

chunks = [  # (1)!
    "北京是中国的首都。",
    "这座城市有 2185.8 万常住人口。",
    "它以故宫和胡同闻名。",
]
question = "北京有多少常住人口？"
for late_chunking in (False, True):
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        late_chunking=late_chunking,
        query_config={"task": "retrieval.query", "late_chunking": False},
    )
    vectors = jina(chunks)  # (2)!
    [query] = jina.embed_query([question])
    similarity = [round(float(vector @ query), 2) for vector in vectors]
    print(f"late_chunking={late_chunking}:", similarity)  # (3)!
    #> late_chunking=False: [0.18, 0.42, -0.01]
    #> late_chunking=True: [0.31, 0.44, 0.16]
