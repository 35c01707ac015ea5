from chroma_jina import JinaEmbeddingFunction

jina = JinaEmbeddingFunction(
    model_name="jina-embeddings-v3",  # (1)!
    task="retrieval.passage",
    dimensions=256,
    timeout=30.0,  # (2)!
    max_retries=3,
    batch_size=128,
)
config = jina.get_config()
for key in sorted(config):
    print(key)
    #> api_key_env_var
    #> dimensions
    #> embedding_type
    #> late_chunking
    #> model_name
    #> normalized
    #> query_config
    #> task
    #> truncate
print(config["api_key_env_var"], config["dimensions"])
#> CHROMA_JINA_API_KEY 256
print("timeout" in config, "batch_size" in config)
#> False False
