import httpx

from chroma_jina import JinaEmbeddingFunction

received = []


def count_bytes(response):  # (1)!
    response.read()
    received.append(len(response.content))


http = httpx.Client(event_hooks={"response": [count_bytes]})
text = ["二值向量每一维只占 1 比特。"]
vectors = {}
for embedding_type in ["float", "base64", "binary", "ubinary"]:
    jina = JinaEmbeddingFunction(
        model_name="jina-embeddings-v3",
        embedding_type=embedding_type,
        wire_base64=False,  # (2)!
        http_client=http,
    )
    [vector] = vectors[embedding_type] = jina(text)
    stored = f"{len(vector)} 个 {vector.dtype} = {vector.nbytes} 字节"
    print(f"{embedding_type:<8} 响应体 {received[-1]:>5} 字节，存储为 {stored}")  # (3)!
    #> float    响应体 13303 字节，存储为 1024 个 float32 = 4096 字节
    #> base64   响应体  5595 字节，存储为 1024 个 float32 = 4096 字节
    #> binary   响应体   852 字节，存储为 1024 个 float32 = 4096 字节
    #> ubinary  响应体   840 字节，存储为 1024 个 float32 = 4096 字节

print(sorted(set(vectors["binary"][0].tolist())))  # (4)!
#> [-1.0, 1.0]
print(((vectors["float"][0] > 0) == (vectors["binary"][0] > 0)).all())
#> True
