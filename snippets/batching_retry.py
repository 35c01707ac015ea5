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
vectors = jina(["Invoice 1 was paid twice.", "Refund the second payment."])
print(log.lines[0].split(" after: ")[0])  # (3)!
#> INFO retry 1 for 2 inputs in 1.00s
print(len(vectors), "vectors,", jina.last_usage.requests, "requests")  # (4)!
#> 2 vectors, 2 requests
