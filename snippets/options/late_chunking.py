import numpy as np

from chroma_jina import JinaEmbeddingFunction

chunks = [  # (1)!
    "Berlin is the capital and largest city of Germany.",
    "The city has about 3.8 million inhabitants.",
    "It is known for its museums and its night life.",
]
plain = JinaEmbeddingFunction(model_name="jina-embeddings-v3", task="retrieval.passage")
late = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3", task="retrieval.passage", late_chunking=True
)
plain_vectors = plain(chunks)
late_vectors = late(chunks)  # (2)!
print(len(late_vectors), late.last_usage.requests)
#> 3 1
print(np.allclose(plain_vectors[1], late_vectors[1]))  # (3)!
#> False
