"""Response bodies written the way api.jina.ai writes them.

Compact JSON, keys in the order model/object/usage/data, and float32 numbers written
positionally with the fewest digits that read back to the same float32, never in exponent
form (`0.0016148885`, `-0.26197305`, `0.000015258789`). orjson writes numpy float32 rows in
that shortest form; the few numbers it writes with an exponent (below 1e-6) are rewritten.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import orjson
import pybase64
from numpy.typing import NDArray

_EXPONENT = re.compile(rb"-?[0-9.]+e[-+]?[0-9]+")


def _positional(match: re.Match[bytes]) -> bytes:
    value = np.float32(float(match.group()))
    text = np.format_float_positional(value, unique=True, trim="-")
    return (text if "." in text else text + ".0").encode()


def float_arrays(values: NDArray[np.floating[Any]]) -> list[bytes]:
    """One JSON array of float32 numbers per row, e.g. b"[0.0016148885,-0.26197305,1.5]"."""
    values = np.ascontiguousarray(values, np.float32)
    rows = [orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) for row in values]
    return [_EXPONENT.sub(_positional, row) if b"e" in row else row for row in rows]


def base64_strings(values: NDArray[np.floating[Any]]) -> list[bytes]:
    """JSON strings of base64 little-endian float32, one per row."""
    raw = values.astype("<f4")
    return [b'"' + pybase64.b64encode(row.tobytes()) + b'"' for row in raw]


_BYTE_TEXT = [f"{v}.0".encode() for v in range(-128, 256)]


def packed_arrays(values: NDArray[np.floating[Any]], offset: bool) -> list[bytes]:
    """Sign bits packed MSB first, as JSON arrays of floats; `offset` gives binary (byte - 128)."""
    packed = np.packbits(values > 0, axis=1).astype(np.int64)
    if offset:
        packed -= 128
    return [b"[" + b",".join(_BYTE_TEXT[v + 128] for v in row) + b"]" for row in packed.tolist()]


def embeddings_body(
    model: str, usage: dict[str, int], encoded: list[bytes], order: list[int]
) -> bytes:
    """The success envelope; `order` lists the indices of the data entries, in output order."""
    head = json.dumps(
        {"model": model, "object": "list", "usage": usage},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()[:-1]
    items = b",".join(
        b'{"object":"embedding","index":%d,"embedding":%s}' % (i, encoded[i]) for i in order
    )
    return head + b',"data":[' + items + b"]}"
