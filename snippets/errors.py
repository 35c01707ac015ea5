from chroma_jina import JinaEmbeddingFunction, JinaError

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en")
try:
    jina(["A text", {"title": "not a text"}])  # (1)!
except ValueError as error:
    print(type(error).__name__, "input 1" in str(error))  # (2)!
    #> ValueError True

try:
    jina(["Far too long. " * 5000])  # (3)!
except JinaError as error:  # (4)!
    print(type(error).__name__, error.status, error.code)
    #> InvalidRequestError 400 INPUT_TOKEN_LIMIT_EXCEEDED
    print(error.request_id is not None, bool(error.hint))
    #> True True
