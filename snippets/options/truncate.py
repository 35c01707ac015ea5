from chroma_jina import InvalidRequestError, JinaEmbeddingFunction

long_text = "Chroma stores embeddings. " * 3000  # (1)!

cut = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en", truncate=True)
print(len(cut([long_text])[0]))  # (2)!
#> 768

strict = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en", truncate=False)
try:
    strict([long_text])
except InvalidRequestError as error:  # (3)!
    print(error.status, error.code)
    #> 400 INPUT_TOKEN_LIMIT_EXCEEDED
