from chroma_jina import InvalidRequestError, JinaEmbeddingFunction

long_text = "Chroma stores embeddings. " * 3000  # (1)!
penguins = long_text + "The last line is about penguins."
volcanoes = long_text + "The last line is about volcanoes."

cut = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en", truncate=True)
first, second = cut([penguins, volcanoes])  # (2)!
print(first.shape, round(float(first @ second), 4))
#> (768,) 1.0

strict = JinaEmbeddingFunction(model_name="jina-embeddings-v2-base-en")  # (3)!
try:
    strict(["A short note.", penguins])
except InvalidRequestError as error:  # (4)!
    print(error.code, error.at_fault)
    #> INPUT_TOKEN_LIMIT_EXCEEDED [1]
    print(strict.last_usage)
    #> Usage(total_tokens=0, prompt_tokens=None, requests=2)
