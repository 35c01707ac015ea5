import textwrap

from chroma_jina import JinaEmbeddingFunction, JinaError

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
try:
    jina(["一段文本", {"title": "不是文本"}])  # (1)!
except ValueError as error:
    print(str(error).split(";")[0])  # (2)!
    #> input 1 is a dict

try:
    jina(["太长了。" * 5000])  # (3)!
except JinaError as error:  # (4)!
    print(type(error).__name__, error.status, error.code)
    #> InvalidRequestError 400 INPUT_TOKEN_LIMIT_EXCEEDED
    print(textwrap.fill(error.hint, width=72))
    """
    An input is longer than the model's context: pass truncate=True, or
    split the text into chunks that fit.
    """
