"""Deterministic lexical stand-in vectors.

Not Jina's model. A text's vector is a weighted bag of its words (and, for Chinese, of its
characters and character pairs): each feature is hashed with SHAKE-256 (so the result is the
same in every process, without Python's hash()) to a few signed positions in every band of
dimensions 0-32, 32-64, 64-128, ... up to the model's size, so any Matryoshka prefix keeps
some of every feature, coarser the shorter it is. Texts that share words are closer;
paraphrases without shared words are not. A question word adds the kind of answer it asks
for ("When ..." meets passages with years and centuries); the task adds its own
offset, so query and passage vectors differ; late chunking mixes each input with its
neighbours; a small per-text component keeps different texts apart.
"""

from __future__ import annotations

import hashlib
import math
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from chroma_jina.models import ModelInfo

from . import tokens

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]

_PER_BAND = 2
_NOISE = 0.2
_TASK = 0.3
_KIND = 1.0
_CUE_QUERY = 1.2
_CUE_OTHER = 1.0
_NEIGHBOUR = 0.35
_DECAY = 0.6
_UNNORMALIZED_NORM = 14.5


def _row_norms(matrix: Floats) -> Floats:
    """The length of each row, as a column (n, 1)."""
    norms: Floats = np.linalg.norm(matrix, axis=1, keepdims=True)
    return norms


@lru_cache(maxsize=16)
def _bands(dims: int) -> tuple[Ints, Ints]:
    """Start and width of each band of dimensions: 0-32, 32-64, 64-128, ..., last one to `dims`."""
    edges = [0, 32]
    while edges[-1] < dims:
        edges.append(min(edges[-1] * 2, dims))
    edges = sorted({min(e, dims) for e in edges})
    starts = np.repeat(np.asarray(edges[:-1]), _PER_BAND)
    widths = np.repeat(np.diff(edges), _PER_BAND)
    return starts, widths


@lru_cache(maxsize=200_000)
def _digest(key: str) -> bytes:
    return hashlib.shake_256(key.encode()).digest(64)


def _positions(keys: list[str], dims: int) -> tuple[Ints, Floats]:
    """For each key, its hashed positions (k, slots) and signed amplitudes in a `dims` vector.

    A slot's weight grows with the square root of its band's width, so most of a feature sits
    in the wide bands, where two features rarely collide.
    """
    starts, widths = _bands(dims)
    slots = len(starts)
    raw = np.frombuffer(b"".join(map(_digest, keys)), np.uint16).reshape(len(keys), 32)
    pos = starts + raw[:, :slots].astype(np.int64) % widths
    amp = np.sqrt(widths / widths.sum())
    signs = np.where(raw[:, 16 : 16 + slots] & 1, amp, -amp)
    return pos, signs


@lru_cache(maxsize=32)
def _model_signs(model: str, dims: int) -> Floats:
    """A fixed +1/-1 per dimension and model, so two models never share a vector space."""
    raw = np.frombuffer(hashlib.shake_256(f"signs:{model}".encode()).digest(dims), np.uint8)
    return np.where(raw & 1, 1.0, -1.0)


_NOISE_ROWS = 4096


@lru_cache(maxsize=8)
def _noise_table(model: str, dims: int) -> Floats:
    """A fixed table of unit-length pseudo-random vectors per model, for the per-text part."""
    raw = hashlib.shake_256(f"noise:{model}".encode()).digest(_NOISE_ROWS * dims)
    table = np.frombuffer(raw, np.uint8).reshape(_NOISE_ROWS, dims).astype(np.float64) - 127.5
    return table / _row_norms(table)


def _text_noise(items: list[str], model: str, dims: int) -> Floats:
    """Each text's own small component: the sum of two table rows picked by its hash."""
    digests = b"".join(hashlib.blake2b(i.encode(), digest_size=4).digest() for i in items)
    picks = np.frombuffer(digests, "<u2").reshape(len(items), 2).astype(np.int64) % _NOISE_ROWS
    table = _noise_table(model, dims)
    noise: Floats = table[picks[:, 0]] + table[picks[:, 1] ^ 1]
    return noise / _row_norms(noise)


def _dense(keys: list[str], dims: int) -> Floats:
    """Unit-length pseudo-random dense vectors for `keys`."""
    raw = b"".join(hashlib.shake_256(k.encode()).digest(dims) for k in keys)
    vec = np.frombuffer(raw, np.uint8).reshape(len(keys), dims).astype(np.float64) - 127.5
    return vec / _row_norms(vec)


def _lexical(
    items: list[str], analyses: list[tokens.Analysis | None], cue_weight: float
) -> tuple[Ints, list[str], Ints, Floats]:
    """The features of all items: (row of each entry, distinct keys, key of each entry, weight).

    Each occurrence of a word is one entry; an image is one feature.
    """
    rows: list[int] = []
    pieces: list[bytes] = []
    extra: list[tuple[int, str, float]] = []
    for i, (item, analysis) in enumerate(zip(items, analyses, strict=False)):
        if analysis is None:
            extra.append((i, item, 1.0))
            continue
        pieces.extend(analysis.pieces)
        rows.extend([i] * len(analysis.pieces))
        extra.extend((i, k, w or cue_weight) for k, w in analysis.extra.items())
    distinct = list(dict.fromkeys(pieces))
    feats = [tokens.feature(p) for p in distinct]
    keys = list(
        dict.fromkeys([f[0] for f in feats] + [f[2] for f in feats if f[2]] + [e[1] for e in extra])
    )
    key_index = {k: j for j, k in enumerate(keys)}
    piece_index = {p: j for j, p in enumerate(distinct)}
    which = np.fromiter(map(piece_index.__getitem__, pieces), np.int64, len(pieces))
    piece_key = np.array([key_index[f[0]] for f in feats], np.int64)
    piece_weight = np.array([f[1] for f in feats])
    piece_kind = np.array([key_index[f[2]] if f[2] else -1 for f in feats], np.int64)
    row = np.asarray(rows, np.int64)
    kind = piece_kind[which]
    has_kind = kind >= 0
    kind_pairs = np.unique(np.stack([row[has_kind], kind[has_kind]]), axis=1)
    extra_rows = np.array([e[0] for e in extra], np.int64)
    extra_keys = np.array([key_index[e[1]] for e in extra], np.int64)
    return (
        np.concatenate([row, kind_pairs[0], extra_rows]),
        keys,
        np.concatenate([piece_key[which], kind_pairs[1], extra_keys]),
        np.concatenate(
            [
                piece_weight[which],
                np.full(kind_pairs.shape[1], _KIND),
                np.array([e[2] for e in extra], np.float64),
            ]
        ),
    )


def embed(
    items: list[str],
    analyses: list[tokens.Analysis | None],
    model: ModelInfo,
    task: str | None,
    late_chunking: bool,
    normalized: bool,
    dimensions: int | None,
) -> Floats:
    """Vectors for `items` (texts with their analyses, or "image:<digest>" references).

    Returns float64 (n, dims), unit length when `normalized`.
    """
    task = task or model.default_task
    cue = _CUE_QUERY if task and task.endswith(".query") else _CUE_OTHER
    dims = model.dimensions
    n = len(items)
    rows, keys, which, weights = _lexical(items, analyses, cue)
    lex = np.zeros((n, dims))
    if keys:
        pos, signs = _positions(keys, dims)
        flat = (rows[:, None] * dims + pos[which]).ravel()
        vals = (signs[which] * weights[:, None]).ravel()
        counts = np.bincount(flat, weights=vals, minlength=n * dims)  # float64: weighted
        lex = counts.reshape(n, dims).astype(np.float64, copy=False)
        lex *= _model_signs(model.name, dims)
    lex /= np.maximum(np.linalg.norm(lex, axis=1, keepdims=True), 1e-12)
    if late_chunking and n > 1:
        gaps = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
        mix = np.where(gaps == 0, 1.0, _NEIGHBOUR * _DECAY ** np.maximum(gaps - 1, 0))
        lex = mix @ lex
        lex /= np.maximum(np.linalg.norm(lex, axis=1, keepdims=True), 1e-12)
    full = lex + _NOISE * _text_noise(items, model.name, dims)
    if task:
        full += _TASK * _dense([f"task:{model.name}:{task}"], dims)
    out = full[:, :dimensions] if dimensions else full
    if normalized:
        return out / _row_norms(out)
    scale = _UNNORMALIZED_NORM * (0.9 + 0.2 * (np.abs(full[:, :1]) * math.sqrt(dims) % 1.0))
    return out / _row_norms(full) * scale
