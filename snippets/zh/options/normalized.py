import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {
    "1": "单位向量的长度是一。",
    "2": "单位向量的长度等于一。",
    "3": "每个单位向量的长度都是一。",
    "4": "长度为一的向量叫单位向量。",
    "5": "单位向量就是长度为一的向量。",
}
question = "单位向量有多长？"
client = chromadb.EphemeralClient()
for normalized in [True, False]:
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", normalized=normalized)
    for space in ["cosine", "l2", "ip"]:  # (1)!
        collection = client.create_collection(
            f"{space}-{normalized}",
            embedding_function=jina,
            configuration={"hnsw": {"space": space}},
        )
        collection.add(ids=list(documents), documents=list(documents.values()))
        found = collection.query(query_texts=[question], n_results=3)
        distances = [round(d, 3) for d in found["distances"][0]]
        print(f"normalized={normalized} {space}:", found["ids"][0], distances)  # (2)!
        #> normalized=True cosine: ['5', '1', '4'] [0.322, 0.336, 0.342]
        #> normalized=True l2: ['5', '1', '4'] [0.644, 0.673, 0.684]
        #> normalized=True ip: ['5', '1', '4'] [0.322, 0.336, 0.342]
        #> normalized=False cosine: ['5', '1', '4'] [0.322, 0.336, 0.342]
        #> normalized=False l2: ['1', '5', '4'] [129.187, 143.033, 144.722]
        #> normalized=False ip: ['5', '4', '1'] [-145.117, -135.855, -126.328]
