from chroma_jina import JinaEmbeddingFunction

short = JinaEmbeddingFunction(model_name="jina-embeddings-v3", dimensions=256)  # (1)!
vector = short(["Matryoshka embeddings can be shortened."])[0]
print(vector.shape, vector.dtype)
#> (256,) float32
print(short.get_config()["dimensions"])  # (2)!
#> 256

try:
    JinaEmbeddingFunction(model_name="jina-embeddings-v3", dimensions=2048)  # (3)!
except ValueError as error:
    print(error)
    #> dimensions=2048 is out of range for model 'jina-embeddings-v3'; allowed: 32..1024
