import numpy as np

from chroma_jina import JinaEmbeddingFunction

text = ["How do I reset my password?"]
model = "jina-embeddings-v3"
as_passage = JinaEmbeddingFunction(model_name=model, task="retrieval.passage")
as_query = JinaEmbeddingFunction(model_name=model, task="retrieval.query")
passage_vector = as_passage(text)[0]
query_vector = as_query(text)[0]
print(passage_vector.shape, np.allclose(passage_vector, query_vector))  # (1)!
#> (1024,) False

try:
    JinaEmbeddingFunction(model_name="jina-clip-v2", task="retrieval.passage")  # (2)!
except ValueError as error:
    problem = error
print(problem)
#> task='retrieval.passage' is not accepted by model 'jina-clip-v2'; allowed: ['retrieval.query']
