import numpy as np

from chroma_jina import JinaEmbeddingFunction

documents = [
    "Green tea is brewed at about 80 degrees Celsius.",
    "Black tea needs boiling water and four minutes.",
    "Espresso is brewed by forcing hot water through ground coffee.",
    "A French press steeps coarse coffee for four minutes.",
    "Sourdough bread rises with wild yeast.",
    "Rye bread is dense and keeps for a week.",
    "Berlin is the capital of Germany.",
    "Paris is the capital of France.",
    "The Rhine flows through Germany and the Netherlands.",
    "Chroma stores embeddings and their documents.",
    "Jina AI trains embedding models for search.",
    "Binary vectors keep one bit per dimension.",
]
questions = [
    "How hot should the water be for green tea?",
    "How is espresso made?",
    "What makes bread rise?",
    "What is the capital of France?",
    "Which database stores embeddings?",
    "How long does coffee steep?",
]


def top_three(dimensions):
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        task="retrieval.passage",
        query_config={"task": "retrieval.query"},
        dimensions=dimensions,  # (1)!
    )
    vectors = np.array(jina(documents))
    scores = np.array(jina.embed_query(questions)) @ vectors.T
    return vectors[0].nbytes, np.argsort(-scores, axis=1)[:, :3]


_, full = top_three(None)  # (2)!
for dimensions in (256, 128, 64, 32):
    size, top = top_three(dimensions)
    same = int((top[:, 0] == full[:, 0]).sum())
    shared = np.mean([len(set(a) & set(b)) / 3 for a, b in zip(top, full, strict=True)])
    agreement = f"same best hit {same}/6, top-3 overlap {shared:.0%}"
    print(f"{dimensions:>4} dims, {size:>4} bytes: {agreement}")  # (3)!
    #>  256 dims, 1024 bytes: same best hit 6/6, top-3 overlap 89%
    #>  128 dims,  512 bytes: same best hit 6/6, top-3 overlap 78%
    #>   64 dims,  256 bytes: same best hit 6/6, top-3 overlap 83%
    #>   32 dims,  128 bytes: same best hit 5/6, top-3 overlap 61%

try:
    JinaEmbeddingFunction(model_name="jina-embeddings-v3", dimensions=2048)  # (4)!
except ValueError as error:
    print(error)
    #> dimensions=2048 is out of range for model 'jina-embeddings-v3'; allowed: 32..1024
