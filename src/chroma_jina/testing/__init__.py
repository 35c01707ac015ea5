"""An offline emulator of the Jina Embeddings API, for tests, recordings and benchmarks.

The vectors are deterministic lexical stand-ins, not Jina's model: texts that share words
are close, paraphrases are not. Use it to test how code talks to the API (requests, errors,
retries, rate limits, ordering), not the quality of search results.

    emu = JinaEmulator()
    client = httpx.Client(transport=emu.transport())      # or httpx.AsyncClient
    with emu.serve() as base_url:                         # "http://127.0.0.1:PORT/v1"
        ...
"""

from .emulator import (
    EMULATOR_HEADER,
    EMULATOR_ID,
    EmulatorStats,
    JinaEmulator,
    RecordedRequest,
)
from .faults import (
    DroppedConnection,
    DuplicatedIndex,
    ErrorReply,
    Fault,
    HTMLErrorPage,
    MissingIndices,
    RandomFaults,
    RawReply,
    ServerFailure,
    ShuffledIndices,
    SlowResponse,
    TooManyRequests,
    When,
)
from .limits import Latency, RateLimits
from .transport import EmulatorTransport

__all__ = [
    "EMULATOR_HEADER",
    "EMULATOR_ID",
    "DroppedConnection",
    "DuplicatedIndex",
    "EmulatorStats",
    "EmulatorTransport",
    "ErrorReply",
    "Fault",
    "HTMLErrorPage",
    "JinaEmulator",
    "Latency",
    "MissingIndices",
    "RandomFaults",
    "RateLimits",
    "RawReply",
    "RecordedRequest",
    "ServerFailure",
    "ShuffledIndices",
    "SlowResponse",
    "TooManyRequests",
    "When",
]
