import logging

import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, TooManyRequests


class Remember(logging.Handler):  # (1)!
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(f"{record.levelname} {record.getMessage()}")


log = Remember()
logging.getLogger("chroma_jina").addHandler(log)
logging.getLogger("chroma_jina").setLevel(logging.INFO)

emulator = JinaEmulator()  # (2)!
emulator.script(TooManyRequests(retry_after=1))
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",
    model_name="jina-embeddings-v3",
    http_client=httpx.Client(transport=emulator.transport()),
)
vectors = jina(["1 号发票被重复支付了。", "请退还第二笔付款。"])
print(log.lines[0].split(" after: ")[0])  # (3)!
#> INFO retry 1 for 2 inputs in 1.00s
print(f"{len(vectors)} 个向量，{jina.last_usage.requests} 个请求")  # (4)!
#> 2 个向量，2 个请求
