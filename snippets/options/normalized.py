import chromadb

from chroma_jina import JinaEmbeddingFunction

documents = {
    "1": "Unit vectors have length one.",
    "2": "A unit vector has a length of one.",
    "3": "Every unit vector has length one.",
    "4": "Vectors of length one are unit vectors.",
    "5": "The length of a unit vector is one.",
}
question = "What length does a unit vector have?"
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
        #> normalized=True cosine: ['2', '5', '1'] [0.162, 0.164, 0.167]
        #> normalized=True l2: ['2', '5', '1'] [0.323, 0.328, 0.335]
        #> normalized=True ip: ['2', '5', '1'] [0.162, 0.164, 0.167]
        #> normalized=False cosine: ['2', '5', '1'] [0.162, 0.164, 0.167]
        #> normalized=False l2: ['2', '1', '5'] [59.549, 59.734, 61.051]
        #> normalized=False ip: ['5', '2', '4'] [-154.67, -153.479, -152.107]
