import time

import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, TooManyRequests

emulator = JinaEmulator()  # (1)!
emulator.script(TooManyRequests(retry_after=1))
sent = []  # 每个请求发出的时刻
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",
    model_name="jina-embeddings-v3",
    http_client=httpx.Client(
        transport=emulator.transport(),
        event_hooks={"request": [lambda request: sent.append(time.monotonic())]},
    ),
)
vectors = jina(["1 号发票被重复支付了。", "请退还第二笔付款。"])
waited = int(sent[1] - sent[0])
statuses = [r.status for r in emulator.requests]
print(f"状态码：{statuses}，第二个请求晚发 {waited} 秒")  # (2)!
#> 状态码：[429, 200]，第二个请求晚发 1 秒
print(f"{len(vectors)} 个向量，{jina.last_usage.requests} 个请求")  # (3)!
#> 2 个向量，2 个请求
