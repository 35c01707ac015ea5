from chroma_jina import InvalidRequestError, JinaEmbeddingFunction

long_text = "Chroma 负责存储向量。" * 2000  # (1)!
penguins = long_text + "最后一句讲的是企鹅。"
volcanoes = long_text + "最后一句讲的是火山。"

cut = JinaEmbeddingFunction(model_name="jina-embeddings-v3", truncate=True)
first, second = cut([penguins, volcanoes])  # (2)!
print(first.shape, round(float(first @ second), 4))
#> (1024,) 1.0

strict = JinaEmbeddingFunction(model_name="jina-embeddings-v3")  # (3)!
try:
    strict(["一条简短的笔记。", penguins])
except InvalidRequestError as error:  # (4)!
    print(error.code, error.at_fault)
    #> INPUT_TOKEN_LIMIT_EXCEEDED [1]
    print(strict.last_usage)
    #> Usage(total_tokens=0, prompt_tokens=None, requests=2)
