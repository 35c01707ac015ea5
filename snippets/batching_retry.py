import time

import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, TooManyRequests

emulator = JinaEmulator()  # (1)!
emulator.script(TooManyRequests(retry_after=1))
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",
    model_name="jina-embeddings-v3",
    http_client=httpx.Client(transport=emulator.transport()),
)
start = time.monotonic()
vectors = jina(["Invoice 1 was paid twice.", "Refund the second payment."])
waited = int(time.monotonic() - start)
print("statuses:", [r.status for r in emulator.requests], f"after {waited} s")  # (2)!
#> statuses: [429, 200] after 1 s
print(len(vectors), "vectors,", jina.last_usage.requests, "requests")  # (3)!
#> 2 vectors, 2 requests
