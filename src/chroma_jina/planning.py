"""Pure planning: token estimates, a call split into requests under the caps, and the requests'
vectors put back in input order. No I/O, no clocks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chroma_jina.errors import MalformedResponseError
from chroma_jina.wire import Vector

DEFAULT_MAX_TOKENS_PER_REQUEST = 128_000
"""Estimated tokens per request (512 passages of about 250 tokens)."""
IMAGE_TILE, IMAGE_TILE_TOKENS = 224, 1_000
"""Images are billed by size: 1,000 tokens per 224x224 tile begun (an 896x896 image cost 16,000
tokens on jina-clip-v1, simonw/llm-jina-api#1; taken as the estimate for every model)."""


def most_tokens(item: object) -> int:
    """An upper bound on the tokens of one text: one per UTF-8 byte (no tokenizer uses more)
    plus room for special tokens and task instructions. 0 for an image."""
    return len(item.encode()) + 64 if isinstance(item, str) else 0


IMAGE_TOKENS = IMAGE_TILE_TOKENS
"""Estimate for an image whose size is not known here (a URL or base64 string): one tile."""


def image_tokens(height: int, width: int) -> int:
    """Tokens an image of this size is billed: 1,000 per 224x224 tile begun."""
    tiles = -(-max(1, height) // IMAGE_TILE) * -(-max(1, width) // IMAGE_TILE)
    return IMAGE_TILE_TOKENS * tiles


def estimate_tokens(item: object) -> int:
    """A cheap token estimate: ~4 characters per token for Latin text, one token per wide
    (e.g. CJK) character, plus the 2 special tokens Jina counts (whether it is above or below
    what a given model counts is known only for some: see the guide's Chinese page); an image
    (pixels, shape (h, w, ...)) by its size, as Jina bills it (`image_tokens`)."""
    if not isinstance(item, str):
        shape = getattr(item, "shape", (1, 1))
        return image_tokens(int(shape[0]), int(shape[1]))
    wide = (len(item.encode()) - len(item)) // 2
    return (len(item) - wide) // 4 + wide + 2


@dataclass(frozen=True)
class Job:
    """One validated embedding call: what to send and how to read the answers."""

    model: str
    items: Sequence[object]
    fields: Mapping[str, object]
    """Request fields besides model and input."""
    wire_type: str
    """Embedding type the responses come in."""
    dim: int | None
    """Expected vector length, None when unknown."""
    late_chunking: bool = False
    """Send the whole call as one request (one context); never split it."""
    each_alone: bool = False
    """Send every input in its own request (late-chunked queries must not share a context)."""
    context: int | None = None
    """The model's context in tokens per input, None when unknown."""


def plan_batches(job: Job, max_items: int, max_tokens: int) -> list[list[int]]:
    """Split a call into requests (lists of input positions, in order): at most `max_items`
    inputs and, where possible, `max_tokens` estimated tokens each."""
    n = len(job.items)
    if job.each_alone:
        return [[i] for i in range(n)]
    if job.late_chunking:
        if n > max_items:
            raise ValueError(
                f"late_chunking embeds one call as one context, so a call can hold at most "
                f"{max_items} inputs for {job.model!r}, got {n}. Pass the chunks of one "
                f"document (or a few) per call."
            )
        return [list(range(n))]
    return split_by_cost((estimate_tokens(item) for item in job.items), max_items, max_tokens)


def split_by_cost(costs: Iterable[int], max_items: int, max_tokens: int) -> list[list[int]]:
    """Positions split into requests, in order, of at most `max_items` each and, where
    possible, `max_tokens` summed costs (estimated tokens): an item costlier than that goes
    alone. No items: one empty request."""
    batches: list[list[int]] = []
    current: list[int] = []
    used = 0
    for i, cost in enumerate(costs):
        if current and (len(current) >= max_items or used + cost > max_tokens):
            batches.append(current)
            current, used = [], 0
        current.append(i)
        used += cost
    batches.append(current)
    return batches


def assemble(job: Job, results: Iterable[Mapping[int, Vector]]) -> list[Vector]:
    """The batches' vectors as one list in input order; raises rather than return a part."""
    placed: dict[int, Vector] = {}
    for got in results:
        placed.update(got)
    missing = [i for i in range(len(job.items)) if i not in placed]
    if missing:  # embed_batch guarantees this cannot happen; never return a partial list
        raise MalformedResponseError("vectors missing", input_indices=missing)
    return [placed[i] for i in range(len(job.items))]
