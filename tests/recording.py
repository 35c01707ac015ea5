"""Cassettes: how a snippet's HTTP traffic is replayed in CI and recorded by `make record`.

Replay (the default, and all CI does): the network is blocked and vcrpy answers every request from
`cassettes/<snippet>.yaml`; a request the cassette does not hold fails that snippet's test.
Recording (`--record-mode=rewrite`, what `make record` passes): with `JINA_API_KEY` set the real API
answers; without it the offline emulator (`chroma_jina.testing.JinaEmulator`) does, and its
responses carry the `x-emulated-by` provenance header. Requests are matched on method, path and
JSON body, and recorded with the URI of the real API either way, so cassettes look the same.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import vcr
import yaml
from chromadb.api.shared_system_client import SharedSystemClient
from docs_examples import ROOT, cassette_for, record_command, shown
from pytest_recording.network import blocking_context
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.serializers import yamlserializer

JINA_API = "https://api.jina.ai"
PROVENANCE_HEADER = "x-emulated-by"
OFFLINE_KEY = "jina_offline_emulator_key"
KEY_SHAPED = re.compile(r"jina_[A-Za-z0-9]{20,}")
KEY_SHAPED_BYTES = re.compile(KEY_SHAPED.pattern.encode())
REDACTED = "<JINA_API_KEY>"
FORCE_ENV = "CHROMA_JINA_RECORD_FORCE"
UNSTABLE_HEADERS = {"set-cookie", "date"}
"""Response headers not kept: cookies, and the date (re-recording must not churn)."""
EXAMPLE_ENV = {"ANONYMIZED_TELEMETRY": "False"}
"""Set for every example run; nothing a reader's copy of a snippet needs."""


def scrub(value: Any) -> Any:
    """Replace anything shaped like a Jina API key, anywhere in a (nested) cassette value."""
    if isinstance(value, str):
        return KEY_SHAPED.sub(REDACTED, value)
    if isinstance(value, bytes):
        return KEY_SHAPED_BYTES.sub(REDACTED.encode(), value)
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _as_real_api(request: vcr.request.Request) -> vcr.request.Request:
    """Record every request with the real API's origin, whichever server answered it."""
    parts = urlsplit(request.uri)
    real = urlsplit(JINA_API)
    request.uri = urlunsplit((real.scheme, real.netloc, parts.path, parts.query, parts.fragment))
    if "host" in request.headers:
        request.headers["host"] = real.netloc
    return request


def _scrub_interaction(request: vcr.request.Request, response: dict) -> tuple[Any, dict]:
    """Last pass before saving: no key-shaped text in the request or the response."""
    request.uri = scrub(request.uri)
    request.body = scrub(request.body)
    for name in list(request.headers):
        request.headers[name] = scrub(request.headers[name])
    response = scrub(response)
    response["headers"] = {
        k: v for k, v in response["headers"].items() if k.lower() not in UNSTABLE_HEADERS
    }
    return request, response


def make_vcr(
    record_mode: str, *, ignore_localhost: bool = False, secret: str | None = None
) -> vcr.VCR:
    """The one VCR configuration every snippet uses; `secret` (the key being recorded with) is
    replaced wherever it appears, whatever its shape."""
    return vcr.VCR(
        record_mode=record_mode,
        match_on=("method", "path", "body"),
        filter_headers=["authorization", "x-api-key", "cookie"],
        before_record_request=_as_real_api,
        before_save_interaction=_scrub_interaction,
        decode_compressed_response=True,
        record_on_exception=False,
        ignore_localhost=ignore_localhost,
        filter_sensitive_data=[(REDACTED, secret)] if secret else (),
    )


def load_interactions(cassette: Path) -> list[dict]:
    """The interactions stored in a cassette file."""
    data = yaml.safe_load(cassette.read_text(encoding="utf-8")) or {}
    return data.get("interactions", [])


def response_header(interaction: dict, name: str) -> list[str]:
    """Values of a response header, matched case-insensitively."""
    headers = interaction["response"].get("headers", {})
    return [v for k, values in headers.items() if k.lower() == name for v in values]


def provenance(cassette: Path) -> str:
    """`emulated` if every response has the provenance header, `real` if none has, else `mixed`."""
    marks = {bool(response_header(i, PROVENANCE_HEADER)) for i in load_interactions(cassette)}
    return {frozenset({True}): "emulated", frozenset({False}): "real"}.get(
        frozenset(marks), "mixed"
    )


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
    snippet: Path, monkeypatch: pytest.MonkeyPatch, *, allow_localhost: bool = False
) -> Iterator[None]:
    """Run code with the network blocked, every Jina request answered from the snippet's cassette.

    `allow_localhost` lets code also talk to servers on loopback (a local `chroma run`).
    """
    cassette_path = cassette_for(snippet)
    _example_env(monkeypatch, key=OFFLINE_KEY, base_url=None)
    hosts = ["127.0.0.1", "localhost", "::1"] if allow_localhost else []
    player = make_vcr("none", ignore_localhost=allow_localhost)
    miss = None
    with blocking_context(allowed_hosts=hosts), player.use_cassette(str(cassette_path)) as cassette:
        try:
            yield
        except Exception as exc:
            miss = cassette_miss(exc)
            if miss is None:
                raise
    if miss is not None:
        raise pytest.fail.Exception(_miss_message(snippet, miss), pytrace=False) from None
    if not cassette.all_played:
        unplayed = len(cassette) - len(cassette.play_counts)
        pytest.fail(
            f"{shown(snippet)}: {unplayed} of {len(cassette)} interactions in "
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


def _miss_message(snippet: Path, miss: CannotOverwriteExistingCassetteException) -> str:
    cassette_path = cassette_for(snippet)
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


@contextmanager
def recording(snippet: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Record the snippet's traffic into a new cassette; it replaces the old one only on success."""
    real_key = os.environ.get("JINA_API_KEY", "").strip()
    target = cassette_for(snippet)
    source = "real" if real_key else "emulated"
    refuse_to_replace_real(snippet, target, source)
    scratch = tmp_path / "cassette.yaml"
    with ExitStack() as stack:
        if real_key:
            _example_env(monkeypatch, key=real_key, base_url=None)
        else:
            from chroma_jina.testing import JinaEmulator

            base_url = stack.enter_context(JinaEmulator().serve())
            _example_env(monkeypatch, key=OFFLINE_KEY, base_url=base_url)
            stack.enter_context(blocking_context(allowed_hosts=["127.0.0.1"]))
        recorder = make_vcr("all", secret=real_key or None)
        stack.enter_context(recorder.use_cassette(str(scratch)))
        yield
    _install(snippet, scratch, target, source)


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


def _install(snippet: Path, scratch: Path, target: Path, source: str) -> None:
    """Move a successful recording into cassettes/ (or drop the old one if nothing was sent)."""
    if not scratch.exists():
        target.unlink(missing_ok=True)
        return
    kind = provenance(scratch)
    if kind != source:
        pytest.fail(
            f"{shown(snippet)}: recorded a {kind} cassette while recording the {source} "
            "API; some requests bypassed the server being recorded. Nothing was saved.",
            pytrace=False,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(in_stable_order(scratch.read_text(encoding="utf-8")), encoding="utf-8")


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
