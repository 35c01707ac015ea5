import time

import httpx

from chroma_jina import JinaEmbeddingFunction
from chroma_jina.testing import JinaEmulator, TooManyRequests

emulator = JinaEmulator()  # (1)!
emulator.script(TooManyRequests(retry_after=1))
sent = []  # when each request left
jina = JinaEmbeddingFunction(
    api_key="jina_offline_emulator_key",
    model_name="jina-embeddings-v3",
    http_client=httpx.Client(
        transport=emulator.transport(),
        event_hooks={"request": [lambda request: sent.append(time.monotonic())]},
    ),
)
vectors = jina(["Invoice 1 was paid twice.", "Refund the second payment."])
waited = int(sent[1] - sent[0])
print("statuses:", [r.status for r in emulator.requests], f"retry sent {waited} s later")  # (2)!
#> statuses: [429, 200] retry sent 1 s later
print(len(vectors), "vectors,", jina.last_usage.requests, "requests")  # (3)!
#> 2 vectors, 2 requests
