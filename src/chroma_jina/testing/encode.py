"""Response bodies written the way api.jina.ai writes them.

Compact JSON, keys in the order model/object/usage/data, and float32 numbers written
positionally with the fewest digits that read back to the same float32 (never exponent form).
Vectors are rounded to 6 significant digits first, which float32 always reads back exactly,
so the numbers can be laid out by vectorised table look-ups instead of one `repr` per number.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

import numpy as np

_SIG = 6
_ZEROS = 4
"""Leading zeros after "0." handled by the fast path (values down to 1e-5); others go the slow way."""


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round to 6 significant digits: (mantissa int64, decimal exponent s, float32 values).

    Each value is mantissa * 10**-s with 100000 <= |mantissa| < 1000000, or mantissa 0.
    """
    mag = np.abs(vectors)
    tiny = mag < 1e-15
    exp = np.floor(np.log10(np.where(tiny, 1.0, mag))).astype(np.int64)
    s = (_SIG - 1) - exp
    mant = np.rint(vectors * _pow10(s))
    over = np.abs(mant) >= 10**_SIG
    if over.any():  # log10 rounding at exact powers of ten
        s = np.where(over, s - 1, s)
        mant = np.rint(vectors * _pow10(s))
    mant = np.where(tiny, 0, mant).astype(np.int64)
    values = (mant / _pow10(s)).astype(np.float32)
    return mant, s, values


def _pow10(s: np.ndarray) -> np.ndarray:
    return np.power(10.0, s.astype(np.float64))


@lru_cache(maxsize=1)
def _digit_table() -> np.ndarray:
    """ASCII digits of 100000..999999, trailing zeros blanked (NUL), first digit always kept."""
    n = np.arange(10 ** (_SIG - 1), 10**_SIG)
    digits = (n[:, None] // 10 ** np.arange(_SIG - 1, -1, -1)) % 10
    keep = np.flip(np.logical_or.accumulate(np.flip(digits != 0, 1), 1), 1)
    keep[:, 0] = True
    return np.where(keep, digits + 48, 0).astype(np.uint8)


@lru_cache(maxsize=1)
def _prefix_table() -> np.ndarray:
    """Row (negative * (_ZEROS + 1) + zeros): "-"? + "0." + zeros, NUL padded."""
    width = 3 + _ZEROS
    table = np.zeros((2 * (_ZEROS + 1), width), np.uint8)
    for neg in (0, 1):
        for z in range(_ZEROS + 1):
            text = ("-" if neg else "") + "0." + "0" * z
            table[neg * (_ZEROS + 1) + z, : len(text)] = np.frombuffer(text.encode(), np.uint8)
    return table


def _slow(m: int, s: int) -> bytes:
    if m == 0:
        return b"0.0"
    text = f"{m / 10.0**s:.{max(s, 1)}f}".rstrip("0")
    return (text + "0" if text.endswith(".") else text).encode()


def float_arrays(mant: np.ndarray, s: np.ndarray) -> list[bytes]:
    """One JSON array per row, e.g. b"[0.0161489,-0.2,1.5]"."""
    n, d = mant.shape
    zeros = s - _SIG
    fast = (mant != 0) & (zeros >= 0) & (zeros <= _ZEROS)
    neg = mant < 0
    prefix_row = np.where(fast, neg * (_ZEROS + 1) + np.clip(zeros, 0, _ZEROS), 0)
    body = np.abs(mant) - 10 ** (_SIG - 1)
    slow = {
        (i, j): _slow(int(mant[i, j]), int(s[i, j])) for i, j in zip(*np.nonzero(~fast))
    }
    pw = _prefix_table().shape[1]
    width = max([pw + _SIG] + [len(text) for text in slow.values()]) + 1
    cells = np.zeros((n, d, width), np.uint8)
    cells[:, :, :pw] = _prefix_table()[prefix_row]
    cells[:, :, pw : pw + _SIG] = _digit_table()[np.where(fast, body, 0)]
    cells[:, :, -1] = ord(",")
    cells[:, -1, -1] = ord("]")
    for (i, j), text in slow.items():
        cells[i, j, :-1] = 0
        cells[i, j, : len(text)] = np.frombuffer(text, np.uint8)
    flat = cells.reshape(n, -1)
    lengths = np.count_nonzero(flat, axis=1)
    data = flat[flat != 0].tobytes()
    out, pos = [], 0
    for length in lengths.tolist():
        out.append(b"[" + data[pos : pos + length])
        pos += length
    return out


def base64_strings(values: np.ndarray) -> list[bytes]:
    """JSON strings of base64 little-endian float32, one per row."""
    raw = values.astype("<f4")
    return [b'"' + base64.b64encode(row.tobytes()) + b'"' for row in raw]


_BYTE_TEXT = [f"{v}.0".encode() for v in range(-128, 256)]


def packed_arrays(values: np.ndarray, offset: bool) -> list[bytes]:
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
        {"model": model, "object": "list", "usage": usage}, separators=(",", ":"), ensure_ascii=False
    ).encode()[:-1]
    items = b",".join(
        b'{"object":"embedding","index":%d,"embedding":%s}' % (i, encoded[i]) for i in order
    )
    return head + b',"data":[' + items + b"]}"
