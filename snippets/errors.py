from chroma_jina import JinaEmbeddingFunction, JinaError

try:
    JinaEmbeddingFunction(api_key_env_var="MY_UNSET_JINA_KEY")  # (1)!
except ValueError as error:  # (2)!
    print(type(error).__name__)
    #> MissingAPIKeyError

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en")
try:
    jina(["Far too long. " * 5000])  # (3)!
except JinaError as error:  # (4)!
    print(type(error).__name__, error.status, error.code)
    #> InvalidRequestError 400 INPUT_TOKEN_LIMIT_EXCEEDED
    print(error.request_id is not None, bool(error.hint))
    #> True True
