"""The compatibility checks: chroma-jina vs chromadb's built-in JinaEmbeddingFunction.

Each check runs against both functions, each wired to its own offline emulator (the
built-in by giving its httpx client the emulator's transport, since its URL is fixed), and prints a
pass/fail matrix with the area each check belongs to. `--docs DIR` also writes the matrix into
DIR/{en,zh}/migrating.md (what `make contract` does).

    .venv/bin/python -m compatibility.checks [--json] [--docs docs]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import numpy as np

from chroma_jina import JinaEmbeddingFunction as Ours
from chroma_jina import pacing
from chroma_jina.testing import (
    DuplicatedIndex,
    ErrorReply,
    HTMLErrorPage,
    JinaEmulator,
    MissingIndices,
    ServerFailure,
    ShuffledIndices,
    TooManyRequests,
)

KEY = "jina_offline_emulator_key"
V3 = "jina-embeddings-v3"
CONFIG_KEYS = (
    "api_key_env_var",
    "model_name",
    "task",
    "late_chunking",
    "truncate",
    "dimensions",
    "embedding_type",
    "normalized",
    "query_config",
)


def builtin_class() -> type:
    from chromadb.utils.embedding_functions.jina_embedding_function import JinaEmbeddingFunction

    return JinaEmbeddingFunction


@dataclass
class Subject:
    """One implementation under test: builds a function wired to an emulator."""

    label: str
    cls: type
    ours: bool

    def make(self, emu: JinaEmulator | None = None, **config: Any) -> tuple[Any, JinaEmulator]:
        emu = emu or JinaEmulator()
        if self.ours:
            ef = self.cls(**config, http_client=httpx.Client(transport=emu.transport()))
            ef._jina_client.sleep = lambda seconds: None  # retry waits are decided, not slept
        else:  # its httpx.Client gets the emulator's transport (its URL is fixed)
            client = httpx.Client
            with mock.patch.object(
                httpx, "Client", side_effect=lambda: client(transport=emu.transport())
            ):
                ef = self.cls(**config)
        return ef, emu


@contextlib.contextmanager
def env(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the duration."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        yield
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)


def refused_before_sending(s: Subject, items: list[Any], **config: Any) -> bool:
    """True if the call raises ValueError and nothing reaches the emulator."""
    try:
        ef, emu = s.make(**config)
    except ValueError:
        return True
    try:
        ef(items)
    except ValueError:
        return emu.stats.requests == 0
    except Exception:
        return False
    return False


def vectors_equal(got: list[np.ndarray], want: np.ndarray) -> bool:
    return len(got) == len(want) and all(
        np.asarray(g).dtype == np.float32 and np.array_equal(g, w)
        for g, w in zip(got, want, strict=False)
    )


CHECKS: list[tuple[str, str, Callable[[Subject], bool]]] = []


def check(item: str, text: str) -> Callable[[Callable[[Subject], bool]], Callable[[Subject], bool]]:
    def register(fn: Callable[[Subject], bool]) -> Callable[[Subject], bool]:
        CHECKS.append((item, text, fn))
        return fn

    return register


# ---- item 4: Chroma contract --------------------------------------------------------------


@check("4", 'name() is "jina"')
def _(s: Subject) -> bool:
    return s.cls.name() == "jina"


@check("4", "get_config() is exactly the 9 schema keys and validates")
def _(s: Subject) -> bool:
    config = s.make(model_name=V3, task="retrieval.passage")[0].get_config()
    builtin_class().validate_config(config)
    return tuple(sorted(config)) == tuple(sorted(CONFIG_KEYS))


@check("4", "config round-trips through the other implementation")
def _(s: Subject) -> bool:
    other = builtin_class() if s.ours else Ours
    config = s.make(
        model_name=V3,
        task="retrieval.passage",
        dimensions=256,
        query_config={"task": "retrieval.query"},
    )[0].get_config()
    return other.build_from_config(config).get_config() == config


@check("4", "validate_config_update accepts an unchanged model")
def _(s: Subject) -> bool:
    ef = s.make()[0]
    try:
        ef.validate_config_update(ef.get_config(), ef.get_config())
    except ValueError:
        return False
    return True


@check("4", "validate_config_update rejects a changed model")
def _(s: Subject) -> bool:
    ef = s.make()[0]
    try:
        ef.validate_config_update(ef.get_config(), {**ef.get_config(), "model_name": V3})
    except ValueError:
        return True
    return False


@check("4", 'default_space() is "cosine", supported cosine/l2/ip')
def _(s: Subject) -> bool:
    ef = s.make()[0]
    return ef.default_space() == "cosine" and set(ef.supported_spaces()) == {"cosine", "l2", "ip"}


@check("4", "embed_query applies query_config over the config")
def _(s: Subject) -> bool:
    ef, emu = s.make(
        model_name=V3, task="retrieval.passage", query_config={"task": "retrieval.query"}
    )
    ef.embed_query(["q"])
    return emu.requests[-1].json["task"] == "retrieval.query"


@check("4", "same vectors as the emulator's for the same config")
def _(s: Subject) -> bool:
    ef, emu = s.make(model_name=V3, task="retrieval.passage", dimensions=256)
    texts = ["a river bank", "a savings bank"]
    return vectors_equal(ef(texts), emu.embed(texts, V3, task="retrieval.passage", dimensions=256))


@check("4", "a collection made with api_key= (no variable set) keeps a rebuildable config")
def _(s: Subject) -> bool:
    import chromadb

    with env(CHROMA_JINA_API_KEY=None):
        ef, _ = s.make(api_key=KEY)
        name = f"jina-{s.label}-{uuid.uuid4().hex[:8]}"
        col = chromadb.EphemeralClient().create_collection(name, embedding_function=ef)
    return col.configuration_json["embedding_function"]["type"] == "known"


@check("1/10", "text-only use works without Pillow installed")
def _(s: Subject) -> bool:
    saved = {k: sys.modules.get(k) for k in ("PIL", "PIL.Image")}
    sys.modules.update({"PIL": None, "PIL.Image": None})  # type: ignore[dict-item]
    try:
        ef, _ = s.make()
        return len(ef(["text"])) == 1
    except (ValueError, ImportError):
        return False
    finally:
        for k, v in saved.items():
            sys.modules.pop(k, None) if v is None else sys.modules.__setitem__(k, v)


# ---- item 3 and 5: options and keys -------------------------------------------------------


@check("3", "base URL configurable (JINA_API_BASE_URL)")
def _(s: Subject) -> bool:
    with env(JINA_API_BASE_URL="http://jina.internal:8080/v1"):
        ef, _ = s.make()
    url = ef._jina_client.url if s.ours else ef._api_url
    return url == "http://jina.internal:8080/v1/embeddings"


@check("5", "api_key_env_var the user named is used and persisted when JINA_API_KEY is set")
def _(s: Subject) -> bool:
    with env(JINA_API_KEY="jina_other", MY_JINA_KEY=KEY):
        ef, _ = s.make(api_key_env_var="MY_JINA_KEY")
    return ef.get_config()["api_key_env_var"] == "MY_JINA_KEY"


@check("5", "api_key= creates the function without a warning")
def _(s: Subject) -> bool:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.make(api_key=KEY)
    return not caught


@check("5", "missing key: ValueError naming both variables")
def _(s: Subject) -> bool:
    with env(CHROMA_JINA_API_KEY=None, JINA_API_KEY=None):
        try:
            s.make()
        except ValueError as exc:
            return "CHROMA_JINA_API_KEY" in str(exc) and "JINA_API_KEY" in str(exc).replace(
                "CHROMA_JINA_API_KEY", ""
            )
    return False


@check("5", "key absent from repr, str, config and errors")
def _(s: Subject) -> bool:
    emu = JinaEmulator(api_keys=["jina_someone_else"])
    ef, _ = s.make(emu, api_key=KEY)
    try:
        ef(["x"])
    except Exception as exc:
        text = str(exc) + repr(exc)
    else:
        return False
    return all(KEY not in t for t in (repr(ef), str(ef), json.dumps(ef.get_config()), text))


# ---- item 6: validation before the network ------------------------------------------------


@check("6", "task the model refuses: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x"], model_name=V3, task="retrieval")


@check("6", "dimensions out of range: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x"], model_name=V3, dimensions=4096)


@check("6", "dimensions on a model without it: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x"], dimensions=256)


@check("6", "late_chunking on a model without it: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(
        s, ["x"], model_name="jina-embeddings-v5-text-small", late_chunking=True
    )


@check("6", "image to a text-only model: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x", np.zeros((4, 4, 3), np.uint8)], model_name=V3)


@check("6", "unknown embedding_type: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x"], embedding_type="int8")


@check("6", "list-valued embedding_type: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x"], model_name=V3, embedding_type=["float", "binary"])


@check("6", "empty input: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, [])


@check("6", "an item that is neither text nor image: ValueError, nothing sent")
def _(s: Subject) -> bool:
    return refused_before_sending(s, ["x", 42, "y"])


@check("6", "only fields the model accepts are sent (v2: late_chunking=False)")
def _(s: Subject) -> bool:
    ef, emu = s.make(late_chunking=False)
    try:
        ef(["x"])
    except Exception:
        return False
    return "late_chunking" not in emu.requests[-1].json


# ---- item 7: decoding and placement -------------------------------------------------------


def _typed(s: Subject, kind: str, dims: int = 64) -> bool:
    ef, emu = s.make(model_name=V3, embedding_type=kind, dimensions=dims)
    texts = ["a river bank", "a savings bank"]
    want = emu.embed(texts, V3, dimensions=dims)
    if kind in ("binary", "ubinary"):
        want = np.where(want > 0, 1.0, -1.0).astype(np.float32)
    try:
        return vectors_equal(ef(texts), want)
    except Exception:
        return False


@check("7", "base64 decodes to the float32 vectors")
def _(s: Subject) -> bool:
    return _typed(s, "base64")


@check("7", "ubinary expands to +1/-1 float32 of length dimensions")
def _(s: Subject) -> bool:
    return _typed(s, "ubinary")


@check("7", "binary expands to the same +1/-1 vectors")
def _(s: Subject) -> bool:
    return _typed(s, "binary")


def _faulty(
    s: Subject, fault: Any, n: int = 6, **config: Any
) -> tuple[bool | None, Exception | None]:
    """Embed n texts with `fault` on the first request: True if exact vectors came back, False
    if wrong ones did, None if the call raised (the exception is returned too)."""
    ef, emu = s.make(model_name=V3, **config)
    emu.script(fault)
    texts = [f"text number {i}" for i in range(n)]
    try:
        got = ef(texts)
    except Exception as exc:
        return None, exc
    return vectors_equal(got, emu.embed(texts, V3)), None


@check("7", "results placed by index (shuffled response)")
def _(s: Subject) -> bool:
    return _faulty(s, ShuffledIndices(seed=3))[0] is True


@check("7", "a missing index never yields a short or misaligned list")
def _(s: Subject) -> bool:
    ok, exc = _faulty(s, MissingIndices(2))
    return ok is True or (ok is None and not isinstance(exc, (KeyError, IndexError, TypeError)))


@check("7", "a repeated index is detected")
def _(s: Subject) -> bool:
    ok, exc = _faulty(s, DuplicatedIndex())
    return ok is None and exc is not None and type(exc).__name__ == "MalformedResponseError"


# ---- item 8: batching ---------------------------------------------------------------------


@check("8", "600 inputs in one call on v4 (512-item cap): all vectors")
def _(s: Subject) -> bool:
    ef, emu = s.make(model_name="jina-embeddings-v4", dimensions=128)
    texts = [f"passage {i}" for i in range(600)]
    try:
        got = ef(texts)
    except Exception:
        return False
    return len(got) == 600 and max(len(r.json["input"]) for r in emu.requests) <= 512


@check("8", "late chunking: a call is one request, never split")
def _(s: Subject) -> bool:
    ef, emu = s.make(model_name=V3, late_chunking=True)
    ef([f"chunk {i}" for i in range(40)])
    return emu.stats.requests == 1


@check("8", "late chunking: queries never share one context")
def _(s: Subject) -> bool:
    ef, emu = s.make(model_name=V3, late_chunking=True)
    ef.embed_query(["first question", "second question"])
    return all(len(r.json["input"]) == 1 for r in emu.requests)


# ---- item 9: errors and retries -----------------------------------------------------------


def _raises(s: Subject, fault: Any, name: str) -> bool:
    ok, exc = _faulty(s, fault, n=1, **({"max_retries": 0} if s.ours else {}))
    return ok is None and any(c.__name__ == name for c in type(exc).__mro__)


@check("9", "401: AuthenticationError")
def _(s: Subject) -> bool:
    return _raises(s, ErrorReply(401, "AUTH_INVALID_API_KEY"), "AuthenticationError")


@check("9", "403 balance: InsufficientBalanceError")
def _(s: Subject) -> bool:
    return _raises(s, ErrorReply(403, "AUTHZ_INSUFFICIENT_BALANCE"), "InsufficientBalanceError")


@check("9", "HTML 502 page: ServerError (not a JSON error)")
def _(s: Subject) -> bool:
    return _raises(s, HTMLErrorPage(502), "ServerError")


@check("9", "dropped connection: NetworkError")
def _(s: Subject) -> bool:
    from chroma_jina.testing import DroppedConnection

    return _raises(s, DroppedConnection(), "NetworkError")


@check("9", "errors carry status, code and request_id")
def _(s: Subject) -> bool:
    ok, exc = _faulty(s, ErrorReply(422, "VALIDATION_ERROR", "Validation error: bad"), n=1)
    return ok is None and getattr(exc, "status", None) == 422 and getattr(exc, "request_id", None)


@check("9", "429 is retried (then all vectors)")
def _(s: Subject) -> bool:
    return _faulty(s, TooManyRequests(retry_after=1))[0] is True


@check("9", "503 is retried (then all vectors)")
def _(s: Subject) -> bool:
    return _faulty(s, ServerFailure(503))[0] is True


@check("9", "Retry-After (HTTP date) is honoured")
def _(s: Subject) -> bool:
    ef, emu = s.make()
    waits: list[float] = []
    if s.ours:
        ef._jina_client.sleep = waits.append
    emu.script(TooManyRequests(retry_after=30, http_date=True))
    try:
        ef(["x"])
    except Exception:
        return False
    return bool(waits) and 28 <= waits[0] <= 31


@check("9", "400 is not retried")
def _(s: Subject) -> bool:
    ef, emu = s.make()
    emu.script(ErrorReply(400, "INPUT_MODEL_NOT_FOUND"), None)
    try:
        ef(["x"])
    except Exception:
        return emu.stats.requests == 1
    return False


# ---- issue 6 extras -----------------------------------------------------------------------


@check("6/2", "async API (aembed)")
def _(s: Subject) -> bool:
    import asyncio

    ef, _ = s.make()
    return hasattr(ef, "aembed") and len(asyncio.run(ef.aembed(["x", "y"]))) == 2


@check("6/5", "float vectors fetched as base64 on the wire (fewer bytes)")
def _(s: Subject) -> bool:
    ef, emu = s.make(model_name=V3)
    ef([f"passage {i}" for i in range(50)])
    return emu.requests[-1].json.get("embedding_type") == "base64"


@check("6/6", "token usage reported")
def _(s: Subject) -> bool:
    ef, _ = s.make()
    ef(["x"])
    return getattr(getattr(ef, "last_usage", None), "total_tokens", 0) > 0


def run() -> list[dict[str, Any]]:
    """Run every check against both subjects; one row per check."""
    subjects = [Subject("chroma-jina", Ours, True), Subject("built-in", builtin_class(), False)]
    rows = []
    with (
        env(CHROMA_JINA_API_KEY=KEY, JINA_API_KEY=None, JINA_API_BASE_URL=None),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        for item, text, fn in CHECKS:
            row: dict[str, Any] = {"item": item, "check": text}
            for s in subjects:
                pacing._BUDGETS.clear()  # each check starts as a new process: no shared key state
                try:
                    with contextlib.redirect_stderr(io.StringIO()):
                        row[s.label] = bool(fn(s))
                except Exception as exc:
                    row[s.label] = False
                    row[f"{s.label} error"] = f"{type(exc).__name__}: {str(exc)[:80]}"
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.add_argument("--docs", type=Path, help="write the matrix into DIR/{en,zh}/migrating.md")
    args = parser.parse_args()
    rows = run()
    if args.docs:
        from compatibility.matrix import write

        write(rows, args.docs)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    width = max(len(r["check"]) for r in rows)
    print(f"{'item':5} {'check':{width}}  chroma-jina  built-in")
    for r in rows:
        mark = {True: "pass", False: "FAIL"}
        note = f"  ({r['built-in error']})" if "built-in error" in r else ""
        print(
            f"{r['item']:5} {r['check']:{width}}  {mark[r['chroma-jina']]:11}  "
            f"{mark[r['built-in']]}{note}"
        )
    print(
        f"\nchroma-jina {sum(r['chroma-jina'] for r in rows)}/{len(rows)}, "
        f"built-in {sum(r['built-in'] for r in rows)}/{len(rows)}"
    )


if __name__ == "__main__":
    main()
