"""A drop-in Jina AI embedding function for Chroma.

Importing this package registers `JinaEmbeddingFunction` with Chroma under the name "jina".

The names below are the public surface; the modules behind them (`client`, `steps`, `planning`,
`pacing`, `wire`, ...) are the library's own and may change between releases.
"""

from chroma_jina import errors
from chroma_jina.aingestion import aingest
from chroma_jina.client import Pending, Stream
from chroma_jina.clock import Clock
from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.errors import (
    AuthenticationError,
    ConfigurationError,
    IgnoredOptionsWarning,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    MissingAPIKeyError,
    ModelLanguageWarning,
    NetworkError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from chroma_jina.images import ImageLoader
from chroma_jina.ingestion import (
    DocumentsTooLargeError,
    IngestError,
    IngestReport,
    InvalidRecordError,
    OverQuotaError,
    ingest,
)
from chroma_jina.planning import estimate_tokens
from chroma_jina.rerank import JinaReranker, RankedDocument
from chroma_jina.tracking import UsageTracker, track_usage
from chroma_jina.usage import Usage

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "Clock",
    "ConfigurationError",
    "DocumentsTooLargeError",
    "IgnoredOptionsWarning",
    "ImageLoader",
    "IngestError",
    "IngestReport",
    "InsufficientBalanceError",
    "InvalidRecordError",
    "InvalidRequestError",
    "JinaEmbeddingFunction",
    "JinaError",
    "JinaReranker",
    "JinaTimeoutError",
    "MalformedResponseError",
    "MissingAPIKeyError",
    "ModelLanguageWarning",
    "NetworkError",
    "OverQuotaError",
    "Pending",
    "RankedDocument",
    "RateLimitError",
    "ServerError",
    "Stream",
    "Usage",
    "UsageTracker",
    "ValidationError",
    "__version__",
    "aingest",
    "errors",
    "estimate_tokens",
    "ingest",
    "track_usage",
]
