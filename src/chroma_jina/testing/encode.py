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
_ZEROS = 5
"""Leading zeros after "0." laid out by table (values down to 1e-6); smaller ones go the slow way."""


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


_POW10 = 10.0 ** np.arange(-40, 41)


def _pow10(s: np.ndarray) -> np.ndarray:
    return _POW10[np.clip(s, -40, 40) + 40]


def _words(rows: list[bytes]) -> np.ndarray:
    """Each text NUL-padded to 8 bytes, as one little-endian uint64."""
    return np.frombuffer(b"".join(r.ljust(8, b"\0") for r in rows), "<u8").copy()


@lru_cache(maxsize=1)
def _digit_words() -> np.ndarray:
    """Digits of 100000..999999 without trailing zeros, then ",": one uint64 each."""
    n = np.arange(10 ** (_SIG - 1), 10**_SIG)
    digits = (n[:, None] // 10 ** np.arange(_SIG - 1, -1, -1)) % 10
    keep = np.flip(np.logical_or.accumulate(np.flip(digits != 0, 1), 1), 1)
    keep[:, 0] = True
    cells = np.zeros((len(n), 8), np.uint8)
    cells[:, :_SIG] = np.where(keep, digits + 48, 0)
    cells[:, _SIG] = ord(",")
    return cells.view("<u8")[:, 0]


@lru_cache(maxsize=1)
def _prefix_words() -> np.ndarray:
    """Word (negative * (_ZEROS + 1) + zeros): "-"? + "0." + zeros."""
    return _words([
        (("-" if neg else "") + "0." + "0" * z).encode() for neg in (0, 1) for z in range(_ZEROS + 1)
    ])


_LAST = (ord("]") - ord(",")) << (8 * _SIG)
"""Added to the digit word of a row's last number: its "," becomes "]"."""


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
    prefix = np.where(fast, (mant < 0) * (_ZEROS + 1) + np.clip(zeros, 0, _ZEROS), 0)
    body = np.where(fast, np.abs(mant) - 10 ** (_SIG - 1), 0)
    slow = {(i, j): _slow(int(mant[i, j]), int(s[i, j])) for i, j in zip(*np.nonzero(~fast))}
    width = max([16] + [len(text) + 1 for text in slow.values()])
    words = -(-width // 8)
    cells = np.zeros((n, d, words), "<u8")
    cells[:, :, 0] = _prefix_words()[prefix]
    cells[:, :, 1] = _digit_words()[body]
    cells[:, -1, 1] += np.uint64(_LAST)
    raw = cells.view(np.uint8).reshape(n, d, words * 8)
    for (i, j), text in slow.items():
        raw[i, j, :] = 0
        raw[i, j, : len(text)] = np.frombuffer(text, np.uint8)
        raw[i, j, len(text)] = ord("]") if j == d - 1 else ord(",")
    flat = raw.reshape(n, -1)
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
