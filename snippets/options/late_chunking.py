from chroma_jina import JinaEmbeddingFunction

chunks = [  # (1)!
    "Berlin is the capital of Germany.",
    "The city has 3.7 million inhabitants.",
    "It is known for its museums and night life.",
]
question = "How many inhabitants does Berlin have?"
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
    #> late_chunking=False: [0.22, 0.37, 0.01]
    #> late_chunking=True: [0.33, 0.41, 0.18]
