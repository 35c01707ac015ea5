"""A drop-in Jina AI embedding function for Chroma.

Importing this package registers `JinaEmbeddingFunction` with Chroma under the name "jina".
"""

from chroma_jina import errors
from chroma_jina.client import Usage
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
from chroma_jina.ingest import IngestError, IngestReport, InvalidRecordError, ingest
from chroma_jina.tracking import UsageTracker, track_usage

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "IgnoredOptionsWarning",
    "ImageLoader",
    "IngestError",
    "IngestReport",
    "InsufficientBalanceError",
    "InvalidRecordError",
    "InvalidRequestError",
    "JinaEmbeddingFunction",
    "JinaError",
    "JinaTimeoutError",
    "MalformedResponseError",
    "MissingAPIKeyError",
    "ModelLanguageWarning",
    "NetworkError",
    "RateLimitError",
    "ServerError",
    "Usage",
    "UsageTracker",
    "ValidationError",
    "__version__",
    "errors",
    "ingest",
    "track_usage",
]
