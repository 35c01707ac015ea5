import httpx

from chroma_jina import JinaEmbeddingFunction

received = []


def count_bytes(response):  # (1)!
    response.read()
    received.append(len(response.content))


http = httpx.Client(event_hooks={"response": [count_bytes]})
text = ["Binary embeddings keep one bit per dimension."]
vectors = {}
for embedding_type in ["float", "base64", "binary", "ubinary"]:
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        embedding_type=embedding_type,
        wire_base64=False,  # (2)!
        http_client=http,
    )
    [vector] = vectors[embedding_type] = jina(text)
    stored = f"{len(vector)} x {vector.dtype} = {vector.nbytes:,} bytes"
    print(f"{embedding_type:<8} {received[-1]:>6,} bytes of body, stored as {stored}")  # (3)!
    #> float    13,460 bytes of body, stored as 1024 x float32 = 4,096 bytes
    #> base64    5,595 bytes of body, stored as 1024 x float32 = 4,096 bytes
    #> binary      849 bytes of body, stored as 1024 x float32 = 4,096 bytes
    #> ubinary     842 bytes of body, stored as 1024 x float32 = 4,096 bytes

print(sorted(set(vectors["binary"][0].tolist())))  # (4)!
#> [-1.0, 1.0]
print(((vectors["float"][0] > 0) == (vectors["binary"][0] > 0)).all())
#> True
