"""The Jina wire format: request bodies, response decoding and error bodies.

Pure functions, no I/O. Vectors come back as float32 numpy arrays whatever the wire
encoding: `float` (JSON numbers), `base64` (little-endian float32 bytes), and the packed
sign bits of `ubinary` / `binary`, which expand to one float per dimension: bit 1 -> +1.0,
bit 0 -> -1.0 (most significant bit first; `binary` is the `ubinary` byte minus 128).
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, cast

import numpy as np
import orjson
import pybase64
from numpy.typing import NDArray

from chroma_jina.errors import (
    NOT_JINA_HINT,
    AuthenticationError,
    ConfigurationError,
    InsufficientBalanceError,
    InvalidRequestError,
    JinaError,
    JinaTimeoutError,
    MalformedResponseError,
    RateLimitError,
    ServerError,
)

Vector = NDArray[np.float32]
"""One embedding, as every path of the library returns it."""
ImageArray = NDArray[Any]
"""An image as Chroma passes it: (h, w) or (h, w, 1|3|4) values 0..255."""

PILLOW_MISSING = (
    "Embedding images needs Pillow, which is not installed. "
    "Install it with: pip install 'Pillow>=10' (or install chroma-jina with its 'images' extra)"
)


def wire_fields(fields: Mapping[str, object], wire_base64: bool) -> tuple[dict[str, object], str]:
    """Return the fields to send and the embedding type the response will be in.

    When the caller wants float vectors (no `embedding_type`, or "float") and `wire_base64`
    is on, ask for base64: the same float32 values, less than half the bytes uncompressed
    (0.42 in the guide's example), about four fifths gzipped.
    """
    sent = dict(fields)
    wanted = str(sent.get("embedding_type") or "float")
    if wanted == "float" and wire_base64:
        sent["embedding_type"] = "base64"
        return sent, "base64"
    return sent, wanted


def require_pillow() -> None:
    """Import Pillow or raise ImportError naming the `images` extra."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError as exc:
        raise ImportError(PILLOW_MISSING) from exc


def encode_image(image: ImageArray) -> str:
    """Encode an image array (h, w) or (h, w, 1|3|4) of values 0..255 as base64 PNG."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(PILLOW_MISSING) from exc
    pixels = image.astype(np.uint8, copy=False)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def build_body(model: str, items: Sequence[object], fields: Mapping[str, object]) -> dict[str, Any]:
    """The JSON body of one request: text-only input as a list of strings, mixed input as
    `{"text": ...}` / `{"image": <base64 PNG>}` objects, then the given fields."""
    if all(isinstance(item, str) for item in items):
        encoded: list[Any] = list(items)
    else:
        encoded = [
            # models.check_inputs lets through only texts and image arrays
            {"text": item}
            if isinstance(item, str)
            else {"image": encode_image(cast(ImageArray, item))}
            for item in items
        ]
    return {"input": encoded, "model": model, **fields}


def dumps(body: Mapping[str, Any]) -> bytes:
    """Serialise a request body compactly, UTF-8 (as httpx's `json=` does)."""
    return orjson.dumps(body)


@dataclass(frozen=True)
class Decoded:
    """One decoded 200 response: vectors by request position, and the `usage` numbers."""

    vectors: dict[int, Vector]
    total_tokens: int
    prompt_tokens: int | None


def decode_response(content: bytes, count: int, wire_type: str, dim: int | None) -> Decoded:
    """Decode a 200 body for a request of `count` inputs.

    Raises MalformedResponseError if the body is not the Jina shape, an index is repeated or
    out of range, or a vector has the wrong length. Missing indices are left out of
    `vectors` so that the caller can ask again for just those. Entries that all lack an
    `index` are read in order, when there is one per input.
    """
    try:
        body = orjson.loads(content)
        data = body["data"]
        if not isinstance(data, list):
            raise TypeError("data is not a list")
    except (ValueError, KeyError, TypeError):
        raise MalformedResponseError(
            f"expected a JSON object with a 'data' list, got {_snippet(content)!r}", status=200
        ) from None
    vectors: dict[int, Vector] = {}
    positional = all(isinstance(e, dict) and "index" not in e for e in data)
    if positional and len(data) != count:
        raise MalformedResponseError(
            f"the response has {len(data)} vectors for {count} inputs and no indices to place "
            f"them by",
            status=200,
        )
    for position, entry in enumerate(data):
        index = position if positional else entry.get("index") if isinstance(entry, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise MalformedResponseError(
                f"response index {index!r} is out of range for {count} inputs", status=200
            )
        if index in vectors:
            raise MalformedResponseError(f"response index {index} appears twice", status=200)
        vectors[index] = decode_vector(entry.get("embedding"), wire_type, dim)
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    prompt = usage.get("prompt_tokens")
    return Decoded(
        vectors,
        int(usage.get("total_tokens") or 0),
        int(prompt) if isinstance(prompt, (int, float)) else None,
    )


def decode_vector(value: object, wire_type: str, dim: int | None) -> Vector:
    """Decode one `embedding` value into a float32 vector, by what it holds.

    A JSON list is float values, or the packed bits of `binary` / `ubinary` when those were
    asked for; a string is base64: little-endian float32 values, or packed bits for the
    binary types. So a server that answers floats where base64 was asked (as the Jina API did
    in 2023, and as OpenAI-compatible servers of Jina's open models do) is read correctly.
    """
    bits = wire_type in ("binary", "ubinary")
    try:
        if isinstance(value, str):
            raw = pybase64.b64decode(value, validate=True)
            if bits:
                signed = np.frombuffer(raw, dtype=np.int8 if wire_type == "binary" else np.uint8)
                vector = _unpack_bits(signed, signed=wire_type == "binary", dim=dim)
            else:
                vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif isinstance(value, list):
            if bits:
                vector = _unpack_bits(value, signed=wire_type == "binary", dim=dim)
            else:
                vector = np.asarray(value, dtype=np.float32)
        else:
            raise TypeError(f"expected a list or a base64 string, got {type(value).__name__}")
    except (ValueError, TypeError, binascii.Error) as exc:
        raise MalformedResponseError(
            f"cannot decode a {wire_type} embedding: {exc}", status=200
        ) from None
    if vector.ndim != 1 or vector.size == 0 or (dim is not None and vector.size != dim):
        raise MalformedResponseError(
            f"{wire_type} embedding has shape {vector.shape}, expected ({dim},)", status=200
        )
    return vector


def _unpack_bits(value: object, *, signed: bool, dim: int | None) -> Vector:
    packed = np.asarray(value, dtype=np.float64)
    if packed.ndim != 1:
        raise ValueError(f"expected a list of packed bytes, got shape {packed.shape}")
    low, high = (-128, 127) if signed else (0, 255)
    if np.any(packed != np.round(packed)) or np.any(packed < low) or np.any(packed > high):
        raise ValueError(f"packed bytes must be whole numbers {low}..{high}")
    if dim is not None and packed.size != math.ceil(dim / 8):
        raise ValueError(f"{packed.size} packed bytes cannot hold {dim} dimensions")
    bits = np.unpackbits((packed - low).astype(np.uint8))  # MSB first
    bits = bits[: dim if dim is not None else bits.size]
    return bits.astype(np.float32) * 2.0 - 1.0


def parse_error(
    status: int, headers: Mapping[str, str], content: bytes, *, now: float | None = None
) -> JinaError:
    """Turn a non-200 answer into a typed error; reads both error-body generations and
    bodies that are not JSON (an HTML page from a proxy)."""
    message, code, request_id = _error_fields(content)
    request_id = request_id or headers.get("x-request-id")
    kw: dict[str, Any] = {"status": status, "code": code, "request_id": request_id}
    hint = _HINTS.get(code or "") or _STATUS_HINTS.get(status)
    if hint:
        kw["hint"] = hint
    if status == 429:
        return RateLimitError(
            message, retry_after=parse_retry_after(headers.get("retry-after"), now=now), **kw
        )
    cls: type[JinaError] = MalformedResponseError
    if status == 401:
        cls = AuthenticationError
    elif status in (402, 403) and _from_jina_billing(status, code, content):
        cls = InsufficientBalanceError
    elif status in (402, 403):  # a proxy, firewall or gateway: topping up would not help
        cls = ConfigurationError
        kw["hint"] = NOT_JINA_HINT
    elif status == 408:
        cls = JinaTimeoutError
    elif 400 <= status < 500:
        cls = InvalidRequestError
    elif status >= 500:
        cls = ServerError
    else:
        message = f"unexpected HTTP status {status}: {message}"
    return cls(message, **kw)


TOO_LONG_HINT = (
    "An input is longer than the model's context: pass truncate=True, or split the text into "
    "chunks that fit."
)
_STATUS_HINTS = {
    404: "No embeddings endpoint here: check base_url (env JINA_API_BASE_URL); requests go to "
    "<base_url>/embeddings.",
    # Several inputs refused as too large are split and sent again (steps.embed_batch), so this
    # reaches a caller for one input, or for a late-chunking call, which is never split.
    413: "The request was refused for its size, and chroma-jina could not split it (one input, "
    "or a late-chunking call). Send less per call (images: chroma_jina.ImageLoader(max_side=...)); "
    "if a proxy or gateway is at base_url (env JINA_API_BASE_URL), raise its body limit "
    "(nginx: client_max_body_size).",
}
_HINTS = {
    "AUTH_MISSING_API_KEY": "Set the API key in CHROMA_JINA_API_KEY (or the variable you named).",
    "INPUT_TOKEN_LIMIT_EXCEEDED": TOO_LONG_HINT,
    "INPUT_MODEL_NOT_FOUND": "Check model_name against chroma_jina.models.MODELS.",
    "RATE_CONCURRENCY_LIMIT_EXCEEDED": (
        "Other processes or machines use the same key: give each process a share of the key's "
        "limit with JINA_MAX_CONCURRENCY (the free tier allows 5 in all; a function's "
        "max_concurrency only lowers its own share)."
    ),
}
_RID = re.compile(r"^\s*\[RID:\s*([0-9a-fA-F]+)\]\s*")


def _from_jina_billing(status: int, code: str | None, content: bytes) -> bool:
    """True for a 402/403 in Jina's error format: a 2026 `AUTHZ_*` code, or an older 402
    with a JSON `detail`. An HTML page or other JSON came from something in between."""
    if code is not None:
        return code.startswith("AUTHZ_") or (status == 402 and "BALANCE" in code)
    try:
        body = orjson.loads(content)
    except ValueError:
        return False
    return status == 402 and isinstance(body, dict) and isinstance(body.get("detail"), str)


def _error_fields(content: bytes) -> tuple[str, str | None, str | None]:
    try:
        body = orjson.loads(content)
    except ValueError:
        text = _snippet(content)
        return (f"non-JSON error body: {text}" if text else "empty error body"), None, None
    if not isinstance(body, dict):
        return _snippet(content), None, None
    detail = body.get("detail", body.get("message"))
    code, request_id = body.get("code"), body.get("request_id")
    if isinstance(detail, dict):
        code = detail.get("code", code)
        request_id = detail.get("request_id", request_id)
        detail = detail.get("message", detail.get("detail"))
    if isinstance(detail, list):  # FastAPI-style [{"loc": [...], "msg": ...}]
        detail = "; ".join(
            f"{'.'.join(map(str, d.get('loc', [])))}: {d.get('msg')}"
            if isinstance(d, dict)
            else str(d)
            for d in detail
        )
    message = str(detail) if detail is not None else _snippet(content)
    match = _RID.match(message)
    if match:
        request_id = request_id or match.group(1)
        message = message[match.end() :]
    return message, (str(code) if code else None), (str(request_id) if request_id else None)


def _snippet(content: bytes, limit: int = 200) -> str:
    text = content.decode("utf-8", errors="replace")
    text = re.sub(r"<[^>]*>", " ", text)
    text = " ".join(text.split())
    return text[:limit] + ("..." if len(text) > limit else "")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))
