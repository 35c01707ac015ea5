from chroma_jina.models import MODELS, lookup

info = lookup("jina-embeddings-v3")
print(info.dimensions, info.matryoshka, info.context)
#> 1024 (32, 1024) 8192
print(info.tasks)
#> ('retrieval.query', 'retrieval.passage', 'text-matching', 'classification', 'separation')
for name in sorted(name for name, model in MODELS.items() if model.multimodal):
    print(name)
    #> jina-clip-v1
    #> jina-clip-v2
    #> jina-embeddings-v4
    #> jina-embeddings-v5-omni-nano
    #> jina-embeddings-v5-omni-small
print(lookup("my-fine-tuned-model"))  # (1)!
#> None
