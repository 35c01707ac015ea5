import numpy as np

from chroma_jina import JinaEmbeddingFunction

text = ["Binary embeddings are 32 times smaller."]
vectors = {}
for embedding_type in ["float", "base64", "binary", "ubinary"]:
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3", embedding_type=embedding_type
    )
    vectors[embedding_type] = vector = jina(text)[0]
    print(embedding_type, vector.dtype, vector.shape)
    #> float float32 (1024,)
    #> base64 float32 (1024,)
    #> binary float32 (1024,)
    #> ubinary float32 (1024,)

print(np.array_equal(vectors["float"], vectors["base64"]))  # (1)!
#> True
print(sorted(set(vectors["binary"].tolist())))  # (2)!
#> [-1.0, 1.0]
print(np.array_equal(vectors["binary"], np.where(vectors["float"] > 0, 1.0, -1.0)))
#> True
