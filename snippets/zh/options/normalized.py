import numpy as np

from chroma_jina import JinaEmbeddingFunction

text = ["对单位向量来说，点积和余弦相似度是一回事。"]
for normalized in [True, False]:
    jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3", normalized=normalized)
    vector = jina(text)[0]
    print(normalized, round(float(np.linalg.norm(vector)), 3))  # (1)!
    #> True 1.0
    #> False 15.812
