"""Response bodies written the way api.jina.ai writes them.

Compact JSON, keys in the order model/object/usage/data, and float32 numbers written
positionally with the fewest digits that read back to the same float32, never in exponent
form (`0.0016148885`, `-0.26197305`, `0.000015258789`). The digits are found and laid out with
vectorised numpy (a search over 9..4 significant digits, then table look-ups of 8-byte words)
instead of one formatting call per number; the rare values outside the tables' range go the
slow way through numpy's own shortest-repr formatter.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache

import numpy as np

_ZEROS = 5
"""Leading zeros after "0." laid out by table (values down to 1e-6); smaller ones go the slow way."""
_POW10 = 10.0 ** np.arange(-60, 61)


def _pow10(k: np.ndarray) -> np.ndarray:
    return _POW10[np.clip(k, -60, 60) + 60]


def shortest_digits(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For float32 `values`: (9-digit mantissa M, decimal exponent e, fast mask).

    Each value is M * 10**(e - 8) with 10**8 <= |M| < 10**9, where M holds the fewest
    significant digits (padded with zeros to 9) that read back to the same float32: at
    most 9 always suffice. `fast` marks values whose shortest form has 4 or more digits and
    a magnitude in [1e-6, 1); the others are left to `_slow`.
    """
    x = values.astype(np.float64).ravel()
    mag = np.abs(x)
    e = np.floor(np.log10(np.where(mag > 0, mag, 1.0))).astype(np.int64)
    mant = np.rint(x * _pow10(8 - e))
    over = np.flatnonzero(np.abs(mant) >= 1e9)  # log10 rounding just below a power of ten
    e[over] += 1
    mant[over] = np.rint(x[over] * _pow10(8 - e[over]))
    # Fewer digits: a value that reads back with p digits also does with p + 1, so each
    # step only tries the values that passed the one before.
    flat_values = values.ravel()
    todo = np.arange(x.size)
    for p in (8, 7, 6, 5, 4):
        scale = _pow10(p - 1 - e[todo])
        m = np.rint(x[todo] * scale)
        ok = (m / scale).astype(np.float32) == flat_values[todo]
        todo = todo[ok]
        mant[todo] = m[ok] * 10.0 ** (9 - p)
        if not todo.size:
            break
    mant = mant.astype(np.int64).reshape(values.shape)
    e = e.reshape(values.shape)
    mag = mag.reshape(values.shape)
    short = np.zeros(x.size, bool)
    short[todo] = True  # 4 digits read back: maybe fewer, let the slow path decide
    fast = (mag >= 1e-6) & (mag < 1) & ~short.reshape(values.shape)
    return mant, e, fast


def _words(texts: list[bytes]) -> np.ndarray:
    """Each text NUL-padded to 8 bytes, as one little-endian uint64."""
    return np.frombuffer(b"".join(t.ljust(8, b"\0") for t in texts), "<u8").copy()


def _digit_cells(numbers: np.ndarray, width: int, strip: bool) -> np.ndarray:
    """ASCII digits of `numbers` (zero-padded to `width`), trailing zeros NUL when `strip`."""
    digits = (numbers[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10
    cells = (digits + 48).astype(np.uint8)
    if strip:
        keep = np.flip(np.logical_or.accumulate(np.flip(digits != 0, 1), 1), 1)
        cells = np.where(keep, cells, 0).astype(np.uint8)
    return cells


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Word tables: high 5 digits (all kept / trailing zeros dropped), low 4 digits + ",", prefixes."""
    high = np.arange(10_000, 100_000)
    words = np.zeros((2, len(high), 8), np.uint8)
    words[0, :, :5] = _digit_cells(high, 5, strip=False)
    words[1, :, :5] = _digit_cells(high, 5, strip=True)
    low = np.zeros((10_000, 8), np.uint8)
    low[:, :4] = _digit_cells(np.arange(10_000), 4, strip=True)
    low[:, 4] = ord(",")
    prefixes = _words([
        (("-" if neg else "") + "0." + "0" * z).encode() for neg in (0, 1) for z in range(_ZEROS + 1)
    ])
    return (words[0].view("<u8")[:, 0], words[1].view("<u8")[:, 0], low.view("<u8")[:, 0], prefixes)


_LAST = (ord("]") - ord(",")) << 32
"""Added to the low word of a row's last number: its "," becomes "]"."""


def _slow(value: np.float32) -> bytes:
    text = np.format_float_positional(value, unique=True, trim="-")
    return (text if "." in text else text + ".0").encode()


def float_arrays(values: np.ndarray) -> list[bytes]:
    """One JSON array of float32 numbers per row, e.g. b"[0.0016148885,-0.26197305,1.5]"."""
    n, d = values.shape
    mant, e, fast = shortest_digits(values)
    full_high, stripped_high, low_words, prefixes = _tables()
    digits = np.abs(np.where(fast, mant, 10**8))
    high, low = digits // 10_000, digits % 10_000
    zeros = np.clip(-1 - e, 0, _ZEROS)
    slow = {(i, j): _slow(values[i, j]) for i, j in zip(*np.nonzero(~fast))}
    words = max([3] + [len(text) // 8 + 1 for text in slow.values()])
    cells = np.zeros((n, d, words), "<u8")
    cells[:, :, 0] = prefixes[np.where(fast, (mant < 0) * (_ZEROS + 1) + zeros, 0)]
    cells[:, :, 1] = np.where(low == 0, stripped_high[high - 10_000], full_high[high - 10_000])
    cells[:, :, 2] = low_words[low]
    cells[:, -1, 2] += np.uint64(_LAST)
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
