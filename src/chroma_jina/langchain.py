"""LangChain's `Embeddings` over a `JinaEmbeddingFunction` (the `langchain` extra).

`langchain_chroma.Chroma` embeds with the `Embeddings` it is given and hands Chroma the vectors;
given none, it leaves the embedding to the collection's saved function, rebuilt from its config
for every call, and refuses MMR from a text query and `update_documents`. This adapter gives it the
same function the collection was created with, so LangChain stores exactly the vectors the
collection would, queries with the query task, and runs on that function's client, key budget,
retries and typed errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.callbacks import Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.embeddings import Embeddings
from pydantic import ConfigDict

from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.rerank import JinaReranker, RankedDocument

__all__ = ["JinaEmbeddings", "JinaRerank"]


def as_lists(vectors: Sequence[object]) -> list[list[float]]:
    """float32 vectors as the lists of floats the frameworks pass around."""
    return [np.asarray(vector, dtype=np.float32).tolist() for vector in vectors]


class JinaEmbeddings(Embeddings):
    """LangChain embeddings that are a chroma-jina collection's own function.

    Documents are embedded as the function embeds documents (`function(texts)`: its `task`),
    queries as it embeds queries (`function.embed_query`: its `query_config` on top), one
    request plan, budget and retry policy for both, sync and async.
    """

    def __init__(self, function: JinaEmbeddingFunction) -> None:
        if not isinstance(function, JinaEmbeddingFunction):
            raise TypeError(
                "JinaEmbeddings wraps a chroma_jina.JinaEmbeddingFunction (the one the "
                f"collection was created with), got {type(function).__name__}"
            )
        self.function = function

    def __repr__(self) -> str:
        return f"JinaEmbeddings({self.function!r})"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed documents with the function's document task."""
        return as_lists(self.function(list(texts))) if texts else []

    def embed_query(self, text: str) -> list[float]:
        """Embed one query with the function's query settings."""
        return as_lists(self.function.embed_query([text]))[0]

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """Async `embed_documents`, on the function's async client (no thread pool)."""
        return as_lists(await self.function.aembed(list(texts))) if texts else []

    async def aembed_query(self, text: str) -> list[float]:
        """Async `embed_query`."""
        return as_lists(await self.function.aembed_query([text]))[0]


class JinaRerank(BaseDocumentCompressor):
    """A LangChain document compressor that reorders retrieved documents with a `JinaReranker`,
    best first, keeping `top_n` (all when None); each keeps its id and metadata and gains
    `relevance_score`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    reranker: JinaReranker
    top_n: int | None = 3

    def compress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Rerank `documents` against `query`."""
        if not documents:
            return []
        texts = [document.page_content for document in documents]
        return _ranked(documents, self.reranker.rerank(query, texts, top_n=self.top_n))

    async def acompress_documents(
        self, documents: Sequence[Document], query: str, callbacks: Callbacks | None = None
    ) -> Sequence[Document]:
        """Async `compress_documents`, on the reranker's async client."""
        if not documents:
            return []
        texts = [document.page_content for document in documents]
        return _ranked(documents, await self.reranker.arerank(query, texts, top_n=self.top_n))


def _ranked(documents: Sequence[Document], ranking: list[RankedDocument]) -> list[Document]:
    def scored(document: Document, score: float) -> Document:
        metadata: dict[str, Any] = {**document.metadata, "relevance_score": score}
        return document.model_copy(update={"metadata": metadata})

    return [scored(documents[r.index], r.score) for r in ranking]
