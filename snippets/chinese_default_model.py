import warnings

from chroma_jina import JinaEmbeddingFunction, ModelLanguageWarning

english_only = JinaEmbeddingFunction()  # (1)!
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    english_only(["绿茶的冲泡水温在 80 摄氏度左右。"])
print(english_only.model_name, caught[0].category.__name__)
#> jina-embeddings-v2-base-en ModelLanguageWarning

multilingual = JinaEmbeddingFunction(model_name="jina-embeddings-v3")  # (2)!
with warnings.catch_warnings():
    warnings.simplefilter("error", ModelLanguageWarning)
    vectors = multilingual(["绿茶的冲泡水温在 80 摄氏度左右。"])
print(vectors[0].shape)
#> (1024,)
