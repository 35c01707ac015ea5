"""Cassettes: how a snippet's HTTP traffic is replayed in CI and recorded by `make record`.

Replay (the default, and all CI does): the network is blocked and vcrpy answers every request from
`cassettes/<snippet>.yaml`; a request the cassette does not hold fails that snippet's test.
Recording (`--record-mode=rewrite`, what `make record` passes): with `JINA_API_KEY` set the real API
answers (or the stand-in named by `CHROMA_JINA_RECORD_BASE_URL`, which is how the tests exercise
this path without a key); without it the offline emulator (`chroma_jina.testing.JinaEmulator`)
does, and its responses carry the `x-emulated-by` provenance header. Requests are matched on
method, path and JSON body, and recorded with the URI of the real API either way, so cassettes look
the same. The key is scrubbed from the cassette and from the printed outputs; a real response keeps
its `date` header, which says when it was recorded. Which of the two a cassette came from is
decided by hooks/cassette_provenance.py, shared with the site's build hook that shows it under
each example.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import vcr
from cassette_provenance import (
    PROVENANCE_HEADER,
    load_interactions,
    provenance,
    response_header,
)
from chromadb.api.shared_system_client import SharedSystemClient
from pytest_recording.network import blocking_context
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.serializers import yamlserializer

from tests.docs.docs_examples import ROOT, cassette_for, record_command, shown

JINA_API = "https://api.jina.ai"
REAL_BASE_URL = f"{JINA_API}/v1"
RECORD_BASE_URL_ENV = "CHROMA_JINA_RECORD_BASE_URL"
"""Where recordings with JINA_API_KEY send their requests instead of the real API: a stand-in."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
OFFLINE_KEY = "jina_offline_emulator_key"
KEY_SHAPED = re.compile(r"jina_[A-Za-z0-9]{20,}")
KEY_SHAPED_BYTES = re.compile(KEY_SHAPED.pattern.encode())
REDACTED = "<JINA_API_KEY>"
SECRET_MASK = "***"
"""The recording key as cassettes and outputs show it: as chroma-jina's own errors show a key, so
an output that echoes it prints the same when recorded and when replayed."""
FORCE_ENV = "CHROMA_JINA_RECORD_FORCE"
UNSTABLE_HEADERS = {"set-cookie", "cf-ray", "report-to", "nel"}
"""Response headers never kept: cookies and per-request CDN noise (re-recording must not churn).
`date` is dropped from emulated responses only: on a real one it is the recording date."""
EXAMPLE_ENV = {"ANONYMIZED_TELEMETRY": "False"}
"""Set for every example run; nothing a reader's copy of a snippet needs."""


def scrub(value: Any, secret: str | None = None) -> Any:
    """Mask `secret` (whatever its shape) and anything shaped like a Jina API key, anywhere in a
    (nested) cassette value."""
    if isinstance(value, str):
        return KEY_SHAPED.sub(REDACTED, value.replace(secret, SECRET_MASK) if secret else value)
    if isinstance(value, bytes):
        masked = value.replace(secret.encode(), SECRET_MASK.encode()) if secret else value
        return KEY_SHAPED_BYTES.sub(REDACTED.encode(), masked)
    if isinstance(value, dict):
        return {scrub(k, secret): scrub(v, secret) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, secret) for v in value]
    return value


def _as_real_api(request: vcr.request.Request) -> vcr.request.Request:
    """Record every request with the real API's origin, whichever server answered it."""
    parts = urlsplit(request.uri)
    real = urlsplit(JINA_API)
    request.uri = urlunsplit((real.scheme, real.netloc, parts.path, parts.query, parts.fragment))
    if "host" in request.headers:
        request.headers["host"] = real.netloc
    return request


def _content_encoding(response: dict) -> list[str]:
    """The codings a recorded response body is still in (vcrpy decodes gzip, deflate and br)."""
    return [
        v for k, vs in response["headers"].items() if k.lower() == "content-encoding" for v in vs
    ]


def decode_rest(response: dict) -> dict:
    """Decode what vcrpy leaves encoded: zstd, which httpx offers when `zstandard` is installed (the
    `langchain` extra brings it in). An encoded body cannot be scrubbed, and it churns on every
    re-recording; any other coding left is refused, so the cassette is not saved."""
    codings = _content_encoding(response)
    if not codings:
        return response
    if codings != ["zstd"]:
        raise ValueError(f"a response body in {codings}: the key cannot be checked in it")
    import zstandard  # only here: the package is an optional extra's dependency

    body = zstandard.ZstdDecompressor().decompressobj().decompress(response["body"]["string"])
    headers = {k: v for k, v in response["headers"].items() if k.lower() != "content-encoding"}
    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
    return {
        **response,
        "headers": {**headers, "content-length": [str(len(body))]},
        "body": {"string": body},
    }


def _scrub_interaction(
    request: vcr.request.Request, response: dict, secret: str | None = None
) -> tuple[Any, dict]:
    """Last pass before saving: no key in the request or the response, no unstable header."""
    response = decode_rest(response)
    request.uri = scrub(request.uri, secret)
    request.body = scrub(request.body, secret)
    for name in list(request.headers):
        request.headers[name] = scrub(request.headers[name], secret)
    response = scrub(response, secret)
    emulated = any(k.lower() == PROVENANCE_HEADER for k in response["headers"])
    dropped = UNSTABLE_HEADERS | ({"date"} if emulated else set())
    response["headers"] = {k: v for k, v in response["headers"].items() if k.lower() not in dropped}
    return request, response


def output_filter(secret: str | None) -> Callable[[str], str]:
    """What an example prints, made safe to write into its `#>` lines: no key in it."""
    return partial(scrub, secret=secret)


def _texts(value: Any) -> Iterator[str]:
    """Every string in a (nested) cassette value, dict keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, bytes):
        yield value.decode("utf-8", errors="replace")
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _texts(k)
            yield from _texts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v)


def leaks(cassette: Path, secret: str | None) -> list[str]:
    """Where a recorded cassette would give a key away: the secret, anything key-shaped, an
    Authorization header. Names the places, never the key; empty when the cassette is clean."""
    found = []
    for number, interaction in enumerate(load_interactions(cassette), start=1):
        for part in ("request", "response"):
            texts = list(_texts(interaction.get(part)))
            if any((secret and secret in t) or KEY_SHAPED.search(t) for t in texts):
                found.append(f"interaction {number}: a key in the {part}")
        headers = interaction.get("request", {}).get("headers", {})
        if any(name.lower() == "authorization" for name in headers):
            found.append(f"interaction {number}: an Authorization header")
        if _content_encoding(interaction.get("response", {"headers": {}})):
            found.append(
                f"interaction {number}: a compressed response body, which cannot be checked"
            )
    return found


def make_vcr(
    record_mode: str, *, ignore_localhost: bool = False, secret: str | None = None
) -> vcr.VCR:
    """The one VCR configuration every snippet uses; `secret` (the key being recorded with) is
    masked wherever it appears, whatever its shape."""
    return vcr.VCR(
        record_mode=record_mode,
        match_on=("method", "path", "body"),
        filter_headers=["authorization", "x-api-key", "cookie"],
        before_record_request=_as_real_api,
        before_save_interaction=partial(_scrub_interaction, secret=secret),
        decode_compressed_response=True,
        record_on_exception=False,
        ignore_localhost=ignore_localhost,
    )


def recorded_on(cassette: Path) -> date | None:
    """The day a cassette was recorded from the real API: the `date` header of its first
    response (emulated responses have none)."""
    interactions = load_interactions(cassette)
    values = response_header(interactions[0], "date") if interactions else []
    return parsedate_to_datetime(values[0]).date() if values else None


def tokens_billed(cassette: Path) -> int:
    """The tokens a cassette's responses were billed: the sum of their `usage.total_tokens`."""
    total = 0
    for interaction in load_interactions(cassette):
        try:
            body = json.loads(interaction["response"]["body"]["string"])
        except (KeyError, TypeError, ValueError):
            continue
        usage = body.get("usage") if isinstance(body, dict) else None
        if isinstance(usage, dict) and isinstance(usage.get("total_tokens"), int):
            total += usage["total_tokens"]
    return total


def all_cassettes() -> list[Path]:
    """Every cassette file under cassettes/."""
    return sorted((ROOT / "cassettes").rglob("*.yaml"))


def provenance_summary(cassettes: list[Path] | None = None) -> str:
    """One line for the test summary: how many cassettes are real and how many emulated."""
    counts: dict[str, int] = {}
    for cassette in all_cassettes() if cassettes is None else cassettes:
        kind = provenance(cassette)
        counts[kind] = counts.get(kind, 0) + 1
    line = (
        f"cassettes: {sum(counts.values())} "
        f"({counts.get('real', 0)} recorded from the real Jina API, "
        f"{counts.get('emulated', 0)} from the offline emulator"
    )
    return line + (f", {counts['mixed']} MIXED)" if counts.get("mixed") else ")")


def token_cost_summary(cassettes: list[Path] | None = None) -> str:
    """One line for the test summary: what re-recording every cassette from the real API costs."""
    total = sum(tokens_billed(c) for c in (all_cassettes() if cassettes is None else cassettes))
    return (
        f"a full re-recording from the real Jina API costs about {total:,} tokens "
        "(usage.total_tokens summed over the cassettes)"
    )


def cassette_miss(exc: BaseException) -> CannotOverwriteExistingCassetteException | None:
    """The vcrpy 'request not in cassette' error behind an exception, if there is one."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, CannotOverwriteExistingCassetteException):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def replaying(
    snippet: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    allow_localhost: bool = False,
    cassette: Path | None = None,
) -> Iterator[None]:
    """Run code with the network blocked, every Jina request answered from the snippet's cassette
    (or from `cassette`).

    `allow_localhost` lets code also talk to servers on loopback (a local `chroma run`).
    """
    cassette_path = cassette or cassette_for(snippet)
    _example_env(monkeypatch, key=OFFLINE_KEY, base_url=None)
    hosts = ["127.0.0.1", "localhost", "::1"] if allow_localhost else []
    player = make_vcr("none", ignore_localhost=allow_localhost)
    miss = None
    with blocking_context(allowed_hosts=hosts), player.use_cassette(str(cassette_path)) as played:
        try:
            yield
        except Exception as exc:
            miss = cassette_miss(exc)
            if miss is None:
                raise
    if miss is not None:
        message = _miss_message(snippet, cassette_path, miss)
        raise pytest.fail.Exception(message, pytrace=False) from None
    if not played.all_played:
        unplayed = len(played) - len(played.play_counts)
        pytest.fail(
            f"{shown(snippet)}: {unplayed} of {len(played)} interactions in "
            f"{shown(cassette_path)} were not used: the snippet changed since it was "
            f"recorded. Re-record it: {record_command(snippet)}",
            pytrace=False,
        )


@contextmanager
def offline(label: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run a block written in a page: network blocked, an empty cassette, so no HTTP at all."""
    _example_env(monkeypatch, key=OFFLINE_KEY, base_url=None)
    empty = str(tmp_path / "no-requests.yaml")
    with blocking_context(allowed_hosts=[]), make_vcr("none").use_cassette(empty):
        try:
            yield
        except Exception as exc:
            if cassette_miss(exc) is None:
                raise
            sent_request = True
        else:
            sent_request = False
    if sent_request:
        raise pytest.fail.Exception(
            f"{label}: an inline block sent an HTTP request. Examples that call the API live in "
            "snippets/ (each gets its own cassette): move the code into a snippet and include it "
            'with --8<-- "snippets/<name>.py".',
            pytrace=False,
        ) from None


def _miss_message(
    snippet: Path, cassette_path: Path, miss: CannotOverwriteExistingCassetteException
) -> str:
    request = getattr(miss, "failed_request", None)
    what = f"{request.method} {urlsplit(request.uri).path}" if request is not None else "a request"
    state = "does not hold it" if cassette_path.exists() else "does not exist"
    body = ""
    if request is not None and request.body:
        body = f"\nrequest body: {request.body[:300]!r}"
    return (
        f"{shown(snippet)} sent {what}, and its cassette "
        f"{shown(cassette_path)} {state}.{body}\n"
        f"Record it (no API key needed; the offline emulator answers): {record_command(snippet)}"
    )


@dataclass(frozen=True)
class RealAPI:
    """The real Jina API as a recording reaches it: the maintainer's key and the base URL."""

    key: str
    base_url: str


def real_api() -> RealAPI | None:
    """The real API to record from when `JINA_API_KEY` is set, else None (record the emulator).

    `CHROMA_JINA_RECORD_BASE_URL` sends the requests, key included, to a stand-in instead: https,
    or http on loopback only. Cassettes name the real API's URI either way.
    """
    key = os.environ.get("JINA_API_KEY", "").strip()
    override = os.environ.get(RECORD_BASE_URL_ENV, "").strip().rstrip("/")
    if not key:
        if override:
            pytest.fail(
                f"{RECORD_BASE_URL_ENV} is set but JINA_API_KEY is not: the override is for "
                "recording the real-API path against a stand-in, which needs a key to send.",
                pytrace=False,
            )
        return None
    if not override:
        return RealAPI(key, REAL_BASE_URL)
    parts = urlsplit(override)
    if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)):
        pytest.fail(
            f"{RECORD_BASE_URL_ENV}={override!r}: the key would be sent in the clear; use https, "
            "or http on 127.0.0.1, localhost or ::1.",
            pytrace=False,
        )
    return RealAPI(key, override)


@contextmanager
def recording(
    snippet: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    cassette: Path | None = None,
) -> Iterator[Callable[[str], str]]:
    """Record the snippet's traffic into a new cassette (its own, or `cassette`), which replaces the
    old one only on success. Yields the filter that keeps the key out of the printed output."""
    real = real_api()
    target = cassette or cassette_for(snippet)
    source = "real" if real else "emulated"
    refuse_to_replace_real(snippet, target, source)
    scratch = tmp_path / "cassette.yaml"
    secret = real.key if real else None
    with ExitStack() as stack:
        if real:
            stand_in = real.base_url != REAL_BASE_URL
            _example_env(monkeypatch, key=real.key, base_url=real.base_url if stand_in else None)
            if urlsplit(real.base_url).hostname in LOOPBACK:
                stack.enter_context(blocking_context(allowed_hosts=["127.0.0.1", "::1"]))
        else:
            from chroma_jina.testing import JinaEmulator

            base_url = stack.enter_context(JinaEmulator().serve())
            _example_env(monkeypatch, key=OFFLINE_KEY, base_url=base_url)
            stack.enter_context(blocking_context(allowed_hosts=["127.0.0.1"]))
        recorder = make_vcr("all", secret=secret)
        stack.enter_context(recorder.use_cassette(str(scratch)))
        yield output_filter(secret)
    _install(snippet, scratch, target, source, secret)


def refuse_to_replace_real(snippet: Path, target: Path, source: str) -> None:
    """Fail unless FORCE=1 when an emulated recording would replace one from the real API."""
    if source != "emulated" or not target.exists() or os.environ.get(FORCE_ENV) == "1":
        return
    if provenance(target) != "emulated":
        pytest.fail(
            f"{shown(target)} was recorded from the real Jina API; recording the offline "
            f"emulator over it needs FORCE=1 ({record_command(snippet)} FORCE=1), or set "
            "JINA_API_KEY to re-record it from the real API.",
            pytrace=False,
        )


def _install(snippet: Path, scratch: Path, target: Path, source: str, secret: str | None) -> None:
    """Move a successful recording into cassettes/ (or drop the old one if nothing was sent)."""
    if not scratch.exists():
        target.unlink(missing_ok=True)
        return
    check_recording(snippet, scratch, source, secret)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(in_stable_order(scratch.read_text(encoding="utf-8")), encoding="utf-8")


def check_recording(snippet: Path, scratch: Path, source: str, secret: str | None) -> None:
    """Fail, deleting the new recording, unless it holds no key and comes wholly from `source`."""
    problems = leaks(scratch, secret)
    if problems:
        scratch.unlink()
        pytest.fail(
            f"{shown(snippet)}: the new recording would leak the API key ({'; '.join(problems)}). "
            "Nothing was saved.",
            pytrace=False,
        )
    kind = provenance(scratch)
    if kind != source:
        scratch.unlink()
        pytest.fail(
            f"{shown(snippet)}: recorded a {kind} cassette while recording the {source} "
            "API; some requests bypassed the server being recorded. Nothing was saved.",
            pytrace=False,
        )


def in_stable_order(cassette_yaml: str) -> str:
    """Interactions sorted by request, so that re-recording unchanged code changes nothing.

    Concurrent requests are recorded in the order they finish. The sort is stable, so identical
    requests (a retried one) keep their recorded order, which is the order replay hands them out.
    """
    data = yamlserializer.deserialize(cassette_yaml)
    data["interactions"].sort(
        key=lambda i: (i["request"]["method"], i["request"]["uri"], str(i["request"]["body"]))
    )
    return yamlserializer.serialize(data)


def _example_env(monkeypatch: pytest.MonkeyPatch, *, key: str, base_url: str | None) -> None:
    """What an example starts with, as in a new process: no Chroma instance yet, telemetry off,
    the key to use, the API base URL. Everything is put back after the test."""
    # Chroma caches one system per client kind and refuses a second one with other settings:
    # give the example an empty cache, and the tests around it theirs back afterwards. (The refcount
    # came with chromadb 1.5.2; raising=False keeps older supported versions working.)
    monkeypatch.setattr(SharedSystemClient, "_identifier_to_system", {})
    monkeypatch.setattr(SharedSystemClient, "_identifier_to_refcount", {}, raising=False)
    for name, value in EXAMPLE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CHROMA_JINA_API_KEY", key)
    monkeypatch.delenv("JINA_API_KEY", raising=False)
    if base_url is None:
        monkeypatch.delenv("JINA_API_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("JINA_API_BASE_URL", base_url)
