import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {  # (1)!
    "shanghai": [
        "上海是长江入海口的港口城市。",
        "这座城市有 2487.5 万常住人口。",
        "它的集装箱吞吐量连续多年位居世界第一。",
    ],
    "beijing": [
        "北京是中国的首都。",
        "这座城市有 2185.8 万常住人口。",
        "它以故宫和胡同闻名。",
    ],
}
question = "上海有多少常住人口？"

client = chromadb.EphemeralClient()  # (2)!
for late_chunking in (False, True):  # (3)!
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",  # (4)!
        late_chunking=late_chunking,
        query_config={"task": "retrieval.query", "late_chunking": False},  # (5)!
    )
    collection = client.create_collection(
        f"cities-late-chunking-{late_chunking}".lower(), embedding_function=jina
    )
    for city, chunks in documents.items():  # (6)!
        collection.add(ids=[f"{city}-{i}" for i in range(len(chunks))], documents=chunks)
    found = collection.query(query_texts=[question], n_results=2)
    distances = [round(d, 2) for d in found["distances"][0]]
    print(f"late_chunking={late_chunking}:", found["ids"][0], distances)  # (7)!
    #> late_chunking=False: ['beijing-1', 'shanghai-1'] [0.56, 0.57]
    #> late_chunking=True: ['shanghai-1', 'beijing-1'] [0.54, 0.6]
