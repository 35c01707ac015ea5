from chroma_jina import JinaEmbeddingFunction, estimate_tokens

jina = JinaEmbeddingFunction(model_name="jina-embeddings-v3")
texts = [
    "向量数据库",
    "绿茶的冲泡水温在 80 摄氏度左右。",
    "Green tea is brewed at about 80 degrees Celsius.",
]
for text in texts:
    jina([text])
    billed = jina.last_usage.total_tokens  # (1)!
    print({"chars": len(text), "estimated": estimate_tokens(text), "emulator": billed})  # (2)!
    #> {'chars': 5, 'estimated': 7, 'emulator': 7}
    #> {'chars': 18, 'estimated': 17, 'emulator': 17}
    #> {'chars': 48, 'estimated': 14, 'emulator': 12}
