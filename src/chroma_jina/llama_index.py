"""LlamaIndex's `BaseEmbedding` over a `JinaEmbeddingFunction` (the `llama-index` extra).

`ChromaVectorStore` never lets the collection embed: it stores the vectors LlamaIndex's embed
model made and queries with the vector of the query. This adapter makes that embed model the
collection's own function, with queries (`_get_query_embedding`) and documents
(`_get_text_embedding(s)`) kept on their own tasks, and whole batches handed to chroma-jina,
which plans the requests, shares the key's budget, retries and raises typed errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle
from pydantic import PrivateAttr

from chroma_jina.embedding_function import JinaEmbeddingFunction
from chroma_jina.rerank import JinaReranker, RankedDocument

__all__ = ["JinaEmbedding", "JinaRerank"]


def as_lists(vectors: Sequence[object]) -> list[Embedding]:
    """float32 vectors as the lists of floats LlamaIndex passes around."""
    return [np.asarray(vector, dtype=np.float32).tolist() for vector in vectors]


MAX_EMBED_BATCH_SIZE = 2048
"""LlamaIndex's cap on `embed_batch_size`; chroma-jina splits each batch into requests itself."""


class JinaEmbedding(BaseEmbedding):
    """A LlamaIndex embed model that is a chroma-jina collection's own function.

    `embed_batch_size` (default 2048, LlamaIndex's maximum) is how many texts LlamaIndex hands
    over at once, not a request size: the function's `batch_size` and token caps decide that.
    """

    _function: JinaEmbeddingFunction = PrivateAttr()

    def __init__(self, function: JinaEmbeddingFunction, **kwargs: Any) -> None:
        if not isinstance(function, JinaEmbeddingFunction):
            raise TypeError(
                "JinaEmbedding wraps a chroma_jina.JinaEmbeddingFunction (the one the "
                f"collection was created with), got {type(function).__name__}"
            )
        kwargs.setdefault("embed_batch_size", MAX_EMBED_BATCH_SIZE)
        super().__init__(model_name=function.model_name, **kwargs)
        self._function = function

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes the model under."""
        return "ChromaJinaEmbedding"

    @property
    def function(self) -> JinaEmbeddingFunction:
        """The wrapped function."""
        return self._function

    def _get_query_embedding(self, query: str) -> Embedding:
        return as_lists(self._function.embed_query([query]))[0]

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return as_lists(await self._function.aembed_query([query]))[0]

    def _get_text_embedding(self, text: str) -> Embedding:
        return as_lists(self._function([text]))[0]

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return as_lists(await self._function.aembed([text]))[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return as_lists(self._function(list(texts))) if texts else []

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return as_lists(await self._function.aembed(list(texts))) if texts else []


class JinaRerank(BaseNodePostprocessor):
    """A LlamaIndex node postprocessor that reorders retrieved nodes with a `JinaReranker`,
    best first, keeping `top_n` (all when None), each scored by relevance. A node is ranked on
    its text alone, as it is stored in Chroma."""

    top_n: int | None = 3
    _reranker: JinaReranker = PrivateAttr()

    def __init__(self, reranker: JinaReranker, top_n: int | None = 3, **kwargs: Any) -> None:
        if not isinstance(reranker, JinaReranker):
            raise TypeError(
                f"JinaRerank wraps a chroma_jina.JinaReranker, got {type(reranker).__name__}"
            )
        super().__init__(**kwargs)
        self.top_n = top_n
        self._reranker = reranker

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex serializes the postprocessor under."""
        return "ChromaJinaRerank"

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes:
            return []
        query, texts = _inputs(nodes, query_bundle)
        return _ranked(nodes, self._reranker.rerank(query, texts, top_n=self.top_n))

    async def _apostprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        if not nodes:
            return []
        query, texts = _inputs(nodes, query_bundle)
        return _ranked(nodes, await self._reranker.arerank(query, texts, top_n=self.top_n))


def _inputs(nodes: list[NodeWithScore], query_bundle: QueryBundle | None) -> tuple[str, list[str]]:
    if query_bundle is None:
        raise ValueError("JinaRerank needs the query: pass query_str= (or query_bundle=)")
    return query_bundle.query_str, [
        n.node.get_content(metadata_mode=MetadataMode.NONE) for n in nodes
    ]


def _ranked(nodes: list[NodeWithScore], ranking: list[RankedDocument]) -> list[NodeWithScore]:
    return [NodeWithScore(node=nodes[r.index].node, score=r.score) for r in ranking]
